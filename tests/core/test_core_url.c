/* test_core_url.c — backend URLs outside their parsers: orca_url_redact()
 * hides every password form, every URL error of the registry and the
 * backends' parsers shows no password, and the URL comes from --backend,
 * --backend-file, ORCA_BACKEND or ORCA_BACKEND_FILE as documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "orca/client.h"
#include "orca/log.h"

#define SECRET "S3cr3t"

static void expect_redact(const char *url, const char *want) {
  char out[256];
  const char *got = orca_url_redact(url, out, sizeof out);
  if (strcmp(got, want) != 0)
    fail_msg("redact '%s': got '%s', want '%s'", url, got, want);
}

static void test_redact(void **st) {
  (void)st;
  expect_redact("redis://:" SECRET "@h:6379/2", "redis://:***@h:6379/2");
  expect_redact("redis://user:" SECRET "@h:6379", "redis://user:***@h:6379");
  expect_redact("redis://" SECRET "@h:1", "redis://***@h:1");
  expect_redact("redis://:pa@ss/" SECRET "@h:1", "redis://:***@h:1");
  expect_redact("redis:/:" SECRET "@h:1", "redis:/:***@h:1");
  expect_redact("user:" SECRET "@h:1", "user:***@h:1");
  expect_redact(SECRET "@h", "***@h");
  expect_redact("kafka://u:" SECRET "@b1,b2", "kafka://u:***@b1,b2");
  expect_redact("sqlite://u:" SECRET "@host/x.db", "sqlite://u:***@host/x.db");
  expect_redact("redis://h:6379", "redis://h:6379");
  expect_redact("sqlite:/tmp/a@b.db", "sqlite:/tmp/a@b.db");
  expect_redact("sqlite:///tmp/a@b.db", "sqlite:///tmp/a@b.db");
  /* The query of every URL: secret parameters and URL values hidden. */
  expect_redact("sqlite:/tmp/x.db?store=redis://:" SECRET "@h:1",
                "sqlite:/tmp/x.db?store=redis://:***@h:1");
  expect_redact("redis+cluster://h:1?password=" SECRET, "redis+cluster://h:1?password=***");
  expect_redact("redis://:pa?" SECRET "@h:1/0", "redis://:***@h:1/0");
  expect_redact("kafka://b:1?sasl.password=" SECRET, "kafka://b:1?sasl.password=***");
  expect_redact("", "");
  expect_redact(NULL, "");
  char small[12];
  assert_string_equal(orca_url_redact("redis://:" SECRET "@host:1", small, sizeof small),
                      "redis://:**");
  assert_string_equal(orca_url_redact("x", NULL, 0), "");
}

/* Every URL error of the registry and the parsers: ORCA_EURL, a message, and
 * no password in it. */
static void test_errors_hide_password(void **st) {
  (void)st;
  unsetenv("ORCA_BACKEND");
  unsetenv("ORCA_BACKEND_FILE");
  static const char *const bad[] = {
      "mysql://root:" SECRET "@db:3306",
      "root:" SECRET "@db",
      ":" SECRET "@db",
      SECRET "@db",
      "redis://:" SECRET "@localhost:notaport",
      "redis://:" SECRET "@localhost:0",
      "redis://:" SECRET "@localhost:99999",
      "redis://:" SECRET "@localhost",
      "redis://:" SECRET "@:6379",
      "redis://:" SECRET "@h:1/x",
      "redis://" SECRET "@h:1",
      "redis:/:" SECRET "@h:1",
      "redis:" SECRET "@h:1",
      "sqlite://u:" SECRET "@host/x.db",
      /* a secret where a Redis URL's query or database goes */
      "redis://h:1/x?password=" SECRET,
      "redis://h:1/x?auth=" SECRET,
      "redis+cluster://h:1?auth=" SECRET,
      "redis+cluster://h:1?wait=1&auth=" SECRET,
      "redis+cluster://h:1/x?auth=" SECRET,
      "sqlite:x.db?store=redis+cluster://h:1?auth=" SECRET,
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    orca__backend *b = NULL;
    orca_err err = {0};
    int rc = orca__backend_open(bad[i], NULL, &b, &err);
    if (rc != ORCA_EURL || !err.msg[0] || strstr(err.msg, SECRET))
      fail_msg("'%s': rc %d, message '%s'", bad[i], rc, err.msg);
    assert_null(b);
  }
  /* Unreachable: the connect error names host and port only. */
  orca__backend *b = NULL;
  orca_err err = {0};
  assert_int_equal(orca__backend_open("redis://:" SECRET "@127.0.0.1:1", NULL, &b, &err),
                   ORCA_ECONNECT);
  assert_non_null(strstr(err.msg, "127.0.0.1:1"));
  assert_null(strstr(err.msg, SECRET));
  /* From the environment: the message names the variable. */
  setenv("ORCA_BACKEND", "redis://:" SECRET "@h:x", 1);
  assert_int_equal(orca__backend_open(NULL, NULL, &b, &err), ORCA_EURL);
  assert_non_null(strstr(err.msg, "ORCA_BACKEND: redis URL 'redis://:***@h:x'"));
  unsetenv("ORCA_BACKEND");
}

static void test_empty_url(void **st) {
  (void)st;
  orca__backend *b = NULL;
  orca_err err = {0};
  assert_int_equal(orca__backend_open("", NULL, &b, &err), ORCA_EURL);
  assert_non_null(strstr(err.msg, "empty"));
  char *url = NULL;
  const char *from = NULL;
  assert_int_equal(orca_url_from_options("", NULL, &url, &from, &err), ORCA_EURL);
  assert_non_null(strstr(err.msg, "--backend ''"));
  assert_null(url);
  assert_int_equal(orca_url_from_options("sqlite:x", "f", &url, &from, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "not both"));
  assert_int_equal(orca_url_from_options(NULL, NULL, &url, &from, &err), 0);
  assert_null(url);
  assert_null(from);
  /* Empty variables count as unset. */
  setenv("ORCA_BACKEND", "", 1);
  setenv("ORCA_BACKEND_FILE", "", 1);
  assert_int_equal(orca__url_from_env(&url, &from, &err), 0);
  assert_null(url);
  unsetenv("ORCA_BACKEND");
  unsetenv("ORCA_BACKEND_FILE");
}

static char logged[1024];
static void capture(void *ud, orca_log_level level, const char *msg) {
  (void)ud;
  (void)level;
  snprintf(logged, sizeof logged, "%s", msg);
}

/* Write text to a fresh temp file with mode; returns its path (static). */
static const char *temp_file_n(const char *text, size_t len, mode_t mode) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/orca-url-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, len), (ssize_t)len);
  close(fd);
  assert_int_equal(chmod(path, mode), 0);
  return path;
}

static const char *temp_file(const char *text, mode_t mode) {
  return temp_file_n(text, strlen(text), mode);
}

static void test_url_file(void **st) {
  (void)st;
  orca_err err = {0};
  char *url = NULL;
  const char *from = NULL;
  orca_log_set(capture, NULL, ORCA_LOG_DEBUG);

  const char *p = temp_file("redis://:" SECRET "@h:1\n", 0600);
  logged[0] = '\0';
  assert_int_equal(orca_url_from_options(NULL, p, &url, &from, &err), 0);
  assert_string_equal(url, "redis://:" SECRET "@h:1");
  assert_string_equal(from, "--backend-file");
  assert_string_equal(logged, "");
  free(url);
  chmod(p, 0644); /* readable by everyone: a warning, without the password */
  assert_int_equal(orca__url_read_file("--backend-file", p, &url, &err), 0);
  assert_non_null(strstr(logged, "chmod 600"));
  assert_null(strstr(logged, SECRET));
  free(url);
  /* A public file without a password is no secret. */
  unlink(p);
  p = temp_file("sqlite:/tmp/x.db\r\n", 0644);
  logged[0] = '\0';
  assert_int_equal(orca__url_read_file("--backend-file", p, &url, &err), 0);
  assert_string_equal(url, "sqlite:/tmp/x.db");
  assert_string_equal(logged, "");
  free(url);
  unlink(p);

  /* ORCA_BACKEND_FILE, and both variables at once. */
  p = temp_file("sqlite:/tmp/y.db", 0600);
  setenv("ORCA_BACKEND_FILE", p, 1);
  assert_int_equal(orca__url_from_env(&url, &from, &err), 0);
  assert_string_equal(url, "sqlite:/tmp/y.db");
  assert_string_equal(from, "ORCA_BACKEND_FILE");
  free(url);
  setenv("ORCA_BACKEND", "sqlite:/tmp/z.db", 1);
  assert_int_equal(orca__url_from_env(&url, &from, &err), ORCA_EURL);
  assert_non_null(strstr(err.msg, "both ORCA_BACKEND and ORCA_BACKEND_FILE"));
  unsetenv("ORCA_BACKEND");
  unsetenv("ORCA_BACKEND_FILE");
  unlink(p);

  /* Bad files: the message names the option and the file, never the text. */
  static const struct {
    const char *text;
    const char *want;
  } bad[] = {
      {"", "is empty"},
      {" \n\n", "is empty"},
      {"redis://:" SECRET "@h:1\nsecond line", "on one line"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p = temp_file(bad[i].text, 0600);
    assert_int_equal(orca__url_read_file("--backend-file", p, &url, &err), ORCA_EINVAL);
    if (!strstr(err.msg, bad[i].want) || !strstr(err.msg, p) || strstr(err.msg, SECRET))
      fail_msg("file '%s': %s", bad[i].text, err.msg);
    assert_null(url);
    unlink(p);
  }
  char big[ORCA__URL_FILE_MAX + 10];
  memset(big, 'a', sizeof big);
  p = temp_file_n(big, sizeof big, 0600);
  assert_int_equal(orca__url_read_file("--backend-file", p, &url, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "larger than"));
  unlink(p);
  assert_int_equal(orca__url_read_file("--backend-file", "/no/such/file", &url, &err), ORCA_EIO);
  assert_non_null(strstr(err.msg, "--backend-file '/no/such/file'"));
  assert_int_equal(orca__url_read_file("--backend-file", "/tmp", &url, &err), ORCA_EINVAL);
  orca_log_set(NULL, NULL, ORCA_LOG_INFO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_redact),
      cmocka_unit_test(test_errors_hide_password),
      cmocka_unit_test(test_empty_url),
      cmocka_unit_test(test_url_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
