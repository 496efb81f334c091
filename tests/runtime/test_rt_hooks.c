/* test_rt_hooks.c — Lua hooks as the runtime core calls them: on_enqueue
 * (reject, change priority and headers) and route in the client; on_error
 * (retry at once, give up) in the worker's handler threads; a hook file that
 * does not load stops the worker before it starts, naming file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_support.h"
#include "worker/worker_internal.h"

static const char hooks_lua[] = "function on_enqueue(task)\n"
                                "  if task.args.n < 0 then return false, 'negative n' end\n"
                                "  if task.args.s == 'vip' then task.priority = 9 end\n"
                                "  task.headers['from_hook'] = 'yes'\n"
                                "  return true\n"
                                "end\n"
                                "function route(task)\n"
                                "  if task.args.s == 'eu' then return 'eu' end\n"
                                "end\n"
                                "function on_error(task, err)\n"
                                "  if task.args.s == 'fatal' then return { retry = false } end\n"
                                "  if string.find(err, 'boom') then return { delay = 0 } end\n"
                                "end\n";

typedef struct fx {
  rt_env env;
  char hooks[300];
} fx;

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **st) {
  fx *f = calloc(1, sizeof *f);
  rt_env_init(&f->env);
  snprintf(f->hooks, sizeof f->hooks, "%s/hooks.lua", f->env.dir);
  write_file(f->hooks, hooks_lua);
  rt_events_reset();
  rt_log_capture();
  *st = f;
  return 0;
}

static int teardown(void **st) {
  fx *f = *st;
  rt_env_done(&f->env);
  free(f);
  return 0;
}

static orca_client *hooked_client(fx *f) {
  orca_client_opts o = {.backend = f->env.url, .hooks_file = f->hooks};
  orca_client *c = NULL;
  orca_err err = {0};
  int rc = orca_client_open(&o, &c, &err);
  if (rc)
    fail_msg("client: %s", err.msg);
  return c;
}

static void test_client_hooks(void **st) {
  fx *f = *st;
  orca_client *c = hooked_client(f);
  orca_err err = {0};
  rt_args neg = {-1, "x"};
  char id[ORCA_ID_MAX];
  assert_int_equal(orca_enqueue(c, &rt_task_add, &neg, NULL, id, &err), ORCA_EREJECTED);
  assert_non_null(strstr(err.msg, "negative n"));

  /* A batch: the rejected one gets its status, the others are stored. */
  rt_args a[3] = {{1, "vip"}, {-5, ""}, {2, "eu"}};
  const void *p[3] = {&a[0], &a[1], &a[2]};
  char ids[3 * ORCA_ID_MAX];
  int status[3];
  assert_int_equal(orca_enqueue_many(c, &rt_task_add, p, 3, NULL, ids, status, &err), 0);
  assert_int_equal(status[0], 0);
  assert_int_equal(status[1], ORCA_EREJECTED);
  assert_int_equal(status[2], 0);
  orca_task_info info;
  rt_inspect(c, ids, &info);
  assert_int_equal(info.priority, 9);
  assert_string_equal(info.queue, "default");
  rt_inspect(c, ids + 2 * ORCA_ID_MAX, &info);
  assert_string_equal(info.queue, "eu");

  rt_worker rw;
  orca_worker_opts o = {.backend = f->env.url, .concurrency = 1, .max_tasks = 1};
  rt_worker_start(&rw, &o);
  assert_int_equal(orca_wait_result(c, &rt_task_add, ids, 10 * SEC, NULL, NULL, &err), 0);
  assert_int_equal(rt_worker_join(&rw), 0);
  assert_string_equal(rt_last_header("from_hook"), "yes");
  orca_client_close(c);
}

static void test_worker_on_error(void **st) {
  fx *f = *st;
  /* Back-off of an hour: only the hook's delay = 0 makes the retries run now. */
  rt_task_flaky.retry = (orca_retry_policy){5, ORCA_BACKOFF_FIXED, 3600 * SEC, 0, false};
  orca_client *c = rt_client(&f->env, NULL);
  char retried[ORCA_ID_MAX], fatal[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_flaky, 2, "", NULL, retried), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_flaky, 2, "fatal", NULL, fatal), 0);
  rt_worker rw;
  orca_worker_opts o = {
      .backend = f->env.url, .concurrency = 1, .hooks_file = f->hooks, .max_tasks = 2};
  rt_worker_start(&rw, &o);
  assert_int_equal(rt_worker_join(&rw), 0);
  orca_err err = {0};
  int64_t r = 0;
  assert_int_equal(orca_wait_result(c, &rt_task_flaky, retried, SEC, &r, NULL, &err), 0);
  assert_int_equal(r, 3);
  assert_int_equal(orca_wait_result(c, &rt_task_flaky, fatal, SEC, NULL, NULL, &err), ORCA_EFAIL);
  assert_non_null(strstr(err.msg, "boom 1"));
  orca_client_close(c);
}

static void test_bad_hook_file_stops_worker(void **st) {
  fx *f = *st;
  char bad[300];
  snprintf(bad, sizeof bad, "%s/bad.lua", f->env.dir);
  write_file(bad, "function on_enqueue(task)\n  return (\nend\n");
  orca_worker_opts o = {.backend = f->env.url, .concurrency = 1, .hooks_file = bad};
  orca_worker *w = NULL;
  orca_err err = {0};
  assert_int_equal(orca_worker_open(&o, &w, &err), 0);
  assert_int_equal(rt_register_all(w, NULL, NULL), 0);
  assert_int_equal(orca__worker_prepare(w, &err), ORCA_EHOOK);
  if (!strstr(err.msg, "bad.lua:3"))
    fail_msg("want bad.lua:3 in '%s'", err.msg);
  orca_err rerr = {0};
  assert_int_equal(orca_worker_run(w, &rerr), ORCA_EHOOK);
  assert_non_null(strstr(rerr.msg, "bad.lua:3"));
  orca_worker_close(w);

  orca_client_opts co = {.backend = f->env.url, .hooks_file = bad};
  orca_client *c = NULL;
  assert_int_equal(orca_client_open(&co, &c, &err), ORCA_EHOOK);
  assert_null(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_client_hooks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_worker_on_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_hook_file_stops_worker, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
