/* duration.c — parse "500ms" / "15s" / "1m30s" for command-line options and
 * environment variables (see duration.h). */
#include "duration.h"

#include <ctype.h>
#include <string.h>

int orca__duration_parse(const char *what, const char *text, int64_t *out, orca_err *err) {
  static const struct {
    const char *unit;
    int64_t us;
  } units[] = {{"us", 1},          {"ms", 1000},          {"s", 1000000},
               {"m", 60000000},    {"h", 3600000000},     {"d", 86400000000}};
  const char *p = text ? text : "";
  int64_t total = 0;
  if (!*p)
    goto bad;
  while (*p) {
    if (!isdigit((unsigned char)*p))
      goto bad;
    int64_t n = 0;
    while (isdigit((unsigned char)*p)) {
      if (n > 100000000000LL)
        goto bad;
      n = n * 10 + (*p++ - '0');
    }
    int64_t mult = 1000000; /* bare number: seconds */
    if (*p) {
      size_t len = 0;
      while (isalpha((unsigned char)p[len]))
        len++;
      size_t k = 0, nunits = sizeof units / sizeof units[0];
      for (; k < nunits; k++)
        if (strlen(units[k].unit) == len && strncmp(units[k].unit, p, len) == 0)
          break;
      if (k == nunits)
        goto bad;
      mult = units[k].us;
      p += len;
    } else if (total != 0) {
      goto bad; /* "1m30" is ambiguous */
    }
    if (n > (INT64_MAX / 4 - total) / mult)
      goto bad;
    total += n * mult;
  }
  *out = total;
  return 0;
bad:
  return orca_err_set(err, ORCA_EINVAL,
                      "%s: '%s' is not a duration (expected e.g. 500ms, 15s, 2m, 1h30m)",
                      what ? what : "duration", text ? text : "");
}
