/* test_rt_worker.c — the task path end to end on a real SQLite database:
 * enqueue -> worker runs the handler -> result stored -> orca_wait_result;
 * batches; retries with their back-off times (injected clock); dead-letter
 * after the last attempt; payloads a worker cannot read (no handler, corrupt
 * bytes, a schema it cannot decode) go to the dead-letter queue with the
 * reason while the worker carries on. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "client/client_internal.h"
#include "codec/envelope.h"
#include "rt_support.h"

static orca_worker_opts wopts(const rt_env *e, unsigned max_tasks, const orca_clock *clock) {
  orca_worker_opts o = {.backend = e->url,
                        .concurrency = 2,
                        .lease_us = 300000,
                        .grace_us = 2 * SEC,
                        .worker_id = "w-test",
                        .max_tasks = max_tasks,
                        .clock = clock};
  return o;
}

static void test_end_to_end(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_add, 40, "ab", NULL, id), 0);
  assert_int_equal(strlen(id), 26);

  rt_worker rw;
  orca_worker_opts o = wopts(e, 1, NULL);
  rt_worker_start(&rw, &o);
  int64_t result = 0;
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, &rt_task_add, id, 10 * SEC, &result, NULL, &err), 0);
  assert_int_equal(result, 42);
  assert_int_equal(rt_worker_join(&rw), 0);

  orca_task_info info;
  rt_inspect(c, id, &info);
  assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
  assert_int_equal(info.attempt, 1);
  assert_string_equal(info.task, "t.add");
  assert_string_equal(info.worker, "w-test");

  assert_int_equal(orca_wait_result(c, &rt_task_add, "nope", 1000, NULL, NULL, &err),
                   ORCA_ENOTFOUND);
  orca_client_close(c);
}

static void test_enqueue_many(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  enum { N = 50 };
  rt_args args[N];
  const void *ptrs[N];
  char ids[N * ORCA_ID_MAX];
  int status[N];
  for (int i = 0; i < N; i++) {
    args[i].n = i;
    args[i].s = "x";
    ptrs[i] = &args[i];
  }
  orca_err err = {0};
  assert_int_equal(orca_enqueue_many(c, &rt_task_add, ptrs, N, NULL, ids, status, &err), 0);
  for (int i = 0; i < N; i++)
    assert_int_equal(status[i], 0);
  for (int i = 1; i < N; i++)
    assert_string_not_equal(ids + (i - 1) * ORCA_ID_MAX, ids + i * ORCA_ID_MAX);

  rt_worker rw;
  orca_worker_opts o = wopts(e, N, NULL);
  o.concurrency = 4;
  rt_worker_start(&rw, &o);
  assert_int_equal(rt_worker_join(&rw), 0);
  for (int i = 0; i < N; i++) {
    int64_t r = -1;
    assert_int_equal(orca_wait_result(c, &rt_task_add, ids + i * ORCA_ID_MAX, SEC, &r, NULL, &err),
                     0);
    assert_int_equal(r, i + 1);
  }
  assert_int_equal(rt_calls(), N);

  /* A caller-chosen id is an idempotency key: the second enqueue is refused. */
  orca_enqueue_opts eo = {.id = "order-17"};
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_add, 1, "", &eo, id), 0);
  assert_string_equal(id, "order-17");
  assert_int_equal(rt_enqueue(c, &rt_task_add, 1, "", &eo, id), ORCA_EDUPLICATE);
  assert_string_equal(id, "order-17");
  /* ... and cannot name a batch. */
  assert_int_equal(orca_enqueue_many(c, &rt_task_add, ptrs, 2, &eo, NULL, NULL, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "cannot be shared"));
  orca_client_close(c);
}

static int64_t info_eta(orca_client *c, const char *id, orca_state *state, uint32_t *attempt) {
  orca_task_info info;
  rt_inspect(c, id, &info);
  *state = info.state;
  *attempt = info.attempt;
  return info.eta_us;
}

/* Exponential back-off 1 s, 2 s, 4 s capped at 3 s, no jitter: with the
 * clock frozen, each retry's due time is exactly now + delay. The test
 * moves the clock to each due time; the worker runs the retry then. */
static void test_retry_backoff_times(void **st) {
  rt_env *e = *st;
  rt_clock clk;
  rt_clock_init(&clk, T0);
  rt_task_flaky.retry = (orca_retry_policy){5, ORCA_BACKOFF_EXPONENTIAL, SEC, 3 * SEC, false};
  orca_client *c = rt_client(e, &clk.clock);
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_flaky, 3, "", NULL, id), 0);

  rt_worker rw;
  orca_worker_opts o = wopts(e, 1, &clk.clock);
  rt_worker_start(&rw, &o);
  const int64_t delays[] = {SEC, 2 * SEC, 3 * SEC};
  for (int k = 0; k < 3; k++) {
    rt_log_wait("failed: boom", k + 1);
    orca_state s;
    uint32_t attempt;
    int64_t eta = info_eta(c, id, &s, &attempt);
    assert_true(s == ORCA_STATE_FAILED || s == ORCA_STATE_SCHEDULED);
    int64_t now = atomic_load(&clk.now);
    assert_int_equal(eta, now + delays[k]);
    rt_clock_advance(&clk, delays[k]);
  }
  int64_t r = 0;
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, &rt_task_flaky, id, 10 * SEC, &r, NULL, &err), 0);
  assert_int_equal(r, 4);
  assert_int_equal(rt_worker_join(&rw), 0);
  int64_t runs[8];
  assert_int_equal(rt_runs(runs, 8), 4);
  for (int i = 0; i < 4; i++)
    assert_int_equal(runs[i], i + 1);
  orca_client_close(c);
}

/* With jitter the due time falls anywhere in [now, now + delay]. */
static void test_retry_jitter_bounds(void **st) {
  rt_env *e = *st;
  rt_clock clk;
  rt_clock_init(&clk, T0);
  rt_task_flaky.retry = (orca_retry_policy){2, ORCA_BACKOFF_EXPONENTIAL, 10 * SEC, 0, true};
  orca_client *c = rt_client(e, &clk.clock);
  enum { N = 6 };
  char ids[N][ORCA_ID_MAX];
  for (int i = 0; i < N; i++)
    assert_int_equal(rt_enqueue(c, &rt_task_flaky, 5, "", NULL, ids[i]), 0);
  rt_worker rw;
  orca_worker_opts o = wopts(e, 0, &clk.clock);
  rt_worker_start(&rw, &o);
  rt_log_wait("failed: boom", N);
  orca_worker_stop(rw.w);
  assert_int_equal(rt_worker_join(&rw), 0);
  int distinct = 0;
  int64_t prev = -1;
  for (int i = 0; i < N; i++) {
    orca_state s;
    uint32_t attempt;
    int64_t eta = info_eta(c, ids[i], &s, &attempt);
    assert_in_range(eta, T0, T0 + 10 * SEC);
    distinct += eta != prev;
    prev = eta;
  }
  assert_true(distinct > 1);
  orca_client_close(c);
}

static void test_dead_after_max_attempts(void **st) {
  rt_env *e = *st;
  rt_task_flaky.retry = (orca_retry_policy){3, ORCA_BACKOFF_NONE, 0, 0, false};
  orca_client *c = rt_client(e, NULL);
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_flaky, 100, "", NULL, id), 0);
  rt_worker rw;
  orca_worker_opts o = wopts(e, 1, NULL);
  rt_worker_start(&rw, &o);
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, &rt_task_flaky, id, 10 * SEC, NULL, NULL, &err), ORCA_EFAIL);
  assert_non_null(strstr(err.msg, "boom 3"));
  assert_int_equal(rt_worker_join(&rw), 0);
  orca_state s;
  uint32_t attempt;
  info_eta(c, id, &s, &attempt);
  assert_int_equal(s, ORCA_STATE_DEAD);
  assert_int_equal(attempt, 3);
  assert_int_equal(rt_calls(), 3);
  orca_client_close(c);
}

/* Store a raw payload as task `id` straight through the backend. */
static void put_raw(orca_client *c, const char *id, const char *task, const uint8_t *payload,
                    size_t len) {
  orca__backend *b = orca__client_backend(c);
  orca__job j = {.id = id,
                 .task = task,
                 .queue = "default",
                 .eta_us = orca_clock_now(NULL),
                 .payload = payload,
                 .payload_len = len,
                 .state_ttl_us = 3600 * SEC};
  orca__enqueue_result r;
  memset(&r, 0, sizeof r);
  assert_int_equal(b->ops->enqueue(b, &j, 1, &r), 0);
  assert_int_equal(r.status, 0);
}

static void expect_dead(orca_client *c, const char *id, const char *reason) {
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, NULL, id, 10 * SEC, NULL, NULL, &err), ORCA_EFAIL);
  if (!strstr(err.msg, reason))
    fail_msg("task %s: got '%s', want '%s'", id, err.msg, reason);
}

static void test_unreadable_payloads_dead_lettered(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  /* 1. Bytes that are no envelope at all. */
  put_raw(c, "corrupt-1", "t.add", (const uint8_t *)"\xc1garbage", 8);

  /* 2. A task this worker has no handler for. */
  orca_task_desc other = rt_task_add;
  other.name = "t.unknown";
  char id_nohandler[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &other, 1, "", NULL, id_nohandler), 0);

  /* 3. Args written by a newer schema (other fingerprint) that this worker
   *    cannot decode: field 1 is a string now. */
  orca_task_desc newer = rt_task_add;
  orca_struct_desc newer_desc = rt_args_desc;
  newer_desc.fingerprint = 0xabcdef0123456789ull;
  newer.args = &newer_desc;
  const uint8_t bad_args[] = {0x81, 0x01, 0xa3, 'o', 'n', 'e'}; /* {1: "one"} */
  char id_schema[ORCA_ID_MAX];
  orca_err err = {0};
  assert_int_equal(orca_enqueue_raw(c, &newer, bad_args, sizeof bad_args, NULL, id_schema, &err),
                   0);

  /* 4. Other fingerprint, but readable (an added field 9): it runs. */
  const uint8_t ok_args[] = {0x82, 0x01, 0x05, 0x09, 0xc3}; /* {1: 5, 9: true} */
  char id_evolved[ORCA_ID_MAX];
  assert_int_equal(orca_enqueue_raw(c, &newer, ok_args, sizeof ok_args, NULL, id_evolved, &err), 0);

  /* 5. Same fingerprint, undecodable args. */
  char id_baddata[ORCA_ID_MAX];
  assert_int_equal(
      orca_enqueue_raw(c, &rt_task_add, bad_args, sizeof bad_args, NULL, id_baddata, &err), 0);

  /* 6. A good task after all of them: the worker carries on. */
  char id_good[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_add, 1, "z", NULL, id_good), 0);

  rt_worker rw;
  orca_worker_opts o = wopts(e, 6, NULL);
  o.concurrency = 1;
  rt_worker_start(&rw, &o);
  assert_int_equal(rt_worker_join(&rw), 0);

  expect_dead(c, "corrupt-1", "corrupt task payload");
  expect_dead(c, id_nohandler, "no handler for task t.unknown");
  char want[200];
  snprintf(want, sizeof want,
           "schema fingerprint mismatch (got %016" PRIx64 ", want %016" PRIx64 "): ",
           (uint64_t)0xabcdef0123456789ull, (uint64_t)rt_args_desc.fingerprint);
  expect_dead(c, id_schema, want);
  expect_dead(c, id_baddata, "cannot decode the arguments");
  int64_t r = 0;
  assert_int_equal(orca_wait_result(c, &rt_task_add, id_evolved, SEC, &r, NULL, &err), 0);
  assert_int_equal(r, 5);
  assert_int_equal(orca_wait_result(c, &rt_task_add, id_good, SEC, &r, NULL, &err), 0);
  assert_int_equal(r, 2);
  orca_client_close(c);
}

/* A deferred task stays scheduled until due and never starts early;
 * headers reach the handler's context. */
static void test_deferred_and_headers(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  orca_header_kv hdr[] = {{"trace", "abc-123"}, {"tenant", "t9"}};
  orca_enqueue_opts o = {.delay_us = 300000, .headers = hdr, .nheaders = 2};
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_add, 1, "", &o, id), 0);
  orca_task_info info;
  rt_inspect(c, id, &info);
  assert_int_equal(info.state, ORCA_STATE_SCHEDULED);
  int64_t eta = info.eta_us;
  orca_err err = {0};

  rt_worker rw;
  orca_worker_opts wo = wopts(e, 1, NULL);
  rt_worker_start(&rw, &wo);
  assert_int_equal(orca_wait_result(c, &rt_task_add, id, 10 * SEC, NULL, NULL, &err), 0);
  assert_int_equal(rt_worker_join(&rw), 0);
  rt_inspect(c, id, &info);
  assert_true(info.started_us >= eta);
  assert_string_equal(rt_last_header("trace"), "abc-123");
  assert_string_equal(rt_last_header("tenant"), "t9");
  assert_string_equal(rt_last_header("missing"), "(null)");
  orca_client_close(c);
}

/* The worker runs its schema's schedules through the TimeKeeper: an
 * `every 200ms` schedule fires t.record with its pre-encoded args. */
static const uint8_t tick_args[] = {0x81, 0x01, 0x2a}; /* {1: 42} */
static const orca_schedule_desc tick = {.name = "t.tick",
                                        .task = &rt_task_record,
                                        .kind = ORCA_SCHEDULE_EVERY,
                                        .every_us = 200000,
                                        .catchup = ORCA_CATCHUP_SKIP,
                                        .args = tick_args,
                                        .args_len = sizeof tick_args};
static const orca_schedule_desc *const schedules[] = {&tick};
static const orca_schema schema = {.package = "t", .nschedules = 1, .schedules = schedules};

static void test_schedules_fire(void **st) {
  rt_env *e = *st;
  rt_worker rw;
  orca_worker_opts o = wopts(e, 1, NULL);
  o.run_schedules = true;
  orca_err err = {0};
  assert_int_equal(orca_worker_open(&o, &rw.w, &err), 0);
  assert_int_equal(rt_register_all(rw.w, NULL, NULL), 0);
  assert_int_equal(orca_worker_add_schema(rw.w, &schema, NULL), 0);
  assert_int_equal(orca_worker_run(rw.w, NULL), 0);
  orca_worker_close(rw.w);
  /* max_tasks stops the worker after one; tasks already running finish (on
   * Kafka the group join takes seconds, so several fires wait by then). */
  int64_t runs[64];
  int n = rt_runs(runs, 64);
  assert_true(n >= 1);
  for (int i = 0; i < n; i++)
    assert_int_equal(runs[i], 42);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_end_to_end, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_enqueue_many, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_retry_backoff_times, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_retry_jitter_bounds, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_dead_after_max_attempts, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_unreadable_payloads_dead_lettered, rt_setup,
                                      rt_teardown),
      cmocka_unit_test_setup_teardown(test_deferred_and_headers, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_schedules_fire, rt_setup, rt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
