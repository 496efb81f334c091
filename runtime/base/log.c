/* log.c — the process-wide log sink (orca/log.h). */
#include "orca/log.h"

#include <stdarg.h>
#include <stdio.h>

static orca_log_fn sink;
static void *sink_ud;
static orca_log_level min_level = ORCA_LOG_INFO;

void orca_log_set(orca_log_fn fn, void *ud, orca_log_level level) {
  sink = fn;
  sink_ud = ud;
  min_level = level;
}

void orca_log(orca_log_level level, const char *fmt, ...) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  if (level < min_level || level >= ORCA_LOG_OFF)
    return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (sink)
    sink(sink_ud, level, msg);
  else
    fprintf(stderr, "orca: %s: %s\n", names[level], msg);
}
