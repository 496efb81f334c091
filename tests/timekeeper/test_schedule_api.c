/* test_schedule_api.c — the public run-time schedules API (orca/schedule.h)
 * through a client on a SQLite file, with an engine firing what it adds:
 * add/get/list/pause/resume/remove, and malformed definitions refused with
 * the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "orca/client.h"
#include "orca/schedule.h"
#include "timekeeper/timekeeper.h"

const orca__backend_ops *const force_sqlite = &orca__sqlite_ops; /* see test_engine.c */

#define T0 1767225600000000LL /* 2026-01-01T00:00:00Z, a Thursday */
#define SEC 1000000LL

static _Atomic int64_t now = T0;
static int64_t fake_now(void *ctx) {
  (void)ctx;
  return atomic_load(&now);
}
static const orca_clock fake = {fake_now, NULL};

typedef struct fx {
  char dir[64], url[128];
  orca_client *c;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/orca-tks-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  snprintf(f->url, sizeof f->url, "sqlite:%s/orca.db", f->dir);
  atomic_store(&now, T0);
  orca_client_opts o = {.backend = f->url, .clock = &fake};
  orca_err err = {0};
  if (orca_client_open(&o, &f->c, &err)) {
    print_error("client: %s\n", err.msg);
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  orca_client_close(f->c);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  int rc = system(cmd);
  free(f);
  return rc ? -1 : 0;
}

static int count_cb(void *ud, const orca_schedule_info *info) {
  (void)info;
  (*(int *)ud)++;
  return 0;
}

static void test_add_get_list_remove(void **state) {
  fx *f = *state;
  orca_err err = {0};
  orca_schedule_def d = {.name = "rt.paris",
                         .task = "shop.report",
                         .cron = "30 8 * * MON-FRI",
                         .tz = "Europe/Paris",
                         .catchup = ORCA_CATCHUP_ONCE};
  assert_int_equal(orca_schedule_add(f->c, &d, false, &err), 0);
  assert_int_equal(orca_schedule_add(f->c, &d, false, &err), ORCA_EDUPLICATE);
  assert_string_equal(err.msg, "schedule 'rt.paris': already exists");
  orca_schedule_info info;
  assert_int_equal(orca_schedule_get(f->c, "rt.paris", &info, &err), 0);
  assert_string_equal(info.task, "shop.report");
  assert_string_equal(info.queue, "default");
  assert_string_equal(info.cron, "30 8 * * MON-FRI");
  assert_string_equal(info.tz, "Europe/Paris");
  assert_int_equal(info.catchup, ORCA_CATCHUP_ONCE);
  /* Thursday 2026-01-01 08:30 CET = 07:30Z */
  assert_int_equal(info.next_fire_us, T0 + 7 * 3600 * SEC + 30 * 60 * SEC);
  orca_schedule_def e = {
      .name = "rt.every", .task = "shop.ping", .queue = "q", .every_us = 5 * SEC};
  assert_int_equal(orca_schedule_add(f->c, &e, false, &err), 0);
  int n = 0;
  assert_int_equal(orca_schedule_list(f->c, count_cb, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_int_equal(orca_schedule_remove(f->c, "rt.paris", &err), 0);
  assert_int_equal(orca_schedule_remove(f->c, "rt.paris", &err), ORCA_ENOTFOUND);
  assert_string_equal(err.msg, "schedule 'rt.paris': not found");
  n = 0;
  assert_int_equal(orca_schedule_list(f->c, count_cb, &n, &err), 0);
  assert_int_equal(n, 1);
}

static void test_malformed_refused(void **state) {
  fx *f = *state;
  static const struct {
    orca_schedule_def d;
    const char *msg;
  } bad[] = {
      {{.name = "x", .task = "t", .cron = "* * *"},
       "schedule 'x': cron column 6: 3 fields, expected 5 (minute hour day-of-month month "
       "day-of-week) or 6 with seconds first"},
      {{.name = "x", .task = "t", .cron = "0 0 * JANUARY *"},
       "schedule 'x': cron month field, column 7: unknown month name"},
      {{.name = "x", .task = "t", .cron = "0 0 * * *", .tz = "Nowhere/Land"},
       "schedule 'x': schedule: time zone 'Nowhere/Land': No such file or directory "
       "(/usr/share/zoneinfo/Nowhere/Land)"},
      {{.name = "x", .task = "t", .cron = "0 0 * * *", .every_us = 1},
       "schedule 'x': give either cron or every, not both"},
      {{.name = "x", .task = "t", .every_us = 10},
       "schedule 'x': schedule: interval must be at least 1 ms (got 10 µs)"},
      {{.name = "x", .task = "", .every_us = SEC},
       "schedule 'x': schedule: task name must be 1-127 bytes"},
      {{.name = "a@b", .task = "t", .every_us = SEC},
       "schedule name must be 1-127 bytes without '@' (got 'a@b')"},
      {{.name = "x", .task = "t", .every_us = SEC, .args = (const uint8_t *)"\x01", .args_len = 1},
       "schedule 'x': args must be a msgpack map"},
      {{.name = "x", .task = "t", .every_us = SEC, .catchup = 7},
       "schedule 'x': schedule: unknown catch-up policy 7"},
  };
  if (getenv("TZDIR"))
    skip();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    orca_err err = {0};
    assert_int_equal(orca_schedule_add(f->c, &bad[i].d, false, &err), ORCA_EINVAL);
    assert_string_equal(err.msg, bad[i].msg);
  }
  int n = 0;
  assert_int_equal(orca_schedule_list(f->c, count_cb, &n, NULL), 0);
  assert_int_equal(n, 0);
}

static void test_pause_resume_with_engine(void **state) {
  fx *f = *state;
  orca_err err = {0};
  orca__timekeeper *tk;
  assert_int_equal(orca__timekeeper_open(NULL, f->url, &fake, "n1", &tk, &err), 0);
  orca_schedule_def d = {.name = "rt.sec",
                         .task = "t.ping",
                         .queue = "q",
                         .every_us = SEC,
                         .catchup = ORCA_CATCHUP_ALL};
  assert_int_equal(orca_schedule_add(f->c, &d, false, &err), 0);
  atomic_fetch_add(&now, SEC);
  assert_int_equal(orca__timekeeper_tick(tk, NULL), 1);
  assert_int_equal(orca_schedule_pause(f->c, "rt.sec", &err), 0);
  atomic_fetch_add(&now, 10 * SEC);
  assert_int_equal(orca__timekeeper_tick(tk, NULL), 0);
  orca_schedule_info info;
  assert_int_equal(orca_schedule_get(f->c, "rt.sec", &info, &err), 0);
  assert_true(info.paused);
  /* Resume restarts from now: no catch-up of the ten paused seconds, even
   * with catch-up ALL. */
  assert_int_equal(orca_schedule_resume(f->c, "rt.sec", &err), 0);
  assert_int_equal(orca_schedule_get(f->c, "rt.sec", &info, &err), 0);
  assert_false(info.paused);
  assert_int_equal(info.next_fire_us, T0 + 12 * SEC);
  atomic_fetch_add(&now, SEC);
  assert_int_equal(orca__timekeeper_tick(tk, NULL), 1);
  orca__timekeeper_close(tk);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_add_get_list_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pause_resume_with_engine, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
