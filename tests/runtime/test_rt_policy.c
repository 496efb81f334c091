/* test_rt_policy.c — task policies and control on a real SQLite database:
 * @cache, @unique, @priority, @deadline, attempt timeouts, cancel of a
 * pending and of a running task. Time-dependent cases use an injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt_support.h"

static orca_worker_opts wopts(const rt_env *e, unsigned max_tasks, const orca_clock *clock) {
  orca_worker_opts o = {.backend = e->url,
                        .concurrency = 1,
                        .prefetch = 1,
                        .lease_us = 300000,
                        .grace_us = 2 * SEC,
                        .max_tasks = max_tasks,
                        .clock = clock};
  return o;
}

static void run_worker(const rt_env *e, unsigned max_tasks, const orca_clock *clock) {
  rt_worker rw;
  orca_worker_opts o = wopts(e, max_tasks, clock);
  rt_worker_start(&rw, &o);
  assert_int_equal(rt_worker_join(&rw), 0);
}

static orca_state state_of(orca_client *c, const char *id) {
  orca_task_info info;
  rt_inspect(c, id, &info);
  return info.state;
}

static void test_cache(void **st) {
  rt_env *e = *st;
  rt_clock clk;
  rt_clock_init(&clk, T0);
  orca_client *c = rt_client(e, &clk.clock);
  char a[ORCA_ID_MAX], b[ORCA_ID_MAX], d[ORCA_ID_MAX], f[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_cached, 7, "sku-1", NULL, a), 0);
  /* In flight: an identical enqueue shares the id. */
  assert_int_equal(rt_enqueue(c, &rt_task_cached, 7, "sku-1", NULL, b), ORCA_EDUPLICATE);
  assert_string_equal(a, b);
  /* Different args: a task of its own. */
  assert_int_equal(rt_enqueue(c, &rt_task_cached, 7, "sku-2", NULL, d), 0);
  assert_string_not_equal(a, d);
  run_worker(e, 2, &clk.clock);
  assert_int_equal(rt_calls(), 2);

  /* Finished: the cached result's id comes back with 0, nothing runs. */
  rt_clock_advance(&clk, 60 * SEC);
  memset(b, 0, sizeof b);
  assert_int_equal(rt_enqueue(c, &rt_task_cached, 7, "sku-1", NULL, b), 0);
  assert_string_equal(a, b);
  int64_t r = 0;
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, &rt_task_cached, b, SEC, &r, NULL, &err), 0);
  assert_int_equal(r, 7);

  /* Past the cache TTL (10 min from the finish) it runs again. */
  rt_clock_advance(&clk, 11 * 60 * SEC);
  assert_int_equal(rt_enqueue(c, &rt_task_cached, 7, "sku-1", NULL, f), 0);
  assert_string_not_equal(a, f);
  run_worker(e, 1, &clk.clock);
  assert_int_equal(rt_calls(), 3);
  orca_client_close(c);
}

static void test_unique(void **st) {
  rt_env *e = *st;
  rt_clock clk;
  rt_clock_init(&clk, T0);
  orca_client *c = rt_client(e, &clk.clock);
  char a[ORCA_ID_MAX], b[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_unique, 1, "to@x", NULL, a), 0);
  orca_err err = {0};
  rt_args args = {1, "to@x"};
  assert_int_equal(orca_enqueue(c, &rt_task_unique, &args, NULL, b, &err), ORCA_EDUPLICATE);
  assert_string_equal(a, b);
  assert_non_null(strstr(err.msg, a));
  run_worker(e, 1, &clk.clock);
  /* Still unique after it ran, for the whole TTL. */
  rt_clock_advance(&clk, 30 * 60 * SEC);
  assert_int_equal(rt_enqueue(c, &rt_task_unique, 1, "to@x", NULL, b), ORCA_EDUPLICATE);
  assert_string_equal(a, b);
  rt_clock_advance(&clk, 31 * 60 * SEC);
  assert_int_equal(rt_enqueue(c, &rt_task_unique, 1, "to@x", NULL, b), 0);
  assert_string_not_equal(a, b);
  orca_client_close(c);
}

static void test_priority(void **st) {
  if (rt_on_kafka())
    skip(); /* Kafka has no priorities within a queue (docs/kafka.md) */
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  const int prio[] = {1, 9, 5, 0, 7};
  for (int i = 0; i < 5; i++) {
    orca_enqueue_opts o = {.priority = prio[i], .has_priority = true};
    assert_int_equal(rt_enqueue(c, &rt_task_record, prio[i], "", &o, NULL), 0);
  }
  run_worker(e, 5, NULL);
  int64_t runs[8];
  assert_int_equal(rt_runs(runs, 8), 5);
  const int64_t want[] = {9, 7, 5, 1, 0};
  for (int i = 0; i < 5; i++)
    assert_int_equal(runs[i], want[i]);
  orca_client_close(c);
}

static void test_deadline(void **st) {
  rt_env *e = *st;
  rt_clock clk;
  rt_clock_init(&clk, T0);
  orca_client *c = rt_client(e, &clk.clock);
  char late[ORCA_ID_MAX], ok[ORCA_ID_MAX];
  orca_enqueue_opts o = {.deadline_us = 5 * SEC};
  assert_int_equal(rt_enqueue(c, &rt_task_record, 1, "", &o, late), 0);
  rt_clock_advance(&clk, 6 * SEC);
  assert_int_equal(rt_enqueue(c, &rt_task_record, 2, "", &o, ok), 0);
  run_worker(e, 2, &clk.clock);
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, &rt_task_record, late, SEC, NULL, NULL, &err), ORCA_EFAIL);
  assert_non_null(strstr(err.msg, "expired"));
  assert_int_equal(state_of(c, late), ORCA_STATE_EXPIRED);
  assert_int_equal(state_of(c, ok), ORCA_STATE_SUCCEEDED);
  int64_t runs[4];
  assert_int_equal(rt_runs(runs, 4), 1);
  assert_int_equal(runs[0], 2);
  orca_client_close(c);
}

static void test_timeout(void **st) {
  rt_env *e = *st;
  rt_task_block.timeout_us = 50000;
  rt_task_block.retry = (orca_retry_policy){2, ORCA_BACKOFF_NONE, 0, 0, false};
  orca_client *c = rt_client(e, NULL);
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_block, 1, "", NULL, id), 0);
  run_worker(e, 1, NULL);
  rt_task_block.timeout_us = 0;
  rt_task_block.retry = (orca_retry_policy){1, ORCA_BACKOFF_NONE, 0, 0, false};
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, &rt_task_block, id, SEC, NULL, NULL, &err), ORCA_EFAIL);
  assert_non_null(strstr(err.msg, "timed out after 50 ms"));
  assert_int_equal(rt_block_saw_cancel(), 1);
  assert_int_equal(rt_calls(), 2); /* the timeout counted as a failed attempt, retried once */
  orca_client_close(c);
}

static void test_cancel_pending_and_running(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  char pend[ORCA_ID_MAX], run[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_record, 1, "", NULL, pend), 0);
  orca_err err = {0};
  assert_int_equal(orca_cancel(c, pend, &err), 0);
  assert_int_equal(orca_wait_result(c, NULL, pend, SEC, NULL, NULL, &err), ORCA_ECANCELLED);
  assert_int_equal(orca_cancel(c, pend, &err), ORCA_ESTATE);
  assert_int_equal(orca_cancel(c, "no-such-task", &err), ORCA_ENOTFOUND);

  assert_int_equal(rt_enqueue(c, &rt_task_block, 1, "", NULL, run), 0);
  rt_worker rw;
  orca_worker_opts o = wopts(e, 1, NULL);
  rt_worker_start(&rw, &o);
  rt_wait_started(1);
  assert_int_equal(orca_cancel(c, run, &err), 0);
  assert_int_equal(orca_wait_result(c, NULL, run, 10 * SEC, NULL, NULL, &err), ORCA_ECANCELLED);
  assert_int_equal(rt_worker_join(&rw), 0);
  assert_int_equal(rt_block_saw_cancel(), 1);
  assert_int_equal(rt_calls(), 1); /* the pending one never ran */
  orca_client_close(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cache, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_unique, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_priority, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_deadline, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_timeout, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_cancel_pending_and_running, rt_setup, rt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
