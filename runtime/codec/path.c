/* path.c — field paths for error messages (codec/path.h): rendering the chain
 * of steps the recursive decoders keep on the C stack, only when an error is
 * reported. */
#include "codec/path.h"

#include <stdio.h>

/* Append printf output at *pos, never past n (output is truncated). */
__attribute__((format(printf, 4, 5))) static void put(char *out, size_t n, size_t *pos,
                                                      const char *fmt, ...) {
  if (*pos >= n)
    return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(out + *pos, n - *pos, fmt, ap);
  va_end(ap);
  if (k > 0)
    *pos = *pos + (size_t)k < n ? *pos + (size_t)k : n - 1;
}

static void path_put(const orca__path *p, char *out, size_t n, size_t *pos) {
  if (!p)
    return;
  path_put(p->up, out, n, pos);
  switch (p->kind) {
  case ORCA__PATH_FIELD:
    put(out, n, pos, "%s%s", *pos ? "." : "", p->name);
    break;
  case ORCA__PATH_INDEX:
    put(out, n, pos, "[%lld]", (long long)p->index);
    break;
  case ORCA__PATH_KEY_INT:
    put(out, n, pos, "[%lld]", (long long)p->index);
    break;
  case ORCA__PATH_KEY_STR: {
    /* Keys come from the input: print at most 40 bytes, non-printables as '?'. */
    char key[41];
    size_t k = p->len < 40 ? p->len : 40;
    for (size_t i = 0; i < k; i++) {
      unsigned char c = (unsigned char)p->name[i];
      key[i] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    }
    key[k] = 0;
    put(out, n, pos, "[\"%s%s\"]", key, p->len > 40 ? "..." : "");
    break;
  }
  }
}

char *orca__path_format(const orca__path *p, char *out, size_t n) {
  size_t pos = 0;
  out[0] = 0;
  path_put(p, out, n, &pos);
  if (pos == 0)
    snprintf(out, n, "value");
  return out;
}

int orca__path_fail(orca_err *err, int code, const orca__path *p, const char *fmt, va_list ap) {
  if (err) {
    char path[160], msg[160];
    vsnprintf(msg, sizeof msg, fmt, ap);
    orca_err_set(err, code, "%s: %s", orca__path_format(p, path, sizeof path), msg);
  }
  return code;
}
