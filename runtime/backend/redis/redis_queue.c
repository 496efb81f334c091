/* redis_queue.c — the hot path of the Redis backend: enqueue, fetch,
 * complete, extend and promote, each one pipeline of script calls per batch
 * (one EVALSHA per run of jobs of one queue, at most ORCA__REDIS_CHUNK per
 * call), so the number of round trips does not grow with the batch.
 *
 * Fetch never polls: when nothing is ready it waits with XREAD BLOCK on the
 * queue streams starting at the consumer group's last-delivered id (returns
 * as soon as an undelivered entry exists), capped by the next deferred due
 * time and by the lease-reclaim interval, and then runs the fetch script
 * again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_internal.h"

static int64_t ms_up(int64_t us) { return us <= 0 ? 0 : (us + 999) / 1000; }

/* ---- enqueue ------------------------------------------------------------ */

static bool job_ok(const orca__job *j) {
  return j->id && *j->id && strlen(j->id) < ORCA_ID_MAX && orca__redis_queue_ok(j->queue) &&
         (j->payload || j->payload_len == 0) && (!j->unique_key || strlen(j->unique_key) < 512);
}

/* Append the 9 script arguments of one job (see enq in redis_scripts.c); the
 * schedule-fire script takes jobs in the same form. */
void orca__redis_add_job(orca__rargs *a, const orca__job *j) {
  orca__rargs_str(a, j->id);
  orca__rargs_str(a, j->task ? j->task : "");
  orca__rargs_int(a, j->priority);
  orca__rargs_int(a, j->eta_us);
  orca__rargs_int(a, j->attempt);
  orca__rargs_add(a, j->payload, j->payload_len);
  orca__rargs_str(a, j->unique_key ? j->unique_key : "");
  orca__rargs_int(a, ms_up(j->unique_ttl_us));
  orca__rargs_int(a, ms_up(j->state_ttl_us));
}

int orca__redis_enqueue(orca__backend *b, const orca__job *jobs, size_t n,
                        orca__enqueue_result *res) {
  orca__redis *r = (orca__redis *)b;
  if (n == 0)
    return 0;
  int64_t now = orca_clock_now(b->clock);
  size_t *cmdjob = malloc(sizeof *cmdjob * (2 * n + 1)); /* first job of each command */
  redisReply **rep = calloc(2 * n + 1, sizeof *rep);
  if (!cmdjob || !rep) {
    free(cmdjob);
    free(rep);
    return ORCA_ENOMEM;
  }
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  for (size_t i = 0; i < n; i++) {
    res[i].status = 0;
    res[i].existing_id[0] = '\0';
  }
  size_t i = 0;
  while (i < n) {
    if (!job_ok(&jobs[i])) {
      res[i++].status = ORCA_EINVAL;
      continue;
    }
    const char *q = jobs[i].queue;
    cmdjob[a->ncmds] = SIZE_MAX;
    orca__rargs_cmd(a, -1);
    orca__rargs_str(a, "SADD");
    orca__rargs_str(a, "orca:queues");
    orca__rargs_str(a, q);
    cmdjob[a->ncmds] = i;
    orca__rargs_cmd(a, ORCA__RS_ENQUEUE);
    orca__rargs_int(a, 1);
    orca__rargs_key(a, q, "");
    orca__rargs_int(a, now);
    size_t k = 0;
    while (i < n && k < ORCA__REDIS_CHUNK && job_ok(&jobs[i]) && strcmp(jobs[i].queue, q) == 0) {
      orca__redis_add_job(a, &jobs[i]);
      i++;
      k++;
    }
  }
  int rc = a->ncmds ? orca__redis_exec(r, a, rep, 0) : 0;
  size_t ncmds = a->ncmds;
  for (size_t c = 0; rc == 0 && c < ncmds; c++) {
    if (cmdjob[c] == SIZE_MAX)
      continue;
    const redisReply *x = rep[c];
    if ((rc = orca__redis_reply_error(r, x, "enqueue script")))
      break;
    size_t j = cmdjob[c];
    for (size_t e = 0; e < x->elements; e++, j++) {
      const redisReply *el = x->element[e];
      if (j >= n || el->type != REDIS_REPLY_STRING)
        continue;
      orca__redis_copy(el, res[j].existing_id, sizeof res[j].existing_id);
      /* Our own id after a resend: the first send stored it. */
      if (!(r->retried && strcmp(res[j].existing_id, jobs[j].id) == 0))
        res[j].status = ORCA_EDUPLICATE;
      else
        res[j].existing_id[0] = '\0';
    }
  }
  orca__redis_free_replies(rep, ncmds);
  free(rep);
  free(cmdjob);
  return rc;
}

/* ---- fetch -------------------------------------------------------------- */

/* Leases are pinned into the pending list only under an injected clock
 * (see redis_scripts.c); with the real clock Redis's idle time is the lease. */
static bool pinned(const orca__backend *b) { return b->clock != &orca_clock_real; }

static int64_t claim_interval(int64_t lease_us) {
  int64_t v = lease_us / 4;
  if (v < 10000)
    v = 10000;
  if (v > 5000000)
    v = 5000000;
  return v;
}

static void fill(orca__lease *l, const char *queue, const redisReply *const *e, int64_t until) {
  orca__redis_copy(e[4], l->id, sizeof l->id);
  snprintf(l->queue, sizeof l->queue, "%s", queue);
  char prio[24], eid[40];
  orca__redis_copy(e[1], prio, sizeof prio);
  orca__redis_copy(e[2], eid, sizeof eid);
  snprintf(l->ref, sizeof l->ref, "%s %s", prio, eid);
  l->deliveries = (uint32_t)orca__redis_int(e[3]);
  l->lease_until_us = until;
  orca_buf_reset(&l->payload);
  orca_buf_append(&l->payload, e[5]->str, e[5]->len);
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
  orca__rargs_int(a, ms_up(block_us));
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
  int64_t lease_us = req->lease_us > 0 ? req->lease_us : 30000000;
  int64_t interval = claim_interval(lease_us);
  int64_t deadline = orca_monotonic_us() + (req->wait_us > 0 ? req->wait_us : 0);
  for (;;) {
    int64_t now = orca_clock_now(b->clock);
    /* Reclaim scans run on the caller's clock, so an injected clock that
     * jumps past a lease sees the redelivery at once. */
    bool claim = r->last_claim_us == 0 || now - r->last_claim_us >= interval ||
                 now < r->last_claim_us;
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
    orca__rargs_str(a, pinned(b) ? "1" : "0");
    orca__rargs_int(a, ms_up(lease_us));
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
    int64_t next_due = orca__redis_int(x->element[0]);
    for (size_t e = 2; e + 6 <= x->elements && *got < max; e += 6) {
      size_t qi = (size_t)orca__redis_int(x->element[e]);
      if (qi < 1 || qi > req->nqueues)
        continue;
      fill(slots[*got], req->queues[qi - 1], (const redisReply *const *)&x->element[e],
           now + lease_us);
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

/* ---- complete ----------------------------------------------------------- */

/* Split a lease ref "PRIO ENTRYID"; false when it is not one of ours. */
static bool split_ref(const char *ref, char *prio, size_t plen, const char **eid) {
  const char *sp = strchr(ref, ' ');
  if (!sp || sp == ref || (size_t)(sp - ref) >= plen || !sp[1])
    return false;
  memcpy(prio, ref, (size_t)(sp - ref));
  prio[sp - ref] = '\0';
  *eid = sp + 1;
  return true;
}

static const char *worker_of(const orca__completion *c) { return c->worker ? c->worker : ""; }

static void add_completion(orca__rargs *a, const orca__completion *c, const char *prio,
                           const char *eid, int64_t now) {
  const orca__lease *l = c->lease;
  orca__rargs_str(a, prio);
  orca__rargs_str(a, eid);
  orca__rargs_str(a, l->id);
  orca__rargs_int(a, (int64_t)c->outcome);
  orca__rargs_int(a, (int64_t)c->state);
  orca__rargs_int(a, c->attempt);
  orca__rargs_int(a, c->started_us);
  orca__rargs_str(a, c->error ? c->error : "");
  if (c->outcome == ORCA__ACK && c->result)
    orca__rargs_add(a, c->result, c->result_len);
  else
    orca__rargs_add(a, "", 0);
  orca__rargs_int(a, ms_up(c->ttl_us));
  if (c->outcome == ORCA__RETRY && c->payload)
    orca__rargs_add(a, c->payload, c->payload_len);
  else if (c->outcome == ORCA__ACK)
    orca__rargs_add(a, "", 0); /* an ended task keeps no payload */
  else
    orca__rargs_add(a, l->payload.data, l->payload.len);
  orca__rargs_int(a, c->retry_at_us);
  orca__rargs_str(a, c->unique_key ? c->unique_key : "");
  orca__rargs_int(a, ms_up(c->unique_ttl_us));
  orca__rargs_int(a, c->ttl_us > 0 ? now + c->ttl_us : 0); /* record expiry */
}

int orca__redis_complete(orca__backend *b, const orca__completion *c, size_t n) {
  orca__redis *r = (orca__redis *)b;
  if (n == 0)
    return 0;
  int64_t now = orca_clock_now(b->clock);
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  char prio[24];
  const char *eid;
  size_t i = 0;
  while (i < n) {
    const orca__lease *l = c[i].lease;
    if (!l || !orca__redis_queue_ok(l->queue) || !split_ref(l->ref, prio, sizeof prio, &eid)) {
      i++; /* not a lease of ours: nothing to record */
      continue;
    }
    orca__rargs_cmd(a, ORCA__RS_COMPLETE);
    orca__rargs_int(a, 1);
    orca__rargs_key(a, l->queue, "");
    orca__rargs_str(a, worker_of(&c[i]));
    orca__rargs_int(a, now);
    size_t k = 0, first = i;
    while (i < n && k < ORCA__REDIS_CHUNK) {
      const orca__lease *m = c[i].lease;
      if (!m || strcmp(m->queue, l->queue) || strcmp(worker_of(&c[i]), worker_of(&c[first])) ||
          !split_ref(m->ref, prio, sizeof prio, &eid))
        break;
      add_completion(a, &c[i], prio, eid, now);
      i++;
      k++;
    }
  }
  if (!a->ncmds)
    return 0;
  size_t ncmds = a->ncmds;
  redisReply **rep = calloc(ncmds, sizeof *rep);
  if (!rep)
    return ORCA_ENOMEM;
  int rc = orca__redis_exec(r, a, rep, 0);
  for (size_t k = 0; rc == 0 && k < ncmds; k++)
    rc = orca__redis_reply_error(r, rep[k], "complete script");
  orca__redis_free_replies(rep, ncmds);
  free(rep);
  return rc;
}

/* ---- extend ------------------------------------------------------------- */

int orca__redis_extend(orca__backend *b, orca__lease *const *leases, size_t n, const char *worker,
                       int64_t lease_us, int *status) {
  orca__redis *r = (orca__redis *)b;
  if (n == 0)
    return 0;
  if (!worker || !*worker)
    return ORCA_EINVAL;
  int64_t now = orca_clock_now(b->clock);
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  size_t *cmdfirst = malloc(sizeof *cmdfirst * (n + 1));
  redisReply **rep = calloc(n + 1, sizeof *rep);
  if (!cmdfirst || !rep) {
    free(cmdfirst);
    free(rep);
    return ORCA_ENOMEM;
  }
  char prio[24];
  const char *eid;
  size_t i = 0;
  while (i < n) {
    if (!orca__redis_queue_ok(leases[i]->queue) ||
        !split_ref(leases[i]->ref, prio, sizeof prio, &eid)) {
      status[i++] = ORCA_ELOST;
      continue;
    }
    const char *q = leases[i]->queue;
    cmdfirst[a->ncmds] = i;
    orca__rargs_cmd(a, ORCA__RS_EXTEND);
    orca__rargs_int(a, 1);
    orca__rargs_key(a, q, "");
    orca__rargs_str(a, worker);
    orca__rargs_int(a, (now + lease_us) / 1000);
    orca__rargs_str(a, pinned(b) ? "1" : "0");
    size_t k = 0;
    while (i < n && k < ORCA__REDIS_CHUNK && strcmp(leases[i]->queue, q) == 0 &&
           split_ref(leases[i]->ref, prio, sizeof prio, &eid)) {
      orca__rargs_str(a, prio);
      orca__rargs_str(a, eid);
      orca__rargs_str(a, leases[i]->id);
      i++;
      k++;
    }
  }
  size_t ncmds = a->ncmds;
  int rc = ncmds ? orca__redis_exec(r, a, rep, 0) : 0;
  for (size_t k = 0; rc == 0 && k < ncmds; k++) {
    if ((rc = orca__redis_reply_error(r, rep[k], "extend script")))
      break;
    size_t j = cmdfirst[k];
    for (size_t e = 0; e < rep[k]->elements && j < n; e++, j++) {
      status[j] = (int)orca__redis_int(rep[k]->element[e]);
      if (status[j] == 0)
        leases[j]->lease_until_us = now + lease_us;
    }
  }
  orca__redis_free_replies(rep, ncmds);
  free(rep);
  free(cmdfirst);
  return rc;
}

/* ---- promote ------------------------------------------------------------ */

int orca__redis_promote(orca__backend *b, int64_t now_us, size_t max, int64_t *next_due_us) {
  orca__redis *r = (orca__redis *)b;
  *next_due_us = INT64_MAX;
  int rc = orca__redis_load_queues(r);
  if (rc)
    return rc;
  if (r->nqueues == 0)
    return 0;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, ORCA__RS_PROMOTE);
  orca__rargs_int(a, (int64_t)r->nqueues);
  for (size_t i = 0; i < r->nqueues; i++)
    orca__rargs_key(a, r->queues[i], "");
  orca__rargs_int(a, now_us);
  orca__rargs_int(a, (int64_t)(max ? max : 1000));
  redisReply *rep[1];
  rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "promote script");
  int moved = 0;
  if (!rc && rep[0]->elements == 2) {
    moved = (int)orca__redis_int(rep[0]->element[0]);
    int64_t nd = orca__redis_int(rep[0]->element[1]);
    if (nd >= 0)
      *next_due_us = nd;
  }
  orca__redis_free_replies(rep, 1);
  return rc ? rc : moved;
}
