/* test_sqlite_checkpoint.c — who runs the WAL checkpoints. SQLite runs one
 * inside the commit that takes the WAL past its threshold, in that
 * connection; a worker's pump (a handle opened with task_path) waits until
 * four times the default (4000 pages) so that clients' commits take them
 * while they write, and a handle of its own still keeps the WAL bounded.
 * Seen from outside as the WAL file's size, which grows to the largest WAL
 * since the last full checkpoint and is never cut while the handle is open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "util.h"

#define PAYLOAD 3500 /* a row a page, about */
#define BATCH 50

/* Enqueue tasks from..from+n-1 of about a page each through b. */
static void fill(orca__backend *b, int from, int n) {
  static uint8_t pay[PAYLOAD];
  char ids[BATCH][32];
  orca__job jobs[BATCH];
  orca__enqueue_result res[BATCH];
  for (int done = 0; done < n; done += BATCH) {
    for (int i = 0; i < BATCH; i++) {
      snprintf(ids[i], sizeof ids[i], "t%d", from + done + i);
      pay[0] = (uint8_t)i;
      jobs[i] = (orca__job){
          .id = ids[i], .task = "t", .queue = "q", .payload = pay, .payload_len = PAYLOAD};
    }
    assert_int_equal(b->ops->enqueue(b, jobs, BATCH, res), 0);
    for (int i = 0; i < BATCH; i++)
      assert_int_equal(res[i].status, 0);
  }
}

/* The WAL file's size in pages of 4 KiB. */
static long wal_pages(const sq_scratch *s) {
  char p[160];
  snprintf(p, sizeof p, "%s-wal", s->path);
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  return (long)(st.st_size / 4096);
}

static void pump_leaves_checkpoints_to_clients(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  /* A client's handle checkpoints at 1000 pages: the WAL starts over. */
  orca__backend *c = sq_open(s.url, NULL);
  fill(c, 0, 2500);
  long client_wal = wal_pages(&s);
  assert_true(client_wal >= 1000);
  assert_true(client_wal < 1500);
  orca__backend_close(c); /* the last connection: the WAL goes */

  /* A pump's handle alone lets it pass 1000 pages ... */
  orca__backend_opts o = {.task_path = true};
  orca_err err = {0};
  orca__backend *p = NULL;
  assert_int_equal(orca__backend_open(s.url, &o, &p, &err), 0);
  fill(p, 2500, 2500);
  assert_true(wal_pages(&s) >= 2000);
  /* ... and still checkpoints at 4000. */
  fill(p, 5000, 4000);
  long pump_wal = wal_pages(&s);
  assert_true(pump_wal >= 4000);
  assert_true(pump_wal < 4500);

  orca__backend_close(p);
  sq_scratch_remove(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pump_leaves_checkpoints_to_clients),
  };
  return cmocka_run_group_tests_name("sqlite/checkpoint", tests, NULL, NULL);
}
