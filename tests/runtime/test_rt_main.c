/* test_rt_main.c — orca_worker_main(), the command line of every worker
 * program: --help, bad flags and values (exit 2, one line naming the
 * problem), bad or unreachable backends (exit 1, one line), environment
 * fallbacks, and a real run that stops after --max-tasks. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt_support.h"

static char out_text[8192], err_text[8192];

static void slurp(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
  buf[n] = '\0';
  if (f)
    fclose(f);
}

/* Run orca_worker_main(argv) with stdout and stderr captured. */
static int run_main(const char *const *args) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = "shop-worker";
  for (; *args; args++)
    argv[argc++] = (char *)*args;
  argv[argc] = NULL;
  char opath[] = "/tmp/orca-rt-out-XXXXXX", epath[] = "/tmp/orca-rt-err-XXXXXX";
  int ofd = mkstemp(opath), efd = mkstemp(epath);
  assert_true(ofd >= 0 && efd >= 0);
  fflush(stdout);
  fflush(stderr);
  int so = dup(1), se = dup(2);
  dup2(ofd, 1);
  dup2(efd, 2);
  int rc = orca_worker_main(argc, argv, rt_register_all, NULL);
  fflush(stdout);
  fflush(stderr);
  dup2(so, 1);
  dup2(se, 2);
  close(so);
  close(se);
  close(ofd);
  close(efd);
  slurp(opath, out_text, sizeof out_text);
  slurp(epath, err_text, sizeof err_text);
  unlink(opath);
  unlink(epath);
  return rc;
}

static int lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void expect(const char *const *args, int want_rc, const char *want_err) {
  int rc = run_main(args);
  if (rc != want_rc || !strstr(err_text, want_err) || lines(err_text) != 1)
    fail_msg("args '%s...': rc %d (want %d), stderr:\n%s(want one line with '%s')",
             args[0] ? args[0] : "(none)", rc, want_rc, err_text, want_err);
}

static void test_help(void **st) {
  (void)st;
  const char *args[] = {"--help", NULL};
  assert_int_equal(run_main(args), 0);
  assert_non_null(strstr(out_text, "Usage: shop-worker [OPTIONS]"));
  const char *flags[] = {
      "--backend",      "--concurrency", "--queues",         "--prefetch",
      "--lease",        "--grace",       "--hooks",          "--id",
      "--no-schedules", "--max-tasks",   "--schedule-grace", "ORCA_SCHEDULE_GRACE"};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    assert_non_null(strstr(out_text, flags[i]));
  assert_string_equal(err_text, "");
}

static void test_bad_flags(void **st) {
  (void)st;
  const char *a1[] = {"--bogus", NULL};
  expect(a1, 2, "shop-worker: unknown option '--bogus'");
  const char *a2[] = {"--concurrency", "abc", NULL};
  expect(a2, 2, "--concurrency: 'abc' is not a whole number");
  const char *a3[] = {"--concurrency=0", NULL};
  expect(a3, 2, "--concurrency: '0' is not a whole number >= 1");
  const char *a4[] = {"--queues", "payments:x,default", NULL};
  expect(a4, 2, "weight of queue 'payments' must be an integer");
  const char *a5[] = {"--lease", "5x", NULL};
  expect(a5, 2, "--lease: '5x' is not a duration");
  const char *a6[] = {"--grace", NULL};
  expect(a6, 2, "option --grace needs a value");
  const char *a7[] = {"stray", NULL};
  expect(a7, 2, "unexpected argument 'stray'");
  const char *a8[] = {"--help=yes", NULL};
  expect(a8, 2, "option --help takes no value");
  const char *a9[] = {"--schedule-grace", "0s", NULL};
  expect(a9, 2, "duration must be greater than zero");
  const char *a10[] = {"--schedule-grace", "soon", NULL};
  expect(a10, 2, "--schedule-grace: 'soon' is not a duration");
}

static void test_bad_backend(void **st) {
  (void)st;
  const char *a1[] = {"--backend", "mysql://db", NULL};
  expect(a1, 1, "unknown scheme 'mysql'");
  const char *a2[] = {"--backend", "nocolon", NULL};
  expect(a2, 1, "has no scheme");
  const char *a3[] = {"--backend", "sqlite:/nonexistent-orca-dir/sub/orca.db", NULL};
  expect(a3, 1, "/nonexistent-orca-dir/sub");
  setenv("ORCA_BACKEND", "mysql://from-env", 1);
  const char *a4[] = {NULL};
  expect(a4, 1, "mysql://from-env");
  unsetenv("ORCA_BACKEND");
  setenv("ORCA_CONCURRENCY", "many", 1);
  expect(a4, 2, "ORCA_CONCURRENCY: 'many'");
  unsetenv("ORCA_CONCURRENCY");
  setenv("ORCA_SCHEDULE_GRACE", "soon", 1);
  expect(a4, 2, "ORCA_SCHEDULE_GRACE: 'soon' is not a duration");
  unsetenv("ORCA_SCHEDULE_GRACE");
}

static void test_real_run(void **st) {
  (void)st;
  rt_env e;
  rt_env_init(&e);
  rt_events_reset();
  orca_client *c = rt_client(&e, NULL);
  char id[ORCA_ID_MAX];
  assert_int_equal(rt_enqueue(c, &rt_task_add, 1, "abc", NULL, id), 0);
  const char *args[] = {"--backend",
                        e.url,
                        "--concurrency",
                        "2",
                        "--queues",
                        "default:2,other",
                        "--max-tasks",
                        "1",
                        "--lease",
                        "2s",
                        "--grace=500ms",
                        "--schedule-grace",
                        "5s",
                        "--id",
                        "w-main",
                        "--no-schedules",
                        NULL};
  int rc = run_main(args);
  if (rc)
    fail_msg("worker main failed: %s", err_text);
  int64_t r = 0;
  orca_err err = {0};
  assert_int_equal(orca_wait_result(c, &rt_task_add, id, 1000000, &r, NULL, &err), 0);
  assert_int_equal(r, 4);
  orca_client_close(c);
  rt_env_done(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_help),
      cmocka_unit_test(test_bad_flags),
      cmocka_unit_test(test_bad_backend),
      cmocka_unit_test(test_real_run),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
