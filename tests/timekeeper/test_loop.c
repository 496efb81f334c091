/* test_loop.c — the engine in loop mode on the real clock: it wakes by
 * itself at each due time (uv_timer armed at the earliest due, no polling)
 * and fires a 50 ms schedule; the test stops when three fires were seen,
 * reported by the engine's on_cycle callback. A 20 s guard timer only turns a
 * hang into a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "timekeeper/timekeeper.h"

const orca__backend_ops *const force_sqlite = &orca__sqlite_ops; /* see test_engine.c */

typedef struct run {
  orca__timekeeper *tk;
  uv_timer_t guard;
  int fired, cycles;
  bool timed_out;
} run;

static void on_cycle(void *ud, int fired) {
  run *r = ud;
  r->fired += fired;
  r->cycles++;
  if (r->fired >= 3 && r->tk) {
    orca__timekeeper_close(r->tk);
    r->tk = NULL;
    uv_close((uv_handle_t *)&r->guard, NULL);
  }
}

static void on_guard(uv_timer_t *t) {
  run *r = t->data;
  r->timed_out = true;
  orca__timekeeper_close(r->tk);
  r->tk = NULL;
  uv_close((uv_handle_t *)&r->guard, NULL);
}

static void test_loop_fires_on_time(void **state) {
  (void)state;
  char dir[] = "/tmp/orca-tkl-XXXXXX", url[128];
  assert_non_null(mkdtemp(dir));
  snprintf(url, sizeof url, "sqlite:%s/orca.db", dir);
  uv_loop_t loop;
  uv_loop_init(&loop);
  run r = {0};
  orca_err err = {0};
  assert_int_equal(orca__timekeeper_open(&loop, url, NULL, "loop", &r.tk, &err), 0);
  orca__timekeeper_opts o = {.on_cycle = on_cycle, .ud = &r};
  orca__timekeeper_set_opts(r.tk, &o);
  static const orca_task_desc task = {.name = "t.tick", .queue = "q"};
  static const uint8_t args[] = {0x80};
  orca_schedule_desc d = {.name = "loop.50ms",
                          .task = &task,
                          .kind = ORCA_SCHEDULE_EVERY,
                          .every_us = 50000,
                          .args = args,
                          .args_len = 1};
  assert_int_equal(orca__timekeeper_add(r.tk, &d, &err), 0);
  assert_int_equal(orca__timekeeper_start(r.tk), 0);
  uv_timer_init(&loop, &r.guard);
  r.guard.data = &r;
  uv_timer_start(&r.guard, on_guard, 20000, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_false(r.timed_out);
  assert_true(r.fired >= 3);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_loop_fires_on_time)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
