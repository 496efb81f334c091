/* test_hooks_worker.c — hooks on a real worker and client over the SQLite
 * backend: before_run and after_run see the task and its result on the
 * handler thread, a hook that fails (runtime error, endless loop, memory
 * bomb, C work past its deadline) does not stop the worker or change the
 * task's outcome, on_enqueue
 * routing reaches the stored task, and a reload requested as SIGHUP does is
 * picked up by the handler threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "fixture.h"
#include "orca/client.h"
#include "orca/worker.h"

#define SEC 1000000LL

/* liborca is static and the backend registry names backends through weak
 * references: this strong one links the SQLite backend in. */
const orca__backend_ops *const hk_force_sqlite = &orca__sqlite_ops;

static int order_handler(orca_ctx *ctx, const hk_order_args *a, hk_receipt *r) {
  if (a->amount < 0)
    return orca_ctx_fail(ctx, "card declined for %s", a->customer);
  r->total = a->amount * 2;
  r->level = HK_HIGH;
  return 0;
}

static int order_invoke(orca_fn fn, orca_ctx *ctx, const void *args, void *result) {
  int (*h)(orca_ctx *, const hk_order_args *, hk_receipt *) =
      (int (*)(orca_ctx *, const hk_order_args *, hk_receipt *))fn;
  return h(ctx, args, result);
}

typedef struct run {
  orca_worker *w;
  int rc;
  pthread_t th;
} run;

static void *run_worker(void *p) {
  run *r = p;
  r->rc = orca_worker_run(r->w, NULL);
  return NULL;
}

static char url[128];

/* Start a worker with `hooks` (a path) on the task, running max tasks. */
static void start(run *r, orca_task_desc *task, const char *hooks, unsigned max) {
  orca_worker_opts o = {.backend = url, .concurrency = 2, .hooks_file = hooks, .max_tasks = max};
  orca_err err = {0};
  if (orca_worker_open(&o, &r->w, &err))
    fail_msg("worker: %s", err.msg);
  assert_int_equal(orca_worker_handle(r->w, task, (orca_fn)order_handler, NULL), 0);
  assert_int_equal(pthread_create(&r->th, NULL, run_worker, r), 0);
}

static void join(run *r) {
  pthread_join(r->th, NULL);
  assert_int_equal(r->rc, 0);
  orca_worker_close(r->w);
}

static orca_client *client(const char *hooks) {
  orca_client_opts o = {.backend = url, .hooks_file = hooks};
  orca_client *c = NULL;
  orca_err err = {0};
  if (orca_client_open(&o, &c, &err))
    fail_msg("client: %s", err.msg);
  return c;
}

static orca_task_desc order_task(void) {
  orca_task_desc t = *hk_order_task(NULL);
  t.invoke = order_invoke;
  t.retry = (orca_retry_policy){.max_attempts = 1};
  return t;
}

static void run_points_on_the_worker(void **s) {
  (void)s;
  const char *hooks = hk_file("worker_hooks.lua",
                              "return {\n"
                              "  before_run = function(task)\n"
                              "    print('before', task.name, task.attempt, task.args.customer)\n"
                              "  end,\n"
                              "  after_run = function(task, r)\n"
                              "    print('after', task.args.customer, r.total, r.level)\n"
                              "  end,\n"
                              "  on_error = function(task, err) print('error', err) end,\n"
                              "}\n");
  orca_task_desc task = order_task();
  orca_client *c = client(NULL);
  char ok[ORCA_ID_MAX], bad[ORCA_ID_MAX];
  hk_order_args a = {.customer = "ann", .amount = 21}, b = {.customer = "bob", .amount = -1};
  orca_err err = {0};
  assert_int_equal(orca_enqueue(c, &task, &a, NULL, ok, &err), 0);
  assert_int_equal(orca_enqueue(c, &task, &b, NULL, bad, &err), 0);
  hk_log_clear();
  run r;
  start(&r, &task, hooks, 2);
  join(&r);
  hk_receipt res = {0};
  assert_int_equal(orca_wait_result(c, &task, ok, 5 * SEC, &res, NULL, &err), 0);
  assert_int_equal(res.total, 42);
  assert_true(hk_log_has("hook: before\thk.order\t1\tann"));
  assert_true(hk_log_has("hook: after\tann\t42\tHIGH"));
  assert_true(hk_log_has("hook: error\tcard declined for bob"));
  orca_client_close(c);
}

static void broken_hooks_do_not_stop_the_worker(void **s) {
  (void)s;
  const char *hooks =
      hk_file("worker_broken.lua",
              "return {\n"
              "  before_run = function(task)\n"
              "    if task.args.customer == 'loop' then while true do end end\n"
              "    if task.args.customer == 'bomb' then local x = ('x'):rep(1 << 30) end\n"
              "    error('broken before_run')\n"
              "  end,\n"
              "  after_run = function(task, r) return r.nothing.here end,\n"
              "}\n");
  orca_task_desc task = order_task();
  orca_client *c = client(NULL);
  const char *who[3] = {"loop", "bomb", "plain"};
  char ids[3][ORCA_ID_MAX];
  orca_err err = {0};
  for (int i = 0; i < 3; i++) {
    hk_order_args a = {.customer = (char *)who[i], .amount = i + 1};
    assert_int_equal(orca_enqueue(c, &task, &a, NULL, ids[i], &err), 0);
  }
  hk_log_clear();
  run r;
  start(&r, &task, hooks, 3);
  join(&r);
  for (int i = 0; i < 3; i++) {
    hk_receipt res = {0};
    assert_int_equal(orca_wait_result(c, &task, ids[i], 5 * SEC, &res, NULL, &err), 0);
    assert_int_equal(res.total, 2 * (i + 1));
  }
  assert_true(hk_log_has("instruction limit"));
  assert_true(hk_log_has("not enough memory"));
  assert_true(hk_log_has("broken before_run"));
  assert_true(hk_log_has("attempt to index a nil value (field 'nothing')"));
  orca_client_close(c);
}

/* C work the instruction count cannot see (pattern matching) under the
 * default limits: the deadline ends the hook call, so the handler thread
 * runs the task and the worker stops instead of being held by the hook. */
static void hostile_c_work_does_not_hold_the_worker(void **s) {
  (void)s;
  const char *hooks =
      hk_file("worker_c_work.lua",
              "return {\n"
              "  before_run = function(task)\n"
              "    local s = string.rep('a', 3000)\n"
              "    if task.args.customer == 'slow' then while true do s:find('%w+=') end end\n"
              "    return s:find('.-.-.-.-b')\n"
              "  end,\n"
              "}\n");
  orca_task_desc task = order_task();
  orca_client *c = client(NULL);
  const char *who[2] = {"slow", "hostile"};
  char ids[2][ORCA_ID_MAX];
  orca_err err = {0};
  for (int i = 0; i < 2; i++) {
    hk_order_args a = {.customer = (char *)who[i], .amount = i + 1};
    assert_int_equal(orca_enqueue(c, &task, &a, NULL, ids[i], &err), 0);
  }
  hk_log_clear();
  run r;
  start(&r, &task, hooks, 2);
  join(&r);
  for (int i = 0; i < 2; i++) {
    hk_receipt res = {0};
    assert_int_equal(orca_wait_result(c, &task, ids[i], 5 * SEC, &res, NULL, &err), 0);
    assert_int_equal(res.total, 2 * (i + 1));
  }
  assert_true(hk_log_has("hook exceeded its time budget of 1000 ms"));
  assert_true(hk_log_has("pattern too complex"));
  orca_client_close(c);
}

static void client_routing_reaches_the_store(void **s) {
  (void)s;
  const char *hooks = hk_file(
      "client_hooks.lua", "return {\n"
                          "  on_enqueue = function(task)\n"
                          "    if task.args.amount > 1000 then return false, 'over limit' end\n"
                          "    task.priority = 4\n"
                          "  end,\n"
                          "  route = function(task) return 'orders-' .. task.args.customer end,\n"
                          "}\n");
  orca_task_desc task = order_task();
  orca_client *c = client(hooks);
  char id[ORCA_ID_MAX];
  orca_err err = {0};
  hk_order_args big = {.customer = "zed", .amount = 5000}, a = {.customer = "eu", .amount = 5};
  assert_int_equal(orca_enqueue(c, &task, &big, NULL, id, &err), ORCA_EREJECTED);
  assert_non_null(strstr(err.msg, "over limit"));
  assert_int_equal(orca_enqueue(c, &task, &a, NULL, id, &err), 0);
  orca_task_info info;
  memset(&info, 0, sizeof info);
  assert_int_equal(orca_inspect(c, id, &info, &err), 0);
  assert_string_equal(info.queue, "orders-eu");
  assert_int_equal(info.priority, 4);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  orca_client_close(c);
}

static void reload_reaches_handler_threads(void **s) {
  (void)s;
  const char *hooks =
      hk_file("worker_reload.lua", "return { before_run = function(task) print('gen one') end }\n");
  orca_task_desc task = order_task();
  orca_client *c = client(NULL);
  char id[ORCA_ID_MAX];
  orca_err err = {0};
  hk_order_args a = {.customer = "r", .amount = 1};
  assert_int_equal(orca_enqueue(c, &task, &a, NULL, id, &err), 0);
  run r;
  hk_log_clear();
  start(&r, &task, hooks, 2);
  assert_int_equal(orca_wait_result(c, &task, id, 5 * SEC, NULL, NULL, &err), 0);
  assert_true(hk_log_has("hook: gen one"));
  /* What the worker's SIGHUP handler does; the threads reload on their own. */
  hk_file("worker_reload.lua", "return { before_run = function(task) print('gen two') end }\n");
  orca__hooks_request_reload();
  assert_int_equal(orca_enqueue(c, &task, &a, NULL, id, &err), 0);
  join(&r);
  assert_true(hk_log_has("hook: gen two"));
  orca_client_close(c);
}

int main(void) {
  hk_log_capture();
  snprintf(url, sizeof url, "sqlite:%s/orca.db", hk_dir());
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(run_points_on_the_worker),
      cmocka_unit_test(broken_hooks_do_not_stop_the_worker),
      cmocka_unit_test(hostile_c_work_does_not_hold_the_worker),
      cmocka_unit_test(client_routing_reaches_the_store),
      cmocka_unit_test(reload_reaches_handler_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
