/* orca/log.h — where liborca's messages go.
 *
 * By default messages at ORCA_LOG_INFO and above go to stderr as
 * "orca: LEVEL: message", or as one JSON object per line with
 * orca_log_set_format(ORCA_LOG_JSON). A program may route them elsewhere.
 * Every line carries the context of the thread that logs it (the worker,
 * and the task a handler thread runs), for JSON lines and custom sinks. */
#ifndef ORCA_LOG_H
#define ORCA_LOG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum orca_log_level {
  ORCA_LOG_DEBUG = 0,
  ORCA_LOG_INFO,
  ORCA_LOG_WARN,
  ORCA_LOG_ERROR,
  ORCA_LOG_OFF,
} orca_log_level;

/* msg is one line without the newline, valid only during the call. The
 * callback may be called from any liborca thread at once. */
typedef void (*orca_log_fn)(void *ud, orca_log_level level, const char *msg);

/* Install a process-wide log callback (NULL restores stderr) and the minimum
 * level passed to it. Call before starting workers or clients. */
void orca_log_set(orca_log_fn fn, void *ud, orca_log_level min_level);

/* Log a printf-style message through the installed callback. */
void orca_log(orca_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* How the built-in stderr sink writes a line. */
typedef enum orca_log_format {
  ORCA_LOG_TEXT = 0, /* orca: LEVEL: message */
  ORCA_LOG_JSON,     /* {"time":...,"level":...,"worker":...,"task_id":...,"task":...,
                        "queue":...,"message":...}; context fields without a value are
                        left out */
} orca_log_format;

/* Choose the format of the built-in sink (a callback installed with
 * orca_log_set gets the message alone either way). Call before starting
 * workers or clients. */
void orca_log_set_format(orca_log_format format);

/* Parse "text" or "json" into *out. Returns 0 or ORCA_EINVAL (the name
 * unknown; *out unchanged). */
int orca_log_format_parse(const char *name, orca_log_format *out);

/* What the calling thread works on, for a log line: the worker id (on a
 * worker's threads) and the task id, task name and queue (on a handler
 * thread while it runs a task); "" when none. The strings are valid until
 * the thread's next log call or task, so read them in the sink call. */
typedef struct orca_log_context {
  const char *worker, *task_id, *task, *queue;
} orca_log_context;
void orca_log_get_context(orca_log_context *out);

/* Write the JSON line (ORCA_LOG_JSON, with the calling thread's context and
 * the current time, without the newline) for a message at level into buf.
 * Returns the length of the whole line, like snprintf: buf holds it (and a
 * NUL) when that is less than len, else whatever fits, which is no line. Programs that print their
 * own lines in the same format (the orca CLI with --log-format json) use it. */
size_t orca_log_json_line(orca_log_level level, const char *msg, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
