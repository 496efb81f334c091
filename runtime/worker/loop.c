/* loop.c — the worker's libuv loop thread: orca_worker_run starts the pump
 * and the handler threads and then runs the loop on the calling thread:
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
#include <string.h>

#include "base/logctx.h"
#include "orca/log.h"
#include "worker/seams.h"
#include "worker/worker_internal.h"

/* The loop services every worker runs (worker/seams.h), in start order. */
const orca__loop_service *const orca__loop_services[] = {
    &orca__peer_service, &orca__timekeeper_service, &orca__metrics_service};
const size_t orca__nloop_services = sizeof orca__loop_services / sizeof orca__loop_services[0];
_Static_assert(sizeof orca__loop_services / sizeof orca__loop_services[0] <=
                   ORCA__MAX_LOOP_SERVICES,
               "raise ORCA__MAX_LOOP_SERVICES");

static uint64_t ms_ceil(int64_t us) {
  return us <= 0 ? 0 : (uint64_t)((us + 999) / 1000);
}

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

/* Stop the started loop services, last started first. */
static void stop_services(orca_worker *w) {
  while (w->nservices > 0) {
    w->nservices--;
    orca__loop_services[w->nservices]->stop(w->services[w->nservices]);
    w->services[w->nservices] = NULL;
  }
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
  stop_services(w);
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

void orca__loop_on_async(uv_async_t *a) {
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
    orca__seam_hooks_reload();
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

/* Start the loop services in order; on failure stop those started. */
static int start_services(orca_worker *w, orca_err *err) {
  for (size_t i = 0; i < orca__nloop_services; i++) {
    int rc = orca__loop_services[i]->start(w, &w->services[i], err);
    if (rc)
      return rc;
    w->nservices = i + 1;
  }
  return 0;
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

int orca_worker_run(orca_worker *w, orca_err *err) {
  if (!w)
    return orca_err_set(err, ORCA_EINVAL, "orca_worker_run: NULL worker");
  if (w->running || w->closing)
    return orca_err_set(err, ORCA_ESTATE, "worker %s: already running or stopped", w->id);
  if (!w->prepared) {
    int hrc = orca__worker_prepare(w, err);
    if (hrc) {
      orca_log(ORCA_LOG_ERROR, "worker %s: %s", w->id, err ? err->msg : orca_strerror(hrc));
      return hrc;
    }
  }
  w->running = true;
  orca__log_set_worker(w->id); /* the caller's thread: cleared when run returns */
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
  orca_err serr = {0};
  int rc = start_services(w, &serr);
  if (rc) {
    orca_log(ORCA_LOG_ERROR, "worker %s: %s", w->id, serr.msg);
    if (err)
      *err = serr;
    close_all(w);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    w->running = false;
    orca__log_set_worker(NULL);
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
    orca_err_set(err, rc, "worker %s: cannot start threads", w->id);
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
  orca__log_set_worker(NULL);
  return rc;
}
