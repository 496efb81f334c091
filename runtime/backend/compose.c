/* compose.c — a backend made of a log and a store of different engines or
 * URLs (backend.h, "split"), and the forwarders fused tables use for their
 * store-only steps.
 *
 * Each step that touches both halves runs as two calls in the order that
 * keeps delivery at-least-once and never loses a task the caller was told
 * is stored (backend.h and docs/design.md give the argument):
 *
 *   enqueue   store.admit -> log.append (ready ones) -> store.handed
 *   fetch     [promote when due] -> log.fetch -> store.start
 *             -> log.complete of the deliveries the store refused
 *   complete  store.finish -> log.complete [-> promote a retry due now]
 *   extend    log.extend -> store.renew
 *   promote   store.due -> log.append -> store.handed
 *
 * Promotion. Deferred tasks and retries wait in the store; the TimeKeeper's
 * promote (every worker runs one) moves them into the log when due. A
 * handle also remembers the earliest due time it saw itself (its own
 * deferred enqueues and retries, and every due call's answer) and promotes
 * at the start of a fetch past it, with the fetch's wait capped at it, so a
 * worker's own retries come back on time without waiting for the
 * TimeKeeper's next round.
 *
 * Scratch arrays (statuses, dropped deliveries, jobs collected from `due`)
 * live in the handle and grow as needed: one handle is used by one thread. */
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "orca/log.h"

/* A job collected from store.due: offsets into compose.bytes (the buffer
 * may move while collecting). */
typedef struct held_job {
  size_t id, task, queue, payload, payload_len;
  int32_t priority;
  uint32_t attempt;
} held_job;

typedef struct compose {
  orca__backend be; /* first: ops, clock, log, store */
  bool leases;      /* the log takes back deliveries whose lease ran out */
  int64_t next_due_us;
  int *status, *status2;
  int64_t *until; /* the log's lease ends during an extend */
  size_t nstatus;
  orca__job *jobs;
  size_t njobs;
  orca__completion *drops;
  size_t ndrops;
  held_job *held;
  size_t nheld, capheld;
  orca_buf bytes;
} compose;

/* Grow *arr (elements of size sz, capacity *cap) to hold n. 0 or ORCA_ENOMEM. */
static int reserve(void **arr, size_t *cap, size_t n, size_t sz) {
  if (n <= *cap)
    return 0;
  size_t c = *cap ? *cap : 16;
  while (c < n)
    c *= 2;
  void *p = realloc(*arr, c * sz);
  if (!p)
    return ORCA_ENOMEM;
  *arr = p;
  *cap = c;
  return 0;
}

static int reserve_status(compose *c, size_t n) {
  size_t cap = c->nstatus;
  int rc = reserve((void **)&c->status, &cap, n, sizeof *c->status);
  if (rc)
    return rc;
  cap = c->nstatus;
  rc = reserve((void **)&c->status2, &cap, n, sizeof *c->status2);
  if (rc)
    return rc;
  cap = c->nstatus;
  rc = reserve((void **)&c->until, &cap, n, sizeof *c->until);
  if (rc == 0)
    c->nstatus = cap;
  return rc;
}

static int64_t now_of(compose *c) {
  return orca_clock_now(c->be.clock);
}

static void note_due(compose *c, int64_t at) {
  if (at < c->next_due_us)
    c->next_due_us = at;
}

/* ---- promote: store.due -> log.append -> store.handed ------------------- */

/* store.due callback: copy one job into c->held / c->bytes. */
static int collect(void *ud, const orca__job *j) {
  compose *c = ud;
  if (reserve((void **)&c->held, &c->capheld, c->nheld + 1, sizeof *c->held))
    return 1;
  held_job *h = &c->held[c->nheld];
  orca_buf *b = &c->bytes;
  const char *task = j->task ? j->task : "";
  h->id = b->len;
  if (orca_buf_append(b, j->id, strlen(j->id) + 1))
    return 1;
  h->task = b->len;
  if (orca_buf_append(b, task, strlen(task) + 1))
    return 1;
  h->queue = b->len;
  if (orca_buf_append(b, j->queue, strlen(j->queue) + 1))
    return 1;
  h->payload = b->len;
  h->payload_len = j->payload_len;
  if (j->payload_len && orca_buf_append(b, j->payload, j->payload_len))
    return 1;
  h->priority = j->priority;
  h->attempt = j->attempt;
  c->nheld++;
  return 0;
}

/* Point c->jobs[0..nheld) at the collected jobs. */
static int held_jobs(compose *c) {
  if (reserve((void **)&c->jobs, &c->njobs, c->nheld, sizeof *c->jobs))
    return ORCA_ENOMEM;
  const char *base = (const char *)c->bytes.data;
  for (size_t i = 0; i < c->nheld; i++) {
    const held_job *h = &c->held[i];
    c->jobs[i] = (orca__job){.id = base + h->id,
                             .task = base + h->task,
                             .queue = base + h->queue,
                             .priority = h->priority,
                             .attempt = h->attempt,
                             .payload = (const uint8_t *)base + h->payload,
                             .payload_len = h->payload_len};
  }
  return 0;
}

/* Append jobs[0..n) to the log and confirm them in the store. An append
 * that fails leaves them handing: the store hands them out again after
 * ORCA__HANDOFF_US. A failed confirmation only means that may happen
 * although the append worked (a second copy, dropped by start). */
static int hand_over(compose *c, const orca__job *jobs, size_t n) {
  if (n == 0)
    return 0;
  orca__log *log = c->be.log;
  orca__store *st = c->be.store;
  int rc = log->ops->append(log, jobs, n);
  if (rc)
    return rc;
  int hr = st->ops->handed(st, jobs, n);
  if (hr)
    orca_log(ORCA_LOG_WARN,
             "backend: %zu task(s) are in the %s log but the %s store did not take note (%s); "
             "they will be appended once more in %lld s",
             n, log->ops->scheme, st->ops->scheme, orca_strerror(hr),
             (long long)(ORCA__HANDOFF_US / 1000000));
  return 0;
}

static int split_promote(orca__backend *b, int64_t now_us, size_t max, int64_t *next_due_us) {
  compose *c = (compose *)b;
  orca__store *st = b->store;
  c->nheld = 0;
  orca_buf_reset(&c->bytes);
  int64_t next = INT64_MAX;
  int moved = st->ops->due(st, now_us, max, !c->leases, collect, c, &next);
  if (moved < 0)
    return moved;
  c->next_due_us = next;
  if (next_due_us)
    *next_due_us = next;
  if (c->nheld == 0)
    return moved;
  int rc = held_jobs(c);
  if (rc == 0)
    rc = hand_over(c, c->jobs, c->nheld);
  if (rc) {
    c->next_due_us = now_us + ORCA__HANDOFF_US; /* they wait for the window */
    return rc;
  }
  return moved;
}

/* Promote what this handle knows is due, ignoring errors (the TimeKeeper
 * and the next call try again). */
static void promote_if_due(compose *c) {
  int64_t now = now_of(c);
  if (c->next_due_us > now)
    return;
  int rc = split_promote(&c->be, now, 1000, NULL);
  if (rc < 0) {
    orca_log(ORCA_LOG_DEBUG, "backend: promoting due tasks failed: %s", orca_strerror(rc));
    if (c->next_due_us <= now)
      c->next_due_us = now + 1000000; /* not at every fetch while the store is away */
  }
}

/* ---- enqueue ------------------------------------------------------------ */

/* Hand the jobs the store just admitted (res[i].status 0) and found ready
 * to the log; remember the due time of the deferred ones. */
static int hand_over_admitted(compose *c, const orca__job *jobs, size_t n,
                              const orca__enqueue_result *res) {
  int rc = reserve((void **)&c->jobs, &c->njobs, n, sizeof *c->jobs);
  if (rc)
    return rc;
  /* Read the time after admit: every job the store found ready is ready by
   * now too (a job that became due in between is appended although the
   * store keeps it waiting; start drops that delivery). */
  int64_t now = now_of(c);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (res[i].status)
      continue;
    if (jobs[i].eta_us > now)
      note_due(c, jobs[i].eta_us);
    else
      c->jobs[k++] = jobs[i];
  }
  return hand_over(c, c->jobs, k);
}

static int split_enqueue(orca__backend *b, const orca__job *jobs, size_t n,
                         orca__enqueue_result *res) {
  compose *c = (compose *)b;
  if (n == 0)
    return 0;
  if (!jobs || !res)
    return ORCA_EINVAL;
  orca__store *st = b->store;
  int rc = st->ops->admit(st, jobs, n, res);
  if (rc)
    return rc;
  return hand_over_admitted(c, jobs, n, res);
}

/* ---- fetch -------------------------------------------------------------- */

static int reserve_drops(compose *c, size_t n) {
  return reserve((void **)&c->drops, &c->ndrops, n, sizeof *c->drops);
}

/* Give n deliveries back to the log (the store could not start them). */
static void give_back(compose *c, orca__lease *const *slots, size_t n, const char *worker) {
  if (reserve_drops(c, n))
    return; /* their leases run out instead */
  for (size_t i = 0; i < n; i++)
    c->drops[i] = (orca__completion){.lease = slots[i], .outcome = ORCA__RELEASE, .worker = worker};
  orca__log *log = c->be.log;
  log->ops->complete(log, c->drops, n);
}

static int split_fetch(orca__backend *b, const orca__fetch_req *req, orca__lease *const *slots,
                       size_t max, size_t *got) {
  compose *c = (compose *)b;
  *got = 0;
  if (!req || max == 0 || req->nqueues == 0)
    return req ? 0 : ORCA_EINVAL;
  promote_if_due(c);
  orca__fetch_req r = *req;
  if (r.wait_us > 0 && c->next_due_us != INT64_MAX) {
    int64_t in = c->next_due_us - now_of(c);
    if (in < r.wait_us)
      r.wait_us = in > 1000 ? in : 1000;
  }
  orca__log *log = b->log;
  orca__store *st = b->store;
  size_t n = 0;
  int rc = log->ops->fetch(log, &r, slots, max, &n);
  if (rc || n == 0)
    return rc;
  if ((rc = reserve_status(c, n)) || (rc = reserve_drops(c, n))) {
    give_back(c, slots, n, req->worker);
    return rc;
  }
  int64_t lease_us = req->lease_us > 0 ? req->lease_us : 30000000;
  rc = st->ops->start(st, slots, n, req->worker, lease_us, c->leases, c->status);
  if (rc) {
    give_back(c, slots, n, req->worker);
    return rc;
  }
  /* Leftovers (cancelled, done, duplicates): out of the log, not run. */
  size_t nd = 0;
  for (size_t i = 0; i < n; i++)
    if (c->status[i])
      c->drops[nd++] = (orca__completion){.lease = slots[i],
                                          .outcome = ORCA__ACK,
                                          .state = ORCA_STATE_UNKNOWN,
                                          .worker = req->worker};
  if (nd) {
    int dr = log->ops->complete(log, c->drops, nd);
    if (dr)
      orca_log(ORCA_LOG_DEBUG, "backend: dropping %zu leftover deliveries failed: %s", nd,
               orca_strerror(dr));
  }
  /* Keep the ones to run at the front, in order; whole structs move so
   * every slot keeps owning a payload buffer. */
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (c->status[i])
      continue;
    if (k != i) {
      orca__lease t = *slots[k];
      *slots[k] = *slots[i];
      *slots[i] = t;
    }
    k++;
  }
  *got = k;
  return 0;
}

/* ---- complete, extend --------------------------------------------------- */

static int split_complete(orca__backend *b, const orca__completion *cs, size_t n) {
  compose *c = (compose *)b;
  if (n == 0)
    return 0;
  if (!cs)
    return ORCA_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!cs[i].lease)
      return ORCA_EINVAL;
  orca__store *st = b->store;
  orca__log *log = b->log;
  int rc = st->ops->finish(st, cs, n);
  if (rc)
    return rc;
  if ((rc = log->ops->complete(log, cs, n)))
    return rc;
  for (size_t i = 0; i < n; i++)
    if (cs[i].outcome == ORCA__RETRY)
      note_due(c, cs[i].retry_at_us);
  promote_if_due(c);
  return 0;
}

static int split_extend(orca__backend *b, orca__lease *const *leases, size_t n, const char *worker,
                        int64_t lease_us, int *status) {
  compose *c = (compose *)b;
  if (n == 0)
    return 0;
  if (!leases || !status)
    return ORCA_EINVAL;
  int rc = reserve_status(c, n);
  if (rc)
    return rc;
  orca__log *log = b->log;
  orca__store *st = b->store;
  for (size_t i = 0; i < n; i++)
    status[i] = 0;
  if (log->ops->extend && (rc = log->ops->extend(log, leases, n, worker, lease_us, status)))
    return rc;
  /* Keep the log's lease ends (it may promise less than the whole lease)
   * while the store writes its own; the earlier one counts. */
  for (size_t i = 0; i < n; i++)
    c->until[i] = log->ops->extend ? leases[i]->lease_until_us : INT64_MAX;
  if ((rc = st->ops->renew(st, leases, n, worker, lease_us, c->status2)))
    return rc;
  for (size_t i = 0; i < n; i++) {
    if (c->status2[i] == ORCA_ELOST || status[i] == ORCA_ELOST)
      status[i] = ORCA_ELOST;
    else
      status[i] = c->status2[i];
    if (c->until[i] < leases[i]->lease_until_us)
      leases[i]->lease_until_us = c->until[i];
  }
  return 0;
}

/* ---- the store-side steps ----------------------------------------------- */

static int split_dlq_requeue(orca__backend *b, const char *queue, const char *id, size_t *count) {
  compose *c = (compose *)b;
  orca__store *st = b->store;
  int rc = st->ops->dlq_requeue(st, queue, id, count);
  if (rc)
    return rc;
  /* They wait in the store, due now: hand them to the log at once. */
  c->next_due_us = INT64_MIN;
  int64_t now = now_of(c);
  for (int moved = 1000; moved >= 1000;) {
    moved = split_promote(b, now, 1000, NULL);
    if (moved < 0)
      return moved;
  }
  return 0;
}

static int split_schedule_fire(orca__backend *b, const char *name, int64_t expected_us,
                               int64_t next_us, const orca__job *jobs, size_t njobs) {
  compose *c = (compose *)b;
  orca__store *st = b->store;
  orca__enqueue_result *res = njobs ? calloc(njobs, sizeof *res) : NULL;
  if (njobs && !res)
    return ORCA_ENOMEM;
  int rc = st->ops->schedule_fire(st, name, expected_us, next_us, jobs, njobs, res);
  if (rc == 0 && njobs) {
    /* The fire happened: a failed append is healed by the store's handoff
     * window, not by firing again. */
    int hr = hand_over_admitted(c, jobs, njobs, res);
    if (hr)
      orca_log(ORCA_LOG_WARN,
               "backend: schedule '%s' fired but its task(s) did not reach the log (%s); the "
               "store hands them out again in %lld s",
               name, orca_strerror(hr), (long long)(ORCA__HANDOFF_US / 1000000));
    rc = 0;
  }
  free(res);
  return rc;
}

int orca__fwd_state_get(orca__backend *b, const char *id, orca_task_info *info) {
  return b->store->ops->state_get(b->store, id, info);
}

int orca__fwd_state_wait(orca__backend *b, const char *id, int64_t timeout_us,
                         orca_task_info *info) {
  return b->store->ops->state_wait(b->store, id, timeout_us, info);
}

int orca__fwd_cancel(orca__backend *b, const char *id) {
  return b->store->ops->cancel(b->store, id);
}

int orca__fwd_dlq_list(orca__backend *b, const char *queue, size_t offset, size_t limit,
                       orca__info_cb cb, void *ud) {
  return b->store->ops->dlq_list(b->store, queue, offset, limit, cb, ud);
}

int orca__fwd_dlq_purge(orca__backend *b, const char *queue, const char *id, size_t *count) {
  return b->store->ops->dlq_purge(b->store, queue, id, count);
}

int orca__fwd_stats(orca__backend *b, orca_queue_stats *out, size_t max, size_t *n) {
  return b->store->ops->stats(b->store, out, max, n);
}

int orca__fwd_schedule_put(orca__backend *b, const orca__schedule_rec *rec, bool if_absent) {
  return b->store->ops->schedule_put(b->store, rec, if_absent);
}

int orca__fwd_schedule_get(orca__backend *b, const char *name, orca__schedule_rec *rec) {
  return b->store->ops->schedule_get(b->store, name, rec);
}

int orca__fwd_schedule_list(orca__backend *b, orca__schedule_cb cb, void *ud) {
  return b->store->ops->schedule_list(b->store, cb, ud);
}

int orca__fwd_schedule_remove(orca__backend *b, const char *name) {
  return b->store->ops->schedule_remove(b->store, name);
}

int orca__fwd_schedule_pause(orca__backend *b, const char *name, bool paused) {
  return b->store->ops->schedule_pause(b->store, name, paused);
}

static int split_release_worker(orca__backend *b, const char *worker, size_t *count) {
  if (!b->log || !b->log->ops->release_worker)
    return ORCA_ENOTSUP;
  return b->log->ops->release_worker(b->log, worker, count);
}

/* ---- the handle --------------------------------------------------------- */

static void split_interrupt(orca__backend *b) {
  b->log->ops->interrupt(b->log);
  b->store->ops->interrupt(b->store);
}

static void split_close(orca__backend *b) {
  compose *c = (compose *)b;
  if (!c)
    return;
  b->log->ops->close(b->log);
  b->store->ops->close(b->store);
  free(c->status);
  free(c->status2);
  free(c->until);
  free(c->jobs);
  free(c->drops);
  free(c->held);
  orca_buf_free(&c->bytes);
  free(c);
}

static const orca__backend_ops split_ops = {
    .scheme = "split",
    .close = split_close,
    .interrupt = split_interrupt,
    .enqueue = split_enqueue,
    .fetch = split_fetch,
    .complete = split_complete,
    .extend = split_extend,
    .promote = split_promote,
    .state_get = orca__fwd_state_get,
    .state_wait = orca__fwd_state_wait,
    .cancel = orca__fwd_cancel,
    .dlq_list = orca__fwd_dlq_list,
    .dlq_requeue = split_dlq_requeue,
    .dlq_purge = orca__fwd_dlq_purge,
    .stats = orca__fwd_stats,
    .schedule_put = orca__fwd_schedule_put,
    .schedule_get = orca__fwd_schedule_get,
    .schedule_list = orca__fwd_schedule_list,
    .schedule_remove = orca__fwd_schedule_remove,
    .schedule_pause = orca__fwd_schedule_pause,
    .schedule_fire = split_schedule_fire,
    .release_worker = split_release_worker,
};

int orca__compose_open(orca__log *log, orca__store *store, orca__backend **out, orca_err *err) {
  *out = NULL;
  compose *c = calloc(1, sizeof *c);
  if (!c) {
    log->ops->close(log);
    store->ops->close(store);
    return orca_err_set(err, ORCA_ENOMEM, "backend: out of memory composing a log and a store");
  }
  c->be.ops = &split_ops;
  c->be.clock = store->clock;
  c->be.log = log;
  c->be.store = store;
  c->leases = (log->ops->caps & ORCA__LOG_LEASES) != 0;
  c->next_due_us = INT64_MIN; /* look once at the first fetch */
  c->bytes = (orca_buf)ORCA_BUF_INIT;
  *out = &c->be;
  return 0;
}
