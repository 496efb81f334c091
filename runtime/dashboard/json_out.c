/* json_out.c — the dashboard's JSON writer (orca__jw_*) and how a task record
 * is shown: its fields, arguments and result through the schema, and its
 * timeline. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec/json.h"
#include "dashboard/dashboard_internal.h"
#include "orca/clock.h"
#include "orca/codec.h"

void orca__jw_raw(orca__jw *w, const char *text) {
  if (!w->rc)
    w->rc = orca_buf_append(w->out, text, strlen(text));
}

void orca__jw_printf(orca__jw *w, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (!w->rc && n > 0)
    w->rc = orca_buf_append(w->out, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void orca__jw_str(orca__jw *w, const char *s) {
  if (!s)
    orca__jw_raw(w, "null");
  else if (!w->rc)
    w->rc = orca__json_put_string(w->out, s, strlen(s));
}

void orca__jw_key(orca__jw *w, const char *key, bool first) {
  if (!first)
    orca__jw_raw(w, ",");
  orca__jw_str(w, key);
  orca__jw_raw(w, ":");
}

void orca__jw_time(orca__jw *w, int64_t us) {
  char buf[40];
  if (us)
    orca__jw_str(w, orca_time_format(us, buf, sizeof buf));
  else
    orca__jw_raw(w, "null");
}

void orca__jw_msgpack(orca__jw *w, const orca_type *t, const orca_buf *b) {
  if (w->rc)
    return;
  if (!b->len) {
    orca__jw_raw(w, "null");
    return;
  }
  size_t mark = w->out->len;
  orca_err err = {0};
  int rc = orca_msgpack_to_json(t, b->data, b->len, w->out, &err);
  if (rc == ORCA_ENOMEM) {
    w->rc = rc;
  } else if (rc) { /* not of this type (another version of the schema?): untyped */
    w->out->len = mark;
    if (!t || orca_msgpack_to_json(NULL, b->data, b->len, w->out, &err)) {
      w->out->len = mark;
      orca__jw_raw(w, "null");
    }
  }
}

const orca_task_desc *orca__dash_task(const orca_dashboard *d, const char *name) {
  for (size_t i = 0; i < d->nschemas; i++) {
    const orca_task_desc *t = orca_schema_task(d->schemas[i], name);
    if (t)
      return t;
  }
  return NULL;
}

/* One event of the timeline, when it happened. */
static void event(orca__jw *w, bool *first, const char *what, int64_t us) {
  if (!us)
    return;
  if (!*first)
    orca__jw_raw(w, ",");
  *first = false;
  orca__jw_raw(w, "{\"event\":");
  orca__jw_str(w, what);
  orca__jw_raw(w, ",\"at\":");
  orca__jw_time(w, us);
  orca__jw_raw(w, "}");
}

void orca__dash_task_json(const orca_dashboard *d, orca__jw *w, const orca_task_info *t,
                          bool full) {
  orca__jw_key(w, "id", true);
  orca__jw_str(w, t->id);
  orca__jw_key(w, "task", false);
  orca__jw_str(w, t->task);
  orca__jw_key(w, "queue", false);
  orca__jw_str(w, t->queue);
  orca__jw_key(w, "state", false);
  orca__jw_str(w, orca_state_name(t->state));
  orca__jw_printf(w, ",\"attempt\":%u,\"deliveries\":%u,\"priority\":%d", (unsigned)t->attempt,
                  (unsigned)t->deliveries, (int)t->priority);
  orca__jw_key(w, "worker", false);
  orca__jw_str(w, t->worker);
  orca__jw_key(w, "error", false);
  orca__jw_str(w, t->error);
  orca__jw_key(w, "enqueued", false);
  orca__jw_time(w, t->enqueued_us);
  orca__jw_key(w, "due", false);
  orca__jw_time(w, t->eta_us);
  orca__jw_key(w, "started", false);
  orca__jw_time(w, t->started_us);
  orca__jw_key(w, "finished", false);
  orca__jw_time(w, t->finished_us);
  orca__jw_key(w, "expires", false);
  orca__jw_time(w, t->expires_us);
  if (!full)
    return;
  const orca_task_desc *desc = orca__dash_task(d, t->task);
  orca__jw_key(w, "typed", false);
  orca__jw_raw(w, desc ? "true" : "false");
  orca__jw_key(w, "args", false);
  orca__jw_msgpack(w, desc ? desc->args_type : NULL, &t->args);
  orca__jw_key(w, "result", false);
  orca__jw_msgpack(w, desc ? desc->result : NULL, &t->result);
  orca__jw_key(w, "timeline", false);
  orca__jw_raw(w, "[");
  bool first = true;
  event(w, &first, "enqueued", t->enqueued_us);
  if (t->eta_us > t->enqueued_us)
    event(w, &first, "due", t->eta_us);
  event(w, &first, "started", t->started_us);
  if (orca_state_is_final(t->state))
    event(w, &first, orca_state_name(t->state), t->finished_us);
  event(w, &first, "record expires", t->expires_us);
  orca__jw_raw(w, "]");
}
