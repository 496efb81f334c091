/* codec/path.h — field paths in error messages: every decoder of untrusted
 * bytes names where a bad value sits ("items[2].qty: expected int, got str"). */
#ifndef ORCA__CODEC_PATH_H
#define ORCA__CODEC_PATH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/error.h"

/* One step of the path from the root to the value being decoded, kept on the
 * C stack by the recursive decoders and rendered only when an error is
 * reported: `order.items[2].qty`, `meta["k"]`. */
typedef struct orca__path {
  const struct orca__path *up;
  enum { ORCA__PATH_FIELD, ORCA__PATH_INDEX, ORCA__PATH_KEY_STR, ORCA__PATH_KEY_INT } kind;
  const char *name; /* FIELD: field name; KEY_STR: key bytes */
  size_t len;       /* KEY_STR: key length */
  int64_t index;    /* INDEX, KEY_INT */
} orca__path;

/* Render a path into out (size n), "value" for the root. Returns out. */
char *orca__path_format(const orca__path *p, char *out, size_t n);
/* Set err (if non-NULL) to "PATH: message" and return code: the one error
 * form every decoder of untrusted bytes uses. */
int orca__path_fail(orca_err *err, int code, const orca__path *p, const char *fmt, va_list ap);

#endif
