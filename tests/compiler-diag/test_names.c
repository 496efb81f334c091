/* tests/compiler-diag/test_names.c — the C naming rules (compiler/names.h)
 * that sema and the code generator share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/c_names.h"
#include "compiler/names.h"

static void test_snake(void **state) {
  (void)state;
  char b[64];
  orcac_snake(b, sizeof b, "OrderItem");
  assert_string_equal(b, "order_item");
  orcac_snake(b, sizeof b, "Order_Item");
  assert_string_equal(b, "order_item");
  orcac_snake(b, sizeof b, "HTTPServer");
  assert_string_equal(b, "http_server");
  orcac_snake(b, sizeof b, "v2Item");
  assert_string_equal(b, "v2_item");
  orcac_snake(b, sizeof b, "charge");
  assert_string_equal(b, "charge");
  orcac_upper_snake(b, sizeof b, "OrderItem");
  assert_string_equal(b, "ORDER_ITEM");
  /* Truncation keeps the NUL and reports the full length. */
  assert_int_equal(orcac_snake(b, 4, "OrderItem"), 10);
  assert_string_equal(b, "ord");
}

static void test_c_names(void **state) {
  (void)state;
  char b[128];
  orcac_c_prefix(b, sizeof b, "shop");
  assert_string_equal(b, "shop_");
  orcac_c_name(b, sizeof b, "shop", "OrderItem", NULL);
  assert_string_equal(b, "shop_order_item");
  orcac_c_name(b, sizeof b, "shop", "charge", ORCAC_SFX_ARGS);
  assert_string_equal(b, "shop_charge_args");
  orcac_c_name(b, sizeof b, "shop", "charge", ORCAC_SFX_ENQUEUE);
  assert_string_equal(b, "shop_charge_enqueue");
  orcac_c_name(b, sizeof b, "shop", "charge", ORCAC_SFX_HANDLER);
  assert_string_equal(b, "shop_charge_handler");
  orcac_c_name(b, sizeof b, "shop", "charge", ORCAC_SFX_TASK);
  assert_string_equal(b, "shop_charge__task");
  orcac_c_name(b, sizeof b, "shop", "Order", ORCAC_SFX_DESC);
  assert_string_equal(b, "shop_order__desc");
  orcac_c_name(b, sizeof b, "shop", "Order", ORCAC_SFX_TYPE);
  assert_string_equal(b, "shop_order__type");
  orcac_c_enum_value(b, sizeof b, "shop", "Tier", "FREE");
  assert_string_equal(b, "SHOP_TIER_FREE");
  orcac_c_schema(b, sizeof b, "shop");
  assert_string_equal(b, "shop__schema");
}

static void test_keywords(void **state) {
  (void)state;
  assert_true(orcac_is_c_keyword("int"));
  assert_true(orcac_is_c_keyword("return"));
  assert_true(orcac_is_c_keyword("bool"));
  assert_true(orcac_is_c_keyword("_Atomic"));
  assert_true(orcac_is_c_keyword("typeof_unqual"));
  assert_true(orcac_is_c_keyword("asm"));
  assert_false(orcac_is_c_keyword("order"));
  assert_false(orcac_is_c_keyword("Int"));
}

static void test_c_reserved(void **state) {
  (void)state;
  /* Members: keywords, macros, reserved patterns. */
  assert_string_equal(orcac_c_reserved("NULL", ORCAC_C_MEMBER), "a macro of <stddef.h>");
  assert_string_equal(orcac_c_reserved("errno", ORCAC_C_MEMBER), "a macro of <errno.h>");
  assert_non_null(strstr(orcac_c_reserved("EWHATEVER", ORCAC_C_MEMBER), "<errno.h>"));
  assert_non_null(strstr(orcac_c_reserved("SIGFOO", ORCAC_C_MEMBER), "<signal.h>"));
  assert_non_null(strstr(orcac_c_reserved("PRIx128", ORCAC_C_MEMBER), "<inttypes.h>"));
  assert_non_null(strstr(orcac_c_reserved("UINT_FAST128_C", ORCAC_C_MEMBER), "<stdint.h>"));
  assert_non_null(strstr(orcac_c_reserved("_Foo", ORCAC_C_MEMBER), "implementation"));
  assert_non_null(strstr(orcac_c_reserved("ORCA_ID_MAX", ORCAC_C_MEMBER), "liborca"));
  assert_string_equal(orcac_c_reserved("bool", ORCAC_C_MEMBER), "a C keyword");
  /* Declarations and function-like macros only matter at file scope. */
  assert_null(orcac_c_reserved("size_t", ORCAC_C_MEMBER));
  assert_null(orcac_c_reserved("va_start", ORCAC_C_MEMBER));
  assert_null(orcac_c_reserved("orca_x", ORCAC_C_MEMBER));
  assert_null(orcac_c_reserved("_x", ORCAC_C_MEMBER));
  assert_string_equal(orcac_c_reserved("size_t", ORCAC_C_FILE), "declared by <stddef.h>");
  assert_string_equal(orcac_c_reserved("va_start", ORCAC_C_FILE), "a macro of <stdarg.h>");
  assert_non_null(strstr(orcac_c_reserved("uint8_t", ORCAC_C_FILE), "<stdint.h>"));
  assert_non_null(strstr(orcac_c_reserved("int_least128_t", ORCAC_C_FILE), "<stdint.h>"));
  assert_non_null(strstr(orcac_c_reserved("atomic_thing", ORCAC_C_FILE), "<stdatomic.h>"));
  assert_non_null(strstr(orcac_c_reserved("thrd_pool", ORCAC_C_FILE), "<threads.h>"));
  assert_non_null(strstr(orcac_c_reserved("orca_order", ORCAC_C_FILE), "liborca"));
  assert_non_null(strstr(orcac_c_reserved("_x_y", ORCAC_C_FILE), "file scope"));
  /* Ordinary names pass, including ones near library names. */
  assert_null(orcac_c_reserved("order", ORCAC_C_MEMBER));
  assert_null(orcac_c_reserved("shop_order", ORCAC_C_FILE));
  assert_null(orcac_c_reserved("SHOP_TIER_FREE", ORCAC_C_FILE));
  assert_null(orcac_c_reserved("internal_level_max", ORCAC_C_FILE));
  assert_null(orcac_c_reserved("INTERNAL_LEVEL_MAX", ORCAC_C_FILE));
  assert_null(orcac_c_reserved("signal_kind", ORCAC_C_FILE));
  assert_null(orcac_c_reserved("TIME_ZONE_UTC", ORCAC_C_FILE));
}

static void test_guard_and_file_name(void **state) {
  (void)state;
  char b[64];
  orcac_c_guard(b, sizeof b, "shop");
  assert_string_equal(b, "SHOP_ORCA_H");
  orcac_c_guard(b, sizeof b, "my-file.v2");
  assert_string_equal(b, "MY_FILE_V2_ORCA_H");
  assert_true(orcac_file_name_ok("my-file.v2"));
  assert_false(orcac_file_name_ok("1shop"));
  assert_false(orcac_file_name_ok("_shop"));
  assert_false(orcac_file_name_ok("a b"));
  assert_false(orcac_file_name_ok("a\"b"));
}

typedef struct seen {
  int n;
  bool args, enqueue, handler;
} seen;

static void collect(void *ctx, const char *name) {
  seen *s = ctx;
  s->n++;
  s->args |= strcmp(name, "shop_charge_args") == 0;
  s->enqueue |= strcmp(name, "shop_charge_enqueue") == 0;
  s->handler |= strcmp(name, "shop_charge_handler") == 0;
  assert_null(strstr(name, "__"));
}

static void test_reserved(void **state) {
  (void)state;
  seen s = {0};
  orcac_names_reserved("shop", ORCA_AST_TASK, "charge", collect, &s);
  assert_true(s.args && s.enqueue && s.handler);
  assert_true(s.n > 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_snake),
      cmocka_unit_test(test_c_names),
      cmocka_unit_test(test_keywords),
      cmocka_unit_test(test_c_reserved),
      cmocka_unit_test(test_guard_and_file_name),
      cmocka_unit_test(test_reserved),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
