/* test_redis_cluster_backend.c — the Redis backend on a 6-node Redis
 * Cluster (redis+cluster://, WAIT for one replica), over three queues whose
 * slots live on the three primaries: promote and fetch across the queues
 * (one script call per queue); schedule fires through the outbox, exactly
 * once, and an outbox entry left by a node that died re-sent by the next
 * fire; a busy queue whose slot is migrated to another primary mid-run
 * (every acknowledged task ends, as below); and a primary that dies
 * mid-run (the one serving the schedules, which three threads keep firing
 * meanwhile: each fire time won at most once, none lost):
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
#include "backend/redis/redis_internal.h"
#include "redis_cluster.h"

#define N 6000
#define BATCH 100
#define CONSUMERS 2
#define LEASE_US 1500000
#define QUEUES 3

static orca_test_cluster g_cluster;
static char g_queue[QUEUES][16];
static const char *g_queues[QUEUES];

/* One run: the queues its producer spreads over and its consumers fetch
 * from, and the prefix of its task ids. */
static const char *g_run[QUEUES];
static size_t g_nrun;
static const char *g_prefix = "t";

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
  int nfail = 0;
  for (int k = 0; k < N;) {
    int n = 0;
    for (; n < BATCH && k + n < N; n++) {
      snprintf(ids[n], sizeof ids[n], "%s%d", g_prefix, k + n);
      jobs[n] = (orca__job){.id = ids[n],
                            .task = "test.noop",
                            .queue = g_run[(size_t)(k + n) % g_nrun],
                            .payload = (const uint8_t *)payload,
                            .payload_len = 64,
                            .state_ttl_us = 3600000000LL};
    }
    int rc = b->ops->enqueue(b, jobs, (size_t)n, res);
    if (rc && atomic_load(&g_stop))
      break; /* the run gave up on us */
    if (rc) {
      if (nfail++ < 3)
        fprintf(stderr, "producer: enqueue: %s; resending\n", orca_strerror(rc));
      continue; /* not acknowledged: resend the same batch */
    }
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
  orca__fetch_req req = {.queues = g_run,
                         .nqueues = g_nrun,
                         .worker = worker,
                         .lease_us = LEASE_US,
                         .wait_us = 100000};
  while (!atomic_load(&g_stop)) {
    size_t got = 0;
    if (b->ops->fetch(b, &req, slots, BATCH, &got) || got == 0)
      continue;
    for (size_t i = 0; i < got; i++) {
      int k = atoi(slots[i]->id + strlen(g_prefix));
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
      if (atomic_fetch_add(&g_done_count[atoi(slots[i]->id + strlen(g_prefix))], 1) == 0)
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
static int pick_queues(void) {
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
  return n == QUEUES ? 0 : -1;
}

static void test_many_queues(void **state) {
  (void)state;
  orca__backend *b = open_backend();
  int64_t now = orca_clock_now(b->clock);
  orca__job jobs[QUEUES];
  orca__enqueue_result res[QUEUES];
  char ids[QUEUES][16];
  for (int i = 0; i < QUEUES; i++) {
    snprintf(ids[i], sizeof ids[i], "d%d", i);
    jobs[i] = (orca__job){.id = ids[i],
                          .task = "test.noop",
                          .queue = g_queues[i],
                          .eta_us = now + 3600000000LL,
                          .payload = (const uint8_t *)"p",
                          .payload_len = 1,
                          .state_ttl_us = 3600000000LL};
  }
  assert_int_equal(b->ops->enqueue(b, jobs, QUEUES, res), 0);
  int64_t next_due = 0;
  /* Nothing due yet; the next due time comes from all three queues. */
  assert_int_equal(b->ops->promote(b, now, 100, &next_due), 0);
  assert_int_equal(next_due, now + 3600000000LL);
  assert_int_equal(b->ops->promote(b, now + 7200000000LL, 100, &next_due), QUEUES);

  static orca__lease pool[8];
  orca__lease *slots[8];
  for (int i = 0; i < 8; i++)
    slots[i] = &pool[i];
  orca__fetch_req req = {
      .queues = g_queues, .nqueues = QUEUES, .worker = "w", .lease_us = LEASE_US, .wait_us = 0};
  size_t got = 0;
  assert_int_equal(b->ops->fetch(b, &req, slots, 8, &got), 0);
  assert_int_equal(got, QUEUES);
  /* In the request's queue order. */
  for (int i = 0; i < QUEUES; i++)
    assert_string_equal(slots[i]->queue, g_queues[i]);
  orca__completion done[QUEUES];
  for (size_t i = 0; i < got; i++)
    done[i] = (orca__completion){.lease = slots[i],
                                 .outcome = ORCA__ACK,
                                 .state = ORCA_STATE_SUCCEEDED,
                                 .worker = "w",
                                 .attempt = 1,
                                 .ttl_us = 3600000000LL};
  assert_int_equal(b->ops->complete(b, done, got), 0);
  for (int i = 0; i < 8; i++)
    orca_buf_free(&pool[i].payload);
  orca__backend_close(b);
}

/* A reply of node i to a command (the caller frees it). */
static redisReply *on_node(int i, int argc, const char **argv) {
  redisReply *r = orca_test_cluster_run(&g_cluster, i, argc, argv);
  assert_non_null(r);
  return r;
}

static long long outbox_len(void) {
  int owner = orca_test_cluster_owner(&g_cluster, (int)orca__redis_key_slot("sched", 5));
  const char *argv[] = {"HLEN", "orca:{sched}:out"};
  redisReply *r = on_node(owner, 2, argv);
  long long n = r->integer;
  freeReplyObject(r);
  return n;
}

static int fire(orca__backend *b, int64_t expected, int64_t next, const char *id) {
  orca__job j = {.id = id,
                 .task = "test.tick",
                 .queue = g_queues[1],
                 .payload = (const uint8_t *)"p",
                 .payload_len = 1,
                 .state_ttl_us = 3600000000LL};
  return b->ops->schedule_fire(b, "tick", expected, next, &j, 1);
}

/* The first step of a fire of "tick" (expected -> next, task id), run by
 * hand as a node that died right after it would leave it: the CAS and the
 * outbox entry, dated an hour back. */
static void left_behind(const char *expected, const char *next, const char *id) {
  int owner = orca_test_cluster_owner(&g_cluster, (int)orca__redis_key_slot("sched", 5));
  const char *argv[] = {"FCALL",
                        orca__redis_function(ORCA__RS_SCHED_OUT),
                        "2",
                        "orca:{sched}:next",
                        "orca:{sched}:out",
                        "tick",
                        expected,
                        next,
                        "1",
                        g_queues[1],
                        id,
                        "test.tick",
                        "0",
                        "0",
                        "0",
                        "p",
                        "",
                        "0",
                        "3600000"};
  redisReply *r = on_node(owner, 19, argv);
  assert_int_equal(r->type, REDIS_REPLY_INTEGER);
  assert_int_equal(r->integer, 0);
  freeReplyObject(r);
}

static void test_schedule_outbox(void **state) {
  (void)state;
  orca__backend *b = open_backend();
  orca__schedule_rec rec = {.name = "tick", .next_fire_us = 1000};
  assert_int_equal(orca_buf_append(&rec.spec, "spec", 4), 0);
  assert_int_equal(b->ops->schedule_put(b, &rec, false), 0);
  orca_buf_free(&rec.spec);

  /* Exactly once: the second node to fire the same time loses the CAS. */
  assert_int_equal(fire(b, 1000, 2000, "tick@1000"), 0);
  assert_int_equal(fire(b, 1000, 2000, "tick@1000"), ORCA_ECONFLICT);
  orca_task_info info = {0};
  assert_int_equal(b->ops->state_get(b, "tick@1000", &info), 0);
  assert_int_equal(info.state, ORCA_STATE_PENDING);
  assert_int_equal(outbox_len(), 0);

  /* A node that won the fire of 2000 and died before enqueueing: only the
   * first step ran (by hand here, dated an hour back). */
  left_behind("2000", "3000", "tick@2000");
  assert_int_equal(outbox_len(), 1);
  assert_int_equal(b->ops->state_get(b, "tick@2000", &info), ORCA_ENOTFOUND);

  /* The next fire re-sends it, then fires its own. */
  assert_int_equal(fire(b, 3000, 4000, "tick@3000"), 0);
  assert_int_equal(b->ops->state_get(b, "tick@2000", &info), 0);
  assert_int_equal(info.state, ORCA_STATE_PENDING);
  assert_int_equal(b->ops->state_get(b, "tick@3000", &info), 0);
  assert_int_equal(outbox_len(), 0);

  /* With no fire to follow, the TimeKeeper's promote re-sends it. */
  left_behind("4000", "5000", "tick@4000");
  int64_t next_due;
  assert_true(b->ops->promote(b, orca_clock_now(b->clock), 100, &next_due) >= 0);
  assert_int_equal(b->ops->state_get(b, "tick@4000", &info), 0);
  assert_int_equal(outbox_len(), 0);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  orca__backend_close(b);
}

static pthread_t g_prod, g_cons[CONSUMERS];

/* Start a run over queues qs with task ids PREFIX<k>, and wait until a
 * third of its tasks are done. */
static void run_start(const char *const *qs, size_t nq, const char *prefix) {
  for (size_t i = 0; i < nq; i++)
    g_run[i] = qs[i];
  g_nrun = nq;
  g_prefix = prefix;
  for (int k = 0; k < N; k++) {
    atomic_store(&g_acked[k], false);
    atomic_store(&g_done_count[k], 0);
  }
  atomic_store(&g_ndone, 0);
  atomic_store(&g_produced, false);
  atomic_store(&g_stop, false);
  assert_int_equal(pthread_create(&g_prod, NULL, producer, NULL), 0);
  for (int c = 0; c < CONSUMERS; c++)
    assert_int_equal(pthread_create(&g_cons[c], NULL, consumer, (void *)(intptr_t)c), 0);
  assert_true(wait_until(third_done, 60));
}

/* Wait for every acknowledged task of the run to be completed, stop the
 * threads, and check each reads back SUCCEEDED with its own result. */
static void run_finish(const char *what) {
  bool finished = wait_until(all_acked_done, 90);
  atomic_store(&g_stop, true);
  pthread_join(g_prod, NULL);
  for (int c = 0; c < CONSUMERS; c++)
    pthread_join(g_cons[c], NULL);
  assert_true(finished);
  orca__backend *b = open_backend();
  orca_task_info info = {0};
  int bad = 0, acked = 0, twice = 0;
  for (int k = 0; k < N; k++) {
    if (!atomic_load(&g_acked[k]))
      continue;
    acked++;
    twice += atomic_load(&g_done_count[k]) > 1;
    char id[32], want[48];
    snprintf(id, sizeof id, "%s%d", g_prefix, k);
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
  fprintf(stderr, "%s: %d tasks acknowledged, %d completed twice\n", what, acked, twice);
  assert_int_equal(acked, N);
  assert_int_equal(bad, 0);
}

static void ok_on_node(int i, int argc, const char **argv) {
  assert_int_equal(orca_test_cluster_ok(&g_cluster, i, argc, argv), 0);
}

/* Move every key of slot from node src to node dst, as redis-cli --cluster
 * reshard does: IMPORTING, MIGRATING, MIGRATE in batches, then NODE on
 * every primary. */
static void migrate_slot(int slot, int src, int dst) {
  char sl[16], src_id[64], dst_id[64], port[16];
  snprintf(sl, sizeof sl, "%d", slot);
  snprintf(port, sizeof port, "%d", g_cluster.node[dst].port);
  assert_int_equal(orca_test_cluster_node_id(&g_cluster, src, src_id, sizeof src_id), 0);
  assert_int_equal(orca_test_cluster_node_id(&g_cluster, dst, dst_id, sizeof dst_id), 0);
  ok_on_node(dst, 5, (const char *[]){"CLUSTER", "SETSLOT", sl, "IMPORTING", src_id});
  ok_on_node(src, 5, (const char *[]){"CLUSTER", "SETSLOT", sl, "MIGRATING", dst_id});
  for (;;) {
    redisReply *keys = on_node(src, 4, (const char *[]){"CLUSTER", "GETKEYSINSLOT", sl, "50"});
    assert_int_equal(keys->type, REDIS_REPLY_ARRAY);
    size_t nk = keys->elements;
    if (nk > 0) {
      const char *argv[64];
      int argc = 0;
      argv[argc++] = "MIGRATE";
      argv[argc++] = "127.0.0.1";
      argv[argc++] = port;
      argv[argc++] = "";
      argv[argc++] = "0";
      argv[argc++] = "5000";
      argv[argc++] = "KEYS";
      for (size_t i = 0; i < nk; i++)
        argv[argc++] = keys->element[i]->str;
      ok_on_node(src, argc, argv);
    }
    freeReplyObject(keys);
    if (nk == 0)
      break;
  }
  ok_on_node(dst, 5, (const char *[]){"CLUSTER", "SETSLOT", sl, "NODE", dst_id});
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++)
    if (i != dst && g_cluster.node[i].pid > 0 && orca_test_cluster_is_primary(&g_cluster, i))
      ok_on_node(i, 5, (const char *[]){"CLUSTER", "SETSLOT", sl, "NODE", dst_id});
}

static void test_busy_queue_migrated(void **state) {
  (void)state;
  const char *q = g_queues[2];
  int slot = (int)orca__redis_key_slot(q, strlen(q));
  int src = orca_test_cluster_owner(&g_cluster, slot);
  int dst = orca_test_cluster_owner(&g_cluster,
                                    (int)orca__redis_key_slot(g_queues[1], strlen(g_queues[1])));
  assert_true(src >= 0 && dst >= 0 && src != dst);
  run_start(&q, 1, "m");
  migrate_slot(slot, src, dst);
  run_finish("migration");
  assert_int_equal(orca_test_cluster_owner(&g_cluster, slot), dst);
  assert_int_equal(orca_test_cluster_wait_ok(&g_cluster, 30000), 0);
}

/* Schedule fires from three "nodes" (threads with their own handles)
 * racing for every fire time of schedule "beat", each fire enqueueing task
 * beat@T into queue "beats" (nobody consumes it). */
#define FIRERS 3
#define MAX_FIRES 200000
static atomic_int g_wins[MAX_FIRES + 1]; /* fires of time T that returned 0 */
static atomic_bool g_fire_stop;

static void *firer(void *arg) {
  (void)arg;
  orca__backend *b = open_backend();
  orca__schedule_rec rec = {0};
  while (!atomic_load(&g_fire_stop)) {
    if (b->ops->schedule_get(b, "beat", &rec))
      continue; /* failing over */
    int64_t t = rec.next_fire_us;
    if (t > MAX_FIRES)
      break;
    char id[32];
    snprintf(id, sizeof id, "beat@%lld", (long long)t);
    orca__job j = {.id = id,
                   .task = "test.beat",
                   .queue = "beats",
                   .payload = (const uint8_t *)"p",
                   .payload_len = 1,
                   .state_ttl_us = 3600000000LL};
    if (b->ops->schedule_fire(b, "beat", t, t + 1, &j, 1) == 0)
      atomic_fetch_add(&g_wins[t], 1);
  }
  orca_buf_free(&rec.spec);
  orca__backend_close(b);
  return NULL;
}

static void test_primary_killed_mid_run(void **state) {
  (void)state;
  orca__backend *b = open_backend();
  orca__schedule_rec rec = {.name = "beat", .next_fire_us = 1};
  assert_int_equal(orca_buf_append(&rec.spec, "spec", 4), 0);
  assert_int_equal(b->ops->schedule_put(b, &rec, false), 0);
  orca_buf_free(&rec.spec);
  pthread_t fire_th[FIRERS];
  for (int i = 0; i < FIRERS; i++)
    assert_int_equal(pthread_create(&fire_th[i], NULL, firer, NULL), 0);

  /* The victim serves the schedules and one of the three queues. */
  run_start(g_queues, QUEUES, "t");
  int victim = orca_test_cluster_owner(&g_cluster, (int)orca__redis_key_slot("sched", 5));
  assert_true(victim >= 0);
  orca_test_cluster_kill(&g_cluster, victim);
  run_finish("failover");
  atomic_store(&g_fire_stop, true);
  for (int i = 0; i < FIRERS; i++)
    pthread_join(fire_th[i], NULL);
  assert_int_equal(orca_test_cluster_wait_ok(&g_cluster, 30000), 0);

  /* Every fire time before the schedule's next: won at most once, and its
   * task enqueued or (its winner cut off by the failover) in the outbox,
   * where the next fire after the op timeout re-sends it. */
  assert_int_equal(b->ops->schedule_get(b, "beat", &rec), 0);
  int64_t last = rec.next_fire_us;
  orca_buf_free(&rec.spec);
  assert_true(last > 1);
  int twice = 0, lost = 0, pending = 0;
  orca_task_info info = {0};
  for (int64_t t = 1; t < last && t <= MAX_FIRES; t++) {
    twice += atomic_load(&g_wins[t]) > 1;
    char id[32];
    snprintf(id, sizeof id, "beat@%lld", (long long)t);
    if (b->ops->state_get(b, id, &info) == 0)
      continue;
    int owner = orca_test_cluster_owner(&g_cluster, (int)orca__redis_key_slot("sched", 5));
    redisReply *r = on_node(owner, 3, (const char *[]){"HEXISTS", "orca:{sched}:out", id});
    if (r->integer == 1)
      pending++;
    else if (lost++ < 5)
      fprintf(stderr, "fire %s: no task and no outbox entry\n", id);
    freeReplyObject(r);
  }
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  orca__backend_close(b);
  fprintf(stderr, "fires: %lld times fired by %d nodes, %d still in the outbox\n",
          (long long)(last - 1), FIRERS, pending);
  assert_int_equal(twice, 0);
  assert_int_equal(lost, 0);
}

static int setup(void **state) {
  (void)state;
  if (orca_test_cluster_start(&g_cluster))
    return -1;
  return pick_queues();
}

static int teardown(void **state) {
  (void)state;
  orca_test_cluster_stop(&g_cluster);
  return 0;
}

int main(void) {
  if (!orca__redis_ops.open)
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_many_queues), cmocka_unit_test(test_schedule_outbox),
      cmocka_unit_test(test_busy_queue_migrated), cmocka_unit_test(test_primary_killed_mid_run)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
