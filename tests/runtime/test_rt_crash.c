/* test_rt_crash.c — workers as real processes. A worker killed with SIGKILL
 * in the middle of a batch loses nothing: after its leases expire another worker finishes
 * every task, and only tasks the dead worker held (at most its slots:
 * concurrency + prefetch) may run twice. A worker program that gets SIGTERM
 * finishes what it runs, releases the rest and exits 0. A worker SIGSTOPped
 * past its leases starts none of its prefetched tasks when it resumes, and
 * the backend refuses the completion of the one it was running. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "backend/backend.h"
#include "rt_support.h"

enum { N = 200, CHILD_CONC = 2, CHILD_PREFETCH = 4 };

static int run_pipe = -1; /* child: where its handler reports each start */

/* Child: report the start of task n as "n\n" on run_pipe. */
static void report_start(int64_t n) {
  char line[32];
  int len = snprintf(line, sizeof line, "%lld\n", (long long)n);
  if (write(run_pipe, line, (size_t)len) != len)
    _exit(3);
}

/* t.crashy: reports "n\n" to the pipe (child) or the run log (parent). */
static int h_crashy(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  (void)ctx;
  if (run_pipe >= 0) {
    report_start(a->n);
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

/* A task of this file, as orcac would emit it: rt_args in, an i64 out, one
 * attempt, queue "default". */
#define CRASH_TASK(var, tname) static const orca_task_desc var = RT_TASK_DESC(tname)

CRASH_TASK(crashy, "t.crashy");

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

/* Child: the worker's log says it is stopping (no new task starts after
 * that line) -> one byte on stop_pipe[1]. */
static int stop_pipe[2] = {-1, -1};

static void on_log(void *ud, orca_log_level level, const char *msg) {
  (void)ud, (void)level;
  if (strstr(msg, ": stopping;") && write(stop_pipe[1], "s", 1) != 1)
    _exit(3);
}

/* t.slow: reports its start to the pipe, then runs until the worker is
 * stopping (at most 30 s), so SIGTERM always lands while it runs. */
static int h_slow(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  (void)ctx;
  report_start(a->n);
  struct pollfd p = {.fd = stop_pipe[0], .events = POLLIN};
  int n;
  while ((n = poll(&p, 1, 30000)) < 0 && errno == EINTR)
    ; /* SIGTERM may be delivered to this thread: not a reason to stop waiting */
  if (n != 1)
    _exit(3); /* never told to stop */
  *r = a->n;
  return 0;
}

CRASH_TASK(slow, "t.slow");

static int reg_slow(orca_worker *w, void *ud, orca_err *err) {
  (void)ud;
  return orca_worker_handle(w, &slow, (orca_fn)h_slow, err);
}

/* A worker program (orca_worker_main) that gets SIGTERM finishes the task
 * it is running, releases the rest and exits 0. The running task returns
 * only once the worker is stopping, so no scheduling delay can let a second
 * one start before the signal. */
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
    if (pipe(stop_pipe))
      _exit(3);
    orca_log_set(on_log, NULL, ORCA_LOG_INFO);
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

/* ---- a worker stopped past its leases ---- */

enum { HELD = 9, SENTINEL = 99 }; /* one running + 8 prefetched; the last task */
static int go_pipe = -1;          /* child: task 0 waits for a byte here */

/* t.stall: reports its start; task 0 then waits until the parent says go. */
static int h_stall(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  (void)ctx;
  report_start(a->n);
  char go;
  if (a->n == 0 && read(go_pipe, &go, 1) != 1)
    _exit(3);
  *r = 1000 + a->n;
  return 0;
}

CRASH_TASK(stall, "t.stall");

/* SIGSTOP the worker process pid. SIGSTOP lands anywhere, and a process
 * stopped inside an SQLite write transaction (its TimeKeeper's first
 * promote, say) keeps the write lock, so every other process waits for it:
 * a limit of SQLite's single writer. On SQLite the test holds the write
 * lock itself while it stops the worker, so the worker holds none (both
 * files' locks for a SQLite log composed with a SQLite store,
 * sqlite:LOG?store=sqlite:STORE). */
static void stop_worker(pid_t pid, const char *url) {
  sqlite3 *db[2] = {NULL, NULL};
  char path[2][300] = {"", ""};
  if (!strncmp(url, "sqlite:", 7)) {
    snprintf(path[0], sizeof path[0], "%.*s", (int)strcspn(url + 7, "?"), url + 7);
    const char *st = strstr(url, "?store=sqlite:");
    if (st)
      snprintf(path[1], sizeof path[1], "%s", st + 14);
  }
  for (int i = 0; i < 2 && path[i][0]; i++) {
    assert_int_equal(sqlite3_open(path[i], &db[i]), SQLITE_OK);
    sqlite3_busy_timeout(db[i], 30000);
    assert_int_equal(sqlite3_exec(db[i], "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  }
  assert_int_equal(kill(pid, SIGSTOP), 0);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
  assert_true(WIFSTOPPED(status));
  for (int i = 0; i < 2 && db[i]; i++) {
    assert_int_equal(sqlite3_exec(db[i], "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db[i]);
  }
}

/* The thief's success with result "T" for its delivery l. */
static orca__completion thief_done(const orca__lease *l) {
  return (orca__completion){.lease = l,
                            .outcome = ORCA__ACK,
                            .state = ORCA_STATE_SUCCEEDED,
                            .worker = "thief",
                            .attempt = 1,
                            .result = (const uint8_t *)"T",
                            .result_len = 1,
                            .ttl_us = 3600 * SEC};
}

/* Assert the record of id: state, last worker, deliveries, attempt 1, and
 * the result bytes when result is not NULL. */
static void check_record(orca_client *c, const char *id, orca_state state, const char *worker,
                         uint32_t deliveries, const char *result) {
  orca_task_info info;
  memset(&info, 0, sizeof info);
  orca_err err = {0};
  assert_int_equal(orca_inspect(c, id, &info, &err), 0);
  if (info.state != state || strcmp(info.worker, worker) || info.deliveries != deliveries)
    fail_msg("task %s: %s by '%s', %u deliveries; want %s by '%s', %u", id,
             orca_state_name(info.state), info.worker, info.deliveries, orca_state_name(state),
             worker, deliveries);
  assert_int_equal(info.attempt, 1);
  if (result) {
    assert_int_equal(info.result.len, strlen(result));
    assert_memory_equal(info.result.data, result, info.result.len);
  }
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
}

/* A worker process holds HELD tasks (task 0 running, 8 prefetched) when it
 * is SIGSTOPped. Its leases run out (the shared injected clock moves 60 s
 * past a 30 s lease) and another worker ("thief", the backend driven
 * directly) takes all of them, finishes 1..8 and still runs 0. On SIGCONT
 * the stopped worker finishes task 0, whose completion the backend must
 * refuse, and must start none of 1..8: it releases them (the backend
 * ignores releases of deliveries it no longer holds). Then it runs one new
 * task (the sentinel: the worker stops after two tasks ended) and exits.
 * The records show the thief's runs with two deliveries each. */
static void test_sigstop_past_lease(void **st) {
  (void)st;
  if (rt_on_kafka())
    skip(); /* no leases on Kafka: a stopped worker keeps its partitions until its session
               times out, and the store reclaims its runs (test_kafka_failover) */
  rt_env e;
  rt_env_init(&e);
  rt_clock *clk =
      mmap(NULL, sizeof *clk, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  assert_true(clk != MAP_FAILED);
  rt_clock_init(clk, T0);
  orca_client *c = rt_client(&e, &clk->clock);
  char ids[HELD][ORCA_ID_MAX], sentinel[ORCA_ID_MAX];
  for (int i = 0; i < HELD; i++)
    assert_int_equal(rt_enqueue(c, &stall, i, "", NULL, ids[i]), 0);

  int runs[2], go[2];
  assert_int_equal(pipe(runs), 0);
  assert_int_equal(pipe(go), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(runs[0]);
    close(go[1]);
    run_pipe = runs[1];
    go_pipe = go[0];
    orca_log_set(NULL, NULL, ORCA_LOG_OFF);
    orca_worker_opts o = {.backend = e.url,
                          .concurrency = 1,
                          .prefetch = HELD - 1,
                          .lease_us = 30 * SEC,
                          .max_tasks = 2,
                          .clock = &clk->clock,
                          .worker_id = "stopped"};
    orca_worker *w = NULL;
    if (orca_worker_open(&o, &w, NULL) || orca_worker_handle(w, &stall, (orca_fn)h_stall, NULL))
      _exit(2);
    int rc = orca_worker_run(w, NULL);
    orca_worker_close(w);
    _exit(rc ? 4 : 0);
  }
  close(runs[1]);
  close(go[0]);
  char buf[256];
  size_t len = 0;
  while (!memchr(buf, '\n', len)) {
    ssize_t k = read(runs[0], buf + len, sizeof buf - 1 - len);
    assert_true(k > 0);
    len += (size_t)k;
  }
  assert_true(len == 2 && buf[0] == '0'); /* task 0 runs; 1..8 wait in its slots */
  for (int i = 1; i < HELD; i++)
    check_record(c, ids[i], ORCA_STATE_RUNNING, "stopped", 1, NULL);
  stop_worker(pid, e.url);

  rt_clock_advance(clk, 60 * SEC);
  orca__backend *thief = NULL;
  orca__backend_opts bo = {.clock = &clk->clock};
  orca_err err = {0};
  assert_int_equal(orca__backend_open(e.url, &bo, &thief, &err), 0);
  orca__lease pool[16] = {0}, *slots[16];
  for (int i = 0; i < 16; i++)
    slots[i] = &pool[i];
  const char *qs[1] = {"default"};
  orca__fetch_req req = {.queues = qs, .nqueues = 1, .worker = "thief", .lease_us = 30 * SEC};
  size_t got = 0;
  assert_int_equal(thief->ops->fetch(thief, &req, slots, 16, &got), 0);
  assert_int_equal(got, HELD);
  orca__completion done[HELD];
  size_t nd = 0;
  orca__lease *zero = NULL;
  for (size_t i = 0; i < got; i++) {
    assert_int_equal(pool[i].deliveries, 2);
    if (!strcmp(pool[i].id, ids[0])) {
      zero = &pool[i]; /* the thief is still running this one */
      continue;
    }
    done[nd++] = thief_done(&pool[i]);
  }
  assert_non_null(zero);
  assert_int_equal(thief->ops->complete(thief, done, nd), 0);
  assert_int_equal(rt_enqueue(c, &stall, SENTINEL, "", NULL, sentinel), 0);

  /* Resume: task 0 ends, then the stopped worker may run only the sentinel. */
  assert_int_equal(kill(pid, SIGCONT), 0);
  assert_int_equal(write(go[1], "g", 1), 1);
  len = 0;
  for (ssize_t k; (k = read(runs[0], buf + len, sizeof buf - 1 - len)) > 0;)
    len += (size_t)k;
  buf[len] = '\0';
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  close(runs[0]);
  close(go[1]);
  if (strcmp(buf, "99\n") != 0)
    fail_msg("after SIGCONT the worker started tasks it no longer held: \"%s\"", buf);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);

  /* Task 0: the resumed worker's completion was refused; the thief's counts. */
  check_record(c, ids[0], ORCA_STATE_RUNNING, "thief", 2, NULL);
  orca__completion last = thief_done(zero);
  assert_int_equal(thief->ops->complete(thief, &last, 1), 0);
  for (int i = 0; i < HELD; i++)
    check_record(c, ids[i], ORCA_STATE_SUCCEEDED, "thief", 2, "T");
  check_record(c, sentinel, ORCA_STATE_SUCCEEDED, "stopped", 1, NULL);
  for (int i = 0; i < 16; i++)
    orca_buf_free(&pool[i].payload);
  orca__backend_close(thief);
  orca_client_close(c);
  munmap(clk, sizeof *clk);
  rt_env_done(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sigkill_mid_batch),
      cmocka_unit_test(test_sigterm_graceful),
      cmocka_unit_test(test_sigstop_past_lease),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
