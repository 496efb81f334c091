/* duration.c — durations for command-line options and environment variables:
 * orca_duration_parse() (timefmt.c) plus a message that names the option. */
#include "base/duration.h"

#include "orca/clock.h"

int orca__duration_parse(const char *what, const char *text, int64_t *out, orca_err *err) {
  if (text && orca_duration_parse(text, out) == 0)
    return 0;
  return orca_err_set(err, ORCA_EINVAL,
                      "%s: '%s' is not a duration (expected e.g. 500ms, 15s, 2m, 1h30m)",
                      what ? what : "duration", text ? text : "");
}
