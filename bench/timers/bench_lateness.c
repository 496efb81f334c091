/* bench_lateness.c — lateness of deferred tasks on a backend: N tasks due
 * over SPREAD seconds (starting 1 s after the enqueue), consumed by one
 * fetcher (batches of 256, blocking fetch as the worker's pump does), and
 * lateness = fetch return - due time, on the wall clock. Prints p50/p99/max
 * in ms and RESULT lines. Usage: bench_lateness URL [N] [SPREAD_S]
 * With ORCA_BENCH_NO_TK=1 no TimeKeeper runs (the fetch alone promotes).
 *
 * bench_lateness URL --pending N only enqueues N tasks due in an hour (the
 * run script measures the memory they take in the backend). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "backend/backend.h"
#include "orca/client.h"
#include "timekeeper/timekeeper.h"

const orca__backend_ops *const force_redis = &orca__redis_ops;
const orca__backend_ops *const force_sqlite = &orca__sqlite_ops;

/* The TimeKeeper on its own loop thread, as a worker runs it: it wakes at
 * each deferred task's due time and promotes it, which wakes the blocked
 * fetch at once instead of at the backend's own timeout granularity. */
typedef struct tk_thread {
  const char *url;
  uv_loop_t loop;
  uv_async_t stop;
  orca__timekeeper *tk;
  pthread_t th;
} tk_thread;

static void on_stop(uv_async_t *a) {
  tk_thread *t = a->data;
  orca__timekeeper_close(t->tk);
  uv_close((uv_handle_t *)a, NULL);
}

static void *tk_main(void *p) {
  tk_thread *t = p;
  uv_run(&t->loop, UV_RUN_DEFAULT);
  return NULL;
}

static int tk_start(tk_thread *t, const char *url) {
  orca_err err = {0};
  uv_loop_init(&t->loop);
  if (orca__timekeeper_open(&t->loop, url, NULL, "bench", &t->tk, &err))
    return fprintf(stderr, "timekeeper: %s\n", err.msg), -1;
  uv_async_init(&t->loop, &t->stop, on_stop);
  t->stop.data = t;
  orca__timekeeper_start(t->tk);
  return pthread_create(&t->th, NULL, tk_main, t);
}

static void tk_stop(tk_thread *t) {
  uv_async_send(&t->stop);
  pthread_join(t->th, NULL);
  uv_loop_close(&t->loop);
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 2)
    return fprintf(stderr, "usage: bench_lateness URL [N] [SPREAD_S]\n"), 2;
  const char *url = argv[1];
  bool pending_only = argc > 2 && strcmp(argv[2], "--pending") == 0;
  if (pending_only)
    argv++, argc--;
  int n = argc > 2 ? atoi(argv[2]) : 10000;
  double spread = argc > 3 ? atof(argv[3]) : 5.0;
  orca__backend *prod, *cons;
  orca_err err = {0};
  if (orca__backend_open(url, NULL, &prod, &err) || orca__backend_open(url, NULL, &cons, &err)) {
    char shown[512]; /* never print a password */
    return fprintf(stderr, "open %s: %s\n", orca_url_redact(url, shown, sizeof shown), err.msg), 1;
  }
  int64_t *due = calloc((size_t)n, sizeof *due), *late = calloc((size_t)n, sizeof *late);
  char(*ids)[48] = calloc((size_t)n, sizeof *ids);
  static const uint8_t payload[64] = {0x80};
  int64_t base = orca_clock_now(NULL) + (pending_only ? 3600000000LL : 1000000);
  orca__job jobs[500];
  orca__enqueue_result res[500];
  for (int i = 0; i < n; i += 500) {
    int k = n - i < 500 ? n - i : 500;
    for (int j = 0; j < k; j++) {
      int id = i + j;
      due[id] = base + (int64_t)((double)id * spread * 1e6 / n);
      snprintf(ids[id], sizeof ids[id], "lat-%lld-%d", (long long)base, id);
      jobs[j] = (orca__job){.id = ids[id],
                            .task = "bench.noop",
                            .queue = "lat",
                            .eta_us = due[id],
                            .payload = payload,
                            .payload_len = sizeof payload};
    }
    if (prod->ops->enqueue(prod, jobs, (size_t)k, res))
      return fprintf(stderr, "enqueue failed\n"), 1;
    for (int j = 0; j < k; j++)
      if (res[j].status)
        return fprintf(stderr, "enqueue of %s: %s\n", jobs[j].id, orca_strerror(res[j].status)), 1;
  }
  if (pending_only) {
    printf("enqueued %d deferred tasks\n", n);
    return 0;
  }
  if (orca_clock_now(NULL) > base)
    fprintf(stderr, "warning: enqueue took longer than 1 s\n");
  tk_thread tk = {0};
  bool with_tk = !getenv("ORCA_BENCH_NO_TK");
  if (with_tk && tk_start(&tk, url))
    return 1;
  static const char *queues[] = {"lat"};
  orca__lease pool[256], *slots[256];
  memset(pool, 0, sizeof pool);
  for (int i = 0; i < 256; i++)
    slots[i] = &pool[i];
  orca__completion c[256];
  int seen = 0;
  int64_t give_up = base + (int64_t)(spread * 1e6) + 30000000; /* a lost task ends the run */
  while (seen < n) {
    if (orca_clock_now(NULL) > give_up)
      return fprintf(stderr, "only %d of %d tasks arrived\n", seen, n), 1;
    orca__fetch_req req = {queues, 1, "bench", 60000000, 1000000};
    size_t got = 0;
    if (cons->ops->fetch(cons, &req, slots, 256, &got))
      return fprintf(stderr, "fetch failed\n"), 1;
    int64_t now = orca_clock_now(NULL);
    for (size_t i = 0; i < got; i++) {
      const char *dash = strrchr(pool[i].id, '-');
      int id = dash ? atoi(dash + 1) : -1;
      if (id >= 0 && id < n && seen < n)
        late[seen++] = now - due[id];
      c[i] = (orca__completion){.lease = &pool[i],
                                .outcome = ORCA__ACK,
                                .state = ORCA_STATE_SUCCEEDED,
                                .worker = "bench",
                                .attempt = 1};
    }
    if (got && cons->ops->complete(cons, c, got))
      return fprintf(stderr, "complete failed\n"), 1;
  }
  if (with_tk)
    tk_stop(&tk);
  qsort(late, (size_t)n, sizeof *late, cmp64);
  double p50 = late[n / 2] / 1000.0, p99 = late[(size_t)n * 99 / 100] / 1000.0,
         mx = late[n - 1] / 1000.0;
  printf("orcastra %-8s%s %d tasks over %.1f s: lateness p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
         prod->ops->scheme, with_tk ? " +timekeeper" : "", n, spread, p50, p99, mx);
  printf("RESULT orca_lateness_p50_ms %.3f\nRESULT orca_lateness_p99_ms %.3f\n"
         "RESULT orca_lateness_max_ms %.3f\n",
         p50, p99, mx);
  for (int i = 0; i < 256; i++)
    orca_buf_free(&pool[i].payload);
  orca__backend_close(prod);
  orca__backend_close(cons);
  free(due);
  free(late);
  free(ids);
  return 0;
}
