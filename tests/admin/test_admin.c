/* test_admin.c — the operator's API (orca/admin.h and the calls it names in
 * orca/client.h and orca/schedule.h), end to end through a client: queue
 * counts, dead letters made by a real worker, tasks by state, inspect and
 * cancel, and schedules. Runs on SQLite (test_admin) and on a private redis-server
 * (test_admin_redis, ORCA_RT_BACKEND=redis). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "orca/admin.h"
#include "rt_support.h"

/* ---- queues ---- */

typedef struct seen_queues {
  int calls;
  int stop_with;
  orca_queue_stats qa, qb;
} seen_queues;

static int on_queue(void *ud, const orca_queue_stats *q) {
  seen_queues *s = ud;
  s->calls++;
  if (strcmp(q->queue, "qa") == 0)
    s->qa = *q;
  if (strcmp(q->queue, "qb") == 0)
    s->qb = *q;
  return s->stop_with;
}

static void test_queue_list(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  orca_enqueue_opts qa = {.queue = "qa"}, qb = {.queue = "qb"};
  assert_int_equal(rt_enqueue(c, &rt_task_add, 1, "", &qa, NULL), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_add, 2, "", &qa, NULL), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_add, 3, "", &qb, NULL), 0);
  orca_err err = {0};
  seen_queues s = {0};
  assert_int_equal(orca_queue_list(c, on_queue, &s, &err), 0);
  assert_int_equal(s.calls, 2);
  assert_int_equal(s.qa.pending, 2);
  assert_int_equal(s.qb.pending, 1);
  assert_int_equal(s.qa.dead + s.qa.running + s.qa.scheduled, 0);

  /* A non-zero answer stops the list and is returned. */
  seen_queues stop = {.stop_with = 7};
  assert_int_equal(orca_queue_list(c, on_queue, &stop, &err), 7);
  assert_int_equal(stop.calls, 1);

  assert_int_equal(orca_queue_list(NULL, on_queue, &s, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "orca_queue_list"));
  assert_int_equal(orca_queue_list(c, NULL, NULL, &err), ORCA_EINVAL);
  orca_client_close(c);
}

/* ---- dead letters ---- */

typedef struct seen_dead {
  int calls, stop_after;
  char ids[8][ORCA_ID_MAX];
  int64_t n[8];
  char error[ORCA_ERRTEXT_MAX];
} seen_dead;

static int on_dead(void *ud, const orca_task_info *info) {
  seen_dead *s = ud;
  int i = s->calls++;
  assert_true(i < 8);
  assert_int_equal(info->state, ORCA_STATE_DEAD);
  snprintf(s->ids[i], ORCA_ID_MAX, "%s", info->id);
  snprintf(s->error, sizeof s->error, "%s", info->error);
  /* The arguments stay with a dead task, and decode with its type. */
  rt_args a;
  orca_arena arena;
  orca_arena_init(&arena, 0);
  orca_value_init(&rt_args_type, &a);
  assert_int_equal(
      orca_unpack(&rt_args_type, info->args.data, info->args.len, &a, &arena.alloc, NULL), 0);
  s->n[i] = a.n;
  orca_arena_free(&arena);
  return s->stop_after && s->calls == s->stop_after ? 9 : 0;
}

static orca_state state_of(orca_client *c, const char *id) {
  orca_task_info info = {0};
  orca_err err = {0};
  int rc = orca_inspect(c, id, &info, &err);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  return rc == ORCA_ENOTFOUND ? ORCA_STATE_UNKNOWN : info.state;
}

static void test_dlq(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  orca_enqueue_opts qd = {.queue = "qd"};
  char ids[3][ORCA_ID_MAX];
  for (int i = 0; i < 3; i++) /* t.flaky fails its only attempt: dead */
    assert_int_equal(rt_enqueue(c, &rt_task_flaky, 10 + i, "", &qd, ids[i]), 0);
  rt_worker rw;
  orca_worker_opts o = {.backend = e->url, .queues = "qd", .concurrency = 1, .max_tasks = 3};
  rt_worker_start(&rw, &o);
  assert_int_equal(rt_worker_join(&rw), 0);

  orca_err err = {0};
  seen_dead s = {0};
  assert_int_equal(orca_dlq_list(c, "qd", 0, 0, on_dead, &s, &err), 0);
  assert_int_equal(s.calls, 3);
  assert_string_equal(s.error, "boom 1");
  int64_t sum = s.n[0] + s.n[1] + s.n[2];
  assert_int_equal(sum, 10 + 11 + 12);

  seen_dead all = {0}, page = {0}, rest = {0}, stop = {.stop_after = 1};
  assert_int_equal(orca_dlq_list(c, NULL, 0, 0, on_dead, &all, &err), 0);
  assert_int_equal(all.calls, 3);
  assert_int_equal(orca_dlq_list(c, "qd", 0, 2, on_dead, &page, &err), 0);
  assert_int_equal(page.calls, 2);
  assert_int_equal(orca_dlq_list(c, "qd", 2, 0, on_dead, &rest, &err), 0);
  assert_int_equal(rest.calls, 1);
  assert_int_equal(orca_dlq_list(c, "qd", 0, 0, on_dead, &stop, &err), 9);
  assert_int_equal(stop.calls, 1);
  seen_dead none = {0};
  assert_int_equal(orca_dlq_list(c, "other", 0, 0, on_dead, &none, &err), 0);
  assert_int_equal(none.calls, 0);

  /* Requeue one: pending again. A task that is not dead there is
   * ENOTFOUND, on every backend. */
  size_t count = 99;
  assert_int_equal(orca_dlq_requeue(c, "qd", ids[0], &count, &err), 0);
  assert_int_equal(count, 1);
  assert_int_equal(state_of(c, ids[0]), ORCA_STATE_PENDING);
  assert_int_equal(orca_dlq_requeue(c, "qd", ids[0], &count, &err), ORCA_ENOTFOUND);
  assert_int_equal(count, 0);
  assert_non_null(strstr(err.msg, ids[0]));
  assert_int_equal(orca_dlq_requeue(c, NULL, "no-such-task", NULL, &err), ORCA_ENOTFOUND);
  assert_int_equal(orca_dlq_purge(c, "qd", "no-such-task", NULL, &err), ORCA_ENOTFOUND);

  /* Purge one, then the rest of the queue. */
  assert_int_equal(orca_dlq_purge(c, "qd", ids[1], &count, &err), 0);
  assert_int_equal(count, 1);
  assert_int_equal(state_of(c, ids[1]), ORCA_STATE_UNKNOWN);
  assert_int_equal(orca_dlq_purge(c, "qd", NULL, &count, &err), 0);
  assert_int_equal(count, 1);
  seen_dead after = {0};
  assert_int_equal(orca_dlq_list(c, NULL, 0, 0, on_dead, &after, &err), 0);
  assert_int_equal(after.calls, 0);
  assert_int_equal(state_of(c, ids[0]), ORCA_STATE_PENDING); /* the requeued one stays */

  assert_int_equal(orca_dlq_list(NULL, "qd", 0, 0, on_dead, &s, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "orca_dlq_list"));
  assert_int_equal(orca_dlq_purge(NULL, "qd", NULL, &count, &err), ORCA_EINVAL);
  assert_int_equal(count, 0);
  assert_non_null(strstr(err.msg, "orca_dlq_purge"));
  orca_client_close(c);
}

/* ---- one task ---- */

static void test_inspect_and_cancel(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_add, 5, "five", NULL, id), 0);
  orca_task_info info = {0};
  orca_err err = {0};
  assert_int_equal(orca_inspect(c, id, &info, &err), 0);
  assert_string_equal(info.id, id);
  assert_string_equal(info.task, "t.add");
  assert_string_equal(info.queue, "default");
  assert_int_equal(info.state, ORCA_STATE_PENDING);
  assert_true(info.args.len > 0);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);

  assert_int_equal(orca_cancel(c, id, &err), 0);
  assert_int_equal(state_of(c, id), ORCA_STATE_CANCELLED);
  assert_int_equal(orca_cancel(c, id, &err), ORCA_ESTATE);
  assert_non_null(strstr(err.msg, id));
  memset(&info, 0, sizeof info);
  assert_int_equal(orca_inspect(c, "no-such-task", &info, &err), ORCA_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no-such-task"));
  assert_int_equal(orca_cancel(c, "no-such-task", &err), ORCA_ENOTFOUND);
  orca_client_close(c);
}

/* ---- tasks by state ---- */

typedef struct seen_list {
  int calls, stop_after;
  orca_state state;
  char ids[16][ORCA_ID_MAX];
  char worker[ORCA_NAME_MAX];
} seen_list;

static int on_listed(void *ud, const orca_task_info *info) {
  seen_list *s = ud;
  int i = s->calls++;
  assert_true(i < 16);
  assert_int_equal(info->state, s->state);
  snprintf(s->ids[i], ORCA_ID_MAX, "%s", info->id);
  snprintf(s->worker, sizeof s->worker, "%s", info->worker);
  return s->stop_after && s->calls == s->stop_after ? 5 : 0;
}

/* List `state` of `queue` from offset (limit 0 = all) into a fresh s. */
static int list(orca_client *c, orca_state state, const char *queue, size_t offset, size_t limit,
                seen_list *s) {
  memset(s, 0, sizeof *s);
  s->state = state;
  orca_err err = {0};
  int rc = orca_task_list(c, state, queue, offset, limit, on_listed, s, &err);
  if (rc && rc != 5)
    print_message("orca_task_list: %s\n", err.msg);
  return rc;
}

/* A task no worker has a handler for: dead at its first delivery. */
static orca_task_desc orphan_task;

static void test_task_list(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  char pend[3][ORCA_ID_MAX], later[ORCA_ID_MAX], gone[ORCA_ID_MAX];
  orca_enqueue_opts ql = {.queue = "ql"};
  orca_enqueue_opts urgent = {.queue = "ql", .priority = 9, .has_priority = true};
  orca_enqueue_opts deferred = {.queue = "ql", .delay_us = 3600 * SEC};
  assert_int_equal(rt_enqueue(c, &rt_task_add, 1, "", &ql, pend[1]), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_add, 2, "", &urgent, pend[0]), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_add, 3, "", &ql, pend[2]), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_add, 4, "", &deferred, later), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_add, 5, "", &ql, gone), 0);
  orca_err err = {0};
  assert_int_equal(orca_cancel(c, gone, &err), 0);

  /* Queue qw, run by one thread in fetch order: a t.flaky whose attempt
   * fails and waits an hour for its retry, two t.add that succeed, and a
   * task without handler that goes dead. */
  orca_retry_policy saved = rt_task_flaky.retry;
  rt_task_flaky.retry = (orca_retry_policy){3, ORCA_BACKOFF_FIXED, 3600 * SEC, 0, false};
  orphan_task = rt_task_add;
  orphan_task.name = "t.orphan";
  orca_enqueue_opts qw = {.queue = "qw"};
  char flaky[ORCA_ID_MAX], ok[2][ORCA_ID_MAX], dead[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_flaky, 1, "", &qw, flaky), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_add, 6, "", &qw, ok[0]), 0);
  assert_int_equal(rt_enqueue(c, &rt_task_add, 7, "", &qw, ok[1]), 0);
  assert_int_equal(rt_enqueue(c, &orphan_task, 8, "", &qw, dead), 0);
  rt_worker rw;
  orca_worker_opts o = {.backend = e->url, .queues = "qw", .concurrency = 1, .max_tasks = 3};
  rt_worker_start(&rw, &o);
  assert_int_equal(rt_worker_join(&rw), 0);
  rt_task_flaky.retry = saved;

  seen_list s;
  /* Pending: priority first, then in enqueue order; pages. */
  assert_int_equal(list(c, ORCA_STATE_PENDING, "ql", 0, 0, &s), 0);
  assert_int_equal(s.calls, 3);
  for (int i = 0; i < 3; i++)
    assert_string_equal(s.ids[i], pend[i]);
  assert_int_equal(list(c, ORCA_STATE_PENDING, "ql", 1, 1, &s), 0);
  assert_int_equal(s.calls, 1);
  assert_string_equal(s.ids[0], pend[1]);
  assert_int_equal(list(c, ORCA_STATE_PENDING, "ql", 3, 0, &s), 0);
  assert_int_equal(s.calls, 0);
  assert_int_equal(list(c, ORCA_STATE_PENDING, NULL, 0, 0, &s), 0);
  assert_int_equal(s.calls, 3);
  assert_int_equal(list(c, ORCA_STATE_PENDING, "qw", 0, 0, &s), 0);
  assert_int_equal(s.calls, 0);

  assert_int_equal(list(c, ORCA_STATE_SCHEDULED, "ql", 0, 0, &s), 0);
  assert_int_equal(s.calls, 1);
  assert_string_equal(s.ids[0], later);
  assert_int_equal(list(c, ORCA_STATE_CANCELLED, "ql", 0, 0, &s), 0);
  assert_int_equal(s.calls, 1);
  assert_string_equal(s.ids[0], gone);

  /* The retry waits in the same place as deferred tasks, told apart by state. */
  assert_int_equal(list(c, ORCA_STATE_FAILED, NULL, 0, 0, &s), 0);
  assert_int_equal(s.calls, 1);
  assert_string_equal(s.ids[0], flaky);
  assert_int_equal(list(c, ORCA_STATE_SCHEDULED, "qw", 0, 0, &s), 0);
  assert_int_equal(s.calls, 0);
  assert_int_equal(list(c, ORCA_STATE_DEAD, "qw", 0, 0, &s), 0);
  assert_int_equal(s.calls, 1);
  assert_string_equal(s.ids[0], dead);
  assert_int_equal(list(c, ORCA_STATE_SUCCEEDED, "qw", 0, 0, &s), 0);
  assert_int_equal(s.calls, 2);
  assert_true((strcmp(s.ids[0], ok[0]) == 0 && strcmp(s.ids[1], ok[1]) == 0) ||
              (strcmp(s.ids[0], ok[1]) == 0 && strcmp(s.ids[1], ok[0]) == 0));
  assert_int_equal(list(c, ORCA_STATE_SUCCEEDED, "qw", 0, 1, &s), 0);
  assert_int_equal(s.calls, 1);
  assert_int_equal(list(c, ORCA_STATE_EXPIRED, NULL, 0, 0, &s), 0);
  assert_int_equal(s.calls, 0);

  /* Running: a t.block holds its thread until the gate opens. */
  orca_enqueue_opts qb = {.queue = "qb"};
  char blocked[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_block, 9, "", &qb, blocked), 0);
  orca_worker_opts ob = {
      .backend = e->url, .queues = "qb", .concurrency = 1, .max_tasks = 1, .worker_id = "lister"};
  rt_worker_start(&rw, &ob);
  rt_wait_started(1);
  assert_int_equal(list(c, ORCA_STATE_RUNNING, NULL, 0, 0, &s), 0);
  assert_int_equal(s.calls, 1);
  assert_string_equal(s.ids[0], blocked);
  assert_string_equal(s.worker, "lister");
  assert_int_equal(list(c, ORCA_STATE_PENDING, "qb", 0, 0, &s), 0);
  assert_int_equal(s.calls, 0);
  rt_gate_open();
  assert_int_equal(rt_worker_join(&rw), 0);

  /* A non-zero answer of the callback stops the list and is returned. */
  memset(&s, 0, sizeof s);
  s.state = ORCA_STATE_PENDING;
  s.stop_after = 1;
  assert_int_equal(orca_task_list(c, ORCA_STATE_PENDING, "ql", 0, 0, on_listed, &s, &err), 5);
  assert_int_equal(s.calls, 1);

  assert_int_equal(orca_task_list(c, ORCA_STATE_UNKNOWN, NULL, 0, 0, on_listed, &s, &err),
                   ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "not a task state"));
  assert_int_equal(orca_task_list(c, (orca_state)42, NULL, 0, 0, on_listed, &s, &err), ORCA_EINVAL);
  assert_int_equal(orca_task_list(NULL, ORCA_STATE_DEAD, NULL, 0, 0, on_listed, &s, &err),
                   ORCA_EINVAL);
  assert_int_equal(orca_task_list(c, ORCA_STATE_DEAD, NULL, 0, 0, NULL, NULL, &err), ORCA_EINVAL);
  orca_client_close(c);
}

/* ---- schedules ---- */

static int on_schedule(void *ud, const orca_schedule_info *info) {
  orca_schedule_info *out = ud;
  if (strcmp(info->name, "adm.hourly") == 0)
    *out = *info;
  return 0;
}

static void test_schedules(void **st) {
  rt_env *e = *st;
  orca_client *c = rt_client(e, NULL);
  orca_err err = {0};
  orca_schedule_def def = {
      .name = "adm.hourly", .task = "t.add", .queue = "qs", .every_us = 3600 * SEC};
  assert_int_equal(orca_schedule_add(c, &def, false, &err), 0);
  assert_int_equal(orca_schedule_add(c, &def, false, &err), ORCA_EDUPLICATE);
  assert_non_null(strstr(err.msg, "adm.hourly"));

  orca_schedule_info got = {0};
  assert_int_equal(orca_schedule_list(c, on_schedule, &got, &err), 0);
  assert_string_equal(got.name, "adm.hourly");
  assert_string_equal(got.queue, "qs");
  assert_int_equal(got.kind, ORCA_SCHEDULE_EVERY);
  assert_int_equal(got.every_us, 3600 * SEC);
  assert_true(got.next_fire_us > orca_clock_now(&orca_clock_real));
  assert_false(got.paused);

  assert_int_equal(orca_schedule_pause(c, "adm.hourly", &err), 0);
  assert_int_equal(orca_schedule_get(c, "adm.hourly", &got, &err), 0);
  assert_true(got.paused);
  assert_int_equal(orca_schedule_resume(c, "adm.hourly", &err), 0);
  assert_int_equal(orca_schedule_get(c, "adm.hourly", &got, &err), 0);
  assert_false(got.paused);

  assert_int_equal(orca_schedule_remove(c, "adm.hourly", &err), 0);
  assert_int_equal(orca_schedule_get(c, "adm.hourly", &got, &err), ORCA_ENOTFOUND);
  assert_int_equal(orca_schedule_remove(c, "adm.hourly", &err), ORCA_ENOTFOUND);
  assert_non_null(strstr(err.msg, "not found"));
  assert_int_equal(orca_schedule_pause(c, "no@such", &err), ORCA_EINVAL);
  assert_int_equal(orca_schedule_pause(NULL, "adm.hourly", &err), ORCA_EINVAL);
  assert_int_equal(orca_schedule_list(NULL, on_schedule, &got, &err), ORCA_EINVAL);
  assert_int_equal(orca_schedule_get(NULL, "adm.hourly", &got, &err), ORCA_EINVAL);
  orca_client_close(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_queue_list, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_dlq, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_inspect_and_cancel, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_task_list, rt_setup, rt_teardown),
      cmocka_unit_test_setup_teardown(test_schedules, rt_setup, rt_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
