/* test_hooks_isolation.c — hook files of one state cannot poison each
 * other: every file sees the pristine standard libraries, which no file can
 * change (not by assignment, rawset, the string metatable or pairs), so
 * neither replaced functions nor data left in a library table reach another
 * file, before or after a reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

/* The global file tries every way in, at load time and in each call. */
static const char poisoner[] =
    "local function evil() return 'poisoned' end\n"
    "local function attack()\n"
    "  local tries = {\n"
    "    function() string.find = evil end,\n"
    "    function() string.upper = evil end,\n"
    "    function() table.concat = evil end,\n"
    "    function() math.max = evil end,\n"
    "    function() os.time = evil end,\n"
    "    function() coroutine.wrap = evil end,\n"
    "    function() string.shared = 'secret' end,\n"
    "    function() rawset(string, 'upper', evil) end,\n"
    "    function() rawset(table, 'concat', evil) end,\n"
    "    function() getmetatable('').__index.upper = evil end,\n"
    "    function() setmetatable(string, {}) end,\n"
    "    function() local _, lib = pairs(string); rawset(lib, 'upper', evil) end,\n"
    "    function() table.insert(string, evil) end,\n"
    "  }\n"
    "  local refused = 0\n"
    "  for _, f in ipairs(tries) do if not pcall(f) then refused = refused + 1 end end\n"
    "  print('refused', refused, #tries)\n"
    "end\n"
    "attack()\n"
    "return { before_run = attack }\n";

/* The task's file reports what it sees. */
static const char checker[] =
    "return { before_run = function(task)\n"
    "  print('pristine', string.find('abc', 'b'), ('x'):upper(), string.upper('y'),\n"
    "        table.concat({1, 2}, ','), math.max(1, 2), type(os.time()),\n"
    "        type(coroutine.wrap(print)), string.shared, rawget(string, 'upper'))\n"
    "end }\n";

static const char want[] = "hook: pristine\t2\tX\tY\t1,2\t2\tnumber\tfunction\tnil\tnil";

static void run_both(orca__hooks *h, const orca_task_desc *task) {
  orca__hook_task t = hk_order_view(task, "eve", 1);
  hk_log_clear();
  orca__hooks_before_run(h, &t);
  if (!hk_log_has(want))
    fail_msg("expected '%s', got:\n%s", want, hk_log_text());
  assert_true(hk_log_has("hook: refused\t13\t13"));
  assert_false(hk_log_has("failed"));
}

static void files_cannot_poison_each_other(void **s) {
  (void)s;
  hk_file("checker.lua", checker);
  orca__hooks *h = hk_open(poisoner);
  const orca_task_desc *task = hk_order_task("checker.lua");
  assert_int_equal(orca__hooks_add_task(h, task, NULL), 0);
  run_both(h, task);
  run_both(h, task); /* nothing carried over from the first call */
  /* SIGHUP: both files run their top level again on the same state */
  orca__hooks_request_reload();
  run_both(h, task);
  assert_true(hk_log_has("hooks: reloaded 2 file(s)"));
  orca__hooks_close(h);
}

static void libraries_are_read_only_but_usable(void **s) {
  (void)s;
  hk_expect_failure("string.trim = function(s) return s end",
                    "attempt to modify read-only library 'string'", 8u << 20, 200000, 60000);
  hk_expect_failure("rawset(math, 'tau', 6.28)", "read-only library table", 8u << 20, 200000,
                    60000);
  orca__hooks *h = hk_run_body("local n = 0\n"
                               "for k, v in pairs(string) do\n"
                               "  if type(v) == 'function' then n = n + 1 end\n"
                               "end\n"
                               "print('listed', n >= 16, string.dump, next(string),\n"
                               "      getmetatable(string), utf8.charpattern ~= nil)",
                               8u << 20, 200000, 60000);
  if (!hk_log_has("hook: listed\ttrue\tnil\tnil\tfalse\ttrue"))
    fail_msg("%s", hk_log_text());
  orca__hooks_close(h);
}

int main(void) {
  hk_log_capture();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(files_cannot_poison_each_other),
      cmocka_unit_test(libraries_are_read_only_but_usable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
