/* test_kafka_failover.c — workers on kafka:// as real processes. Three
 * worker processes of one consumer group share N tasks (joining one after
 * another: rebalances under load); one is SIGKILLed mid-run. Every task
 * ends, and only tasks the killed worker held (its slots: concurrency +
 * prefetch) run twice: its partitions move to the others when its session
 * times out, and the store reclaims the runs it left. Also: a worker
 * refuses at start a @priority task on a Kafka queue, with a message that
 * says why, unless the URL says priorities=ignore.
 *
 * N is 100000, the figure (about 50 s in the ASan build on 2 loaded
 * cores; 3000 takes about 25 s, mostly the session timeout and group joins);
 * ORCA_TEST_KAFKA_TASKS sets another. The store
 * is SQLite in a temp dir, or the private redis-server with
 * ORCA_TEST_KAFKA_STORE=redis. */
#include <errno.h>
#include <poll.h>
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

#include "kafka_cluster.h"
#include "orca/orca.h"
#include "redis_server.h"
#include "rt_support.h"

enum { WORKERS = 3, CONC = 4, PREFETCH = 4 };

static int report_fd = -1; /* child: where each finished task's number goes */

static int h_work(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  (void)ctx;
  struct timespec ts = {0, 500000}; /* some work, so the kill finds tasks running */
  nanosleep(&ts, NULL);
  int32_t n = (int32_t)a->n;
  if (write(report_fd, &n, sizeof n) != sizeof n)
    _exit(3);
  *r = a->n;
  return 0;
}

static int invoke(orca_fn fn, orca_ctx *ctx, const void *args, void *result) {
  return ((int (*)(orca_ctx *, const rt_args *, int64_t *))fn)(ctx, args, result);
}

static const orca_task_desc work = {.name = "t.work",
                                    .queue = "work",
                                    .args = &rt_args_desc,
                                    .args_type = &rt_args_type,
                                    .result = &orca_type_i64,
                                    .invoke = invoke,
                                    .retry = {1, ORCA_BACKOFF_NONE, 0, 0, false}};

static const orca_task_desc urgent = {.name = "t.urgent",
                                      .queue = "work",
                                      .priority = 7,
                                      .args = &rt_args_desc,
                                      .args_type = &rt_args_type,
                                      .result = &orca_type_i64,
                                      .invoke = invoke,
                                      .retry = {1, ORCA_BACKOFF_NONE, 0, 0, false}};

static orca_test_kafka cluster;
static orca_test_redis redis;
static char dir[64];

/* The backend URL of this run: the cluster, a short session (a killed
 * member's partitions move within seconds), and the store. */
static const char *url(const char *extra) {
  static char store[160], more[400];
  if (getenv("ORCA_TEST_KAFKA_STORE") && !strcmp(getenv("ORCA_TEST_KAFKA_STORE"), "redis"))
    snprintf(store, sizeof store, "%s", orca_test_redis_url(&redis, 1));
  else
    snprintf(store, sizeof store, "sqlite:%s/store.db", dir);
  snprintf(more, sizeof more, "session.timeout.ms=6000&heartbeat.interval.ms=500&store=%s%s%s",
           store, extra ? "&" : "", extra ? extra : "");
  return orca_test_kafka_url(&cluster, "pool", more);
}

static int setup(void **st) {
  (void)st;
  snprintf(dir, sizeof dir, "/tmp/orca-kfo-XXXXXX");
  if (!mkdtemp(dir) || orca_test_kafka_start(&cluster))
    return -1;
  if (getenv("ORCA_TEST_KAFKA_STORE") && !strcmp(getenv("ORCA_TEST_KAFKA_STORE"), "redis") &&
      orca_test_redis_start(&redis, false))
    return -1;
  return 0;
}

static int teardown(void **st) {
  (void)st;
  orca_test_kafka_stop(&cluster);
  orca_test_redis_stop(&redis);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void child(const char *u, int fd, int k) {
  report_fd = fd;
  orca_log_set(NULL, NULL, ORCA_LOG_OFF);
  char id[16];
  snprintf(id, sizeof id, "w%d", k);
  orca_worker_opts o = {.backend = u,
                        .concurrency = CONC,
                        .prefetch = PREFETCH,
                        .lease_us = 2 * 1000000,
                        .install_signals = true,
                        .worker_id = id};
  orca_worker *w = NULL;
  if (orca_worker_open(&o, &w, NULL) || orca_worker_handle(w, &work, (orca_fn)h_work, NULL))
    _exit(2);
  orca_worker_run(w, NULL);
  orca_worker_close(w);
  _exit(0);
}

static void sigkill_one_of_three(void **st) {
  (void)st;
  long n = getenv("ORCA_TEST_KAFKA_TASKS") ? atol(getenv("ORCA_TEST_KAFKA_TASKS")) : 100000;
  assert_true(n >= 100);
  const char *u = url(NULL);
  orca_client *c = NULL;
  orca_err err = {0};
  orca_client_opts co = {.backend = u};
  assert_int_equal(orca_client_open(&co, &c, &err), 0);
  rt_args *args = calloc((size_t)n, sizeof *args);
  const void **p = calloc((size_t)n, sizeof *p);
  unsigned char *count = calloc((size_t)n, 1);
  assert_non_null(args);
  for (long base = 0; base < n; base += 1000) {
    size_t k = (size_t)(n - base < 1000 ? n - base : 1000);
    for (size_t j = 0; j < k; j++) {
      args[base + (long)j] = (rt_args){base + (long)j, "x"};
      p[j] = &args[base + (long)j];
    }
    assert_int_equal(orca_enqueue_many(c, &work, p, k, NULL, NULL, NULL, &err), 0);
  }
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  pid_t pid[WORKERS];
  for (int k = 0; k < WORKERS; k++) {
    pid[k] = fork();
    assert_true(pid[k] >= 0);
    if (pid[k] == 0) {
      close(fds[0]);
      child(u, fds[1], k);
    }
  }
  close(fds[1]);
  long distinct = 0, extra = 0;
  bool killed = false;
  time_t deadline = time(NULL) + 120;
  while (distinct < n && time(NULL) < deadline) {
    int32_t got[512];
    struct pollfd pf = {.fd = fds[0], .events = POLLIN};
    if (poll(&pf, 1, 1000) <= 0)
      continue;
    ssize_t r = read(fds[0], got, sizeof got);
    assert_true(r > 0 && r % (ssize_t)sizeof got[0] == 0);
    for (ssize_t i = 0; i < r / (ssize_t)sizeof got[0]; i++) {
      assert_true(got[i] >= 0 && got[i] < n);
      if (count[got[i]]++)
        extra++;
      else
        distinct++;
    }
    if (!killed && distinct >= n / 3) {
      assert_int_equal(kill(pid[0], SIGKILL), 0);
      waitpid(pid[0], NULL, 0);
      killed = true;
    }
  }
  for (int k = 1; k < WORKERS; k++)
    kill(pid[k], SIGTERM);
  for (int k = 1; k < WORKERS; k++) {
    int status = 0;
    waitpid(pid[k], &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  close(fds[0]);
  if (distinct < n)
    fail_msg("%ld of %ld tasks ended", distinct, n);
  /* Only the killed worker's slots may have run twice. */
  if (extra > CONC + PREFETCH)
    fail_msg("%ld tasks ran twice; the killed worker held at most %d", extra, CONC + PREFETCH);
  print_message("%ld tasks, %ld ran twice\n", n, extra);
  free(args);
  free(p);
  free(count);
  orca_client_close(c);
}

static void priority_refused(void **st) {
  (void)st;
  orca_worker_opts o = {.backend = url(NULL), .concurrency = 1};
  orca_worker *w = NULL;
  orca_err err = {0};
  assert_int_equal(orca_worker_open(&o, &w, &err), 0);
  assert_int_equal(orca_worker_handle(w, &urgent, (orca_fn)h_work, &err), 0);
  assert_int_equal(orca_worker_run(w, &err), ORCA_ENOTSUP);
  assert_string_equal(err.msg, "task t.urgent has @priority(7) but queue work is on kafka, which "
                               "has no priorities within a queue: use a queue per priority, or "
                               "priorities=ignore in the URL (docs/kafka.md)");
  orca_worker_close(w);
  /* accepted with priorities=ignore: it runs in log order */
  o.backend = url("priorities=ignore");
  o.max_tasks = 1;
  assert_int_equal(orca_worker_open(&o, &w, &err), 0);
  assert_int_equal(orca_worker_handle(w, &urgent, (orca_fn)h_work, &err), 0);
  orca_client *c = NULL;
  orca_client_opts co = {.backend = o.backend};
  assert_int_equal(orca_client_open(&co, &c, &err), 0);
  rt_args a = {1, "x"};
  char id[ORCA_ID_MAX];
  assert_int_equal(orca_enqueue(c, &urgent, &a, NULL, id, &err), 0);
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  report_fd = fds[1];
  assert_int_equal(orca_worker_run(w, &err), 0);
  int32_t n = -1;
  assert_int_equal(read(fds[0], &n, sizeof n), sizeof n);
  assert_int_equal(n, 1);
  close(fds[0]);
  close(fds[1]);
  report_fd = -1;
  orca_worker_close(w);
  orca_client_close(c);
}

int main(void) {
  if (orca_test_kafka_disabled())
    return 0;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(priority_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(sigkill_one_of_three, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
