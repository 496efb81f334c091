/* cases_store.c — what every store promises beside a separate log
 * (runtime/backend/store.h), on a store alone: admit and its duplicates,
 * the handoff window, which deliveries start, finish matched by (worker,
 * deliveries), retries and deferred tasks waiting for `due`, reclaim of a
 * run whose lease ran out, cancel, the dead letters and the schedule fire. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

/* A delivery of id as a log hands it out (no lease of its own). */
static orca__lease *delivery(cf *f, size_t slot, const char *id, const char *queue) {
  orca__lease *l = f->slots[slot];
  memset(l->id, 0, sizeof l->id);
  strcpy(l->id, id);
  strcpy(l->queue, queue);
  strcpy(l->ref, "log-ref");
  l->deliveries = 1;
  l->lease_until_us = INT64_MAX;
  return l;
}

static void admit1(cf *f, const orca__job *j, int want) {
  orca__enqueue_result r = {0};
  assert_int_equal(f->store->ops->admit(f->store, j, 1, &r), 0);
  assert_int_equal(r.status, want);
}

static int start1(cf *f, orca__lease *l, const char *worker, int64_t lease_us, bool takeover) {
  orca__lease *ls[1] = {l};
  int st = 99;
  assert_int_equal(f->store->ops->start(f->store, ls, 1, worker, lease_us, takeover, &st), 0);
  return st;
}

static void finish1(cf *f, const orca__completion *c) {
  assert_int_equal(f->store->ops->finish(f->store, c, 1), 0);
}

static orca_state sstate(cf *f, const char *id) {
  orca_task_info info = {0};
  int rc = f->store->ops->state_get(f->store, id, &info);
  if (rc)
    fail_msg("state_get(%s): %s", id, orca_err_name(rc));
  cf_info_free(&info);
  return info.state;
}

/* What `due` handed out: ids (concatenated, space-separated), each with
 * its queue ("id@queue ", in the order handed out), and count. */
typedef struct handed {
  char ids[256];
  char where[256];
  size_t n;
  uint32_t attempt;
  char payload[32];
} handed;

static int on_due(void *ud, const orca__job *j) {
  handed *h = ud;
  strcat(h->ids, j->id);
  strcat(h->ids, " ");
  size_t w = strlen(h->where);
  snprintf(h->where + w, sizeof h->where - w, "%s@%s ", j->id, j->queue);
  h->n++;
  h->attempt = j->attempt;
  size_t n = j->payload_len < sizeof h->payload - 1 ? j->payload_len : sizeof h->payload - 1;
  memcpy(h->payload, j->payload, n);
  h->payload[n] = '\0';
  return 0;
}

static int due(cf *f, bool reclaim, handed *h, int64_t *next) {
  memset(h, 0, sizeof *h);
  int n = f->store->ops->due(f->store, cf_now(f), 100, reclaim, on_due, h, next);
  assert_true(n >= 0);
  assert_int_equal((size_t)n, h->n);
  return n;
}

static void store_admit(void **state) {
  cf *f = *state;
  orca__job j = cf_job("a1", "q", 0, 0, "p");
  j.unique_key = "k";
  j.unique_ttl_us = 600 * CF_SEC;
  admit1(f, &j, 0);
  admit1(f, &j, ORCA_EDUPLICATE);
  orca__job k = cf_job("a2", "q", 0, 0, "p");
  k.unique_key = "k";
  k.unique_ttl_us = 600 * CF_SEC;
  orca__enqueue_result r = {0};
  assert_int_equal(f->store->ops->admit(f->store, &k, 1, &r), 0);
  assert_int_equal(r.status, ORCA_EDUPLICATE);
  assert_string_equal(r.existing_id, "a1");
  orca__job later = cf_job("a3", "q", 0, cf_now(f) + 10 * CF_SEC, "p");
  admit1(f, &later, 0);
  assert_int_equal(sstate(f, "a1"), ORCA_STATE_PENDING);
  assert_int_equal(sstate(f, "a3"), ORCA_STATE_SCHEDULED);
  orca__job none = cf_job("a4", "q", 0, 0, "p");
  assert_int_equal(f->store->ops->handed(f->store, &none, 1), 0); /* unknown: left alone */
}

static void store_handoff_window(void **state) {
  cf *f = *state;
  orca__job j = cf_job("h1", "q", 0, 0, "hp");
  orca__job k = cf_job("h2", "q", 0, 0, "kp");
  admit1(f, &j, 0);
  admit1(f, &k, 0);
  assert_int_equal(f->store->ops->handed(f->store, &k, 1), 0);
  /* h1 was never confirmed (its caller died): handed out again once its
   * window passed, h2 (in the log) never. */
  handed h;
  int64_t next = 0;
  assert_int_equal(due(f, false, &h, &next), 0);
  assert_int_equal(next, cf_now(f) + ORCA__HANDOFF_US);
  cf_advance(f, ORCA__HANDOFF_US);
  assert_int_equal(due(f, false, &h, &next), 1);
  assert_string_equal(h.ids, "h1 ");
  assert_string_equal(h.payload, "hp");
  assert_int_equal(next, INT64_MAX);
  assert_int_equal(f->store->ops->handed(f->store, &j, 1), 0);
  cf_advance(f, 2 * ORCA__HANDOFF_US);
  assert_int_equal(due(f, false, &h, &next), 0);
}

static void store_start_and_finish(void **state) {
  cf *f = *state;
  orca__job j = cf_job("s1", "q", 0, 0, "p");
  admit1(f, &j, 0);
  /* The log may deliver before handed is called: it runs. */
  orca__lease *l = delivery(f, 0, "s1", "q");
  assert_int_equal(start1(f, l, "w", 30 * CF_SEC, false), 0);
  assert_int_equal(l->deliveries, 1);
  assert_int_equal(l->lease_until_us, cf_now(f) + 30 * CF_SEC);
  assert_int_equal(f->store->ops->handed(f->store, &j, 1), 0);
  assert_int_equal(sstate(f, "s1"), ORCA_STATE_RUNNING);
  /* A second delivery while the first runs under a live lease: dropped. */
  orca__lease *dup = delivery(f, 1, "s1", "q");
  assert_int_equal(start1(f, dup, "w2", 30 * CF_SEC, false), ORCA_ESTATE);
  /* Unknown ids are leftovers too. */
  assert_int_equal(start1(f, delivery(f, 2, "nobody", "q"), "w", CF_SEC, false), ORCA_ESTATE);
  /* A completion under another (worker, deliveries) is skipped. */
  orca__completion c = cf_done(l, ORCA__ACK, "w2");
  finish1(f, &c);
  assert_int_equal(sstate(f, "s1"), ORCA_STATE_RUNNING);
  c = cf_done(l, ORCA__ACK, "w");
  c.result = (const uint8_t *)"r";
  c.result_len = 1;
  finish1(f, &c);
  orca_task_info info = {0};
  assert_int_equal(f->store->ops->state_get(f->store, "s1", &info), 0);
  assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
  assert_int_equal(info.result.len, 1);
  cf_info_free(&info);
  /* A delivery of a finished task (a duplicate append) is dropped. */
  assert_int_equal(start1(f, delivery(f, 1, "s1", "q"), "w", CF_SEC, true), ORCA_ESTATE);
}

static void store_retry_waits(void **state) {
  cf *f = *state;
  orca__job j = cf_job("rt", "q", 0, 0, "v1");
  admit1(f, &j, 0);
  assert_int_equal(f->store->ops->handed(f->store, &j, 1), 0);
  orca__lease *l = delivery(f, 0, "rt", "q");
  assert_int_equal(start1(f, l, "w", 30 * CF_SEC, true), 0);
  orca__completion c = cf_done(l, ORCA__RETRY, "w");
  c.payload = (const uint8_t *)"v2";
  c.payload_len = 2;
  c.retry_at_us = cf_now(f) + 5 * CF_SEC;
  c.error = "boom";
  finish1(f, &c);
  assert_int_equal(sstate(f, "rt"), ORCA_STATE_FAILED);
  /* Its log entry, still delivered, is a leftover: the retry waits here. */
  assert_int_equal(start1(f, delivery(f, 1, "rt", "q"), "w", CF_SEC, true), ORCA_ESTATE);
  handed h;
  int64_t next = 0;
  assert_int_equal(due(f, false, &h, &next), 0);
  assert_int_equal(next, cf_now(f) + 5 * CF_SEC);
  cf_advance(f, 5 * CF_SEC);
  assert_int_equal(due(f, false, &h, &next), 1);
  assert_string_equal(h.ids, "rt ");
  assert_string_equal(h.payload, "v2");
  assert_int_equal(h.attempt, 1);
  assert_int_equal(sstate(f, "rt"), ORCA_STATE_PENDING);
  l = delivery(f, 0, "rt", "q");
  assert_int_equal(start1(f, l, "w", 30 * CF_SEC, true), 0);
  assert_int_equal(l->deliveries, 2);
}

static void store_reclaim(void **state) {
  cf *f = *state;
  orca__job j = cf_job("rc", "q", 0, 0, "p");
  admit1(f, &j, 0);
  assert_int_equal(f->store->ops->handed(f->store, &j, 1), 0);
  orca__lease *l = delivery(f, 0, "rc", "q");
  orca__lease old = *l;
  assert_int_equal(start1(f, l, "old", 5 * CF_SEC, false), 0);
  old.deliveries = l->deliveries;
  cf_advance(f, 6 * CF_SEC);
  handed h;
  int64_t next = 0;
  assert_int_equal(due(f, false, &h, &next), 0); /* a log with leases redelivers it */
  assert_int_equal(due(f, true, &h, &next), 1);  /* a log without: the store does */
  assert_string_equal(h.ids, "rc ");
  assert_int_equal(f->store->ops->handed(f->store, &j, 1), 0);
  l = delivery(f, 1, "rc", "q");
  assert_int_equal(start1(f, l, "new", 5 * CF_SEC, false), 0);
  assert_int_equal(l->deliveries, 2);
  /* The old run's renew is lost, its completion skipped. */
  orca__lease *ls[1] = {&old};
  int st = 0;
  assert_int_equal(f->store->ops->renew(f->store, ls, 1, "old", 5 * CF_SEC, &st), 0);
  assert_int_equal(st, ORCA_ELOST);
  orca__completion c = cf_done(&old, ORCA__ACK, "old");
  finish1(f, &c);
  assert_int_equal(sstate(f, "rc"), ORCA_STATE_RUNNING);
  ls[0] = l;
  assert_int_equal(f->store->ops->renew(f->store, ls, 1, "new", 5 * CF_SEC, &st), 0);
  assert_int_equal(st, 0);
}

static void store_cancel(void **state) {
  cf *f = *state;
  orca__job q = cf_job("cq", "q", 0, 0, "p");
  orca__job r = cf_job("cr", "q", 0, 0, "p");
  admit1(f, &q, 0);
  admit1(f, &r, 0);
  assert_int_equal(f->store->ops->cancel(f->store, "cq"), 0);
  assert_int_equal(sstate(f, "cq"), ORCA_STATE_CANCELLED);
  assert_int_equal(start1(f, delivery(f, 0, "cq", "q"), "w", CF_SEC, true), ORCA_ESTATE);
  orca__lease *l = delivery(f, 1, "cr", "q");
  assert_int_equal(start1(f, l, "w", 5 * CF_SEC, true), 0);
  assert_int_equal(f->store->ops->cancel(f->store, "cr"), 0);
  orca__lease *ls[1] = {l};
  int st = 0;
  assert_int_equal(f->store->ops->renew(f->store, ls, 1, "w", 5 * CF_SEC, &st), 0);
  assert_int_equal(st, ORCA_ECANCELLED);
  /* Its worker died: the reclaim records it cancelled, not handed out. */
  cf_advance(f, 6 * CF_SEC);
  handed h;
  int64_t next = 0;
  assert_int_equal(due(f, true, &h, &next), 0);
  assert_int_equal(sstate(f, "cr"), ORCA_STATE_CANCELLED);
}

static void store_dead_letters(void **state) {
  cf *f = *state;
  orca__job j = cf_job("dl", "q", 0, 0, "p");
  admit1(f, &j, 0);
  orca__lease *l = delivery(f, 0, "dl", "q");
  assert_int_equal(start1(f, l, "w", 5 * CF_SEC, true), 0);
  orca__completion c = cf_done(l, ORCA__DEAD, "w");
  c.error = "poison";
  finish1(f, &c);
  assert_int_equal(sstate(f, "dl"), ORCA_STATE_DEAD);
  size_t count = 0;
  assert_int_equal(f->store->ops->dlq_requeue(f->store, "q", NULL, &count), 0);
  assert_int_equal(count, 1);
  handed h;
  int64_t next = 0;
  assert_int_equal(due(f, false, &h, &next), 1);
  assert_string_equal(h.ids, "dl ");
  assert_int_equal(h.attempt, 0);
}

static void store_schedule_fire(void **state) {
  cf *f = *state;
  orca__schedule_rec rec = {.next_fire_us = cf_now(f), .spec = ORCA_BUF_INIT};
  strcpy(rec.name, "tick");
  assert_int_equal(f->store->ops->schedule_put(f->store, &rec, false), 0);
  orca__job j = cf_job("tick@1", "q", 0, 0, "p");
  orca__enqueue_result r = {.status = 99};
  assert_int_equal(
      f->store->ops->schedule_fire(f->store, "tick", cf_now(f), cf_now(f) + 60 * CF_SEC, &j, 1, &r),
      0);
  assert_int_equal(r.status, 0);
  assert_int_equal(
      f->store->ops->schedule_fire(f->store, "tick", cf_now(f), cf_now(f) + 60 * CF_SEC, &j, 1, &r),
      ORCA_ECONFLICT);
  assert_int_equal(f->store->ops->schedule_fire(f->store, "none", 0, 1, NULL, 0, NULL),
                   ORCA_ENOTFOUND);
  /* The fire's job is admitted (handing): it runs like any other. */
  assert_int_equal(sstate(f, "tick@1"), ORCA_STATE_PENDING);
  assert_int_equal(start1(f, delivery(f, 0, "tick@1", "q"), "w", CF_SEC, true), 0);
}

/* Deferred tasks of two queues (on a Redis Cluster, two slots on two
 * primaries: one call per queue) are handed out together, each with its
 * own queue, and the next due time is the earliest over both. */
static void store_due_queues(void **state) {
  cf *f = *state;
  orca__job a = cf_job("qa1", "qa", 0, cf_now(f) + 10 * CF_SEC, "pa");
  orca__job b = cf_job("qb1", "qb", 0, cf_now(f) + 20 * CF_SEC, "pb");
  admit1(f, &a, 0);
  admit1(f, &b, 0);
  handed h;
  int64_t next = 0;
  assert_int_equal(due(f, false, &h, &next), 0);
  assert_int_equal(next, cf_now(f) + 10 * CF_SEC);
  cf_advance(f, 30 * CF_SEC);
  assert_int_equal(due(f, false, &h, &next), 2);
  if (!strstr(h.where, "qa1@qa ") || !strstr(h.where, "qb1@qb "))
    fail_msg("due handed out '%s'", h.where);
}

/* The succeeded total of queue q in the store's stats. */
static uint64_t succeeded(cf *f) {
  orca_queue_stats st[8];
  size_t n = 0;
  assert_int_equal(f->store->ops->stats(f->store, st, 8, &n), 0);
  for (size_t i = 0; i < n; i++)
    if (strcmp(st[i].queue, "q") == 0)
      return st[i].succeeded;
  return 0;
}

/* Batches answer every item as one call per item would: a store may read
 * and write a batch's places at once only when no id repeats in it, so
 * ids taken before the batch, ids repeated within it and shared unique
 * keys are each checked, and a repeated delivery or completion is neither
 * started nor recorded twice. */
static void store_batches(void **state) {
  cf *f = *state;
  orca__job b0 = cf_job("b0", "q", 0, 0, "p");
  admit1(f, &b0, 0);
  orca__job jobs[5] = {cf_job("b1", "q", 0, 0, "p"), cf_job("b2", "q", 0, 0, "p"),
                       cf_job("b1", "q", 0, 0, "p"), cf_job("b0", "q", 0, 0, "p"),
                       cf_job("b3", "q", 0, 0, "p")};
  orca__enqueue_result res[5] = {{0}};
  assert_int_equal(f->store->ops->admit(f->store, jobs, 5, res), 0);
  int want[5] = {0, 0, ORCA_EDUPLICATE, ORCA_EDUPLICATE, 0};
  for (size_t i = 0; i < 5; i++)
    assert_int_equal(res[i].status, want[i]);
  assert_string_equal(res[2].existing_id, "b1");
  /* Distinct new ids sharing a unique key: the first one holds it. */
  orca__job uj[2] = {cf_job("u1", "q", 0, 0, "p"), cf_job("u2", "q", 0, 0, "p")};
  uj[0].unique_key = uj[1].unique_key = "k";
  uj[0].unique_ttl_us = uj[1].unique_ttl_us = 600 * CF_SEC;
  assert_int_equal(f->store->ops->admit(f->store, uj, 2, res), 0);
  assert_int_equal(res[0].status, 0);
  assert_int_equal(res[1].status, ORCA_EDUPLICATE);
  assert_string_equal(res[1].existing_id, "u1");
  /* handed with a repeat and an unknown id: the others are queued, so the
   * handoff window hands out only b3 (never confirmed) and u1. */
  orca__job hj[4] = {jobs[0], jobs[1], jobs[0], cf_job("nobody", "q", 0, 0, "p")};
  assert_int_equal(f->store->ops->handed(f->store, hj, 4), 0);
  assert_int_equal(f->store->ops->handed(f->store, &b0, 1), 0);
  /* start: b1 twice in one batch runs once; distinct ids, one unknown. */
  orca__lease *ls[3] = {delivery(f, 0, "b1", "q"), delivery(f, 1, "b2", "q"),
                        delivery(f, 2, "b1", "q")};
  int st[3] = {99, 99, 99};
  assert_int_equal(f->store->ops->start(f->store, ls, 3, "w", 30 * CF_SEC, false, st), 0);
  assert_int_equal(st[0], 0);
  assert_int_equal(st[1], 0);
  assert_int_equal(st[2], ORCA_ESTATE);
  assert_int_equal(ls[0]->deliveries, 1);
  orca__lease *l0 = delivery(f, 3, "b0", "q");
  orca__lease *ls2[2] = {l0, delivery(f, 4, "nobody", "q")};
  assert_int_equal(f->store->ops->start(f->store, ls2, 2, "w", 30 * CF_SEC, false, st), 0);
  assert_int_equal(st[0], 0);
  assert_int_equal(st[1], ORCA_ESTATE);
  /* finish: b1's completion twice in one batch is recorded once; b2's
   * under another worker is skipped. */
  uint64_t ok0 = succeeded(f);
  orca__completion cs[3] = {cf_done(ls[0], ORCA__ACK, "w"), cf_done(ls[0], ORCA__ACK, "w"),
                            cf_done(ls[1], ORCA__ACK, "w2")};
  assert_int_equal(f->store->ops->finish(f->store, cs, 3), 0);
  assert_int_equal(sstate(f, "b1"), ORCA_STATE_SUCCEEDED);
  assert_int_equal(sstate(f, "b2"), ORCA_STATE_RUNNING);
  assert_int_equal(succeeded(f), ok0 + 1);
  /* Distinct ids: one succeeds, one waits for its retry. */
  orca__completion ds[2] = {cf_done(ls[1], ORCA__ACK, "w"), cf_done(l0, ORCA__RETRY, "w")};
  ds[1].retry_at_us = cf_now(f) + 5 * CF_SEC;
  ds[1].error = "again";
  assert_int_equal(f->store->ops->finish(f->store, ds, 2), 0);
  assert_int_equal(sstate(f, "b2"), ORCA_STATE_SUCCEEDED);
  assert_int_equal(sstate(f, "b0"), ORCA_STATE_FAILED);
  assert_int_equal(succeeded(f), ok0 + 2);
  /* What is left to hand out: b0's retry when due, and the two admitted
   * but never confirmed (b3, u1) once their window passed. */
  handed h;
  int64_t next = 0;
  assert_int_equal(due(f, false, &h, &next), 0);
  assert_int_equal(next, cf_now(f) + 5 * CF_SEC);
  cf_advance(f, ORCA__HANDOFF_US);
  assert_int_equal(due(f, false, &h, &next), 3);
  assert_non_null(strstr(h.ids, "b0 "));
  assert_non_null(strstr(h.ids, "b3 "));
  assert_non_null(strstr(h.ids, "u1 "));
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, cf_setup_store, cf_teardown)
const struct CMUnitTest cf_store_cases[] = {
    CASE(store_admit),        CASE(store_handoff_window), CASE(store_start_and_finish),
    CASE(store_retry_waits),  CASE(store_reclaim),        CASE(store_cancel),
    CASE(store_dead_letters), CASE(store_schedule_fire),  CASE(store_due_queues),
    CASE(store_batches),
};
const size_t cf_store_ncases = sizeof cf_store_cases / sizeof cf_store_cases[0];
