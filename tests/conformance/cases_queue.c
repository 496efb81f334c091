/* cases_queue.c — conformance cases for moving tasks: enqueue (batches,
 * duplicates, unique keys), fetch order (priority, queues, eta), leases
 * (expiry, extension, stale completions) and the four completion outcomes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

static void enqueue_fetch_complete(void **state) {
  cf *f = *state;
  orca__job j = cf_job("t1", "default", 0, 0, "hello");
  cf_enqueue1(f, &j, 0);
  assert_int_equal(cf_fetch1(f, "default", "w1", 30 * CF_SEC, 8), 1);
  orca__lease *l = f->slots[0];
  assert_string_equal(l->id, "t1");
  assert_string_equal(l->queue, "default");
  assert_int_equal(l->deliveries, 1);
  assert_int_equal(l->lease_until_us, cf_now(f) + 30 * CF_SEC);
  cf_assert_payload(l, "hello");
  /* Leased: nobody else gets it. */
  assert_int_equal(cf_fetch1(f, "default", "w2", 30 * CF_SEC, 8), 0);
  orca__completion c = cf_done(l, ORCA__ACK, "w1");
  c.result = (const uint8_t *)"\x2a";
  c.result_len = 1;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  orca_task_info info;
  cf_state(f, "t1", &info);
  assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
  assert_int_equal(info.result.len, 1);
  assert_int_equal(info.result.data[0], 0x2a);
  cf_info_free(&info);
  assert_int_equal(cf_fetch1(f, "default", "w1", 30 * CF_SEC, 8), 0);
}

static void batch_enqueue_fifo(void **state) {
  cf *f = *state;
  enum { N = 500 };
  static char ids[N][16];
  orca__job jobs[N];
  orca__enqueue_result res[N];
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "b%04d", i);
    jobs[i] = cf_job(ids[i], "bulk", 0, 0, "payload-of-a-batch-job");
  }
  assert_int_equal(f->ops->enqueue(f->b, jobs, N, res), 0);
  for (int i = 0; i < N; i++)
    assert_int_equal(res[i].status, 0);
  assert_int_equal(cf_fetch1(f, "bulk", "w", 60 * CF_SEC, 1000), N);
  orca__completion done[N];
  for (int i = 0; i < N; i++) {
    if (cf_log_caps(f) & ORCA__LOG_ORDERED)
      assert_string_equal(f->slots[i]->id, ids[i]); /* FIFO within equal priority */
    else /* ordered per partition only: N distinct ids in N slots */
      cf_slot(f, N, ids[i]);
    done[i] = cf_done(f->slots[i], ORCA__ACK, "w");
  }
  assert_int_equal(f->ops->complete(f->b, done, N), 0);
  orca_queue_stats st[4];
  size_t n = 0;
  assert_int_equal(f->ops->stats(f->b, st, 4, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(st[0].succeeded, N);
  assert_int_equal(st[0].pending + st[0].running, 0);
}

static void duplicate_id(void **state) {
  cf *f = *state;
  orca__job jobs[3] = {cf_job("d1", "q", 0, 0, "a"), cf_job("d1", "q", 0, 0, "b"),
                       cf_job("d2", "q", 0, 0, "c")};
  orca__enqueue_result res[3];
  memset(res, 0, sizeof res);
  assert_int_equal(f->ops->enqueue(f->b, jobs, 3, res), 0);
  assert_int_equal(res[0].status, 0);
  assert_int_equal(res[1].status, ORCA_EDUPLICATE);
  assert_string_equal(res[1].existing_id, "d1");
  assert_int_equal(res[2].status, 0);
  cf_enqueue1(f, &jobs[0], ORCA_EDUPLICATE);
  assert_int_equal(cf_fetch1(f, "q", "w", CF_SEC, 8), 2);
  cf_assert_payload(f->slots[cf_slot(f, 2, "d1")], "a");
}

static void unique_key(void **state) {
  cf *f = *state;
  orca__job a = cf_job("u1", "q", 0, 0, "x");
  a.unique_key = "charge:42";
  a.unique_ttl_us = 10 * CF_SEC;
  cf_enqueue1(f, &a, 0);
  orca__job b = cf_job("u2", "q", 0, 0, "x");
  b.unique_key = "charge:42";
  b.unique_ttl_us = 10 * CF_SEC;
  orca__enqueue_result r = {0};
  assert_int_equal(f->ops->enqueue(f->b, &b, 1, &r), 0);
  assert_int_equal(r.status, ORCA_EDUPLICATE);
  assert_string_equal(r.existing_id, "u1");
  cf_advance(f, 11 * CF_SEC); /* the key expired */
  cf_enqueue1(f, &b, 0);
  /* A completion that drops the key frees it at once. */
  assert_int_equal(cf_fetch1(f, "q", "w", 60 * CF_SEC, 8), 2);
  orca__lease *l2 = strcmp(f->slots[0]->id, "u2") == 0 ? f->slots[0] : f->slots[1];
  orca__completion c = cf_done(l2, ORCA__ACK, "w");
  c.unique_key = "charge:42";
  c.unique_ttl_us = 0;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  orca__job d = cf_job("u3", "q", 0, 0, "x");
  d.unique_key = "charge:42";
  d.unique_ttl_us = 10 * CF_SEC;
  cf_enqueue1(f, &d, 0);
}

static void priority_order(void **state) {
  cf *f = *state;
  if (!(cf_log_caps(f) & ORCA__LOG_ORDERED))
    skip(); /* no priorities within a queue (Kafka, docs/kafka.md) */
  orca__job jobs[4] = {cf_job("p0", "q", 0, 0, "a"), cf_job("p5", "q", 5, 0, "b"),
                       cf_job("p1", "q", 1, 0, "c"), cf_job("p5b", "q", 5, 0, "d")};
  orca__enqueue_result res[4];
  assert_int_equal(f->ops->enqueue(f->b, jobs, 4, res), 0);
  assert_int_equal(cf_fetch1(f, "q", "w", CF_SEC, 2), 2);
  assert_string_equal(f->slots[0]->id, "p5");
  assert_string_equal(f->slots[1]->id, "p5b");
  assert_int_equal(cf_fetch1(f, "q", "w", CF_SEC, 8), 2);
  assert_string_equal(f->slots[0]->id, "p1");
  assert_string_equal(f->slots[1]->id, "p0");
}

static void queue_order(void **state) {
  cf *f = *state;
  if (!(cf_log_caps(f) & ORCA__LOG_ORDERED))
    skip(); /* queues are served as the consumer sees partitions (Kafka) */
  orca__job jobs[4] = {cf_job("l1", "low", 9, 0, "a"), cf_job("h1", "high", 0, 0, "b"),
                       cf_job("l2", "low", 9, 0, "c"), cf_job("h2", "high", 0, 0, "d")};
  orca__enqueue_result res[4];
  assert_int_equal(f->ops->enqueue(f->b, jobs, 4, res), 0);
  const char *qs[2] = {"high", "low"};
  assert_int_equal(cf_fetch(f, f->b, qs, 2, "w", CF_SEC, 3), 3);
  assert_string_equal(f->slots[0]->id, "h1");
  assert_string_equal(f->slots[1]->id, "h2");
  assert_string_equal(f->slots[2]->id, "l1");
  assert_string_equal(f->slots[2]->queue, "low");
  const char *other[1] = {"nothing-here"};
  assert_int_equal(cf_fetch(f, f->b, other, 1, "w", CF_SEC, 3), 0);
}

static void deferred_and_promote(void **state) {
  cf *f = *state;
  int64_t t0 = cf_now(f);
  orca__job a = cf_job("later", "q", 0, t0 + 10 * CF_SEC, "a");
  orca__job b = cf_job("later2", "q", 0, t0 + 20 * CF_SEC, "b");
  cf_enqueue1(f, &a, 0);
  cf_enqueue1(f, &b, 0);
  orca_task_info info;
  cf_state(f, "later", &info);
  assert_int_equal(info.state, ORCA_STATE_SCHEDULED);
  assert_int_equal(info.eta_us, t0 + 10 * CF_SEC);
  cf_info_free(&info);
  assert_int_equal(cf_fetch1(f, "q", "w", CF_SEC, 8), 0);
  int64_t next = 0;
  assert_int_equal(f->ops->promote(f->b, cf_now(f), 100, &next), 0);
  assert_int_equal(next, t0 + 10 * CF_SEC);
  cf_advance(f, 9 * CF_SEC);
  assert_int_equal(cf_fetch1(f, "q", "w", CF_SEC, 8), 0);
  cf_advance(f, CF_SEC);
  int moved = f->ops->promote(f->b, cf_now(f), 100, &next);
  assert_true(moved >= 0 && moved <= 1);
  assert_int_equal(next, t0 + 20 * CF_SEC);
  assert_int_equal(cf_fetch1(f, "q", "w", 600 * CF_SEC, 8), 1);
  assert_string_equal(f->slots[0]->id, "later");
  int64_t reclaim = cf_now(f) + 600 * CF_SEC;
  cf_advance(f, 10 * CF_SEC);
  assert_true(f->ops->promote(f->b, cf_now(f), 100, &next) >= 0);
  /* without leases in the log, the store's timer reclaims a running task
   * whose worker stops renewing (store.h): the only one left is that */
  assert_int_equal(next, cf_log_caps(f) & ORCA__LOG_LEASES ? INT64_MAX : reclaim);
  assert_int_equal(cf_fetch1(f, "q", "w", CF_SEC, 8), 1);
  assert_string_equal(f->slots[0]->id, "later2");
}

static void lease_expiry_redelivers(void **state) {
  cf *f = *state;
  if (!(cf_log_caps(f) & ORCA__LOG_LEASES))
    skip(); /* a log without leases (Kafka) never hands a held delivery out again */
  orca__job j = cf_job("le", "q", 0, 0, "p");
  cf_enqueue1(f, &j, 0);
  assert_int_equal(cf_fetch1(f, "q", "dead-worker", 5 * CF_SEC, 1), 1);
  orca__lease first = *f->slots[0];
  first.payload = (orca_buf)ORCA_BUF_INIT;
  cf_advance(f, 4 * CF_SEC);
  assert_int_equal(cf_fetch1(f, "q", "w2", 5 * CF_SEC, 1), 0);
  cf_advance(f, 2 * CF_SEC);
  assert_int_equal(cf_fetch1(f, "q", "w2", 5 * CF_SEC, 1), 1);
  assert_string_equal(f->slots[0]->id, "le");
  assert_int_equal(f->slots[0]->deliveries, 2);
  cf_assert_payload(f->slots[0], "p");
  orca_task_info info;
  cf_state(f, "le", &info);
  assert_int_equal(info.state, ORCA_STATE_RUNNING);
  assert_string_equal(info.worker, "w2");
  cf_info_free(&info);
  /* The old owner's completion is stale: skipped without error. */
  orca__completion stale = cf_done(&first, ORCA__ACK, "dead-worker");
  assert_int_equal(f->ops->complete(f->b, &stale, 1), 0);
  cf_state(f, "le", &info);
  assert_int_equal(info.state, ORCA_STATE_RUNNING);
  cf_info_free(&info);
}

static void extend_keeps_lease(void **state) {
  cf *f = *state;
  if (!(cf_log_caps(f) & ORCA__LOG_LEASES))
    skip(); /* a log without leases (Kafka) never hands a held delivery out again */
  orca__job j = cf_job("ex", "q", 0, 0, "p");
  cf_enqueue1(f, &j, 0);
  assert_int_equal(cf_fetch1(f, "q", "w1", 5 * CF_SEC, 1), 1);
  orca__lease mine = *f->slots[0];
  mine.payload = (orca_buf)ORCA_BUF_INIT;
  orca__lease *mp = &mine;
  cf_advance(f, 4 * CF_SEC);
  int st = 1;
  assert_int_equal(f->ops->extend(f->b, &mp, 1, "w1", 5 * CF_SEC, &st), 0);
  assert_int_equal(st, 0);
  assert_int_equal(mine.lease_until_us, cf_now(f) + 5 * CF_SEC);
  cf_advance(f, 4 * CF_SEC); /* past the first lease, inside the extension */
  assert_int_equal(cf_fetch1(f, "q", "w2", 5 * CF_SEC, 1), 0);
  cf_advance(f, 2 * CF_SEC); /* the extension ran out too */
  assert_int_equal(cf_fetch1(f, "q", "w2", 5 * CF_SEC, 1), 1);
  assert_int_equal(f->ops->extend(f->b, &mp, 1, "w1", 5 * CF_SEC, &st), 0);
  assert_int_equal(st, ORCA_ELOST);
  orca__lease *theirs = f->slots[0];
  assert_int_equal(f->ops->extend(f->b, &theirs, 1, "w2", 5 * CF_SEC, &st), 0);
  assert_int_equal(st, 0);
}

static void stale_completion_skipped(void **state) {
  cf *f = *state;
  if (!(cf_log_caps(f) & ORCA__LOG_LEASES))
    skip(); /* a log without leases (Kafka) never hands a held delivery out again */
  orca__job jobs[2] = {cf_job("s1", "q", 0, 0, "a"), cf_job("s2", "q", 0, 0, "b")};
  orca__enqueue_result res[2];
  assert_int_equal(f->ops->enqueue(f->b, jobs, 2, res), 0);
  assert_int_equal(cf_fetch1(f, "q", "w1", CF_SEC, 2), 2);
  orca__lease old[2] = {*f->slots[0], *f->slots[1]};
  old[0].payload = old[1].payload = (orca_buf)ORCA_BUF_INIT;
  cf_advance(f, 2 * CF_SEC);
  assert_int_equal(cf_fetch1(f, "q", "w2", CF_SEC * 60, 1), 1); /* takes over one */
  const char *taken = f->slots[0]->id;
  orca__completion c[2] = {cf_done(&old[0], ORCA__ACK, "w1"), cf_done(&old[1], ORCA__ACK, "w1")};
  assert_int_equal(f->ops->complete(f->b, c, 2), 0);
  orca_task_info info;
  for (int i = 0; i < 2; i++) {
    cf_state(f, old[i].id, &info);
    if (strcmp(old[i].id, taken) == 0)
      assert_int_equal(info.state, ORCA_STATE_RUNNING); /* skipped */
    else /* lease ran out, nobody took it: either outcome is allowed */
      assert_true(info.state == ORCA_STATE_SUCCEEDED || info.state == ORCA_STATE_PENDING);
    cf_info_free(&info);
  }
}

static void retry_new_payload_and_eta(void **state) {
  cf *f = *state;
  orca__job j = cf_job("r1", "q", 0, 0, "v1");
  cf_enqueue1(f, &j, 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 1), 1);
  orca__completion c = cf_done(f->slots[0], ORCA__RETRY, "w");
  c.error = "boom";
  c.payload = (const uint8_t *)"v2";
  c.payload_len = 2;
  c.retry_at_us = cf_now(f) + 30 * CF_SEC;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  orca_task_info info;
  cf_state(f, "r1", &info);
  assert_true(info.state == ORCA_STATE_FAILED || info.state == ORCA_STATE_SCHEDULED);
  assert_string_equal(info.error, "boom");
  assert_int_equal(info.attempt, 1);
  assert_int_equal(info.eta_us, cf_now(f) + 30 * CF_SEC);
  cf_info_free(&info);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 1), 0);
  cf_advance(f, 30 * CF_SEC);
  int64_t next;
  assert_true(f->ops->promote(f->b, cf_now(f), 100, &next) >= 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 1), 1);
  cf_assert_payload(f->slots[0], "v2");
  cf_state(f, "r1", &info);
  assert_int_equal(info.state, ORCA_STATE_RUNNING);
  assert_int_equal(info.attempt, 2);
  cf_info_free(&info);
}

static void release_gives_back(void **state) {
  cf *f = *state;
  orca__job j = cf_job("rel", "q", 0, 0, "p");
  cf_enqueue1(f, &j, 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 1), 1);
  orca__completion c = cf_done(f->slots[0], ORCA__RELEASE, "w");
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  orca_task_info info;
  cf_state(f, "rel", &info);
  assert_int_equal(info.state, ORCA_STATE_PENDING);
  cf_info_free(&info);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 1), 1); /* at once, no clock move */
  assert_string_equal(f->slots[0]->id, "rel");
}

static uint32_t deliveries_of(cf *f, const char *id, orca_state want) {
  orca_task_info info;
  cf_state(f, id, &info);
  assert_int_equal(info.state, want);
  uint32_t n = info.deliveries;
  cf_info_free(&info);
  return n;
}

/* The record counts deliveries: each fetch of the task, including a second
 * one after a lease ran out, across retries; a release takes its own back;
 * a requeue from the dead-letter queue starts afresh. */
static void deliveries_counted(void **state) {
  cf *f = *state;
  if (!(cf_log_caps(f) & ORCA__LOG_LEASES))
    skip(); /* a log without leases (Kafka) never hands a held delivery out again */
  orca__job j = cf_job("dv", "q", 0, 0, "p");
  cf_enqueue1(f, &j, 0);
  assert_int_equal(deliveries_of(f, "dv", ORCA_STATE_PENDING), 0);
  assert_int_equal(cf_fetch1(f, "q", "w1", 5 * CF_SEC, 1), 1);
  assert_int_equal(deliveries_of(f, "dv", ORCA_STATE_RUNNING), 1);
  cf_advance(f, 6 * CF_SEC); /* w1 lost its lease: w2 runs the same attempt */
  assert_int_equal(cf_fetch1(f, "q", "w2", 5 * CF_SEC, 1), 1);
  assert_int_equal(f->slots[0]->deliveries, 2);
  orca_task_info info;
  cf_state(f, "dv", &info);
  assert_int_equal(info.attempt, 1);
  assert_int_equal(info.deliveries, 2);
  cf_info_free(&info);

  orca__completion c = cf_done(f->slots[0], ORCA__RETRY, "w2");
  c.error = "again";
  c.payload = (const uint8_t *)"p";
  c.payload_len = 1;
  c.retry_at_us = cf_now(f) + CF_SEC;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  cf_state(f, "dv", &info);
  assert_true(info.state == ORCA_STATE_FAILED || info.state == ORCA_STATE_SCHEDULED);
  assert_int_equal(info.deliveries, 2);
  cf_info_free(&info);
  cf_advance(f, CF_SEC);
  int64_t next;
  assert_true(f->ops->promote(f->b, cf_now(f), 10, &next) >= 0);
  assert_int_equal(cf_fetch1(f, "q", "w3", 5 * CF_SEC, 1), 1);
  assert_int_equal(deliveries_of(f, "dv", ORCA_STATE_RUNNING), 3);
  c = cf_done(f->slots[0], ORCA__RELEASE, "w3");
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  assert_int_equal(deliveries_of(f, "dv", ORCA_STATE_PENDING), 2);
  assert_int_equal(cf_fetch1(f, "q", "w4", 5 * CF_SEC, 1), 1);
  c = cf_done(f->slots[0], ORCA__ACK, "w4");
  c.attempt = 2;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  cf_state(f, "dv", &info);
  assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
  assert_int_equal(info.attempt, 2);
  assert_int_equal(info.deliveries, 3);
  cf_info_free(&info);

  orca__job d = cf_job("dv-dead", "q", 0, 0, "p");
  cf_enqueue1(f, &d, 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 5 * CF_SEC, 1), 1);
  c = cf_done(f->slots[0], ORCA__DEAD, "w");
  c.error = "no";
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  assert_int_equal(deliveries_of(f, "dv-dead", ORCA_STATE_DEAD), 1);
  size_t n = 0;
  assert_int_equal(f->ops->dlq_requeue(f->b, "q", "dv-dead", &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(deliveries_of(f, "dv-dead", ORCA_STATE_PENDING), 0);
}

/* dlq_list callback of dead_letter: count entries, check they are dead. */
typedef struct dl_seen {
  int n;
} dl_seen;

static int dl_collect(void *ud, const orca_task_info *i) {
  dl_seen *seen = ud;
  assert_int_equal(i->state, ORCA_STATE_DEAD);
  assert_string_equal(i->error, "out of attempts");
  seen->n++;
  return 0;
}

static void dead_letter(void **state) {
  cf *f = *state;
  orca__job jobs[2] = {cf_job("dl1", "q", 0, 0, "a"), cf_job("dl2", "q", 0, 0, "b")};
  orca__enqueue_result res[2];
  assert_int_equal(f->ops->enqueue(f->b, jobs, 2, res), 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 2), 2);
  orca__completion c[2] = {cf_done(f->slots[0], ORCA__DEAD, "w"),
                           cf_done(f->slots[1], ORCA__DEAD, "w")};
  c[0].error = c[1].error = "out of attempts";
  assert_int_equal(f->ops->complete(f->b, c, 2), 0);
  orca_task_info info;
  cf_state(f, "dl1", &info);
  assert_int_equal(info.state, ORCA_STATE_DEAD);
  assert_string_equal(info.error, "out of attempts");
  cf_info_free(&info);
  dl_seen seen = {0};
  orca__info_cb collect = dl_collect;
  assert_int_equal(f->ops->dlq_list(f->b, "q", 0, 10, collect, &seen), 0);
  assert_int_equal(seen.n, 2);
  seen.n = 0;
  assert_int_equal(f->ops->dlq_list(f->b, NULL, 1, 10, collect, &seen), 0);
  assert_int_equal(seen.n, 1);
  seen.n = 0;
  assert_int_equal(f->ops->dlq_list(f->b, "other", 0, 10, collect, &seen), 0);
  assert_int_equal(seen.n, 0);
  size_t count = 0;
  assert_int_equal(f->ops->dlq_requeue(f->b, "q", "dl1", &count), 0);
  assert_int_equal(count, 1);
  cf_state(f, "dl1", &info);
  assert_int_equal(info.state, ORCA_STATE_PENDING);
  cf_info_free(&info);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 4), 1);
  assert_string_equal(f->slots[0]->id, "dl1");
  assert_int_equal(f->ops->dlq_purge(f->b, NULL, NULL, &count), 0);
  assert_int_equal(count, 1);
  seen.n = 0;
  assert_int_equal(f->ops->dlq_list(f->b, NULL, 0, 10, collect, &seen), 0);
  assert_int_equal(seen.n, 0);
}

/* Dead tasks keep their arguments: dlq_list shows the args of the stored
 * envelope, as state_get does. A limit of SIZE_MAX means "all", also after
 * an offset. */
typedef struct dl_args {
  int n;
  size_t len[4];
} dl_args;

static int dl_collect_args(void *ud, const orca_task_info *i) {
  dl_args *seen = ud;
  assert_true(seen->n < 4);
  seen->len[seen->n++] = i->args.len;
  return 0;
}

static void dead_letter_args(void **state) {
  cf *f = *state;
  static const uint8_t args[] = {0x81, 0x01, 0x2a}; /* {1: 42} */
  orca_buf env[3] = {ORCA_BUF_INIT, ORCA_BUF_INIT, ORCA_BUF_INIT};
  const char *ids[3] = {"da1", "da2", "da3"};
  for (int i = 0; i < 3; i++) {
    orca__job j = cf_job_env(ids[i], "q", args, sizeof args, &env[i]);
    cf_enqueue1(f, &j, 0);
    orca_buf_free(&env[i]);
  }
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 3), 3);
  orca__completion c[3];
  for (int i = 0; i < 3; i++) {
    c[i] = cf_done(f->slots[i], ORCA__DEAD, "w");
    c[i].error = "gave up";
  }
  assert_int_equal(f->ops->complete(f->b, c, 3), 0);
  dl_args seen = {0};
  assert_int_equal(f->ops->dlq_list(f->b, "q", 0, SIZE_MAX, dl_collect_args, &seen), 0);
  assert_int_equal(seen.n, 3);
  for (int i = 0; i < 3; i++)
    assert_int_equal(seen.len[i], sizeof args);
  memset(&seen, 0, sizeof seen);
  assert_int_equal(f->ops->dlq_list(f->b, NULL, 1, SIZE_MAX, dl_collect_args, &seen), 0);
  assert_int_equal(seen.n, 2);
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, cf_setup, cf_teardown)
const struct CMUnitTest cf_queue_cases[] = {
    CASE(enqueue_fetch_complete),
    CASE(batch_enqueue_fifo),
    CASE(duplicate_id),
    CASE(unique_key),
    CASE(priority_order),
    CASE(queue_order),
    CASE(deferred_and_promote),
    CASE(lease_expiry_redelivers),
    CASE(extend_keeps_lease),
    CASE(stale_completion_skipped),
    CASE(retry_new_payload_and_eta),
    CASE(release_gives_back),
    CASE(deliveries_counted),
    CASE(dead_letter),
    CASE(dead_letter_args),
};
const size_t cf_queue_ncases = sizeof cf_queue_cases / sizeof cf_queue_cases[0];
