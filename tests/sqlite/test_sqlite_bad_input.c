/* test_sqlite_bad_input.c — the SQLite backend facing bad input: malformed
 * URLs, missing or wrong directories, files that are not databases, a
 * database from a newer liborca, garbage in the columns of a task row, and
 * the default ./.orca directory being created on demand. */
#include <fcntl.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

/* Open url expecting code; the message must contain `needle`. */
static void expect_open_error(const char *url, int code, const char *needle) {
  orca__backend *b = NULL;
  orca_err err = {0};
  int rc = orca__backend_open(url, NULL, &b, &err);
  if (rc != code)
    fail_msg("%s: got %s (%s), want %s", url, orca_err_name(rc), err.msg, orca_err_name(code));
  assert_null(b);
  if (!strstr(err.msg, needle))
    fail_msg("%s: message '%s' does not mention '%s'", url, err.msg, needle);
}

static void malformed_urls(void **state) {
  (void)state;
  assert_non_null(orca__sqlite_ops.open);
  expect_open_error("sqlite:", ORCA_EURL, "no database path");
  expect_open_error("sqlite://host/db", ORCA_EURL, "host");
  expect_open_error("sqlite::memory:", ORCA_EURL, ":memory:");
  expect_open_error("sqlite:/tmp/x.db?fast=yes", ORCA_EURL, "fast=yes");
  expect_open_error("sqlite:///", ORCA_EIO, "/");
}

static void url_forms(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  char url[256];
  snprintf(url, sizeof url, "sqlite://%s", s.path); /* sqlite:///tmp/… */
  orca__backend_close(sq_open(url, NULL));
  snprintf(url, sizeof url, "sqlite:%s?sync=full", s.path);
  orca__backend *b = sq_open(url, NULL);
  orca__job j = {.id = "x", .queue = "q", .payload = (const uint8_t *)"p", .payload_len = 1};
  orca__enqueue_result r;
  assert_int_equal(b->ops->enqueue(b, &j, 1, &r), 0);
  assert_int_equal(r.status, 0);
  orca__backend_close(b);
  sq_scratch_remove(&s);
}

static void missing_directory(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  char url[256], dir[200];
  snprintf(dir, sizeof dir, "%s/no/such", s.dir);
  snprintf(url, sizeof url, "sqlite:%s/orca.db", dir);
  expect_open_error(url, ORCA_EIO, dir);
  /* A parent that is a file. */
  char file[200];
  snprintf(file, sizeof file, "%s/plain", s.dir);
  FILE *f = fopen(file, "w");
  fputs("x", f);
  fclose(f);
  snprintf(url, sizeof url, "sqlite:%s/orca.db", file);
  expect_open_error(url, ORCA_EIO, "not a directory");
  sq_scratch_remove(&s);
}

static void default_dir_created(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  char cwd[512];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(s.dir), 0);
  unsetenv("ORCA_BACKEND");
  orca__backend *b = NULL;
  orca_err err = {0};
  int rc = orca__backend_open(NULL, NULL, &b, &err);
  assert_int_equal(chdir(cwd), 0);
  if (rc)
    fail_msg("default open: %s", err.msg);
  orca__backend_close(b);
  char path[256];
  snprintf(path, sizeof path, "%s/.orca/orca.db", s.dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  sq_scratch_remove(&s);
}

static void not_a_database(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  FILE *f = fopen(s.path, "w");
  for (int i = 0; i < 200; i++)
    fputs("this is a text file, not a database\n", f);
  fclose(f);
  expect_open_error(s.url, ORCA_EIO, "not an SQLite database");
  sq_scratch_remove(&s);
}

static void newer_schema(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  orca__backend_close(sq_open(s.url, NULL));
  sqlite3 *db;
  assert_int_equal(sqlite3_open(s.path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  expect_open_error(s.url, ORCA_EIO, "newer");
  sq_scratch_remove(&s);
}

static void read_only_file(void **state) {
  (void)state;
  if (geteuid() == 0)
    skip(); /* root ignores file permissions */
  sq_scratch s;
  sq_scratch_make(&s);
  orca__backend_close(sq_open(s.url, NULL));
  char wal[200], shm[200];
  snprintf(wal, sizeof wal, "%s-wal", s.path);
  snprintf(shm, sizeof shm, "%s-shm", s.path);
  unlink(wal);
  unlink(shm);
  chmod(s.path, 0444);
  expect_open_error(s.url, ORCA_EIO, s.path);
  chmod(s.path, 0644);
  sq_scratch_remove(&s);
}

static void garbage_columns(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  orca__backend *b = sq_open(s.url, NULL);
  orca__job jobs[2] = {{.id = "g1",
                        .task = "t",
                        .queue = "q",
                        .payload = (const uint8_t *)"ok",
                        .payload_len = 2,
                        .state_ttl_us = 3600000000LL},
                       {.id = "g2",
                        .task = "t",
                        .queue = "q",
                        .payload = (const uint8_t *)"ok",
                        .payload_len = 2,
                        .state_ttl_us = 3600000000LL}};
  orca__enqueue_result res[2];
  assert_int_equal(b->ops->enqueue(b, jobs, 2, res), 0);
  /* Another program scribbles over the rows. */
  sqlite3 *db;
  assert_int_equal(sqlite3_open(s.path, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(
          db,
          "UPDATE tasks SET payload = randomblob(300), task = x'00ff10',"
          " error = x'c3', worker = 42.5, attempt = 'many' WHERE id = 'g1';"
          "UPDATE tasks SET payload = NULL, priority = 'high', eta = 'soon' WHERE id = 'g2';",
          NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  orca_task_info info = {0};
  assert_int_equal(b->ops->state_get(b, "g1", &info), 0);
  assert_int_equal(info.args.len, 0); /* no envelope, so no arguments */
  orca_buf_free(&info.args);
  orca_buf_free(&info.result);
  static orca__lease leases[4];
  orca__lease *slots[4] = {&leases[0], &leases[1], &leases[2], &leases[3]};
  const char *qs[1] = {"q"};
  orca__fetch_req req = {.queues = qs, .nqueues = 1, .worker = "w", .lease_us = 60000000};
  size_t got = 0;
  assert_int_equal(b->ops->fetch(b, &req, slots, 4, &got), 0);
  assert_int_equal(got, 2);
  /* The garbage is handed out as it is; judging it is the worker's job. */
  if (strcmp(leases[0].id, "g1") != 0) { /* text priority sorts first: swap */
    orca__lease t = leases[0];
    leases[0] = leases[1];
    leases[1] = t;
  }
  assert_string_equal(leases[0].id, "g1");
  assert_int_equal(leases[0].payload.len, 300);
  assert_int_equal(leases[1].payload.len, 0);
  orca__completion c[2] = {
      {.lease = &leases[0], .outcome = ORCA__DEAD, .worker = "w", .error = "undecodable"},
      {.lease = &leases[1],
       .outcome = ORCA__ACK,
       .state = ORCA_STATE_SUCCEEDED,
       .worker = "w",
       .ttl_us = 60000000}};
  assert_int_equal(b->ops->complete(b, c, 2), 0);
  memset(&info, 0, sizeof info);
  assert_int_equal(b->ops->state_get(b, "g1", &info), 0);
  assert_int_equal(info.state, ORCA_STATE_DEAD);
  orca_buf_free(&info.args);
  orca_buf_free(&info.result);
  /* A lease with a forged ref is skipped, not trusted. */
  snprintf(leases[1].ref, sizeof leases[1].ref, "'; DROP TABLE tasks; --");
  c[1].lease = &leases[1];
  assert_int_equal(b->ops->complete(b, &c[1], 1), 0);
  for (int i = 0; i < 4; i++)
    orca_buf_free(&leases[i].payload);
  /* Bad arguments to enqueue are per-job errors, the rest is stored. */
  orca__job bad[3] = {
      {.id = NULL, .queue = "q"}, {.id = "ok-1", .queue = "q"}, {.id = "no-queue", .queue = ""}};
  orca__enqueue_result r3[3];
  assert_int_equal(b->ops->enqueue(b, bad, 3, r3), 0);
  assert_int_equal(r3[0].status, ORCA_EINVAL);
  assert_int_equal(r3[1].status, 0);
  assert_int_equal(r3[2].status, ORCA_EINVAL);
  orca__backend_close(b);
  sq_scratch_remove(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(malformed_urls),    cmocka_unit_test(url_forms),
      cmocka_unit_test(missing_directory), cmocka_unit_test(default_dir_created),
      cmocka_unit_test(not_a_database),    cmocka_unit_test(newer_schema),
      cmocka_unit_test(read_only_file),    cmocka_unit_test(garbage_columns),
  };
  return cmocka_run_group_tests_name("sqlite/bad_input", tests, NULL, NULL);
}
