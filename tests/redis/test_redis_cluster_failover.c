/* test_redis_cluster_failover.c — the Redis backend on a 6-node Redis
 * Cluster (redis+cluster://, WAIT for one replica) while a primary dies:
 * a producer thread enqueues N tasks over three queues whose slots live on
 * the three primaries, two consumer threads fetch from all three queues and
 * complete each task with a result derived from its id, and when a third
 * of the tasks are done the primary of the first queue is SIGKILLed. Its
 * replica is promoted; producer and consumers follow by themselves (the
 * cluster client retries within the op timeout, a failed call is resent).
 * Afterwards every task the producer saw acknowledged must be SUCCEEDED
 * with exactly its result (state_get), so an acknowledged enqueue or
 * completion lost with the primary fails the test.
 *
 * Synchronisation is by a condition variable the consumers signal per
 * batch, waited on with deadlines. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "backend/redis/redis_cluster.h"
#include "redis_cluster.h"

#define N 6000
#define BATCH 100
#define CONSUMERS 2
#define LEASE_US 1500000
#define QUEUES 3

static orca_test_cluster g_cluster;
static char g_queue[QUEUES][16];
static const char *g_queues[QUEUES];

static atomic_bool g_acked[N];     /* the producer saw the enqueue succeed */
static atomic_int g_done_count[N]; /* completions reported by consumers */
static atomic_int g_ndone;         /* tasks completed at least once */
static atomic_bool g_produced, g_stop;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;

static size_t result_of(int k, char out[48]) {
  return (size_t)snprintf(out, 48, "result-of-t%d/%08x", k, (unsigned)k * 2654435761u);
}

static orca__backend *open_backend(void) {
  orca__backend *b = NULL;
  orca_err err = {0};
  orca__backend_opts o = {.op_timeout_us = 15000000};
  if (orca__backend_open(g_cluster.url, &o, &b, &err))
    fail_msg("open %s: %s", g_cluster.url, err.msg);
  return b;
}

static void *producer(void *arg) {
  (void)arg;
  orca__backend *b = open_backend();
  static char ids[BATCH][32];
  orca__job jobs[BATCH];
  orca__enqueue_result res[BATCH];
  const char *payload = "0123456789012345678901234567890123456789012345678901234567890123";
  for (int k = 0; k < N;) {
    int n = 0;
    for (; n < BATCH && k + n < N; n++) {
      snprintf(ids[n], sizeof ids[n], "t%d", k + n);
      jobs[n] = (orca__job){.id = ids[n],
                            .task = "test.noop",
                            .queue = g_queues[(k + n) % QUEUES],
                            .payload = (const uint8_t *)payload,
                            .payload_len = 64,
                            .state_ttl_us = 3600000000LL};
    }
    if (b->ops->enqueue(b, jobs, (size_t)n, res))
      continue; /* not acknowledged: resend the same batch */
    for (int i = 0; i < n; i++)
      if (res[i].status == 0 ||
          (res[i].status == ORCA_EDUPLICATE && strcmp(res[i].existing_id, ids[i]) == 0))
        atomic_store(&g_acked[k + i], true);
    k += n;
  }
  orca__backend_close(b);
  atomic_store(&g_produced, true);
  return NULL;
}

static void *consumer(void *arg) {
  int c = (int)(intptr_t)arg;
  orca__backend *b = open_backend();
  static orca__lease pool[CONSUMERS][BATCH];
  orca__lease *slots[BATCH];
  orca__completion done[BATCH];
  static char results[CONSUMERS][BATCH][48];
  for (int i = 0; i < BATCH; i++)
    slots[i] = &pool[c][i];
  char worker[32];
  snprintf(worker, sizeof worker, "consumer-%d", c);
  orca__fetch_req req = {.queues = g_queues,
                         .nqueues = QUEUES,
                         .worker = worker,
                         .lease_us = LEASE_US,
                         .wait_us = 100000};
  while (!atomic_load(&g_stop)) {
    size_t got = 0;
    if (b->ops->fetch(b, &req, slots, BATCH, &got) || got == 0)
      continue;
    for (size_t i = 0; i < got; i++) {
      int k = atoi(slots[i]->id + 1);
      done[i] = (orca__completion){.lease = slots[i],
                                   .outcome = ORCA__ACK,
                                   .state = ORCA_STATE_SUCCEEDED,
                                   .worker = worker,
                                   .attempt = 1,
                                   .result = (const uint8_t *)results[c][i],
                                   .result_len = result_of(k, results[c][i]),
                                   .ttl_us = 3600000000LL};
    }
    while (b->ops->complete(b, done, got) && !atomic_load(&g_stop)) {
      /* the cluster is failing over: resend (skipped where applied) */
    }
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < got; i++)
      if (atomic_fetch_add(&g_done_count[atoi(slots[i]->id + 1)], 1) == 0)
        atomic_fetch_add(&g_ndone, 1);
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
  }
  orca__backend_close(b);
  for (int i = 0; i < BATCH; i++)
    orca_buf_free(&pool[c][i].payload);
  return NULL;
}

/* Wait (cond var, deadline) until pred() holds; false on timeout. */
static bool wait_until(bool (*pred)(void), int seconds) {
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += seconds;
  pthread_mutex_lock(&g_mu);
  bool ok;
  while (!(ok = pred()))
    if (pthread_cond_timedwait(&g_cv, &g_mu, &dl) != 0) {
      ok = pred();
      break;
    }
  pthread_mutex_unlock(&g_mu);
  return ok;
}

static bool third_done(void) {
  return atomic_load(&g_ndone) >= N / 3;
}

static bool all_acked_done(void) {
  if (!atomic_load(&g_produced))
    return false;
  for (int k = 0; k < N; k++)
    if (atomic_load(&g_acked[k]) && atomic_load(&g_done_count[k]) == 0)
      return false;
  return true;
}

/* Three queue names whose slots are served by three different primaries. */
static void pick_queues(void) {
  int owners[QUEUES];
  int n = 0;
  for (int i = 0; n < QUEUES && i < 1000; i++) {
    char name[16];
    snprintf(name, sizeof name, "q%d", i);
    int o = orca_test_cluster_owner(&g_cluster, (int)orca__redis_key_slot(name, strlen(name)));
    bool seen = o < 0;
    for (int j = 0; j < n; j++)
      seen |= owners[j] == o;
    if (seen)
      continue;
    owners[n] = o;
    snprintf(g_queue[n], sizeof g_queue[n], "%s", name);
    g_queues[n] = g_queue[n];
    n++;
  }
  assert_int_equal(n, QUEUES);
}

static void test_primary_killed_mid_run(void **state) {
  (void)state;
  pick_queues();
  pthread_t prod, cons[CONSUMERS];
  assert_int_equal(pthread_create(&prod, NULL, producer, NULL), 0);
  for (int c = 0; c < CONSUMERS; c++)
    assert_int_equal(pthread_create(&cons[c], NULL, consumer, (void *)(intptr_t)c), 0);

  assert_true(wait_until(third_done, 60));
  int victim = orca_test_cluster_owner(&g_cluster,
                                       (int)orca__redis_key_slot(g_queue[0], strlen(g_queue[0])));
  assert_true(victim >= 0);
  orca_test_cluster_kill(&g_cluster, victim);

  bool finished = wait_until(all_acked_done, 90);
  atomic_store(&g_stop, true);
  pthread_join(prod, NULL);
  for (int c = 0; c < CONSUMERS; c++)
    pthread_join(cons[c], NULL);
  assert_true(finished);
  assert_int_equal(orca_test_cluster_wait_ok(&g_cluster, 30000), 0);

  /* Every acknowledged task: SUCCEEDED with its own result. */
  orca__backend *b = open_backend();
  orca_task_info info = {0};
  int bad = 0, acked = 0, twice = 0;
  for (int k = 0; k < N; k++) {
    if (!atomic_load(&g_acked[k]))
      continue;
    acked++;
    twice += atomic_load(&g_done_count[k]) > 1;
    char id[32], want[48];
    snprintf(id, sizeof id, "t%d", k);
    size_t wlen = result_of(k, want);
    orca_buf_reset(&info.result);
    orca_buf_reset(&info.args);
    int rc = b->ops->state_get(b, id, &info);
    if (rc == 0 && info.state == ORCA_STATE_SUCCEEDED && info.result.len == wlen &&
        memcmp(info.result.data, want, wlen) == 0)
      continue;
    if (bad++ < 5)
      fprintf(stderr, "check: %s: rc %s, state %s\n", id, rc ? orca_strerror(rc) : "0",
              orca_state_name(info.state));
  }
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  orca__backend_close(b);
  fprintf(stderr, "failover: %d tasks acknowledged, %d completed twice (in flight at the kill)\n",
          acked, twice);
  assert_int_equal(acked, N);
  assert_int_equal(bad, 0);
}

static int setup(void **state) {
  (void)state;
  return orca_test_cluster_start(&g_cluster);
}

static int teardown(void **state) {
  (void)state;
  orca_test_cluster_stop(&g_cluster);
  return 0;
}

int main(void) {
  if (!orca__redis_ops.open)
    return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_primary_killed_mid_run)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
