/* test_envelope.c — the task envelope: round trip (zero-copy views into the
 * input), omitted zero fields, unknown keys skipped, and hostile bytes
 * (truncation everywhere, wrong types, missing and duplicate keys, too many
 * headers, mutations). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec/envelope.h"

static orca__str S(const char *s) {
  return (orca__str){s, strlen(s)};
}

static bool str_eq(orca__str a, const char *b) {
  return a.len == strlen(b) && memcmp(a.ptr, b, a.len) == 0;
}

static void fill(orca__envelope *e) {
  memset(e, 0, sizeof *e);
  static const uint8_t args[] = {0x81, 0x01, 0xa1, 'x'};
  e->v = ORCA__ENVELOPE_VERSION;
  e->id = S("01JDXYZ");
  e->task = S("shop.charge");
  e->fingerprint = 0xfedcba9876543210ull;
  e->queue = S("payments");
  e->priority = -3;
  e->attempt = 2;
  e->enqueued_us = 1795773600000000;
  e->eta_us = 1795773601000000;
  e->deadline_us = -1;
  e->unique_key = S("u:1");
  e->nheaders = 2;
  e->headers[0] = (orca__header){S("trace"), S("abc")};
  e->headers[1] = (orca__header){S("empty"), S("")};
  e->args = args;
  e->args_len = sizeof args;
}

static void test_round_trip(void **state) {
  (void)state;
  orca__envelope e, d;
  fill(&e);
  orca_buf b = ORCA_BUF_INIT;
  assert_int_equal(orca__envelope_encode(&e, &b), 0);
  orca_err err = {0};
  assert_int_equal(orca__envelope_decode(b.data, b.len, &d, &err), 0);
  assert_int_equal(d.v, 1);
  assert_true(str_eq(d.id, "01JDXYZ"));
  assert_true(str_eq(d.task, "shop.charge"));
  assert_true(d.fingerprint == 0xfedcba9876543210ull);
  assert_true(str_eq(d.queue, "payments"));
  assert_int_equal(d.priority, -3);
  assert_int_equal(d.attempt, 2);
  assert_true(d.enqueued_us == e.enqueued_us && d.eta_us == e.eta_us && d.deadline_us == -1);
  assert_true(str_eq(d.unique_key, "u:1"));
  assert_int_equal(d.nheaders, 2);
  assert_true(str_eq(d.headers[0].value, "abc"));
  assert_true(str_eq(d.headers[1].key, "empty") && d.headers[1].value.len == 0);
  assert_int_equal(d.args_len, 4);
  assert_memory_equal(d.args, e.args, 4);
  /* Zero-copy: views point into the input. */
  assert_true((const uint8_t *)d.task.ptr > b.data && (const uint8_t *)d.task.ptr < b.data + b.len);
  assert_true(d.args > b.data && d.args + d.args_len <= b.data + b.len);

  /* Zero fields are left out and decode as zero. */
  orca__envelope m;
  memset(&m, 0, sizeof m);
  m.v = 1;
  m.id = S("i");
  m.task = S("t");
  m.args = (const uint8_t *)"\x80";
  m.args_len = 1;
  size_t full = b.len;
  orca_buf_reset(&b);
  assert_int_equal(orca__envelope_encode(&m, &b), 0);
  assert_true(b.len < full / 2);
  assert_int_equal(orca__envelope_decode(b.data, b.len, &d, &err), 0);
  assert_int_equal(d.nheaders, 0);
  assert_int_equal(d.eta_us, 0);
  assert_int_equal(d.queue.len, 0);
  orca_buf_free(&b);
}

static void test_unknown_keys_skipped(void **state) {
  (void)state;
  /* {1:1, 2:"i", 3:"t", 13:bin(0), 99:[1,{}], 14:"future"} */
  static const uint8_t in[] = {0x86, 0x01, 0x01, 0x02, 0xa1, 'i',  0x03, 0xa1,
                               't',  0x0d, 0xc4, 0x00, 0x63, 0x92, 0x01, 0x80,
                               0x0e, 0xa6, 'f',  'u',  't',  'u',  'r',  'e'};
  orca__envelope d;
  orca_err err = {0};
  assert_int_equal(orca__envelope_decode(in, sizeof in, &d, &err), 0);
  assert_true(str_eq(d.task, "t"));
  assert_int_equal(d.args_len, 0);
}

static void expect_bad(const uint8_t *in, size_t n, const char *msg) {
  orca__envelope d;
  orca_err err = {0};
  assert_int_equal(orca__envelope_decode(in, n, &d, &err), ORCA_EDECODE);
  if (msg && strcmp(err.msg, msg) != 0)
    fail_msg("got \"%s\", want \"%s\"", err.msg, msg);
}

static void test_hostile(void **state) {
  (void)state;
  orca__envelope e;
  fill(&e);
  orca_buf b = ORCA_BUF_INIT;
  assert_int_equal(orca__envelope_encode(&e, &b), 0);
  for (size_t n = 0; n < b.len; n++)
    expect_bad(b.data, n, NULL);
  uint8_t *m = malloc(b.len);
  uint64_t s = 5;
  for (int i = 0; i < 5000; i++) {
    memcpy(m, b.data, b.len);
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    m[(s >> 33) % b.len] = (uint8_t)(s >> 24);
    orca__envelope d;
    int rc = orca__envelope_decode(m, b.len, &d, NULL);
    assert_true(rc == 0 || rc == ORCA_EDECODE);
    if (rc == 0) { /* views stay inside the input */
      assert_true(d.args_len == 0 || (d.args >= m && d.args + d.args_len <= m + b.len));
      assert_true(d.nheaders <= ORCA__MAX_HEADERS);
    }
  }
  free(m);
  orca_buf_free(&b);

  static const uint8_t arr[] = {0x90};
  expect_bad(arr, 1, "envelope: expected map, got array");
  static const uint8_t miss[] = {0x81, 0x01, 0x01};
  expect_bad(miss, sizeof miss, "envelope.id: missing");
  static const uint8_t dup[] = {0x82, 0x01, 0x01, 0x01, 0x01};
  expect_bad(dup, sizeof dup, "envelope.v: duplicate key");
  static const uint8_t type[] = {0x81, 0x03, 0x05};
  expect_bad(type, sizeof type, "envelope.task: expected string, got int");
  static const uint8_t neg_attempt[] = {0x81, 0x07, 0xff};
  expect_bad(neg_attempt, sizeof neg_attempt, "envelope.attempt: integer out of range");
  static const uint8_t args_str[] = {0x81, 0x0d, 0xa1, 'x'};
  expect_bad(args_str, sizeof args_str, "envelope.args: expected bin, got str");
  static const uint8_t huge[] = {0x81, 0x0d, 0xc6, 0xff, 0xff, 0xff, 0xff, 0x00};
  expect_bad(huge, sizeof huge, "envelope.args: truncated or malformed");
  static const uint8_t strkey[] = {0x81, 0xa1, 'v', 0x01};
  expect_bad(strkey, sizeof strkey, "envelope: key: expected integer, got str");
  static const uint8_t trailing[] = {0x80, 0x80};
  expect_bad(trailing, sizeof trailing, "envelope: 1 trailing bytes");
  uint8_t many[200] = {0x81, 0x0c, 0xde, 0x00, 33};
  size_t n = 5;
  for (int i = 0; i < 33; i++) {
    many[n++] = 0xa0;
    many[n++] = 0xa0;
  }
  expect_bad(many, n, "envelope.headers: 33 headers, at most 32");
  expect_bad(NULL, 0, "envelope.(root): truncated or malformed");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_unknown_keys_skipped),
      cmocka_unit_test(test_hostile),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
