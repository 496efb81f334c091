/* schedule_spec.c — the schedule definition stored with each schedule in the
 * backend (orca__schedule_rec.spec), its checks, next-fire arithmetic and the
 * ids of fires.
 *
 * The spec travels with the schedule so any node can fire any schedule, also
 * one added at run time by the CLI that no running program declared. It is a
 * msgpack map keyed by small integers, written in key order with no optional
 * variation, so equal definitions encode to equal bytes: a node compares
 * bytes to notice that a redeploy changed a declared schedule. */
#include <stdio.h>
#include <string.h>

#include "codec/pack.h"
#include "codec/reader.h"
#include "orca/state.h"
#include "timekeeper/timekeeper.h"

enum {
  K_KIND = 1,
  K_CRON,
  K_TZ,
  K_EVERY,
  K_CATCHUP,
  K_CATCHUP_MAX,
  K_TASK,
  K_QUEUE,
  K_PRIORITY,
  K_FINGERPRINT,
  K_ARGS,
};

static void pack_str(msgpack_packer *pk, const char *s, size_t n) {
  msgpack_pack_str(pk, n);
  msgpack_pack_str_body(pk, s ? s : "", n);
}

int orca__schedule_spec_encode(const orca__schedule_spec *s, orca_buf *out) {
  size_t before = out->len;
  msgpack_packer pk;
  orca__packer_init(&pk, out);
  msgpack_pack_map(&pk, 11);
  msgpack_pack_uint32(&pk, K_KIND);
  msgpack_pack_uint32(&pk, (uint32_t)s->kind);
  msgpack_pack_uint32(&pk, K_CRON);
  pack_str(&pk, s->cron_expr, s->cron_expr_len);
  msgpack_pack_uint32(&pk, K_TZ);
  pack_str(&pk, s->tz, s->tz_len);
  msgpack_pack_uint32(&pk, K_EVERY);
  msgpack_pack_int64(&pk, s->every_us);
  msgpack_pack_uint32(&pk, K_CATCHUP);
  msgpack_pack_uint32(&pk, (uint32_t)s->catchup);
  msgpack_pack_uint32(&pk, K_CATCHUP_MAX);
  msgpack_pack_uint32(&pk, s->catchup_max);
  msgpack_pack_uint32(&pk, K_TASK);
  pack_str(&pk, s->task, s->task_len);
  msgpack_pack_uint32(&pk, K_QUEUE);
  pack_str(&pk, s->queue, s->queue_len);
  msgpack_pack_uint32(&pk, K_PRIORITY);
  msgpack_pack_int32(&pk, s->priority);
  msgpack_pack_uint32(&pk, K_FINGERPRINT);
  msgpack_pack_uint64(&pk, s->fingerprint);
  msgpack_pack_uint32(&pk, K_ARGS);
  msgpack_pack_bin(&pk, s->args_len);
  msgpack_pack_bin_body(&pk, s->args, s->args_len);
  /* The packer reports no errors; a failed append leaves the buffer short. */
  size_t min = 12 + s->cron_expr_len + s->tz_len + s->task_len + s->queue_len + s->args_len;
  return out->len - before >= min ? 0 : ORCA_ENOMEM;
}

static int bad(orca_err *err, const char *what) {
  return orca_err_set(err, ORCA_EDECODE, "schedule spec: %s", what);
}

static bool get_int(const orca__mp_item *it, int64_t lo, int64_t hi, int64_t *out) {
  int64_t v;
  if (it->type == ORCA__MP_UINT && it->v.u <= (uint64_t)INT64_MAX)
    v = (int64_t)it->v.u;
  else if (it->type == ORCA__MP_INT)
    v = it->v.i;
  else
    return false;
  if (v < lo || v > hi)
    return false;
  *out = v;
  return true;
}

int orca__schedule_spec_decode(const uint8_t *data, size_t len, orca__schedule_spec *s,
                               orca_err *err) {
  orca__mp_reader r = {data, data + len};
  orca__mp_item it, key;
  memset(s, 0, sizeof *s);
  s->cron_expr = s->tz = s->task = s->queue = "";
  if (orca__mp_next(&r, &it) != ORCA__MP_OK || it.type != ORCA__MP_MAP)
    return bad(err, "not a map");
  for (uint32_t i = 0; i < it.v.n; i++) {
    int64_t k, v;
    if (orca__mp_next(&r, &key) != ORCA__MP_OK || !get_int(&key, 0, INT32_MAX, &k))
      return bad(err, "key is not an integer");
    orca__mp_reader at = r;
    orca__mp_item val;
    if (orca__mp_next(&r, &val) != ORCA__MP_OK)
      return bad(err, "truncated value");
    const char **str = NULL;
    size_t *slen = NULL;
    switch (k) {
    case K_CRON:
      str = &s->cron_expr, slen = &s->cron_expr_len;
      break;
    case K_TZ:
      str = &s->tz, slen = &s->tz_len;
      break;
    case K_TASK:
      str = &s->task, slen = &s->task_len;
      break;
    case K_QUEUE:
      str = &s->queue, slen = &s->queue_len;
      break;
    case K_KIND:
      if (!get_int(&val, ORCA_SCHEDULE_CRON, ORCA_SCHEDULE_EVERY, &v))
        return bad(err, "bad kind");
      s->kind = (orca_schedule_kind)v;
      break;
    case K_EVERY:
      if (!get_int(&val, 0, INT64_MAX, &v))
        return bad(err, "bad every");
      s->every_us = v;
      break;
    case K_CATCHUP:
      if (!get_int(&val, ORCA_CATCHUP_SKIP, ORCA_CATCHUP_ALL, &v))
        return bad(err, "bad catchup");
      s->catchup = (orca_catchup)v;
      break;
    case K_CATCHUP_MAX:
      if (!get_int(&val, 0, UINT32_MAX, &v))
        return bad(err, "bad catchup_max");
      s->catchup_max = (uint32_t)v;
      break;
    case K_PRIORITY:
      if (!get_int(&val, INT32_MIN, INT32_MAX, &v))
        return bad(err, "bad priority");
      s->priority = (int32_t)v;
      break;
    case K_FINGERPRINT:
      if (val.type != ORCA__MP_UINT)
        return bad(err, "bad fingerprint");
      s->fingerprint = val.v.u;
      break;
    case K_ARGS:
      if (val.type != ORCA__MP_BIN)
        return bad(err, "args are not bin");
      s->args = val.v.s.ptr;
      s->args_len = val.v.s.len;
      break;
    default: /* a field from a newer version: skip it */
      r = at;
      if (orca__mp_skip(&r, 0) != ORCA__MP_OK)
        return bad(err, "truncated value");
      break;
    }
    if (str) {
      if (val.type != ORCA__MP_STR || memchr(val.v.s.ptr, 0, val.v.s.len))
        return bad(err, "expected a string");
      *str = (const char *)val.v.s.ptr;
      *slen = val.v.s.len;
    }
  }
  if (!s->kind)
    return bad(err, "kind missing");
  return 0;
}

void orca__schedule_spec_from_desc(const orca_schedule_desc *d, orca__schedule_spec *s) {
  memset(s, 0, sizeof *s);
  s->kind = d->kind;
  s->cron_expr = d->cron_expr ? d->cron_expr : "";
  s->cron_expr_len = strlen(s->cron_expr);
  s->tz = d->tz ? d->tz : "";
  s->tz_len = strlen(s->tz);
  s->every_us = d->every_us;
  s->catchup = d->catchup;
  s->catchup_max = d->catchup_max ? d->catchup_max : 100;
  s->task = d->task && d->task->name ? d->task->name : "";
  s->task_len = strlen(s->task);
  s->queue = d->task && d->task->queue ? d->task->queue : "default";
  s->queue_len = strlen(s->queue);
  s->priority = d->task ? d->task->priority : 0;
  s->fingerprint = d->task && d->task->args ? d->task->args->fingerprint : 0;
  s->args = d->args;
  s->args_len = d->args_len;
}

int orca__schedule_spec_check(const orca__schedule_spec *s, orca_cron *cron, orca_tz **tz,
                              orca_err *err) {
  char buf[256];
  if (s->task_len == 0 || s->task_len >= ORCA_NAME_MAX)
    return orca_err_set(err, ORCA_EINVAL, "schedule: task name must be 1-%d bytes",
                        ORCA_NAME_MAX - 1);
  if (s->queue_len == 0 || s->queue_len >= ORCA_NAME_MAX)
    return orca_err_set(err, ORCA_EINVAL, "schedule: queue name must be 1-%d bytes",
                        ORCA_NAME_MAX - 1);
  if (s->catchup > ORCA_CATCHUP_ALL)
    return orca_err_set(err, ORCA_EINVAL, "schedule: unknown catch-up policy %d", (int)s->catchup);
  if (s->catchup == ORCA_CATCHUP_ALL && (s->catchup_max < 1 || s->catchup_max > 100000))
    return orca_err_set(err, ORCA_EINVAL, "schedule: catch-up bound must be 1-100000, not %u",
                        s->catchup_max);
  if (s->kind == ORCA_SCHEDULE_EVERY) {
    if (s->every_us < 1000)
      return orca_err_set(err, ORCA_EINVAL,
                          "schedule: interval must be at least 1 ms (got %lld µs)",
                          (long long)s->every_us);
    if (tz)
      *tz = NULL;
    return 0;
  }
  if (s->kind != ORCA_SCHEDULE_CRON)
    return orca_err_set(err, ORCA_EINVAL, "schedule: kind must be cron or every");
  if (s->cron_expr_len >= sizeof buf || s->tz_len >= 64)
    return orca_err_set(err, ORCA_EINVAL, "schedule: cron expression or zone name too long");
  orca_cron c;
  memcpy(buf, s->cron_expr, s->cron_expr_len);
  buf[s->cron_expr_len] = 0;
  int rc = orca_cron_parse(buf, &c, err);
  if (rc)
    return rc;
  orca_tz *z = NULL;
  if (s->tz_len) {
    char name[64];
    memcpy(name, s->tz, s->tz_len);
    name[s->tz_len] = 0;
    orca_err zerr = {0};
    if (orca_tz_open(name, &z, &zerr))
      return orca_err_set(err, ORCA_EINVAL, "schedule: %s", zerr.msg);
  }
  /* orca_cron_parse has refused expressions that never fire ("0 0 30 2 *"). */
  if (cron)
    *cron = c;
  if (tz)
    *tz = z;
  else
    orca_tz_close(z);
  return 0;
}

int orca_every_next(int64_t every_us, int64_t after_us, int64_t *next_us) {
  if (every_us <= 0)
    return ORCA_ENOTFOUND;
  int64_t q = after_us / every_us;
  if (after_us < 0 && after_us % every_us)
    q--;
  *next_us = (q + 1) * every_us;
  return 0;
}

int orca__schedule_next(const orca__schedule_spec *s, const orca_cron *cron, const orca_tz *tz,
                        int64_t after_us, int64_t *next_us) {
  if (s->kind == ORCA_SCHEDULE_EVERY)
    return orca_every_next(s->every_us, after_us, next_us);
  return orca_cron_next(cron, tz, after_us, next_us);
}

int orca__schedule_fire_id(const char *name, int64_t fire_us, char *out, size_t outlen) {
  char at[ORCA_TIME_MAX];
  int n = snprintf(out, outlen, "%s@%s", name, orca_tz_format(NULL, fire_us, at, sizeof at));
  return n < 0 || (size_t)n >= outlen ? ORCA_ERANGE : 0;
}
