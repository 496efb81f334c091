/* test_codec_hostile.c — orca_unpack on bytes from an attacker: truncation at
 * every offset, wrong types in every position with the exact message, huge
 * lengths in tiny buffers (nothing big is allocated), depth bombs, invalid
 * UTF-8, duplicates, and allocation failure at every step (the value stays
 * freeable; ASan checks for leaks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "fixture.h"

/* An allocator over malloc that records the largest request and can fail
 * after a number of allocations. */
typedef struct counting {
  size_t max_request, count;
  long fail_after; /* -1: never */
} counting;

static void *count_alloc(void *ctx, size_t n) {
  counting *c = ctx;
  if (n > c->max_request)
    c->max_request = n;
  if (c->fail_after >= 0 && (long)c->count >= c->fail_after)
    return NULL;
  c->count++;
  return malloc(n);
}
static void count_free(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

static orca_buf encode_full(void) {
  uint64_t seed = 7;
  fx_all v;
  /* Find a seed whose value has every optional part, for wide coverage. */
  for (;;) {
    fx_random_all(&v, &seed);
    if (v.tree && v.opt_item && v.items.len && v.meta.len && v.grid.len && v.has_opt_i)
      break;
    orca_value_free(&fx_all__type, &v, &orca_heap);
  }
  orca_buf b = ORCA_BUF_INIT;
  assert_int_equal(orca_pack(&fx_all__type, &v, &b), 0);
  orca_value_free(&fx_all__type, &v, &orca_heap);
  return b;
}

static void test_truncation_everywhere(void **state) {
  (void)state;
  orca_buf b = encode_full();
  orca_arena a;
  orca_arena_init(&a, 0);
  for (size_t n = 0; n < b.len; n++) {
    fx_all out;
    orca_err err = {0};
    assert_int_equal(orca_unpack(&fx_all__type, b.data, n, &out, &orca_heap, &err), ORCA_EDECODE);
    assert_non_null(strstr(err.msg, "truncated"));
    orca_value_free(&fx_all__type, &out, &orca_heap);
    assert_int_equal(orca_unpack(&fx_all__type, b.data, n, &out, &a.alloc, NULL), ORCA_EDECODE);
    orca_arena_reset(&a);
  }
  orca_arena_free(&a);
  orca_buf_free(&b);
}

static void test_alloc_failure_everywhere(void **state) {
  (void)state;
  orca_buf b = encode_full();
  counting c = {0, 0, -1};
  orca_alloc al = {count_alloc, count_free, &c};
  fx_all out;
  assert_int_equal(orca_unpack(&fx_all__type, b.data, b.len, &out, &al, NULL), 0);
  orca_value_free(&fx_all__type, &out, &al);
  size_t total = c.count;
  for (size_t k = 0; k < total; k++) {
    c = (counting){0, 0, (long)k};
    orca_err err = {0};
    assert_int_equal(orca_unpack(&fx_all__type, b.data, b.len, &out, &al, &err), ORCA_ENOMEM);
    orca_value_free(&fx_all__type, &out, &al);
  }
  orca_buf_free(&b);
}

/* Build {id: <value written by fn>} with msgpack-c. */
typedef void (*writer)(msgpack_packer *pk);
static int decode_field(uint16_t id, writer fn, orca_err *err) {
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_uint16(&pk, id);
  fn(&pk);
  fx_all out;
  int rc = orca_unpack(&fx_all__type, (const uint8_t *)sb.data, sb.size, &out, &orca_heap, err);
  orca_value_free(&fx_all__type, &out, &orca_heap);
  msgpack_sbuffer_destroy(&sb);
  return rc;
}

static void w_str(msgpack_packer *pk) {
  msgpack_pack_str_with_body(pk, "x", 1);
}
static void w_300(msgpack_packer *pk) {
  msgpack_pack_int(pk, 300);
}
static void w_neg(msgpack_packer *pk) {
  msgpack_pack_int(pk, -1);
}
static void w_int(msgpack_packer *pk) {
  msgpack_pack_int(pk, 1);
}
static void w_3(msgpack_packer *pk) {
  msgpack_pack_int(pk, 3);
}
static void w_bin(msgpack_packer *pk) {
  msgpack_pack_bin_with_body(pk, "x", 1);
}
static void w_badutf8(msgpack_packer *pk) {
  msgpack_pack_str_with_body(pk, "a\xff", 2);
}
static void w_nul(msgpack_packer *pk) {
  msgpack_pack_str_with_body(pk, "a\0b", 3);
}
static void w_surrogate(msgpack_packer *pk) {
  msgpack_pack_str_with_body(pk, "\xed\xa0\x80", 3);
}
static void w_overlong(msgpack_packer *pk) {
  msgpack_pack_str_with_body(pk, "\xc0\xaf", 2);
}
static void w_big_double(msgpack_packer *pk) {
  msgpack_pack_double(pk, 1e300);
}
static void w_array(msgpack_packer *pk) {
  msgpack_pack_array(pk, 0);
}
static void w_float(msgpack_packer *pk) {
  msgpack_pack_double(pk, 1.0);
}
static void w_i64max_plus(msgpack_packer *pk) {
  msgpack_pack_uint64(pk, (uint64_t)INT64_MAX + 1);
}
static void w_items_bad_qty(msgpack_packer *pk) {
  msgpack_pack_array(pk, 3);
  msgpack_pack_map(pk, 0);
  msgpack_pack_map(pk, 0);
  msgpack_pack_map(pk, 1);
  msgpack_pack_int(pk, 2);
  msgpack_pack_str_with_body(pk, "7", 1);
}
static void w_meta_bad_value(msgpack_packer *pk) {
  msgpack_pack_map(pk, 1);
  msgpack_pack_str_with_body(pk, "k", 1);
  msgpack_pack_int(pk, 5);
}
static void w_meta_bad_key(msgpack_packer *pk) {
  msgpack_pack_map(pk, 2);
  msgpack_pack_str_with_body(pk, "k", 1);
  msgpack_pack_str_with_body(pk, "v", 1);
  msgpack_pack_int(pk, 5);
  msgpack_pack_str_with_body(pk, "v", 1);
}
static void w_counts_bad(msgpack_packer *pk) {
  msgpack_pack_map(pk, 1);
  msgpack_pack_int64(pk, 1ll << 40);
  msgpack_pack_int(pk, 5);
}
static void w_grid_bad(msgpack_packer *pk) {
  msgpack_pack_array(pk, 2);
  msgpack_pack_array(pk, 0);
  msgpack_pack_array(pk, 2);
  msgpack_pack_int(pk, 1);
  msgpack_pack_nil(pk);
}
static void w_tree_bad(msgpack_packer *pk) {
  msgpack_pack_map(pk, 1);
  msgpack_pack_int(pk, 2); /* next */
  msgpack_pack_map(pk, 1);
  msgpack_pack_int(pk, 3); /* children */
  msgpack_pack_array(pk, 1);
  msgpack_pack_map(pk, 1);
  msgpack_pack_int(pk, 1);
  msgpack_pack_true(pk);
}

static void test_wrong_types_messages(void **state) {
  (void)state;
  static const struct {
    uint16_t id;
    writer fn;
    const char *msg;
  } cases[] = {
      {8, w_str, "u32: expected integer, got str"},
      {6, w_300, "u8: 300 out of range for u8"},
      {6, w_neg, "u8: -1 out of range for u8"},
      {2, w_300, "i8: 300 out of range for i8"},
      {5, w_i64max_plus, "i64: 9223372036854775808 out of range for i64"},
      {4, w_float, "i32: expected integer, got float"},
      {1, w_int, "b: expected bool, got int"},
      {16, w_3, "tier: 3 is not a value of enum fx.Tier"},
      {12, w_bin, "s: expected string, got bin"},
      {13, w_str, "by: expected bytes, got str"},
      {12, w_badutf8, "s: string is not valid UTF-8 or contains NUL"},
      {12, w_nul, "s: string is not valid UTF-8 or contains NUL"},
      {12, w_surrogate, "s: string is not valid UTF-8 or contains NUL"},
      {12, w_overlong, "s: string is not valid UTF-8 or contains NUL"},
      {10, w_big_double, "f32: 1e+300 out of range for f32"},
      {11, w_str, "f64: expected number, got str"},
      {17, w_array, "item: expected map, got array"},
      {18, w_int, "items: expected array, got int"},
      {18, w_items_bad_qty, "items[2].qty: expected integer, got str"},
      {19, w_meta_bad_value, "meta[\"k\"]: expected string, got int"},
      {19, w_meta_bad_key, "meta[1]: expected string, got int"},
      {20, w_counts_bad, "counts[0]: 1099511627776 out of range for i32"},
      {25, w_grid_bad, "grid[1][1]: expected integer, got nil"},
      {23, w_tree_bad, "tree.next.children[0].value: expected integer, got bool"},
      {14, w_str, "ts: expected integer, got str"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    orca_err err = {0};
    assert_int_equal(decode_field(cases[i].id, cases[i].fn, &err), ORCA_EDECODE);
    if (strcmp(err.msg, cases[i].msg) != 0)
      fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, cases[i].msg);
  }
}

static void expect(const uint8_t *in, size_t n, const char *msg) {
  orca_err err = {0};
  fx_all out;
  counting c = {0, 0, -1};
  orca_alloc al = {count_alloc, count_free, &c};
  assert_int_equal(orca_unpack(&fx_all__type, in, n, &out, &al, &err), ORCA_EDECODE);
  orca_value_free(&fx_all__type, &out, &al);
  if (strcmp(err.msg, msg) != 0)
    fail_msg("got \"%s\", want \"%s\"", err.msg, msg);
  assert_true(c.max_request < 4096); /* nothing sized by a hostile length */
}

static void test_structural(void **state) {
  (void)state;
  /* Huge lengths in tiny buffers. */
  static const uint8_t arr32[] = {0x81, 24, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xa1, 'x', 0xa1};
  expect(arr32, sizeof arr32, "tags: truncated input (value at byte 2 runs past the end)");
  static const uint8_t str32[] = {0x81, 12, 0xdb, 0xff, 0xff, 0xff, 0xf0, 'a', 'b', 'c'};
  expect(str32, sizeof str32, "s: truncated input (value at byte 2 runs past the end)");
  static const uint8_t map32[] = {0x81, 19, 0xdf, 0x7f, 0xff, 0xff, 0xff, 0xa1, 'x', 0xa1};
  expect(map32, sizeof map32, "meta: truncated input (value at byte 2 runs past the end)");
  static const uint8_t bin32[] = {0x81, 13, 0xc6, 0xff, 0xff, 0xff, 0xff, 0};
  expect(bin32, sizeof bin32, "by: truncated input (value at byte 2 runs past the end)");
  static const uint8_t root_map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0x01};
  expect(root_map, sizeof root_map, "value: truncated input (value at byte 0 runs past the end)");
  /* An unknown field with a huge claimed array. */
  static const uint8_t unk[] = {0x81, 0x63, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
  expect(unk, sizeof unk, "value: truncated input (value at byte 2 runs past the end)");
  /* Bad bytes, wrong root, duplicates, keys, trailing bytes. */
  static const uint8_t c1[] = {0x81, 0x04, 0xc1};
  expect(c1, sizeof c1, "i32: invalid msgpack byte 0xc1 at byte 2");
  static const uint8_t root_arr[] = {0x90};
  expect(root_arr, sizeof root_arr, "value: expected map, got array");
  static const uint8_t dup[] = {0x82, 0x04, 0x01, 0x04, 0x02};
  expect(dup, sizeof dup, "i32: duplicate field id 4");
  static const uint8_t dup_s[] = {0x82, 12, 0xa1, 'a', 12, 0xa1, 'b'};
  expect(dup_s, sizeof dup_s, "s: duplicate field id 12");
  static const uint8_t strkey[] = {0x81, 0xa1, 'a', 0x01};
  expect(strkey, sizeof strkey, "value: field key: expected integer id, got str");
  static const uint8_t negkey[] = {0x81, 0xff, 0x01};
  expect(negkey, sizeof negkey, "value: field key: expected integer id, got int");
  static const uint8_t trailing[] = {0x80, 0x00};
  expect(trailing, sizeof trailing, "value: 1 trailing bytes after the value");
  static const uint8_t nothing[] = {0};
  expect(nothing, 0, "value: truncated input (value at byte 0 runs past the end)");
}

static void test_depth_bombs(void **state) {
  (void)state;
  /* 100 nested Node.next: {23: {2: {2: ...}}} */
  uint8_t in[512];
  size_t n = 0;
  in[n++] = 0x81;
  in[n++] = 23;
  for (int i = 0; i < 100; i++) {
    in[n++] = 0x81;
    in[n++] = 0x02;
  }
  in[n++] = 0x80;
  orca_err err = {0};
  fx_all out;
  assert_int_equal(orca_unpack(&fx_all__type, in, n, &out, &orca_heap, &err), ORCA_EDECODE);
  assert_non_null(strstr(err.msg, "nested deeper than 64 levels"));
  assert_non_null(strstr(err.msg, "tree.next.next."));
  orca_value_free(&fx_all__type, &out, &orca_heap);

  /* 63 levels deep is fine (the root map is level 1). */
  n = 0;
  in[n++] = 0x81;
  in[n++] = 23;
  for (int i = 0; i < 61; i++) {
    in[n++] = 0x81;
    in[n++] = 0x02;
  }
  in[n++] = 0x80;
  assert_int_equal(orca_unpack(&fx_all__type, in, n, &out, &orca_heap, &err), 0);
  orca_value_free(&fx_all__type, &out, &orca_heap);

  /* An unknown field holding a million nested arrays: rejected without
   * recursion. */
  size_t big = 1000000;
  uint8_t *bomb = malloc(big + 3);
  bomb[0] = 0x81;
  bomb[1] = 0x63;
  memset(bomb + 2, 0x91, big);
  bomb[big + 2] = 0x01;
  assert_int_equal(orca_unpack(&fx_all__type, bomb, big + 3, &out, &orca_heap, &err), ORCA_EDECODE);
  assert_string_equal(err.msg, "value: nested deeper than 64 levels");
  /* The same bomb in a known list<list<i32>> field. */
  bomb[1] = 25;
  assert_int_equal(orca_unpack(&fx_all__type, bomb, big + 3, &out, &orca_heap, &err), ORCA_EDECODE);
  orca_value_free(&fx_all__type, &out, &orca_heap);
  free(bomb);
}

/* Random mutations of a valid encoding: whatever happens, no crash, no leak,
 * and an error or a value that packs again. */
static void test_mutations(void **state) {
  (void)state;
  orca_buf b = encode_full();
  uint64_t s = 99;
  uint8_t *m = malloc(b.len);
  orca_buf again = ORCA_BUF_INIT;
  for (int i = 0; i < 3000; i++) {
    memcpy(m, b.data, b.len);
    for (int k = 0; k < 1 + i % 4; k++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      m[(s >> 33) % b.len] = (uint8_t)(s >> 20);
    }
    fx_all out;
    int rc = orca_unpack(&fx_all__type, m, b.len, &out, &orca_heap, NULL);
    assert_true(rc == 0 || rc == ORCA_EDECODE);
    if (rc == 0) {
      orca_buf_reset(&again);
      assert_int_equal(orca_pack(&fx_all__type, &out, &again), 0);
    }
    orca_value_free(&fx_all__type, &out, &orca_heap);
  }
  free(m);
  orca_buf_free(&again);
  orca_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_truncation_everywhere), cmocka_unit_test(test_alloc_failure_everywhere),
      cmocka_unit_test(test_wrong_types_messages),  cmocka_unit_test(test_structural),
      cmocka_unit_test(test_depth_bombs),           cmocka_unit_test(test_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
