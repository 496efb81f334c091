/* cases_state.c — conformance cases for what surrounds a task's run: state
 * records and their TTL, waiting for a result across threads, cancel, stats,
 * schedules with the exactly-once fire, interrupt, and URL errors. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

static void state_transitions(void **state) {
  cf *f = *state;
  int64_t t0 = cf_now(f);
  orca__job j = cf_job("st", "q", 3, 0, "args");
  j.state_ttl_us = 5 * CF_SEC;
  cf_enqueue1(f, &j, 0);
  orca_task_info info;
  cf_state(f, "st", &info);
  assert_string_equal(info.id, "st");
  assert_string_equal(info.task, "conf.task");
  assert_string_equal(info.queue, "q");
  assert_int_equal(info.state, ORCA_STATE_PENDING);
  assert_int_equal(info.priority, 3);
  assert_int_equal(info.enqueued_us, t0);
  assert_int_equal(info.attempt, 0);
  assert_string_equal(info.worker, "");
  cf_info_free(&info);

  cf_advance(f, CF_SEC);
  assert_int_equal(cf_fetch1(f, "q", "w-7", 30 * CF_SEC, 1), 1);
  cf_state(f, "st", &info);
  assert_int_equal(info.state, ORCA_STATE_RUNNING);
  assert_string_equal(info.worker, "w-7");
  assert_int_equal(info.started_us, t0 + CF_SEC);
  assert_int_equal(info.attempt, 1);
  cf_info_free(&info);

  cf_advance(f, CF_SEC);
  orca__completion c = cf_done(f->slots[0], ORCA__RETRY, "w-7");
  c.error = "flaky";
  c.retry_at_us = cf_now(f) + 10 * CF_SEC;
  c.started_us = t0 + CF_SEC;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  cf_state(f, "st", &info);
  assert_true(info.state == ORCA_STATE_FAILED || info.state == ORCA_STATE_SCHEDULED);
  assert_string_equal(info.error, "flaky");
  cf_info_free(&info);

  cf_advance(f, 10 * CF_SEC);
  int64_t next;
  assert_true(f->ops->promote(f->b, cf_now(f), 10, &next) >= 0);
  assert_int_equal(cf_fetch1(f, "q", "w-8", 30 * CF_SEC, 1), 1);
  int64_t started = cf_now(f);
  cf_advance(f, CF_SEC);
  c = cf_done(f->slots[0], ORCA__ACK, "w-8");
  c.attempt = 2;
  c.started_us = started;
  c.result = (const uint8_t *)"ok!";
  c.result_len = 3;
  c.ttl_us = 5 * CF_SEC;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  cf_state(f, "st", &info);
  assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
  assert_int_equal(info.attempt, 2);
  assert_string_equal(info.worker, "w-8");
  assert_int_equal(info.started_us, started);
  assert_int_equal(info.finished_us, cf_now(f));
  assert_int_equal(info.expires_us, cf_now(f) + 5 * CF_SEC);
  assert_int_equal(info.result.len, 3);
  assert_memory_equal(info.result.data, "ok!", 3);
  cf_info_free(&info);

  cf_advance(f, 6 * CF_SEC); /* the record's TTL passed */
  memset(&info, 0, sizeof info);
  assert_int_equal(f->ops->state_get(f->b, "st", &info), ORCA_ENOTFOUND);
  cf_info_free(&info);
  assert_int_equal(f->ops->state_get(f->b, "never-enqueued", &info), ORCA_ENOTFOUND);
  cf_info_free(&info);
  /* An id whose record expired can be used again. */
  cf_enqueue1(f, &j, 0);
}

static void assert_args(cf *f, const char *id, const char *args) {
  orca_task_info info;
  cf_state(f, id, &info);
  if (info.args.len != strlen(args) || memcmp(info.args.data, args, info.args.len) != 0)
    fail_msg("%s (%s): info.args has %zu bytes, want the %zu argument bytes", id,
             orca_state_name(info.state), info.args.len, strlen(args));
  cf_info_free(&info);
}

static int dead_args(void *ud, const orca_task_info *info) {
  const char *want = ud;
  assert_int_equal(info->args.len, strlen(want));
  assert_memory_equal(info->args.data, want, info->args.len);
  return 0;
}

/* info.args is the encoded arguments, never the whole envelope: while the
 * task waits, runs, waits for a retry and lies dead. After it ended a
 * backend may have dropped them. A payload that is no envelope leaves them
 * empty. */
static void info_args_are_the_arguments(void **state) {
  cf *f = *state;
  const char *args = "\x92\x2a\xa3"
                     "abc"; /* msgpack [42, "abc"] */
  orca_buf env = ORCA_BUF_INIT, env2 = ORCA_BUF_INIT;
  orca__job j = cf_job_env("ar", "q", (const uint8_t *)args, strlen(args), &env);
  cf_enqueue1(f, &j, 0);
  orca__job later = j;
  later.id = "ar-later";
  later.eta_us = cf_now(f) + 3600 * CF_SEC;
  cf_enqueue1(f, &later, 0);
  assert_args(f, "ar", args);       /* pending */
  assert_args(f, "ar-later", args); /* scheduled */

  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 1), 1);
  assert_args(f, "ar", args); /* running */
  orca__completion c = cf_done(f->slots[0], ORCA__RETRY, "w");
  c.error = "again";
  cf_envelope("ar", "q", (const uint8_t *)args, strlen(args), &env2);
  c.payload = env2.data;
  c.payload_len = env2.len;
  c.retry_at_us = cf_now(f) + 10 * CF_SEC;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  assert_args(f, "ar", args); /* failed, retry waiting */

  cf_advance(f, 10 * CF_SEC);
  int64_t next;
  assert_true(f->ops->promote(f->b, cf_now(f), 10, &next) >= 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 1), 1);
  c = cf_done(f->slots[0], ORCA__DEAD, "w");
  c.error = "out of attempts";
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  assert_args(f, "ar", args); /* dead */
  assert_int_equal(f->ops->dlq_list(f->b, "q", 0, 10, dead_args, (void *)args), 0);

  size_t n = 0;
  assert_int_equal(f->ops->dlq_requeue(f->b, "q", "ar", &n), 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 1), 1);
  c = cf_done(f->slots[0], ORCA__ACK, "w");
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  orca_task_info info;
  cf_state(f, "ar", &info);
  assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
  assert_true(info.args.len == 0 ||
              (info.args.len == strlen(args) && !memcmp(info.args.data, args, info.args.len)));
  cf_info_free(&info);
  orca_buf_free(&env);
  orca_buf_free(&env2);

  /* A payload that is no envelope: the record is shown, without args. */
  orca__job g = cf_job("eg", "q", 0, 0, "not an envelope");
  cf_enqueue1(f, &g, 0);
  cf_state(f, "eg", &info);
  assert_int_equal(info.state, ORCA_STATE_PENDING);
  assert_int_equal(info.args.len, 0);
  cf_info_free(&info);
}

typedef struct completer {
  cf *f;
  orca__lease *lease;
  int rc;
} completer;

static void *complete_thread(void *arg) {
  completer *c = arg;
  orca__backend *b = cf_open_again(c->f);
  orca__completion done = cf_done(c->lease, ORCA__ACK, "w");
  done.result = (const uint8_t *)"R";
  done.result_len = 1;
  c->rc = b->ops->complete(b, &done, 1);
  orca__backend_close(b);
  return NULL;
}

static void state_wait_wakes(void **state) {
  cf *f = *state;
  orca__job j = cf_job("wt", "q", 0, 0, "p");
  cf_enqueue1(f, &j, 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 300 * CF_SEC, 1), 1);
  orca_task_info info = {0};
  /* Not final yet: a zero timeout reports ETIMEDOUT with the current state. */
  assert_int_equal(f->ops->state_wait(f->b, "wt", 0, &info), ORCA_ETIMEDOUT);
  assert_int_equal(info.state, ORCA_STATE_RUNNING);
  cf_info_free(&info);
  completer c = {f, f->slots[0], -1};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, complete_thread, &c), 0);
  memset(&info, 0, sizeof info);
  /* The timeout is a failure bound only; the commit must wake the waiter. */
  int rc = f->ops->state_wait(f->b, "wt", 60 * CF_SEC, &info);
  pthread_join(th, NULL);
  assert_int_equal(c.rc, 0);
  assert_int_equal(rc, 0);
  assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
  assert_int_equal(info.result.len, 1);
  cf_info_free(&info);
}

static void cancel_cases(void **state) {
  cf *f = *state;
  int64_t t0 = cf_now(f);
  orca__job jobs[3] = {cf_job("c-pending", "q", 0, 0, "a"),
                       cf_job("c-sched", "q", 0, t0 + 60 * CF_SEC, "b"),
                       cf_job("c-run", "q", 0, 0, "c")};
  orca__enqueue_result res[3];
  assert_int_equal(f->ops->enqueue(f->b, jobs, 3, res), 0);
  assert_int_equal(f->ops->cancel(f->b, "c-pending"), 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 4), 1);
  assert_string_equal(f->slots[0]->id, "c-run");
  assert_int_equal(f->ops->cancel(f->b, "c-sched"), 0);
  assert_int_equal(f->ops->cancel(f->b, "c-run"), 0);
  orca_task_info info;
  cf_state(f, "c-pending", &info);
  assert_int_equal(info.state, ORCA_STATE_CANCELLED);
  cf_info_free(&info);
  cf_state(f, "c-sched", &info);
  assert_int_equal(info.state, ORCA_STATE_CANCELLED);
  cf_info_free(&info);
  /* Running: flagged, the worker learns it from extend. */
  int st = 0;
  orca__lease *l = f->slots[0];
  assert_int_equal(f->ops->extend(f->b, &l, 1, "w", 30 * CF_SEC, &st), 0);
  assert_int_equal(st, ORCA_ECANCELLED);
  orca__completion c = cf_done(l, ORCA__ACK, "w");
  c.state = ORCA_STATE_CANCELLED;
  assert_int_equal(f->ops->complete(f->b, &c, 1), 0);
  cf_state(f, "c-run", &info);
  assert_int_equal(info.state, ORCA_STATE_CANCELLED);
  cf_info_free(&info);
  /* Final or unknown. */
  assert_int_equal(f->ops->cancel(f->b, "c-run"), ORCA_ESTATE);
  assert_int_equal(f->ops->cancel(f->b, "no-such-task"), ORCA_ENOTFOUND);
  cf_advance(f, 120 * CF_SEC);
  int64_t next;
  assert_true(f->ops->promote(f->b, cf_now(f), 10, &next) >= 0);
  assert_int_equal(cf_fetch1(f, "q", "w", 30 * CF_SEC, 4), 0);
}

static orca_queue_stats *find_stats(orca_queue_stats *st, size_t n, const char *q) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(st[i].queue, q) == 0)
      return &st[i];
  fail_msg("no stats for queue %s", q);
  return NULL;
}

static void stats_counts(void **state) {
  cf *f = *state;
  int64_t t0 = cf_now(f);
  orca__job jobs[5] = {cf_job("a1", "qa", 0, 0, "x"), cf_job("a2", "qa", 0, 0, "x"),
                       cf_job("a3", "qa", 0, 0, "x"), cf_job("a4", "qa", 0, t0 + 100 * CF_SEC, "x"),
                       cf_job("b1", "qb", 0, 0, "x")};
  orca__enqueue_result res[5];
  assert_int_equal(f->ops->enqueue(f->b, jobs, 5, res), 0);
  assert_int_equal(cf_fetch1(f, "qa", "w", 30 * CF_SEC, 2), 2);
  orca__completion c[2] = {cf_done(f->slots[0], ORCA__ACK, "w"),
                           cf_done(f->slots[1], ORCA__DEAD, "w")};
  c[1].error = "bad";
  assert_int_equal(f->ops->complete(f->b, c, 2), 0);
  assert_int_equal(cf_fetch1(f, "qa", "w", 30 * CF_SEC, 1), 1);
  orca_queue_stats st[8];
  size_t n = 0;
  assert_int_equal(f->ops->stats(f->b, st, 8, &n), 0);
  assert_int_equal(n, 2);
  orca_queue_stats *a = find_stats(st, n, "qa"), *b = find_stats(st, n, "qb");
  assert_int_equal(a->pending, 0);
  assert_int_equal(a->running, 1);
  assert_int_equal(a->scheduled, 1);
  assert_int_equal(a->dead, 1);
  assert_int_equal(a->succeeded, 1);
  assert_int_equal(b->pending, 1);
  assert_int_equal(b->running + b->scheduled + b->dead + b->succeeded, 0);
  /* Room for one queue only: n says so. */
  assert_int_equal(f->ops->stats(f->b, st, 1, &n), 0);
  assert_int_equal(n, 1);
}

static orca__schedule_rec sched(const char *name, int64_t next, const char *spec) {
  orca__schedule_rec r = {0};
  strcpy(r.name, name);
  r.next_fire_us = next;
  orca_buf_append(&r.spec, spec, strlen(spec));
  return r;
}

typedef struct names {
  int n;
  char name[4][ORCA_NAME_MAX];
} names;

static int collect_sched(void *ud, const orca__schedule_rec *rec) {
  names *ns = ud;
  if (ns->n < 4)
    strcpy(ns->name[ns->n], rec->name);
  ns->n++;
  return 0;
}

static void schedules_crud(void **state) {
  cf *f = *state;
  int64_t t = cf_now(f) + 60 * CF_SEC;
  orca__schedule_rec a = sched("nightly", t, "spec-a"), b = sched("hourly", t, "spec-b");
  assert_int_equal(f->ops->schedule_put(f->b, &a, false), 0);
  assert_int_equal(f->ops->schedule_put(f->b, &b, true), 0);
  orca__schedule_rec b2 = sched("hourly", t + 1, "other");
  assert_int_equal(f->ops->schedule_put(f->b, &b2, true), ORCA_EDUPLICATE);
  orca__schedule_rec got = {0};
  assert_int_equal(f->ops->schedule_get(f->b, "hourly", &got), 0);
  assert_int_equal(got.next_fire_us, t);
  assert_int_equal(got.spec.len, 6);
  assert_memory_equal(got.spec.data, "spec-b", 6);
  assert_false(got.paused);
  assert_int_equal(f->ops->schedule_put(f->b, &b2, false), 0); /* replace */
  assert_int_equal(f->ops->schedule_get(f->b, "hourly", &got), 0);
  assert_int_equal(got.next_fire_us, t + 1);
  assert_int_equal(f->ops->schedule_pause(f->b, "hourly", true), 0);
  assert_int_equal(f->ops->schedule_get(f->b, "hourly", &got), 0);
  assert_true(got.paused);
  assert_int_equal(f->ops->schedule_pause(f->b, "missing", true), ORCA_ENOTFOUND);
  names ns = {0};
  assert_int_equal(f->ops->schedule_list(f->b, collect_sched, &ns), 0);
  assert_int_equal(ns.n, 2);
  assert_int_equal(f->ops->schedule_remove(f->b, "hourly"), 0);
  assert_int_equal(f->ops->schedule_remove(f->b, "hourly"), ORCA_ENOTFOUND);
  assert_int_equal(f->ops->schedule_get(f->b, "hourly", &got), ORCA_ENOTFOUND);
  ns.n = 0;
  assert_int_equal(f->ops->schedule_list(f->b, collect_sched, &ns), 0);
  assert_int_equal(ns.n, 1);
  assert_string_equal(ns.name[0], "nightly");
  orca_buf_free(&a.spec);
  orca_buf_free(&b.spec);
  orca_buf_free(&b2.spec);
  orca_buf_free(&got.spec);
}

static void schedule_fire_cas(void **state) {
  cf *f = *state;
  int64_t t = cf_now(f);
  orca__schedule_rec a = sched("tick", t, "s");
  assert_int_equal(f->ops->schedule_put(f->b, &a, false), 0);
  orca__job j = cf_job("tick@1700000000000000", "timers", 0, 0, "fire");
  assert_int_equal(f->ops->schedule_fire(f->b, "tick", t, t + 60 * CF_SEC, &j, 1), 0);
  /* A second node with the same expectation loses. */
  assert_int_equal(f->ops->schedule_fire(f->b, "tick", t, t + 60 * CF_SEC, &j, 1), ORCA_ECONFLICT);
  orca__schedule_rec got = {0};
  assert_int_equal(f->ops->schedule_get(f->b, "tick", &got), 0);
  assert_int_equal(got.next_fire_us, t + 60 * CF_SEC);
  assert_int_equal(cf_fetch1(f, "timers", "w", 30 * CF_SEC, 8), 1);
  assert_string_equal(f->slots[0]->id, "tick@1700000000000000");
  assert_int_equal(f->ops->schedule_fire(f->b, "nope", t, t, &j, 1), ORCA_ENOTFOUND);
  orca_buf_free(&a.spec);
  orca_buf_free(&got.spec);
}

typedef struct interrupter {
  orca__backend *b;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
} interrupter;

/* Interrupt until the fetch has returned: an implementation that only
 * interrupts a call already blocked still gets woken, with no sleep-based
 * ordering in the test. */
static void *interrupt_thread(void *arg) {
  interrupter *it = arg;
  pthread_mutex_lock(&it->mu);
  while (!it->done) {
    it->b->ops->interrupt(it->b);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&it->cv, &it->mu, &ts);
  }
  pthread_mutex_unlock(&it->mu);
  return NULL;
}

static void interrupt_wakes_fetch(void **state) {
  cf *f = *state;
  interrupter it = {.b = f->b, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, interrupt_thread, &it), 0);
  const char *qs[1] = {"empty"};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = "w", .lease_us = CF_SEC, .wait_us = 120 * CF_SEC};
  size_t got = 99;
  int rc = f->ops->fetch(f->b, &req, f->slots, 4, &got);
  pthread_mutex_lock(&it.mu);
  it.done = 1;
  pthread_cond_signal(&it.cv);
  pthread_mutex_unlock(&it.mu);
  pthread_join(th, NULL);
  assert_true(rc == 0 || rc == ORCA_EAGAIN);
  assert_int_equal(got, 0);
}

typedef struct producer {
  cf *f;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done, sent;
} producer;

/* Every 20 ms until the fetch returns, enqueue one task from another handle.
 * The fetch waits an hour: if a commit on another handle did not wake it,
 * the case would hang until ctest's timeout fails it. */
static void *producer_thread(void *arg) {
  producer *p = arg;
  orca__backend *b = cf_open_again(p->f);
  pthread_mutex_lock(&p->mu);
  while (!p->done) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    if (p->done)
      break;
    char id[32];
    snprintf(id, sizeof id, "wake-%d", p->sent++);
    orca__job j = cf_job(id, "wake", 0, 0, "p");
    orca__enqueue_result r;
    pthread_mutex_unlock(&p->mu);
    int rc = b->ops->enqueue(b, &j, 1, &r);
    pthread_mutex_lock(&p->mu);
    if (rc)
      break;
  }
  pthread_mutex_unlock(&p->mu);
  orca__backend_close(b);
  return NULL;
}

static void fetch_wakes_on_enqueue(void **state) {
  cf *f = *state;
  producer p = {.f = f, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, producer_thread, &p), 0);
  const char *qs[1] = {"wake"};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = "w", .lease_us = 60 * CF_SEC, .wait_us = 3600 * CF_SEC};
  size_t got = 0;
  int rc = f->ops->fetch(f->b, &req, f->slots, 4, &got);
  pthread_mutex_lock(&p.mu);
  p.done = 1;
  pthread_cond_signal(&p.cv);
  pthread_mutex_unlock(&p.mu);
  pthread_join(th, NULL);
  assert_int_equal(rc, 0);
  assert_true(got >= 1);
  if (cf_log_caps(f) & ORCA__LOG_ORDERED)
    assert_string_equal(f->slots[0]->id, "wake-0");
  else /* ordered per partition only */
    assert_int_equal(strncmp(f->slots[0]->id, "wake-", 5), 0);
}

static void bad_urls(void **state) {
  (void)state;
  orca__backend *b = NULL;
  orca_err err = {0};
  assert_int_equal(orca__backend_open("mysql://localhost", NULL, &b, &err), ORCA_EURL);
  assert_non_null(strstr(err.msg, "mysql"));
  assert_null(b);
  assert_int_equal(orca__backend_open("no-scheme-here", NULL, &b, &err), ORCA_EURL);
  assert_null(b);
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, cf_setup, cf_teardown)
const struct CMUnitTest cf_state_cases[] = {
    CASE(state_transitions),      CASE(info_args_are_the_arguments),
    CASE(state_wait_wakes),       CASE(cancel_cases),
    CASE(stats_counts),           CASE(schedules_crud),
    CASE(schedule_fire_cas),      CASE(interrupt_wakes_fetch),
    CASE(fetch_wakes_on_enqueue), cmocka_unit_test(bad_urls),
};
const size_t cf_state_ncases = sizeof cf_state_cases / sizeof cf_state_cases[0];
