/* test_core_util.c — the small shared pieces: error names, buffers, arenas,
 * durations and RFC 3339 times, state transitions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/dec.h"
#include "orca/orca.h"

static void test_strerror(void **state) {
  (void)state;
  assert_string_equal(orca_strerror(ORCA_EDUPLICATE), "duplicate: an equal task already exists");
  assert_string_equal(orca_err_name(ORCA_EURL), "ORCA_EURL");
  assert_string_equal(orca_strerror(-9999), "unknown error");
  assert_string_equal(orca_strerror(0), "success");
  orca_err e;
  assert_int_equal(orca_err_set(&e, ORCA_EINVAL, "field %s", "x"), ORCA_EINVAL);
  assert_string_equal(e.msg, "field x");
}

static void test_buf_and_arena(void **state) {
  (void)state;
  orca_buf b = ORCA_BUF_INIT;
  for (int i = 0; i < 1000; i++)
    assert_int_equal(orca_buf_append(&b, "abcd", 4), 0);
  assert_int_equal(b.len, 4000);
  assert_memory_equal(b.data + 3996, "abcd", 4);
  orca_buf_free(&b);

  orca_arena a;
  orca_arena_init(&a, 64);
  char *p = orca_arena_alloc(&a, 10), *q = orca_arena_alloc(&a, 1000);
  assert_non_null(p);
  assert_non_null(q);
  assert_int_equal((uintptr_t)q % _Alignof(max_align_t), 0);
  memset(q, 1, 1000);
  orca_arena_reset(&a);
  assert_int_equal(a.used, 0);
  a.limit = 100;
  assert_null(orca_arena_alloc(&a, 200));
  assert_non_null(a.alloc.alloc(a.alloc.ctx, 50));
  orca_arena_free(&a);
}

static void test_duration(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int64_t us;
  } ok[] = {
      {"250ms", 250000},     {"5s", 5000000},         {"10m", 600000000}, {"2h", 7200000000LL},
      {"1d", 86400000000LL}, {"1h30m", 5400000000LL}, {"15", 15000000},   {"7us", 7}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t us = -1;
    assert_int_equal(orca_duration_parse(ok[i].s, &us), 0);
    assert_true(us == ok[i].us);
  }
  static const char *bad[] = {"", "s", "5x", "-5s", "5 s", "1h30", "99999999999999999999s", "ms5"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t us;
    assert_int_equal(orca_duration_parse(bad[i], &us), ORCA_EINVAL);
  }
}

/* orca__dec_i64 agrees with printf at the edges and in between. */
static void test_dec(void **state) {
  (void)state;
  static const int64_t v[] = {
      0, 1, -1, 9, 10, -10, 123456789, 1733240000000LL, INT64_MAX, INT64_MIN, INT64_MIN + 1};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    char got[ORCA__DEC_MAX + 1], want[32];
    size_t n = orca__dec_i64(got, v[i]);
    assert_true(n <= ORCA__DEC_MAX);
    got[n] = '\0';
    snprintf(want, sizeof want, "%lld", (long long)v[i]);
    assert_string_equal(got, want);
  }
}

static void test_time(void **state) {
  (void)state;
  int64_t us;
  /* Values checked against `date -u -d ... +%s`. */
  assert_int_equal(orca_time_parse("2026-11-27T10:00:00Z", &us), 0);
  assert_true(us == 1795773600LL * 1000000);
  assert_int_equal(orca_time_parse("2026-11-27T11:00:00.5+01:00", &us), 0);
  assert_true(us == 1795773600LL * 1000000 + 500000);
  assert_int_equal(orca_time_parse("2024-02-29T00:00:00Z", &us), 0);
  assert_true(us == 1709164800LL * 1000000);
  assert_int_equal(orca_time_parse("@1700000000", &us), 0);
  assert_true(us == 1700000000LL * 1000000);
  static const char *bad[] = {"2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z",     "2026-11-27",
                              "2026-11-27T10:00:00",  "2026-11-27T10:00:00Zjunk", "soon"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(orca_time_parse(bad[i], &us), ORCA_EINVAL);
  char out[40];
  assert_string_equal(orca_time_format(1795773600LL * 1000000 + 5000, out, sizeof out),
                      "2026-11-27T10:00:00.005Z");
  assert_string_equal(orca_time_format(0, out, sizeof out), "1970-01-01T00:00:00.000Z");
}

static void test_states(void **state) {
  (void)state;
  assert_true(orca_state_can_move(ORCA_STATE_PENDING, ORCA_STATE_RUNNING));
  assert_true(orca_state_can_move(ORCA_STATE_FAILED, ORCA_STATE_SCHEDULED));
  assert_false(orca_state_can_move(ORCA_STATE_SUCCEEDED, ORCA_STATE_RUNNING));
  assert_false(orca_state_can_move(ORCA_STATE_SCHEDULED, ORCA_STATE_SUCCEEDED));
  for (int s = ORCA_STATE_SCHEDULED; s <= ORCA_STATE_EXPIRED; s++)
    assert_int_equal(orca_state_parse(orca_state_name((orca_state)s)), s);
  assert_true(orca_state_is_final(ORCA_STATE_EXPIRED));
  assert_false(orca_state_is_final(ORCA_STATE_FAILED));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strerror), cmocka_unit_test(test_buf_and_arena),
      cmocka_unit_test(test_duration), cmocka_unit_test(test_dec),
      cmocka_unit_test(test_time),     cmocka_unit_test(test_states),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
