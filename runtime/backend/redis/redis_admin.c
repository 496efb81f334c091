/* redis_admin.c — the operator side of the Redis backend: the dead-letter
 * queue (list, requeue, purge), per-queue stats and the TimeKeeper's
 * schedules.
 *
 * Schedules live in three hashes under one hash tag, orca:{sched}:next
 * (name -> next fire in us), :spec (name -> encoded definition) and :paused
 * (name -> 1), so put and the fire compare-and-set are single scripts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"

#define SCHED_NEXT ORCA__REDIS_SCHED_NEXT
#define SCHED_SPEC "orca:{sched}:spec"
#define SCHED_PAUSED "orca:{sched}:paused"

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The queues an admin call covers: just `queue`, or every known queue in
 * name order. Points into r->queues or at `one`. */
static int pick_queues(orca__redis *r, const char *queue, const char **one, char ***list,
                       size_t *n) {
  if (queue) {
    if (!orca__redis_queue_ok(queue))
      return ORCA_EINVAL;
    *one = queue;
    *list = (char **)one;
    *n = 1;
    return 0;
  }
  int rc = orca__redis_load_queues(r);
  if (rc)
    return rc;
  qsort(r->queues, r->nqueues, sizeof *r->queues, cmp_str);
  *list = r->queues;
  *n = r->nqueues;
  return 0;
}

/* One simple command with up to three arguments; *out gets the reply. */
static int cmd(orca__redis *r, redisReply **out, const char *c, const char *k, const char *f,
               const char *v) {
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, c);
  orca__rargs_str(a, k);
  if (f)
    orca__rargs_str(a, f);
  if (v)
    orca__rargs_str(a, v);
  int rc = orca__redis_exec(r, a, out, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, *out, c);
  if (rc)
    orca__redis_free_replies(out, 1);
  return rc;
}

/* ---- dead-letter queue -------------------------------------------------- */

static int list_queue(orca__redis *r, const char *q, orca_state state, size_t *offset,
                      size_t *limit, orca__info_cb cb, void *ud, bool *stop) {
  (void)state; /* always dead: the dead-letter index */
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "ZRANGE");
  orca__rargs_key(a, q, "dlq");
  /* ZRANGE takes a last index: "all" (a limit past INT64_MAX) is -1. */
  int64_t first = *offset > INT64_MAX ? INT64_MAX : (int64_t)*offset;
  orca__rargs_int(a, first);
  orca__rargs_int(a, *limit > (size_t)(INT64_MAX - first) ? -1 : first + (int64_t)*limit - 1);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "ZCARD");
  orca__rargs_key(a, q, "dlq");
  redisReply *ids[2];
  int rc = orca__redis_exec(r, a, ids, 0);
  if (rc)
    return rc;
  if ((rc = orca__redis_reply_error(r, ids[0], "ZRANGE dlq"))) {
    orca__redis_free_replies(ids, 2);
    return rc;
  }
  size_t total = (size_t)orca__redis_int(ids[1]);
  size_t cnt = ids[0]->elements;
  *offset = *offset >= total ? *offset - total : 0;
  if (cnt) {
    orca__rargs_reset(a);
    for (size_t i = 0; i < cnt; i++) {
      char suffix[ORCA_ID_MAX + 4];
      snprintf(suffix, sizeof suffix, "t:%.*s", (int)ids[0]->element[i]->len,
               ids[0]->element[i]->str);
      orca__rargs_cmd(a, -1);
      orca__rargs_str(a, "HGETALL");
      orca__rargs_key(a, q, suffix);
    }
    redisReply **h = calloc(cnt, sizeof *h);
    rc = h ? orca__redis_exec(r, a, h, 0) : ORCA_ENOMEM;
    for (size_t i = 0; !rc && i < cnt && !*stop; i++) {
      orca_task_info info = {0};
      char id[ORCA_ID_MAX];
      orca__redis_copy(ids[0]->element[i], id, sizeof id);
      orca__redis_info_from_hash(h[i], q, id, &info); /* args from field d */
      *stop = cb(ud, &info) != 0;
      orca_buf_free(&info.result);
      orca_buf_free(&info.args);
    }
    if (h)
      orca__redis_free_replies(h, cnt);
    free(h);
  }
  *limit -= cnt < *limit ? cnt : *limit;
  orca__redis_free_replies(ids, 2);
  return rc;
}

/* One queue's page of a list: moves *offset and *limit on, sets *stop when
 * cb stopped the list. */
typedef int (*page_fn)(orca__redis *r, const char *q, orca_state state, size_t *offset,
                       size_t *limit, orca__info_cb cb, void *ud, bool *stop);

/* A list over `queue` (NULL = every queue, in name order): page by page
 * until the limit is reached or cb stops it. */
static int each_queue(orca__redis *r, const char *queue, page_fn page, orca_state state,
                      size_t offset, size_t limit, orca__info_cb cb, void *ud) {
  const char *one;
  char **qs;
  size_t nq;
  int rc = pick_queues(r, queue, &one, &qs, &nq);
  bool stop = false;
  for (size_t i = 0; !rc && i < nq && limit > 0 && !stop; i++) {
    char q[ORCA_NAME_MAX];
    snprintf(q, sizeof q, "%s", qs[i]);
    rc = page(r, q, state, &offset, &limit, cb, ud, &stop);
  }
  return rc;
}

int orca__redis_dlq_list(orca__backend *b, const char *queue, size_t offset, size_t limit,
                         orca__info_cb cb, void *ud) {
  return each_queue((orca__redis *)b, queue, list_queue, ORCA_STATE_DEAD, offset, limit, cb, ud);
}

static int dlq_script(orca__redis *r, int script, const char *queue, const char *id,
                      size_t *count) {
  const char *one;
  char **qs;
  size_t nq;
  if (count)
    *count = 0;
  int rc = pick_queues(r, queue, &one, &qs, &nq);
  if (rc || nq == 0)
    return rc ? rc : (id ? ORCA_ENOTFOUND : 0);
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  for (size_t i = 0; i < nq; i++) {
    orca__rargs_cmd(a, script);
    orca__rargs_int(a, 1);
    orca__rargs_key(a, qs[i], "");
    orca__rargs_str(a, id ? id : "");
    orca__rargs_int(a, orca_clock_now(r->base.clock)); /* read by the store's requeue */
  }
  redisReply **rep = calloc(nq, sizeof *rep);
  if (!rep)
    return ORCA_ENOMEM;
  rc = orca__redis_exec(r, a, rep, 0);
  size_t total = 0;
  for (size_t i = 0; !rc && i < nq; i++)
    if (!(rc = orca__redis_reply_error(r, rep[i], "dead-letter script")))
      total += (size_t)orca__redis_int(rep[i]);
  orca__redis_free_replies(rep, nq);
  free(rep);
  if (count)
    *count = total;
  if (!rc && id && total == 0)
    rc = ORCA_ENOTFOUND;
  return rc;
}

int orca__redis_dlq_requeue(orca__backend *b, const char *queue, const char *id, size_t *count) {
  return dlq_script((orca__redis *)b, ORCA__RS_DLQ_REQUEUE, queue, id, count);
}

int orca__redis_dlq_purge(orca__backend *b, const char *queue, const char *id, size_t *count) {
  return dlq_script((orca__redis *)b, ORCA__RS_DLQ_PURGE, queue, id, count);
}

/* ---- tasks by state ----------------------------------------------------- */

/* Index entries the task_list script reads per queue and call beyond the
 * page itself: enough for states that share an index (scheduled and failed,
 * the ended states), bounded so one call cannot hold the server long. */
#define LIST_BUDGET 10000

/* One queue's page: the script finds the ids, then one pipeline of get
 * scripts reads their records. Moves *offset and *limit on. */
static int list_state(orca__redis *r, const char *q, orca_state state, size_t *offset,
                      size_t *limit, orca__info_cb cb, void *ud, bool *stop) {
  size_t page = *limit < 100000 ? *limit : 100000;
  int64_t now = orca_clock_now(r->base.clock);
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, ORCA__RS_TASK_LIST);
  orca__rargs_int(a, 1);
  orca__rargs_key(a, q, "");
  orca__rargs_int(a, (int64_t)state);
  orca__rargs_int(a, *offset > INT32_MAX ? INT32_MAX : (int64_t)*offset);
  orca__rargs_int(a, (int64_t)page);
  orca__rargs_int(a, now);
  orca__rargs_int(a, (int64_t)(LIST_BUDGET + page + (*offset > INT32_MAX ? INT32_MAX : *offset)));
  redisReply *ids;
  int rc = orca__redis_exec(r, a, &ids, 0);
  if (rc)
    return rc;
  if ((rc = orca__redis_reply_error(r, ids, "task list script")) ||
      ids->type != REDIS_REPLY_ARRAY || ids->elements < 1) {
    orca__redis_free_replies(&ids, 1);
    return rc ? rc : ORCA_EBACKEND;
  }
  size_t skipped = (size_t)orca__redis_int(ids->element[0]);
  *offset -= skipped < *offset ? skipped : *offset;
  size_t cnt = ids->elements - 1;
  redisReply **h = cnt ? calloc(cnt, sizeof *h) : NULL;
  if (cnt && !h)
    rc = ORCA_ENOMEM;
  if (cnt && h) {
    orca__rargs_reset(a);
    for (size_t i = 0; i < cnt; i++) {
      char id[ORCA_ID_MAX];
      orca__redis_copy(ids->element[i + 1], id, sizeof id);
      orca__redis_get_cmd(r, q, id, false, now);
    }
    rc = orca__redis_exec(r, a, h, 0);
  }
  for (size_t i = 0; !rc && i < cnt && !*stop; i++) {
    orca_task_info info = {0};
    char id[ORCA_ID_MAX];
    orca__redis_copy(ids->element[i + 1], id, sizeof id);
    int grc = orca__redis_info_from_get(r, h[i], q, id, now, &info);
    /* A task that moved on (or went) between the two calls is left out. */
    if (grc == 0 && info.state == state) {
      *stop = cb(ud, &info) != 0;
      (*limit)--;
    } else if (grc && grc != ORCA_ENOTFOUND) {
      rc = grc;
    }
    orca_buf_free(&info.result);
    orca_buf_free(&info.args);
  }
  if (h)
    orca__redis_free_replies(h, cnt);
  free(h);
  orca__redis_free_replies(&ids, 1);
  return rc;
}

int orca__redis_task_list(orca__backend *b, orca_state state, const char *queue, size_t offset,
                          size_t limit, orca__info_cb cb, void *ud) {
  if (!cb || state <= ORCA_STATE_UNKNOWN || state > ORCA_STATE_EXPIRED)
    return ORCA_EINVAL;
  return each_queue((orca__redis *)b, queue, list_state, state, offset, limit, cb, ud);
}

int orca__redis_store_dlq_requeue(orca__redis *r, const char *queue, const char *id,
                                  size_t *count) {
  return dlq_script(r, ORCA__RS_S_DLQ_REQUEUE, queue, id, count);
}

/* ---- stats -------------------------------------------------------------- */

int orca__redis_stats(orca__backend *b, orca_queue_stats *out, size_t max, size_t *n) {
  return orca__redis_stats_with((orca__redis *)b, ORCA__RS_STATS, out, max, n);
}

int orca__redis_stats_with(orca__redis *r, int script, orca_queue_stats *out, size_t max,
                           size_t *n) {
  *n = 0;
  const char *one;
  char **qs;
  size_t nq;
  int rc = pick_queues(r, NULL, &one, &qs, &nq);
  if (rc || nq == 0)
    return rc;
  if (nq > max)
    nq = max;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  for (size_t i = 0; i < nq; i++) {
    orca__rargs_cmd(a, script);
    orca__rargs_int(a, 1);
    orca__rargs_key(a, qs[i], "");
  }
  redisReply **rep = calloc(nq ? nq : 1, sizeof *rep);
  if (!rep)
    return ORCA_ENOMEM;
  rc = orca__redis_exec(r, a, rep, 0);
  for (size_t i = 0; !rc && i < nq; i++) {
    if ((rc = orca__redis_reply_error(r, rep[i], "stats script")))
      break;
    const redisReply *x = rep[i];
    orca_queue_stats *s = &out[(*n)++];
    memset(s, 0, sizeof *s);
    snprintf(s->queue, sizeof s->queue, "%s", qs[i]);
    if (x->elements == 6) {
      int64_t v[6];
      for (int k = 0; k < 6; k++) {
        v[k] = orca__redis_int(x->element[k]);
        if (v[k] < 0)
          v[k] = 0;
      }
      s->pending = (uint64_t)v[0];
      s->running = (uint64_t)v[1];
      s->scheduled = (uint64_t)v[2];
      s->dead = (uint64_t)v[3];
      s->succeeded = (uint64_t)v[4];
      s->failed = (uint64_t)v[5];
    }
  }
  orca__redis_free_replies(rep, nq);
  free(rep);
  return rc;
}

/* ---- schedules ---------------------------------------------------------- */

static bool name_ok(const char *name) {
  return name && *name && strlen(name) < ORCA_NAME_MAX;
}

int orca__redis_schedule_put(orca__backend *b, const orca__schedule_rec *rec, bool if_absent) {
  orca__redis *r = (orca__redis *)b;
  if (!name_ok(rec->name))
    return ORCA_EINVAL;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, ORCA__RS_SCHED_PUT);
  orca__rargs_int(a, 3);
  orca__rargs_str(a, SCHED_NEXT);
  orca__rargs_str(a, SCHED_SPEC);
  orca__rargs_str(a, SCHED_PAUSED);
  orca__rargs_str(a, rec->name);
  orca__rargs_int(a, rec->next_fire_us);
  orca__rargs_str(a, rec->paused ? "1" : "0");
  orca__rargs_add(a, rec->spec.data, rec->spec.len);
  orca__rargs_str(a, if_absent ? "1" : "0");
  redisReply *rep[1];
  int rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "schedule put script");
  if (!rc)
    rc = (int)orca__redis_int(rep[0]);
  orca__redis_free_replies(rep, 1);
  return rc;
}

/* Fill rec for `name` from replies of HGET next, HGET spec, HEXISTS paused. */
static int fill_rec(const char *name, redisReply **rep, orca__schedule_rec *rec) {
  if (!rep[0] || rep[0]->type != REDIS_REPLY_STRING)
    return ORCA_ENOTFOUND;
  snprintf(rec->name, sizeof rec->name, "%s", name);
  rec->next_fire_us = orca__redis_int(rep[0]);
  rec->paused = orca__redis_int(rep[2]) == 1;
  orca_buf_reset(&rec->spec);
  if (rep[1] && rep[1]->type == REDIS_REPLY_STRING &&
      orca_buf_append(&rec->spec, rep[1]->str, rep[1]->len))
    return ORCA_ENOMEM;
  return 0;
}

static void add_rec_cmds(orca__rargs *a, const char *name) {
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "HGET");
  orca__rargs_str(a, SCHED_NEXT);
  orca__rargs_str(a, name);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "HGET");
  orca__rargs_str(a, SCHED_SPEC);
  orca__rargs_str(a, name);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "HEXISTS");
  orca__rargs_str(a, SCHED_PAUSED);
  orca__rargs_str(a, name);
}

int orca__redis_schedule_get(orca__backend *b, const char *name, orca__schedule_rec *rec) {
  orca__redis *r = (orca__redis *)b;
  if (!name_ok(name))
    return ORCA_ENOTFOUND;
  orca__rargs_reset(&r->args);
  add_rec_cmds(&r->args, name);
  redisReply *rep[3];
  int rc = orca__redis_exec(r, &r->args, rep, 0);
  if (rc)
    return rc;
  rc = fill_rec(name, rep, rec);
  orca__redis_free_replies(rep, 3);
  return rc;
}

int orca__redis_schedule_list(orca__backend *b, orca__schedule_cb cb, void *ud) {
  orca__redis *r = (orca__redis *)b;
  redisReply *keys;
  int rc = cmd(r, &keys, "HKEYS", SCHED_NEXT, NULL, NULL);
  if (rc)
    return rc;
  size_t n = keys->elements;
  char **names = calloc(n ? n : 1, sizeof *names);
  for (size_t i = 0; names && i < n; i++) {
    names[i] = calloc(1, ORCA_NAME_MAX);
    if (names[i])
      orca__redis_copy(keys->element[i], names[i], ORCA_NAME_MAX);
  }
  orca__redis_free_replies(&keys, 1);
  if (!names)
    return ORCA_ENOMEM;
  for (size_t i = 0; i < n; i++)
    if (!names[i])
      rc = ORCA_ENOMEM;
  if (!rc)
    qsort(names, n, sizeof *names, cmp_str);
  orca__schedule_rec rec = {0};
  for (size_t i = 0; !rc && i < n; i++) {
    rc = orca__redis_schedule_get(b, names[i], &rec);
    if (rc == ORCA_ENOTFOUND) { /* removed meanwhile */
      rc = 0;
      continue;
    }
    if (!rc && cb(ud, &rec))
      break;
  }
  orca_buf_free(&rec.spec);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return rc;
}

int orca__redis_schedule_remove(orca__backend *b, const char *name) {
  orca__redis *r = (orca__redis *)b;
  if (!name_ok(name))
    return ORCA_ENOTFOUND;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  const char *keys[3] = {SCHED_NEXT, SCHED_SPEC, SCHED_PAUSED};
  for (int i = 0; i < 3; i++) {
    orca__rargs_cmd(a, -1);
    orca__rargs_str(a, "HDEL");
    orca__rargs_str(a, keys[i]);
    orca__rargs_str(a, name);
  }
  redisReply *rep[3];
  int rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "HDEL schedule");
  if (!rc && orca__redis_int(rep[0]) == 0)
    rc = ORCA_ENOTFOUND;
  orca__redis_free_replies(rep, 3);
  return rc;
}

int orca__redis_schedule_pause(orca__backend *b, const char *name, bool paused) {
  orca__redis *r = (orca__redis *)b;
  if (!name_ok(name))
    return ORCA_ENOTFOUND;
  redisReply *rep;
  int rc = cmd(r, &rep, "HEXISTS", SCHED_NEXT, name, NULL);
  if (rc)
    return rc;
  bool exists = orca__redis_int(rep) == 1;
  orca__redis_free_replies(&rep, 1);
  if (!exists)
    return ORCA_ENOTFOUND;
  rc = paused ? cmd(r, &rep, "HSET", SCHED_PAUSED, name, "1")
              : cmd(r, &rep, "HDEL", SCHED_PAUSED, name, NULL);
  if (!rc)
    orca__redis_free_replies(&rep, 1);
  return rc;
}

int orca__redis_fire_ok(const char *name, const orca__job *jobs, size_t njobs) {
  if (!name_ok(name))
    return ORCA_ENOTFOUND;
  for (size_t i = 0; i < njobs; i++)
    if (!jobs[i].id || !*jobs[i].id || strlen(jobs[i].id) >= ORCA_ID_MAX ||
        !orca__redis_queue_ok(jobs[i].queue))
      return ORCA_EINVAL;
  return 0;
}

int orca__redis_fire(orca__redis *r, int script, const char *name, int64_t expected_us,
                     int64_t next_us, int64_t handoff_us, const orca__job *jobs, size_t njobs,
                     redisReply **rep) {
  *rep = NULL;
  int rc = orca__redis_fire_ok(name, jobs, njobs);
  if (rc)
    return rc;
  if (r->cluster) /* the cluster fires through its outbox (schedule_fire) */
    return ORCA_ENOTSUP;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, script);
  orca__rargs_int(a, 1);
  orca__rargs_str(a, SCHED_NEXT);
  orca__redis_add_fire(a, name, expected_us, next_us, orca_clock_now(r->base.clock), handoff_us,
                       jobs, njobs);
  rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, *rep, "schedule fire script");
  if (rc) {
    orca__redis_free_replies(rep, 1);
    *rep = NULL;
  }
  return rc;
}

int orca__redis_schedule_fire(orca__backend *b, const char *name, int64_t expected_us,
                              int64_t next_us, const orca__job *jobs, size_t njobs) {
  orca__redis *r = (orca__redis *)b;
  if (r->cluster)
    return orca__redis_fire_outbox(r, SCHED_NEXT, name, expected_us, next_us, jobs, njobs, NULL);
  redisReply *rep;
  int rc =
      orca__redis_fire(r, ORCA__RS_SCHED_FIRE, name, expected_us, next_us, -1, jobs, njobs, &rep);
  if (rc)
    return rc;
  rc = (int)orca__redis_int(rep);
  orca__redis_free_replies(&rep, 1);
  return rc;
}
