/* test_hooks_reload.c — reloading hook files: an explicit reload, the
 * SIGHUP path (a request from another thread, performed by the owning
 * thread at its next call), and all-or-nothing when a file is broken. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static const char *version(const char *name, const char *v) {
  char src[256];
  snprintf(src, sizeof src,
           "return { before_run = function(task) print('%s "
           "%s') end }\n",
           name, v);
  return hk_file(name, src);
}

static void ran(orca__hooks *h, const orca_task_desc *task, const char *want) {
  orca__hook_task t = hk_order_view(task, "r", 1);
  hk_log_clear();
  orca__hooks_before_run(h, &t);
  if (!hk_log_has(want))
    fail_msg("expected '%s', got:\n%s", want, hk_log_text());
}

static void explicit_reload(void **s) {
  (void)s;
  const char *g = version("g1.lua", "v1");
  orca__hooks *h = NULL;
  assert_int_equal(orca__hooks_open(g, NULL, &h, NULL), 0);
  const orca_task_desc *task = hk_order_task(NULL);
  ran(h, task, "hook: g1.lua v1");
  version("g1.lua", "v2");
  assert_int_equal(orca__hooks_reload(h, NULL), 0);
  ran(h, task, "hook: g1.lua v2");
  orca__hooks_close(h);
}

static void broken_reload_keeps_old_scripts(void **s) {
  (void)s;
  const char *g = version("g2.lua", "v1");
  version("t2.lua", "v1");
  orca__hooks *h = NULL;
  assert_int_equal(orca__hooks_open(g, hk_dir(), &h, NULL), 0);
  const orca_task_desc *task = hk_order_task("t2.lua");
  assert_int_equal(orca__hooks_add_task(h, task, NULL), 0);
  ran(h, task, "hook: t2.lua v1");
  /* the global file is fine, the task file is broken: nothing changes */
  version("g2.lua", "v2");
  const char *t2 = hk_file("t2.lua", "return { before_run = function(task)\n  print('x' end }\n");
  orca_err err = {0};
  hk_log_clear();
  assert_int_equal(orca__hooks_reload(h, &err), ORCA_EHOOK);
  char want[256];
  snprintf(want, sizeof want, "%s:2:", t2);
  assert_non_null(strstr(err.msg, want));
  assert_true(hk_log_has("reload failed, keeping the previous scripts"));
  ran(h, task, "hook: g2.lua v1");
  assert_true(hk_log_has("hook: t2.lua v1"));
  /* fixed: both swap in */
  version("t2.lua", "v3");
  assert_int_equal(orca__hooks_reload(h, &err), 0);
  ran(h, task, "hook: g2.lua v2");
  assert_true(hk_log_has("hook: t2.lua v3"));
  orca__hooks_close(h);
}

static void *request_from_thread(void *arg) {
  (void)arg;
  orca__hooks_request_reload();
  return NULL;
}

static void requested_reload_happens_on_the_owner(void **s) {
  (void)s;
  hk_file("g3.lua", "return {}\n");
  orca__hooks *h = NULL;
  assert_int_equal(orca__hooks_open(hk_file("g3.lua", "return {}\n"), NULL, &h, NULL), 0);
  const orca_task_desc *task = hk_order_task(NULL);
  assert_false(orca__hooks_wants(h, task, ORCA__HOOK_BEFORE_RUN));
  version("g3.lua", "new");
  /* nothing happens until a reload is requested */
  assert_false(orca__hooks_wants(h, task, ORCA__HOOK_BEFORE_RUN));
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, request_from_thread, NULL), 0);
  pthread_join(th, NULL);
  /* the owner's next call picks it up: a new hook point appears */
  assert_true(orca__hooks_wants(h, task, ORCA__HOOK_BEFORE_RUN));
  ran(h, task, "hook: g3.lua new");
  orca__hooks_close(h);
}

int main(void) {
  hk_log_capture();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(explicit_reload),
      cmocka_unit_test(broken_reload_keeps_old_scripts),
      cmocka_unit_test(requested_reload_happens_on_the_owner),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
