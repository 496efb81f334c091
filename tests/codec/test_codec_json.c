/* test_codec_json.c — JSON <-> msgpack by schema: accepted forms, rejected
 * inputs with their exact messages, schema-less printing, and random values
 * that go msgpack -> JSON -> msgpack unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static int to_value(const orca_type *t, const char *json, void *v, orca_err *err) {
  orca_buf b = ORCA_BUF_INIT;
  int rc = orca_json_to_msgpack(t, json, strlen(json), &b, err);
  if (rc == 0)
    rc = orca_unpack(t, b.data, b.len, v, &orca_heap, err);
  else
    orca_value_init(t, v);
  orca_buf_free(&b);
  return rc;
}

static void test_accept(void **state) {
  (void)state;
  orca_err err = {0};
  fx_all v;
  const char *json =
      "{ \"b\": true, \"i8\": -128, \"u64\": 18446744073709551615, \"i64\": -9223372036854775808,"
      "  \"f32\": 0.5, \"f64\": -2.5e-3, \"s\": \"h\\u00e9\\ud83c\\udf89\\n\", \"by\": \"AAEC\","
      "  \"ts\": \"2026-11-27T10:00:00Z\", \"dur\": \"1h30m\", \"tier\": \"ENTERPRISE\","
      "  \"item\": {\"sku\": \"A\", \"price\": 3}, \"items\": [{\"sku\": \"x\", \"qty\": 2}, {}],"
      "  \"meta\": {\"k\": \"v\"}, \"counts\": {\"-5\": 7}, \"opt_i\": 0, \"opt_item\": null,"
      "  \"tree\": {\"value\": 1, \"next\": {\"value\": 2}}, \"tags\": [], \"grid\": [[1, 2], []] "
      "}";
  int rc = to_value(&fx_all__type, json, &v, &err);
  if (rc)
    fail_msg("%s", err.msg);
  assert_true(v.b);
  assert_int_equal(v.i8, -128);
  assert_true(v.u64 == UINT64_MAX);
  assert_true(v.i64 == INT64_MIN);
  assert_true(v.f32 == 0.5f);
  assert_true(v.f64 == -2.5e-3);
  assert_string_equal(v.s, "h\xc3\xa9\xf0\x9f\x8e\x89\n");
  assert_int_equal(v.by.len, 3);
  assert_memory_equal(v.by.data, "\0\1\2", 3);
  assert_true(v.ts == 1795773600000000LL);
  assert_true(v.dur == 5400000000LL);
  assert_int_equal(v.tier, FX_TIER_ENTERPRISE);
  assert_true(v.item.has_price && v.item.price == 3.0);
  assert_int_equal(v.item.qty, 1);
  assert_int_equal(v.items.len, 2);
  assert_int_equal(v.items.items[0].qty, 2);
  assert_int_equal(v.items.items[1].qty, 1);
  assert_string_equal(v.meta.values[0], "v");
  assert_int_equal(v.counts.keys[0], -5);
  assert_true(v.has_opt_i);
  assert_null(v.opt_item);
  assert_int_equal(v.tree->next->value, 2);
  assert_int_equal(v.grid.items[0].items[1], 2);
  assert_string_equal(v.s, "h\xc3\xa9\xf0\x9f\x8e\x89\n");
  orca_value_free(&fx_all__type, &v, &orca_heap);

  /* Other accepted forms: enum by number, integer µs, whitespace. */
  assert_int_equal(to_value(&fx_all__type, " {\"tier\":5,\"ts\":12,\"dur\":250} \n", &v, &err), 0);
  assert_int_equal(v.tier, FX_TIER_ENTERPRISE);
  assert_true(v.ts == 12 && v.dur == 250);
  assert_string_equal(v.s, "anon");
  orca_value_free(&fx_all__type, &v, &orca_heap);
  assert_int_equal(to_value(&fx_all__type,
                            "{\"dur\":\"250ms\",\"ts\":\"2026-11-27T11:00:00.5+01:00\"}", &v, &err),
                   0);
  assert_true(v.dur == 250000 && v.ts == 1795773600500000LL);
  orca_value_free(&fx_all__type, &v, &orca_heap);
}

static void test_reject(void **state) {
  (void)state;
  static const struct {
    const char *json, *msg;
  } cases[] = {
      {"", "invalid JSON at byte 0: expected a value, got end of input"},
      {"{", "invalid JSON at byte 1: expected a string key in object (opened at byte 0), got end "
            "of input"},
      {"{\"b\" true}", "invalid JSON at byte 5: expected ':' after object key, got unexpected "
                       "character"},
      {"{\"b\": tru}", "invalid JSON at byte 6: unknown literal (expected true, false or null)"},
      {"{\"i8\": 01}", "invalid JSON at byte 7: leading zero in number"},
      {"{\"i8\": 1,}", "invalid JSON at byte 9: expected a string key in object (opened at byte "
                       "0), got unexpected character"},
      {"{} x", "invalid JSON at byte 3: trailing characters after the value"},
      {"{\"s\": \"a\x01\"}", "invalid JSON at byte 8: control character in string (escape it)"},
      {"{\"s\": \"\\ud800\"}", "invalid JSON at byte 7: high surrogate without a low one"},
      {"{\"s\": \"\\u0000\"}", "invalid JSON at byte 7: \\u0000 is not allowed in strings"},
      {"{\"s\": \"\xff\"}", "invalid JSON at byte 7: string is not valid UTF-8"},
      {"{\"s\": \"\\x\"}", "invalid JSON at byte 7: bad escape"},
      {"[1, 2", "invalid JSON at byte 5: expected ',' or ']' (to close '[' at byte 0), got end of "
                "input"},
      {"{\"nope\": 1}", "nope: unknown field of fx.All (byte 9)"},
      {"{\"u8\": 300}", "u8: 300 out of range for u8 (byte 7)"},
      {"{\"u8\": -1}", "u8: -1 out of range for u8 (byte 7)"},
      {"{\"u64\": 18446744073709551616}",
       "u64: 18446744073709551616 out of range for u64 (byte 8)"},
      {"{\"i32\": 1.5}", "i32: expected integer, got 1.5 (byte 8)"},
      {"{\"i32\": \"1\"}", "i32: expected integer, got string (byte 8)"},
      {"{\"b\": 1}", "b: expected bool, got number (byte 6)"},
      {"{\"s\": 1}", "s: expected string, got number (byte 6)"},
      {"{\"by\": \"AAE\"}", "by: invalid base64 (byte 7)"},
      {"{\"tier\": \"GOLD\"}", "tier: \"GOLD\" is not a value of enum fx.Tier (byte 9)"},
      {"{\"tier\": 3}", "tier: 3 is not a value of enum fx.Tier (byte 9)"},
      {"{\"ts\": \"yesterday\"}", "ts: expected RFC 3339 time, got \"yesterday\" (byte 7)"},
      {"{\"dur\": \"5 parsecs\"}",
       "dur: expected duration like \"1h30m\", got \"5 parsecs\" (byte 8)"},
      {"{\"dur\": true}", "dur: expected duration like \"1h30m\" or integer µs, got bool (byte 8)"},
      {"{\"f32\": 1e300}", "f32: 1e300 out of range for f32 (byte 8)"},
      {"{\"items\": [{}, {\"qty\": \"x\"}]}",
       "items[1].qty: expected integer, got string (byte 23)"},
      {"{\"items\": [{}, {\"what\": 1}]}", "items[1].what: unknown field of fx.Item (byte 24)"},
      {"{\"meta\": {\"k\": 1}}", "meta[\"k\"]: expected string, got number (byte 15)"},
      {"{\"counts\": {\"x\": 1}}", "counts[\"x\"]: map key: expected integer, got \"x\" (byte 17)"},
      {"{\"counts\": {\"3000000000\": 1}}",
       "counts[\"3000000000\"]: 3000000000 out of range for i32 (byte 26)"},
      {"{\"b\": true, \"b\": false}", "b: duplicate field (byte 17)"},
      {"{\"tree\": {\"next\": {\"value\": []}}}", "tree.next.value: expected integer, got array "
                                                  "(byte 28)"},
      {"[]", "value: expected object, got array (byte 0)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    orca_err err = {0};
    orca_buf b = ORCA_BUF_INIT;
    int rc = orca_json_to_msgpack(&fx_all__type, cases[i].json, strlen(cases[i].json), &b, &err);
    if (rc != ORCA_EINVAL || strcmp(err.msg, cases[i].msg) != 0)
      fail_msg("case %zu (%s): rc %d, got \"%s\", want \"%s\"", i, cases[i].json, rc, err.msg,
               cases[i].msg);
    assert_int_equal(b.len, 0); /* nothing partial left behind */
    orca_buf_free(&b);
  }
  /* A depth bomb. */
  char deep[400];
  memset(deep, '[', sizeof deep - 1);
  deep[sizeof deep - 1] = 0;
  orca_err err = {0};
  orca_buf b = ORCA_BUF_INIT;
  assert_int_equal(orca_json_to_msgpack(NULL, deep, strlen(deep), &b, &err), ORCA_EINVAL);
  assert_string_equal(err.msg, "invalid JSON at byte 64: nested deeper than 64 levels");
  orca_buf_free(&b);
}

static void expect_json(const orca_type *t, const uint8_t *mp, size_t n, const char *want) {
  orca_buf b = ORCA_BUF_INIT;
  orca_err err = {0};
  int rc = orca_msgpack_to_json(t, mp, n, &b, &err);
  if (rc)
    fail_msg("%s", err.msg);
  assert_int_equal(orca_buf_append(&b, "", 1), 0);
  assert_string_equal((char *)b.data, want);
  orca_buf_free(&b);
}

static void test_print(void **state) {
  (void)state;
  fx_all v;
  orca_value_init(&fx_all__type, &v);
  v.ts = 1795773600000001LL;
  v.dur = 5400250000LL;
  v.tier = FX_TIER_FREE;
  uint8_t raw[] = {0xff, 0x00};
  v.by.data = raw;
  v.by.len = 2;
  v.s = "q\"\x01";
  orca_buf b = ORCA_BUF_INIT;
  assert_int_equal(orca_pack(&fx_all__type, &v, &b), 0);
  expect_json(&fx_all__type, b.data, b.len,
              "{\"b\":false,\"i8\":0,\"i16\":0,\"i32\":0,\"i64\":0,\"u8\":0,\"u16\":0,\"u32\":0,"
              "\"u64\":0,\"f32\":0,\"f64\":0,\"s\":\"q\\\"\\u0001\",\"by\":\"/wA=\","
              "\"ts\":\"2026-11-27T10:00:00.000001Z\",\"dur\":\"1h30m250ms\",\"tier\":\"FREE\","
              "\"item\":{\"sku\":\"\",\"qty\":1},\"items\":[],\"meta\":{},\"counts\":{},"
              "\"tags\":[],\"grid\":[],\"answer\":42}");
  orca_buf_free(&b);
  /* Schema-less: numeric keys as strings, bin as base64, ext, invalid UTF-8. */
  static const uint8_t m[] = {0x84, 0x01, 0xc4, 0x01, 0x41, 0xa1, 'k',  0x92, 0xc0,
                              0xcb, 0x3f, 0xf8, 0,    0,    0,    0,    0,    0,
                              0xff, 0xa2, 0xc3, 0x28, 0x07, 0xd4, 0x05, 0x09};
  expect_json(
      NULL, m, sizeof m,
      "{\"1\":\"QQ==\",\"k\":[null,1.5],\"-1\":\"\\ufffd(\",\"7\":{\"ext\":5,\"data\":\"CQ==\"}}");
  /* Unknown field ids under their number; wrong types are errors. */
  static const uint8_t item[] = {0x82, 0x01, 0xa1, 'x', 0x09, 0x90};
  expect_json(&fx_item__type, item, sizeof item, "{\"sku\":\"x\",\"9\":[]}");
  static const uint8_t badqty[] = {0x81, 0x02, 0xa1, 'x'};
  orca_err err = {0};
  assert_int_equal(orca_msgpack_to_json(&fx_item__type, badqty, sizeof badqty, &b, &err),
                   ORCA_EDECODE);
  assert_string_equal(err.msg, "qty: expected integer, got str");
  assert_int_equal(orca_msgpack_to_json(NULL, badqty, 3, &b, &err), ORCA_EDECODE);
  assert_int_equal(b.len, 0);
  orca_buf_free(&b);
}

/* Every msgpack format, read through the schema-less printer, and every
 * truncation of it refused. */
static void test_every_format(void **state) {
  (void)state;
  static const uint8_t m[] = {
      0xdc, 0x00, 0x1b,                                           /* array16 of 27 */
      0xc0, 0xc2, 0xc3, 0x05, 0xe0,                               /* nil false true 5 -32 */
      0xcc, 0xff, 0xcd, 0x01, 0x00, 0xce, 0x00, 0x01, 0x00, 0x00, /* u8 u16 u32 */
      0xcf, 0x80, 0,    0,    0,    0,    0,    0,    0,          /* u64 2^63 */
      0xd0, 0x80, 0xd1, 0xff, 0x00, 0xd2, 0xff, 0xff, 0xff, 0x00, /* i8 i16 i32 */
      0xd3, 0x80, 0,    0,    0,    0,    0,    0,    0,          /* i64 min */
      0xca, 0x3f, 0xc0, 0x00, 0x00,                               /* f32 1.5 */
      0xd9, 0x01, 'a',  0xda, 0x00, 0x01, 'b',  0xdb, 0,    0,    0, 1, 'c',  /* str8/16/32 */
      0xc4, 0x01, 0x41, 0xc5, 0x00, 0x01, 0x41, 0xc6, 0,    0,    0, 1, 0x41, /* bin8/16/32 */
      0xc7, 0x01, 0x07, 0xaa, 0xc8, 0x00, 0x01, 0x07, 0xaa,                   /* ext8, ext16 */
      0xc9, 0x00, 0x00, 0x00, 0x01, 0x07, 0xaa,                               /* ext32 */
      0xd5, 0x07, 0xaa, 0xbb,                                                 /* fixext2 */
      0xdd, 0x00, 0x00, 0x00, 0x00,                                           /* array32 [] */
      0xde, 0x00, 0x00, 0xdf, 0x00, 0x00, 0x00, 0x00, /* map16 {}, map32 {} */
  };
  expect_json(NULL, m, sizeof m,
              "[null,false,true,5,-32,255,256,65536,9223372036854775808,-128,-256,-256,"
              "-9223372036854775808,1.5,\"a\",\"b\",\"c\",\"QQ==\",\"QQ==\",\"QQ==\","
              "{\"ext\":7,\"data\":\"qg==\"},{\"ext\":7,\"data\":\"qg==\"},"
              "{\"ext\":7,\"data\":\"qg==\"},{\"ext\":7,\"data\":\"qrs=\"},[],{},{}]");
  orca_buf b = ORCA_BUF_INIT;
  for (size_t n = 0; n < sizeof m; n++) {
    orca_err err = {0};
    assert_int_equal(orca_msgpack_to_json(NULL, m, n, &b, &err), ORCA_EDECODE);
    assert_int_equal(b.len, 0);
  }
  orca_buf_free(&b);
}

/* Random values survive msgpack -> JSON -> msgpack byte for byte. */
static void test_random_json_round_trip(void **state) {
  (void)state;
  uint64_t seed = 31337;
  orca_buf mp = ORCA_BUF_INIT, js = ORCA_BUF_INIT, back = ORCA_BUF_INIT;
  for (int i = 0; i < 300; i++) {
    fx_all v;
    fx_random_all(&v, &seed);
    orca_buf_reset(&mp);
    orca_buf_reset(&js);
    orca_buf_reset(&back);
    assert_int_equal(orca_pack(&fx_all__type, &v, &mp), 0);
    orca_err err = {0};
    assert_int_equal(orca_msgpack_to_json(&fx_all__type, mp.data, mp.len, &js, &err), 0);
    int rc = orca_json_to_msgpack(&fx_all__type, (char *)js.data, js.len, &back, &err);
    if (rc)
      fail_msg("round %d: %s in %.*s", i, err.msg, (int)js.len, (char *)js.data);
    if (back.len != mp.len || memcmp(back.data, mp.data, mp.len) != 0)
      fail_msg("round %d: bytes differ after JSON %.*s", i, (int)js.len, (char *)js.data);
    /* Schema-less printing accepts the same bytes. */
    orca_buf_reset(&js);
    assert_int_equal(orca_msgpack_to_json(NULL, mp.data, mp.len, &js, &err), 0);
    orca_value_free(&fx_all__type, &v, &orca_heap);
  }
  orca_buf_free(&mp);
  orca_buf_free(&js);
  orca_buf_free(&back);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accept),
      cmocka_unit_test(test_reject),
      cmocka_unit_test(test_print),
      cmocka_unit_test(test_every_format),
      cmocka_unit_test(test_random_json_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
