/* test_hooks_convert.c — task.args and results as Lua sees them: every
 * .orca type through the reflection tables, defaults for fields missing on
 * the wire, and clear errors for malformed payloads. The checks run in Lua
 * (assert with the actual value in the message); a failed check fails the
 * hook, and the test looks for the hook's success marker in the log. */
#include <math.h>
#include <msgpack.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* Run `body` as before_run of hk.every with args data[0..len). */
static void run_every(const char *body, const uint8_t *data, size_t len) {
  char src[8192];
  snprintf(
      src, sizeof src,
      "local function eq(a, b, what)\n"
      "  if a ~= b or math.type(a) ~= math.type(b) then\n"
      "    error(what .. ': got ' .. tostring(a) .. ' (' .. tostring(math.type(a) or type(a))\n"
      "          .. '), want ' .. tostring(b), 2)\n"
      "  end\n"
      "end\n"
      "return { before_run = function(task)\n local e = task.args.e\n%s\n"
      " print('conversion ok') end }\n",
      body);
  orca__hooks *h = hk_open(src);
  const orca_task_desc *task = hk_every_task(NULL);
  orca__hook_task t = {.task = task, .queue = {"default", 7}, .args = data, .args_len = len};
  hk_log_clear();
  orca__hooks_before_run(h, &t);
  orca__hooks_close(h);
}

static void every_type(void **s) {
  (void)s;
  hk_line lines[2] = {{"a-1", 2}, {"b-2", 0}};
  char *ckeys[2] = {"x", "y"};
  int64_t cvals[2] = {-5, 1LL << 40};
  int32_t nkeys[2] = {-1, 3};
  char *nvals[2] = {"minus one", "three"};
  uint8_t raw[3] = {0, 0xff, 'A'};
  hk_line extra = {"ex", 9};
  hk_every_args a = {.e = {.b = true,
                           .i8 = -128,
                           .i16 = -32768,
                           .i32 = INT32_MIN,
                           .i64 = INT64_MIN,
                           .u8 = 255,
                           .u16 = 65535,
                           .u32 = UINT32_MAX,
                           .u64 = UINT64_MAX,
                           .f32 = 1.5f,
                           .f64 = -0.25,
                           .s = "héllo",
                           .by = {raw, 3},
                           .ts = 1700000000123000,
                           .dur = 1500,
                           .level = HK_HIGH,
                           .line = {"main", 4},
                           .lines = {lines, 2},
                           .counts = {ckeys, cvals, 2},
                           .names = {nkeys, nvals, 2},
                           .has_maybe = true,
                           .maybe = -7,
                           .extra = &extra,
                           .answer = 1,
                           .greeting = "yo"}};
  size_t len;
  const uint8_t *p = hk_pack(&hk_every_args__type, &a, &len);
  run_every("eq(e.b, true, 'b'); eq(e.i8, -128, 'i8'); eq(e.i16, -32768, 'i16')\n"
            "eq(e.i32, -2147483648, 'i32'); eq(e.i64, math.mininteger, 'i64')\n"
            "eq(e.u8, 255, 'u8'); eq(e.u16, 65535, 'u16'); eq(e.u32, 4294967295, 'u32')\n"
            "eq(e.u64, 18446744073709551615.0, 'u64 beyond int64 is a float')\n"
            "eq(e.f32, 1.5, 'f32'); eq(e.f64, -0.25, 'f64'); eq(e.s, 'héllo', 's')\n"
            "eq(e.by, '\\0\\255A', 'bytes'); eq(#e.by, 3, '#bytes')\n"
            "eq(e.ts, 1700000000123, 'timestamp in ms'); eq(e.dur, 1.5, 'duration in ms')\n"
            "eq(e.level, 'HIGH', 'enum'); eq(e.line.sku, 'main', 'line.sku')\n"
            "eq(e.line.qty, 4, 'line.qty'); eq(#e.lines, 2, '#lines')\n"
            "eq(e.lines[1].sku, 'a-1', 'lines[1]'); eq(e.lines[2].qty, 0, 'lines[2].qty')\n"
            "eq(e.counts.x, -5, 'counts.x'); eq(e.counts.y, 1 << 40, 'counts.y')\n"
            "eq(e.names[-1], 'minus one', 'names[-1]'); eq(e.names[3], 'three', 'names[3]')\n"
            "eq(e.maybe, -7, 'maybe'); eq(e.extra.sku, 'ex', 'extra'); eq(e.answer, 1, 'answer')\n"
            "eq(e.greeting, 'yo', 'greeting')",
            p, len);
  if (!hk_log_has("hook: conversion ok"))
    fail_msg("%s", hk_log_text());

  /* absent optionals are nil; whole ms stay integers; unnamed enum values
   * stay numbers; a u64 within int64 is an integer */
  hk_every_args b = {.e = {.ts = -2000, .dur = 0, .u64 = 12, .s = NULL}};
  p = hk_pack(&hk_every_args__type, &b, &len);
  run_every("eq(e.maybe, nil, 'maybe'); eq(e.extra, nil, 'extra'); eq(e.ts, -2, 'ts')\n"
            "eq(e.dur, 0, 'dur'); eq(e.u64, 12, 'u64')\n"
            "eq(e.s, '', 'NULL string'); eq(#e.lines, 0, 'empty list')\n"
            "eq(next(e.counts), nil, 'empty map')",
            p, len);
  if (!hk_log_has("hook: conversion ok"))
    fail_msg("%s", hk_log_text());
}

/* msgpack written by hand with msgpack-c: only some fields present. */
static const uint8_t *sparse(size_t *len, int variant) {
  static msgpack_sbuffer sb;
  msgpack_sbuffer_destroy(&sb);
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 1);
  msgpack_pack_uint8(&pk, 1); /* e */
  switch (variant) {
  case 0: /* only s, and an unknown field 99 */
    msgpack_pack_map(&pk, 2);
    msgpack_pack_uint8(&pk, 12);
    msgpack_pack_str_with_body(&pk, "only", 4);
    msgpack_pack_uint8(&pk, 99);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_true(&pk);
    break;
  case 1: /* i32 as a string */
    msgpack_pack_map(&pk, 1);
    msgpack_pack_uint8(&pk, 17);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_uint8(&pk, 2);
    msgpack_pack_str_with_body(&pk, "many", 4);
    break;
  case 3: /* an enum value without a name (a newer schema's) */
    msgpack_pack_map(&pk, 1);
    msgpack_pack_uint8(&pk, 16);
    msgpack_pack_int32(&pk, 3);
    break;
  case 2: /* truncated: map of 3 with one entry */
    msgpack_pack_map(&pk, 3);
    msgpack_pack_uint8(&pk, 4);
    msgpack_pack_int32(&pk, 1);
    break;
  }
  *len = sb.size;
  return (const uint8_t *)sb.data;
}

static void missing_fields_take_defaults(void **s) {
  (void)s;
  size_t len;
  const uint8_t *p = sparse(&len, 0);
  run_every("eq(e.s, 'only', 's'); eq(e.answer, 42, 'declared default')\n"
            "eq(e.greeting, 'hi', 'string default'); eq(e.i32, 0, 'zero')\n"
            "eq(e.b, false, 'bool zero'); eq(e.level, 'LOW', 'enum zero')\n"
            "eq(e.line.sku, '', 'nested zero'); eq(e.line.qty, 1, 'nested default')\n"
            "eq(#e.lines, 0, 'list zero'); eq(e.maybe, nil, 'optional absent')\n"
            "eq(e.by, '', 'bytes zero'); eq(e.f64, 0.0, 'float zero')",
            p, len);
  if (!hk_log_has("hook: conversion ok"))
    fail_msg("%s", hk_log_text());
  p = sparse(&len, 3);
  run_every("eq(e.level, 3, 'unnamed enum value')", p, len);
  if (!hk_log_has("hook: conversion ok"))
    fail_msg("%s", hk_log_text());
}

static void malformed_args_fail_the_hook_with_a_path(void **s) {
  (void)s;
  size_t len;
  const uint8_t *p = sparse(&len, 1);
  run_every("", p, len);
  assert_true(hk_log_has("task.args.e.line.qty: expected integer, got str"));
  assert_false(hk_log_has("conversion ok"));
  p = sparse(&len, 2);
  run_every("", p, len);
  assert_true(hk_log_has("task.args.e: truncated payload"));
  const uint8_t junk[] = {0xc1};
  run_every("", junk, 1);
  assert_true(hk_log_has("task.args: malformed payload"));
  /* trailing bytes */
  const uint8_t extra[] = {0x80, 0x00};
  run_every("", extra, 2);
  assert_true(hk_log_has("task.args: 1 bytes past the value"));
}

static void args_are_decoded_only_when_read(void **s) {
  (void)s;
  /* a hook that never touches task.args runs fine on bytes that would not
   * decode */
  orca__hooks *h = hk_open("return { before_run = function(task) print('lazy', task.name) end }");
  const uint8_t junk[] = {0xc1, 0xc1};
  orca__hook_task t = {.task = hk_every_task(NULL), .args = junk, .args_len = 2};
  hk_log_clear();
  orca__hooks_before_run(h, &t);
  assert_true(hk_log_has("hook: lazy\thk.every"));
  orca__hooks_close(h);
}

int main(void) {
  hk_log_capture();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_type),
      cmocka_unit_test(missing_fields_take_defaults),
      cmocka_unit_test(malformed_args_fail_the_hook_with_a_path),
      cmocka_unit_test(args_are_decoded_only_when_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
