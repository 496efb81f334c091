/* test_rt_crash.c — workers as real processes. A worker killed with SIGKILL
 * in the middle of a batch loses nothing: after its leases expire another worker finishes
 * every task, and only tasks the dead worker held (at most its slots:
 * concurrency + prefetch) may run twice. A worker program that gets SIGTERM
 * finishes what it runs, releases the rest and exits 0. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_support.h"

enum { N = 200, CHILD_CONC = 2, CHILD_PREFETCH = 4 };

static int run_pipe = -1; /* child: where its handler reports each start */

/* t.crashy: reports "n\n" to the pipe (child) or the run log (parent). */
static int h_crashy(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  (void)ctx;
  if (run_pipe >= 0) {
    char line[32];
    int len = snprintf(line, sizeof line, "%lld\n", (long long)a->n);
    if (write(run_pipe, line, (size_t)len) != len)
      _exit(3);
    /* Some work, so the kill lands while tasks are running. */
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
  } else {
    *r = a->n;
    return rt_enqueue_note(a->n);
  }
  *r = a->n;
  return 0;
}

static int invoke(orca_fn fn, orca_ctx *ctx, const void *args, void *result) {
  return ((int (*)(orca_ctx *, const rt_args *, int64_t *))fn)(ctx, args, result);
}

static const orca_task_desc crashy = {.name = "t.crashy",
                                      .queue = "default",
                                      .args = &rt_args_desc,
                                      .args_type = &rt_args_type,
                                      .result = &orca_type_i64,
                                      .invoke = invoke,
                                      .retry = {1, ORCA_BACKOFF_NONE, 0, 0, false}};

static void child(const char *url, int fd) {
  run_pipe = fd;
  orca_log_set(NULL, NULL, ORCA_LOG_OFF);
  orca_worker_opts o = {.backend = url,
                        .concurrency = CHILD_CONC,
                        .prefetch = CHILD_PREFETCH,
                        .lease_us = 300000,
                        .worker_id = "doomed"};
  orca_worker *w = NULL;
  if (orca_worker_open(&o, &w, NULL) || orca_worker_handle(w, &crashy, (orca_fn)h_crashy, NULL))
    _exit(2);
  orca_worker_run(w, NULL);
  _exit(0);
}

static void test_sigkill_mid_batch(void **st) {
  (void)st;
  rt_env e;
  rt_env_init(&e);
  rt_events_reset();
  orca_client *c = rt_client(&e, NULL);
  rt_args args[N];
  const void *p[N];
  static char ids[N * ORCA_ID_MAX];
  for (int i = 0; i < N; i++) {
    args[i] = (rt_args){i, "x"};
    p[i] = &args[i];
  }
  orca_err err = {0};
  assert_int_equal(orca_enqueue_many(c, &crashy, p, N, NULL, ids, NULL, &err), 0);

  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    child(e.url, fds[1]);
  }
  close(fds[1]);
  /* Wait until the child has started 20 tasks, then kill it. */
  static char buf[N * 8 + 64];
  size_t len = 0;
  int started = 0;
  while (started < 20) {
    ssize_t k = read(fds[0], buf + len, sizeof buf - 1 - len);
    assert_true(k > 0);
    for (ssize_t i = 0; i < k; i++)
      started += buf[len + (size_t)i] == '\n';
    len += (size_t)k;
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  assert_true(WIFSIGNALED(status));
  for (ssize_t k; (k = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0;)
    len += (size_t)k;
  buf[len] = '\0';
  close(fds[0]);
  static int child_runs[N];
  for (char *s = buf; *s;) {
    char *nl = strchr(s, '\n');
    if (!nl)
      break;
    int n = atoi(s);
    assert_in_range(n, 0, N - 1);
    child_runs[n]++;
    s = nl + 1;
  }

  /* A second worker finishes everything once the dead one's leases expire. */
  rt_worker rw;
  orca_worker_opts o = {.backend = e.url, .concurrency = 2, .lease_us = 300000};
  assert_int_equal(orca_worker_open(&o, &rw.w, &err), 0);
  assert_int_equal(orca_worker_handle(rw.w, &crashy, (orca_fn)h_crashy, NULL), 0);
  rt_worker_run_async(&rw);
  for (int i = 0; i < N; i++) {
    int rc = orca_wait_result(c, NULL, ids + i * ORCA_ID_MAX, 30 * SEC, NULL, NULL, &err);
    if (rc)
      fail_msg("task %d: %s", i, err.msg);
  }
  orca_worker_stop(rw.w);
  assert_int_equal(rt_worker_join(&rw), 0);

  int64_t parent[N + 16];
  int np = rt_runs(parent, N + 16);
  static int parent_runs[N];
  for (int i = 0; i < np; i++)
    parent_runs[parent[i]]++;
  int twice = 0;
  for (int i = 0; i < N; i++) {
    assert_true(child_runs[i] + parent_runs[i] >= 1); /* nothing lost */
    assert_true(child_runs[i] <= 1 && parent_runs[i] <= 1);
    if (child_runs[i] && parent_runs[i])
      twice++;
  }
  if (getenv("RT_VERBOSE"))
    fprintf(stderr, "child started %d, ran twice %d\n", started, twice);
  /* Only what the dead worker held can run again. */
  assert_in_range(twice, 0, CHILD_CONC + CHILD_PREFETCH);
  orca_client_close(c);
  rt_env_done(&e);
}

/* t.slow: reports its start to the pipe, then works 200 ms. */
static int h_slow(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  (void)ctx;
  char line[32];
  int len = snprintf(line, sizeof line, "%lld\n", (long long)a->n);
  if (write(run_pipe, line, (size_t)len) != len)
    _exit(3);
  struct timespec ts = {0, 200000000};
  nanosleep(&ts, NULL);
  *r = a->n;
  return 0;
}

static const orca_task_desc slow = {.name = "t.slow",
                                    .queue = "default",
                                    .args = &rt_args_desc,
                                    .args_type = &rt_args_type,
                                    .result = &orca_type_i64,
                                    .invoke = invoke,
                                    .retry = {1, ORCA_BACKOFF_NONE, 0, 0, false}};

static int reg_slow(orca_worker *w, void *ud, orca_err *err) {
  (void)ud;
  return orca_worker_handle(w, &slow, (orca_fn)h_slow, err);
}

/* A worker program (orca_worker_main) that gets SIGTERM finishes the task
 * it is running, releases the rest and exits 0. */
static void test_sigterm_graceful(void **st) {
  (void)st;
  rt_env e;
  rt_env_init(&e);
  orca_client *c = rt_client(&e, NULL);
  char ids[4][ORCA_ID_MAX];
  for (int i = 0; i < 4; i++)
    assert_int_equal(rt_enqueue(c, &slow, i, "", NULL, ids[i]), 0);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    run_pipe = fds[1];
    orca_log_set(NULL, NULL, ORCA_LOG_OFF);
    char *argv[] = {"slow-worker", "--backend", e.url, "--concurrency",  "1", "--prefetch",
                    "2",           "--grace",   "10s", "--no-schedules", NULL};
    _exit(orca_worker_main(10, argv, reg_slow, NULL));
  }
  close(fds[1]);
  char buf[64];
  ssize_t k = read(fds[0], buf, sizeof buf);
  assert_true(k > 0); /* one task started */
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  int done = 0, pending = 0;
  for (int i = 0; i < 4; i++) {
    orca_task_info info;
    memset(&info, 0, sizeof info);
    orca_err err = {0};
    assert_int_equal(orca_inspect(c, ids[i], &info, &err), 0);
    done += info.state == ORCA_STATE_SUCCEEDED;
    pending += info.state == ORCA_STATE_PENDING;
    orca_buf_free(&info.result);
    orca_buf_free(&info.args);
  }
  assert_int_equal(done, 1);
  assert_int_equal(pending, 3);
  orca_client_close(c);
  rt_env_done(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sigkill_mid_batch),
      cmocka_unit_test(test_sigterm_graceful),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
