/* worker.c — a worker's life cycle: create, register handlers and schemas,
 * prepare, stop, free. The loop thread that orca_worker_run becomes lives in
 * loop.c, the backend I/O thread in pump.c, the handler threads in pool.c.
 *
 * orca_worker_open checks the options, opens the backend (so a bad URL fails
 * before anything starts) and sizes everything: slots = concurrency +
 * prefetch (+ the adaptive window's cap when no prefetch is given;
 * batch.h), one arena per handler thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/id.h"
#include "orca/log.h"
#include "worker/seams.h"
#include "worker/worker_internal.h"

#define DEFAULT_LEASE_US (15LL * 1000000)
#define DEFAULT_GRACE_US (10LL * 1000000)

static char *dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

int orca_worker_open(const orca_worker_opts *opts, orca_worker **out, orca_err *err) {
  orca_worker_opts o = {0};
  if (opts)
    o = *opts;
  *out = NULL;
  if (o.lease_us < 0 || o.grace_us < 0 || o.schedule_grace_us < 0)
    return orca_err_set(err, ORCA_EINVAL, "worker: lease and grace must not be negative");
  orca_worker *w = calloc(1, sizeof *w);
  if (!w)
    return orca_err_set(err, ORCA_ENOMEM, "worker: out of memory");
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->work_cv, NULL);
  pthread_cond_init(&w->pump_cv, NULL);
  pthread_cond_init(&w->idle_cv, NULL);
  pthread_mutex_init(&w->live_mu, NULL);
  atomic_init(&w->stop_requested, false);
  if (o.queues) {
    int rc = orca__queues_parse(o.queues, &w->queues, err);
    if (rc) {
      orca_worker_close(w);
      return rc;
    }
    w->queues_given = true;
  }
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  w->concurrency = o.concurrency ? o.concurrency : (unsigned)(ncpu > 0 ? ncpu : 1);
  /* 0: the window adapts to task time and round trip (batch.h). Prefetched
   * leases are renewed with the running ones. */
  w->prefetch = o.prefetch;
  if (w->concurrency > ORCA_WORKER_MAX_CONCURRENCY || w->prefetch > ORCA_WORKER_MAX_PREFETCH) {
    orca_worker_close(w);
    return orca_err_set(err, ORCA_EINVAL, "worker: concurrency %u or prefetch %u too large",
                        o.concurrency, o.prefetch);
  }
  w->lease_us = o.lease_us ? o.lease_us : DEFAULT_LEASE_US;
  w->grace_us = o.grace_us ? o.grace_us : DEFAULT_GRACE_US;
  w->schedule_grace_us = o.schedule_grace_us;
  w->max_tasks = o.max_tasks;
  w->install_signals = o.install_signals;
  w->run_schedules = o.run_schedules;
  w->run_peer = o.run_peer;
  w->user = o.user;
  w->clock = o.clock ? o.clock : &orca_clock_real;
  w->rng = orca__random_seed();
  if (o.worker_id) {
    snprintf(w->id, sizeof w->id, "%s", o.worker_id);
  } else {
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(w->id, sizeof w->id, "%s:%d:%04x", host, (int)getpid(), (unsigned)(w->rng & 0xffff));
  }
  w->backend_url = dup_or_null(o.backend);
  w->hooks_file = dup_or_null(o.hooks_file);
  w->metrics_listen = dup_or_null(o.metrics);
  w->peer_addr = dup_or_null(o.peer_addr);
  w->peer_join = dup_or_null(o.peer_join);
  w->cluster_key_file = dup_or_null(o.cluster_key_file);
  w->nslots = orca__batch_slots(w->concurrency, w->prefetch);
  orca__batch_init(&w->bat, w->concurrency, w->prefetch);
  w->slots = calloc(w->nslots, sizeof *w->slots);
  w->threads = calloc(w->concurrency, sizeof *w->threads);
  w->comps = calloc(w->nslots, sizeof *w->comps);
  w->lease_ptrs = calloc(w->nslots, sizeof *w->lease_ptrs);
  w->batch = calloc(w->nslots, sizeof *w->batch);
  w->release = calloc(w->nslots, sizeof *w->release);
  w->ext_status = calloc(w->nslots, sizeof *w->ext_status);
  if ((o.backend && !w->backend_url) || (o.hooks_file && !w->hooks_file) ||
      (o.peer_addr && !w->peer_addr) || (o.peer_join && !w->peer_join) ||
      (o.cluster_key_file && !w->cluster_key_file) || !w->slots || !w->threads || !w->comps ||
      !w->lease_ptrs || !w->batch || !w->release || !w->ext_status ||
      (o.metrics && !w->metrics_listen)) {
    orca_worker_close(w);
    return orca_err_set(err, ORCA_ENOMEM, "worker: out of memory");
  }
  for (size_t i = 0; i < w->nslots; i++) {
    w->slots[i].next = w->free_list;
    w->free_list = &w->slots[i];
  }
  w->nfree = w->nslots;
  for (unsigned i = 0; i < w->concurrency; i++) {
    w->threads[i].w = w;
    w->threads[i].index = i;
    w->threads[i].rng = orca__random_seed();
    orca_arena_init(&w->threads[i].arena, 16384);
  }
  if (uv_loop_init(&w->loop) != 0) {
    orca_worker_close(w);
    return orca_err_set(err, ORCA_ENOMEM, "worker: cannot create the event loop");
  }
  uv_async_init(&w->loop, &w->async, orca__loop_on_async);
  w->async.data = w;
  uv_unref((uv_handle_t *)&w->async); /* stop() may use it until free */

  orca__backend_opts bo = {.clock = w->clock, .task_path = true};
  int rc = orca__backend_open(o.backend, &bo, &w->b, err);
  if (rc) {
    orca_worker_close(w);
    return rc;
  }
  *out = w;
  return 0;
}

int orca_worker_handle(orca_worker *w, const orca_task_desc *task, orca_fn fn, orca_err *err) {
  if (!w || !task || !task->name || !task->invoke || !task->args_type || !fn)
    return orca_err_set(err, ORCA_EINVAL,
                        "orca_worker_handle: NULL worker or handler, or task %s without name, "
                        "invoke or args type",
                        task && task->name ? task->name : "(null)");
  if (w->running)
    return orca_err_set(err, ORCA_ESTATE, "worker %s: cannot add a handler for %s while it runs",
                        w->id, task->name);
  if (orca__worker_find(w, task->name, strlen(task->name)))
    return orca_err_set(err, ORCA_EDUPLICATE, "worker %s: task %s already has a handler", w->id,
                        task->name);
  if (w->nhandlers == w->caphandlers) {
    size_t cap = w->caphandlers ? w->caphandlers * 2 : 8;
    orca__handler *h = realloc(w->handlers, cap * sizeof *h);
    if (!h)
      return orca_err_set(err, ORCA_ENOMEM, "worker %s: out of memory", w->id);
    w->handlers = h;
    w->caphandlers = cap;
  }
  w->handlers[w->nhandlers].task = task;
  w->handlers[w->nhandlers].fn = fn;
  w->nhandlers++;
  return 0;
}

int orca_worker_add_schema(orca_worker *w, const orca_schema *schema, orca_err *err) {
  if (!w || !schema)
    return orca_err_set(err, ORCA_EINVAL, "orca_worker_add_schema: NULL worker or schema");
  if (w->running)
    return orca_err_set(err, ORCA_ESTATE, "worker %s: cannot add a schema while it runs", w->id);
  const orca_schema **s = realloc(w->schemas, (w->nschemas + 1) * sizeof *s);
  if (!s)
    return orca_err_set(err, ORCA_ENOMEM, "worker %s: out of memory", w->id);
  w->schemas = s;
  w->schemas[w->nschemas++] = schema;
  return 0;
}

const orca__handler *orca__worker_find(const orca_worker *w, const char *name, size_t len) {
  for (size_t i = 0; i < w->nhandlers; i++) {
    const char *n = w->handlers[i].task->name;
    if (strncmp(n, name, len) == 0 && n[len] == '\0')
      return &w->handlers[i];
  }
  return NULL;
}

void orca__worker_wake_loop(orca_worker *w) {
  uv_async_send(&w->async);
}

void orca_worker_stop(orca_worker *w) {
  if (!w)
    return;
  atomic_store(&w->stop_requested, true);
  uv_async_send(&w->async);
}

/* A log that ignores priorities (Kafka) refuses, at start, a task with
 * @priority on a queue this worker serves, unless the URL accepted that
 * (priorities=ignore): the priority would silently mean nothing. */
static int check_priorities(orca_worker *w, orca_err *err) {
  const orca__log *log = w->b->log;
  if (!log || (log->ops->caps & ORCA__LOG_ORDERED) || log->priorities_ignored)
    return 0;
  for (size_t i = 0; i < w->nhandlers; i++) {
    const orca_task_desc *t = w->handlers[i].task;
    const char *q = t->queue && *t->queue ? t->queue : "default";
    bool served = false;
    for (size_t k = 0; k < w->queues.n && !served; k++)
      served = strcmp(w->queues.q[k].name, q) == 0;
    if (t->priority != 0 && served)
      return orca_err_set(err, ORCA_ENOTSUP,
                          "task %s has @priority(%d) but queue %s is on %s, which has no "
                          "priorities within a queue: use a queue per priority, or "
                          "priorities=ignore in the URL (docs/kafka.md)",
                          t->name, (int)t->priority, q, log->ops->scheme);
  }
  return 0;
}

int orca__worker_prepare(orca_worker *w, orca_err *err) {
  if (w->prepared)
    return 0;
  if (w->nhandlers == 0)
    return orca_err_set(err, ORCA_EINVAL, "no handlers registered");
  if (!w->queues_given) {
    for (size_t i = 0; i < w->nhandlers; i++) {
      const char *q = w->handlers[i].task->queue;
      if (orca__queues_add(&w->queues, q && *q ? q : "default"))
        return orca_err_set(err, ORCA_ELIMIT, "task %s: bad queue name or more than %d queues",
                            w->handlers[i].task->name, ORCA__MAX_QUEUES);
    }
  }
  int rc = check_priorities(w, err);
  if (rc)
    return rc;
  rc = orca__seam_hooks_open(w, err);
  if (rc) {
    orca__seam_hooks_close(w);
    return rc;
  }
  if ((rc = orca__seam_metrics_open(w, err)) != 0) {
    orca__seam_hooks_close(w);
    return rc;
  }
  w->prepared = true;
  return 0;
}

static void close_cb(uv_handle_t *h) {
  (void)h;
}

void orca_worker_close(orca_worker *w) {
  if (!w)
    return;
  /* Stop any handler thread still running an abandoned task: they notice
   * w->stopping once their handler returns. */
  pthread_mutex_lock(&w->mu);
  w->stopping = true;
  pthread_cond_broadcast(&w->work_cv);
  pthread_mutex_unlock(&w->mu);
  if (w->threads) {
    for (unsigned i = 0; i < w->concurrency; i++) {
      if (w->threads[i].started)
        pthread_join(w->threads[i].tid, NULL);
      orca_arena_free(&w->threads[i].arena);
    }
  }
  orca__seam_hooks_close(w);
  orca__seam_metrics_close(w);
  if (w->async.loop) {
    uv_close((uv_handle_t *)&w->async, close_cb);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
  }
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->work_cv);
  pthread_cond_destroy(&w->pump_cv);
  pthread_cond_destroy(&w->idle_cv);
  orca__backend_close(w->b);
  for (size_t i = 0; w->slots && i < w->nslots; i++) {
    orca_buf_free(&w->slots[i].lease.payload);
    orca_buf_free(&w->slots[i].result);
    orca_buf_free(&w->slots[i].retry_payload);
  }
  free(w->slots);
  free(w->threads);
  free(w->comps);
  free(w->lease_ptrs);
  free(w->batch);
  free(w->release);
  free(w->ext_status);
  free(w->handlers);
  free(w->schemas);
  free(w->backend_url);
  free(w->hooks_file);
  free(w->metrics_listen);
  free(w->peer_addr);
  free(w->peer_join);
  free(w->cluster_key_file);
  pthread_mutex_destroy(&w->live_mu);
  free(w);
}
