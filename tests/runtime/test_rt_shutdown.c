/* test_rt_shutdown.c — graceful shutdown and poison tasks on a real SQLite
 * database: in-flight tasks finish within the grace period, prefetched ones
 * go back at once, tasks still running when the grace ends are released,
 * and nothing is lost: a second worker finishes everything. A task whose
 * lease was handed out too often without completing is dead-lettered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "client/client_internal.h"
#include "rt_support.h"

static void finish_all(rt_env *e, orca_client *c, char ids[][ORCA_ID_MAX], int n,
                       int already_done) {
  rt_gate_open();
  rt_worker rw;
  orca_worker_opts o = {
      .backend = e->url, .concurrency = 2, .max_tasks = (unsigned)(n - already_done)};
  rt_worker_start(&rw, &o);
  assert_int_equal(rt_worker_join(&rw), 0);
  for (int i = 0; i < n; i++) {
    orca_task_info info;
    rt_inspect(c, ids[i], &info);
    assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
    assert_int_equal(info.attempt, 1); /* a release is not an attempt */
  }
}

static void test_graceful_stop_finishes_in_flight(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  enum { N = 6 };
  char ids[N][ORCA_ID_MAX];
  for (int i = 0; i < N; i++)
    assert_int_equal(rt_enqueue(c, &rt_task_block, i, "", NULL, ids[i]), 0);
  rt_worker rw;
  orca_worker_opts o = {
      .backend = e->url, .concurrency = 2, .prefetch = 2, .lease_us = 300000, .grace_us = 60 * SEC};
  rt_worker_start(&rw, &o);
  rt_wait_started(2);
  orca_worker_stop(rw.w);
  rt_log_wait("stopping", 1);
  rt_gate_open(); /* the two running tasks finish inside the grace period */
  assert_int_equal(rt_worker_join(&rw), 0);
  assert_int_equal(rt_calls(), 2);
  int done = 0, pending = 0;
  for (int i = 0; i < N; i++) {
    orca_task_info info;
    rt_inspect(c, ids[i], &info);
    done += info.state == ORCA_STATE_SUCCEEDED;
    pending += info.state == ORCA_STATE_PENDING;
  }
  assert_int_equal(done, 2);
  assert_int_equal(pending, N - 2);
  finish_all(e, c, ids, N, 2);
  orca_client_close(c);
}

static void test_grace_expiry_releases_running(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  char ids[2][ORCA_ID_MAX];
  for (int i = 0; i < 2; i++)
    assert_int_equal(rt_enqueue(c, &rt_task_block, i, "", NULL, ids[i]), 0);
  rt_worker rw;
  orca_worker_opts o = {
      .backend = e->url, .concurrency = 2, .prefetch = 1, .lease_us = 300000, .grace_us = 100000};
  rt_worker_start(&rw, &o);
  rt_wait_started(2);
  orca_worker_stop(rw.w);
  assert_int_equal(rt_worker_join(&rw), 0);
  assert_int_equal(rt_block_saw_cancel(), 1); /* the handlers saw the shutdown */
  for (int i = 0; i < 2; i++) {
    orca_task_info info;
    rt_inspect(c, ids[i], &info);
    assert_int_equal(info.state, ORCA_STATE_PENDING);
  }
  rt_events_reset();
  finish_all(e, c, ids, 2, 0);
  orca_client_close(c);
}

static void test_poison_task_dead_lettered(void **st) {
  rt_env *e = *st;
  rt_clock clk;
  rt_clock_init(&clk, T0);
  orca_client *c = rt_client(e, &clk.clock);
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_record, 1, "", NULL, id), 0);
  /* Five workers "crash" on it: each leases it and never completes. Their
   * handle is closed before the real worker starts (on Kafka it leaves the
   * consumer group). A log without leases gets the task back from the
   * store's reclaim, which promote runs; fetches wait for Kafka. */
  orca__backend *b = NULL;
  orca_err oerr = {0};
  orca__backend_opts bo = {.clock = &clk.clock};
  assert_int_equal(orca__backend_open(e->url, &bo, &b, &oerr), 0);
  orca__lease lease;
  memset(&lease, 0, sizeof lease);
  orca__lease *slots[1] = {&lease};
  const char *queues[1] = {"default"};
  for (int i = 0; i < 5; i++) {
    orca__fetch_req req = {.queues = queues,
                           .nqueues = 1,
                           .worker = "crashy",
                           .lease_us = SEC,
                           .wait_us = rt_on_kafka() ? SEC / 4 : 0};
    size_t got = 0;
    for (int tries = 0; got == 0 && tries < 40; tries++)
      assert_int_equal(b->ops->fetch(b, &req, slots, 1, &got), 0);
    assert_int_equal(got, 1);
    assert_int_equal(lease.deliveries, (uint32_t)i + 1);
    rt_clock_advance(&clk, 2 * SEC);
    int64_t next = 0;
    assert_true(b->ops->promote(b, orca_clock_now(&clk.clock), 100, &next) >= 0);
  }
  orca_buf_free(&lease.payload);
  orca__backend_close(b);
  rt_worker rw;
  orca_worker_opts o = {.backend = e->url, .concurrency = 1, .max_tasks = 1, .clock = &clk.clock};
  rt_worker_start(&rw, &o);
  assert_int_equal(rt_worker_join(&rw), 0);
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, NULL, id, SEC, NULL, NULL, &err), ORCA_EFAIL);
  assert_non_null(strstr(err.msg, "poison task: delivered 6 times"));
  assert_int_equal(rt_calls(), 0);
  orca_client_close(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_graceful_stop_finishes_in_flight, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_grace_expiry_releases_running, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_poison_task_dead_lettered, rt_setup, rt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
