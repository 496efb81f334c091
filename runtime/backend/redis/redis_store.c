/* redis_store.c — Redis as the store half of a backend (store.h), beside a
 * log of another engine (kafka://...?store=redis://..., or any LOG?store=
 * redis://...). The handle is the fused one (same connection code, same key
 * layout, same library of scripts); this file adds the store-only steps on
 * the scripts s_*.lua over scripts/store_prelude.lua, whose head describes
 * where a record waits. The steps every backend has reuse the fused code:
 * state_get and state_wait (get.lua reads the payload kept in field d),
 * dead-letter list and purge, and the schedules but their fire.
 *
 * Each step is one pipeline: one FCALL per run of at most ORCA__REDIS_CHUNK
 * items of one queue (every key of a queue shares its hash tag), so a batch
 * costs one round trip whatever its size. The fused table is untouched:
 * nothing here runs on its task path. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"

static orca__redis *of_store(orca__store *s) {
  return (orca__redis *)((char *)s - offsetof(orca__redis, store));
}

static int64_t now_of(orca__redis *r) {
  return orca_clock_now(r->base.clock);
}

static int store_open(const char *url, const orca__backend_opts *opts, orca__store **out,
                      orca_err *err) {
  orca__redis *r;
  int rc = orca__redis_new(url, opts, &r, err);
  if (rc) {
    *out = NULL;
    return rc;
  }
  r->store.ops = &orca__redis_store_ops;
  r->store.clock = r->base.clock;
  *out = &r->store;
  return 0;
}

static void store_close(orca__store *s) {
  if (s)
    orca__redis_ops.close(&of_store(s)->base);
}

static void store_interrupt(orca__store *s) {
  orca__redis_ops.interrupt(&of_store(s)->base);
}

typedef orca__redis_batch batch;

static int64_t *ints(size_t n) {
  return malloc(sizeof(int64_t) * (n ? n : 1));
}

/* ---- admit, handed ------------------------------------------------------ */

static int store_admit(orca__store *s, const orca__job *jobs, size_t n, orca__enqueue_result *res) {
  if (n && (!jobs || !res))
    return ORCA_EINVAL;
  return orca__redis_enqueue_with(of_store(s), ORCA__RS_S_ADMIT, ORCA__HANDOFF_US, jobs, n, res);
}

static void job_id(orca__rargs *a, const void *ud, size_t i) {
  orca__rargs_str(a, ((const orca__job *)ud)[i].id);
}

static int store_handed(orca__store *s, const orca__job *jobs, size_t n) {
  if (n == 0)
    return 0;
  if (!jobs)
    return ORCA_EINVAL;
  int64_t *out = ints(n);
  if (!out)
    return ORCA_ENOMEM;
  batch b = {ORCA__RS_S_HANDED,
             "store handed script",
             n,
             orca__redis_job_queue,
             orca__redis_no_head,
             job_id,
             jobs};
  int rc = orca__redis_run_batch(of_store(s), &b, out);
  free(out);
  return rc;
}

/* ---- start, renew ------------------------------------------------------- */

/* The leases of start and renew, with the head's arguments. */
typedef struct lease_args {
  orca__lease *const *leases;
  const char *worker;
  int64_t now, until;
  bool takeover;
} lease_args;

static const char *lease_queue(const void *ud, size_t i) {
  return ((const lease_args *)ud)->leases[i]->queue;
}

static void start_head(orca__rargs *a, const void *ud) {
  const lease_args *la = ud;
  orca__rargs_str(a, la->worker);
  orca__rargs_int(a, la->now);
  orca__rargs_int(a, la->until);
  orca__rargs_str(a, la->takeover ? "1" : "0");
}

static void start_item(orca__rargs *a, const void *ud, size_t i) {
  orca__rargs_str(a, ((const lease_args *)ud)->leases[i]->id);
}

/* Run a start or renew batch of n leases; out[i] gets the script's answer. */
static int lease_step(orca__store *s, const batch *b, lease_args *la, int64_t lease_us,
                      int64_t **out) {
  *out = NULL;
  if (!la->leases || !la->worker)
    return ORCA_EINVAL;
  orca__redis *r = of_store(s);
  if (!(*out = ints(b->n)))
    return ORCA_ENOMEM;
  la->now = now_of(r);
  la->until = la->now + lease_us;
  int rc = orca__redis_run_batch(r, b, *out);
  if (rc) {
    free(*out);
    *out = NULL;
  }
  return rc;
}

static int store_start(orca__store *s, orca__lease *const *leases, size_t n, const char *worker,
                       int64_t lease_us, bool takeover, int *status) {
  if (n == 0)
    return 0;
  if (!status)
    return ORCA_EINVAL;
  lease_args la = {leases, worker, 0, 0, takeover};
  batch b = {ORCA__RS_S_START, "store start script", n, lease_queue, start_head, start_item, &la};
  int64_t *out;
  int rc = lease_step(s, &b, &la, lease_us, &out);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    status[i] = out[i] > 0 ? 0 : ORCA_ESTATE;
    if (out[i] > 0) {
      leases[i]->deliveries = (uint32_t)out[i];
      if (leases[i]->lease_until_us > la.until)
        leases[i]->lease_until_us = la.until;
    }
  }
  if (rc == 0)
    free(out);
  return rc;
}

static void renew_head(orca__rargs *a, const void *ud) {
  const lease_args *la = ud;
  orca__rargs_str(a, la->worker);
  orca__rargs_int(a, la->until);
}

static void renew_item(orca__rargs *a, const void *ud, size_t i) {
  const orca__lease *l = ((const lease_args *)ud)->leases[i];
  orca__rargs_str(a, l->id);
  orca__rargs_int(a, l->deliveries);
}

static int store_renew(orca__store *s, orca__lease *const *leases, size_t n, const char *worker,
                       int64_t lease_us, int *status) {
  if (n == 0)
    return 0;
  if (!status)
    return ORCA_EINVAL;
  lease_args la = {leases, worker, 0, 0, false};
  batch b = {ORCA__RS_S_RENEW, "store renew script", n, lease_queue, renew_head, renew_item, &la};
  int64_t *out;
  int rc = lease_step(s, &b, &la, lease_us, &out);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    bool held = out[i] == 0 || out[i] == ORCA_ECANCELLED;
    status[i] = held ? (int)out[i] : ORCA_ELOST;
    if (held)
      leases[i]->lease_until_us = la.until;
  }
  if (rc == 0)
    free(out);
  return rc;
}

/* ---- finish ------------------------------------------------------------- */

typedef struct finish_args {
  const orca__completion *c;
  int64_t now;
} finish_args;

static const char *done_queue(const void *ud, size_t i) {
  const orca__completion *c = &((const finish_args *)ud)->c[i];
  return c->lease ? c->lease->queue : NULL;
}

static void finish_head(orca__rargs *a, const void *ud) {
  orca__rargs_int(a, ((const finish_args *)ud)->now);
}

/* The 14 values of one completion (scripts/s_finish.lua). */
static void finish_item(orca__rargs *a, const void *ud, size_t i) {
  const orca__completion *c = &((const finish_args *)ud)->c[i];
  orca__rargs_str(a, c->lease->id);
  orca__rargs_int(a, c->lease->deliveries);
  orca__rargs_str(a, c->worker ? c->worker : "");
  orca__redis_add_outcome(a, c);
}

static int store_finish(orca__store *s, const orca__completion *c, size_t n) {
  if (n == 0)
    return 0;
  if (!c)
    return ORCA_EINVAL;
  orca__redis *r = of_store(s);
  int64_t *out = ints(n);
  if (!out)
    return ORCA_ENOMEM;
  finish_args fa = {c, now_of(r)};
  batch b = {ORCA__RS_S_FINISH, "store finish script", n,  done_queue,
             finish_head,       finish_item,           &fa};
  int rc = orca__redis_run_batch(r, &b, out);
  free(out);
  return rc;
}

/* ---- due ---------------------------------------------------------------- */

/* Copy a reply string into a NUL-terminated malloc'd-once scratch: the
 * reply's own bytes are not terminated. */
static const char *cstr(const redisReply *x, orca_buf *scratch) {
  orca_buf_reset(scratch);
  if (x->type == REDIS_REPLY_STRING && x->len)
    orca_buf_append(scratch, x->str, x->len);
  orca_buf_append(scratch, "", 1);
  return (const char *)scratch->data;
}

/* Hand the tasks of a due reply (6 values each from element 1) to cb; the
 * reply's queue index i names r->queues[base + i - 1]. Returns how many,
 * or ORCA_ENOMEM when cb refused one (or memory ran out). */
static int hand_out(orca__redis *r, const redisReply *x, size_t base, int64_t now, orca__job_cb cb,
                    void *ud) {
  orca_buf id = ORCA_BUF_INIT, m = ORCA_BUF_INIT;
  int moved = 0, rc = 0;
  for (size_t e = 1; e + 5 < x->elements + 0 && rc == 0; e += 6) {
    int64_t qi = orca__redis_int(x->element[e]);
    const redisReply *pay = x->element[e + 5];
    if (qi < 1 || base + (size_t)qi > r->nqueues || pay->type != REDIS_REPLY_STRING)
      continue;
    /* m is "ENQUEUED_US TTL_MS TASK". */
    const char *task = cstr(x->element[e + 2], &m);
    for (int sp = 0; sp < 2 && *task; task++)
      sp += *task == ' ';
    orca__job j = {
        .id = cstr(x->element[e + 1], &id),
        .task = task,
        .queue = r->queues[base + (size_t)qi - 1],
        .priority = (int32_t)orca__redis_int(x->element[e + 3]),
        .attempt = (uint32_t)orca__redis_int(x->element[e + 4]),
        .payload = (const uint8_t *)pay->str,
        .payload_len = pay->len,
        .eta_us = now,
    };
    if (!id.data || !m.data || cb(ud, &j))
      rc = ORCA_ENOMEM;
    else
      moved++;
  }
  orca_buf_free(&id);
  orca_buf_free(&m);
  return rc ? rc : moved;
}

/* One s_due call over every queue; on a Redis Cluster one per queue (a
 * script touches one slot), all in one pipeline, each handing out at most
 * max, earliest first within its queue. A cluster's handle also re-sends
 * the schedule fires a dead node left in the outbox first (redis_outbox.c;
 * a failure there is logged by it and does not stop the call). */
static int store_due(orca__store *s, int64_t now_us, size_t max, bool reclaim, orca__job_cb cb,
                     void *ud, int64_t *next_due_us) {
  orca__redis *r = of_store(s);
  if (next_due_us)
    *next_due_us = INT64_MAX;
  if (!cb)
    return ORCA_EINVAL;
  int rc = orca__redis_load_queues(r);
  if (rc)
    return rc;
  if (r->cluster)
    orca__redis_outbox_drain(r, now_us);
  if (r->nqueues == 0)
    return 0;
  char now[24], most[24], win[24];
  snprintf(now, sizeof now, "%" PRId64, now_us);
  snprintf(most, sizeof most, "%zu", max > INT32_MAX ? (size_t)INT32_MAX : max);
  snprintf(win, sizeof win, "%" PRId64, (int64_t)ORCA__HANDOFF_US);
  redisReply **rep;
  size_t ncalls;
  rc = orca__redis_queue_calls(
      r, ORCA__RS_S_DUE, (const char *[]){now, most, reclaim ? "1" : "0", win}, 4, &rep, &ncalls);
  if (rc)
    return rc;
  int moved = 0;
  for (size_t c = 0; !rc && c < ncalls; c++) {
    rc = orca__redis_reply_error(r, rep[c], "store due script");
    if (!rc && (rep[c]->type != REDIS_REPLY_ARRAY || rep[c]->elements < 1))
      rc = ORCA_EBACKEND;
    if (rc)
      break;
    int64_t nd = orca__redis_int(rep[c]->element[0]);
    if (next_due_us && nd >= 0 && nd < *next_due_us)
      *next_due_us = nd;
    /* The tasks are handing now: a refused callback leaves them so, and
     * the handoff window brings them back (the store cannot undo). */
    int n = hand_out(r, rep[c], r->cluster ? c : 0, now_us, cb, ud);
    if (n < 0)
      rc = n;
    else
      moved += n;
  }
  orca__redis_free_replies(rep, ncalls);
  free(rep);
  return rc ? rc : moved;
}

/* ---- the steps every backend has ---------------------------------------- */

static int store_state_get(orca__store *s, const char *id, orca_task_info *info) {
  return orca__redis_state_get(&of_store(s)->base, id, info);
}

static int store_state_wait(orca__store *s, const char *id, int64_t timeout_us,
                            orca_task_info *info) {
  return orca__redis_state_wait(&of_store(s)->base, id, timeout_us, info);
}

static int store_cancel(orca__store *s, const char *id) {
  return orca__redis_cancel_with(of_store(s), ORCA__RS_S_CANCEL, id);
}

static int store_dlq_list(orca__store *s, const char *queue, size_t offset, size_t limit,
                          orca__info_cb cb, void *ud) {
  return orca__redis_dlq_list(&of_store(s)->base, queue, offset, limit, cb, ud);
}

static int store_dlq_requeue(orca__store *s, const char *queue, const char *id, size_t *count) {
  return orca__redis_store_dlq_requeue(of_store(s), queue, id, count);
}

static int store_dlq_purge(orca__store *s, const char *queue, const char *id, size_t *count) {
  return orca__redis_dlq_purge(&of_store(s)->base, queue, id, count);
}

static int store_stats(orca__store *s, orca_queue_stats *out, size_t max, size_t *n) {
  return orca__redis_stats_with(of_store(s), ORCA__RS_S_STATS, out, max, n);
}

static int store_schedule_put(orca__store *s, const orca__schedule_rec *rec, bool if_absent) {
  return orca__redis_schedule_put(&of_store(s)->base, rec, if_absent);
}

static int store_schedule_get(orca__store *s, const char *name, orca__schedule_rec *rec) {
  return orca__redis_schedule_get(&of_store(s)->base, name, rec);
}

static int store_schedule_list(orca__store *s, orca__schedule_cb cb, void *ud) {
  return orca__redis_schedule_list(&of_store(s)->base, cb, ud);
}

static int store_schedule_remove(orca__store *s, const char *name) {
  return orca__redis_schedule_remove(&of_store(s)->base, name);
}

static int store_schedule_pause(orca__store *s, const char *name, bool paused) {
  return orca__redis_schedule_pause(&of_store(s)->base, name, paused);
}

static int store_schedule_fire(orca__store *s, const char *name, int64_t expected_us,
                               int64_t next_us, const orca__job *jobs, size_t njobs,
                               orca__enqueue_result *res) {
  if (of_store(s)->cluster) /* CAS and jobs in different slots: the outbox */
    return orca__redis_fire_outbox(of_store(s), ORCA__REDIS_SCHED_NEXT, name, expected_us, next_us,
                                   jobs, njobs, res);
  redisReply *x;
  int rc = orca__redis_fire(of_store(s), ORCA__RS_S_SCHED_FIRE, name, expected_us, next_us,
                            ORCA__HANDOFF_US, jobs, njobs, &x);
  if (rc)
    return rc;
  if (x->type != REDIS_REPLY_ARRAY || x->elements < 1)
    rc = ORCA_EBACKEND;
  else
    rc = (int)orca__redis_int(x->element[0]);
  for (size_t i = 0; !rc && res && i < njobs; i++) {
    res[i].status = 0;
    res[i].existing_id[0] = '\0';
    const redisReply *e = i + 1 < x->elements ? x->element[i + 1] : NULL;
    if (e && e->type == REDIS_REPLY_STRING) {
      res[i].status = ORCA_EDUPLICATE;
      orca__redis_copy(e, res[i].existing_id, sizeof res[i].existing_id);
    }
  }
  orca__redis_free_replies(&x, 1);
  return rc;
}

const orca__store_ops orca__redis_store_ops = {
    .scheme = "redis",
    .open = store_open,
    .close = store_close,
    .interrupt = store_interrupt,
    .admit = store_admit,
    .handed = store_handed,
    .start = store_start,
    .finish = store_finish,
    .renew = store_renew,
    .due = store_due,
    .state_get = store_state_get,
    .state_wait = store_state_wait,
    .cancel = store_cancel,
    .dlq_list = store_dlq_list,
    .dlq_requeue = store_dlq_requeue,
    .dlq_purge = store_dlq_purge,
    .stats = store_stats,
    .schedule_put = store_schedule_put,
    .schedule_get = store_schedule_get,
    .schedule_list = store_schedule_list,
    .schedule_remove = store_schedule_remove,
    .schedule_pause = store_schedule_pause,
    .schedule_fire = store_schedule_fire,
};
