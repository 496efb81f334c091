/* test_rt_cluster_failover.c — a Redis Cluster primary SIGKILLed while
 * worker processes run N tasks (50,000 by default; ORCA_TEST_FAILOVER_N
 * sets another number).
 *
 * A private 6-node cluster (3 primaries, 3 replicas, node timeout 1.5 s).
 * A producer thread enqueues t.count tasks into queue "default" in batches
 * of 500 with orca_enqueue_many; every task carries a number n used once
 * (a batch that fails is not resent: its numbers are never acknowledged).
 * Two forked worker processes (concurrency 4, prefetch 32, lease 2 s)
 * report every run of t.count as "n\n" on a pipe and return n. When a
 * third of the tasks have run, the primary that serves "default" is
 * SIGKILLed: its replica is promoted and producer and workers follow by
 * themselves (the cluster client retries within the op timeout).
 *
 * Then: every task the producer saw acknowledged has run and its record
 * reads SUCCEEDED with its own number as result (read in pages with
 * orca_task_list; a record not there yet is waited for with
 * orca_wait_result), and only tasks that were in flight at the kill ran
 * twice (at most both workers' slots). Synchronisation is by the pipe
 * (poll with deadlines), waitpid and pthread_join. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/redis/redis_cluster.h"
#include "redis_cluster.h"
#include "rt_support.h"

enum { WORKERS = 2, CONC = 4, PREFETCH = 32, BATCH = 500 };
#define LEASE_US (2 * SEC)

static orca_test_cluster g_cluster;
static int g_n = 50000; /* tasks to acknowledge */
static int g_max;       /* numbers the producer may use: acknowledged + failed batches */

/* The producer's view: numbers acknowledged, their ids. */
static atomic_bool *g_acked;
static char *g_ids; /* g_max * ORCA_ID_MAX */
static atomic_int g_nacked, g_failed_batches;
static atomic_bool g_produced;

static int run_pipe = -1; /* child: where t.count reports its runs */

static int h_count(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  (void)ctx;
  char line[24];
  int len = snprintf(line, sizeof line, "%lld\n", (long long)a->n);
  if (write(run_pipe, line, (size_t)len) != len)
    _exit(3);
  *r = a->n;
  return 0;
}

static const orca_task_desc count = RT_TASK_DESC("t.count");

static void child(int fd, int idx, void *ud) {
  (void)ud;
  run_pipe = fd;
  orca_log_set(NULL, NULL, ORCA_LOG_ERROR);
  char id[16];
  snprintf(id, sizeof id, "w%d", idx);
  orca_worker_opts o = {.backend = g_cluster.url,
                        .concurrency = CONC,
                        .prefetch = PREFETCH,
                        .lease_us = LEASE_US,
                        .grace_us = 5 * SEC,
                        .worker_id = id,
                        .install_signals = true};
  orca_worker *w = NULL;
  orca_err err = {0};
  if (orca_worker_open(&o, &w, &err) || orca_worker_handle(w, &count, (orca_fn)h_count, &err)) {
    fprintf(stderr, "worker %s: %s\n", id, err.msg);
    _exit(2);
  }
  int rc = orca_worker_run(w, &err);
  if (rc)
    fprintf(stderr, "worker %s: %s\n", id, err.msg);
  orca_worker_close(w);
  _exit(rc ? 4 : 0);
}

static void *producer(void *arg) {
  orca_client *c = arg;
  static rt_args args[BATCH];
  static const void *p[BATCH];
  static int status[BATCH];
  int next = 0;
  while (atomic_load(&g_nacked) < g_n && next + BATCH <= g_max) {
    int k = g_n - atomic_load(&g_nacked);
    int n = k < BATCH ? k : BATCH;
    for (int i = 0; i < n; i++) {
      args[i] = (rt_args){next + i, "x"};
      p[i] = &args[i];
    }
    orca_err err = {0};
    int rc = orca_enqueue_many(c, &count, p, (size_t)n, NULL, g_ids + (size_t)next * ORCA_ID_MAX,
                               status, &err);
    if (rc) {
      if (atomic_fetch_add(&g_failed_batches, 1) < 3)
        fprintf(stderr, "producer: %s (not resent)\n", err.msg);
    } else {
      for (int i = 0; i < n; i++)
        if (status[i] == 0) {
          atomic_store(&g_acked[next + i], true);
          atomic_fetch_add(&g_nacked, 1);
        }
    }
    next += n;
  }
  atomic_store(&g_produced, true);
  return NULL;
}

/* Runs reported by the workers. */
typedef struct runs {
  int *count; /* per number */
  int distinct, total;
  rt_lines lines;
} runs;

static void on_run(void *ud, char *line) {
  runs *s = ud;
  int n = atoi(line);
  assert_in_range(n, 0, g_max - 1);
  s->distinct += s->count[n]++ == 0;
  s->total++;
}

/* Read and count the runs the pipe has (waiting at most 30 s for some).
 * Returns false at the end of the pipe. */
static bool pump(int fd, runs *s) {
  return rt_read_lines(fd, &s->lines, 30000, on_run, s);
}

static bool all_acked_ran(const runs *s) {
  if (!atomic_load(&g_produced))
    return false;
  for (int n = 0; n < g_max; n++)
    if (atomic_load(&g_acked[n]) && s->count[n] == 0)
      return false;
  return true;
}

/* orca_task_list callback: mark the number whose id and result match. */
typedef struct check {
  bool *ok;
} check;

static int on_succeeded(void *ud, const orca_task_info *info) {
  check *ck = ud;
  int64_t n = -1;
  if (orca_unpack(&orca_type_i64, info->result.data, info->result.len, &n, NULL, NULL) != 0)
    return 0;
  if (n >= 0 && n < g_max && atomic_load(&g_acked[n]) &&
      strcmp(g_ids + (size_t)n * ORCA_ID_MAX, info->id) == 0)
    ck->ok[n] = true;
  return 0;
}

static void test_primary_killed_under_workers(void **st) {
  (void)st;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pids[WORKERS];
  int runs_fd = rt_fork_children(WORKERS, pids, child, NULL);
  rt_env e = {0};
  snprintf(e.url, sizeof e.url, "%s", g_cluster.url);
  orca_client *c = rt_client(&e, NULL);
  pthread_t prod;
  assert_int_equal(pthread_create(&prod, NULL, producer, c), 0);

  static runs s;
  s.count = calloc((size_t)g_max, sizeof *s.count);
  assert_non_null(s.count);
  while (s.distinct < g_n / 3)
    assert_true(pump(runs_fd, &s));
  int victim = orca_test_cluster_owner(&g_cluster, (int)orca__redis_key_slot("default", 7));
  assert_true(victim >= 0);
  orca_test_cluster_kill(&g_cluster, victim);
  double killed = rt_seconds_since(&t0);
  int at_kill = s.distinct;
  while (!all_acked_ran(&s))
    assert_true(pump(runs_fd, &s));
  double ran = rt_seconds_since(&t0);
  pthread_join(prod, NULL);

  /* Every acknowledged task's record: SUCCEEDED with its own number. */
  bool *ok = calloc((size_t)g_max, sizeof *ok);
  assert_non_null(ok);
  check ck = {ok};
  orca_err err = {0};
  for (size_t off = 0;; off += 10000) {
    size_t before = 0;
    for (int n = 0; n < g_max; n++)
      before += ok[n];
    assert_int_equal(
        orca_task_list(c, ORCA_STATE_SUCCEEDED, "default", off, 10000, on_succeeded, &ck, &err), 0);
    size_t after = 0;
    for (int n = 0; n < g_max; n++)
      after += ok[n];
    if (after == before)
      break;
  }
  int waited = 0;
  for (int n = 0; n < g_max; n++) {
    if (!atomic_load(&g_acked[n]) || ok[n])
      continue;
    /* Not listed: its completion may be on its way (a rerun after the
     * failover); wait for it. */
    int64_t r = -1;
    int rc = orca_wait_result(c, &count, g_ids + (size_t)n * ORCA_ID_MAX, 30 * SEC, &r, NULL, &err);
    if (rc || r != n)
      fail_msg("task %d (%s): %s, result %lld", n, g_ids + (size_t)n * ORCA_ID_MAX,
               rc ? err.msg : "succeeded", (long long)r);
    waited++;
  }
  double checked = rt_seconds_since(&t0);

  for (int i = 0; i < WORKERS; i++)
    kill(pids[i], SIGTERM);
  for (int i = 0; i < WORKERS; i++) {
    int status = 0;
    assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      fail_msg("worker %d ended with status %#x", i, status);
  }
  while (pump(runs_fd, &s))
    ;
  close(runs_fd);
  int twice = 0;
  for (int n = 0; n < g_max; n++)
    twice += s.count[n] > 1;
  fprintf(stderr,
          "cluster failover: %d tasks acknowledged (%d batches failed), primary killed at %.1f s "
          "after %d ran, all ran at %.1f s, records checked at %.1f s (%d waited for), %d ran "
          "twice\n",
          atomic_load(&g_nacked), atomic_load(&g_failed_batches), killed, at_kill, ran, checked,
          waited, twice);
  assert_int_equal(atomic_load(&g_nacked), g_n);
  /* Only what the workers held at the kill runs again. */
  assert_in_range(twice, 0, WORKERS * (CONC + PREFETCH));
  free(ok);
  free(s.count);
  orca_client_close(c);
  assert_int_equal(orca_test_cluster_wait_ok(&g_cluster, 30000), 0);
}

static int setup(void **st) {
  (void)st;
  const char *env = getenv("ORCA_TEST_FAILOVER_N");
  if (env && *env) {
    g_n = atoi(env);
    if (g_n < 1000) {
      fprintf(stderr, "ORCA_TEST_FAILOVER_N=%s: want a number of at least 1000\n", env);
      return -1;
    }
  }
  g_max = g_n + 20 * BATCH; /* room for failed batches */
  g_acked = calloc((size_t)g_max, sizeof *g_acked);
  g_ids = calloc((size_t)g_max, ORCA_ID_MAX);
  if (!g_acked || !g_ids)
    return -1;
  return orca_test_cluster_start(&g_cluster);
}

static int teardown(void **st) {
  (void)st;
  orca_test_cluster_stop(&g_cluster);
  free(g_acked);
  free(g_ids);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_primary_killed_under_workers)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
