/* redis_queue.c — the write side of the Redis backend's hot path:
 * enqueue, complete, extend and promote, each one pipeline of script calls
 * per batch (one FCALL per run of jobs of one queue, at most
 * ORCA__REDIS_CHUNK per call), so the number of round trips does not grow
 * with the batch. Fetch is in redis_fetch.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"
#include "base/dec.h"

/* ---- enqueue ------------------------------------------------------------ */

static bool job_ok(const orca__job *j) {
  return j->id && *j->id && strlen(j->id) < ORCA_ID_MAX && orca__redis_queue_ok(j->queue) &&
         (j->payload || j->payload_len == 0) && (!j->unique_key || strlen(j->unique_key) < 512);
}

/* Append the 9 script arguments of one job (see enq in scripts/prelude.lua); the
 * schedule-fire script takes jobs in the same form. */
void orca__redis_add_job(orca__rargs *a, const orca__job *j) {
  orca__rargs_str(a, j->id);
  orca__rargs_str(a, j->task ? j->task : "");
  orca__rargs_int(a, j->priority);
  orca__rargs_int(a, j->eta_us);
  orca__rargs_int(a, j->attempt);
  orca__rargs_add(a, j->payload, j->payload_len);
  orca__rargs_str(a, j->unique_key ? j->unique_key : "");
  orca__rargs_int(a, orca__redis_ms_up(j->unique_ttl_us));
  orca__rargs_int(a, orca__redis_ms_up(j->state_ttl_us));
}

void orca__redis_add_fire(orca__rargs *a, const char *name, int64_t expected_us, int64_t next_us,
                          int64_t now_us, int64_t handoff_us, const orca__job *jobs, size_t njobs) {
  orca__rargs_str(a, name);
  orca__rargs_int(a, expected_us);
  orca__rargs_int(a, next_us);
  orca__rargs_int(a, now_us);
  if (handoff_us >= 0)
    orca__rargs_int(a, handoff_us);
  for (size_t i = 0; i < njobs; i++) {
    orca__rargs_str(a, jobs[i].queue);
    orca__redis_add_job(a, &jobs[i]);
  }
}

int orca__redis_enqueue(orca__backend *b, const orca__job *jobs, size_t n,
                        orca__enqueue_result *res) {
  return orca__redis_enqueue_with((orca__redis *)b, ORCA__RS_ENQUEUE, -1, jobs, n, res);
}

int orca__redis_enqueue_with(orca__redis *r, int script, int64_t handoff_us, const orca__job *jobs,
                             size_t n, orca__enqueue_result *res) {
  if (n == 0)
    return 0;
  int64_t now = orca_clock_now(r->base.clock);
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
    orca__rargs_cmd(a, script);
    orca__rargs_int(a, 1);
    orca__rargs_key(a, q, "");
    orca__rargs_int(a, now);
    if (handoff_us >= 0)
      orca__rargs_int(a, handoff_us);
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

/* ---- complete ----------------------------------------------------------- */

bool orca__redis_split_ref(const char *ref, char *prio, size_t plen, const char **eid) {
  const char *sp = strchr(ref, ' ');
  if (!sp || sp == ref || (size_t)(sp - ref) >= plen || !sp[1])
    return false;
  memcpy(prio, ref, (size_t)(sp - ref));
  prio[sp - ref] = '\0';
  *eid = sp + 1;
  return true;
}

static const char *worker_of(const orca__completion *c) {
  return c->worker ? c->worker : "";
}

/* Stream entry ids "MS-SEQ" as a number pair, for the lowest/highest id of a
 * completion run (the complete script's XPENDING range). */
typedef struct eid_num {
  unsigned long long ms, seq;
} eid_num;

static eid_num eid_parse(const char *eid) {
  char *end;
  eid_num v = {strtoull(eid, &end, 10), 0};
  if (*end == '-')
    v.seq = strtoull(end + 1, NULL, 10);
  return v;
}

static int eid_cmp(eid_num a, eid_num b) {
  if (a.ms != b.ms)
    return a.ms < b.ms ? -1 : 1;
  return a.seq < b.seq ? -1 : a.seq > b.seq;
}

/* Append the 11 outcome values of completion c (OUTCOME STATE ATTEMPT
 * STARTED ERROR RESULT TTL_MS PAYLOAD RETRY_AT UNIQUE_KEY UNIQUE_TTL_MS), as
 * the general form of scripts/complete.lua and scripts/s_finish.lua read
 * them. */
void orca__redis_add_outcome(orca__rargs *a, const orca__completion *c) {
  orca__rargs_int(a, (int64_t)c->outcome);
  orca__rargs_int(a, (int64_t)c->state);
  orca__rargs_int(a, c->attempt);
  orca__rargs_int(a, c->started_us);
  orca__rargs_str(a, c->error ? c->error : "");
  if (c->outcome == ORCA__ACK && c->result)
    orca__rargs_add(a, c->result, c->result_len);
  else
    orca__rargs_add(a, "", 0);
  orca__rargs_int(a, orca__redis_ms_up(c->ttl_us));
  if (c->outcome == ORCA__RETRY && c->payload)
    orca__rargs_add(a, c->payload, c->payload_len);
  else if (c->outcome == ORCA__ACK)
    orca__rargs_add(a, "", 0); /* an ended task keeps no payload */
  else
    orca__rargs_add(a, c->lease->payload.data, c->lease->payload.len);
  orca__rargs_int(a, c->retry_at_us);
  orca__rargs_str(a, c->unique_key ? c->unique_key : "");
  orca__rargs_int(a, orca__redis_ms_up(c->unique_ttl_us));
}

/* Append one completion record (see scripts/complete.lua): the
 * short 'a' form for a plain ack with a kept record, else the 'g' form. */
static void add_completion(orca__rargs *a, const orca__completion *c, const char *eid,
                           int64_t now) {
  const orca__lease *l = c->lease;
  if (c->outcome == ORCA__ACK && !c->error && !c->unique_key && c->ttl_us > 0) {
    /* The state hash's packed c field, so the script only stores it (each
     * hash field costs ~1.4 us in HSET; see orca__redis_info_from_hash):
     * "ATTEMPT/DELIVERIES STARTED +RUN +TTL WORKER", the finish and the
     * expiry relative. The worker goes in only while the value stays within
     * ORCA__REDIS_SMALL_VALUE bytes, so that the record stays a listpack;
     * else the 'A' form has the script write it as the w field. */
    char packed[5 * (ORCA__DEC_MAX + 2) + ORCA_NAME_MAX];
    size_t k = orca__dec_i64(packed, c->attempt);
    packed[k++] = '/';
    k += orca__dec_i64(packed + k, l->deliveries);
    packed[k++] = ' ';
    k += orca__dec_i64(packed + k, c->started_us);
    packed[k++] = ' ';
    if (now >= c->started_us)
      packed[k++] = '+';
    k += orca__dec_i64(packed + k, now >= c->started_us ? now - c->started_us : now);
    packed[k++] = ' ';
    packed[k++] = '+';
    k += orca__dec_i64(packed + k, c->ttl_us);
    const char *wk = worker_of(c);
    size_t wl = strnlen(wk, ORCA_NAME_MAX - 1);
    bool with_worker = k + 1 + wl <= ORCA__REDIS_SMALL_VALUE;
    if (with_worker) {
      packed[k++] = ' ';
      memcpy(packed + k, wk, wl);
      k += wl;
    }
    orca__rargs_str(a, with_worker ? "a" : "A");
    orca__rargs_str(a, eid);
    orca__rargs_str(a, l->id);
    orca__rargs_int(a, (int64_t)c->state);
    orca__rargs_add(a, packed, k);
    orca__rargs_add(a, c->result ? (const void *)c->result : "", c->result ? c->result_len : 0);
    orca__rargs_int(a, now + c->ttl_us);
    return;
  }
  orca__rargs_str(a, "g");
  orca__rargs_str(a, eid);
  orca__rargs_str(a, l->id);
  orca__redis_add_outcome(a, c);
  orca__rargs_int(a, c->ttl_us > 0 ? now + c->ttl_us : 0); /* record expiry */
}

/* Does completion c belong to the run that starts with completion f (same
 * queue, worker and priority stream)? */
static bool same_run(const orca__completion *c, const orca__completion *f, const char *fprio) {
  char prio[24];
  const char *eid;
  return c->lease && !strcmp(c->lease->queue, f->lease->queue) &&
         !strcmp(worker_of(c), worker_of(f)) &&
         orca__redis_split_ref(c->lease->ref, prio, sizeof prio, &eid) && !strcmp(prio, fprio);
}

/* Append the complete-script calls for c[0..n) to r->args (not reset). */
static void add_completions(orca__redis *r, const orca__completion *c, size_t n, int64_t now) {
  orca__rargs *a = &r->args;
  char prio[24];
  const char *eid;
  size_t i = 0;
  while (i < n) {
    const orca__lease *l = c[i].lease;
    if (!l || !orca__redis_queue_ok(l->queue) ||
        !orca__redis_split_ref(l->ref, prio, sizeof prio, &eid)) {
      i++; /* not a lease of ours: nothing to record */
      continue;
    }
    /* One run: its extent first (for the script's XPENDING range). */
    size_t first = i, end = i + 1;
    eid_num lo = eid_parse(eid), hi = lo;
    const char *los = eid, *his = eid;
    while (end < n && end - first < ORCA__REDIS_CHUNK && same_run(&c[end], &c[first], prio)) {
      char p2[24];
      const char *e2 = "";
      orca__redis_split_ref(c[end].lease->ref, p2, sizeof p2, &e2);
      eid_num v = eid_parse(e2);
      if (eid_cmp(v, lo) < 0)
        lo = v, los = e2;
      if (eid_cmp(v, hi) > 0)
        hi = v, his = e2;
      end++;
    }
    orca__rargs_cmd(a, ORCA__RS_COMPLETE);
    orca__rargs_int(a, 1);
    orca__rargs_key(a, l->queue, "");
    orca__rargs_str(a, worker_of(&c[first]));
    orca__rargs_int(a, now);
    orca__rargs_str(a, prio);
    orca__rargs_str(a, los);
    orca__rargs_str(a, his);
    for (; i < end; i++) {
      char p2[24];
      orca__redis_split_ref(c[i].lease->ref, p2, sizeof p2, &eid);
      add_completion(a, &c[i], eid, now);
    }
  }
}

/* The completions reached the server: forget their deliveries. */
static void completed(orca__redis *r, const orca__completion *c, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (c[i].lease)
      orca__redis_held_del(&r->held, c[i].lease->ref);
}

int orca__redis_complete(orca__backend *b, const orca__completion *c, size_t n) {
  orca__redis *r = (orca__redis *)b;
  if (n == 0)
    return 0;
  orca__rargs_reset(&r->args);
  add_completions(r, c, n, orca_clock_now(b->clock));
  size_t ncmds = r->args.ncmds;
  if (!ncmds)
    return 0;
  redisReply **rep = calloc(ncmds, sizeof *rep);
  if (!rep)
    return ORCA_ENOMEM;
  int rc = orca__redis_exec(r, &r->args, rep, 0);
  for (size_t k = 0; rc == 0 && k < ncmds; k++)
    rc = orca__redis_reply_error(r, rep[k], "complete script");
  if (rc == 0)
    completed(r, c, n);
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
        !orca__redis_split_ref(leases[i]->ref, prio, sizeof prio, &eid)) {
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
    orca__rargs_str(a, orca__redis_pinned(b) ? "1" : "0");
    size_t k = 0;
    while (i < n && k < ORCA__REDIS_CHUNK && strcmp(leases[i]->queue, q) == 0 &&
           orca__redis_split_ref(leases[i]->ref, prio, sizeof prio, &eid)) {
      orca__rargs_str(a, prio);
      orca__rargs_str(a, eid);
      orca__rargs_str(a, r->log_only ? "" : leases[i]->id); /* the log half reads no flag */
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
        leases[j]->lease_until_us = orca__redis_lease_end(b, now, lease_us);
      else if (status[j] == ORCA_ELOST)
        orca__redis_held_del(&r->held, leases[j]->ref);
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
  /* On a Redis Cluster the TimeKeeper's tick also re-sends schedule fires a
   * dead node left in the outbox (redis_outbox.c); a failure there is
   * logged by it and does not stop the promotion. */
  if (r->cluster)
    orca__redis_outbox_drain(r, now_us);
  if (r->nqueues == 0)
    return 0;
  /* One call for all queues; on a Redis Cluster one per queue (a script
   * touches one slot), all in one pipeline, each moving at most max. */
  char now[24], most[24];
  snprintf(now, sizeof now, "%" PRId64, now_us);
  snprintf(most, sizeof most, "%zu", max ? max : 1000);
  redisReply **rep;
  size_t ncalls;
  rc = orca__redis_queue_calls(r, ORCA__RS_PROMOTE, (const char *[]){now, most}, 2, &rep, &ncalls);
  if (rc)
    return rc;
  int moved = 0;
  for (size_t c = 0; !rc && c < ncalls; c++) {
    rc = orca__redis_reply_error(r, rep[c], "promote script");
    if (!rc && rep[c]->elements == 2) {
      moved += (int)orca__redis_int(rep[c]->element[0]);
      int64_t nd = orca__redis_int(rep[c]->element[1]);
      if (nd >= 0 && nd < *next_due_us)
        *next_due_us = nd;
    }
  }
  orca__redis_free_replies(rep, ncalls);
  free(rep);
  return rc ? rc : moved;
}
