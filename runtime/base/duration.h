/* duration.h — human durations on command lines: "500ms", "15s", "2m". */
#ifndef ORCA__DURATION_H
#define ORCA__DURATION_H

#include <stdint.h>

#include "orca/error.h"

/* Parse text as a sum of NUMBER UNIT terms ("1m30s", "250ms", "2h"); units
 * us, ms, s, m, h, d; a bare number means seconds. Sets *out in µs. Returns 0
 * or ORCA_EINVAL with err quoting the text (what names the option, e.g.
 * "--grace"). */
int orca__duration_parse(const char *what, const char *text, int64_t *out, orca_err *err);

#endif
