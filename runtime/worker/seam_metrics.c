/* seam_metrics.c — a worker's Prometheus metrics (runtime/metrics/) and
 * their HTTP server (runtime/http/), behind worker/seams.h.
 *
 * Recorded (only with --metrics): per task and queue, the ends of
 * deliveries by outcome, run durations and the wait from due to start;
 * backend round trips of the task path; hook calls and failures; the
 * TimeKeeper's fires and their lateness. Series are fixed when the worker is
 * prepared: every registered task (plus "(unknown)" for a delivery without
 * handler) times every queue it serves, so recording is an index, never a
 * lookup in a map or an allocation. Each handler thread and the pump write
 * their own shard; the TimeKeeper's thread and the server's share one.
 *
 * Computed at scrape (gauges): tasks running on threads and leased ahead,
 * concurrency, the worker's identity and start time, and each queue's depth
 * by state from the backend, kept for DEPTH_TTL_US so that scrapes cost at
 * most one backend round trip per that period whatever their rate. docs/
 * operations.md lists every metric. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "metrics/metrics.h"
#include "orca/admin.h"
#include "orca/log.h"
#include "orca/orca.h"
#include "worker/seams.h"
#include "worker/worker_internal.h"

#define DEPTH_TTL_US (5LL * 1000000) /* queue depths are read at most this often */
#define MAX_SHARDS 64                /* handler shards; more threads share them */
#define UNKNOWN_TASK "(unknown)"

/* Counters by task and queue, in the order of task_names. */
enum {
  T_STARTED,
  T_SUCCEEDED,
  T_FAILED,
  T_RETRIED,
  T_DEAD,
  T_CANCELLED,
  T_EXPIRED,
  T_RELEASED,
  T_NCOUNTERS
};
static const char *const task_names[T_NCOUNTERS][2] = {
    {"orca_tasks_started_total", "Attempts whose handler was called."},
    {"orca_tasks_succeeded_total", "Tasks whose handler returned success."},
    {"orca_tasks_failed_total", "Attempts that failed (handler error, timeout, result that "
                                "cannot be encoded); each is retried or dead."},
    {"orca_tasks_retried_total", "Failed attempts given another attempt later."},
    {"orca_tasks_dead_total", "Deliveries put into the dead-letter queue (out of attempts, "
                              "no handler, undecodable, poison)."},
    {"orca_tasks_cancelled_total", "Deliveries ended as cancelled, before or while running."},
    {"orca_tasks_expired_total", "Deliveries not started before their deadline."},
    {"orca_tasks_released_total",
     "Deliveries given back unrun or unfinished (shutdown, a lease lost while waiting)."},
};
static const char *const op_names[ORCA__NOPS] = {"fetch", "complete", "extend", "stats"};
static const char *const hook_names[ORCA__NHP] = {"before_run", "after_run", "on_error"};

typedef struct orca__wmetrics {
  orca__metrics *m;
  size_t nq; /* queues served */
  size_t task_ids[T_NCOUNTERS], run_id, wait_id;
  size_t op_id, op_err_id, op_time_id;
  size_t hook_id, hook_err_id;
  size_t fires_id, skipped_id, late_id;
  orca__mshard *pump, *shared;
  int64_t started_us;
  /* The server (its thread only, after start). */
  orca__http *http;
  orca_client *client;
  orca_queue_stats *depth;
  size_t ndepth, capdepth;
  int64_t depth_at;  /* monotonic µs of the last read, 0 = never */
  bool depth_failed; /* the last read failed (logged once) */
} orca__wmetrics;

bool orca__seam_metrics_on(const orca_worker *w) {
  return w->wm != NULL;
}

static int define_all(orca_worker *w, orca__wmetrics *wm) {
  orca__metrics *m = wm->m;
  size_t ntask = (w->nhandlers + 1) * wm->nq;
  int rc = 0;
  for (int k = 0; k < T_NCOUNTERS && !rc; k++)
    rc = orca__metrics_counter(m, task_names[k][0], task_names[k][1], "task,queue", ntask,
                               &wm->task_ids[k]);
  rc = rc ? rc
          : orca__metrics_histogram(m, "orca_task_run_duration_seconds",
                                    "How long handlers ran, per attempt.", "task,queue", ntask,
                                    orca__metrics_task_bounds, orca__metrics_ntask_bounds,
                                    &wm->run_id);
  rc = rc ? rc
          : orca__metrics_histogram(
                m, "orca_task_start_latency_seconds",
                "From when a delivery came due (its enqueue, eta or retry time) to the start of "
                "its handler.",
                "task,queue", ntask, orca__metrics_task_bounds, orca__metrics_ntask_bounds,
                &wm->wait_id);
  rc = rc ? rc
          : orca__metrics_counter(m, "orca_backend_requests_total",
                                  "Backend calls (round trips) of the task path and the depth "
                                  "reads.",
                                  "op", ORCA__NOPS, &wm->op_id);
  rc = rc ? rc
          : orca__metrics_counter(m, "orca_backend_request_errors_total",
                                  "Backend calls that failed.", "op", ORCA__NOPS, &wm->op_err_id);
  rc = rc ? rc
          : orca__metrics_histogram(
                m, "orca_backend_request_duration_seconds", "How long backend calls took.", "op",
                ORCA__NOPS, orca__metrics_call_bounds, orca__metrics_ncall_bounds, &wm->op_time_id);
  rc = rc ? rc
          : orca__metrics_counter(m, "orca_hook_calls_total", "Lua hook points run.", "point",
                                  ORCA__NHP, &wm->hook_id);
  rc = rc ? rc
          : orca__metrics_counter(m, "orca_hook_errors_total",
                                  "Hook points where a hook failed at run time (error, "
                                  "instruction, time or memory limit).",
                                  "point", ORCA__NHP, &wm->hook_err_id);
  rc = rc ? rc
          : orca__metrics_counter(m, "orca_timekeeper_fires_total",
                                  "Schedule fires this worker's TimeKeeper made (each one task).",
                                  "", 1, &wm->fires_id);
  rc = rc ? rc
          : orca__metrics_counter(m, "orca_timekeeper_fires_skipped_total",
                                  "Missed fires dropped by a schedule's catch-up policy.", "", 1,
                                  &wm->skipped_id);
  rc = rc ? rc
          : orca__metrics_histogram(m, "orca_timekeeper_fire_lateness_seconds",
                                    "How long after its fire time each fire was made.", "", 1,
                                    orca__metrics_task_bounds, orca__metrics_ntask_bounds,
                                    &wm->late_id);
  /* Label values: task x queue, op, point. */
  for (size_t h = 0; h <= w->nhandlers && !rc; h++) {
    for (size_t q = 0; q < wm->nq && !rc; q++) {
      const char *v[2] = {h < w->nhandlers ? w->handlers[h].task->name : UNKNOWN_TASK,
                          w->queues.q[q].name};
      size_t series = h * wm->nq + q;
      for (int k = 0; k < T_NCOUNTERS && !rc; k++)
        rc = orca__metrics_label(m, wm->task_ids[k], series, v);
      rc = rc ? rc : orca__metrics_label(m, wm->run_id, series, v);
      rc = rc ? rc : orca__metrics_label(m, wm->wait_id, series, v);
    }
  }
  for (size_t i = 0; i < ORCA__NOPS && !rc; i++) {
    const char *v[1] = {op_names[i]};
    rc = orca__metrics_label(m, wm->op_id, i, v);
    rc = rc ? rc : orca__metrics_label(m, wm->op_err_id, i, v);
    rc = rc ? rc : orca__metrics_label(m, wm->op_time_id, i, v);
  }
  for (size_t i = 0; i < ORCA__NHP && !rc; i++) {
    const char *v[1] = {hook_names[i]};
    rc = orca__metrics_label(m, wm->hook_id, i, v);
    rc = rc ? rc : orca__metrics_label(m, wm->hook_err_id, i, v);
  }
  return rc;
}

static int collect(void *ud, orca_buf *out);

int orca__seam_metrics_open(orca_worker *w, orca_err *err) {
  if (!w->metrics_listen || w->wm)
    return 0;
  orca__wmetrics *wm = calloc(1, sizeof *wm);
  if (!wm)
    return orca_err_set(err, ORCA_ENOMEM, "worker %s: out of memory for metrics", w->id);
  wm->nq = w->queues.n;
  wm->started_us = orca_clock_now(&orca_clock_real);
  /* Shards: 0 the pump, 1..k the handler threads (shared when there are
   * more threads than MAX_SHARDS), k+1 shared by every other thread. */
  size_t k = w->concurrency < MAX_SHARDS ? w->concurrency : MAX_SHARDS;
  size_t exclusive = w->concurrency <= MAX_SHARDS ? k + 1 : 1;
  int rc = orca__metrics_open(&wm->m);
  rc = rc ? rc : define_all(w, wm);
  rc = rc ? rc : orca__metrics_collector(wm->m, collect, w);
  rc = rc ? rc : orca__metrics_start(wm->m, k + 2, exclusive);
  if (rc) {
    orca__metrics_close(wm->m);
    free(wm);
    return orca_err_set(err, rc, "worker %s: cannot set up metrics: %s", w->id, orca_strerror(rc));
  }
  wm->pump = orca__metrics_shard(wm->m, 0);
  wm->shared = orca__metrics_shard(wm->m, k + 1);
  for (unsigned i = 0; i < w->concurrency; i++)
    w->threads[i].mshard = orca__metrics_shard(wm->m, 1 + i % k);
  w->wm = wm;
  return 0;
}

void orca__seam_metrics_close(orca_worker *w) {
  orca__wmetrics *wm = w->wm;
  if (!wm)
    return;
  for (unsigned i = 0; w->threads && i < w->concurrency; i++)
    w->threads[i].mshard = NULL;
  orca__metrics_close(wm->m);
  free(wm->depth);
  free(wm);
  w->wm = NULL;
}

/* The queue's index in the worker's list (a lease always names one of
 * them); nq when not found. */
static size_t queue_index(const orca_worker *w, const char *queue) {
  for (size_t i = 0; i < w->queues.n; i++)
    if (strcmp(w->queues.q[i].name, queue) == 0)
      return i;
  return w->queues.n;
}

void orca__seam_task_end(orca__hthread *ht, const orca__slot *s, const orca__task_obs *o) {
  orca_worker *w = ht->w;
  orca__wmetrics *wm = w->wm;
  if (!wm || !ht->mshard)
    return;
  size_t q = queue_index(w, s->lease.queue);
  if (q == wm->nq)
    return;
  size_t h = o->h ? (size_t)(o->h - w->handlers) : w->nhandlers;
  size_t series = h * wm->nq + q;
  orca__mshard *sh = ht->mshard;
  const orca__metrics *m = wm->m;
  if (o->ran) {
    orca__metrics_add(sh, m, wm->task_ids[T_STARTED], series, 1);
    orca__metrics_observe(sh, m, wm->run_id, series, o->ended_us - s->started_us);
    if (o->due_us)
      orca__metrics_observe(sh, m, wm->wait_id, series, s->started_us - o->due_us);
  }
  int k = -1;
  switch (s->outcome) {
  case ORCA__ACK:
    k = s->state == ORCA_STATE_SUCCEEDED   ? T_SUCCEEDED
        : s->state == ORCA_STATE_CANCELLED ? T_CANCELLED
        : s->state == ORCA_STATE_EXPIRED   ? T_EXPIRED
                                           : -1;
    break;
  case ORCA__RETRY:
    orca__metrics_add(sh, m, wm->task_ids[T_FAILED], series, 1);
    k = T_RETRIED;
    break;
  case ORCA__DEAD:
    if (o->ran)
      orca__metrics_add(sh, m, wm->task_ids[T_FAILED], series, 1);
    k = T_DEAD;
    break;
  case ORCA__RELEASE:
    k = T_RELEASED;
    break;
  }
  if (k >= 0)
    orca__metrics_add(sh, m, wm->task_ids[k], series, 1);
}

int64_t orca__seam_call_start(const orca_worker *w) {
  return w->wm ? orca_monotonic_us() : 0;
}

void orca__seam_backend_call(orca_worker *w, int op, int64_t t0, int rc) {
  orca__wmetrics *wm = w->wm;
  if (!wm || !t0 || op < 0 || op >= ORCA__NOPS)
    return;
  orca__mshard *sh = op == ORCA__OP_STATS ? wm->shared : wm->pump;
  orca__metrics_add(sh, wm->m, wm->op_id, (size_t)op, 1);
  if (rc)
    orca__metrics_add(sh, wm->m, wm->op_err_id, (size_t)op, 1);
  orca__metrics_observe(sh, wm->m, wm->op_time_id, (size_t)op, orca_monotonic_us() - t0);
}

void orca__seam_hook_call(orca__hthread *ht, int point, bool failed) {
  orca__wmetrics *wm = ht->w->wm;
  if (!wm || !ht->mshard || point < 0 || point >= ORCA__NHP)
    return;
  orca__metrics_add(ht->mshard, wm->m, wm->hook_id, (size_t)point, 1);
  if (failed)
    orca__metrics_add(ht->mshard, wm->m, wm->hook_err_id, (size_t)point, 1);
}

void orca__seam_timekeeper_fires(void *ud, const int64_t *fire_us, size_t n, int64_t made_us,
                                 uint64_t skipped) {
  orca_worker *w = ud;
  orca__wmetrics *wm = w->wm;
  if (!wm)
    return;
  orca__metrics_add(wm->shared, wm->m, wm->fires_id, 0, n);
  if (skipped)
    orca__metrics_add(wm->shared, wm->m, wm->skipped_id, 0, skipped);
  for (size_t i = 0; i < n; i++)
    orca__metrics_observe(wm->shared, wm->m, wm->late_id, 0, made_us - fire_us[i]);
}

/* ---- gauges, at scrape (the server's thread) ---- */

static int gauge(orca_buf *out, const char *name, const char *help, double v) {
  int rc = orca__metrics_put_family(out, name, help, "gauge");
  return rc ? rc : orca__metrics_put_sample(out, name, NULL, NULL, 0, v);
}

static int keep_depth(void *ud, const orca_queue_stats *q) {
  orca__wmetrics *wm = ud;
  if (wm->ndepth == wm->capdepth) {
    size_t cap = wm->capdepth ? wm->capdepth * 2 : 16;
    orca_queue_stats *g = realloc(wm->depth, cap * sizeof *g);
    if (!g)
      return ORCA_ENOMEM;
    wm->depth = g;
    wm->capdepth = cap;
  }
  wm->depth[wm->ndepth++] = *q;
  return 0;
}

/* Read the queue depths when the kept ones are older than DEPTH_TTL_US.
 * A failed read keeps the old numbers (logged once per outage). */
static void refresh_depth(orca_worker *w, orca__wmetrics *wm) {
  int64_t now = orca_monotonic_us();
  if (!wm->client || (wm->depth_at && now - wm->depth_at < DEPTH_TTL_US))
    return;
  wm->depth_at = now;
  size_t kept = wm->ndepth;
  wm->ndepth = 0;
  orca_err err = {0};
  int rc = orca_queue_list(wm->client, keep_depth, wm, &err);
  orca__seam_backend_call(w, ORCA__OP_STATS, now, rc);
  if (rc) {
    wm->ndepth = rc == ORCA_ENOMEM ? 0 : kept;
    if (!wm->depth_failed)
      orca_log(ORCA_LOG_WARN, "worker %s: metrics: cannot read queue depths: %s", w->id,
               err.msg[0] ? err.msg : orca_strerror(rc));
  }
  wm->depth_failed = rc != 0;
}

static int depth_family(orca_buf *out, const orca__wmetrics *wm) {
  static const char *const states[] = {"pending", "running", "scheduled", "dead"};
  static const char *const names[] = {"queue", "state"};
  int rc = orca__metrics_put_family(
      out, "orca_queue_tasks",
      "Tasks in each queue by state, from the backend (the same for every worker; read at most "
      "every 5 s).",
      "gauge");
  for (size_t i = 0; i < wm->ndepth && !rc; i++) {
    const orca_queue_stats *q = &wm->depth[i];
    const uint64_t v[] = {q->pending, q->running, q->scheduled, q->dead};
    for (size_t k = 0; k < 4 && !rc; k++) {
      const char *vals[] = {q->queue, states[k]};
      rc = orca__metrics_put_sample(out, "orca_queue_tasks", names, vals, 2, (double)v[k]);
    }
  }
  return rc;
}

static int collect(void *ud, orca_buf *out) {
  orca_worker *w = ud;
  orca__wmetrics *wm = w->wm;
  unsigned running = 0;
  size_t ready = 0;
  pthread_mutex_lock(&w->mu);
  for (unsigned i = 0; i < w->concurrency; i++)
    running += w->threads[i].cur != NULL;
  for (const orca__slot *s = w->ready_head; s; s = s->next)
    ready++;
  pthread_mutex_unlock(&w->mu);
  refresh_depth(w, wm);
  static const char *const info_names[] = {"worker", "version"};
  const char *info_vals[] = {w->id, ORCA_VERSION_STRING};
  int rc = orca__metrics_put_family(out, "orca_worker_info",
                                    "This worker's id and liborca version (always 1).", "gauge");
  rc = rc ? rc : orca__metrics_put_sample(out, "orca_worker_info", info_names, info_vals, 2, 1);
  rc = rc ? rc
          : gauge(out, "orca_worker_start_time_seconds",
                  "When the worker's metrics started, seconds since the epoch.",
                  (double)wm->started_us / 1e6);
  rc = rc ? rc : gauge(out, "orca_worker_concurrency", "Handler threads.", (double)w->concurrency);
  rc = rc ? rc
          : gauge(out, "orca_worker_slots",
                  "Deliveries the worker holds at most: handler threads plus prefetch.",
                  (double)w->nslots);
  rc = rc ? rc
          : gauge(out, "orca_worker_tasks_in_flight", "Tasks running on handler threads now.",
                  running);
  rc = rc ? rc
          : gauge(out, "orca_worker_tasks_prefetched",
                  "Tasks leased by this worker and waiting for a free handler thread.",
                  (double)ready);
  return rc ? rc : depth_family(out, wm);
}

/* ---- the server ---- */

static void on_http(void *ud, const orca__http_req *req, orca__http_resp *resp) {
  orca_worker *w = ud;
  bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  if (!get) {
    resp->status = 405;
    orca__http_resp_header(resp, "Allow", "GET, HEAD");
    orca_buf_append(&resp->body, "only GET\n", 9);
    return;
  }
  if (strcmp(req->path, "/metrics") == 0) {
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (orca__metrics_write(w->wm->m, &resp->body)) {
      orca_buf_reset(&resp->body);
      resp->status = 500;
      resp->content_type = NULL;
      orca_buf_append(&resp->body, "out of memory\n", 14);
    }
  } else if (strcmp(req->path, "/healthz") == 0) {
    orca_buf_append(&resp->body, "ok\n", 3);
  } else if (strcmp(req->path, "/") == 0) {
    static const char text[] = "Orcastra worker: metrics at /metrics, liveness at /healthz\n";
    orca_buf_append(&resp->body, text, sizeof text - 1);
  } else {
    resp->status = 404;
    orca_buf_append(&resp->body, "not found\n", 10);
  }
}

static int start(orca_worker *w, void **state, orca_err *err) {
  orca__wmetrics *wm = w->wm;
  *state = NULL;
  if (!wm)
    return 0;
  /* A client of its own for the depths: the server's thread is its only
   * user. A backend that cannot be opened only loses the depths. */
  orca_client_opts co = {.backend = w->backend_url, .clock = w->clock};
  orca_err cerr = {0};
  if (orca_client_open(&co, &wm->client, &cerr)) {
    orca_log(ORCA_LOG_WARN, "worker %s: metrics: no queue depths: %s", w->id, cerr.msg);
    wm->client = NULL;
  }
  int rc = orca__http_open("--metrics", w->metrics_listen, on_http, w, &wm->http, err);
  if (rc) {
    orca_client_close(wm->client);
    wm->client = NULL;
    return rc;
  }
  /* The address as given, with the port picked for port 0. */
  const char *colon = strrchr(w->metrics_listen, ':');
  orca_log(ORCA_LOG_INFO, "worker %s: metrics on http://%.*s:%u/metrics", w->id,
           (int)(colon - w->metrics_listen), w->metrics_listen, orca__http_port(wm->http));
  *state = w;
  return 0;
}

static void stop(void *state) {
  orca_worker *w = state;
  if (!w)
    return;
  orca__http_close(w->wm->http);
  w->wm->http = NULL;
  orca_client_close(w->wm->client);
  w->wm->client = NULL;
}

const orca__loop_service orca__metrics_service = {"metrics", start, stop};
