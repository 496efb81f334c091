/* test_codec.c — orca_value_init/pack/unpack/free on well-formed values:
 * defaults, round trips of every kind (hand-checked bytes and decoded
 * fields), seeded random round trips through heap and arena, and schema
 * evolution between two versions of a struct. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static void test_init_defaults(void **state) {
  (void)state;
  fx_all v;
  memset(&v, 0xab, sizeof v);
  orca_value_init(&fx_all__type, &v);
  assert_string_equal(v.s, "anon");
  assert_int_equal(v.tier, FX_TIER_PRO);
  assert_int_equal(v.answer, 42);
  assert_int_equal(v.item.qty, 1); /* nested struct defaults */
  assert_null(v.item.sku);
  assert_false(v.has_opt_i);
  assert_null(v.opt_item);
  assert_null(v.items.items);
  assert_int_equal(v.items.len, 0);
  /* Freeing a value that still holds its default string must not free it. */
  orca_value_free(&fx_all__type, &v, &orca_heap);
  assert_string_equal(v.s, "anon");
  fx_item it;
  orca_value_init(&fx_item__type, &it);
  assert_int_equal(it.qty, 1);
}

/* Pack v, check the exact bytes, unpack them, check fields. */
static void test_item_bytes(void **state) {
  (void)state;
  fx_item it = {"ab", 3, true, 1.5};
  orca_buf b = ORCA_BUF_INIT;
  assert_int_equal(orca_pack(&fx_item__type, &it, &b), 0);
  static const uint8_t want[] = {0x83, 0x01, 0xa2, 'a',  'b',  0x02, 0x03, 0x03, 0xcb,
                                 0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  assert_int_equal(b.len, sizeof want);
  assert_memory_equal(b.data, want, sizeof want);
  fx_item out;
  orca_err err = {0};
  assert_int_equal(orca_unpack(&fx_item__type, b.data, b.len, &out, &orca_heap, &err), 0);
  assert_string_equal(out.sku, "ab");
  assert_int_equal(out.qty, 3);
  assert_true(out.has_price);
  assert_true(out.price == 1.5);
  orca_value_free(&fx_item__type, &out, &orca_heap);
  /* Absent optional: left out of the map; missing fields take defaults. */
  it.has_price = false;
  orca_buf_reset(&b);
  assert_int_equal(orca_pack(&fx_item__type, &it, &b), 0);
  assert_int_equal(b.data[0], 0x82);
  static const uint8_t empty_map[] = {0x80};
  assert_int_equal(orca_unpack(&fx_item__type, empty_map, 1, &out, &orca_heap, &err), 0);
  assert_null(out.sku);
  assert_int_equal(out.qty, 1);
  assert_false(out.has_price);
  orca_buf_free(&b);
}

static fx_all *full_value(void) {
  fx_all *v = malloc(sizeof *v);
  orca_value_init(&fx_all__type, v);
  v->b = true;
  v->i8 = -128;
  v->i16 = -300;
  v->i32 = INT32_MIN;
  v->i64 = INT64_MIN;
  v->u8 = 255;
  v->u16 = 65535;
  v->u32 = UINT32_MAX;
  v->u64 = UINT64_MAX;
  v->f32 = 0.25f;
  v->f64 = -1e300;
  v->s = strdup("héllo");
  v->by.data = malloc(3);
  memcpy(v->by.data, "\0\1\2", 3);
  v->by.len = 3;
  v->ts = 1795773600000000;
  v->dur = 5400000000;
  v->tier = FX_TIER_ENTERPRISE;
  v->item.sku = strdup("SKU-1");
  v->item.qty = 7;
  v->items.len = 2;
  v->items.items = calloc(2, sizeof(fx_item));
  v->items.items[0] = (fx_item){strdup("A"), 1, true, 2.5};
  v->items.items[1] = (fx_item){strdup("B"), 100000, false, 0};
  v->meta.len = 2;
  v->meta.keys = calloc(2, sizeof(char *));
  v->meta.values = calloc(2, sizeof(char *));
  v->meta.keys[0] = strdup("k1");
  v->meta.values[0] = strdup("v1");
  v->meta.keys[1] = strdup("k2");
  v->meta.values[1] = strdup("");
  v->counts.len = 1;
  v->counts.keys = calloc(1, sizeof(int32_t));
  v->counts.values = calloc(1, sizeof(int64_t));
  v->counts.keys[0] = -7;
  v->counts.values[0] = 1ll << 40;
  v->has_opt_i = true;
  v->opt_i = 0;
  v->opt_item = malloc(sizeof(fx_item));
  orca_value_init(&fx_item__type, v->opt_item);
  v->opt_item->sku = strdup("opt");
  v->tree = calloc(1, sizeof(fx_node));
  v->tree->value = 1;
  v->tree->next = calloc(1, sizeof(fx_node));
  v->tree->next->value = 2;
  v->tree->children.len = 1;
  v->tree->children.items = calloc(1, sizeof(fx_node));
  v->tree->children.items[0].value = 3;
  v->tags.len = 1;
  v->tags.items = calloc(1, sizeof(char *));
  v->tags.items[0] = strdup("t");
  v->grid.len = 2;
  v->grid.items = calloc(2, sizeof(fx_i32_list));
  v->grid.items[1].len = 2;
  v->grid.items[1].items = calloc(2, sizeof(int32_t));
  v->grid.items[1].items[0] = -1;
  v->grid.items[1].items[1] = 1 << 20;
  v->answer = 0;
  return v;
}

static void check_full(const fx_all *v) {
  assert_true(v->b);
  assert_int_equal(v->i8, -128);
  assert_int_equal(v->i16, -300);
  assert_int_equal(v->i32, INT32_MIN);
  assert_true(v->i64 == INT64_MIN);
  assert_int_equal(v->u8, 255);
  assert_int_equal(v->u16, 65535);
  assert_int_equal(v->u32, UINT32_MAX);
  assert_true(v->u64 == UINT64_MAX);
  assert_true(v->f32 == 0.25f);
  assert_true(v->f64 == -1e300);
  assert_string_equal(v->s, "héllo");
  assert_int_equal(v->by.len, 3);
  assert_memory_equal(v->by.data, "\0\1\2", 3);
  assert_true(v->ts == 1795773600000000);
  assert_true(v->dur == 5400000000);
  assert_int_equal(v->tier, FX_TIER_ENTERPRISE);
  assert_string_equal(v->item.sku, "SKU-1");
  assert_int_equal(v->item.qty, 7);
  assert_int_equal(v->items.len, 2);
  assert_string_equal(v->items.items[0].sku, "A");
  assert_true(v->items.items[0].has_price && v->items.items[0].price == 2.5);
  assert_int_equal(v->items.items[1].qty, 100000);
  assert_false(v->items.items[1].has_price);
  assert_int_equal(v->meta.len, 2);
  assert_string_equal(v->meta.keys[1], "k2");
  assert_string_equal(v->meta.values[1], "");
  assert_int_equal(v->counts.keys[0], -7);
  assert_true(v->counts.values[0] == 1ll << 40);
  assert_true(v->has_opt_i);
  assert_int_equal(v->opt_i, 0);
  assert_string_equal(v->opt_item->sku, "opt");
  assert_int_equal(v->opt_item->qty, 1);
  assert_int_equal(v->tree->value, 1);
  assert_int_equal(v->tree->next->value, 2);
  assert_null(v->tree->next->next);
  assert_int_equal(v->tree->children.items[0].value, 3);
  assert_string_equal(v->tags.items[0], "t");
  assert_int_equal(v->grid.len, 2);
  assert_int_equal(v->grid.items[0].len, 0);
  assert_int_equal(v->grid.items[1].items[1], 1 << 20);
  assert_int_equal(v->answer, 0); /* a present field beats its default */
}

static void test_every_kind_heap_and_arena(void **state) {
  (void)state;
  fx_all *v = full_value();
  orca_buf b = ORCA_BUF_INIT;
  assert_int_equal(orca_pack(&fx_all__type, v, &b), 0);
  orca_err err = {0};
  fx_all out;
  assert_int_equal(orca_unpack(&fx_all__type, b.data, b.len, &out, &orca_heap, &err), 0);
  check_full(&out);
  orca_value_free(&fx_all__type, &out, &orca_heap);
  assert_string_equal(out.s, "anon"); /* re-initialized */

  orca_arena a;
  orca_arena_init(&a, 0);
  for (int round = 0; round < 3; round++) {
    assert_int_equal(orca_unpack(&fx_all__type, b.data, b.len, &out, &a.alloc, &err), 0);
    check_full(&out);
    orca_value_free(&fx_all__type, &out, &a.alloc); /* no-op for memory */
    orca_arena_reset(&a);
  }
  orca_arena_free(&a);
  orca_value_free(&fx_all__type, v, &orca_heap);
  free(v);
  orca_buf_free(&b);
}

/* Random values: pack, unpack (heap and arena), pack again: same bytes. */
static void test_random_round_trips(void **state) {
  (void)state;
  uint64_t seed = 20261127;
  orca_buf b1 = ORCA_BUF_INIT, b2 = ORCA_BUF_INIT;
  orca_arena a;
  orca_arena_init(&a, 0);
  for (int i = 0; i < 500; i++) {
    fx_all v, out;
    fx_random_all(&v, &seed);
    orca_buf_reset(&b1);
    assert_int_equal(orca_pack(&fx_all__type, &v, &b1), 0);
    orca_err err = {0};
    const orca_alloc *allocs[] = {&orca_heap, &a.alloc};
    for (int k = 0; k < 2; k++) {
      int rc = orca_unpack(&fx_all__type, b1.data, b1.len, &out, allocs[k], &err);
      if (rc)
        fail_msg("round %d: %s", i, err.msg);
      orca_buf_reset(&b2);
      assert_int_equal(orca_pack(&fx_all__type, &out, &b2), 0);
      assert_int_equal(b1.len, b2.len);
      assert_memory_equal(b1.data, b2.data, b1.len);
      assert_int_equal(out.u64, v.u64);
      assert_true(out.f64 == v.f64);
      orca_value_free(&fx_all__type, &out, allocs[k]);
    }
    orca_arena_reset(&a);
    orca_value_free(&fx_all__type, &v, &orca_heap);
  }
  orca_arena_free(&a);
  orca_buf_free(&b1);
  orca_buf_free(&b2);
}

static void test_evolution(void **state) {
  (void)state;
  orca_err err = {0};
  orca_buf b = ORCA_BUF_INIT;
  /* v2 writer, v1 reader: new fields (a list, a nested struct) are skipped. */
  fx_item_v2 w;
  orca_value_init(&fx_item_v2__type, &w);
  assert_string_equal(w.note, "new");
  w.sku = "X";
  w.qty = 9;
  char *tags[] = {"a", "b"};
  w.tags.items = tags;
  w.tags.len = 2;
  fx_item_v2 sub;
  orca_value_init(&fx_item_v2__type, &sub);
  sub.sku = "inner";
  w.sub = &sub;
  w.note = "hello";
  assert_int_equal(orca_pack(&fx_item_v2__type, &w, &b), 0);
  fx_item r1;
  assert_int_equal(orca_unpack(&fx_item__type, b.data, b.len, &r1, &orca_heap, &err), 0);
  assert_string_equal(r1.sku, "X");
  assert_int_equal(r1.qty, 9);
  assert_false(r1.has_price);
  orca_value_free(&fx_item__type, &r1, &orca_heap);

  /* v1 writer, v2 reader: missing fields take their defaults. */
  fx_item v1 = {"Y", 4, true, 0.5};
  orca_buf_reset(&b);
  assert_int_equal(orca_pack(&fx_item__type, &v1, &b), 0);
  fx_item_v2 r2;
  assert_int_equal(orca_unpack(&fx_item_v2__type, b.data, b.len, &r2, &orca_heap, &err), 0);
  assert_string_equal(r2.sku, "Y");
  assert_true(r2.has_price && r2.price == 0.5);
  assert_int_equal(r2.tags.len, 0);
  assert_null(r2.sub);
  assert_string_equal(r2.note, "new");
  orca_value_free(&fx_item_v2__type, &r2, &orca_heap);
  orca_buf_free(&b);
}

/* Conversions the decoder accepts: signed formats for positive values,
 * integers into floats, nil as "absent". */
static void test_lenient_forms(void **state) {
  (void)state;
  orca_err err = {0};
  fx_item it;
  /* {1: nil, 2: int64(5) in 0xd3 form, 3: 7 (int into f64)} */
  static const uint8_t in[] = {0x83, 0x01, 0xc0, 0x02, 0xd3, 0, 0, 0, 0, 0, 0, 0, 5, 0x03, 0x07};
  assert_int_equal(orca_unpack(&fx_item__type, in, sizeof in, &it, &orca_heap, &err), 0);
  assert_null(it.sku);
  assert_int_equal(it.qty, 5);
  assert_true(it.has_price && it.price == 7.0);
  orca_value_free(&fx_item__type, &it, &orca_heap);
  /* Unknown ids, including 0 and ids past 65535, are skipped. */
  static const uint8_t unk[] = {0x83, 0x00, 0x01, 0xce, 0x00, 0x01, 0x00,
                                0x00, 0x92, 0x80, 0x90, 0x63, 0xa1, 'x'};
  assert_int_equal(orca_unpack(&fx_item__type, unk, sizeof unk, &it, &orca_heap, &err), 0);
  assert_int_equal(it.qty, 1);
  orca_value_free(&fx_item__type, &it, &orca_heap);
}

/* Roots that are not structs: task results like `-> f64` or `-> string`. */
static void test_scalar_roots(void **state) {
  (void)state;
  orca_buf b = ORCA_BUF_INIT;
  orca_err err = {0};
  double d = 2.25, d2;
  assert_int_equal(orca_pack(&orca_type_f64, &d, &b), 0);
  assert_int_equal(orca_unpack(&orca_type_f64, b.data, b.len, &d2, &orca_heap, &err), 0);
  assert_true(d2 == 2.25);
  char *s = "hello", *s2;
  orca_buf_reset(&b);
  assert_int_equal(orca_pack(&orca_type_string, &s, &b), 0);
  assert_int_equal(orca_unpack(&orca_type_string, b.data, b.len, &s2, &orca_heap, &err), 0);
  assert_string_equal(s2, "hello");
  orca_value_free(&orca_type_string, &s2, &orca_heap);
  assert_null(s2);
  uint8_t u;
  static const uint8_t big[] = {0xcd, 0x01, 0x2c};
  assert_int_equal(orca_unpack(&orca_type_u8, big, sizeof big, &u, &orca_heap, &err), ORCA_EDECODE);
  assert_string_equal(err.msg, "value: 300 out of range for u8");
  /* An arena too small for a whole block still decodes a small value. */
  orca_arena a;
  orca_arena_init(&a, 64);
  a.limit = 64;
  assert_int_equal(orca_unpack(&orca_type_string, b.data, b.len, &s2, &a.alloc, &err), 0);
  assert_string_equal(s2, "hello");
  orca_arena_free(&a);
  orca_buf_free(&b);
}

static void test_pack_errors(void **state) {
  (void)state;
  fx_all v;
  orca_value_init(&fx_all__type, &v);
  v.tier = (fx_tier)3; /* no name */
  orca_buf b = ORCA_BUF_INIT;
  assert_int_equal(orca_pack(&fx_all__type, &v, &b), ORCA_ERANGE);
  v.tier = FX_TIER_FREE;
  v.items.len = 2; /* items NULL */
  orca_buf_reset(&b);
  assert_int_equal(orca_pack(&fx_all__type, &v, &b), ORCA_ERANGE);
  orca_buf_free(&b);
}

/* A bytes field whose default is a static literal: init points at the
 * literal, and free must not hand that static memory to the allocator (it
 * did once; ASan reported a free of a non-malloc'ed address). */
typedef struct blob {
  orca_bytes b;
} blob;
static const uint8_t blob_lit[] = {'a', 'b', 'c'};
static const orca_bytes blob_default = {(uint8_t *)blob_lit, sizeof blob_lit};
static const orca_field blob_fields[] = {
    {"b", 1, ORCA_FIELD_DEFAULT, offsetof(blob, b), -1, &orca_type_bytes, &blob_default, NULL}};
static const orca_struct_desc blob_desc = {"t.Blob",    "blob", sizeof(blob), _Alignof(blob), 1,
                                           blob_fields, 1,      NULL};
static const orca_type blob_type = {
    ORCA_KIND_STRUCT, sizeof(blob), _Alignof(blob), &blob_desc, NULL, NULL, NULL, "Blob"};

static void test_bytes_default_not_freed(void **state) {
  (void)state;
  blob v;
  orca_value_init(&blob_type, &v);
  assert_ptr_equal(v.b.data, blob_lit);
  orca_value_free(&blob_type, &v, &orca_heap); /* must not free the literal */
  assert_ptr_equal(v.b.data, blob_lit);
  /* A decoded value owns its bytes and frees them. */
  orca_buf out = ORCA_BUF_INIT;
  v.b.data = (uint8_t *)"xyz";
  v.b.len = 3;
  assert_int_equal(orca_pack(&blob_type, &v, &out), 0);
  blob back;
  assert_int_equal(orca_unpack(&blob_type, out.data, out.len, &back, &orca_heap, NULL), 0);
  assert_memory_equal(back.b.data, "xyz", 3);
  orca_value_free(&blob_type, &back, &orca_heap);
  orca_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_init_defaults),
      cmocka_unit_test(test_item_bytes),
      cmocka_unit_test(test_every_kind_heap_and_arena),
      cmocka_unit_test(test_random_round_trips),
      cmocka_unit_test(test_evolution),
      cmocka_unit_test(test_lenient_forms),
      cmocka_unit_test(test_scalar_roots),
      cmocka_unit_test(test_pack_errors),
      cmocka_unit_test(test_bytes_default_not_freed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
