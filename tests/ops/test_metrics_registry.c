/* test_metrics_registry.c — runtime/metrics/ (the registry and its text
 * format: sums over shards, cumulative buckets, escaping, refusals, exact
 * sums under concurrent writers) and the JSON log line of orca/log.h. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/logctx.h"
#include "metrics/metrics.h"
#include "orca/log.h"

static const int64_t bounds[] = {1000, 10000};

static char *text_of(orca__metrics *m, orca_buf *b) {
  orca_buf_reset(b);
  assert_int_equal(orca__metrics_write(m, b), 0);
  assert_int_equal(orca_buf_append(b, "", 1), 0);
  return (char *)b->data;
}

static void test_format(void **state) {
  (void)state;
  orca__metrics *m;
  size_t c, h, plain;
  assert_int_equal(orca__metrics_open(&m), 0);
  assert_int_equal(
      orca__metrics_counter(m, "t_done_total", "Done \\ things\nhere.", "task,queue", 2, &c), 0);
  assert_int_equal(
      orca__metrics_histogram(m, "t_run_seconds", "Run time.", "task", 1, bounds, 2, &h), 0);
  assert_int_equal(orca__metrics_counter(m, "t_plain_total", "No labels.", "", 1, &plain), 0);
  const char *v0[] = {"a\"b\\c\nd", "q"}, *v1[] = {"x", "q"}, *hv[] = {"x"};
  assert_int_equal(orca__metrics_label(m, c, 0, v0), 0);
  assert_int_equal(orca__metrics_label(m, c, 1, v1), 0);
  assert_int_equal(orca__metrics_label(m, h, 0, hv), 0);
  assert_int_equal(orca__metrics_start(m, 3, 2), 0);
  /* nothing more can be defined */
  assert_int_equal(orca__metrics_counter(m, "late_total", "", "", 1, &c), ORCA_EINVAL);
  orca__mshard *s0 = orca__metrics_shard(m, 0), *s1 = orca__metrics_shard(m, 1),
               *s2 = orca__metrics_shard(m, 2);
  assert_true(s2->shared && !s0->shared);
  assert_ptr_equal(orca__metrics_shard(m, 99), s2);
  orca__metrics_add(s0, m, 0, 0, 2);
  orca__metrics_add(s1, m, 0, 0, 3);
  orca__metrics_add(s2, m, 0, 1, 1);
  orca__metrics_add(s2, m, 0, 7, 1);           /* a series past the end is ignored */
  orca__metrics_observe(s0, m, h, 0, 500);     /* <= 1 ms */
  orca__metrics_observe(s1, m, h, 0, 1000);    /* <= 1 ms: bounds are inclusive */
  orca__metrics_observe(s1, m, h, 0, 5000);    /* <= 10 ms */
  orca__metrics_observe(s2, m, h, 0, 2000000); /* +Inf */
  orca__metrics_observe(s2, m, h, 0, -5);      /* counts as 0 */
  orca_buf b = ORCA_BUF_INIT;
  const char *t = text_of(m, &b);
  assert_non_null(strstr(t, "# HELP t_done_total Done \\\\ things\\nhere.\n"
                            "# TYPE t_done_total counter\n"));
  assert_non_null(strstr(t, "t_done_total{task=\"a\\\"b\\\\c\\nd\",queue=\"q\"} 5\n"));
  assert_non_null(strstr(t, "t_done_total{task=\"x\",queue=\"q\"} 1\n"));
  assert_non_null(strstr(t, "# TYPE t_run_seconds histogram\n"));
  assert_non_null(strstr(t, "t_run_seconds_bucket{task=\"x\",le=\"0.001\"} 3\n"));
  assert_non_null(strstr(t, "t_run_seconds_bucket{task=\"x\",le=\"0.01\"} 4\n"));
  assert_non_null(strstr(t, "t_run_seconds_bucket{task=\"x\",le=\"+Inf\"} 5\n"));
  assert_non_null(strstr(t, "t_run_seconds_sum{task=\"x\"} 2.006500\n"));
  assert_non_null(strstr(t, "t_run_seconds_count{task=\"x\"} 5\n"));
  assert_non_null(strstr(t, "t_plain_total 0\n"));
  orca_buf_free(&b);
  orca__metrics_close(m);
}

static void test_refusals(void **state) {
  (void)state;
  orca__metrics *m;
  size_t id;
  assert_int_equal(orca__metrics_open(&m), 0);
  assert_int_equal(orca__metrics_counter(m, "9bad", "", "", 1, &id), ORCA_EINVAL);
  assert_int_equal(orca__metrics_counter(m, "ok_total", "", "a-b", 1, &id), ORCA_EINVAL);
  assert_int_equal(orca__metrics_counter(m, "ok_total", "", "", 2, &id), ORCA_EINVAL);
  assert_int_equal(orca__metrics_counter(m, "ok_total", "", "a,b,c,d,e", 1, &id), ORCA_EINVAL);
  assert_int_equal(orca__metrics_histogram(m, "h_seconds", "", "", 1, NULL, 0, &id), ORCA_EINVAL);
  assert_int_equal(orca__metrics_counter(m, "ok_total", "", "a", 1, &id), 0);
  const char *v[] = {"x"};
  assert_int_equal(orca__metrics_label(m, id, 1, v), ORCA_EINVAL);
  assert_int_equal(orca__metrics_label(m, id + 1, 0, v), ORCA_EINVAL);
  orca__metrics_close(m);
}

#define WRITERS 4
#define ADDS 200000

typedef struct writer {
  orca__metrics *m;
  orca__mshard *own, *shared;
} writer;

static void *write_many(void *arg) {
  writer *w = arg;
  for (int i = 0; i < ADDS; i++) {
    orca__metrics_add(w->own, w->m, 0, 0, 1);
    orca__metrics_add(w->shared, w->m, 0, 0, 1);
  }
  return NULL;
}

/* Exclusive shards and the shared one lose nothing under concurrent
 * writers, and a scrape while they write never fails. */
static void test_concurrent(void **state) {
  (void)state;
  orca__metrics *m;
  size_t id;
  assert_int_equal(orca__metrics_open(&m), 0);
  assert_int_equal(orca__metrics_counter(m, "n_total", "", "", 1, &id), 0);
  assert_int_equal(orca__metrics_start(m, WRITERS + 1, WRITERS), 0);
  pthread_t th[WRITERS];
  writer ws[WRITERS];
  for (int i = 0; i < WRITERS; i++) {
    ws[i] = (writer){m, orca__metrics_shard(m, (size_t)i), orca__metrics_shard(m, WRITERS)};
    assert_int_equal(pthread_create(&th[i], NULL, write_many, &ws[i]), 0);
  }
  orca_buf b = ORCA_BUF_INIT;
  for (int i = 0; i < 20; i++)
    text_of(m, &b);
  for (int i = 0; i < WRITERS; i++)
    pthread_join(th[i], NULL);
  char want[64];
  snprintf(want, sizeof want, "\nn_total %d\n", 2 * WRITERS * ADDS);
  assert_non_null(strstr(text_of(m, &b), want));
  orca_buf_free(&b);
  orca__metrics_close(m);
}

static void test_log_json(void **state) {
  (void)state;
  char line[512];
  orca__log_set_worker("w-1");
  orca__log_set_task("01ABC", "shop.ping", "default");
  size_t n = orca_log_json_line(ORCA_LOG_WARN, "say \"hi\"\\\n\x01", line, sizeof line);
  assert_int_equal(n, strlen(line));
  assert_non_null(strstr(line, "\"level\":\"warn\",\"worker\":\"w-1\",\"task_id\":\"01ABC\","
                               "\"task\":\"shop.ping\",\"queue\":\"default\","
                               "\"message\":\"say \\\"hi\\\"\\\\\\u000a\\u0001\"}"));
  assert_memory_equal(line, "{\"time\":\"", 9);
  orca_log_context ctx;
  orca_log_get_context(&ctx);
  assert_string_equal(ctx.task, "shop.ping");
  orca__log_set_task(NULL, NULL, NULL);
  orca__log_set_worker(NULL);
  n = orca_log_json_line(ORCA_LOG_INFO, "m", line, sizeof line);
  assert_null(strstr(line, "worker"));
  /* too small: the length of the whole line, and no partial line */
  char tiny[8];
  assert_int_equal(orca_log_json_line(ORCA_LOG_INFO, "m", tiny, sizeof tiny), n);
  orca_log_format f = ORCA_LOG_TEXT;
  assert_int_equal(orca_log_format_parse("json", &f), 0);
  assert_int_equal(f, ORCA_LOG_JSON);
  assert_int_equal(orca_log_format_parse("JSON", &f), ORCA_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_concurrent),
      cmocka_unit_test(test_log_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
