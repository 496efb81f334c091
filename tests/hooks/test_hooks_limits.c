/* test_hooks_limits.c — the time a hook call may take: coroutines cannot
 * escape the instruction budget, C library work is charged to it, the
 * wall-clock deadline stops what the count cannot see, hostile patterns are
 * refused while ordinary ones run, and print cannot flood the log. No
 * assertion on speed: each attack must end in the limit's error (a hang is
 * caught by ctest's timeout), and the state must stay usable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

#define MEM (8u << 20)
#define INSTR 200000u
#define MS 60000u /* generous: these are stopped by the instruction budget */

static void expect_instr_limit(const char *body) {
  hk_expect_failure(body, "instruction limit of 200000 reached", MEM, INSTR, MS);
  assert_false(hk_log_has("escaped"));
}

static void expect_ok(const char *body, const char *want) {
  orca__hooks *h = hk_run_body(body, MEM, INSTR, MS);
  if (!hk_log_has(want))
    fail_msg("expected '%s' in the log, got:\n%s", want, hk_log_text());
  assert_false(hk_log_has("failed"));
  hk_assert_alive(h);
  orca__hooks_close(h);
}

/* Every coroutine counts its own instructions: a tree of coroutines each
 * running less than a count-hook period used to run unbounded. */
static void coroutine_trees_share_the_budget(void **s) {
  (void)s;
  expect_instr_limit("local function node(d)\n"
                     "  if d == 0 then for i = 1, 400 do end return end\n"
                     "  for i = 1, 8 do coroutine.wrap(node)(d - 1) end\n"
                     "end\n"
                     "node(5) print('escaped')");
  expect_instr_limit("local function node(d)\n"
                     "  if d == 0 then for i = 1, 400 do end return end\n"
                     "  for i = 1, 8 do coroutine.resume(coroutine.create(node), d - 1) end\n"
                     "end\n"
                     "node(5) print('escaped')");
}

/* string.rep and table functions run as one instruction however long they
 * take: their work is charged before it is done. */
static void c_library_work_is_charged(void **s) {
  (void)s;
  expect_instr_limit("local n = 0\n"
                     "for i = 1, 1000 do n = n + #string.rep('x', 1 << 17) end\n"
                     "print('escaped', n)");
  expect_instr_limit("local n = 0\n"
                     "for i = 1, 1000 do n = n + #('x'):rep(1 << 17) end\n"
                     "print('escaped', n)");
  expect_instr_limit("table.move({}, 1, 3e7, 1) print('escaped')");
  expect_instr_limit("local t = {string.byte(string.rep('x', 100000), 1, -1)}\n"
                     "for i = 1, 50 do table.sort(t) end print('escaped')");
  expect_instr_limit("local t = {string.byte(string.rep('x', 100000), 1, -1)}\n"
                     "for i = 1, 100 do table.concat(t) end print('escaped')");
  expect_instr_limit("local t = {string.byte(string.rep('x', 100000), 1, -1)}\n"
                     "for i = 1, 100 do table.insert(t, 1, 0) table.remove(t, 1) end\n"
                     "print('escaped')");
  expect_instr_limit("local s = string.rep('a', 1 << 17)\n"
                     "for i = 1, 1000 do pcall(utf8.len, s) end print('escaped')");
  /* a hostile comparator is Lua code, counted as it runs */
  expect_instr_limit("table.sort({3, 2, 1}, function(a, b) while true do end end)");
}

/* Backtracking patterns are refused before they run; the usual ones run. */
static void hostile_patterns_are_refused(void **s) {
  (void)s;
  static const char *const bodies[] = {
      "print('escaped', string.rep('a', 200):find('.-.-.-b'))",
      "print('escaped', string.rep('a', 200):match('(.*)(.*)(.*)b'))",
      "print('escaped', string.gsub(string.rep('a', 3000), '%w+%w+=', ''))",
      "for w in string.rep('a', 200):gmatch('a*a*a*b') do print('escaped') end",
      "print('escaped', string.rep('a', 2e5):find(string.rep('a', 5e4) .. 'b', 1, true))",
      /* a literal pattern is a substring search for find, not for match */
      "print('escaped', string.rep('a', 2e5):match(string.rep('a', 1000) .. 'b'))",
  };
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    hk_expect_failure(bodies[i], "pattern too complex for a", MEM, INSTR, MS);
    assert_false(hk_log_has("escaped"));
  }
  expect_ok("local text = string.rep('alpha beta=gamma ', 5000)\n"
            "local words = 0 for w in text:gmatch('%a+') do words = words + 1 end\n"
            "local squeezed, n = text:gsub('%s+', ' ')\n"
            "print('patterns', words, n, ('  trim me  '):match('^%s*(.-)%s*$'),\n"
            "      text:find('gamma alpha', 1, true), ('k=v'):match('(%w+)=(%w+)'),\n"
            "      text:find('zeta'))",
            "hook: patterns\t15000\t10000\ttrim me\t12\tk\tnil");
}

/* What the instruction count cannot see, the deadline stops: a loop of
 * pattern calls each allowed alone, under a huge instruction limit. */
static void the_deadline_stops_c_work(void **s) {
  (void)s;
  hk_expect_failure("local s = string.rep('a', 2000)\n"
                    "while true do s:find('%w+=') end",
                    "hook exceeded its time budget of 100 ms", MEM, 1000000000u, 100);
  /* and once spent, pcall cannot swallow it */
  hk_expect_failure("local s = string.rep('a', 2000)\n"
                    "while true do pcall(string.find, s, '%w+=') end",
                    "hook exceeded its time budget of 100 ms", MEM, 1000000000u, 100);
  hk_expect_failure("while true do end", "hook exceeded its time budget of 50 ms", MEM, 4000000000u,
                    50);
}

/* One call may print ORCA__HOOKS_LOG_PER_CALL lines; the rest are counted
 * in one notice. */
static void print_cannot_flood_the_log(void **s) {
  (void)s;
  orca__hooks *h = hk_run_body("for i = 1, 100000 do print('flood', i) end", MEM, 10000000u, MS);
  if (hk_log_lines() > 60)
    fail_msg("%zu log lines for one hook call", hk_log_lines());
  assert_true(hk_log_has("hook: flood\t50"));
  assert_false(hk_log_has("hook: flood\t51"));
  assert_true(hk_log_has("hooks: 99950 log lines suppressed"));
  orca__hooks_close(h);
}

/* Many calls each under the per-call limit are held to the per-second one:
 * 20 calls of 30 lines log far fewer than 600 lines (at most 200 a second;
 * even a run crossing one second boundary stays under 400). */
static void print_is_limited_per_second(void **s) {
  (void)s;
  orca__hooks *h = hk_open("return { before_run = function(task)\n"
                           "  for i = 1, 30 do print('burst', i) end end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "eve", 1);
  hk_log_clear();
  for (int i = 0; i < 20; i++)
    orca__hooks_before_run(h, &t);
  orca__hooks_close(h); /* reports what is still pending */
  size_t lines = hk_log_lines();
  if (lines >= 400)
    fail_msg("%zu log lines for 20 calls of 30 prints", lines);
  assert_true(hk_log_has("log lines suppressed"));
}

int main(void) {
  hk_log_capture();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(coroutine_trees_share_the_budget),
      cmocka_unit_test(c_library_work_is_charged),
      cmocka_unit_test(hostile_patterns_are_refused),
      cmocka_unit_test(the_deadline_stops_c_work),
      cmocka_unit_test(print_cannot_flood_the_log),
      cmocka_unit_test(print_is_limited_per_second),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
