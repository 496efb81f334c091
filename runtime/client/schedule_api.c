/* schedule_api.c — the public run-time schedules API (orca/schedule.h) over
 * a client's backend handle: definitions are checked here, encoded as the
 * spec blob the engine reads (schedule_spec.c) and stored with the backend's
 * schedule operations. */
#include <stdio.h>
#include <string.h>

#include "client/client_internal.h"
#include "orca/schedule.h"
#include "timekeeper/timekeeper.h"

static const uint8_t empty_map[] = {0x80};

static int backend_err(orca_err *err, int rc, const char *op, const char *name) {
  if (rc == ORCA_ENOTFOUND)
    return orca_err_set(err, rc, "schedule '%s': not found", name);
  if (rc == ORCA_EDUPLICATE)
    return orca_err_set(err, rc, "schedule '%s': already exists", name);
  return orca_err_set(err, rc, "schedule '%s': %s failed: %s", name, op, orca_strerror(rc));
}

static int check_name(const char *name, orca_err *err) {
  if (!name || !*name || strlen(name) >= ORCA_NAME_MAX || strchr(name, '@'))
    return orca_err_set(err, ORCA_EINVAL, "schedule name must be 1-%d bytes without '@' (got '%s')",
                        ORCA_NAME_MAX - 1, name ? name : "(null)");
  return 0;
}

/* The checks every call on a named schedule starts with: a client, and a
 * name that can be a schedule's. */
static int check_call(orca_client *c, const char *op, const char *name, orca_err *err) {
  if (!c)
    return orca_err_set(err, ORCA_EINVAL, "orca_schedule_%s: NULL client", op);
  return check_name(name, err);
}

int orca_schedule_add(orca_client *c, const orca_schedule_def *def, bool replace, orca_err *err) {
  if (!c || !def)
    return orca_err_set(err, ORCA_EINVAL, "schedule: no client or definition");
  int rc = check_name(def->name, err);
  if (rc)
    return rc;
  if (def->cron && def->every_us)
    return orca_err_set(err, ORCA_EINVAL, "schedule '%s': give either cron or every, not both",
                        def->name);
  if (!def->cron && def->tz)
    return orca_err_set(err, ORCA_EINVAL, "schedule '%s': a time zone applies to cron only",
                        def->name);
  orca__schedule_spec s = {
      .kind = def->cron ? ORCA_SCHEDULE_CRON : ORCA_SCHEDULE_EVERY,
      .cron_expr = def->cron ? def->cron : "",
      .tz = def->tz ? def->tz : "",
      .every_us = def->every_us,
      .catchup = def->catchup,
      .catchup_max = def->catchup_max ? def->catchup_max : 100,
      .task = def->task ? def->task : "",
      .queue = def->queue ? def->queue : "default",
      .priority = def->priority,
      .fingerprint = def->fingerprint,
      .args = def->args ? def->args : empty_map,
      .args_len = def->args ? def->args_len : sizeof empty_map,
  };
  s.cron_expr_len = strlen(s.cron_expr);
  s.tz_len = strlen(s.tz);
  s.task_len = strlen(s.task);
  s.queue_len = strlen(s.queue);
  if (s.args_len == 0 || ((s.args[0] & 0xf0) != 0x80 && s.args[0] != 0xde && s.args[0] != 0xdf))
    return orca_err_set(err, ORCA_EINVAL, "schedule '%s': args must be a msgpack map", def->name);
  orca_cron cron;
  orca_tz *tz = NULL;
  orca_err e = {0};
  if ((rc = orca__schedule_spec_check(&s, &cron, &tz, &e)))
    return orca_err_set(err, rc, "schedule '%s': %s", def->name, e.msg);
  orca__backend *b = orca__client_backend(c);
  orca__schedule_rec rec = {0};
  snprintf(rec.name, sizeof rec.name, "%s", def->name);
  rc = orca__schedule_next(&s, &cron, tz, orca_clock_now(b->clock), &rec.next_fire_us);
  orca_tz_close(tz);
  if (rc)
    return orca_err_set(err, ORCA_EINVAL, "schedule '%s': never fires", def->name);
  if (replace) {
    orca__schedule_rec old = {0};
    if (b->ops->schedule_get(b, def->name, &old) == 0)
      rec.paused = old.paused;
    orca_buf_free(&old.spec);
  }
  if ((rc = orca__schedule_spec_encode(&s, &rec.spec)) == 0)
    rc = b->ops->schedule_put(b, &rec, !replace);
  orca_buf_free(&rec.spec);
  return rc ? backend_err(err, rc, "add", def->name) : 0;
}

static void fill_info(const orca__schedule_rec *rec, const orca__schedule_spec *s,
                      orca_schedule_info *out) {
  memset(out, 0, sizeof *out);
  snprintf(out->name, sizeof out->name, "%s", rec->name);
  snprintf(out->task, sizeof out->task, "%.*s", (int)s->task_len, s->task);
  snprintf(out->queue, sizeof out->queue, "%.*s", (int)s->queue_len, s->queue);
  snprintf(out->cron, sizeof out->cron, "%.*s", (int)s->cron_expr_len, s->cron_expr);
  snprintf(out->tz, sizeof out->tz, "%.*s", (int)s->tz_len, s->tz);
  out->kind = s->kind;
  out->every_us = s->every_us;
  out->catchup = s->catchup;
  out->catchup_max = s->catchup_max;
  out->priority = s->priority;
  out->next_fire_us = rec->next_fire_us;
  out->paused = rec->paused;
}

int orca_schedule_get(orca_client *c, const char *name, orca_schedule_info *out, orca_err *err) {
  if (!out)
    return orca_err_set(err, ORCA_EINVAL, "orca_schedule_get: NULL output");
  int rc = check_call(c, "get", name, err);
  if (rc)
    return rc;
  orca__backend *b = orca__client_backend(c);
  orca__schedule_rec rec = {0};
  orca__schedule_spec s;
  rc = b->ops->schedule_get(b, name, &rec);
  if (rc == 0 && (rc = orca__schedule_spec_decode(rec.spec.data, rec.spec.len, &s, err)) == 0)
    fill_info(&rec, &s, out);
  orca_buf_free(&rec.spec);
  return rc == ORCA_EDECODE ? rc : rc ? backend_err(err, rc, "get", name) : 0;
}

typedef struct list_ctx {
  orca_schedule_cb cb;
  void *ud;
  int stopped;
} list_ctx;

static int on_rec(void *ud, const orca__schedule_rec *rec) {
  list_ctx *l = ud;
  orca__schedule_spec s;
  orca_schedule_info info;
  if (orca__schedule_spec_decode(rec->spec.data, rec->spec.len, &s, NULL)) {
    /* Listed with what the record holds, so a bad one can still be removed. */
    memset(&s, 0, sizeof s);
    s.task = s.queue = s.cron_expr = s.tz = "";
  }
  fill_info(rec, &s, &info);
  return l->stopped = l->cb(l->ud, &info);
}

int orca_schedule_list(orca_client *c, orca_schedule_cb cb, void *ud, orca_err *err) {
  if (!c || !cb)
    return orca_err_set(err, ORCA_EINVAL, "orca_schedule_list: NULL client or callback");
  orca__backend *b = orca__client_backend(c);
  list_ctx l = {cb, ud, 0};
  int rc = b->ops->schedule_list(b, on_rec, &l);
  if (l.stopped)
    return l.stopped;
  return rc ? orca_err_set(err, rc, "schedules: list failed: %s", orca_strerror(rc)) : 0;
}

int orca_schedule_pause(orca_client *c, const char *name, orca_err *err) {
  int rc = check_call(c, "pause", name, err);
  if (rc)
    return rc;
  orca__backend *b = orca__client_backend(c);
  rc = b->ops->schedule_pause(b, name, true);
  return rc ? backend_err(err, rc, "pause", name) : 0;
}

int orca_schedule_resume(orca_client *c, const char *name, orca_err *err) {
  int rc = check_call(c, "resume", name, err);
  if (rc)
    return rc;
  orca__backend *b = orca__client_backend(c);
  orca__schedule_rec rec = {0};
  orca__schedule_spec s;
  orca_cron cron;
  orca_tz *tz = NULL;
  rc = b->ops->schedule_get(b, name, &rec);
  if (rc == 0 && (rc = orca__schedule_spec_decode(rec.spec.data, rec.spec.len, &s, err)) == 0 &&
      (rc = orca__schedule_spec_check(&s, &cron, &tz, err)) == 0) {
    /* Restart from now, in one write: the pause is not caught up. */
    rc = orca__schedule_next(&s, &cron, tz, orca_clock_now(b->clock), &rec.next_fire_us);
    rec.paused = false;
    if (rc == 0)
      rc = b->ops->schedule_put(b, &rec, false);
  }
  orca_tz_close(tz);
  orca_buf_free(&rec.spec);
  if (rc == ORCA_EDECODE || rc == ORCA_EINVAL)
    return rc;
  return rc ? backend_err(err, rc, "resume", name) : 0;
}

int orca_schedule_remove(orca_client *c, const char *name, orca_err *err) {
  int rc = check_call(c, "remove", name, err);
  if (rc)
    return rc;
  orca__backend *b = orca__client_backend(c);
  rc = b->ops->schedule_remove(b, name);
  return rc ? backend_err(err, rc, "remove", name) : 0;
}
