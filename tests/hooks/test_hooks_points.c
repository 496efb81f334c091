/* test_hooks_points.c — every hook point through the internal API, with
 * the reflection tables of fixture.h: what a hook sees, what it may change,
 * rejection, routing, on_error decisions, the order of global and per-task
 * hooks, the file conventions and load errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static void before_run_sees_the_task(void **state) {
  (void)state;
  orca__hooks *h =
      hk_open("return { before_run = function(task)\n"
              "  print('seen', task.id, task.name, task.queue, task.attempt,\n"
              "        task.priority, task.delay, task.args.customer, task.args.amount,\n"
              "        task.headers.trace)\n"
              "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  assert_int_equal(orca__hooks_add_task(h, task, NULL), 0);
  assert_true(orca__hooks_wants(h, task, ORCA__HOOK_BEFORE_RUN));
  assert_false(orca__hooks_wants(h, task, ORCA__HOOK_AFTER_RUN));
  orca__hook_task t = hk_order_view(task, "bob", 125);
  orca__header hd[1] = {{{"trace", 5}, {"t-9", 3}}};
  t.headers = hd;
  t.nheaders = 1;
  t.attempt = 2;
  hk_log_clear();
  orca__hooks_before_run(h, &t);
  assert_true(hk_log_has("hook: seen\tid-1\thk.order\tdefault\t2\t0\t0\tbob\t125\tt-9"));
  orca__hooks_close(h);
}

static void on_enqueue_changes_routing_fields(void **state) {
  (void)state;
  orca__hooks *h = hk_open("return { on_enqueue = function(task)\n"
                           "  task.queue = 'fast'; task.priority = 7; task.delay = 1.5\n"
                           "  task.headers.trace = 'abc'; task.headers.drop = nil\n"
                           "  task.headers.n = 12\n"
                           "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "bob", 1);
  orca__header hd[2] = {{{"keep", 4}, {"1", 1}}, {{"drop", 4}, {"x", 1}}};
  t.headers = hd;
  t.nheaders = 2;
  orca_err err = {0};
  assert_int_equal(orca__hooks_on_enqueue(h, &t, &err), 0);
  assert_int_equal(t.queue.len, 4);
  assert_memory_equal(t.queue.ptr, "fast", 4);
  assert_int_equal(t.priority, 7);
  assert_int_equal(t.delay_us, 1500);
  assert_int_equal(t.nheaders, 3);
  /* original order first, dropped key gone, then the new ones */
  assert_memory_equal(t.headers[0].key.ptr, "keep", 4);
  bool trace = false, n = false;
  for (size_t i = 1; i < 3; i++) {
    if (t.headers[i].key.len == 5 && memcmp(t.headers[i].key.ptr, "trace", 5) == 0)
      trace = t.headers[i].value.len == 3 && memcmp(t.headers[i].value.ptr, "abc", 3) == 0;
    if (t.headers[i].key.len == 1 && t.headers[i].key.ptr[0] == 'n')
      n = t.headers[i].value.len == 2 && memcmp(t.headers[i].value.ptr, "12", 2) == 0;
  }
  assert_true(trace && n);
  orca__hooks_close(h);
}

static void on_enqueue_rejects_only_explicitly(void **state) {
  (void)state;
  orca__hooks *h = hk_open("return { on_enqueue = function(task)\n"
                           "  task.priority = 9\n"
                           "  if task.args.amount > 1000 then return false, 'too big' end\n"
                           "  if task.args.amount < 0 then error('negative amount') end\n"
                           "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  orca_err err = {0};
  orca__hook_task t = hk_order_view(task, "bob", 5000);
  assert_int_equal(orca__hooks_on_enqueue(h, &t, &err), ORCA_EREJECTED);
  assert_non_null(strstr(err.msg, "too big"));
  assert_non_null(strstr(err.msg, "hk.order"));

  /* a runtime error is not a rejection: logged with a traceback, and the
   * hook's changes made before the error are dropped */
  hk_log_clear();
  t = hk_order_view(task, "bob", -5);
  assert_int_equal(orca__hooks_on_enqueue(h, &t, &err), 0);
  assert_int_equal(t.priority, 0);
  assert_true(hk_log_has("negative amount"));
  assert_true(hk_log_has("stack traceback"));
  assert_true(hk_log_has("on_enqueue for task hk.order failed"));

  t = hk_order_view(task, "bob", 5);
  assert_int_equal(orca__hooks_on_enqueue(h, &t, &err), 0);
  assert_int_equal(t.priority, 9);
  orca__hooks_close(h);
}

static void bad_write_backs_are_logged_and_ignored(void **state) {
  (void)state;
  orca__hooks *h = hk_open("return { on_enqueue = function(task)\n"
                           "  task.priority = 42; task.queue = ''; task.delay = -1\n"
                           "  task.headers = 'x'\n"
                           "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "bob", 5);
  hk_log_clear();
  assert_int_equal(orca__hooks_on_enqueue(h, &t, NULL), 0);
  assert_int_equal(t.priority, 0);
  assert_memory_equal(t.queue.ptr, "default", 7);
  assert_int_equal(t.delay_us, 0);
  assert_true(hk_log_has("task.priority must be an integer 0..9, got 42"));
  assert_true(hk_log_has("task.queue must be a queue name"));
  assert_true(hk_log_has("task.delay must be"));
  assert_true(hk_log_has("task.headers must be a table"));
  orca__hooks_close(h);
}

static void header_changes_are_checked_whole(void **state) {
  (void)state;
  /* more than 32 headers, or a value that is not a string or number: the
   * whole header change is refused, the other fields still apply */
  orca__hooks *h = hk_open("return { on_enqueue = function(task)\n"
                           "  task.priority = 5\n"
                           "  if task.args.amount == 1 then\n"
                           "    for i = 1, 40 do task.headers['h' .. i] = 'v' end\n"
                           "  else task.headers.bad = {} end\n"
                           "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  for (int amount = 1; amount <= 2; amount++) {
    orca__hook_task t = hk_order_view(task, "bob", amount);
    hk_log_clear();
    assert_int_equal(orca__hooks_on_enqueue(h, &t, NULL), 0);
    assert_int_equal(t.nheaders, 0);
    assert_null(t.headers);
    assert_int_equal(t.priority, 5);
    assert_true(hk_log_has(amount == 1 ? "more than 32 entries"
                                       : "task.headers values must be strings, got a table"));
  }
  orca__hooks_close(h);
}

static void route_picks_a_queue(void **state) {
  (void)state;
  orca__hooks *h = hk_open("return { route = function(task)\n"
                           "  if task.args.amount > 100 then return 'big' end\n"
                           "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "bob", 500);
  assert_int_equal(orca__hooks_route(h, &t), 1);
  assert_int_equal(t.queue.len, 3);
  assert_memory_equal(t.queue.ptr, "big", 3);
  t = hk_order_view(task, "bob", 5);
  assert_int_equal(orca__hooks_route(h, &t), 0);
  assert_memory_equal(t.queue.ptr, "default", 7);
  orca__hooks_close(h);
}

static void after_run_gets_the_result(void **state) {
  (void)state;
  orca__hooks *h = hk_open("return { after_run = function(task, result)\n"
                           "  print('after', task.args.customer, result and result.total,\n"
                           "        result and result.level)\n"
                           "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "ann", 5);
  hk_receipt r = {.total = 99, .level = HK_HIGH};
  size_t len;
  const uint8_t *p = hk_pack(&hk_receipt__type, &r, &len);
  hk_log_clear();
  orca__hooks_after_run(h, &t, p, len);
  assert_true(hk_log_has("hook: after\tann\t99\tHIGH"));
  hk_log_clear();
  orca__hooks_after_run(h, &t, NULL, 0);
  assert_true(hk_log_has("hook: after\tann\tnil\tnil"));
  orca__hooks_close(h);
}

static void on_error_decides_retry_and_delay(void **state) {
  (void)state;
  orca__hooks *h = hk_open("return { on_error = function(task, err)\n"
                           "  if err:find('declined') then return { retry = false } end\n"
                           "  if err:find('busy') then return { delay = 250 } end\n"
                           "  if err:find('weird') then return 'soon' end\n"
                           "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "bob", 5);
  orca__hook_decision d;
  orca__hooks_on_error(h, &t, "card declined", &d);
  assert_true(d.give_up);
  assert_int_equal(d.delay_us, -1);
  orca__hooks_on_error(h, &t, "server busy", &d);
  assert_false(d.give_up);
  assert_int_equal(d.delay_us, 250000);
  orca__hooks_on_error(h, &t, "timeout", &d);
  assert_false(d.give_up);
  assert_int_equal(d.delay_us, -1);
  hk_log_clear();
  orca__hooks_on_error(h, &t, "weird", &d);
  assert_false(d.give_up);
  assert_int_equal(d.delay_us, -1);
  assert_true(hk_log_has("on_error must return nil or a table, got a string"));
  orca__hooks_close(h);
}

static void global_runs_before_task_hook(void **state) {
  (void)state;
  orca__hooks *h =
      hk_open("return {\n"
              "  on_enqueue = function(task) task.priority = 3 end,\n"
              "  route = function(task) return 'global' end,\n"
              "  on_error = function(task, err) return { retry = false, delay = 1 } end,\n"
              "}\n");
  const char *f =
      hk_file("order_hook.lua",
              "return {\n"
              "  on_enqueue = function(task) task.queue = 'q' .. task.priority end,\n"
              "  route = function(task) if task.priority == 3 then return 'mine' end end,\n"
              "  on_error = function(task, err) return { delay = 5 } end,\n"
              "}\n");
  (void)f;
  const orca_task_desc *task = hk_order_task("order_hook.lua"); /* relative: hooks_path */
  const orca_task_desc *plain = hk_order_task(NULL);
  orca_err err = {0};
  assert_int_equal(orca__hooks_add_task(h, task, &err), 0);
  assert_int_equal(orca__hooks_add_task(h, plain, &err), 0);
  orca__hook_task t = hk_order_view(task, "bob", 5);
  assert_int_equal(orca__hooks_on_enqueue(h, &t, &err), 0);
  assert_memory_equal(t.queue.ptr, "q3", 2);
  assert_int_equal(t.priority, 3);
  assert_int_equal(orca__hooks_route(h, &t), 1);
  assert_int_equal(t.queue.len, 4);
  assert_memory_equal(t.queue.ptr, "mine", 4);
  orca__hook_decision d;
  orca__hooks_on_error(h, &t, "x", &d);
  assert_true(d.give_up);             /* from the global hook */
  assert_int_equal(d.delay_us, 5000); /* the task's overrides */

  t = hk_order_view(plain, "bob", 5);
  assert_int_equal(orca__hooks_on_enqueue(h, &t, &err), 0);
  assert_memory_equal(t.queue.ptr, "default", 7);
  assert_int_equal(orca__hooks_route(h, &t), 1);
  assert_memory_equal(t.queue.ptr, "global", 6);
  orca__hooks_close(h);
}

static void wants_is_per_task_and_point(void **state) {
  (void)state;
  orca__hooks *none = hk_open(NULL);
  const orca_task_desc *plain = hk_order_task(NULL);
  assert_int_equal(orca__hooks_add_task(none, plain, NULL), 0);
  for (int p = 0; p < ORCA__HOOK_NPOINTS; p++)
    assert_false(orca__hooks_wants(none, plain, (orca__hook_point)p));
  assert_false(orca__hooks_wants(NULL, plain, ORCA__HOOK_BEFORE_RUN));
  hk_file("wants.lua", "function after_run(task, result) end\n"); /* globals convention */
  const orca_task_desc *task = hk_order_task("wants.lua");
  assert_int_equal(orca__hooks_add_task(none, task, NULL), 0);
  assert_true(orca__hooks_wants(none, task, ORCA__HOOK_AFTER_RUN));
  assert_false(orca__hooks_wants(none, task, ORCA__HOOK_BEFORE_RUN));
  assert_false(orca__hooks_wants(none, plain, ORCA__HOOK_AFTER_RUN));
  orca__hooks_close(none);
}

static void a_file_is_loaded_once_per_state(void **state) {
  (void)state;
  hk_file("shared.lua", "print('loading shared')\nreturn { before_run = function() end }\n");
  orca__hooks *h = hk_open(NULL);
  hk_log_clear();
  assert_int_equal(orca__hooks_add_task(h, hk_order_task("shared.lua"), NULL), 0);
  assert_int_equal(orca__hooks_add_task(h, hk_every_task("shared.lua"), NULL), 0);
  const char *log = hk_log_text();
  const char *first = strstr(log, "loading shared");
  assert_non_null(first);
  assert_null(strstr(first + 1, "loading shared"));
  orca__hooks_close(h);
}

static void a_kept_task_table_reads_nothing_later(void **state) {
  (void)state;
  orca__hooks *h = hk_open("local kept\n"
                           "return { before_run = function(task)\n"
                           "  if kept then print('kept', kept.queue, kept.id) end\n"
                           "  kept = task; local _ = task.id\n"
                           "end }\n");
  const orca_task_desc *task = hk_order_task(NULL);
  orca__hook_task t = hk_order_view(task, "bob", 5);
  orca__hooks_before_run(h, &t);
  hk_log_clear();
  orca__hooks_before_run(h, &t);
  assert_true(hk_log_has("hook: kept\tnil\tid-1")); /* id was read during its call */
  orca__hooks_close(h);
}

static void load_errors_name_file_and_line(void **state) {
  (void)state;
  orca__hooks *h = NULL;
  orca_err err = {0};
  const char *bad = hk_file("syntax.lua", "return {\n  before_run = function(task)\n    if then\n"
                                          "  end\n}\n");
  assert_int_equal(orca__hooks_open(bad, NULL, &h, &err), ORCA_EHOOK);
  assert_null(h);
  char want[256];
  snprintf(want, sizeof want, "%s:3:", bad);
  assert_non_null(strstr(err.msg, want));

  assert_int_equal(orca__hooks_open("/nonexistent/x.lua", NULL, &h, &err), ORCA_EHOOK);
  assert_non_null(strstr(err.msg, "/nonexistent/x.lua"));

  const char *num = hk_file("number.lua", "return 5\n");
  assert_int_equal(orca__hooks_open(num, NULL, &h, &err), ORCA_EHOOK);
  assert_non_null(strstr(err.msg, "must return a table"));

  const char *notfn = hk_file("notfn.lua", "return { on_enqueue = 5 }\n");
  assert_int_equal(orca__hooks_open(notfn, NULL, &h, &err), ORCA_EHOOK);
  assert_non_null(strstr(err.msg, "'on_enqueue' must be a function"));

  const char *boom = hk_file("boom.lua", "error('no config')\n");
  assert_int_equal(orca__hooks_open(boom, NULL, &h, &err), ORCA_EHOOK);
  assert_non_null(strstr(err.msg, "no config"));

  /* per-task file with a syntax error: add_task fails the same way */
  h = hk_open(NULL);
  hk_file("task_syntax.lua", "return {\n\n  x = = 1 }\n");
  assert_int_equal(orca__hooks_add_task(h, hk_order_task("task_syntax.lua"), &err), ORCA_EHOOK);
  assert_non_null(strstr(err.msg, "task_syntax.lua:3:"));
  orca__hooks_close(h);

  /* a misspelt point is loaded but warned about */
  hk_log_clear();
  h = hk_open("return { on_enque = function() end }\n");
  assert_true(hk_log_has("'on_enque' is not a hook point"));
  orca__hooks_close(h);
}

int main(void) {
  hk_log_capture();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(before_run_sees_the_task),
      cmocka_unit_test(on_enqueue_changes_routing_fields),
      cmocka_unit_test(on_enqueue_rejects_only_explicitly),
      cmocka_unit_test(bad_write_backs_are_logged_and_ignored),
      cmocka_unit_test(header_changes_are_checked_whole),
      cmocka_unit_test(route_picks_a_queue),
      cmocka_unit_test(after_run_gets_the_result),
      cmocka_unit_test(on_error_decides_retry_and_delay),
      cmocka_unit_test(global_runs_before_task_hook),
      cmocka_unit_test(wants_is_per_task_and_point),
      cmocka_unit_test(a_file_is_loaded_once_per_state),
      cmocka_unit_test(a_kept_task_table_reads_nothing_later),
      cmocka_unit_test(load_errors_name_file_and_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
