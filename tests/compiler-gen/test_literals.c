/* test_literals.c — the C spellings orcac emits (compiler/codegen_ctype.c)
 * mean what the .orca file says: defaults at the limits of every type, float
 * literals that read back exactly, strings with escapes and trigraph-looking
 * text, enum values at INT32_MIN/MAX, and docs that survive as C strings.
 * Uses golden/edge.orca. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "edge.orca.h"

static void test_limit_defaults(void **state) {
  (void)state;
  edge_cases_limits v;
  edge_cases_limits_init(&v);
  assert_int_equal(v.a, INT8_MIN);
  assert_int_equal(v.b, INT16_MIN);
  assert_int_equal(v.c, INT32_MIN);
  assert_true(v.d == INT64_MIN);
  assert_true(v.e == 0);
  assert_true(v.f == 1e300);
  assert_true(v.g == 0.0f && signbit(v.g)); /* -0.0 keeps its sign */
  assert_string_equal(v.h, "tab\there ?\?= \\ back");
  assert_true(v.t == 0);
  assert_int_equal(v.x, EDGE_CASES_EXTREME_LOWEST);
  assert_true(v.span == 86400000000LL);
  edge_cases_limits_free(&v);
}

static void test_enum_extremes(void **state) {
  (void)state;
  assert_int_equal(EDGE_CASES_EXTREME_LOWEST, INT32_MIN);
  assert_int_equal(EDGE_CASES_EXTREME_HIGHEST, INT32_MAX);
  assert_string_equal(edge_cases_extreme_name(EDGE_CASES_EXTREME_HIGHEST), "HIGHEST");
  /* by value: LOWEST, ZERO, HIGHEST */
  assert_int_equal(edge_cases_extreme__desc.values[1].value, 0);
  assert_string_equal(edge_cases_extreme__desc.doc, "A value at the bottom */ of int32.");
}

static void test_empty_and_optional_structs(void **state) {
  (void)state;
  edge_cases_all_optional v;
  edge_cases_all_optional_init(&v);
  orca_buf buf = ORCA_BUF_INIT;
  assert_int_equal(edge_cases_all_optional_pack(&v, &buf), 0);
  assert_int_equal(buf.len, 1); /* nothing present: an empty map */
  assert_int_equal(buf.data[0], 0x80);
  edge_cases_empty e;
  v.b = &e;
  v.has_last = true;
  v.last = UINT64_MAX;
  orca_buf_reset(&buf);
  assert_int_equal(edge_cases_all_optional_pack(&v, &buf), 0);
  edge_cases_all_optional w;
  orca_err err = {0};
  assert_int_equal(edge_cases_all_optional_unpack(buf.data, buf.len, &w, &orca_heap, &err), 0);
  assert_non_null(w.b);
  assert_true(w.has_last && w.last == UINT64_MAX);
  assert_false(w.has_a);
  edge_cases_all_optional_free(&w);
  orca_buf_free(&buf);
  assert_int_equal(edge_cases_empty__desc.nfields, 0);
  assert_null(edge_cases_empty__desc.fields);
}

static void test_result_kinds(void **state) {
  (void)state;
  assert_ptr_equal(edge_cases_give_string__task.result, &orca_type_string);
  assert_ptr_equal(edge_cases_give_bytes__task.result, &orca_type_bytes);
  assert_ptr_equal(edge_cases_give_enum__task.result, &edge_cases_extreme__type);
  assert_int_equal(edge_cases_give_map__task.result->kind, ORCA_KIND_MAP);
  assert_ptr_equal(edge_cases_give_map__task.result->key, &orca_type_i64);
  assert_ptr_equal(edge_cases_give_empty__task.result, &edge_cases_empty__type);
  assert_null(edge_cases_nothing__task.result);
  assert_int_equal(edge_cases_often__schedule.catchup, ORCA_CATCHUP_ALL);
  assert_int_equal(edge_cases_often__schedule.catchup_max, 5);
  assert_string_equal(edge_cases_weekly__schedule.cron_expr, "*/15 0 12 ? * MON#2");
  assert_int_equal(edge_cases_weekly__schedule.cron.dow_nth[1], 1u << 2); /* 2nd Monday */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_limit_defaults),
      cmocka_unit_test(test_enum_extremes),
      cmocka_unit_test(test_empty_and_optional_structs),
      cmocka_unit_test(test_result_kinds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
