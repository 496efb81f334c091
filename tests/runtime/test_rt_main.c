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
  const char *flags[] = {"--backend",
                         "--backend-file",
                         "--concurrency",
                         "--queues",
                         "--prefetch",
                         "--lease",
                         "--grace",
                         "--hooks",
                         "--id",
                         "--no-schedules",
                         "--max-tasks",
                         "--schedule-grace",
                         "ORCA_SCHEDULE_GRACE",
                         "--peer",
                         "--join",
                         "--cluster-key-file",
                         "ORCA_CLUSTER_KEY_FILE",
                         "--no-peer"};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    assert_non_null(strstr(out_text, flags[i]));
  assert_string_equal(err_text, "");
}

static void test_bad_flags(void **st) {
  (void)st;
  /* Every bad value exits 2 with one line naming the flag and the value. */
  static const struct {
    const char *args[4];
    const char *want;
  } cases[] = {
      {{"--bogus"}, "shop-worker: unknown option '--bogus'"},
      {{"--concurrency", "abc"}, "--concurrency: 'abc' is not a whole number in 1..4096"},
      {{"--concurrency=0"}, "--concurrency: '0' is not a whole number in 1..4096"},
      {{"--concurrency", "100000"}, "--concurrency: '100000' is not a whole number in 1..4096"},
      {{"--concurrency", "-3"}, "--concurrency: '-3' is not"},
      {{"--concurrency", ""}, "--concurrency: '' is not"},
      {{"--concurrency", "99999999999999999999999"}, "--concurrency: '99999999999999999999999'"},
      {{"--prefetch", "70000"}, "--prefetch: '70000' is not a whole number in 1..65536"},
      {{"--prefetch", "0"}, "--prefetch: '0' is not"},
      {{"--max-tasks", "0"}, "--max-tasks: '0' is not a whole number"},
      {{"--max-tasks", "5000000000"}, "--max-tasks: '5000000000' is not"},
      {{"--queues", "payments:x,default"}, "--queues: queue spec 'payments:x,default'"},
      {{"--queues", ""}, "--queues: queue spec ''"},
      {{"--lease", "5x"}, "--lease: '5x' is not a duration"},
      {{"--lease", "0"}, "--lease: '0' must be greater than zero"},
      {{"--grace", "0s"}, "--grace: '0s' must be greater than zero"},
      {{"--grace"}, "option --grace needs a value"},
      {{"--schedule-grace", "soon"}, "--schedule-grace: 'soon' is not a duration"},
      {{"--schedule-grace", "0"}, "--schedule-grace: '0' must be greater than zero"},
      {{"--hooks", ""}, "--hooks: '' is empty"},
      {{"--hooks", "/no/such/hooks.lua"}, "--hooks: '/no/such/hooks.lua' cannot be read"},
      {{"--id", ""}, "--id: '' must be 1 to 127 characters"},
      {{"--backend", ""}, "--backend '': the URL is empty"},
      {{"--backend="}, "--backend '': the URL is empty"},
      {{"--backend", "sqlite:x.db", "--backend-file", "f"}, "not both"},
      {{"--backend-file", "/no/such/url-file"}, "--backend-file '/no/such/url-file'"},
      {{"stray"}, "unexpected argument 'stray'"},
      {{"--help=yes"}, "option --help takes no value"},
      {{"--no-peer=1"}, "option --no-peer takes no value"},
      {{"--peer", "somewhere"}, "--peer: peer address 'somewhere': expected ip:port"},
      {{"--peer", "10.1.2.3:7946"},
       "--peer: '10.1.2.3:7946' is not a loopback address: a peer network off loopback needs a "
       "cluster key"},
      {{"--peer", "0.0.0.0:7946"}, "--peer: '0.0.0.0:7946' is a wildcard address"},
      {{"--join", "127.0.0.1:1,10.0.0.9:7946"}, "--join: '10.0.0.9:7946' is not a loopback"},
      {{"--join", ","}, "--join: ',' names no address"},
      {{"--cluster-key-file", ""}, "--cluster-key-file: '' is empty"},
      {{"--cluster-key-file", "/no/such/key"},
       "--cluster-key-file: cluster key file '/no/such/key'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect(cases[i].args, 2, cases[i].want);
  char long_id[200];
  memset(long_id, 'w', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = '\0';
  const char *a1[] = {"--id", long_id, NULL};
  expect(a1, 2, "--id: 'www");
  /* The environment's values are named by their variable. */
  const char *none[] = {NULL};
  setenv("ORCA_CONCURRENCY", "many", 1);
  expect(none, 2, "ORCA_CONCURRENCY: 'many'");
  setenv("ORCA_CONCURRENCY", "100000", 1);
  expect(none, 2, "ORCA_CONCURRENCY: '100000' is not a whole number in 1..4096");
  unsetenv("ORCA_CONCURRENCY");
  setenv("ORCA_SCHEDULE_GRACE", "soon", 1);
  expect(none, 2, "ORCA_SCHEDULE_GRACE: 'soon' is not a duration");
  unsetenv("ORCA_SCHEDULE_GRACE");
  setenv("ORCA_QUEUES", "a:0", 1);
  expect(none, 2, "ORCA_QUEUES: queue spec 'a:0'");
  unsetenv("ORCA_QUEUES");
  /* A key file too short: named, its content never shown. */
  char kpath[] = "/tmp/orca-rt-key-XXXXXX";
  int kfd = mkstemp(kpath);
  assert_true(kfd >= 0);
  assert_int_equal(write(kfd, "s3cr3t-k3y", 10), 10);
  close(kfd);
  const char *a2[] = {"--cluster-key-file", kpath, NULL};
  expect(a2, 2, "--cluster-key-file: cluster key file '/tmp/orca-rt-key-");
  assert_null(strstr(err_text, "s3cr3t"));
  setenv("ORCA_CLUSTER_KEY_FILE", kpath, 1);
  expect(none, 2, "ORCA_CLUSTER_KEY_FILE: cluster key file '/tmp/orca-rt-key-");
  assert_null(strstr(err_text, "s3cr3t"));
  unsetenv("ORCA_CLUSTER_KEY_FILE");
  unlink(kpath);
}

/* A malformed URL is a bad value (exit 2, naming where it came from); an
 * unreachable or missing backend is a run-time failure (exit 1). Neither
 * message shows a password. */
static void test_bad_backend(void **st) {
  (void)st;
  const char *a1[] = {"--backend", "mysql://db", NULL};
  expect(a1, 2, "--backend: unknown scheme 'mysql'");
  const char *a2[] = {"--backend", "nocolon", NULL};
  expect(a2, 2, "has no scheme");
  const char *a3[] = {"--backend", "sqlite:/nonexistent-orca-dir/sub/orca.db", NULL};
  expect(a3, 1, "/nonexistent-orca-dir/sub");
  const char *a4[] = {"--backend", "redis://:S3cr3t@localhost:notaport", NULL};
  expect(a4, 2, "--backend: redis URL 'redis://:***@localhost:notaport': port");
  assert_null(strstr(err_text, "S3cr3t"));
  const char *a5[] = {"--backend=redis://:S3cr3t@127.0.0.1:1", NULL};
  expect(a5, 1, "127.0.0.1:1");
  assert_null(strstr(err_text, "S3cr3t"));
  const char *none[] = {NULL};
  setenv("ORCA_BACKEND", "mysql://root:S3cr3t@from-env", 1);
  expect(none, 2,
         "ORCA_BACKEND: unknown scheme 'mysql' in backend URL 'mysql://root:***@from-env'");
  setenv("ORCA_BACKEND_FILE", "/no/such/url-file", 1);
  expect(none, 2, "both ORCA_BACKEND and ORCA_BACKEND_FILE are set");
  unsetenv("ORCA_BACKEND");
  expect(none, 2, "ORCA_BACKEND_FILE '/no/such/url-file'");
  unsetenv("ORCA_BACKEND_FILE");
  /* --backend-file: the URL from a file; its errors show no password. */
  char path[] = "/tmp/orca-rt-url-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char url[] = "redis://:S3cr3t@localhost:99999\n";
  assert_int_equal(write(fd, url, sizeof url - 1), (ssize_t)(sizeof url - 1));
  close(fd);
  const char *a6[] = {"--backend-file", path, NULL};
  expect(a6, 2, "--backend-file: redis URL 'redis://:***@localhost:99999': port");
  assert_null(strstr(err_text, "S3cr3t"));
  unlink(path);
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
