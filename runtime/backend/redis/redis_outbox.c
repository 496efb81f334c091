/* redis_outbox.c — schedule fires on a Redis Cluster. The schedules live in
 * the slot of {sched}, the fired tasks in their queues' slots, and a script
 * may touch one slot only, so one fire is three steps:
 *
 *   1. sched_out.lua, in the schedules' slot: compare-and-set the next fire
 *      (exactly one node wins) and record the fire's jobs in the outbox hash
 *      orca:{sched}:out, atomically with the CAS;
 *   2. enqueue the jobs in their queues: idempotent, since a fire's task id
 *      is SCHEDULE@FIRE_TIME and enqueue refuses an id that exists;
 *   3. delete the outbox entries.
 *
 * A node that dies between 1 and 3 leaves entries behind; every fire, and
 * every promote (the TimeKeeper's tick), first re-sends entries older than
 * the op timeout (their writer had its chance) and deletes them. So a won fire is enqueued at least
 * once and, by its id, at most once, as long as the task's state record outlives the re-send
 * (seconds against the state TTL).
 *
 * The store half (redis_store.c, a Redis Cluster as the store= of another
 * log) fires the same way; its step 2 and its re-sends admit the jobs
 * (scripts/s_admit.lua) instead of enqueueing them, and its due step
 * drains the outbox as promote does. */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"
#include "orca/log.h"

#define OUTBOX "orca:{sched}:out"

/* The fields of an outbox entry: fire time, queue, then the 9 values of
 * orca__redis_add_job. */
enum {
  F_NOW,
  F_QUEUE,
  F_ID,
  F_TASK,
  F_PRIO,
  F_ETA,
  F_ATTEMPT,
  F_PAYLOAD,
  F_UKEY,
  F_UTTL,
  F_STTL,
  F_COUNT
};

static int64_t num(const msgpack_object *o) {
  char tmp[32];
  size_t n = o->via.str.size < sizeof tmp - 1 ? o->via.str.size : sizeof tmp - 1;
  memcpy(tmp, o->via.str.ptr, n);
  tmp[n] = '\0';
  return strtoll(tmp, NULL, 10);
}

/* A string of an entry, copied into out (NUL-terminated). */
static char *str(const msgpack_object *o, char *out, size_t cap) {
  size_t n = o->via.str.size < cap - 1 ? o->via.str.size : cap - 1;
  memcpy(out, o->via.str.ptr, n);
  out[n] = '\0';
  return out;
}

/* Step 2: enqueue jobs in their queues, or admit them on a store handle. */
static int put_jobs(orca__redis *r, const orca__job *jobs, size_t n, orca__enqueue_result *res) {
  if (r->store.ops)
    return orca__redis_enqueue_with(r, ORCA__RS_S_ADMIT, ORCA__HANDOFF_US, jobs, n, res);
  return orca__redis_enqueue(&r->base, jobs, n, res);
}

/* Enqueue the job packed in one outbox entry if it is older than min_age.
 * Returns 1 when re-sent, 0 when left (young), or an error (a malformed
 * entry is ORCA_EBACKEND: logged and deleted by the caller). */
static int resend(orca__redis *r, const redisReply *v, int64_t now, int64_t min_age) {
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  int rc = ORCA_EBACKEND;
  if (msgpack_unpack_next(&u, v->str, v->len, NULL) == MSGPACK_UNPACK_SUCCESS &&
      u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == F_COUNT) {
    const msgpack_object *f = u.data.via.array.ptr;
    bool ok = true;
    for (int i = 0; i < F_COUNT; i++)
      ok &= f[i].type == MSGPACK_OBJECT_STR || f[i].type == MSGPACK_OBJECT_BIN;
    if (ok && now - num(&f[F_NOW]) < min_age) {
      rc = 0;
    } else if (ok) {
      char queue[ORCA_NAME_MAX], id[ORCA_ID_MAX], task[256], ukey[256];
      orca__job j = {
          .id = str(&f[F_ID], id, sizeof id),
          .task = str(&f[F_TASK], task, sizeof task),
          .queue = str(&f[F_QUEUE], queue, sizeof queue),
          .priority = (int32_t)num(&f[F_PRIO]),
          .eta_us = num(&f[F_ETA]),
          .attempt = (uint32_t)num(&f[F_ATTEMPT]),
          .payload = (const uint8_t *)f[F_PAYLOAD].via.str.ptr,
          .payload_len = f[F_PAYLOAD].via.str.size,
          .unique_key = f[F_UKEY].via.str.size ? str(&f[F_UKEY], ukey, sizeof ukey) : NULL,
          .unique_ttl_us = num(&f[F_UTTL]) * 1000,
          .state_ttl_us = num(&f[F_STTL]) * 1000,
      };
      orca__enqueue_result res = {0};
      rc = put_jobs(r, &j, 1, &res);
      if (!rc)
        rc = 1;
    }
  }
  msgpack_unpacked_destroy(&u);
  return rc;
}

/* Step 3 for the given ids: HDEL them from the outbox. */
static int forget(orca__redis *r, const char *const *ids, size_t n) {
  if (n == 0)
    return 0;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "HDEL");
  orca__rargs_str(a, OUTBOX);
  for (size_t i = 0; i < n; i++)
    orca__rargs_str(a, ids[i]);
  redisReply *rep[1];
  int rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "HDEL " OUTBOX);
  orca__redis_free_replies(rep, 1);
  return rc;
}

int orca__redis_outbox_drain(orca__redis *r, int64_t now) {
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "HGETALL");
  orca__rargs_str(a, OUTBOX);
  redisReply *all[1];
  int rc = orca__redis_exec(r, a, all, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, all[0], "HGETALL " OUTBOX);
  size_t n = rc ? 0 : all[0]->elements / 2, ndone = 0;
  const char **done = calloc(n ? n : 1, sizeof *done);
  if (!done)
    rc = ORCA_ENOMEM;
  for (size_t i = 0; !rc && i < n; i++) {
    const redisReply *id = all[0]->element[2 * i], *v = all[0]->element[2 * i + 1];
    int s = resend(r, v, now, r->op_timeout_us);
    if (s == ORCA_EBACKEND)
      orca_log(ORCA_LOG_ERROR, "redis: dropping a malformed schedule outbox entry '%s'", id->str);
    if (s == 1 || s == ORCA_EBACKEND)
      done[ndone++] = id->str;
    else if (s < 0)
      rc = s;
  }
  if (!rc && ndone) {
    orca_log(ORCA_LOG_INFO, "redis: re-sent %zu schedule fire(s) left in the outbox", ndone);
    rc = forget(r, done, ndone);
  }
  free(done);
  orca__redis_free_replies(all, 1);
  return rc;
}

int orca__redis_fire_outbox(orca__redis *r, const char *next_key, const char *name,
                            int64_t expected_us, int64_t next_us, const orca__job *jobs,
                            size_t njobs, orca__enqueue_result *res) {
  for (size_t i = 0; res && i < njobs; i++)
    res[i] = (orca__enqueue_result){0};
  int rc = orca__redis_fire_ok(name, jobs, njobs);
  if (rc)
    return rc;
  int64_t now = orca_clock_now(r->base.clock);
  rc = orca__redis_outbox_drain(r, now);
  if (rc)
    return rc;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, ORCA__RS_SCHED_OUT);
  orca__rargs_int(a, 2);
  orca__rargs_str(a, next_key);
  orca__rargs_str(a, OUTBOX);
  orca__redis_add_fire(a, name, expected_us, next_us, now, -1, jobs, njobs);
  redisReply *rep[1];
  if ((rc = orca__redis_exec(r, a, rep, 0)))
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "schedule outbox script");
  if (!rc)
    rc = (int)orca__redis_int(rep[0]);
  orca__redis_free_replies(rep, 1);
  if (rc || njobs == 0)
    return rc;
  /* Won: step 2 and 3. A failure leaves the entries for a later re-send
   * and is not the caller's concern: the fire happened. */
  orca__enqueue_result *got = calloc(njobs, sizeof *got);
  const char **ids = calloc(njobs, sizeof *ids);
  int erc = got && ids ? put_jobs(r, jobs, njobs, got) : ORCA_ENOMEM;
  if (!erc) {
    for (size_t i = 0; i < njobs; i++)
      ids[i] = jobs[i].id;
    if (res)
      memcpy(res, got, njobs * sizeof *res);
    erc = forget(r, ids, njobs);
  }
  if (erc)
    orca_log(ORCA_LOG_WARN,
             "redis: schedule '%s' fired but its tasks stay in the outbox for now (%d)", name, erc);
  free(got);
  free(ids);
  return 0;
}
