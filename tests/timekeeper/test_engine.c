/* test_engine.c — the schedule engine against a real SQLite file with an
 * injected clock: the first fire and its id, catch-up policies after
 * downtime, pause, a stored definition that changed, refusal of malformed
 * schedules, and several engines racing on one schedule from threads (every
 * fire exactly once). The clock only moves when the test moves it. */
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "timekeeper/timekeeper.h"

typedef struct fake_clock {
  _Atomic int64_t now;
} fake_clock;

static int64_t fake_now(void *ctx) {
  return atomic_load(&((fake_clock *)ctx)->now);
}

#define T0 1767225600000000LL /* 2026-01-01T00:00:00Z */
#define SEC 1000000LL

typedef struct fixture {
  char dir[64];
  char url[128];
  fake_clock fc;
  orca_clock clock;
  orca__backend *be; /* a separate handle to inspect what was enqueued */
} fixture;

/* The registry refers to backends weakly, which does not pull a backend's
 * objects out of the static liborca; a strong reference does. */
const orca__backend_ops *const force_sqlite = &orca__sqlite_ops;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/orca-tk-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  snprintf(f->url, sizeof f->url, "sqlite:%s/orca.db", f->dir);
  atomic_store(&f->fc.now, T0);
  f->clock = (orca_clock){fake_now, &f->fc};
  orca__backend_opts bo = {.clock = &f->clock};
  orca_err err = {0};
  if (orca__backend_open(f->url, &bo, &f->be, &err)) {
    print_error("open %s: %s\n", f->url, err.msg);
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  orca__backend_close(f->be);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  if (system(cmd) != 0)
    return -1;
  free(f);
  return 0;
}

static const orca_task_desc task = {.name = "test.ping", .queue = "tk", .priority = 3};
static const uint8_t args[] = {0x80}; /* empty msgpack map */

static orca_schedule_desc every(const char *name, int64_t us, orca_catchup c, uint32_t max) {
  return (orca_schedule_desc){.name = name,
                              .task = &task,
                              .kind = ORCA_SCHEDULE_EVERY,
                              .every_us = us,
                              .catchup = c,
                              .catchup_max = max,
                              .args = args,
                              .args_len = sizeof args};
}

static orca__timekeeper *engine(fixture *f, int64_t grace_us) {
  orca__timekeeper *tk = NULL;
  orca_err err = {0};
  assert_int_equal(orca__timekeeper_open(NULL, f->url, &f->clock, "t", &tk, &err), 0);
  orca__timekeeper_opts o = {.grace_us = grace_us};
  orca__timekeeper_set_opts(tk, &o);
  return tk;
}

static void advance(fixture *f, int64_t us) {
  atomic_fetch_add(&f->fc.now, us);
}

/* Ids of every task in queue "tk", fetched and acked by the test. */
static size_t drain(fixture *f, char ids[][ORCA_ID_MAX], size_t max) {
  static const char *queues[] = {"tk"};
  orca__lease pool[64];
  orca__lease *slots[64];
  memset(pool, 0, sizeof pool);
  for (int i = 0; i < 64; i++)
    slots[i] = &pool[i];
  size_t total = 0;
  for (;;) {
    orca__fetch_req req = {queues, 1, "test", 60 * SEC, 0};
    size_t got = 0;
    assert_int_equal(f->be->ops->fetch(f->be, &req, slots, 64, &got), 0);
    if (got == 0)
      break;
    orca__completion c[64];
    for (size_t i = 0; i < got; i++) {
      if (total < max)
        memcpy(ids[total], pool[i].id, ORCA_ID_MAX);
      total++;
      c[i] = (orca__completion){.lease = &pool[i],
                                .outcome = ORCA__ACK,
                                .state = ORCA_STATE_SUCCEEDED,
                                .worker = "test",
                                .attempt = 1};
    }
    assert_int_equal(f->be->ops->complete(f->be, c, got), 0);
  }
  for (int i = 0; i < 64; i++)
    orca_buf_free(&pool[i].payload);
  return total;
}

static int64_t stored_next(fixture *f, const char *name) {
  orca__schedule_rec rec = {0};
  assert_int_equal(f->be->ops->schedule_get(f->be, name, &rec), 0);
  orca_buf_free(&rec.spec);
  return rec.next_fire_us;
}

static void test_first_fire_and_id(void **state) {
  fixture *f = *state;
  orca__timekeeper *tk = engine(f, 0);
  orca_schedule_desc d = every("s.minute", 60 * SEC, ORCA_CATCHUP_SKIP, 0);
  assert_int_equal(orca__timekeeper_add(tk, &d, NULL), 0);
  int64_t next;
  assert_int_equal(orca__timekeeper_tick(tk, &next), 0);
  assert_int_equal(stored_next(f, "s.minute"), T0 + 60 * SEC); /* aligned to the minute */
  /* The engine wakes for the fire or to re-read the schedule list. */
  assert_int_equal(next, T0 + SEC);
  advance(f, 59 * SEC);
  assert_int_equal(orca__timekeeper_tick(tk, &next), 0);
  assert_int_equal(next, T0 + 60 * SEC);
  advance(f, 1 * SEC);
  assert_int_equal(orca__timekeeper_tick(tk, &next), 1);
  char ids[4][ORCA_ID_MAX];
  assert_int_equal(drain(f, ids, 4), 1);
  assert_string_equal(ids[0], "s.minute@2026-01-01T00:01:00Z");
  assert_int_equal(stored_next(f, "s.minute"), T0 + 120 * SEC);
  orca__timekeeper_close(tk);
}

/* 10 s of downtime with a 1 s schedule and a 0.5 s grace: 7..9 missed
 * fires, then the on-time one. Just up again, the engine leaves the
 * missed fires to other nodes for one grace (none here), then applies the
 * policy. */
static void run_catchup(fixture *f, orca_catchup c, uint32_t max, size_t want,
                        const char *first_id) {
  orca__timekeeper *tk = engine(f, SEC / 2);
  orca_schedule_desc d = every("s.sec", SEC, c, max);
  assert_int_equal(orca__timekeeper_add(tk, &d, NULL), 0);
  orca__timekeeper_tick(tk, NULL); /* stored; next fire T0+1s */
  advance(f, 10 * SEC);
  int64_t next;
  assert_int_equal(orca__timekeeper_tick(tk, &next), 0);
  assert_int_equal(next, T0 + 10 * SEC + SEC / 2);
  advance(f, SEC / 2);
  assert_int_equal(orca__timekeeper_tick(tk, NULL), (int)want);
  char ids[128][ORCA_ID_MAX];
  assert_int_equal(drain(f, ids, 128), want);
  /* fetch order is by due time: the first is the oldest fire kept */
  assert_string_equal(ids[0], first_id);
  orca__schedule_rec rec = {0};
  assert_int_equal(f->be->ops->schedule_get(f->be, "s.sec", &rec), 0);
  assert_int_equal(rec.next_fire_us, T0 + 11 * SEC);
  orca_buf_free(&rec.spec);
  orca__timekeeper_close(tk);
}

static void test_catchup_skip(void **state) {
  run_catchup(*state, ORCA_CATCHUP_SKIP, 0, 1, "s.sec@2026-01-01T00:00:10Z");
}
static void test_catchup_once(void **state) {
  run_catchup(*state, ORCA_CATCHUP_ONCE, 0, 2, "s.sec@2026-01-01T00:00:09Z");
}
static void test_catchup_all_bounded(void **state) {
  run_catchup(*state, ORCA_CATCHUP_ALL, 4, 5, "s.sec@2026-01-01T00:00:06Z");
}
static void test_catchup_all(void **state) {
  run_catchup(*state, ORCA_CATCHUP_ALL, 100, 10, "s.sec@2026-01-01T00:00:01Z");
}

/* A clock that runs in real time from T0 + 0.9 s, so that time passes while
 * the engine waits for the SQLite write lock. */
static int64_t mono_start;
static int64_t running_now(void *ctx) {
  (void)ctx;
  return T0 + 900000 + (orca_monotonic_us() - mono_start);
}

/* Another process holds the write lock (a frozen process inside a write
 * transaction) past the 5 s busy timeout while a 1 s schedule with catch-up
 * `skip` and a 0.5 s grace comes due: engine tk's fire times out, and once
 * the lock is free it must make every fire that came due meanwhile. A busy
 * store is not downtime: judged by the clock after the wait, they were
 * "missed" and dropped. Engine `frozen` stands for that stopped process:
 * it does not run until the lock is released, and then runs first; it was
 * down, but must not drop the fires that tk, up all along, makes late. */
static void test_busy_store_is_not_downtime(void **state) {
  fixture *f = *state;
  mono_start = orca_monotonic_us();
  orca_clock clock = {running_now, NULL};
  orca__timekeeper *tk = NULL, *frozen = NULL;
  orca_err err = {0};
  assert_int_equal(orca__timekeeper_open(NULL, f->url, &clock, "t", &tk, &err), 0);
  assert_int_equal(orca__timekeeper_open(NULL, f->url, &clock, "frozen", &frozen, &err), 0);
  orca__timekeeper_opts o = {.grace_us = SEC / 2};
  orca__timekeeper_set_opts(tk, &o);
  orca__timekeeper_set_opts(frozen, &o);
  orca_schedule_desc d = every("s.busy", SEC, ORCA_CATCHUP_SKIP, 0);
  assert_int_equal(orca__timekeeper_add(tk, &d, NULL), 0);
  assert_int_equal(orca__timekeeper_add(frozen, &d, NULL), 0);
  int64_t next;
  assert_int_equal(orca__timekeeper_tick(tk, &next), 0); /* stored: first fire T0 + 1 s */
  assert_int_equal(orca__timekeeper_tick(frozen, NULL), 0);
  char path[128];
  snprintf(path, sizeof path, "%s/orca.db", f->dir);
  sqlite3 *holder;
  assert_int_equal(sqlite3_open(path, &holder), SQLITE_OK);
  assert_int_equal(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
  /* Drive the engine as its loop would: sleep until the time it asks for,
   * tick. The first fire waits 5 s for the lock and times out. */
  orca__timekeeper_stats st;
  int fired = 0;
  for (;;) {
    int64_t wait = next - running_now(NULL);
    if (wait > 0) {
      struct timespec ts = {(time_t)(wait / SEC), (long)(wait % SEC) * 1000};
      nanosleep(&ts, NULL);
    }
    fired += orca__timekeeper_tick(tk, &next);
    orca__timekeeper_stats_get(tk, &st);
    if (sqlite3_get_autocommit(holder) == 0 && running_now(NULL) > T0 + 6 * SEC) {
      sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);       /* the holder resumes */
      assert_int_equal(orca__timekeeper_tick(frozen, NULL), 0); /* and runs first */
    } else if (sqlite3_get_autocommit(holder) && fired) {
      break;
    }
  }
  sqlite3_close(holder);
  assert_int_equal(st.skipped, 0);
  assert_true(st.late >= 4);
  orca__timekeeper_stats_get(frozen, &st);
  assert_int_equal(st.skipped, 0);
  orca__timekeeper_close(frozen);
  /* Every fire from the first to the one before the stored next fire. */
  int64_t last = stored_next(f, "s.busy") - SEC;
  char ids[64][ORCA_ID_MAX], want[ORCA_ID_MAX];
  size_t n = drain(f, ids, 64);
  assert_int_equal((int64_t)n, (last - (T0 + SEC)) / SEC + 1);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(
        orca__schedule_fire_id("s.busy", T0 + (int64_t)(i + 1) * SEC, want, sizeof want), 0);
    assert_string_equal(ids[i], want);
  }
  orca__timekeeper_close(tk);
}

static void test_pause_and_remove(void **state) {
  fixture *f = *state;
  orca__timekeeper *tk = engine(f, SEC / 2);
  orca_schedule_desc d = every("s.p", SEC, ORCA_CATCHUP_SKIP, 0);
  assert_int_equal(orca__timekeeper_add(tk, &d, NULL), 0);
  orca__timekeeper_tick(tk, NULL);
  /* Paused from another handle (as the CLI would) between two ticks. */
  assert_int_equal(f->be->ops->schedule_pause(f->be, "s.p", true), 0);
  for (int i = 0; i < 5; i++) {
    advance(f, SEC);
    assert_int_equal(orca__timekeeper_tick(tk, NULL), 0);
  }
  assert_int_equal(f->be->ops->schedule_pause(f->be, "s.p", false), 0);
  advance(f, SEC);
  assert_int_equal(orca__timekeeper_tick(tk, NULL), 0); /* seen resumed: judged a grace later */
  advance(f, SEC / 2);
  assert_int_equal(orca__timekeeper_tick(tk, NULL), 1); /* skip: only the on-time fire */
  assert_int_equal(f->be->ops->schedule_remove(f->be, "s.p"), 0);
  advance(f, SEC);
  assert_int_equal(orca__timekeeper_tick(tk, NULL), 0);
  orca__timekeeper_stats st;
  orca__timekeeper_stats_get(tk, &st);
  assert_int_equal(st.fires, 1);
  orca__timekeeper_close(tk);
}

static void test_redeclared_schedule_replaced(void **state) {
  fixture *f = *state;
  orca__timekeeper *tk = engine(f, 0);
  orca_schedule_desc d = every("s.r", 60 * SEC, ORCA_CATCHUP_SKIP, 0);
  assert_int_equal(orca__timekeeper_add(tk, &d, NULL), 0);
  orca__timekeeper_tick(tk, NULL);
  orca__timekeeper_close(tk);
  /* A second program (or a redeploy) declares the same schedule: kept. */
  tk = engine(f, 0);
  assert_int_equal(orca__timekeeper_add(tk, &d, NULL), 0);
  orca__timekeeper_tick(tk, NULL);
  assert_int_equal(stored_next(f, "s.r"), T0 + 60 * SEC);
  /* Now with another interval: replaced, next fire recomputed. */
  advance(f, 10 * SEC);
  d.every_us = 7 * SEC;
  assert_int_equal(orca__timekeeper_add(tk, &d, NULL), 0);
  orca__timekeeper_tick(tk, NULL);
  assert_int_equal(stored_next(f, "s.r"), T0 + 14 * SEC);
  orca__timekeeper_close(tk);
}

static void test_malformed_refused(void **state) {
  fixture *f = *state;
  orca__timekeeper *tk = engine(f, 0);
  orca_err err = {0};
  orca_schedule_desc d = {
      .name = "bad", .task = &task, .kind = ORCA_SCHEDULE_CRON, .cron_expr = "0 25 * * *"};
  assert_int_equal(orca__timekeeper_add(tk, &d, &err), ORCA_EINVAL);
  assert_string_equal(err.msg,
                      "schedule 'bad': cron hour field, column 3: 25 is out of range 0-23");
  d.cron_expr = "0 0 * * *";
  d.tz = "Europe/Atlantis";
  assert_int_equal(orca__timekeeper_add(tk, &d, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "time zone 'Europe/Atlantis'"));
  d.tz = NULL;
  d.cron_expr = "0 0 30 2 *";
  assert_int_equal(orca__timekeeper_add(tk, &d, &err), ORCA_EINVAL);
  assert_string_equal(err.msg, "schedule 'bad': cron column 5: no date matches the day-of-month, "
                               "month and day-of-week fields (like 30 February): the expression "
                               "never fires");
  d = every("bad", 0, ORCA_CATCHUP_SKIP, 0);
  assert_int_equal(orca__timekeeper_add(tk, &d, &err), ORCA_EINVAL);
  orca__timekeeper_close(tk);
}

/* ---- racing engines ---- */

#define RACERS 4
#define SECONDS 30

typedef struct racer {
  fixture *f;
  orca__timekeeper *tk;
  pthread_barrier_t *go, *done;
  int fired;
} racer;

static bool own_all(void *ud, const char *key) {
  (void)ud, (void)key;
  return true;
}

static bool own_none(void *ud, const char *key) {
  (void)ud, (void)key;
  return false;
}

/* The work split of the peer network (opts.owns): the owner fires on time,
 * the other node leaves the fire to it (no conflict, no double work) and
 * fires only a takeover later when the owner did not (it died). Every fire
 * once either way. */
static void test_owner_fires_others_stand_by(void **state) {
  fixture *f = *state;
  orca__timekeeper *a = engine(f, 0), *b = engine(f, 0);
  orca__timekeeper_opts oa = {.owns = own_all}, ob = {.owns = own_none};
  orca__timekeeper_set_opts(a, &oa);
  orca__timekeeper_set_opts(b, &ob);
  orca_schedule_desc d = every("s.split", 60 * SEC, ORCA_CATCHUP_SKIP, 0);
  assert_int_equal(orca__timekeeper_add(a, &d, NULL), 0);
  assert_int_equal(orca__timekeeper_add(b, &d, NULL), 0);
  int64_t next;
  assert_int_equal(orca__timekeeper_tick(a, &next), 0);
  assert_int_equal(orca__timekeeper_tick(b, &next), 0);
  advance(f, 60 * SEC);
  assert_int_equal(orca__timekeeper_tick(b, &next), 0); /* not its own: waits */
  assert_int_equal(next, T0 + 61 * SEC);                /* the takeover: grace / 2 */
  assert_int_equal(orca__timekeeper_tick(a, &next), 1);
  advance(f, 1 * SEC);
  assert_int_equal(orca__timekeeper_tick(b, &next), 0); /* the owner did it */
  orca__timekeeper_stats st;
  orca__timekeeper_stats_get(b, &st);
  assert_int_equal(st.deferred, 1);
  assert_int_equal(st.conflicts, 0);
  /* The owner is gone: the other fires a takeover late, still on time. */
  advance(f, 59 * SEC);
  assert_int_equal(orca__timekeeper_tick(b, &next), 0);
  advance(f, 1 * SEC);
  assert_int_equal(orca__timekeeper_tick(b, &next), 1);
  orca__timekeeper_stats_get(b, &st);
  assert_int_equal(st.late, 0);
  char ids[4][ORCA_ID_MAX];
  assert_int_equal(drain(f, ids, 4), 2);
  assert_string_equal(ids[0], "s.split@2026-01-01T00:01:00Z");
  assert_string_equal(ids[1], "s.split@2026-01-01T00:02:00Z");
  orca__timekeeper_close(a);
  orca__timekeeper_close(b);
}

static void *race(void *p) {
  racer *r = p;
  for (int s = 0; s < SECONDS; s++) {
    pthread_barrier_wait(r->go);
    int n = orca__timekeeper_tick(r->tk, NULL);
    if (n > 0)
      r->fired += n;
    pthread_barrier_wait(r->done);
  }
  return NULL;
}

static void test_racing_engines_fire_once(void **state) {
  fixture *f = *state;
  pthread_barrier_t go, done;
  pthread_barrier_init(&go, NULL, RACERS + 1);
  pthread_barrier_init(&done, NULL, RACERS + 1);
  racer r[RACERS];
  pthread_t th[RACERS];
  orca_schedule_desc d = every("s.race", SEC, ORCA_CATCHUP_ALL, 100);
  for (int i = 0; i < RACERS; i++) {
    r[i] = (racer){f, engine(f, SEC), &go, &done, 0};
    assert_int_equal(orca__timekeeper_add(r[i].tk, &d, NULL), 0);
    orca__timekeeper_tick(r[i].tk, NULL);
  }
  for (int i = 0; i < RACERS; i++)
    pthread_create(&th[i], NULL, race, &r[i]);
  for (int s = 0; s < SECONDS; s++) {
    advance(f, SEC);
    pthread_barrier_wait(&go);
    pthread_barrier_wait(&done);
  }
  int total = 0;
  for (int i = 0; i < RACERS; i++) {
    pthread_join(th[i], NULL);
    total += r[i].fired;
    orca__timekeeper_close(r[i].tk);
  }
  assert_int_equal(total, SECONDS);
  char ids[SECONDS + 8][ORCA_ID_MAX];
  assert_int_equal(drain(f, ids, SECONDS + 8), SECONDS);
  for (int i = 0; i < SECONDS; i++) {
    char want[ORCA_ID_MAX];
    assert_int_equal(orca__schedule_fire_id("s.race", T0 + (i + 1) * SEC, want, sizeof want), 0);
    assert_string_equal(ids[i], want);
  }
  pthread_barrier_destroy(&go);
  pthread_barrier_destroy(&done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_first_fire_and_id, setup, teardown),
      cmocka_unit_test_setup_teardown(test_catchup_skip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_catchup_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_catchup_all_bounded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_catchup_all, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pause_and_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_busy_store_is_not_downtime, setup, teardown),
      cmocka_unit_test_setup_teardown(test_redeclared_schedule_replaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_racing_engines_fire_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_owner_fires_others_stand_by, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
