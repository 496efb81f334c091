/* redis_log.c — Redis as the log half of a backend (log.h), beside a store
 * of another engine or database (redis://HOST:PORT/DB?store=sqlite:PATH,
 * or any store=...). The handle is the fused one opened with log_only set;
 * the queue keys are the fused layout's streams (orca:{Q}:p:PRIO, one
 * consumer group, the pending list as the leases) and its priority set,
 * and nothing else: no records, deferred set, unique keys or dead letters,
 * which belong to the store.
 *
 * Fetch, extend and release_worker are the fused code, told by log_only to
 * leave records alone (fetch.lua, extend.lua, release_worker.lua); the
 * fused fast fetch (one XREADGROUP without the script) is off. Append and
 * complete have their own scripts (l_append.lua, l_complete.lua). The log
 * has leases and order (ORCA__LOG_LEASES | ORCA__LOG_ORDERED): an entry
 * whose lease ran out, or that was released, goes to the next fetch with
 * its delivery count incremented. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"

static orca__redis *of_log(orca__log *l) {
  return (orca__redis *)((char *)l - offsetof(orca__redis, log));
}

static int log_open(const char *url, const orca__backend_opts *opts, orca__log **out,
                    orca_err *err) {
  *out = NULL;
  if (strncmp(url, "redis://", 8) != 0)
    return orca_err_set(err, ORCA_ENOTSUP,
                        "only a single Redis server (redis://) can be a log; a Redis Cluster "
                        "cannot yet");
  orca__redis *r;
  int rc = orca__redis_new(url, opts, &r, err);
  if (rc)
    return rc;
  r->log_only = true;
  r->log.ops = &orca__redis_log_ops;
  r->log.clock = r->base.clock;
  *out = &r->log;
  return 0;
}

static void log_close(orca__log *l) {
  if (l)
    orca__redis_ops.close(&of_log(l)->base);
}

static void log_interrupt(orca__log *l) {
  orca__redis_ops.interrupt(&of_log(l)->base);
}

/* ---- append ------------------------------------------------------------- */

static void append_item(orca__rargs *a, const void *ud, size_t i) {
  const orca__job *j = &((const orca__job *)ud)[i];
  orca__rargs_str(a, j->id);
  orca__rargs_int(a, j->priority);
  orca__rargs_add(a, j->payload ? (const void *)j->payload : "", j->payload_len);
}

/* Register the queues of jobs[0..n) in orca:queues (release_worker walks
 * it), one SADD per run of one queue, in one pipeline. */
static int add_queues(orca__redis *r, const orca__job *jobs, size_t n) {
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && !strcmp(jobs[i].queue, jobs[i - 1].queue))
      continue;
    orca__rargs_cmd(a, -1);
    orca__rargs_str(a, "SADD");
    orca__rargs_str(a, "orca:queues");
    orca__rargs_str(a, jobs[i].queue);
  }
  size_t ncmds = a->ncmds;
  redisReply **rep = calloc(ncmds ? ncmds : 1, sizeof *rep);
  if (!rep)
    return ORCA_ENOMEM;
  int rc = orca__redis_exec(r, a, rep, 0);
  for (size_t k = 0; rc == 0 && k < ncmds; k++)
    rc = orca__redis_reply_error(r, rep[k], "SADD orca:queues");
  orca__redis_free_replies(rep, ncmds);
  free(rep);
  return rc;
}

static int log_append(orca__log *l, const orca__job *jobs, size_t n) {
  if (n == 0)
    return 0;
  if (!jobs)
    return ORCA_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!jobs[i].id || !*jobs[i].id || strlen(jobs[i].id) >= ORCA_ID_MAX ||
        !orca__redis_queue_ok(jobs[i].queue) || (!jobs[i].payload && jobs[i].payload_len))
      return ORCA_EINVAL;
  orca__redis *r = of_log(l);
  int rc = add_queues(r, jobs, n);
  if (rc)
    return rc;
  int64_t *out = malloc(sizeof *out * n);
  if (!out)
    return ORCA_ENOMEM;
  orca__redis_batch b = {ORCA__RS_L_APPEND,   "log append script", n,   orca__redis_job_queue,
                         orca__redis_no_head, append_item,         jobs};
  rc = orca__redis_run_batch(r, &b, out);
  free(out);
  return rc;
}

/* ---- fetch, extend, release_worker: the fused code with log_only -------- */

static int log_fetch(orca__log *l, const orca__fetch_req *req, orca__lease *const *slots,
                     size_t max, size_t *got) {
  return orca__redis_fetch(&of_log(l)->base, req, slots, max, got);
}

static int log_extend(orca__log *l, orca__lease *const *leases, size_t n, const char *worker,
                      int64_t lease_us, int *status) {
  return orca__redis_extend(&of_log(l)->base, leases, n, worker, lease_us, status);
}

static int log_release_worker(orca__log *l, const char *worker, size_t *count) {
  return orca__redis_release_worker(&of_log(l)->base, worker, count);
}

/* ---- complete ----------------------------------------------------------- */

/* The completions of a complete call with a Redis ref (the others are not
 * this log's deliveries and are skipped). */
typedef struct comp_set {
  const orca__completion **c;
} comp_set;

static const char *comp_queue(const void *ud, size_t i) {
  return ((const comp_set *)ud)->c[i]->lease->queue;
}

static void comp_item(orca__rargs *a, const void *ud, size_t i) {
  const orca__completion *c = ((const comp_set *)ud)->c[i];
  char prio[24];
  const char *eid = "";
  orca__redis_split_ref(c->lease->ref, prio, sizeof prio, &eid);
  orca__rargs_str(a, c->worker ? c->worker : "");
  orca__rargs_str(a, prio);
  orca__rargs_str(a, eid);
  orca__rargs_str(a, c->outcome == ORCA__RELEASE ? "1" : "0");
}

static int log_complete(orca__log *l, const orca__completion *c, size_t n) {
  if (n == 0)
    return 0;
  if (!c)
    return ORCA_EINVAL;
  orca__redis *r = of_log(l);
  const orca__completion **mine = malloc(sizeof *mine * n);
  int64_t *out = malloc(sizeof *out * n);
  if (!mine || !out) {
    free(mine);
    free(out);
    return ORCA_ENOMEM;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char prio[24];
    const char *eid;
    const orca__lease *ls = c[i].lease;
    if (ls && orca__redis_queue_ok(ls->queue) &&
        orca__redis_split_ref(ls->ref, prio, sizeof prio, &eid))
      mine[k++] = &c[i];
  }
  comp_set set = {mine};
  orca__redis_batch b = {ORCA__RS_L_COMPLETE,
                         "log complete script",
                         k,
                         comp_queue,
                         orca__redis_no_head,
                         comp_item,
                         &set};
  int rc = k ? orca__redis_run_batch(r, &b, out) : 0;
  for (size_t i = 0; rc == 0 && i < k; i++)
    orca__redis_held_del(&r->held, mine[i]->lease->ref);
  free(mine);
  free(out);
  return rc;
}

const orca__log_ops orca__redis_log_ops = {
    .scheme = "redis",
    .caps = ORCA__LOG_LEASES | ORCA__LOG_ORDERED,
    .open = log_open,
    .close = log_close,
    .interrupt = log_interrupt,
    .append = log_append,
    .fetch = log_fetch,
    .complete = log_complete,
    .extend = log_extend,
    .release_worker = log_release_worker,
};
