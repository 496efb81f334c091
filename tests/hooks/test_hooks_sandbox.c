/* test_hooks_sandbox.c — escape attempts and limits: what a hook cannot
 * reach (io, os beyond time/clock, debug, code loading, binary chunks) and
 * what it cannot do to its worker (exhaust memory, loop forever, recurse
 * without end, break shared metatables). After every attack the same state
 * must still run a well-behaved hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* A generous time limit: these attacks are stopped by the other limits. */
#define MS 60000

static orca__hooks *run_body_limits(const char *body, size_t mem, uint32_t instr) {
  return hk_run_body(body, mem, instr, MS);
}

static orca__hooks *run_body(const char *body) {
  return run_body_limits(body, 8u << 20, 200000);
}

static void assert_alive(orca__hooks *h) {
  hk_assert_alive(h);
}

static void expect_failure_limits(const char *body, const char *want, size_t mem, uint32_t instr) {
  hk_expect_failure(body, want, mem, instr, MS);
}

static void expect_failure(const char *body, const char *want) {
  expect_failure_limits(body, want, 8u << 20, 200000);
}

/* The body ran to its end and printed `want`. */
static void expect_print(const char *body, const char *want) {
  orca__hooks *h = run_body(body);
  if (!hk_log_has(want))
    fail_msg("expected '%s' in the log, got:\n%s", want, hk_log_text());
  assert_alive(h);
  orca__hooks_close(h);
}

static void no_io(void **s) {
  (void)s;
  expect_failure("io.open('/etc/passwd')", "attempt to index a nil value (global 'io')");
}

static void os_only_time_and_clock(void **s) {
  (void)s;
  expect_failure("os.execute('touch /tmp/pwned')", "attempt to call a nil value (field 'execute')");
  expect_failure("os.getenv('HOME')", "field 'getenv'");
  expect_failure("os.exit(1)", "field 'exit'");
  expect_failure("os.remove('/tmp/x')", "field 'remove'");
  expect_print("print('os', math.type(os.time()), type(os.clock()))", "hook: os\tinteger\tnumber");
}

static void no_code_loading(void **s) {
  (void)s;
  expect_print("print('absent', load, loadstring, dofile, loadfile, require, package,\n"
               "      debug, collectgarbage, string.dump, _G.io, rawget(_G, 'load'))",
               "hook: absent\tnil\tnil\tnil\tnil\tnil\tnil\tnil\tnil\tnil\tnil\tnil");
  expect_failure("dofile('/etc/passwd')", "global 'dofile'");
  expect_failure("require('os')", "global 'require'");
  expect_failure("load('return 1')()", "global 'load'");
}

static void binary_chunks_are_refused(void **s) {
  (void)s;
  /* A crafted chunk with Lua 5.4's header: must be refused as binary, not
   * parsed. */
  const char chunk[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08\x78\x56";
  const char *path = hk_file("binary.lua", chunk);
  orca__hooks *h = NULL;
  orca_err err = {0};
  assert_int_equal(orca__hooks_open(path, NULL, &h, &err), ORCA_EHOOK);
  assert_non_null(strstr(err.msg, "binary chunk"));
  assert_null(h);
}

/* Memory bombs under a generous instruction limit, so memory is what stops
 * them. */
static void bomb(const char *body) {
  expect_failure_limits(body, "not enough memory", 4u << 20, 100000000);
}

static void memory_bombs_hit_the_limit(void **s) {
  (void)s;
  bomb("local x = string.rep('x', 1 << 30)");
  bomb("local t = {} for i = 1, 1e9 do t[i] = string.rep('y', 1000) .. i end");
  bomb("local s = 'z' while true do s = s .. s end");
  bomb("local t = {} for i = 1, 1e9 do t[#t + 1] = {} end");
  bomb("local t = {} for i = 1, 1e9 do t[#t + 1] = coroutine.create(print) end");
  bomb("local x = table.concat({string.rep('a', 1 << 20)}, 'b', 1, 1) ..\n"
       "  string.rep('c', 1 << 23)");
}

static void endless_loops_hit_the_instruction_limit(void **s) {
  (void)s;
  expect_failure("while true do end", "instruction limit of 200000 reached");
  /* pcall cannot swallow the limit for ever */
  expect_failure("while true do pcall(function() while true do end end) end", "instruction limit");
  /* nor can fresh coroutines, each with its own hook counter */
  expect_failure("while true do coroutine.wrap(function() for i = 1, 999 do end end)() end",
                 "instruction limit");
  expect_failure("local co = coroutine.wrap(function() while true do end end) co()",
                 "instruction limit");
  /* and the error handler of xpcall does not get a second budget */
  expect_failure("while true do xpcall(function() while true do end end,\n"
                 "  function() while true do end end) end",
                 "instruction limit");
}

static void deep_recursion_is_caught(void **s) {
  (void)s;
  orca__hooks *h =
      run_body_limits("local function f(n) return 1 + f(n + 1) end f(1)", 8u << 20, 100000000);
  assert_true(hk_log_has("stack overflow") || hk_log_has("not enough memory"));
  assert_alive(h);
  orca__hooks_close(h);
  /* recursion through C (metamethods) hits the C-stack limit */
  expect_failure("local t = setmetatable({}, { __index = function(t, k) return t[k] end })\n"
                 "return t.x",
                 "stack overflow");
  expect_failure("local function f() return tostring(setmetatable({}, {__tostring = f})) end f()",
                 "overflow");
}

static void shared_metatables_are_locked(void **s) {
  (void)s;
  expect_print("print('mt', getmetatable(''), getmetatable(task))", "hook: mt\tfalse\tfalse");
  expect_failure("getmetatable('').__index = {}", "attempt to index a boolean value");
  expect_failure("setmetatable('', {})", "bad argument #1 to 'setmetatable'");
  expect_failure("setmetatable(task, {})", "cannot change a protected metatable");
}

static void globals_are_per_file(void **s) {
  (void)s;
  /* a task file that vandalises its globals leaves the global file intact */
  hk_file("vandal.lua", "print = nil; string = nil; _G.tostring = nil\n"
                        "return { before_run = function(task) end }\n");
  orca__hooks *h = hk_open("return { after_run = function(task)\n"
                           "  print('intact', tostring(1), string.upper('a')) end }\n");
  const orca_task_desc *task = hk_order_task("vandal.lua");
  assert_int_equal(orca__hooks_add_task(h, task, NULL), 0);
  orca__hook_task t = hk_order_view(task, "eve", 1);
  hk_log_clear();
  orca__hooks_before_run(h, &t);
  orca__hooks_after_run(h, &t, NULL, 0);
  assert_true(hk_log_has("hook: intact\t1\tA"));
  orca__hooks_close(h);
}

static void odd_errors_are_reported(void **s) {
  (void)s;
  expect_failure("error({ code = 1 })", "error object is a table value");
  expect_failure("error()", "error object is a nil value");
  expect_failure("coroutine.yield(1)", "attempt to yield from outside a coroutine");
  expect_failure("local x = nil; x.y = 1", "attempt to index a nil value");
}

static void finalizers_are_refused(void **s) {
  (void)s;
  /* Lua runs __gc with hooks off: a finalizer would escape the limit */
  expect_failure("setmetatable({}, { __gc = function() while true do end end })",
                 "__gc metamethods are not allowed");
  expect_failure("setmetatable({}, { __gc = false })", "__gc metamethods are not allowed");
  /* adding __gc after setmetatable does not mark the object: harmless */
  orca__hooks *h = run_body("local mt = {}; KEEP = setmetatable({}, mt)\n"
                            "mt.__gc = function() while true do end end; KEEP = nil");
  assert_alive(h);
  orca__hooks_close(h);
}

static void limits_at_load_time(void **s) {
  (void)s;
  const char *path = hk_file("loop_at_load.lua", "while true do end\n");
  orca__hooks *h = NULL;
  orca_err err = {0};
  assert_int_equal(orca__hooks_open(path, NULL, &h, &err), ORCA_EHOOK);
  if (!strstr(err.msg, "instruction limit"))
    fail_msg("%s", err.msg);
  path = hk_file("bomb_at_load.lua", "local s = string.rep('x', 1 << 30)\n");
  assert_int_equal(orca__hooks_open(path, NULL, &h, &err), ORCA_EHOOK);
  assert_non_null(strstr(err.msg, "memory"));
}

int main(void) {
  hk_log_capture();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(no_io),
      cmocka_unit_test(os_only_time_and_clock),
      cmocka_unit_test(no_code_loading),
      cmocka_unit_test(binary_chunks_are_refused),
      cmocka_unit_test(memory_bombs_hit_the_limit),
      cmocka_unit_test(endless_loops_hit_the_instruction_limit),
      cmocka_unit_test(deep_recursion_is_caught),
      cmocka_unit_test(shared_metatables_are_locked),
      cmocka_unit_test(globals_are_per_file),
      cmocka_unit_test(odd_errors_are_reported),
      cmocka_unit_test(finalizers_are_refused),
      cmocka_unit_test(limits_at_load_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
