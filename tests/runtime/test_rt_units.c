/* test_rt_units.c — the pure parts of the runtime, without a backend: task
 * ids, queue specs and weighted order, retry back-off, durations, policy
 * keys and deadlines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/duration.h"
#include "base/id.h"
#include "client/policy.h"
#include "orca/orca.h"
#include "worker/queues.h"
#include "worker/retry.h"

static int64_t fixed_now(void *ctx) {
  return *(int64_t *)ctx;
}

static void test_id_format_and_order(void **st) {
  (void)st;
  int64_t t = 1700000000000000;
  orca_clock c = {fixed_now, &t};
  char a[27], b[27], d[27];
  orca__id_new(&c, a);
  orca__id_new(&c, d);
  t += 1000; /* one millisecond later */
  orca__id_new(&c, b);
  assert_int_equal(strlen(a), 26);
  assert_true(strspn(a, "0123456789ABCDEFGHJKMNPQRSTVWXYZ") == 26);
  assert_true(strcmp(a, b) < 0);
  assert_memory_equal(a, d, 10);           /* same millisecond, same prefix */
  assert_string_not_equal(a + 10, d + 10); /* random suffix differs */
}

static void test_queues_parse(void **st) {
  (void)st;
  orca__queues q;
  orca_err err = {0};
  assert_int_equal(orca__queues_parse("payments:3, default:1,low", &q, &err), 0);
  assert_int_equal(q.n, 3);
  assert_string_equal(q.q[0].name, "payments");
  assert_int_equal(q.q[0].weight, 3);
  assert_string_equal(q.q[1].name, "default");
  assert_int_equal(q.q[2].weight, 1);

  struct {
    const char *spec, *msg;
  } bad[] = {
      {"", "column 1: empty queue name"},
      {"a,,b", "column 3: empty queue name"},
      {"a:x", "column 3: weight of queue 'a' must be an integer"},
      {"a:0", "weight of queue 'a' must be an integer from 1"},
      {"a:-2", "weight of queue 'a'"},
      {"a:", "missing weight after ':' for queue 'a'"},
      {"a,b,a", "column 5: queue 'a' listed twice"},
      {":3", "empty queue name"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&err, 0, sizeof err);
    assert_int_equal(orca__queues_parse(bad[i].spec, &q, &err), ORCA_EINVAL);
    if (!strstr(err.msg, bad[i].msg))
      fail_msg("spec '%s': got '%s', want '%s'", bad[i].spec, err.msg, bad[i].msg);
    assert_int_equal(q.n, 0);
  }
}

static void test_queues_weighted_order(void **st) {
  (void)st;
  orca__queues q;
  assert_int_equal(orca__queues_parse("payments:3,default:1", &q, NULL), 0);
  uint64_t rng = 42;
  int first[2] = {0, 0};
  const char *order[2];
  for (int i = 0; i < 4000; i++) {
    orca__queues_order(&q, &rng, order);
    assert_string_not_equal(order[0], order[1]);
    first[strcmp(order[0], "payments") == 0 ? 0 : 1]++;
  }
  /* Expected 3000 / 1000; the bounds are many standard deviations wide. */
  assert_in_range(first[0], 2800, 3200);
  assert_in_range(first[1], 800, 1200);
}

static void test_retry_exponential_cap_jitter(void **st) {
  (void)st;
  orca_retry_policy p = {5, ORCA_BACKOFF_EXPONENTIAL, 100000, 1000000, false};
  assert_int_equal(orca__retry_delay(&p, 1, 0), 100000);
  assert_int_equal(orca__retry_delay(&p, 2, 0), 200000);
  assert_int_equal(orca__retry_delay(&p, 3, 0), 400000);
  assert_int_equal(orca__retry_delay(&p, 4, 0), 800000);
  assert_int_equal(orca__retry_delay(&p, 5, 0), 1000000);   /* capped */
  assert_int_equal(orca__retry_delay(&p, 200, 0), 1000000); /* no overflow */
  p.max_us = 0;
  assert_true(orca__retry_delay(&p, 500, 0) > 0);
  p.max_us = 1000000;
  p.jitter = true;
  uint64_t rng = 7;
  int64_t lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 2000; i++) {
    int64_t d = orca__retry_delay(&p, 3, orca__rng_next(&rng));
    assert_in_range(d, 0, 400000);
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
  }
  assert_true(lo < 40000 && hi > 360000);                     /* spread over the whole range */
  assert_int_equal(orca__retry_delay(&p, 3, 400000), 400000); /* inclusive upper bound */

  orca_retry_policy lin = {3, ORCA_BACKOFF_LINEAR, 50, 0, false};
  assert_int_equal(orca__retry_delay(&lin, 3, 0), 150);
  orca_retry_policy fix = {3, ORCA_BACKOFF_FIXED, 50, 0, false};
  assert_int_equal(orca__retry_delay(&fix, 3, 0), 50);
  orca_retry_policy none = {3, ORCA_BACKOFF_NONE, 50, 0, true};
  assert_int_equal(orca__retry_delay(&none, 3, 99), 0);

  assert_true(orca__retry_allowed(&p, 4));
  assert_false(orca__retry_allowed(&p, 5));
  orca_retry_policy zero = {0};
  assert_false(orca__retry_allowed(&zero, 1));
}

static void test_duration_parse(void **st) {
  (void)st;
  int64_t v;
  orca_err err = {0};
  assert_int_equal(orca__duration_parse("--lease", "500ms", &v, &err), 0);
  assert_int_equal(v, 500000);
  assert_int_equal(orca__duration_parse("--lease", "15s", &v, &err), 0);
  assert_int_equal(v, 15000000);
  assert_int_equal(orca__duration_parse("--lease", "1m30s", &v, &err), 0);
  assert_int_equal(v, 90000000);
  assert_int_equal(orca__duration_parse("--lease", "2", &v, &err), 0);
  assert_int_equal(v, 2000000);
  const char *bad[] = {"", "ms", "5x", "1.5s", "-1s", "1m30", "99999999999999999999s"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&err, 0, sizeof err);
    assert_int_equal(orca__duration_parse("--grace", bad[i], &v, &err), ORCA_EINVAL);
    assert_non_null(strstr(err.msg, "--grace"));
  }
}

static void test_policy_key_deadline_ttl(void **st) {
  (void)st;
  orca_task_desc t = {.name = "shop.price", .cache_ttl_us = 600000000};
  char k1[ORCA__KEY_MAX], k2[ORCA__KEY_MAX], k3[ORCA__KEY_MAX];
  orca__policy_key(&t,
                   (const uint8_t *)"\x81\x01\xa3"
                                    "abc",
                   6, k1);
  orca__policy_key(&t,
                   (const uint8_t *)"\x81\x01\xa3"
                                    "abc",
                   6, k2);
  orca__policy_key(&t,
                   (const uint8_t *)"\x81\x01\xa3"
                                    "abd",
                   6, k3);
  assert_string_equal(k1, k2);
  assert_string_not_equal(k1, k3);
  assert_int_equal(strncmp(k1, "shop.price#", 11), 0);
  assert_int_equal(strlen(k1), 11 + 32);
  assert_true(orca__policy_has_key(&t));
  assert_int_equal(orca__policy_key_ttl(&t), 600000000);
  assert_int_equal(orca__policy_state_ttl(&t), ORCA__DEFAULT_RESULT_TTL_US);
  t.cache_ttl_us = 2 * ORCA__DEFAULT_RESULT_TTL_US;
  assert_int_equal(orca__policy_state_ttl(&t), 2 * ORCA__DEFAULT_RESULT_TTL_US);

  t.deadline_us = 1000;
  assert_int_equal(orca__policy_deadline(&t, 0, 5000), 6000);
  assert_int_equal(orca__policy_deadline(&t, 300, 5000), 5300);
  t.deadline_us = 0;
  assert_int_equal(orca__policy_deadline(&t, 0, 5000), 0);
}

static void test_state_machine(void **st) {
  (void)st;
  for (int s = ORCA_STATE_SCHEDULED; s <= ORCA_STATE_EXPIRED; s++)
    assert_int_equal(orca_state_parse(orca_state_name((orca_state)s)), s);
  assert_int_equal(orca_state_parse("bogus"), ORCA_STATE_UNKNOWN);
  assert_string_equal(orca_state_name((orca_state)99), "unknown");
  assert_true(orca_state_can_move(ORCA_STATE_PENDING, ORCA_STATE_RUNNING));
  assert_true(orca_state_can_move(ORCA_STATE_RUNNING, ORCA_STATE_PENDING));  /* released */
  assert_true(orca_state_can_move(ORCA_STATE_FAILED, ORCA_STATE_SCHEDULED)); /* retry */
  assert_true(orca_state_can_move(ORCA_STATE_DEAD, ORCA_STATE_PENDING));     /* requeue */
  assert_false(orca_state_can_move(ORCA_STATE_SUCCEEDED, ORCA_STATE_PENDING));
  assert_false(orca_state_can_move(ORCA_STATE_SCHEDULED, ORCA_STATE_RUNNING));
  assert_false(orca_state_can_move(ORCA_STATE_CANCELLED, ORCA_STATE_RUNNING));
  assert_false(orca_state_can_move((orca_state)42, ORCA_STATE_PENDING));
  assert_true(orca_state_is_final(ORCA_STATE_EXPIRED));
  assert_false(orca_state_is_final(ORCA_STATE_FAILED));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_id_format_and_order),
      cmocka_unit_test(test_queues_parse),
      cmocka_unit_test(test_queues_weighted_order),
      cmocka_unit_test(test_retry_exponential_cap_jitter),
      cmocka_unit_test(test_duration_parse),
      cmocka_unit_test(test_policy_key_deadline_ttl),
      cmocka_unit_test(test_state_machine),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
