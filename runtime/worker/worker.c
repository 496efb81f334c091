/* worker.c — a worker's life cycle and its libuv loop thread.
 *
 * orca_worker_new checks the options, opens the backend (so a bad URL fails
 * before anything starts) and sizes everything: slots = concurrency +
 * prefetch, one arena per handler thread. orca_worker_run starts the pump and
 * the handler threads and then runs the loop on the calling thread:
 *   - uv_async: wake-ups from other threads (stop requested, an attempt with
 *     a timeout started, the pump exited);
 *   - timeout timer: armed at the earliest attempt timeout; marks the
 *     context of a timed-out attempt cancelled;
 *   - renewal timer: every lease/3, asks the pump to extend all leases;
 *   - grace timer: started by stop; when it fires, running tasks are
 *     cancelled and released;
 *   - signals (install_signals): SIGINT/SIGTERM stop gracefully (a second
 *     one ends the grace at once), SIGHUP reloads hooks;
 *   - the TimeKeeper's timer (schedules, deferred tasks, retries).
 * The loop ends when the pump has handed everything back. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/id.h"
#include "orca/log.h"
#include "timekeeper/timekeeper.h"
#include "worker/worker_internal.h"

#define DEFAULT_LEASE_US (15LL * 1000000)
#define DEFAULT_GRACE_US (10LL * 1000000)

static char *dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

static void on_async(uv_async_t *a);

static uint64_t ms_ceil(int64_t us) {
  return us <= 0 ? 0 : (uint64_t)((us + 999) / 1000);
}

int orca_worker_new(const orca_worker_opts *opts, orca_worker **out, orca_err *err) {
  orca_worker_opts o = {0};
  if (opts)
    o = *opts;
  *out = NULL;
  if (o.lease_us < 0 || o.grace_us < 0)
    return orca_err_set(err, ORCA_EINVAL, "worker: lease and grace must not be negative");
  orca_worker *w = calloc(1, sizeof *w);
  if (!w)
    return orca_err_set(err, ORCA_ENOMEM, "worker: out of memory");
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->work_cv, NULL);
  pthread_cond_init(&w->pump_cv, NULL);
  pthread_cond_init(&w->idle_cv, NULL);
  atomic_init(&w->stop_requested, false);
  if (o.queues) {
    int rc = orca__queues_parse(o.queues, &w->queues, err);
    if (rc) {
      orca_worker_free(w);
      return rc;
    }
    w->queues_given = true;
  }
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  w->concurrency = o.concurrency ? o.concurrency : (unsigned)(ncpu > 0 ? ncpu : 1);
  /* Like Celery's prefetch multiplier (4): enough tasks per backend round trip
   * that fast tasks are not bound by fetch latency, few enough that one
   * worker does not hoard a queue of slow tasks. Prefetched leases are
   * renewed with the running ones. */
  w->prefetch = o.prefetch ? o.prefetch : (w->concurrency * 4 > 16 ? w->concurrency * 4 : 16);
  if (w->concurrency > 4096 || w->prefetch > 65536) {
    orca_worker_free(w);
    return orca_err_set(err, ORCA_EINVAL, "worker: concurrency %u or prefetch %u too large",
                        o.concurrency, o.prefetch);
  }
  w->lease_us = o.lease_us ? o.lease_us : DEFAULT_LEASE_US;
  w->grace_us = o.grace_us ? o.grace_us : DEFAULT_GRACE_US;
  w->max_tasks = o.max_tasks;
  w->install_signals = o.install_signals;
  w->run_schedules = o.run_schedules;
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
  w->nslots = (size_t)w->concurrency + w->prefetch;
  w->slots = calloc(w->nslots, sizeof *w->slots);
  w->threads = calloc(w->concurrency, sizeof *w->threads);
  w->comps = calloc(w->nslots, sizeof *w->comps);
  w->lease_ptrs = calloc(w->nslots, sizeof *w->lease_ptrs);
  w->batch = calloc(w->nslots, sizeof *w->batch);
  w->release = calloc(w->nslots, sizeof *w->release);
  w->ext_status = calloc(w->nslots, sizeof *w->ext_status);
  if ((o.backend && !w->backend_url) || (o.hooks_file && !w->hooks_file) || !w->slots ||
      !w->threads || !w->comps || !w->lease_ptrs || !w->batch || !w->release || !w->ext_status) {
    orca_worker_free(w);
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
    orca_worker_free(w);
    return orca_err_set(err, ORCA_ENOMEM, "worker: cannot create the event loop");
  }
  uv_async_init(&w->loop, &w->async, on_async);
  w->async.data = w;
  uv_unref((uv_handle_t *)&w->async); /* stop() may use it until free */

  orca__backend_opts bo = {.clock = w->clock};
  int rc = orca__backend_open(o.backend, &bo, &w->b, err);
  if (rc) {
    orca_worker_free(w);
    return rc;
  }
  *out = w;
  return 0;
}

int orca_worker_handle(orca_worker *w, const orca_task_desc *task, orca_fn fn) {
  if (!w || !task || !task->name || !task->invoke || !task->args_type || !fn)
    return ORCA_EINVAL;
  if (w->running)
    return ORCA_ESTATE;
  if (orca__worker_find(w, task->name, strlen(task->name)))
    return ORCA_EDUPLICATE;
  if (w->nhandlers == w->caphandlers) {
    size_t cap = w->caphandlers ? w->caphandlers * 2 : 8;
    orca__handler *h = realloc(w->handlers, cap * sizeof *h);
    if (!h)
      return ORCA_ENOMEM;
    w->handlers = h;
    w->caphandlers = cap;
  }
  w->handlers[w->nhandlers].task = task;
  w->handlers[w->nhandlers].fn = fn;
  w->nhandlers++;
  return 0;
}

int orca_worker_add_schema(orca_worker *w, const orca_schema *schema) {
  if (!w || !schema)
    return ORCA_EINVAL;
  if (w->running)
    return ORCA_ESTATE;
  const orca_schema **s = realloc(w->schemas, (w->nschemas + 1) * sizeof *s);
  if (!s)
    return ORCA_ENOMEM;
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

/* ---- loop thread ---- */

static void on_timeout(uv_timer_t *t);

/* Flag timed-out attempts and arm the timer at the next attempt timeout. */
static void arm_timeouts(orca_worker *w) {
  int64_t now = orca_monotonic_us(), next = 0;
  pthread_mutex_lock(&w->mu);
  for (unsigned i = 0; i < w->concurrency; i++) {
    orca__hthread *ht = &w->threads[i];
    if (!ht->cur || !ht->timeout_at)
      continue;
    int64_t due = ht->timeout_at;
    if (now >= ht->timeout_at) {
      int none = ORCA__CANCEL_NONE;
      if (atomic_compare_exchange_strong(&ht->ctx.cancelled, &none, ORCA__CANCEL_TIMEOUT))
        orca_log(ORCA_LOG_WARN, "worker %s: task %s timed out; its context is cancelled", w->id,
                 ht->cur->lease.id);
      /* A handler cannot be killed: say so once if it ignores the cancel
       * for longer than the grace period (design.md, "Timeouts"). */
      due = ht->timeout_at + w->grace_us;
      if (now >= due && !ht->stuck_warned) {
        ht->stuck_warned = true;
        orca_log(ORCA_LOG_WARN,
                 "worker %s: task %s has not returned %lld ms after its timeout; its thread "
                 "stays busy and its lease is kept until it returns",
                 w->id, ht->cur->lease.id, (long long)(w->grace_us / 1000));
      }
      if (ht->stuck_warned)
        continue;
    }
    if (!next || due < next)
      next = due;
  }
  pthread_mutex_unlock(&w->mu);
  if (w->closing)
    return;
  if (next)
    uv_timer_start(&w->timeout_timer, on_timeout, ms_ceil(next - now), 0);
  else
    uv_timer_stop(&w->timeout_timer);
}

static void on_timeout(uv_timer_t *t) {
  arm_timeouts(t->data);
}

static void on_renew(uv_timer_t *t) {
  orca_worker *w = t->data;
  pthread_mutex_lock(&w->mu);
  w->extend_due = true;
  orca__pump_wake_locked(w);
  pthread_mutex_unlock(&w->mu);
}

static void on_grace(uv_timer_t *t) {
  orca_worker *w = t->data;
  pthread_mutex_lock(&w->mu);
  w->grace_over = true;
  for (unsigned i = 0; i < w->concurrency; i++) {
    if (w->threads[i].cur) {
      int none = ORCA__CANCEL_NONE;
      atomic_compare_exchange_strong(&w->threads[i].ctx.cancelled, &none, ORCA__CANCEL_SHUTDOWN);
    }
  }
  orca__pump_wake_locked(w);
  pthread_mutex_unlock(&w->mu);
}

static void close_cb(uv_handle_t *h) {
  (void)h;
}

static void close_all(orca_worker *w) {
  orca_log(ORCA_LOG_DEBUG, "worker %s: closing the loop", w->id);
  w->closing = true;
  uv_close((uv_handle_t *)&w->timeout_timer, close_cb);
  uv_close((uv_handle_t *)&w->renew_timer, close_cb);
  uv_close((uv_handle_t *)&w->grace_timer, close_cb);
  if (w->install_signals) {
    uv_close((uv_handle_t *)&w->sig_int, close_cb);
    uv_close((uv_handle_t *)&w->sig_term, close_cb);
    uv_close((uv_handle_t *)&w->sig_hup, close_cb);
  }
  if (w->timekeeper) {
    orca__timekeeper_close(w->timekeeper);
    w->timekeeper = NULL;
  }
}

static void begin_stop(orca_worker *w) {
  if (w->grace_started || w->closing)
    return;
  w->grace_started = true;
  pthread_mutex_lock(&w->mu);
  w->stopping = true;
  pthread_cond_broadcast(&w->work_cv);
  orca__pump_wake_locked(w);
  pthread_mutex_unlock(&w->mu);
  orca_log(ORCA_LOG_INFO, "worker %s: stopping; running tasks have %lld ms to finish", w->id,
           (long long)(w->grace_us / 1000));
  uv_timer_start(&w->grace_timer, on_grace, ms_ceil(w->grace_us), 0);
}

static void on_async(uv_async_t *a) {
  orca_worker *w = a->data;
  if (w->closing)
    return;
  if (atomic_load(&w->stop_requested))
    begin_stop(w);
  arm_timeouts(w);
  pthread_mutex_lock(&w->mu);
  bool exited = w->pump_exited;
  pthread_mutex_unlock(&w->mu);
  if (exited)
    close_all(w);
}

static void on_signal(uv_signal_t *s, int signum) {
  orca_worker *w = s->data;
  if (signum == SIGHUP) {
    orca_log(ORCA_LOG_INFO, "worker %s: SIGHUP: reloading hooks", w->id);
    orca__hooks_request_reload();
    return;
  }
  if (!w->grace_started) {
    orca_log(ORCA_LOG_INFO, "worker %s: %s (send it again to stop at once)", w->id,
             signum == SIGINT ? "SIGINT" : "SIGTERM");
    orca_worker_stop(w);
  } else {
    orca_log(ORCA_LOG_INFO, "worker %s: second signal: releasing in-flight tasks now", w->id);
    uv_timer_stop(&w->grace_timer);
    on_grace(&w->grace_timer);
  }
}

static int start_timekeeper(orca_worker *w, orca_err *err) {
  orca__timekeeper *tk = NULL;
  int rc = orca__timekeeper_new(&w->loop, w->backend_url, w->clock, w->id, &tk, err);
  if (rc)
    return rc;
  for (size_t i = 0; w->run_schedules && i < w->nschemas; i++) {
    for (uint32_t k = 0; k < w->schemas[i]->nschedules; k++) {
      rc = orca__timekeeper_add(tk, w->schemas[i]->schedules[k], err);
      if (rc) {
        orca__timekeeper_close(tk);
        return rc;
      }
    }
  }
  rc = orca__timekeeper_start(tk);
  if (rc) {
    orca__timekeeper_close(tk);
    return orca_err_set(err, rc, "worker %s: cannot start the TimeKeeper", w->id);
  }
  w->timekeeper = tk;
  return 0;
}

/* One hooks state per handler thread, loaded before anything starts so a
 * broken hook file stops the worker at once with "file:line: message". */
static int open_hooks(orca_worker *w, orca_err *err) {
  bool any = w->hooks_file != NULL;
  for (size_t i = 0; i < w->nhandlers; i++)
    any = any || w->handlers[i].task->hook;
  for (unsigned t = 0; any && t < w->concurrency; t++) {
    int rc = orca__hooks_open(w->hooks_file, NULL, &w->threads[t].hooks, err);
    for (size_t i = 0; rc == 0 && i < w->nhandlers; i++)
      rc = orca__hooks_add_task(w->threads[t].hooks, w->handlers[i].task, err);
    if (rc)
      return rc;
  }
  return 0;
}

static void close_hooks(orca_worker *w) {
  for (unsigned t = 0; w->threads && t < w->concurrency; t++) {
    orca__hooks_close(w->threads[t].hooks);
    w->threads[t].hooks = NULL;
  }
}

static void join_settled(orca_worker *w) {
  pthread_mutex_lock(&w->mu);
  for (;;) {
    bool settled = true;
    for (unsigned i = 0; i < w->concurrency; i++) {
      orca__hthread *ht = &w->threads[i];
      if (ht->started && !ht->exited && !(ht->cur && ht->cur->abandoned))
        settled = false;
    }
    if (settled)
      break;
    pthread_cond_wait(&w->idle_cv, &w->mu);
  }
  pthread_mutex_unlock(&w->mu);
  for (unsigned i = 0; i < w->concurrency; i++) {
    orca__hthread *ht = &w->threads[i];
    pthread_mutex_lock(&w->mu);
    bool exited = ht->exited;
    pthread_mutex_unlock(&w->mu);
    if (ht->started && exited) {
      pthread_join(ht->tid, NULL);
      ht->started = false;
    }
  }
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
  int rc = open_hooks(w, err);
  if (rc) {
    close_hooks(w);
    return rc;
  }
  w->prepared = true;
  return 0;
}

int orca_worker_run(orca_worker *w) {
  if (!w || w->running || w->closing)
    return ORCA_ESTATE;
  if (!w->prepared) {
    orca_err herr = {0};
    int hrc = orca__worker_prepare(w, &herr);
    if (hrc) {
      orca_log(ORCA_LOG_ERROR, "worker %s: %s", w->id, herr.msg);
      return hrc;
    }
  }
  w->running = true;
  uv_timer_init(&w->loop, &w->timeout_timer);
  uv_timer_init(&w->loop, &w->renew_timer);
  uv_timer_init(&w->loop, &w->grace_timer);
  w->timeout_timer.data = w->renew_timer.data = w->grace_timer.data = w;
  if (w->install_signals) {
    uv_signal_t *sigs[] = {&w->sig_int, &w->sig_term, &w->sig_hup};
    int nums[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
      uv_signal_init(&w->loop, sigs[i]);
      sigs[i]->data = w;
      uv_signal_start(sigs[i], on_signal, nums[i]);
    }
  }
  orca_err err = {0};
  int rc = start_timekeeper(w, &err);
  if (rc) {
    orca_log(ORCA_LOG_ERROR, "worker %s: %s", w->id, err.msg);
    close_all(w);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    w->running = false;
    return rc;
  }
  int64_t every = w->lease_us / 3 > 1000 ? w->lease_us / 3 : 1000;
  uv_timer_start(&w->renew_timer, on_renew, ms_ceil(every), ms_ceil(every));

  for (unsigned i = 0; i < w->concurrency; i++) {
    if (pthread_create(&w->threads[i].tid, NULL, orca__handler_main, &w->threads[i]) == 0)
      w->threads[i].started = true;
    else
      rc = ORCA_ENOMEM;
  }
  if (rc == 0 && pthread_create(&w->pump_tid, NULL, orca__pump_main, w) == 0)
    w->pump_started = true;
  else
    rc = ORCA_ENOMEM;
  if (rc) {
    orca_log(ORCA_LOG_ERROR, "worker %s: cannot start threads", w->id);
    orca_worker_stop(w);
    if (!w->pump_started) {
      /* Without a pump nothing will report its exit: do it here. */
      pthread_mutex_lock(&w->mu);
      w->pump_exited = true;
      pthread_mutex_unlock(&w->mu);
    }
  }
  orca_log(ORCA_LOG_INFO, "worker %s: running %u thread(s) on %zu queue(s)", w->id, w->concurrency,
           w->queues.n);
  uv_async_send(&w->async); /* pick up a stop requested before run */
  uv_run(&w->loop, UV_RUN_DEFAULT);
  if (w->pump_started) {
    pthread_join(w->pump_tid, NULL);
    w->pump_started = false;
  }
  join_settled(w);
  w->running = false;
  return rc;
}

void orca_worker_free(orca_worker *w) {
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
  close_hooks(w);
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
  free(w);
}
