/* log.c — the process-wide log sink (orca/log.h): the level filter, the
 * built-in stderr sink in text or JSON, and the per-thread context of lines
 * (base/logctx.h). */
#include "orca/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/logctx.h"
#include "orca/clock.h"
#include "orca/error.h"

static orca_log_fn sink;
static void *sink_ud;
static orca_log_level min_level = ORCA_LOG_INFO;
static orca_log_format format = ORCA_LOG_TEXT;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

static _Thread_local const char *ctx_worker, *ctx_id, *ctx_task, *ctx_queue;

void orca__log_set_worker(const char *worker) {
  ctx_worker = worker;
}

void orca__log_set_task(const char *id, const char *task, const char *queue) {
  ctx_id = id;
  ctx_task = task;
  ctx_queue = queue;
}

void orca_log_get_context(orca_log_context *out) {
  out->worker = ctx_worker ? ctx_worker : "";
  out->task_id = ctx_id ? ctx_id : "";
  out->task = ctx_task ? ctx_task : "";
  out->queue = ctx_queue ? ctx_queue : "";
}

void orca_log_set(orca_log_fn fn, void *ud, orca_log_level level) {
  sink = fn;
  sink_ud = ud;
  min_level = level;
}

void orca_log_set_format(orca_log_format f) {
  format = f;
}

int orca_log_format_parse(const char *name, orca_log_format *out) {
  if (name && strcmp(name, "text") == 0)
    *out = ORCA_LOG_TEXT;
  else if (name && strcmp(name, "json") == 0)
    *out = ORCA_LOG_JSON;
  else
    return ORCA_EINVAL;
  return 0;
}

/* A JSON writer into a fixed buffer: counts every byte, stores what fits
 * and keeps a NUL after it. */
typedef struct jbuf {
  char *p;
  size_t len, n;
} jbuf;

static void jput(jbuf *b, const char *s, size_t n) {
  if (b->n + n < b->len) {
    memcpy(b->p + b->n, s, n);
    b->p[b->n + n] = '\0';
  }
  b->n += n;
}

/* s as a JSON string: quotes, backslashes and control bytes escaped; other
 * bytes as they are (liborca's messages are UTF-8 or ASCII). */
static void jstr(jbuf *b, const char *s) {
  jput(b, "\"", 1);
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    char esc[8];
    if (*c == '"' || *c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)*c;
      jput(b, esc, 2);
    } else if (*c < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", *c);
      jput(b, esc, 6);
    } else {
      jput(b, (const char *)c, 1);
    }
  }
  jput(b, "\"", 1);
}

static void jfield(jbuf *b, const char *name, const char *value) {
  if (!value || !*value)
    return;
  jput(b, ",\"", 2);
  jput(b, name, strlen(name));
  jput(b, "\":", 2);
  jstr(b, value);
}

size_t orca_log_json_line(orca_log_level level, const char *msg, char *buf, size_t len) {
  jbuf b = {buf, len, 0};
  if (len)
    buf[0] = '\0';
  char when[40];
  orca_time_format(orca_clock_now(NULL), when, sizeof when);
  jput(&b, "{\"time\":", 8);
  jstr(&b, when);
  jfield(&b, "level", level >= 0 && level < ORCA_LOG_OFF ? level_names[level] : "error");
  jfield(&b, "worker", ctx_worker);
  jfield(&b, "task_id", ctx_id);
  jfield(&b, "task", ctx_task);
  jfield(&b, "queue", ctx_queue);
  jput(&b, ",\"message\":", 11);
  jstr(&b, msg ? msg : "");
  jput(&b, "}", 1);
  return b.n;
}

void orca_log(orca_log_level level, const char *fmt, ...) {
  if (level < min_level || level >= ORCA_LOG_OFF)
    return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (sink) {
    sink(sink_ud, level, msg);
  } else if (format == ORCA_LOG_JSON) {
    /* Room for the worst case: every byte of msg and of the context as a
     * \u escape (6 bytes). */
    char line[16384];
    orca_log_json_line(level, msg, line, sizeof line);
    fprintf(stderr, "%s\n", line);
  } else {
    fprintf(stderr, "orca: %s: %s\n", level_names[level], msg);
  }
}
