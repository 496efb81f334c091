/* test_roundtrip.c — the code orcac generated for golden/alltypes.orca:
 * defaults from NAME_init, random values through pack -> unpack -> equal
 * (heap and arena), deterministic re-encoding, the reflection tables
 * (offsets, ids, flags, schema), enum helpers and the invoke trampolines.
 *
 * ORCA_GEN_ITERATIONS (default 2000) and ORCA_GEN_SEED set the random part;
 * a failure prints the seed and the path of the first difference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alltypes.orca.h"
#include "gen_util.h"
#include "shop.orca.h"

static unsigned long env_ul(const char *name, unsigned long dflt) {
  const char *s = getenv(name);
  return s && *s ? strtoul(s, NULL, 0) : dflt;
}

static void test_defaults(void **state) {
  (void)state;
  alltypes_all v;
  memset(&v, 0xA5, sizeof v); /* init must set every byte that matters */
  alltypes_all_init(&v);
  assert_true(v.b);
  assert_int_equal(v.i8v, -8);
  assert_int_equal(v.i16v, -300);
  assert_int_equal(v.i32v, 70000);
  assert_true(v.i64v == -5000000000LL);
  assert_int_equal(v.u8v, 200);
  assert_int_equal(v.u16v, 60000);
  assert_int_equal(v.u32v, 42);
  assert_true(v.u64v == UINT64_MAX);
  assert_true(v.f32v == 1.5f);
  assert_true(v.f64v == -0.25);
  assert_string_equal(v.s, "hi \"there\"\n");
  assert_true(v.dur == 5000000);
  assert_int_equal(v.color, ALLTYPES_COLOR_GREEN);
  assert_int_equal(v.inner.n, -5); /* defaults of an embedded struct */
  assert_false(v.has_maybe_int);
  assert_null(v.maybe_inner);
  assert_int_equal(v.ints.len, 0);
  assert_int_equal(v.counts.len, 0);
  alltypes_all_free(&v); /* frees nothing: the default string is static */

  /* An empty map decodes to the defaults too. */
  const uint8_t empty[] = {0x80};
  orca_err err = {0};
  assert_int_equal(alltypes_all_unpack(empty, sizeof empty, &v, &orca_heap, &err), 0);
  assert_int_equal(v.i8v, -8);
  assert_string_equal(v.s, "hi \"there\"\n");
  alltypes_all_free(&v);
}

static void roundtrip_one(gen_rng *rng, unsigned long seed, orca_buf *buf, orca_buf *buf2,
                          orca_arena *arena) {
  alltypes_all in, out, out2;
  memset(&in, 0, sizeof in);
  gen_random(rng, &alltypes_all__type, &in, 4);
  orca_buf_reset(buf);
  int rc = alltypes_all_pack(&in, buf);
  if (rc != 0)
    fail_msg("seed %lu: pack: %s", seed, orca_strerror(rc));
  orca_err err = {0};
  rc = alltypes_all_unpack(buf->data, buf->len, &out, &orca_heap, &err);
  if (rc != 0)
    fail_msg("seed %lu: unpack: %s: %s", seed, orca_strerror(rc), err.msg);
  char where[512];
  if (!gen_equal(&alltypes_all__type, &in, &out, where, sizeof where))
    fail_msg("seed %lu: heap round trip differs at %s", seed, where);
  /* Encoding is deterministic: the decoded value packs to the same bytes. */
  orca_buf_reset(buf2);
  assert_int_equal(alltypes_all_pack(&out, buf2), 0);
  if (buf2->len != buf->len || memcmp(buf2->data, buf->data, buf->len) != 0)
    fail_msg("seed %lu: re-encoding differs", seed);
  /* The same bytes into an arena. */
  rc = alltypes_all_unpack(buf->data, buf->len, &out2, &arena->alloc, &err);
  if (rc != 0 || !gen_equal(&alltypes_all__type, &in, &out2, where, sizeof where))
    fail_msg("seed %lu: arena round trip failed (%d) at %s", seed, rc, where);
  orca_arena_reset(arena);
  alltypes_all_free(&in);
  alltypes_all_free(&out);
}

static void test_random_roundtrips(void **state) {
  (void)state;
  unsigned long n = env_ul("ORCA_GEN_ITERATIONS", 2000), seed0 = env_ul("ORCA_GEN_SEED", 1);
  orca_buf buf = ORCA_BUF_INIT, buf2 = ORCA_BUF_INIT;
  orca_arena arena;
  orca_arena_init(&arena, 0);
  for (unsigned long i = 0; i < n; i++) {
    gen_rng rng = {seed0 + i};
    roundtrip_one(&rng, seed0 + i, &buf, &buf2, &arena);
  }
  orca_arena_free(&arena);
  orca_buf_free(&buf);
  orca_buf_free(&buf2);
}

/* Every other generated struct type round-trips too (task args, results,
 * and shop.Order whose fields use types imported from common.orca). */
static void test_random_other_types(void **state) {
  (void)state;
  const orca_type *types[] = {&alltypes_inner__type,      &alltypes_node__type,
                              &alltypes_sum_args__type,   &alltypes_fire_args__type,
                              &alltypes_words_args__type, &shop_order__type,
                              &shop_charge_args__type,    &common_money__type};
  orca_buf buf = ORCA_BUF_INIT;
  for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
    for (unsigned long seed = 1; seed <= 300; seed++) {
      gen_rng rng = {seed};
      _Alignas(max_align_t) uint8_t in[512];
      _Alignas(max_align_t) uint8_t out[512];
      assert_true(types[t]->size <= sizeof in);
      memset(in, 0, sizeof in);
      gen_random(&rng, types[t], in, 5);
      orca_buf_reset(&buf);
      assert_int_equal(orca_pack(types[t], in, &buf), 0);
      orca_err err = {0};
      int rc = orca_unpack(types[t], buf.data, buf.len, out, &orca_heap, &err);
      if (rc != 0)
        fail_msg("%s seed %lu: %s", types[t]->name, seed, err.msg);
      char where[512];
      if (!gen_equal(types[t], in, out, where, sizeof where))
        fail_msg("%s seed %lu: differs at %s", types[t]->name, seed, where);
      orca_value_free(types[t], in, &orca_heap);
      orca_value_free(types[t], out, &orca_heap);
    }
  orca_buf_free(&buf);
}

static void test_tables(void **state) {
  (void)state;
  const orca_struct_desc *d = &alltypes_all__desc;
  assert_string_equal(d->name, "alltypes.All");
  assert_string_equal(d->c_name, "alltypes_all");
  assert_int_equal(d->size, sizeof(alltypes_all));
  assert_int_equal(d->nfields, 34);
  for (uint32_t i = 1; i < d->nfields; i++)
    assert_true(d->fields[i - 1].id < d->fields[i].id);
  const orca_field *f = orca_struct_field(d, 24);
  assert_non_null(f);
  assert_string_equal(f->name, "maybe_int");
  assert_int_equal(f->offset, offsetof(alltypes_all, maybe_int));
  assert_int_equal(f->has_offset, offsetof(alltypes_all, has_maybe_int));
  assert_int_equal(f->flags, ORCA_FIELD_OPTIONAL);
  assert_ptr_equal(f->type, &orca_type_i32);
  f = orca_struct_field(d, 25);
  assert_int_equal(f->flags, ORCA_FIELD_OPTIONAL | ORCA_FIELD_POINTER);
  assert_int_equal(f->has_offset, -1);
  assert_ptr_equal(f->type, &alltypes_inner__type);
  f = orca_struct_field(d, 8);
  assert_int_equal(f->flags, ORCA_FIELD_DEFAULT);
  assert_int_equal(*(const uint32_t *)f->default_value, 42);
  f = orca_struct_field(d, 22);
  assert_int_equal(f->type->kind, ORCA_KIND_MAP);
  assert_ptr_equal(f->type->key, &orca_type_i32);
  assert_ptr_equal(f->type->elem, &alltypes_inner__type);
  assert_string_equal(f->type->name, "map<i32, Inner>");
  f = orca_struct_field(d, 29);
  assert_int_equal(f->type->kind, ORCA_KIND_LIST);
  assert_int_equal(f->type->elem->kind, ORCA_KIND_LIST);
  assert_ptr_equal(f->type->elem->elem, &orca_type_u8);
  assert_true(d->fingerprint != 0);
  assert_true(d->fingerprint != alltypes_inner__desc.fingerprint);

  const orca_schema *s = &alltypes__schema;
  assert_string_equal(s->package, "alltypes");
  assert_int_equal(s->nstructs, 3);
  assert_int_equal(s->nenums, 1);
  assert_int_equal(s->ntasks, 4);
  assert_int_equal(s->nschedules, 0);
  assert_ptr_equal(orca_schema_task(s, "alltypes.echo"), &alltypes_echo__task);
  assert_ptr_equal(alltypes_echo__task.result, &alltypes_all__type);
  assert_ptr_equal(alltypes_sum__task.result, &orca_type_i64);
  assert_int_equal(alltypes_words__task.result->kind, ORCA_KIND_LIST);
  assert_null(alltypes_fire__task.result);
  /* A field of an imported type points at the importing file's node. */
  const orca_field *total = orca_struct_field(&shop_order__desc, 8);
  assert_ptr_equal(total->type, &common_money__type);
  assert_int_equal(total->flags, ORCA_FIELD_OPTIONAL | ORCA_FIELD_POINTER);
  /* Policies and schedules as declared in golden/shop.orca. */
  assert_string_equal(shop_charge__task.queue, "payments");
  assert_int_equal(shop_charge__task.retry.max_attempts, 5);
  assert_int_equal(shop_charge__task.retry.backoff, ORCA_BACKOFF_EXPONENTIAL);
  assert_true(shop_charge__task.retry.base_us == 1000000 &&
              shop_charge__task.retry.max_us == 300000000);
  assert_true(shop_charge__task.retry.jitter);
  assert_true(shop_charge__task.timeout_us == 30000000);
  assert_true(shop_charge__task.result_ttl_us == 86400000000LL);
  assert_true(shop_price__task.cache_ttl_us == 600000000);
  assert_int_equal(shop_notify__task.priority, 7);
  assert_true(shop_notify__task.unique_ttl_us == 3600000000LL);
  assert_int_equal(shop__schema.nschedules, 2);
  const orca_schedule_desc *nightly = shop__schema.schedules[0];
  assert_ptr_equal(nightly->task, &shop_charge__task);
  assert_string_equal(nightly->tz, "Europe/Paris");
  assert_int_equal(nightly->catchup, ORCA_CATCHUP_ONCE);
  assert_true(nightly->cron.hour == (1u << 3) && nightly->cron.min == 1);
  /* Its arguments decode with the generated args type: order.id = "sweep". */
  shop_charge_args a;
  orca_err err = {0};
  assert_int_equal(shop_charge_args_unpack(nightly->args, nightly->args_len, &a, &orca_heap, &err),
                   0);
  assert_string_equal(a.order.id, "sweep");
  assert_false(a.dry_run);
  shop_charge_args_free(&a);
  assert_true(shop_heartbeat__schedule.every_us == 15000000);
  assert_ptr_equal(shop_heartbeat__schedule.task, &shop_ping__task);
  assert_ptr_equal(alltypes_fire__task.args, &alltypes_fire_args__desc);
  assert_string_equal(alltypes_fire__task.queue, "default");
  assert_int_equal(alltypes_fire__task.retry.max_attempts, 1);
}

static void test_enum_helpers(void **state) {
  (void)state;
  assert_string_equal(alltypes_color_name(ALLTYPES_COLOR_BLUE), "BLUE");
  assert_string_equal(alltypes_color_name(ALLTYPES_COLOR_NEG), "NEG");
  assert_null(alltypes_color_name((alltypes_color)5));
  alltypes_color c = ALLTYPES_COLOR_RED;
  assert_true(alltypes_color_parse("NEG", &c));
  assert_int_equal(c, -3);
  assert_false(alltypes_color_parse("PURPLE", &c));
  assert_int_equal(alltypes_color__desc.nvalues, 4);
  assert_int_equal(alltypes_color__desc.values[0].value, -3); /* sorted by value */
  /* An enum value with no name cannot be encoded. */
  alltypes_all v;
  alltypes_all_init(&v);
  v.color = (alltypes_color)5;
  orca_buf buf = ORCA_BUF_INIT;
  assert_int_equal(alltypes_all_pack(&v, &buf), ORCA_ERANGE);
  orca_buf_free(&buf);
}

/* Typed handlers called through the generated trampolines. */
static int g_calls;
static int echo_handler(orca_ctx *ctx, const alltypes_echo_args *args, alltypes_all *result) {
  (void)ctx;
  g_calls++;
  result->i32v = args->all.i32v + 1;
  return 0;
}
static int sum_handler(orca_ctx *ctx, const alltypes_sum_args *args, int64_t *result) {
  (void)ctx;
  *result = 0;
  for (size_t i = 0; i < args->xs.len; i++)
    *result += args->xs.items[i];
  return 0;
}
static int words_handler(orca_ctx *ctx, const alltypes_words_args *args,
                         alltypes_words__result *result) {
  (void)ctx;
  (void)args;
  result->len = 0;
  return 0;
}
static int fire_handler(orca_ctx *ctx, const alltypes_fire_args *args) {
  (void)ctx;
  return args->has_flag && args->flag ? ORCA_EFAIL : 0;
}

static void test_invoke_trampolines(void **state) {
  (void)state;
  alltypes_handlers h = {
      .echo = echo_handler, .sum = sum_handler, .words = words_handler, .fire = fire_handler};
  alltypes_echo_args ea;
  alltypes_echo_args_init(&ea);
  ea.all.i32v = 41;
  alltypes_all r;
  alltypes_all_init(&r);
  assert_int_equal(alltypes_echo__task.invoke((orca_fn)h.echo, NULL, &ea, &r), 0);
  assert_int_equal(r.i32v, 42);
  assert_int_equal(g_calls, 1);

  int64_t xs[] = {1, 2, 39};
  alltypes_sum_args sa = {.xs = {xs, 3}};
  int64_t total = 0;
  assert_int_equal(alltypes_sum__task.invoke((orca_fn)h.sum, NULL, &sa, &total), 0);
  assert_true(total == 42);

  alltypes_fire_args fa = {.has_flag = true, .flag = true};
  assert_int_equal(alltypes_fire__task.invoke((orca_fn)h.fire, NULL, &fa, NULL), ORCA_EFAIL);
  fa.flag = false;
  assert_int_equal(alltypes_fire__task.invoke((orca_fn)h.fire, NULL, &fa, NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),           cmocka_unit_test(test_random_roundtrips),
      cmocka_unit_test(test_random_other_types), cmocka_unit_test(test_tables),
      cmocka_unit_test(test_enum_helpers),       cmocka_unit_test(test_invoke_trampolines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
