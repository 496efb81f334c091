/* task.c — one delivery, start to end, on a handler thread:
 *   decode envelope -> poison / cancel / deadline checks -> find handler ->
 *   decode args (fingerprint-aware) -> invoke -> encode result -> decide the
 *   outcome (succeeded, retry with back-off, dead, cancelled, expired,
 *   released).
 * A delivery whose lease ran out before it started is released, not run.
 * Every problem turns into an outcome with a reason; nothing here can stop
 * the worker. Memory: the thread's arena (reset per task) holds args,
 * result and headers; the slot's buffers (reused) hold the encoded result and
 * a retry's rewritten envelope, so a warm worker allocates nothing per task. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/id.h"
#include "base/logctx.h"
#include "orca/codec.h"
#include "orca/log.h"
#include "worker/retry.h"
#include "worker/seams.h"
#include "worker/worker_internal.h"

static void set_error(orca__slot *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void set_error(orca__slot *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->error, sizeof s->error, fmt, ap);
  va_end(ap);
  s->has_error = true;
}

static void end(orca__slot *s, orca__outcome o, orca_state st) {
  s->outcome = o;
  s->state = st;
}

/* A cache key is dropped (ttl 0) when the run ends without a result, so the
 * next identical enqueue runs again; refreshed to the cache ttl on success. */
static void key_end(orca__slot *s, const orca_task_desc *t, bool success) {
  if (!s->has_key)
    return;
  s->key_ttl_us = success ? t->cache_ttl_us : 0;
}

/* A failed attempt: on_error hooks may give up or choose the delay; then
 * retry per policy, or dead with the last error. */
static void fail(orca__hthread *ht, orca__slot *s, const orca_task_desc *t,
                 const orca__envelope *env, int64_t now) {
  int64_t hook_delay;
  bool give_up = orca__seam_on_error(ht, t, env, s->attempt, s->error, &hook_delay);
  if (!give_up && orca__retry_allowed(&t->retry, s->attempt)) {
    int64_t delay = hook_delay >= 0
                        ? hook_delay
                        : orca__retry_delay(&t->retry, s->attempt, orca__rng_next(&ht->rng));
    orca__envelope next = *env;
    next.attempt = s->attempt;
    next.eta_us = now + delay;
    orca_buf_reset(&s->retry_payload);
    if (orca__envelope_encode(&next, &s->retry_payload) == 0) {
      s->retry_at_us = now + delay;
      s->has_key = false; /* keep holding the key while it retries */
      end(s, ORCA__RETRY, ORCA_STATE_FAILED);
      return;
    }
    char last[ORCA_ERRTEXT_MAX];
    snprintf(last, sizeof last, "%s", s->error);
    set_error(s, "out of memory writing the retry of: %s", last);
  }
  key_end(s, t, false);
  end(s, ORCA__DEAD, ORCA_STATE_DEAD);
}

/* A delivery that waited for a thread (prefetched) past its lease, or whose
 * renewal found it lost, may have been handed to another worker already: a
 * worker that was stopped (SIGSTOP, a debugger, a VM pause) or starved
 * longer than the lease must not run what it no longer holds. It is
 * released instead: the backend takes it back if it is still this worker's
 * and ignores the release if someone else has it. Returns true when so. */
static bool lease_gone(orca_worker *w, orca__slot *s) {
  bool lost = atomic_load(&s->lost);
  int64_t late = s->started_us - s->lease.lease_until_us;
  if (!lost && late < 0)
    return false;
  if (lost)
    orca_log(ORCA_LOG_WARN, "worker %s: task %s not started: its lease was lost while it waited",
             w->id, s->lease.id);
  else
    orca_log(ORCA_LOG_WARN,
             "worker %s: task %s not started: its lease ran out %lld ms before a thread was "
             "free (was the worker stopped?); released",
             w->id, s->lease.id, (long long)(late / 1000));
  end(s, ORCA__RELEASE, ORCA_STATE_PENDING);
  return true;
}

/* The delivery itself; o gets what the metrics want to know of it. */
static void run(orca__hthread *ht, orca__slot *s, orca__task_obs *o) {
  orca_worker *w = ht->w;
  orca_arena_reset(&ht->arena);
  s->has_error = false;
  s->error[0] = '\0';
  s->has_key = false;
  s->key_ttl_us = 0;
  s->retry_at_us = 0;
  orca_buf_reset(&s->result);
  s->started_us = orca_clock_now(w->clock);
  s->ttl_us = ORCA__DEFAULT_RESULT_TTL_US;
  s->attempt = 1;
  if (lease_gone(w, s))
    return;

  orca__envelope env;
  orca_err e = {0};
  if (orca__envelope_decode(s->lease.payload.data, s->lease.payload.len, &env, &e)) {
    set_error(s, "corrupt task payload: %s", e.msg);
    end(s, ORCA__DEAD, ORCA_STATE_DEAD);
    return;
  }
  s->attempt = env.attempt + 1;
  const orca__handler *h = orca__worker_find(w, env.task.ptr, env.task.len);
  const orca_task_desc *t = h ? h->task : NULL;
  o->h = h;
  o->due_us = env.eta_us > env.enqueued_us ? env.eta_us : env.enqueued_us;
  if (t) {
    orca__log_set_task(s->lease.id, t->name, s->lease.queue);
    s->ttl_us = orca__policy_state_ttl(t);
    if (t->cache_ttl_us > 0 && env.unique_key.len > 0 && env.unique_key.len < sizeof s->key) {
      memcpy(s->key, env.unique_key.ptr, env.unique_key.len);
      s->key[env.unique_key.len] = '\0';
      s->has_key = true;
      s->key_ttl_us = t->cache_ttl_us;
    }
  }

  if (s->lease.deliveries > ORCA__POISON_DELIVERIES) {
    set_error(s,
              "poison task: delivered %u times without completing (its runs crashed or hung "
              "their workers)",
              s->lease.deliveries);
    if (t)
      key_end(s, t, false);
    end(s, ORCA__DEAD, ORCA_STATE_DEAD);
    return;
  }
  if (atomic_load(&s->cancel)) {
    set_error(s, "cancelled before it started");
    if (t)
      key_end(s, t, false);
    end(s, ORCA__ACK, ORCA_STATE_CANCELLED);
    return;
  }
  /* The deadline bounds the start of the task, so only a first attempt can
   * expire: a retry is part of a run that already started in time. */
  if (env.attempt == 0 && env.deadline_us > 0 && s->started_us > env.deadline_us) {
    set_error(s, "not started before its deadline (%lld ms late)",
              (long long)((s->started_us - env.deadline_us) / 1000));
    if (t)
      key_end(s, t, false);
    end(s, ORCA__ACK, ORCA_STATE_EXPIRED);
    return;
  }
  if (!h) {
    set_error(s, "no handler for task %.*s on worker %s", (int)env.task.len, env.task.ptr, w->id);
    end(s, ORCA__DEAD, ORCA_STATE_DEAD);
    return;
  }

  void *args = orca_arena_alloc(&ht->arena, t->args_type->size ? t->args_type->size : 1);
  int rc = args ? orca_unpack(t->args_type, env.args, env.args_len, args, &ht->arena.alloc, &e)
                : ORCA_ENOMEM;
  if (rc) {
    uint64_t want = t->args ? t->args->fingerprint : 0;
    if (rc == ORCA_ENOMEM)
      set_error(s, "out of memory decoding the arguments");
    else if (env.fingerprint != want)
      set_error(s, "schema fingerprint mismatch (got %016" PRIx64 ", want %016" PRIx64 "): %s",
                env.fingerprint, want, e.msg);
    else
      set_error(s, "cannot decode the arguments: %s", e.msg);
    key_end(s, t, false);
    end(s, ORCA__DEAD, ORCA_STATE_DEAD);
    return;
  }
  void *result = NULL;
  if (t->result) {
    result = orca_arena_alloc(&ht->arena, t->result->size ? t->result->size : 1);
    if (!result) {
      set_error(s, "out of memory for the result");
      key_end(s, t, false);
      end(s, ORCA__DEAD, ORCA_STATE_DEAD);
      return;
    }
    orca_value_init(t->result, result);
  }

  int64_t deadline = t->timeout_us > 0 ? s->started_us + t->timeout_us : 0;
  orca__ctx_init(&ht->ctx, w, t, &env, s->attempt, deadline, &ht->arena);
  pthread_mutex_lock(&w->mu);
  ht->timeout_at = t->timeout_us > 0 ? orca_monotonic_us() + t->timeout_us : 0;
  ht->stuck_warned = false;
  if (atomic_load(&s->cancel))
    atomic_store(&ht->ctx.cancelled, ORCA__CANCEL_USER);
  if (w->grace_over)
    atomic_store(&ht->ctx.cancelled, ORCA__CANCEL_SHUTDOWN);
  pthread_mutex_unlock(&w->mu);
  if (t->timeout_us > 0)
    orca__worker_wake_loop(w); /* arm the timeout timer */

  orca__seam_before_run(ht, t, &env, s->attempt);

  rc = t->invoke(h->fn, &ht->ctx, args, result);

  pthread_mutex_lock(&w->mu);
  ht->timeout_at = 0;
  pthread_mutex_unlock(&w->mu);
  int why = atomic_load(&ht->ctx.cancelled);
  int64_t now = orca_clock_now(w->clock);
  o->ran = true;
  o->ended_us = now;

  if (why == ORCA__CANCEL_TIMEOUT) {
    set_error(s, "timed out after %lld ms", (long long)(t->timeout_us / 1000));
    fail(ht, s, t, &env, now);
  } else if (rc == 0) {
    if (result && orca_pack(t->result, result, &s->result)) {
      orca_buf_reset(&s->result);
      set_error(s, "cannot encode the result");
      fail(ht, s, t, &env, now);
    } else {
      orca__seam_after_run(ht, t, &env, s->attempt, &s->result);
      key_end(s, t, true);
      end(s, ORCA__ACK, ORCA_STATE_SUCCEEDED);
    }
  } else if (why == ORCA__CANCEL_USER) {
    set_error(s, "cancelled while running");
    key_end(s, t, false);
    end(s, ORCA__ACK, ORCA_STATE_CANCELLED);
  } else if (why == ORCA__CANCEL_SHUTDOWN) {
    /* The handler gave up because the worker is stopping: not the task's
     * fault, so the delivery goes back without counting an attempt. */
    s->has_key = false;
    end(s, ORCA__RELEASE, ORCA_STATE_PENDING);
  } else {
    if (ht->ctx.failed)
      set_error(s, "%s", ht->ctx.error);
    else
      set_error(s, "handler returned %s (%s)", orca_err_name(rc), orca_strerror(rc));
    fail(ht, s, t, &env, now);
  }
  if (t->result && result)
    orca_value_free(t->result, result, &ht->arena.alloc);
}

void orca__task_run(orca__hthread *ht, orca__slot *s) {
  orca__task_obs o = {0};
  orca__log_set_task(s->lease.id, NULL, s->lease.queue);
  run(ht, s, &o);
  orca__log_set_task(NULL, NULL, NULL);
  orca__seam_task_end(ht, s, &o);
}
