/* redis_fetch.c — fetch, the read side of the Redis backend's hot path.
 *
 * Fetch has two paths. The fetch script does everything (sweep expired
 * records, promote due deferred tasks, reclaim expired leases and the
 * entries of dead consumers, read the priority streams highest first) and
 * runs on the first call, once per claim interval, when a deferred task is
 * due, under an injected clock, and for several queues or priorities. In
 * between, a one-queue, one-stream fetch is a plain XREADGROUP [BLOCK] on
 * the task stream and the queue's signal stream, with no Lua at all; a
 * signal (a new priority stream, an earlier deferred task) sends the next
 * call back to the script. Neither path polls: the script path waits with
 * XREAD BLOCK from the group's last-delivered id, the fast path with
 * XREADGROUP BLOCK, both capped by the next due time and claim interval. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_cluster.h"
#include "backend/redis/redis_internal.h"
#include "orca/log.h"

/* How often fetch scans for expired leases (XAUTOCLAIM) and dead consumers
 * (XINFO CONSUMERS): a quarter of the lease, between 10 ms and 1 s. An idle
 * worker also scans for expired leases whenever a fetch finds nothing new.
 * A SIGKILLed worker's tasks therefore run elsewhere about half a lease
 * after it last renewed them, one interval later at most (docs/redis.md). */
static int64_t claim_interval(int64_t lease_us) {
  int64_t v = lease_us / 4;
  if (v < 10000)
    v = 10000;
  if (v > 1000000)
    v = 1000000;
  return v;
}

/* Copy s into out (size cap > 0), cut to fit and NUL-terminated; returns
 * the length copied. What snprintf("%s") does, without its cost per task. */
static size_t copy_str(char *out, size_t cap, const char *s) {
  size_t n = strnlen(s, cap - 1);
  memcpy(out, s, n);
  out[n] = '\0';
  return n;
}

static void fill_lease(orca__lease *l, const char *queue, const char *prio, const char *eid,
                       const char *id, size_t idlen, const void *pay, size_t paylen,
                       uint32_t deliveries, int64_t until) {
  size_t n = idlen < sizeof l->id - 1 ? idlen : sizeof l->id - 1;
  memcpy(l->id, id, n);
  l->id[n] = '\0';
  copy_str(l->queue, sizeof l->queue, queue);
  size_t pl = copy_str(l->ref, sizeof l->ref, prio);
  if (pl + 1 < sizeof l->ref) {
    l->ref[pl] = ' ';
    copy_str(l->ref + pl + 1, sizeof l->ref - pl - 1, eid);
  }
  l->deliveries = deliveries;
  l->lease_until_us = until;
  orca_buf_reset(&l->payload);
  orca_buf_append(&l->payload, pay, paylen);
}

/* One task of the fetch script's reply: queue index, prio, entry id,
 * deliveries, task id, payload. */
static void fill(orca__lease *l, const char *queue, const redisReply *const *e, int64_t until) {
  char prio[24], eid[40];
  orca__redis_copy(e[1], prio, sizeof prio);
  orca__redis_copy(e[2], eid, sizeof eid);
  fill_lease(l, queue, prio, eid, e[4]->str, e[4]->len, e[5]->str, e[5]->len,
             (uint32_t)orca__redis_int(e[3]), until);
}

/* Wait until one of the streams named in the wait list (pairs key, last
 * delivered id) gets an undelivered entry, for at most block_us. */
static int wait_new(orca__redis *r, const orca__fetch_req *req, const redisReply *w,
                    int64_t block_us) {
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "XREAD");
  orca__rargs_str(a, "COUNT");
  orca__rargs_str(a, "1");
  orca__rargs_str(a, "BLOCK");
  orca__rargs_int(a, orca__redis_ms_up(block_us));
  orca__rargs_str(a, "STREAMS");
  size_t npairs = w && w->type == REDIS_REPLY_ARRAY ? w->elements / 2 : 0;
  if (npairs) {
    for (size_t i = 0; i < npairs; i++)
      orca__rargs_add(a, w->element[2 * i]->str, w->element[2 * i]->len);
    for (size_t i = 0; i < npairs; i++)
      orca__rargs_add(a, w->element[2 * i + 1]->str, w->element[2 * i + 1]->len);
  } else {
    /* No stream exists yet: wait for the default-priority stream to appear. */
    for (size_t i = 0; i < req->nqueues; i++)
      orca__rargs_key(a, req->queues[i], "p:0");
    for (size_t i = 0; i < req->nqueues; i++)
      orca__rargs_str(a, "0-0");
  }
  redisReply *rep[1];
  int rc = orca__redis_exec(r, a, rep, block_us);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "XREAD BLOCK");
  orca__redis_free_replies(rep, 1);
  return rc;
}

/* ---- fast fetch: a plain XREADGROUP ------------------------------------- */

/* The fast path applies to a one-queue fetch under the real clock while the
 * last fetch script saw exactly one priority stream, and until the next
 * reclaim scan or deferred due time (fast_until_us). */
static bool fast_usable(const orca__redis *r, const orca__fetch_req *req, int64_t now) {
  return !r->log_only && req->nqueues == 1 && r->fast_queue[0] && now < r->fast_until_us &&
         !strcmp(r->fast_queue, req->queues[0]);
}

static const redisReply *field(const redisReply *f, const char *name) {
  for (size_t i = 0; f && f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2)
    if (f->element[i]->type == REDIS_REPLY_STRING && !strcmp(f->element[i]->str, name) &&
        f->element[i + 1]->type == REDIS_REPLY_STRING)
      return f->element[i + 1];
  return NULL;
}

/* Hand entries that are not tasks (garbage written into the stream by
 * hand or by another program) to the bury function, which dead-letters them
 * with the reason. */
static int bury(orca__redis *r, const char *queue, const redisReply *const *bad, size_t nbad,
                int64_t now) {
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, ORCA__RS_BURY);
  orca__rargs_int(a, 1);
  orca__rargs_key(a, queue, "");
  orca__rargs_int(a, now);
  orca__rargs_str(a, r->fast_prio);
  for (size_t i = 0; i < nbad; i++)
    orca__rargs_add(a, bad[i]->str, bad[i]->len);
  redisReply *rep[1];
  int rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "bury script");
  orca__redis_free_replies(rep, 1);
  return rc;
}

/* Acknowledge and delete the wake-ups read from the signal stream. */
static int drop_signals(orca__redis *r, const char *queue, const redisReply *es) {
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  for (int cmd = 0; cmd < 2; cmd++) {
    orca__rargs_cmd(a, -1);
    orca__rargs_str(a, cmd ? "XDEL" : "XACK");
    orca__rargs_key(a, queue, "sig");
    if (!cmd)
      orca__rargs_str(a, "orca");
    for (size_t k = 0; k < es->elements; k++)
      if (es->element[k]->type == REDIS_REPLY_ARRAY && es->element[k]->elements == 2)
        orca__rargs_add(a, es->element[k]->element[0]->str, es->element[k]->element[0]->len);
  }
  redisReply *rep[2];
  int rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "XACK signal");
  if (!rc)
    rc = orca__redis_reply_error(r, rep[1], "XDEL signal");
  orca__redis_free_replies(rep, 2);
  return rc;
}

/* Append "XREADGROUP GROUP orca WORKER COUNT n [BLOCK ms] STREAMS ..." to
 * r->args for queue q's fast-path stream: with_signals reads new entries of
 * the task and signal streams (">"), otherwise the consumer's own pending
 * entries of the task stream ("0"). */
static void xreadgroup(orca__redis *r, const char *q, const char *worker, int64_t count,
                       int64_t block_us, bool with_signals) {
  orca__rargs *a = &r->args;
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "XREADGROUP");
  orca__rargs_str(a, "GROUP");
  orca__rargs_str(a, "orca");
  orca__rargs_str(a, worker);
  orca__rargs_str(a, "COUNT");
  orca__rargs_int(a, count);
  if (block_us > 0) {
    orca__rargs_str(a, "BLOCK");
    orca__rargs_int(a, orca__redis_ms_up(block_us));
  }
  orca__rargs_str(a, "STREAMS");
  char suffix[32];
  snprintf(suffix, sizeof suffix, "p:%s", r->fast_prio);
  orca__rargs_key(a, q, suffix);
  if (with_signals) {
    orca__rargs_key(a, q, "sig");
    orca__rargs_str(a, ">");
    orca__rargs_str(a, ">");
  } else {
    orca__rargs_str(a, "0");
  }
}

/* The entry id, task id and payload of stream entry e, or false when e is
 * not a task (malformed, deleted, garbage). */
static bool entry_fields(const redisReply *e, const redisReply **id, const redisReply **pay) {
  if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
    return false;
  *id = field(e->element[1], "i");
  *pay = field(e->element[1], "p");
  return *id && *pay && (*id)->len > 0 && (*id)->len < ORCA_ID_MAX;
}

/* Hand out the tasks of a fast-path XREADGROUP reply x (task stream and
 * signal stream of queue q). New entries have one delivery and their lease
 * starts now (real clock: the pending list's idle time is the lease). A
 * signal (a new priority stream, an earlier deferred task) drops the fast
 * path, so the next round runs the fetch script; so does an error reply
 * (the group vanished, a FLUSHALL). Entries that are not tasks go to the
 * bury function. */
static void take_fast_reply(orca__redis *r, const char *q, const redisReply *x,
                            orca__lease *const *slots, size_t max, size_t *got, int64_t until,
                            const orca_clock *clock) {
  if (x->type == REDIS_REPLY_ERROR) {
    r->fast_queue[0] = '\0';
    return;
  }
  size_t nbad = 0;
  const redisReply **bad = NULL, *sig = NULL;
  for (size_t st = 0; x->type == REDIS_REPLY_ARRAY && st < x->elements; st++) {
    const redisReply *sx = x->element[st];
    if (sx->type != REDIS_REPLY_ARRAY || sx->elements != 2 ||
        sx->element[0]->type != REDIS_REPLY_STRING || sx->element[1]->type != REDIS_REPLY_ARRAY)
      continue;
    const redisReply *es = sx->element[1];
    size_t kl = sx->element[0]->len;
    if (kl >= 4 && !memcmp(sx->element[0]->str + kl - 4, ":sig", 4)) {
      sig = es;
      continue;
    }
    for (size_t k = 0; k < es->elements && *got < max; k++) {
      const redisReply *e = es->element[k], *id, *pay;
      if (entry_fields(e, &id, &pay)) {
        fill_lease(slots[*got], q, r->fast_prio, e->element[0]->str, id->str, id->len, pay->str,
                   pay->len, 1, until);
        orca__redis_held_add(&r->held, slots[*got]->ref);
        (*got)++;
      } else if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
                 e->element[0]->type == REDIS_REPLY_STRING &&
                 (bad || (bad = malloc(sizeof *bad * es->elements)))) {
        bad[nbad++] = e->element[0];
      } /* else: out of memory; the entry stays pending and the lease scan buries it */
    }
  }
  /* The tasks are handed out whatever happens below: a failed bury or
   * signal acknowledgement leaves those entries pending, and the fetch
   * script's lease scan deals with them later. */
  if (nbad && bury(r, q, bad, nbad, orca_clock_now(clock)))
    orca_log(ORCA_LOG_WARN, "redis %s:%d: cannot dead-letter %zu malformed entries of queue %s now",
             r->host, r->port, nbad, q);
  if (sig) {
    r->fast_queue[0] = '\0';
    drop_signals(r, q, sig);
  }
  free(bad);
}

/* XREADGROUP COUNT max [BLOCK] on the queue's one task stream and its
 * signal stream (take_fast_reply). A call that failed or was cut may have
 * delivered entries whose reply never arrived: the next fetch recovers them
 * (recover_cut). */
static int fast_fetch(orca__redis *r, const orca__fetch_req *req, orca__lease *const *slots,
                      size_t max, size_t *got, int64_t block_us, int64_t lease_us,
                      const orca_clock *clock) {
  orca__rargs_reset(&r->args);
  xreadgroup(r, req->queues[0], req->worker, (int64_t)max, block_us, true);
  redisReply *rep[1];
  int rc = orca__redis_exec(r, &r->args, rep, block_us);
  if (rc == ORCA_ECONNECT || (rc == ORCA_EAGAIN && r->cut))
    r->fast_cut = true;
  if (rc)
    return rc;
  take_fast_reply(r, req->queues[0], rep[0], slots, max, got,
                  orca__redis_lease_end(&r->base, orca_clock_now(clock), lease_us), clock);
  orca__redis_free_replies(rep, 1);
  return 0;
}

/* After a cut XREADGROUP BLOCK: read this consumer's own pending entries
 * (XREADGROUP ... 0) and hand out those this handle never handed out — the
 * ones delivered by the cut call. Entries already deleted come back without
 * fields and are skipped. */
static int recover_cut(orca__redis *r, const orca__fetch_req *req, orca__lease *const *slots,
                       size_t max, size_t *got, int64_t lease_us, const orca_clock *clock) {
  r->fast_cut = false;
  if (r->held.overflow)
    return 0;
  const char *q = req->queues[0];
  orca__rargs_reset(&r->args);
  xreadgroup(r, q, req->worker, (int64_t)(r->held.n + max + 16), 0, false);
  redisReply *rep[1];
  int rc = orca__redis_exec(r, &r->args, rep, 0);
  if (rc)
    return rc;
  const redisReply *x = rep[0], *es = NULL;
  if (x->type == REDIS_REPLY_ARRAY && x->elements == 1 &&
      x->element[0]->type == REDIS_REPLY_ARRAY && x->element[0]->elements == 2)
    es = x->element[0]->element[1];
  int64_t until = orca__redis_lease_end(&r->base, orca_clock_now(clock), lease_us);
  for (size_t k = 0; es && es->type == REDIS_REPLY_ARRAY && k < es->elements && *got < max; k++) {
    const redisReply *e = es->element[k], *id, *pay;
    if (!entry_fields(e, &id, &pay))
      continue; /* deleted or garbage: the lease scan deals with it */
    char ref[64];
    snprintf(ref, sizeof ref, "%s %s", r->fast_prio, e->element[0]->str);
    if (orca__redis_held_has(&r->held, ref))
      continue; /* handed out already */
    fill_lease(slots[*got], q, r->fast_prio, e->element[0]->str, id->str, id->len, pay->str,
               pay->len, 1, until);
    orca__redis_held_add(&r->held, slots[*got]->ref);
    (*got)++;
  }
  if (*got == max)
    r->fast_cut = true; /* there may be more */
  orca__redis_free_replies(rep, 1);
  return 0;
}

/* Remember (or forget) the fast path after a fetch script call: x is its
 * reply, now the time it ran with. */
static void fast_learn(orca__redis *r, const orca__backend *b, const orca__fetch_req *req,
                       const redisReply *x, int64_t now, int64_t interval) {
  r->fast_queue[0] = '\0';
  const redisReply *prios = x->elements > 2 ? x->element[2] : NULL;
  if (orca__redis_pinned(b) || req->nqueues != 1 || !prios || prios->type != REDIS_REPLY_ARRAY ||
      prios->elements != 1 || prios->element[0]->type != REDIS_REPLY_STRING ||
      prios->element[0]->len >= sizeof r->fast_prio)
    return;
  int64_t until = r->last_claim_us + interval, next_due = orca__redis_int(x->element[0]);
  if (next_due >= 0 && next_due < until)
    until = next_due;
  if (until <= now)
    return;
  snprintf(r->fast_queue, sizeof r->fast_queue, "%s", req->queues[0]);
  orca__redis_copy(prios->element[0], r->fast_prio, sizeof r->fast_prio);
  r->fast_until_us = until;
}

/* Longest wait on one queue while a cluster fetch serves several. */
#define CLUSTER_SLICE_US 100000

/* Several queues on a Redis Cluster: their keys live in different slots,
 * and a script may touch one slot only, so each queue gets its own fetch
 * (in the request's order, until max). Waiting blocks on one queue at a
 * time, in turns of at most 100 ms, and every turn first looks at all
 * queues again: a task in another queue waits at most one turn. An
 * interrupt ends the wait. */
static int cluster_fetch_each(orca__backend *b, const orca__fetch_req *req,
                              orca__lease *const *slots, size_t max, size_t *got) {
  orca__redis *r = (orca__redis *)b;
  int64_t deadline = orca_monotonic_us() + (req->wait_us > 0 ? req->wait_us : 0);
  orca__fetch_req one = *req;
  one.nqueues = 1;
  for (size_t turn = 0;; turn++) {
    for (size_t i = 0; i < req->nqueues && *got < max; i++) {
      one.queues = &req->queues[i];
      one.wait_us = 0;
      size_t n = 0;
      int rc = orca__redis_fetch(b, &one, slots + *got, max - *got, &n);
      *got += n;
      if (rc)
        return *got > 0 ? 0 : rc;
    }
    int64_t left = deadline - orca_monotonic_us();
    if (*got > 0 || left <= 0)
      return 0;
    one.queues = &req->queues[turn % req->nqueues];
    one.wait_us = left < CLUSTER_SLICE_US ? left : CLUSTER_SLICE_US;
    uint64_t intr = r->cluster->nintr;
    int rc = orca__redis_fetch(b, &one, slots, max, got);
    if (rc || *got > 0 || r->cluster->nintr != intr)
      return rc;
  }
}

int orca__redis_fetch(orca__backend *b, const orca__fetch_req *req, orca__lease *const *slots,
                      size_t max, size_t *got) {
  orca__redis *r = (orca__redis *)b;
  *got = 0;
  if (max == 0 || req->nqueues == 0)
    return 0;
  for (size_t i = 0; i < req->nqueues; i++)
    if (!orca__redis_queue_ok(req->queues[i]))
      return ORCA_EINVAL;
  if (!req->worker || !*req->worker)
    return ORCA_EINVAL;
  if (max > 4096)
    max = 4096;
  if (r->cluster && req->nqueues > 1)
    return cluster_fetch_each(b, req, slots, max, got);
  int64_t lease_us = req->lease_us > 0 ? req->lease_us : 30000000;
  int64_t interval = claim_interval(lease_us);
  int64_t deadline = orca_monotonic_us() + (req->wait_us > 0 ? req->wait_us : 0);
  for (;;) {
    int64_t now = orca_clock_now(b->clock);
    if (r->fast_cut && req->nqueues == 1 && r->fast_queue[0] &&
        !strcmp(r->fast_queue, req->queues[0])) {
      int rc = recover_cut(r, req, slots, max, got, lease_us, b->clock);
      if (rc || *got > 0)
        return rc;
    }
    if (fast_usable(r, req, now)) {
      int64_t block = 0;
      if (req->wait_us > 0) {
        block = deadline - orca_monotonic_us();
        if (block > r->fast_until_us - now)
          block = r->fast_until_us - now;
        if (block < 1000)
          block = 1000;
      }
      int rc = fast_fetch(r, req, slots, max, got, block, lease_us, b->clock);
      if (rc == ORCA_EAGAIN)
        return 0; /* interrupted: return with nothing */
      if (rc || *got > 0)
        return rc;
      if (r->fast_queue[0] && (req->wait_us <= 0 || orca_monotonic_us() >= deadline))
        return 0;
      continue; /* the fast path was dropped: run the fetch script now */
    }
    /* Reclaim scans run on the caller's clock, so an injected clock that
     * jumps past a lease sees the redelivery at once. */
    bool claim =
        r->last_claim_us == 0 || now - r->last_claim_us >= interval || now < r->last_claim_us;
    orca__rargs *a = &r->args;
    orca__rargs_reset(a);
    orca__rargs_cmd(a, ORCA__RS_FETCH);
    orca__rargs_int(a, (int64_t)req->nqueues);
    for (size_t i = 0; i < req->nqueues; i++)
      orca__rargs_key(a, req->queues[i], "");
    orca__rargs_str(a, req->worker);
    orca__rargs_int(a, (int64_t)max);
    orca__rargs_int(a, now);
    orca__rargs_int(a, (now + lease_us) / 1000);
    orca__rargs_str(a, claim ? "1" : "0");
    orca__rargs_int(a, 1000);
    orca__rargs_int(a, ORCA__REDIS_MAX_DELIVERIES);
    orca__rargs_str(a, orca__redis_pinned(b) ? "1" : "0");
    orca__rargs_int(a, orca__redis_ms_up(lease_us));
    orca__rargs_str(a, r->log_only ? "1" : "0");
    redisReply *rep[1];
    int rc = orca__redis_exec(r, a, rep, 0);
    if (rc)
      return rc;
    const redisReply *x = rep[0];
    if ((rc = orca__redis_reply_error(r, x, "fetch script"))) {
      orca__redis_free_replies(rep, 1);
      return rc;
    }
    if (claim)
      r->last_claim_us = now;
    fast_learn(r, b, req, x, now, interval);
    int64_t next_due = orca__redis_int(x->element[0]);
    for (size_t e = 3; e + 6 <= x->elements && *got < max; e += 6) {
      size_t qi = (size_t)orca__redis_int(x->element[e]);
      if (qi < 1 || qi > req->nqueues)
        continue;
      fill(slots[*got], req->queues[qi - 1], (const redisReply *const *)&x->element[e],
           orca__redis_lease_end(b, now, lease_us));
      orca__redis_held_add(&r->held, slots[*got]->ref);
      (*got)++;
    }
    if (*got > 0 || req->wait_us <= 0) {
      orca__redis_free_replies(rep, 1);
      return 0;
    }
    int64_t left = deadline - orca_monotonic_us();
    if (left <= 0) {
      orca__redis_free_replies(rep, 1);
      return 0;
    }
    if (fast_usable(r, req, orca_clock_now(b->clock))) {
      orca__redis_free_replies(rep, 1);
      continue; /* wait in XREADGROUP BLOCK */
    }
    int64_t block = left < interval ? left : interval;
    if (next_due >= 0) {
      int64_t until = next_due - orca_clock_now(b->clock);
      if (until < block)
        block = until;
    }
    if (block < 1000)
      block = 1000;
    rc = wait_new(r, req, x->element[1], block);
    orca__redis_free_replies(rep, 1);
    if (rc == ORCA_EAGAIN)
      return 0; /* interrupted: return with nothing */
    if (rc)
      return rc;
  }
}
