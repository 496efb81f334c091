/* test_hostile.c — untrusted bytes through the generated unpack of
 * alltypes.All: every truncation of valid encodings, wrong wire types,
 * lengths larger than the buffer, nesting deeper than ORCA_CODEC_MAX_DEPTH,
 * trailing bytes and random corruption. Each must give ORCA_EDECODE (with the
 * field named where the test says so), never a crash or a leak: the suite
 * runs this under AddressSanitizer and UndefinedBehaviorSanitizer. */
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

/* Decode data as All; check the result code, and that err names `field`
 * when given. The value is freed whatever happened. */
static void expect(const uint8_t *data, size_t len, int want, const char *field) {
  alltypes_all v;
  orca_err err = {0};
  int rc = alltypes_all_unpack(data, len, &v, &orca_heap, &err);
  alltypes_all_free(&v);
  if (rc != want)
    fail_msg("expected %s, got %s (%s)", orca_err_name(want), orca_err_name(rc), err.msg);
  if (field && !strstr(err.msg, field))
    fail_msg("error does not name '%s': %s", field, err.msg);
}

static void test_truncated_everywhere(void **state) {
  (void)state;
  orca_buf buf = ORCA_BUF_INIT;
  for (uint64_t seed = 1; seed <= 40; seed++) {
    gen_rng rng = {seed};
    alltypes_all v;
    memset(&v, 0, sizeof v);
    gen_random(&rng, &alltypes_all__type, &v, 3);
    orca_buf_reset(&buf);
    assert_int_equal(alltypes_all_pack(&v, &buf), 0);
    alltypes_all_free(&v);
    /* Every proper prefix of a map is incomplete: a copy of exactly that
     * many bytes, so ASan sees any read past the end. */
    for (size_t n = 0; n < buf.len; n++) {
      uint8_t *copy = malloc(n ? n : 1);
      memcpy(copy, buf.data, n);
      expect(copy, n, ORCA_EDECODE, NULL);
      free(copy);
    }
    expect(buf.data, buf.len, 0, NULL);
  }
  orca_buf_free(&buf);
}

static void test_wrong_types_name_the_field(void **state) {
  (void)state;
  /* {8: "x"}: u32v gets a string. */
  const uint8_t u32_str[] = {0x81, 0x08, 0xa1, 'x'};
  expect(u32_str, sizeof u32_str, ORCA_EDECODE, "u32v");
  /* {12: 5}: the string s gets an integer. */
  const uint8_t s_int[] = {0x81, 0x0c, 0x05};
  expect(s_int, sizeof s_int, ORCA_EDECODE, "s");
  /* {1: 1}: bool gets an integer. */
  const uint8_t b_int[] = {0x81, 0x01, 0x01};
  expect(b_int, sizeof b_int, ORCA_EDECODE, "b");
  /* {6: 300}: u8 out of range. */
  const uint8_t u8_big[] = {0x81, 0x06, 0xcd, 0x01, 0x2c};
  expect(u8_big, sizeof u8_big, ORCA_EDECODE, "u8v");
  /* {2: -200}: i8 out of range. */
  const uint8_t i8_small[] = {0x81, 0x02, 0xd1, 0xff, 0x38};
  expect(i8_small, sizeof i8_small, ORCA_EDECODE, "i8v");
  /* {16: 5}: an enum number with no name. */
  const uint8_t bad_enum[] = {0x81, 0x10, 0x05};
  expect(bad_enum, sizeof bad_enum, ORCA_EDECODE, "color");
  /* {20: ["x"]}: a list of structs holding a string. */
  const uint8_t list_item[] = {0x81, 0x14, 0x91, 0xa1, 'x'};
  expect(list_item, sizeof list_item, ORCA_EDECODE, "inners");
  /* {22: {"k": {}}}: a map with i32 keys gets a string key. */
  const uint8_t map_key[] = {0x81, 0x16, 0x81, 0xa1, 'k', 0x80};
  expect(map_key, sizeof map_key, ORCA_EDECODE, "by_id");
  /* {17: {1: true}}: a nested struct's field. */
  const uint8_t nested[] = {0x81, 0x11, 0x81, 0x01, 0xc3};
  expect(nested, sizeof nested, ORCA_EDECODE, "name");
  /* Not a map at all; nil; an array. */
  const uint8_t arr[] = {0x90}, nil[] = {0xc0}, str[] = {0xa0};
  expect(arr, sizeof arr, ORCA_EDECODE, NULL);
  expect(nil, sizeof nil, ORCA_EDECODE, NULL);
  expect(str, sizeof str, ORCA_EDECODE, NULL);
  /* Trailing bytes after a complete value. */
  const uint8_t trailing[] = {0x80, 0x00};
  expect(trailing, sizeof trailing, ORCA_EDECODE, NULL);
  /* A reserved byte (0xc1 is never used by msgpack). */
  const uint8_t reserved[] = {0x81, 0x04, 0xc1};
  expect(reserved, sizeof reserved, ORCA_EDECODE, NULL);
}

static void test_lengths_beyond_the_buffer(void **state) {
  (void)state;
  /* {12: str32 of 4 GiB - 1} with 2 bytes present. */
  const uint8_t str32[] = {0x81, 0x0c, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a', 'b'};
  expect(str32, sizeof str32, ORCA_EDECODE, "s");
  /* {13: bin32 of 2 GiB}. */
  const uint8_t bin32[] = {0x81, 0x0d, 0xc6, 0x7f, 0xff, 0xff, 0xff, 0x00};
  expect(bin32, sizeof bin32, ORCA_EDECODE, "raw");
  /* {18: array32 of 2^32-1 ints} with one present: must not allocate 16 GiB. */
  const uint8_t arr32[] = {0x81, 0x12, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
  expect(arr32, sizeof arr32, ORCA_EDECODE, "ints");
  /* {21: map32 of 2^32-1 entries}. */
  const uint8_t map32[] = {0x81, 0x15, 0xdf, 0xff, 0xff, 0xff, 0xff};
  expect(map32, sizeof map32, ORCA_EDECODE, "counts");
  /* The top map claims 1000 entries and has one. */
  const uint8_t top[] = {0xde, 0x03, 0xe8, 0x01, 0xc3};
  expect(top, sizeof top, ORCA_EDECODE, NULL);
  /* An unknown id whose value (a str16 of 60000 bytes) runs off the end. */
  const uint8_t skip[] = {0x81, 0xcd, 0x27, 0x10, 0xda, 0xea, 0x60, 'z'};
  expect(skip, sizeof skip, ORCA_EDECODE, NULL);
}

/* {28: {2: {2: ... {1: 1} ...}}}: Node.next nested `depth` times. */
static size_t nested_nodes(uint8_t *out, int depth) {
  size_t n = 0;
  out[n++] = 0x81;
  out[n++] = 0x1c;
  for (int i = 0; i < depth; i++) {
    out[n++] = 0x81;
    out[n++] = 0x02;
  }
  out[n++] = 0x81;
  out[n++] = 0x01;
  out[n++] = 0x01;
  return n;
}

static void test_deep_nesting(void **state) {
  (void)state;
  static uint8_t buf[200000];
  /* Within the limit: fine. */
  size_t n = nested_nodes(buf, ORCA_CODEC_MAX_DEPTH / 2);
  expect(buf, n, 0, NULL);
  /* Recursion through optional structs beyond the limit. */
  n = nested_nodes(buf, ORCA_CODEC_MAX_DEPTH * 4);
  expect(buf, n, ORCA_EDECODE, "tree.next");
  /* Deeply nested arrays under an unknown id: skipping must be bounded too. */
  n = 0;
  buf[n++] = 0x81;
  buf[n++] = 0x63; /* id 99: unknown */
  for (int i = 0; i < 100000; i++)
    buf[n++] = 0x91;
  buf[n++] = 0xc0;
  expect(buf, n, ORCA_EDECODE, NULL);
  /* Nested lists of the declared type list<list<u8>> are only two deep:
   * a third level is a type error, not a recursion. */
  const uint8_t three[] = {0x81, 0x1d, 0x91, 0x91, 0x91, 0x01};
  expect(three, sizeof three, ORCA_EDECODE, "matrix");
}

static void test_random_corruption(void **state) {
  (void)state;
  orca_buf buf = ORCA_BUF_INIT;
  int ok = 0, bad = 0;
  for (uint64_t seed = 1; seed <= 3000; seed++) {
    gen_rng rng = {seed};
    alltypes_all v;
    memset(&v, 0, sizeof v);
    gen_random(&rng, &alltypes_all__type, &v, 3);
    orca_buf_reset(&buf);
    assert_int_equal(alltypes_all_pack(&v, &buf), 0);
    alltypes_all_free(&v);
    int flips = 1 + (int)(gen_next(&rng) % 4);
    for (int i = 0; i < flips; i++)
      buf.data[gen_next(&rng) % buf.len] = (uint8_t)gen_next(&rng);
    orca_err err = {0};
    int rc = alltypes_all_unpack(buf.data, buf.len, &v, &orca_heap, &err);
    alltypes_all_free(&v);
    if (rc == 0)
      ok++;
    else if (rc == ORCA_EDECODE && err.msg[0])
      bad++;
    else
      fail_msg("seed %llu: %s (%s)", (unsigned long long)seed, orca_err_name(rc), err.msg);
  }
  assert_true(bad > 0);
  orca_buf_free(&buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_truncated_everywhere),
      cmocka_unit_test(test_wrong_types_name_the_field),
      cmocka_unit_test(test_lengths_beyond_the_buffer),
      cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_random_corruption),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
