/* test_rt_generated.c — the runtime driven by code orcac generated from
 * rtgen.orca (typed enqueue stubs, handler tables, result getters), as a
 * user program uses it: nested argument structs, a task without arguments
 * or result, and a @cache task. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_support.h"
#include "rtgen.orca.h"

static int pings, prices;

static int charge(orca_ctx *ctx, const rtgen_charge_args *a, int64_t *result) {
  if (strcmp(a->item.sku, "bad") == 0)
    return orca_ctx_fail(ctx, "unknown sku %s", a->item.sku);
  *result = a->cents * a->item.qty;
  return 0;
}

static int price(orca_ctx *ctx, const rtgen_price_args *a, double *result) {
  (void)ctx;
  __atomic_add_fetch(&prices, 1, __ATOMIC_SEQ_CST);
  *result = (double)strlen(a->sku) * 1.5;
  return 0;
}

static int ping(orca_ctx *ctx, const rtgen_ping_args *a) {
  (void)ctx, (void)a;
  __atomic_add_fetch(&pings, 1, __ATOMIC_SEQ_CST);
  return 0;
}

static void test_generated_end_to_end(void **st) {
  (void)st;
  rt_env e;
  rt_env_init(&e);
  orca_client *c = rt_client(&e, NULL);
  orca_err err = {0};
  char id_ok[ORCA_ID_MAX], id_bad[ORCA_ID_MAX], id_ping[ORCA_ID_MAX], id_p1[ORCA_ID_MAX],
      id_p2[ORCA_ID_MAX];
  rtgen_charge_args a;
  rtgen_charge_args_init(&a);
  assert_int_equal(a.item.qty, 1); /* the .orca default */
  a.item.sku = "pen";
  a.item.qty = 3;
  a.cents = 250;
  assert_int_equal(rtgen_charge_enqueue(c, &a, NULL, id_ok, &err), 0);
  a.item.sku = "bad";
  assert_int_equal(rtgen_charge_enqueue(c, &a, NULL, id_bad, &err), 0);
  rtgen_ping_args pa;
  rtgen_ping_args_init(&pa);
  assert_int_equal(rtgen_ping_enqueue(c, &pa, NULL, id_ping, &err), 0);
  rtgen_price_args pr = {.sku = "abcd"};
  assert_int_equal(rtgen_price_enqueue(c, &pr, NULL, id_p1, &err), 0);

  orca_worker_opts o = {.backend = e.url, .concurrency = 2, .max_tasks = 4};
  orca_worker *w = NULL;
  assert_int_equal(orca_worker_open(&o, &w, &err), 0);
  rtgen_handlers h = {.charge = charge, .price = price, .ping = ping};
  assert_int_equal(rtgen_register(w, &h, &err), 0);
  assert_int_equal(rtgen_register(w, &h, &err), ORCA_EDUPLICATE);
  assert_non_null(strstr(err.msg, "already has a handler"));
  assert_int_equal(orca_worker_run(w, &err), 0);
  orca_worker_close(w);

  int64_t cents = 0;
  assert_int_equal(rtgen_charge_result(c, id_ok, SEC, &cents, &orca_heap, &err), 0);
  assert_int_equal(cents, 750);
  assert_int_equal(rtgen_charge_result(c, id_bad, SEC, &cents, &orca_heap, &err), ORCA_EFAIL);
  assert_non_null(strstr(err.msg, "unknown sku bad"));
  double p = 0;
  assert_int_equal(rtgen_price_result(c, id_p1, SEC, &p, &orca_heap, &err), 0);
  assert_true(p == 6.0);
  assert_int_equal(pings, 1);
  /* Cached: the same sku again returns the finished task, nothing runs. */
  assert_int_equal(rtgen_price_enqueue(c, &pr, NULL, id_p2, &err), 0);
  assert_string_equal(id_p1, id_p2);
  assert_int_equal(prices, 1);
  orca_client_close(c);
  rt_env_done(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generated_end_to_end),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
