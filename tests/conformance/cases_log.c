/* cases_log.c — what every log promises (runtime/backend/log.h), on a log
 * alone: append and fetch order, complete and release in any order, lease
 * expiry (logs with leases), extend, release_worker, duplicate appends. */
#include <string.h>

#include "fixture.h"

static bool ordered(cf *f) {
  return (cf_log_caps(f) & ORCA__LOG_ORDERED) != 0;
}

static size_t lfetch(cf *f, const char *queue, const char *worker, int64_t lease_us, size_t max) {
  const char *qs[1] = {queue};
  return cf_fetch(f, NULL, qs, 1, worker, lease_us, max);
}

static void lappend(cf *f, const orca__job *jobs, size_t n) {
  assert_int_equal(f->log->ops->append(f->log, jobs, n), 0);
}

/* Complete one delivery with outcome by worker. */
static void lcomplete(cf *f, const orca__lease *l, orca__outcome outcome, const char *worker) {
  orca__completion c = cf_done(l, outcome, worker);
  assert_int_equal(f->log->ops->complete(f->log, &c, 1), 0);
}

static bool has_leases(cf *f) {
  return (cf_log_caps(f) & ORCA__LOG_LEASES) != 0;
}

static void log_order(void **state) {
  cf *f = *state;
  orca__job jobs[4] = {cf_job("a", "q", 0, 0, "pa"), cf_job("b", "q", 5, 0, "pb"),
                       cf_job("c", "q", 0, 0, "pc"), cf_job("o", "other", 9, 0, "po")};
  lappend(f, jobs, 4);
  assert_int_equal(lfetch(f, "q", "w", 10 * CF_SEC, 8), 3);
  if (!ordered(f)) { /* the same three, in any order */
    for (size_t i = 0; i < 3; i++) {
      const char *id = f->slots[i]->id;
      assert_true(strcmp(id, "a") == 0 || strcmp(id, "b") == 0 || strcmp(id, "c") == 0);
      assert_true(i == 0 || strcmp(id, f->slots[0]->id) != 0);
      char want[3] = {'p', id[0], '\0'};
      cf_assert_payload(f->slots[i], want);
    }
    assert_true(strcmp(f->slots[1]->id, f->slots[2]->id) != 0);
  } else {
    assert_string_equal(f->slots[0]->id, "b");
    assert_string_equal(f->slots[1]->id, "a");
    assert_string_equal(f->slots[2]->id, "c");
    cf_assert_payload(f->slots[1], "pa");
  }
  for (size_t i = 0; i < 3; i++) {
    assert_string_equal(f->slots[i]->queue, "q");
    assert_true(f->slots[i]->ref[0] != '\0');
    assert_int_equal(f->slots[i]->deliveries, 1);
    if (has_leases(f))
      assert_int_equal(f->slots[i]->lease_until_us, cf_now(f) + 10 * CF_SEC);
  }
  assert_int_equal(lfetch(f, "q", "w", 10 * CF_SEC, 8), 0);
}

static void log_complete_any_order(void **state) {
  cf *f = *state;
  orca__job jobs[3] = {cf_job("x1", "q", 0, 0, "1"), cf_job("x2", "q", 0, 0, "2"),
                       cf_job("x3", "q", 0, 0, "3")};
  lappend(f, jobs, 3);
  assert_int_equal(lfetch(f, "q", "w", 10 * CF_SEC, 3), 3);
  /* The last first, then the first with a release, then the middle. */
  char released[ORCA_ID_MAX];
  strcpy(released, f->slots[0]->id); /* x1, or any of them where order is per partition */
  lcomplete(f, f->slots[2], ORCA__ACK, "w");
  lcomplete(f, f->slots[0], ORCA__RELEASE, "w");
  lcomplete(f, f->slots[1], ORCA__DEAD, "w");
  /* A completion of a delivery already ended is skipped without error. */
  lcomplete(f, f->slots[2], ORCA__ACK, "w");
  assert_int_equal(lfetch(f, "q", "w2", 10 * CF_SEC, 8), 1);
  assert_string_equal(f->slots[0]->id, released);
  cf_assert_payload(f->slots[0], released + 1);
  if (ordered(f))
    assert_string_equal(released, "x1");
  lcomplete(f, f->slots[0], ORCA__ACK, "w2");
  assert_int_equal(lfetch(f, "q", "w2", 10 * CF_SEC, 8), 0);
}

static void log_lease_expiry(void **state) {
  cf *f = *state;
  if (!has_leases(f))
    skip();
  orca__job j = cf_job("le", "q", 0, 0, "p");
  lappend(f, &j, 1);
  assert_int_equal(lfetch(f, "q", "old", 5 * CF_SEC, 1), 1);
  orca__lease old = *f->slots[0];
  old.payload = (orca_buf)ORCA_BUF_INIT;
  assert_int_equal(lfetch(f, "q", "new", 5 * CF_SEC, 1), 0);
  cf_advance(f, 6 * CF_SEC);
  assert_int_equal(lfetch(f, "q", "new", 5 * CF_SEC, 1), 1);
  assert_string_equal(f->slots[0]->id, "le");
  assert_int_equal(f->slots[0]->deliveries, 2);
  /* The old holder lost it: its extend reports ELOST, its completion is
   * skipped, and the new holder's extend still works. */
  orca__lease *ls[1] = {&old};
  int st = 0;
  assert_int_equal(f->log->ops->extend(f->log, ls, 1, "old", 5 * CF_SEC, &st), 0);
  assert_int_equal(st, ORCA_ELOST);
  lcomplete(f, &old, ORCA__ACK, "old");
  ls[0] = f->slots[0];
  assert_int_equal(f->log->ops->extend(f->log, ls, 1, "new", 50 * CF_SEC, &st), 0);
  assert_int_equal(st, 0);
  assert_int_equal(f->slots[0]->lease_until_us, cf_now(f) + 50 * CF_SEC);
  cf_advance(f, 10 * CF_SEC); /* past the first lease, within the extension */
  assert_int_equal(lfetch(f, "q", "third", 5 * CF_SEC, 1), 0);
  lcomplete(f, f->slots[0], ORCA__ACK, "new");
  cf_advance(f, 100 * CF_SEC);
  assert_int_equal(lfetch(f, "q", "third", 5 * CF_SEC, 1), 0);
}

static void log_release_worker(void **state) {
  cf *f = *state;
  if (!f->log->ops->release_worker)
    skip();
  orca__job jobs[3] = {cf_job("r1", "q", 0, 0, "1"), cf_job("r2", "q", 0, 0, "2"),
                       cf_job("r3", "q", 0, 0, "3")};
  lappend(f, jobs, 3);
  assert_int_equal(lfetch(f, "q", "dead", 600 * CF_SEC, 2), 2);
  orca__lease gone = *f->slots[0];
  gone.payload = (orca_buf)ORCA_BUF_INIT;
  assert_int_equal(lfetch(f, "q", "alive", 600 * CF_SEC, 1), 1);
  orca__lease kept = *f->slots[0];
  kept.payload = (orca_buf)ORCA_BUF_INIT;
  size_t count = 99;
  assert_int_equal(f->log->ops->release_worker(f->log, "dead", &count), 0);
  assert_int_equal(count, 2);
  assert_int_equal(f->log->ops->release_worker(f->log, "dead", &count), 0);
  assert_int_equal(count, 0);
  /* Delivered again at once, counted as a delivery. */
  assert_int_equal(lfetch(f, "q", "heir", 600 * CF_SEC, 8), 2);
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(f->slots[i]->deliveries, 2);
    assert_string_not_equal(f->slots[i]->id, "r3");
  }
  orca__lease *ls[2] = {&gone, &kept};
  int st[2] = {9, 9};
  assert_int_equal(f->log->ops->extend(f->log, ls, 1, "dead", 600 * CF_SEC, st), 0);
  assert_int_equal(st[0], ORCA_ELOST);
  assert_int_equal(f->log->ops->extend(f->log, ls + 1, 1, "alive", 600 * CF_SEC, st + 1), 0);
  assert_int_equal(st[1], 0);
}

static void log_duplicate_append(void **state) {
  cf *f = *state;
  orca__job j = cf_job("dup", "q", 0, 0, "p");
  lappend(f, &j, 1);
  lappend(f, &j, 1); /* allowed: a retried append */
  size_t got = lfetch(f, "q", "w", 10 * CF_SEC, 8);
  assert_true(got >= 1 && got <= 2);
  for (size_t i = 0; i < got; i++) {
    assert_string_equal(f->slots[i]->id, "dup");
    cf_assert_payload(f->slots[i], "p");
  }
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, cf_setup_log, cf_teardown)
const struct CMUnitTest cf_log_cases[] = {
    CASE(log_order),          CASE(log_complete_any_order), CASE(log_lease_expiry),
    CASE(log_release_worker), CASE(log_duplicate_append),
};
const size_t cf_log_ncases = sizeof cf_log_cases / sizeof cf_log_cases[0];
