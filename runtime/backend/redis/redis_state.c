/* redis_state.c — the StateKeeper on Redis: state_get, state_wait and
 * cancel, and the decoding of a task's state hash into orca_task_info.
 *
 * "running" is derived under the real clock: a task whose record says
 * pending and whose stream entry sits in the group's pending-entries list
 * runs under that consumer's lease (fetch writes nothing per task). Under an
 * injected clock fetch records running, worker and start itself.
 *
 * state_wait does not poll: the get script registers the waiter (HINCRBY
 * wt) when the task is not final, and every step that makes a task final
 * pushes one token per waiter onto orca:{Q}:n:ID, on which the waiter BLPOPs
 * for the time it has left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"
#include "statekeeper/record.h"

static bool field_is(const redisReply *k, const char *name) {
  size_t n = strlen(name);
  return k->type == REDIS_REPLY_STRING && k->len == n && memcmp(k->str, name, n) == 0;
}

/* Packed fields of the state hash (redis_scripts.c): m = "ENQUEUED_US
 * TTL_MS TASK" written at enqueue, c = "ATTEMPT[/DELIVERIES] STARTED_US
 * FINISHED_US EXPIRY_US [WORKER]" written by a plain ack, where FINISHED_US
 * may read "+RUN" (after the start) and EXPIRY_US "+TTL" (after the finish).
 * The last part takes the rest of the string. Malformed numbers read as 0. */
static const char *digits_of(const char *p, const char *end, int64_t *out) {
  uint64_t v = 0;
  bool neg = p < end && *p == '-';
  if (neg)
    p++;
  for (int digits = 0; p < end && *p >= '0' && *p <= '9'; p++)
    if (digits++ < 18)
      v = v * 10 + (uint64_t)(*p - '0');
  *out = neg ? -(int64_t)v : (int64_t)v;
  return p;
}

static const char *skip_part(const char *p, const char *end) {
  while (p < end && *p != ' ')
    p++;
  return p < end ? p + 1 : end;
}

static const char *next_num(const char *p, const char *end, int64_t *out) {
  return skip_part(digits_of(p, end, out), end);
}

/* A number that "+N" gives as N after base. */
static const char *next_rel(const char *p, const char *end, int64_t base, int64_t *out) {
  bool plus = p < end && *p == '+';
  p = next_num(plus ? p + 1 : p, end, out);
  if (plus)
    *out += base;
  return p;
}

static void copy_rest(const char *p, const char *end, char *out, size_t outlen) {
  size_t n = (size_t)(end - p) < outlen - 1 ? (size_t)(end - p) : outlen - 1;
  memcpy(out, p, n);
  out[n] = '\0';
}

static void unpack_meta(const redisReply *v, orca_task_info *info) {
  const char *p = v->str, *end = v->str + v->len;
  int64_t ttl;
  p = next_num(p, end, &info->enqueued_us);
  p = next_num(p, end, &ttl);
  copy_rest(p, end, info->task, sizeof info->task);
}

/* Returns the deliveries of the acked stream entry (1 when the record
 * predates that part). */
static uint32_t unpack_completion(const redisReply *v, orca_task_info *info) {
  const char *p = v->str, *end = v->str + v->len;
  int64_t attempt, deliveries = 1;
  p = digits_of(p, end, &attempt);
  if (p < end && *p == '/')
    p = digits_of(p + 1, end, &deliveries);
  p = skip_part(p, end);
  info->attempt = (uint32_t)attempt;
  p = next_num(p, end, &info->started_us);
  p = next_rel(p, end, info->started_us, &info->finished_us);
  p = next_rel(p, end, info->finished_us, &info->expires_us);
  if (p < end) /* else the worker is the w field */
    copy_rest(p, end, info->worker, sizeof info->worker);
  return (uint32_t)deliveries;
}

void orca__redis_info_from_hash(const redisReply *h, const char *q, const char *id,
                                orca_task_info *info) {
  orca__record_clear(info);
  snprintf(info->id, sizeof info->id, "%s", id);
  snprintf(info->queue, sizeof info->queue, "%s", q);
  if (!h || h->type != REDIS_REPLY_ARRAY)
    return;
  const redisReply *packed = NULL;
  for (size_t i = 0; i + 1 < h->elements; i += 2) {
    const redisReply *k = h->element[i], *v = h->element[i + 1];
    if (v->type != REDIS_REPLY_STRING && v->type != REDIS_REPLY_INTEGER)
      continue;
    if (field_is(k, "s"))
      info->state = (orca_state)orca__redis_int(v);
    else if (field_is(k, "m") && v->type == REDIS_REPLY_STRING)
      unpack_meta(v, info);
    else if (field_is(k, "c") && v->type == REDIS_REPLY_STRING)
      packed = v; /* applied last: it overrides a, b, f, xp and w */
    else if (field_is(k, "y"))
      info->priority = (int32_t)orca__redis_int(v);
    else if (field_is(k, "a"))
      info->attempt = (uint32_t)orca__redis_int(v);
    else if (field_is(k, "t"))
      info->eta_us = orca__redis_int(v);
    else if (field_is(k, "b"))
      info->started_us = orca__redis_int(v);
    else if (field_is(k, "f"))
      info->finished_us = orca__redis_int(v);
    else if (field_is(k, "w"))
      orca__redis_copy(v, info->worker, sizeof info->worker);
    else if (field_is(k, "x"))
      orca__redis_copy(v, info->error, sizeof info->error);
    else if (field_is(k, "xp"))
      info->expires_us = orca__redis_int(v);
    else if (field_is(k, "o"))
      orca_buf_append(&info->result, v->str, v->len);
    else if (field_is(k, "dl"))
      info->deliveries = (uint32_t)orca__redis_int(v);
    else if (field_is(k, "d") && v->type == REDIS_REPLY_STRING)
      orca__record_args((const uint8_t *)v->str, v->len, &info->args); /* deferred or dead */
  }
  /* dl counts the deliveries of earlier stream entries; a plain ack
   * carries those of the last one. */
  if (packed)
    info->deliveries += unpack_completion(packed, info);
  if (!orca_state_is_final(info->state))
    info->finished_us = 0;
}

void orca__redis_get_cmd(orca__redis *r, const char *q, const char *id, bool arm, int64_t now) {
  orca__rargs *a = &r->args;
  orca__rargs_cmd(a, ORCA__RS_GET);
  orca__rargs_int(a, 1);
  orca__rargs_key(a, q, "");
  orca__rargs_str(a, id);
  orca__rargs_str(a, arm ? "1" : "0");
  orca__rargs_int(a, now);
}

int orca__redis_info_from_get(orca__redis *r, const redisReply *x, const char *q, const char *id,
                              int64_t now, orca_task_info *info) {
  size_t alen = info->args.len;
  int rc = orca__redis_reply_error(r, x, "state get script");
  if (rc)
    return rc;
  if (x->type != REDIS_REPLY_ARRAY || x->elements < 3)
    return ORCA_ENOTFOUND;
  orca__redis_info_from_hash(x->element[0], q, id, info);
  /* The stream entry's pending-list entry (consumer, idle ms, deliveries).
   * Real clock: running is derived from it rather than written by fetch. */
  const redisReply *pel = x->element[1];
  bool delivered = pel->type == REDIS_REPLY_ARRAY && pel->elements == 3;
  bool released = delivered && pel->element[0]->type == REDIS_REPLY_STRING &&
                  strcmp(pel->element[0]->str, ORCA__REDIS_RELEASED) == 0;
  if (info->state == ORCA_STATE_PENDING && delivered && !released) {
    info->state = ORCA_STATE_RUNNING;
    orca__redis_copy(pel->element[0], info->worker, sizeof info->worker);
    info->started_us = now - orca__redis_int(pel->element[1]) * 1000;
  }
  if (delivered)
    info->deliveries += (uint32_t)orca__redis_int(pel->element[2]);
  /* 'a' counts attempts that ended; a running one is the next. */
  if (info->state == ORCA_STATE_RUNNING)
    info->attempt += 1;
  /* Deferred and dead records hold the payload in field d (read above);
   * queued and running ones have it in their stream entry. */
  const redisReply *pay = x->element[2];
  if (info->args.len == alen && pay->type == REDIS_REPLY_STRING &&
      orca__record_args((const uint8_t *)pay->str, pay->len, &info->args) == ORCA_ENOMEM)
    return ORCA_ENOMEM;
  return 0;
}

/* Run the get script for id in queue qi; arm registers a waiter. Fills info
 * and returns 0, or ORCA_ENOTFOUND / an error. */
static int get_one(orca__redis *r, size_t qi, const char *id, bool arm, orca_task_info *info) {
  char q[ORCA_NAME_MAX];
  snprintf(q, sizeof q, "%s", r->queues[qi]);
  int64_t now = orca_clock_now(r->base.clock);
  orca__rargs_reset(&r->args);
  orca__redis_get_cmd(r, q, id, arm, now);
  redisReply *rep[1];
  int rc = orca__redis_exec(r, &r->args, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_info_from_get(r, rep[0], q, id, now, info);
  orca__redis_free_replies(rep, 1);
  return rc;
}

int orca__redis_state_get(orca__backend *b, const char *id, orca_task_info *info) {
  orca__redis *r = (orca__redis *)b;
  int qi = orca__redis_find_task(r, id);
  if (qi < 0)
    return qi;
  return get_one(r, (size_t)qi, id, false, info);
}

int orca__redis_state_wait(orca__backend *b, const char *id, int64_t timeout_us,
                           orca_task_info *info) {
  orca__redis *r = (orca__redis *)b;
  int64_t deadline = orca_monotonic_us() + (timeout_us > 0 ? timeout_us : 0);
  size_t rlen = info->result.len, alen = info->args.len;
  for (;;) {
    int qi = orca__redis_find_task(r, id);
    if (qi < 0)
      return qi;
    info->result.len = rlen;
    info->args.len = alen;
    int rc = get_one(r, (size_t)qi, id, true, info);
    if (rc)
      return rc;
    if (orca_state_is_final(info->state))
      return 0;
    int64_t left = deadline - orca_monotonic_us();
    if (left <= 0)
      return ORCA_ETIMEDOUT;
    orca__rargs *a = &r->args;
    orca__rargs_reset(a);
    orca__rargs_cmd(a, -1);
    orca__rargs_str(a, "BLPOP");
    char suffix[ORCA_ID_MAX + 4];
    snprintf(suffix, sizeof suffix, "n:%s", id);
    orca__rargs_key(a, r->queues[qi], suffix);
    char secs[32];
    snprintf(secs, sizeof secs, "%.3f", (double)(left < 1000 ? 1000 : left) / 1e6);
    orca__rargs_str(a, secs);
    redisReply *rep[1];
    rc = orca__redis_exec(r, a, rep, left);
    if (rc)
      return rc; /* ORCA_EAGAIN when interrupted */
    rc = orca__redis_reply_error(r, rep[0], "BLPOP");
    orca__redis_free_replies(rep, 1);
    if (rc)
      return rc;
  }
}

int orca__redis_cancel(orca__backend *b, const char *id) {
  return orca__redis_cancel_with((orca__redis *)b, ORCA__RS_CANCEL, id);
}

int orca__redis_cancel_with(orca__redis *r, int script, const char *id) {
  int qi = orca__redis_find_task(r, id);
  if (qi < 0)
    return qi;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, script);
  orca__rargs_int(a, 1);
  orca__rargs_key(a, r->queues[qi], "");
  orca__rargs_str(a, id);
  orca__rargs_int(a, orca_clock_now(r->base.clock));
  redisReply *rep[1];
  int rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "cancel script");
  if (!rc)
    rc = (int)orca__redis_int(rep[0]);
  orca__redis_free_replies(rep, 1);
  return rc;
}
