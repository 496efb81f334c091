/* api.c — the dashboard's JSON API under /api/ (docs/operations.md): reads
 * and actions over orca/admin.h, one client call (or a few) per request.
 *
 *   GET  /api/info                      version, whether actions are allowed
 *   GET  /api/queues                    counts per queue and their recent history
 *   GET  /api/tasks?state=S[&queue=Q][&offset=N][&limit=N]
 *   GET  /api/tasks/ID                  one record: args, result, timeline
 *   POST /api/tasks/ID/cancel
 *   GET  /api/dlq[?queue=Q][&offset=N][&limit=N]
 *   POST /api/dlq/requeue, /api/dlq/purge   {"ids": [...]} or {"all": true}, ["queue": Q]
 *   GET  /api/schedules
 *   POST /api/schedules/NAME/pause, /api/schedules/NAME/resume
 *   GET  /api/workers                   workers seen on running tasks
 *
 * Answers are JSON objects; failures are {"error": "..."} with 400 (bad
 * input), 404 (no such task, schedule or path), 405, 409 (illegal state)
 * or 502 (the backend failed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "dashboard/dashboard_internal.h"
#include "orca/clock.h"
#include "orca/log.h"
#include "orca/orca.h"

/* ---- helpers ---- */

/* The HTTP status of a failed client call. */
static unsigned status_of(int rc) {
  switch (rc) {
  case ORCA_EINVAL:
    return 400;
  case ORCA_ENOTFOUND:
    return 404;
  case ORCA_ESTATE:
  case ORCA_ECONFLICT:
    return 409;
  case ORCA_ENOTSUP:
    return 501;
  default:
    return 502;
  }
}

static void fail(orca__http_resp *resp, int rc, const orca_err *err) {
  orca__dash_error(resp, status_of(rc), "%s", err->msg[0] ? err->msg : orca_strerror(rc));
}

/* A whole number query argument in 0..max; def when absent. False after
 * answering 400. */
static bool arg_count(const orca__http_req *req, orca__http_resp *resp, const char *name,
                      size_t def, size_t max, size_t *out) {
  const char *s = orca__http_query(req, name);
  if (!s) {
    *out = def;
    return true;
  }
  char *end = NULL;
  errno = 0;
  unsigned long long v = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
  if (!end || *end || errno || v > max) {
    orca__dash_error(resp, 400, "%s '%s': expected a whole number in 0..%zu", name, s, max);
    return false;
  }
  *out = (size_t)v;
  return true;
}

/* A queue filter: NULL when absent or empty. */
static const char *arg_queue(const orca__http_req *req) {
  const char *q = orca__http_query(req, "queue");
  return q && *q ? q : NULL;
}

/* An id or a name taken from the path: 1..ORCA_ID_MAX-1 printable bytes
 * without '/'. */
static bool name_ok(const char *s, size_t n) {
  if (n == 0 || n >= ORCA_ID_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] <= 0x20 || s[i] == '/' || s[i] == 0x7f)
      return false;
  return true;
}

/* ---- reads ---- */

static void get_info(orca_dashboard *d, orca__jw *w) {
  orca__jw_raw(w, "{\"version\":");
  orca__jw_str(w, ORCA_VERSION_STRING);
  orca__jw_printf(w, ",\"actions\":%s,\"auth\":%s,\"now\":", d->actions ? "true" : "false",
                  d->has_token ? "true" : "false");
  orca__jw_time(w, orca_clock_now(NULL));
  orca__jw_raw(w, "}\n");
}

typedef struct qlist {
  orca_dashboard *d;
  orca__jw *w;
  orca__dash_sample *sample; /* NULL: not sampling this time */
  size_t n;
} qlist;

static int put_queue(void *ud, const orca_queue_stats *q) {
  qlist *l = ud;
  if (l->n++)
    orca__jw_raw(l->w, ",");
  orca__jw_raw(l->w, "{\"queue\":");
  orca__jw_str(l->w, q->queue);
  orca__jw_printf(l->w,
                  ",\"pending\":%llu,\"running\":%llu,\"scheduled\":%llu,\"dead\":%llu,"
                  "\"succeeded\":%llu,\"failed\":%llu,\"done_per_sec\":%.3f}",
                  (unsigned long long)q->pending, (unsigned long long)q->running,
                  (unsigned long long)q->scheduled, (unsigned long long)q->dead,
                  (unsigned long long)q->succeeded, (unsigned long long)q->failed, q->done_per_sec);
  orca__dash_sample *s = l->sample;
  if (s && s->n < DASH_HISTORY_QUEUES) {
    snprintf(s->q[s->n].name, sizeof s->q[s->n].name, "%s", q->queue);
    s->q[s->n].pending = q->pending;
    s->q[s->n].running = q->running;
    s->q[s->n].scheduled = q->scheduled;
    s->q[s->n].dead = q->dead;
    s->q[s->n].succeeded = q->succeeded;
    s->q[s->n].failed = q->failed;
    s->n++;
  }
  return l->w->rc;
}

/* The history, oldest first: [{"t": seconds, "q": {"name": [pending,
 * running, scheduled, dead, succeeded, failed]}}]. */
static void put_history(orca_dashboard *d, orca__jw *w) {
  orca__jw_raw(w, "[");
  size_t first = (d->next_sample + DASH_HISTORY - d->nhistory) % DASH_HISTORY;
  for (size_t i = 0; i < d->nhistory; i++) {
    const orca__dash_sample *s = &d->history[(first + i) % DASH_HISTORY];
    orca__jw_printf(w, "%s{\"t\":%.3f,\"q\":{", i ? "," : "", (double)s->at_us / 1e6);
    for (size_t k = 0; k < s->n; k++) {
      orca__jw_key(w, s->q[k].name, k == 0);
      orca__jw_printf(w, "[%llu,%llu,%llu,%llu,%llu,%llu]", (unsigned long long)s->q[k].pending,
                      (unsigned long long)s->q[k].running, (unsigned long long)s->q[k].scheduled,
                      (unsigned long long)s->q[k].dead, (unsigned long long)s->q[k].succeeded,
                      (unsigned long long)s->q[k].failed);
    }
    orca__jw_raw(w, "}}");
  }
  orca__jw_raw(w, "]");
}

static void get_queues(orca_dashboard *d, orca__jw *w, orca__http_resp *resp) {
  int64_t now = orca_clock_now(NULL);
  const orca__dash_sample *last =
      d->nhistory ? &d->history[(d->next_sample + DASH_HISTORY - 1) % DASH_HISTORY] : NULL;
  orca__dash_sample *s = NULL;
  if (!last || now - last->at_us >= DASH_SAMPLE_US || now < last->at_us) {
    s = &d->history[d->next_sample];
    memset(s, 0, sizeof *s);
    s->at_us = now;
  }
  qlist l = {d, w, s, 0};
  orca_err err = {0};
  orca__jw_raw(w, "{\"queues\":[");
  int rc = orca_queue_list(d->client, put_queue, &l, &err);
  if (rc) {
    fail(resp, rc, &err);
    return;
  }
  if (s) {
    d->next_sample = (d->next_sample + 1) % DASH_HISTORY;
    if (d->nhistory < DASH_HISTORY)
      d->nhistory++;
  }
  orca__jw_raw(w, "],\"history\":");
  put_history(d, w);
  orca__jw_raw(w, "}\n");
}

typedef struct tlist {
  orca_dashboard *d;
  orca__jw *w;
  size_t n;
} tlist;

static int put_task(void *ud, const orca_task_info *t) {
  tlist *l = ud;
  orca__jw_raw(l->w, l->n++ ? ",{" : "{");
  orca__dash_task_json(l->d, l->w, t, false);
  orca__jw_raw(l->w, "}");
  return l->w->rc;
}

/* GET /api/tasks and /api/dlq: one page of records. */
static void get_list(orca_dashboard *d, const orca__http_req *req, orca__http_resp *resp,
                     orca__jw *w, bool dlq) {
  orca_state state = ORCA_STATE_DEAD;
  if (!dlq) {
    const char *s = orca__http_query(req, "state");
    state = s ? orca_state_parse(s) : ORCA_STATE_UNKNOWN;
    if (state == ORCA_STATE_UNKNOWN) {
      orca__dash_error(resp, 400,
                       "state '%s': expected pending, scheduled, running, failed, succeeded, "
                       "dead, cancelled or expired",
                       s ? s : "");
      return;
    }
  }
  size_t offset, limit;
  if (!arg_count(req, resp, "offset", 0, SIZE_MAX / 2, &offset) ||
      !arg_count(req, resp, "limit", 50, DASH_LIST_MAX, &limit))
    return;
  if (limit == 0)
    limit = 50;
  tlist l = {d, w, 0};
  orca_err err = {0};
  orca__jw_printf(w, "{\"state\":\"%s\",\"offset\":%zu,\"limit\":%zu,\"tasks\":[",
                  orca_state_name(state), offset, limit);
  int rc =
      dlq ? orca_dlq_list(d->client, arg_queue(req), offset, limit, put_task, &l, &err)
          : orca_task_list(d->client, state, arg_queue(req), offset, limit, put_task, &l, &err);
  if (rc) {
    fail(resp, rc, &err);
    return;
  }
  orca__jw_raw(w, "]}\n");
}

static void get_task(orca_dashboard *d, const char *id, orca__http_resp *resp, orca__jw *w) {
  orca_task_info info;
  memset(&info, 0, sizeof info);
  orca_err err = {0};
  int rc = orca_inspect(d->client, id, &info, &err);
  if (rc == ORCA_ENOTFOUND)
    orca__dash_error(resp, 404, "no task '%s' (unknown, or its record expired)", id);
  else if (rc)
    fail(resp, rc, &err);
  if (!rc) {
    orca__jw_raw(w, "{");
    orca__dash_task_json(d, w, &info, true);
    orca__jw_raw(w, "}\n");
  }
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
}

static int put_schedule(void *ud, const orca_schedule_info *s) {
  tlist *l = ud;
  orca__jw *w = l->w;
  orca__jw_raw(w, l->n++ ? ",{" : "{");
  orca__jw_key(w, "name", true);
  orca__jw_str(w, s->name);
  orca__jw_key(w, "task", false);
  orca__jw_str(w, s->task);
  orca__jw_key(w, "queue", false);
  orca__jw_str(w, s->queue);
  orca__jw_key(w, "spec", false);
  if (s->kind == ORCA_SCHEDULE_CRON) {
    char spec[256];
    snprintf(spec, sizeof spec, "cron \"%s\"%s%s", s->cron, s->tz[0] ? " in " : "", s->tz);
    orca__jw_str(w, spec);
  } else {
    orca__jw_printf(w, "\"every %gs\"", (double)s->every_us / 1e6);
  }
  orca__jw_key(w, "next_fire", false);
  orca__jw_time(w, s->next_fire_us);
  orca__jw_printf(w, ",\"paused\":%s}", s->paused ? "true" : "false");
  return w->rc;
}

static void get_schedules(orca_dashboard *d, orca__http_resp *resp, orca__jw *w) {
  tlist l = {d, w, 0};
  orca_err err = {0};
  orca__jw_raw(w, "{\"schedules\":[");
  int rc = orca_schedule_list(d->client, put_schedule, &l, &err);
  if (rc)
    fail(resp, rc, &err);
  else
    orca__jw_raw(w, "]}\n");
}

/* Workers, as seen on the running tasks' records. */
typedef struct wlist {
  struct {
    char name[ORCA_NAME_MAX];
    size_t running;
  } w[64];
  size_t n;
} wlist;

static int count_worker(void *ud, const orca_task_info *t) {
  wlist *l = ud;
  size_t i = 0;
  while (i < l->n && strcmp(l->w[i].name, t->worker) != 0)
    i++;
  if (i == l->n && l->n < sizeof l->w / sizeof l->w[0])
    snprintf(l->w[l->n++].name, ORCA_NAME_MAX, "%s", t->worker);
  if (i < l->n)
    l->w[i].running++;
  return 0;
}

static void get_workers(orca_dashboard *d, orca__http_resp *resp, orca__jw *w) {
  wlist *l = calloc(1, sizeof *l);
  if (!l) {
    orca__dash_error(resp, 500, "out of memory");
    return;
  }
  orca_err err = {0};
  int rc = orca_task_list(d->client, ORCA_STATE_RUNNING, NULL, 0, 10000, count_worker, l, &err);
  if (rc) {
    fail(resp, rc, &err);
  } else {
    orca__jw_raw(w, "{\"workers\":[");
    for (size_t i = 0; i < l->n; i++) {
      orca__jw_raw(w, i ? ",{\"worker\":" : "{\"worker\":");
      orca__jw_str(w, l->w[i].name);
      orca__jw_printf(w, ",\"running\":%zu}", l->w[i].running);
    }
    orca__jw_raw(w, "]}\n");
  }
  free(l);
}

/* ---- actions ---- */

static void post_cancel(orca_dashboard *d, const char *id, orca__http_resp *resp, orca__jw *w) {
  orca_err err = {0};
  int rc = orca_cancel(d->client, id, &err);
  if (rc == ORCA_ENOTFOUND)
    orca__dash_error(resp, 404, "no task '%s'", id);
  else if (rc)
    fail(resp, rc, &err);
  else
    orca__jw_raw(w, "{\"ok\":true}\n");
  if (!rc)
    orca_log(ORCA_LOG_INFO, "dashboard: cancelled task %s", id);
}

static void post_schedule(orca_dashboard *d, const char *name, bool pause, orca__http_resp *resp,
                          orca__jw *w) {
  orca_err err = {0};
  int rc = pause ? orca_schedule_pause(d->client, name, &err)
                 : orca_schedule_resume(d->client, name, &err);
  if (rc == ORCA_ENOTFOUND)
    orca__dash_error(resp, 404, "no schedule '%s'", name);
  else if (rc)
    fail(resp, rc, &err);
  else
    orca__jw_raw(w, "{\"ok\":true}\n");
  if (!rc)
    orca_log(ORCA_LOG_INFO, "dashboard: %s schedule %s", pause ? "paused" : "resumed", name);
}

static const orca__json *member(const orca__json *obj, const char *key) {
  for (size_t i = 0; i < obj->v.obj.len; i++)
    if (strcmp(obj->v.obj.items[i].key, key) == 0)
      return &obj->v.obj.items[i].value;
  return NULL;
}

/* POST /api/dlq/requeue|purge: {"ids": [...]} or {"all": true}, and
 * optionally "queue". Answers {"count": n, "missing": [ids not dead]}. */
static void post_dlq(orca_dashboard *d, const orca__http_req *req, bool requeue,
                     orca__http_resp *resp, orca__jw *w) {
  static const char usage[] = "expected {\"ids\": [\"ID\", ...]} or {\"all\": true}, with an "
                              "optional \"queue\": \"NAME\"";
  orca__json *body = NULL;
  orca_err err = {0};
  if (orca__json_parse((const char *)req->body, req->body_len, &d->arena, &body, &err)) {
    orca__dash_error(resp, 400, "request body: %s", err.msg);
    return;
  }
  if (body->kind != ORCA__JSON_OBJECT) {
    orca__dash_error(resp, 400, "request body: %s", usage);
    return;
  }
  for (size_t i = 0; i < body->v.obj.len; i++) {
    const char *k = body->v.obj.items[i].key;
    if (strcmp(k, "ids") && strcmp(k, "all") && strcmp(k, "queue")) {
      orca__dash_error(resp, 400, "request body: unknown member '%s'; %s", k, usage);
      return;
    }
  }
  const orca__json *ids = member(body, "ids"), *all = member(body, "all"),
                   *queue = member(body, "queue");
  bool is_all = all && all->kind == ORCA__JSON_BOOL && all->v.b;
  if ((all && !is_all) || (queue && queue->kind != ORCA__JSON_STRING) || (!ids == !is_all) ||
      (ids &&
       (ids->kind != ORCA__JSON_ARRAY || ids->v.arr.len == 0 || ids->v.arr.len > DASH_IDS_MAX))) {
    orca__dash_error(resp, 400, "request body: %s (at most %d ids)", usage, DASH_IDS_MAX);
    return;
  }
  for (size_t i = 0; ids && i < ids->v.arr.len; i++) {
    const orca__json *id = &ids->v.arr.items[i];
    if (id->kind != ORCA__JSON_STRING || !name_ok(id->v.str.ptr, id->v.str.len)) {
      orca__dash_error(resp, 400, "request body: ids[%zu] is not a task id", i);
      return;
    }
  }
  const char *q = queue && queue->v.str.len ? queue->v.str.ptr : NULL;
  const char *verb = requeue ? "requeued" : "deleted";
  size_t total = 0, n = 0;
  int rc = 0;
  if (is_all) {
    rc = requeue ? orca_dlq_requeue(d->client, q, NULL, &total, &err)
                 : orca_dlq_purge(d->client, q, NULL, &total, &err);
    if (rc) {
      fail(resp, rc, &err);
      return;
    }
    orca__jw_printf(w, "{\"count\":%zu,\"missing\":[]}\n", total);
    orca_log(ORCA_LOG_INFO, "dashboard: %s %zu dead task(s)%s%s", verb, total,
             q ? " of queue " : "", q ? q : "");
    return;
  }
  orca_buf missing = ORCA_BUF_INIT;
  orca__jw mw = {&missing, 0};
  size_t nmissing = 0;
  for (size_t i = 0; i < ids->v.arr.len; i++) {
    const char *id = ids->v.arr.items[i].v.str.ptr;
    n = 0;
    rc = requeue ? orca_dlq_requeue(d->client, q, id, &n, &err)
                 : orca_dlq_purge(d->client, q, id, &n, &err);
    if (rc == ORCA_ENOTFOUND) {
      orca__jw_raw(&mw, nmissing++ ? "," : "");
      orca__jw_str(&mw, id);
      rc = 0;
    } else if (rc) {
      break;
    } else {
      total += n;
      orca_log(ORCA_LOG_INFO, "dashboard: %s dead task %s", verb, id);
    }
  }
  if (rc) {
    fail(resp, rc, &err); /* the ones before stay done: the count is in the log */
  } else if (!mw.rc) {
    orca__jw_printf(w, "{\"count\":%zu,\"missing\":[", total);
    if (!w->rc && missing.len) /* the ids as written, not NUL-terminated */
      w->rc = orca_buf_append(w->out, missing.data, missing.len);
    orca__jw_raw(w, "]}\n");
  }
  orca_buf_free(&missing);
}

/* ---- routing ---- */

/* path with prefix removed when it starts with it, else NULL. */
static const char *after(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  return strncmp(path, prefix, n) == 0 ? path + n : NULL;
}

/* "NAME/verb" -> name copied into buf and verb returned; NULL when there is
 * no verb; "" name is refused by name_ok. */
static const char *split(const char *rest, char *buf, size_t cap) {
  const char *slash = strchr(rest, '/');
  size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
  if (n >= cap)
    n = cap - 1;
  memcpy(buf, rest, n);
  buf[n] = '\0';
  return slash ? slash + 1 : NULL;
}

void orca__dash_api(orca_dashboard *d, const orca__http_req *req, orca__http_resp *resp) {
  orca__jw w = {&resp->body, 0};
  const char *path = req->path, *rest;
  bool post = strcmp(req->method, "POST") == 0;
  char name[ORCA_ID_MAX + 1];
  const char *verb = NULL;
  if (!post && strcmp(path, "/api/info") == 0) {
    get_info(d, &w);
  } else if (!post && strcmp(path, "/api/queues") == 0) {
    get_queues(d, &w, resp);
  } else if (!post && strcmp(path, "/api/tasks") == 0) {
    get_list(d, req, resp, &w, false);
  } else if (!post && strcmp(path, "/api/dlq") == 0) {
    get_list(d, req, resp, &w, true);
  } else if (!post && strcmp(path, "/api/schedules") == 0) {
    get_schedules(d, resp, &w);
  } else if (!post && strcmp(path, "/api/workers") == 0) {
    get_workers(d, resp, &w);
  } else if (post &&
             (strcmp(path, "/api/dlq/requeue") == 0 || strcmp(path, "/api/dlq/purge") == 0)) {
    post_dlq(d, req, strcmp(path, "/api/dlq/requeue") == 0, resp, &w);
  } else if ((rest = after(path, "/api/tasks/")) != NULL) {
    verb = split(rest, name, sizeof name);
    if (!name_ok(name, strlen(name)) || strlen(rest) > ORCA_ID_MAX + 16)
      orca__dash_error(resp, 400, "'%.*s' is not a task id", ORCA_ID_MAX, rest);
    else if (!post && !verb)
      get_task(d, name, resp, &w);
    else if (verb && strcmp(verb, "cancel") == 0 && post)
      post_cancel(d, name, resp, &w);
    else
      orca__dash_error(resp, verb && strcmp(verb, "cancel") != 0 ? 404 : 405,
                       "%s %s: expected GET /api/tasks/ID or POST /api/tasks/ID/cancel",
                       req->method, path);
  } else if ((rest = after(path, "/api/schedules/")) != NULL) {
    verb = split(rest, name, sizeof name);
    bool pause = verb && strcmp(verb, "pause") == 0, resume = verb && strcmp(verb, "resume") == 0;
    if (!name_ok(name, strlen(name)))
      orca__dash_error(resp, 400, "'%.*s' is not a schedule name", ORCA_ID_MAX, rest);
    else if (post && (pause || resume))
      post_schedule(d, name, pause, resp, &w);
    else
      orca__dash_error(resp, pause || resume ? 405 : 404,
                       "%s %s: expected POST /api/schedules/NAME/pause or .../resume", req->method,
                       path);
  } else {
    orca__dash_error(resp, 404, "no API at %s %s", req->method, path);
  }
  if (w.rc) {
    orca__dash_error(resp, 500, "out of memory");
  }
}
