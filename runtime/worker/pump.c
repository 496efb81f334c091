/* pump.c — the backend I/O thread of a worker.
 *
 * The pump owns the worker's backend handle and makes every backend call of
 * the task path, always in batches:
 *   - complete(): every completion that handler threads queued since the
 *     last call, in ONE call (one SQLite transaction);
 *   - extend(): the leases of every delivery the worker holds, in one call,
 *     when the loop's renewal timer says so; a cancel request for a running
 *     task comes back here (ECANCELLED) and flags its context;
 *   - fetch(): enough tasks to fill the free threads and the prefetch window
 *     (batch.h sizes it from task time and round trip), queues in weighted
 *     random order. While tasks are in flight a fetch does not wait; only
 *     when it finds nothing does the next one block a while, and handler
 *     threads interrupt that wait when they finish, so completions never sit
 *     behind an idle fetch (and a fetch that is bringing tasks is not cut).
 * At shutdown it stops fetching, releases what no thread has started, and
 * after the grace period releases what is still running. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/logctx.h"
#include "orca/log.h"
#include "worker/seams.h"
#include "worker/worker_internal.h"

#define FETCH_WAIT_US 1000000 /* longest idle fetch; wake-ups cut it short */
#define ERROR_BACKOFF_US 200000

void orca__pump_wake_locked(orca_worker *w) {
  pthread_cond_signal(&w->pump_cv);
  if (w->pump_in_fetch)
    w->b->ops->interrupt(w->b);
}

static void timed_wait(orca_worker *w, int64_t us) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t ns = ts.tv_nsec + (us % 1000000) * 1000;
  ts.tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  pthread_cond_timedwait(&w->pump_cv, &w->mu, &ts);
}

static void fill_completion(orca_worker *w, orca__slot *s, bool release, orca__completion *c) {
  memset(c, 0, sizeof *c);
  c->lease = &s->lease;
  c->worker = w->id;
  if (release) {
    c->outcome = ORCA__RELEASE;
    c->state = ORCA_STATE_PENDING;
    return;
  }
  c->outcome = s->outcome;
  c->state = s->state;
  c->attempt = s->attempt;
  c->started_us = s->started_us;
  c->error = s->has_error ? s->error : NULL;
  c->ttl_us = s->ttl_us;
  if (s->outcome == ORCA__ACK && s->state == ORCA_STATE_SUCCEEDED && s->result.len) {
    c->result = s->result.data;
    c->result_len = s->result.len;
  }
  if (s->outcome == ORCA__RETRY) {
    c->payload = s->retry_payload.data;
    c->payload_len = s->retry_payload.len;
    c->retry_at_us = s->retry_at_us;
  }
  if (s->has_key) {
    c->unique_key = s->key;
    c->unique_ttl_us = s->key_ttl_us;
  }
}

/* Complete the batch, retrying while the backend fails, unless the worker is
 * past its shutdown grace (then the leases are left to expire). */
static void complete_batch(orca_worker *w, size_t nb, const bool *release) {
  for (size_t i = 0; i < nb; i++)
    fill_completion(w, w->batch[i], release[i], &w->comps[i]);
  bool logged = false;
  for (;;) {
    int64_t t0 = orca_monotonic_us();
    int rc = w->b->ops->complete(w->b, w->comps, nb);
    orca__seam_backend_call(w, ORCA__OP_COMPLETE, t0, rc);
    if (rc == 0) {
      orca__batch_rtt(&w->bat, orca_monotonic_us() - t0);
      w->n_complete_calls++;
      w->n_completed += nb;
      break;
    }
    if (!logged)
      orca_log(ORCA_LOG_ERROR, "worker %s: recording %zu completion(s) failed: %s; retrying", w->id,
               nb, orca_strerror(rc));
    logged = true;
    pthread_mutex_lock(&w->mu);
    bool give_up = w->grace_over;
    if (!give_up)
      timed_wait(w, ERROR_BACKOFF_US);
    pthread_mutex_unlock(&w->mu);
    if (give_up) {
      orca_log(ORCA_LOG_ERROR,
               "worker %s: giving up on %zu completion(s) at shutdown; their leases will "
               "expire and the tasks run again",
               w->id, nb);
      break;
    }
  }
  for (size_t i = 0; i < nb; i++) {
    const orca__completion *c = &w->comps[i];
    if (c->outcome == ORCA__RETRY)
      orca_log(ORCA_LOG_DEBUG, "task %s attempt %u failed: %s; retry at %lld", c->lease->id,
               c->attempt, c->error ? c->error : "", (long long)c->retry_at_us);
    else if (c->outcome == ORCA__DEAD)
      orca_log(ORCA_LOG_WARN, "task %s is dead after attempt %u: %s", c->lease->id, c->attempt,
               c->error ? c->error : "");
    else if (c->outcome == ORCA__ACK)
      orca_log(ORCA_LOG_DEBUG, "task %s %s", c->lease->id, orca_state_name(c->state));
  }
  unsigned ended = 0;
  pthread_mutex_lock(&w->mu);
  for (size_t i = 0; i < nb; i++) {
    orca__slot *s = w->batch[i];
    s->held = false;
    /* max_tasks counts tasks that ended for good, not retried attempts. */
    if (!release[i] && (s->outcome == ORCA__ACK || s->outcome == ORCA__DEAD))
      ended++;
    if (!release[i])
      orca__batch_task(&w->bat, s->run_us);
    if (s->abandoned)
      continue; /* its handler still runs; it returns the slot */
    s->next = w->free_list;
    w->free_list = s;
    w->nfree++;
  }
  w->finished += ended;
  bool stop = w->max_tasks && w->finished >= w->max_tasks && !w->stopping;
  if (stop) {
    w->stopping = true;
    pthread_cond_broadcast(&w->work_cv);
  }
  pthread_mutex_unlock(&w->mu);
  if (stop)
    orca_worker_stop(w);
}

/* Mark slot s cancelled and its running context too. Call with w->mu. */
static void cancel_locked(orca_worker *w, orca__slot *s) {
  atomic_store(&s->cancel, 1);
  for (unsigned t = 0; t < w->concurrency; t++) {
    if (w->threads[t].cur == s) {
      int none = ORCA__CANCEL_NONE;
      atomic_compare_exchange_strong(&w->threads[t].ctx.cancelled, &none, ORCA__CANCEL_USER);
    }
  }
}

bool orca__worker_cancel_task(orca_worker *w, const char *id) {
  bool found = false;
  pthread_mutex_lock(&w->mu);
  for (unsigned t = 0; t < w->concurrency; t++) {
    orca__slot *s = w->threads[t].cur;
    if (s && strcmp(s->lease.id, id) == 0) {
      cancel_locked(w, s);
      found = true;
    }
  }
  for (orca__slot *s = w->ready_head; s; s = s->next) {
    if (strcmp(s->lease.id, id) == 0) {
      atomic_store(&s->cancel, 1);
      found = true;
    }
  }
  pthread_mutex_unlock(&w->mu);
  return found;
}

static void extend_leases(orca_worker *w) {
  size_t n = 0;
  for (size_t i = 0; i < w->nslots; i++)
    if (w->slots[i].held)
      w->lease_ptrs[n++] = &w->slots[i].lease;
  if (n == 0)
    return;
  int64_t t0 = orca__seam_call_start(w);
  int rc = w->b->ops->extend(w->b, w->lease_ptrs, n, w->id, w->lease_us, w->ext_status);
  orca__seam_backend_call(w, ORCA__OP_EXTEND, t0, rc);
  if (rc) {
    orca_log(ORCA_LOG_WARN, "worker %s: renewing %zu lease(s) failed: %s", w->id, n,
             orca_strerror(rc));
    return;
  }
  pthread_mutex_lock(&w->mu);
  for (size_t i = 0; i < n; i++) {
    if (w->ext_status[i] == 0)
      continue;
    orca__slot *s = (orca__slot *)w->lease_ptrs[i]; /* lease is the slot's first member */
    if (w->ext_status[i] == ORCA_ECANCELLED) {
      cancel_locked(w, s);
    } else if (w->ext_status[i] == ORCA_ELOST) {
      atomic_store(&s->lost, true); /* not started yet: it never will be */
      orca_log(ORCA_LOG_WARN,
               "worker %s: lease of task %s was lost (expired and handed out again); its "
               "completion will be ignored",
               w->id, s->lease.id);
    }
  }
  pthread_mutex_unlock(&w->mu);
}

/* Hand back the ready (leased, not started) slots the window no longer
 * covers (orca__batch_excess): the last ones of the ready list go into the
 * batch as releases. Called with mu held; returns the new batch size. */
static size_t release_excess(orca_worker *w, bool *release, size_t nb) {
  size_t nready = 0;
  for (orca__slot *s = w->ready_head; s; s = s->next)
    nready++;
  size_t excess = orca__batch_excess(&w->bat, nready);
  if (excess == 0)
    return nb;
  size_t keep = nready - excess;
  orca__slot *last = NULL, *s = w->ready_head;
  for (size_t i = 0; i < keep; i++) {
    last = s;
    s = s->next;
  }
  if (last)
    last->next = NULL;
  else
    w->ready_head = NULL;
  w->ready_tail = last;
  for (; s; s = s->next) {
    release[nb] = true;
    w->batch[nb++] = s;
  }
  orca_log(ORCA_LOG_DEBUG,
           "worker %s: handing back %zu leased task(s) that would wait for a thread (%.1f ms "
           "per task)",
           w->id, excess, w->bat.task_us / 1000.0);
  return nb;
}

/* Fetch into up to `want` free slots; *got_out = tasks fetched. Called
 * without mu. */
static int fetch(orca_worker *w, size_t want, bool wait, size_t *got_out) {
  pthread_mutex_lock(&w->mu);
  size_t k = 0;
  while (k < want && w->free_list) {
    orca__slot *s = w->free_list;
    w->free_list = s->next;
    w->nfree--;
    s->next = NULL;
    w->batch[k] = s;
    w->lease_ptrs[k] = &s->lease;
    k++;
  }
  /* Work that arrived since the pump looked is done first: do not wait. */
  if (w->done_head || w->extend_due || w->stopping)
    wait = false;
  w->pump_in_fetch = wait;
  pthread_mutex_unlock(&w->mu);

  orca__queues_order(&w->queues, &w->rng, w->order);
  orca__fetch_req req = {.queues = w->order,
                         .nqueues = w->queues.n,
                         .worker = w->id,
                         .lease_us = w->lease_us,
                         .wait_us = wait ? FETCH_WAIT_US : 0};
  size_t got = 0;
  int64_t t0 = orca_monotonic_us();
  int rc = w->b->ops->fetch(w->b, &req, w->lease_ptrs, k, &got);
  orca__seam_backend_call(w, ORCA__OP_FETCH, t0, rc);
  if (rc)
    got = 0;
  else if (!wait)
    orca__batch_rtt(&w->bat, orca_monotonic_us() - t0); /* a blocking one may have waited */
  w->n_fetch_calls++;
  w->n_fetched += got;
  *got_out = got;

  pthread_mutex_lock(&w->mu);
  w->pump_in_fetch = false;
  for (size_t i = 0; i < k; i++) {
    orca__slot *s = w->batch[i];
    if (i < got) {
      s->held = true;
      atomic_store(&s->cancel, 0);
      atomic_store(&s->lost, false);
      s->abandoned = false;
      if (w->ready_tail)
        w->ready_tail->next = s;
      else
        w->ready_head = s;
      w->ready_tail = s;
    } else {
      s->next = w->free_list;
      w->free_list = s;
      w->nfree++;
    }
  }
  if (got == 1)
    pthread_cond_signal(&w->work_cv);
  else if (got > 1)
    pthread_cond_broadcast(&w->work_cv);
  pthread_mutex_unlock(&w->mu);
  return rc;
}

void *orca__pump_main(void *arg) {
  orca_worker *w = arg;
  orca__log_set_worker(w->id);
  bool *release = w->release;
  int64_t backoff_until = 0;
  bool fetch_failing = false;
  bool found_none = false; /* the last fetch did not wait and found nothing */
  pthread_mutex_lock(&w->mu);
  for (;;) {
    size_t nb = 0;
    for (orca__slot *s = w->done_head; s; s = s->next) {
      release[nb] = false;
      w->batch[nb++] = s;
    }
    w->done_head = w->done_tail = NULL;
    if (w->stopping) {
      /* Nobody will start these: back to their queues at once. */
      while (w->ready_head) {
        orca__slot *s = w->ready_head;
        w->ready_head = s->next;
        release[nb] = true;
        w->batch[nb++] = s;
      }
      w->ready_tail = NULL;
    } else {
      nb = release_excess(w, release, nb); /* the window shrank under them */
    }
    if (w->grace_over) {
      for (unsigned t = 0; t < w->concurrency; t++) {
        orca__slot *s = w->threads[t].cur;
        if (s && !s->abandoned) {
          s->abandoned = true;
          release[nb] = true;
          w->batch[nb++] = s;
          orca_log(ORCA_LOG_WARN,
                   "worker %s: task %s still running after the shutdown grace; released", w->id,
                   s->lease.id);
        }
      }
    }
    bool ext = w->extend_due;
    w->extend_due = false;
    bool stopping = w->stopping;
    size_t nfree = w->nfree;
    size_t nheld = 0;
    for (size_t i = 0; i < w->nslots; i++)
      nheld += w->slots[i].held;
    bool ready_empty = !w->ready_head;

    if (nb || ext) {
      pthread_mutex_unlock(&w->mu);
      if (nb) {
        /* Keep the held flags of this batch until complete() returns so
         * that the exit check below never runs early. */
        for (size_t i = 0; i < nb; i++)
          w->batch[i]->next = NULL;
        complete_batch(w, nb, release);
      }
      if (ext)
        extend_leases(w);
      pthread_mutex_lock(&w->mu);
      continue;
    }
    if (stopping && nheld == 0)
      break;
    int64_t now = orca_monotonic_us();
    size_t nwant =
        stopping ? 0 : orca__batch_fetch_want(&w->bat, w->nslots - nfree, nfree, ready_empty);
    bool want = nwant > 0;
    if (want && now >= backoff_until) {
      pthread_mutex_unlock(&w->mu);
      /* With tasks in flight, completions are due soon: look without
       * waiting first, and block only when the queue had nothing. */
      size_t got = 0;
      bool busy = nfree < w->nslots;
      int rc = fetch(w, nwant, !busy || found_none, &got);
      found_none = rc == 0 && got == 0 && busy && !found_none;
      if (rc) {
        if (!fetch_failing)
          orca_log(ORCA_LOG_ERROR, "worker %s: fetch failed: %s; retrying", w->id,
                   orca_strerror(rc));
        fetch_failing = true;
        backoff_until = orca_monotonic_us() + ERROR_BACKOFF_US;
      } else if (fetch_failing) {
        orca_log(ORCA_LOG_INFO, "worker %s: fetch works again", w->id);
        fetch_failing = false;
      }
      pthread_mutex_lock(&w->mu);
      continue;
    }
    if (want)
      timed_wait(w, backoff_until - now);
    else
      pthread_cond_wait(&w->pump_cv, &w->mu);
  }
  w->pump_exited = true;
  pthread_mutex_unlock(&w->mu);
  orca_log(ORCA_LOG_DEBUG,
           "worker %s: pump done: %llu task(s) in %llu fetch call(s), %llu completion(s) in %llu "
           "complete call(s); prefetch window %u (largest %u), task %.1f us, round trip %.1f us",
           w->id, (unsigned long long)w->n_fetched, (unsigned long long)w->n_fetch_calls,
           (unsigned long long)w->n_completed, (unsigned long long)w->n_complete_calls,
           w->bat.window, w->bat.peak, w->bat.task_us, w->bat.rtt_us);
  orca__worker_wake_loop(w);
  return NULL;
}
