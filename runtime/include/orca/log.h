/* orca/log.h — where liborca's messages go.
 *
 * By default messages at ORCA_LOG_INFO and above go to stderr as
 * "orca: LEVEL: message". A program may route them elsewhere. */
#ifndef ORCA_LOG_H
#define ORCA_LOG_H

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

#ifdef __cplusplus
}
#endif
#endif
