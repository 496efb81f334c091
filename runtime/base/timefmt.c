/* timefmt.c — durations ("1h30m") and RFC 3339 times, parsed and printed the
 * same way by the CLI, worker flags and the JSON codec. */
#include "base/civil.h"
#include "orca/clock.h"
#include "orca/error.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int unit_us(const char *u, size_t n, int64_t *mult) {
  static const struct {
    const char *name;
    int64_t us;
  } units[] = {{"us", 1},         {"ms", 1000},        {"s", 1000000},
               {"m", 60000000LL}, {"h", 3600000000LL}, {"d", 86400000000LL}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0) {
      *mult = units[i].us;
      return 0;
    }
  return ORCA_EINVAL;
}

int orca_duration_parse(const char *s, int64_t *us) {
  if (!s || !*s)
    return ORCA_EINVAL;
  int64_t total = 0;
  const char *p = s;
  while (*p) {
    if (!isdigit((unsigned char)*p))
      return ORCA_EINVAL;
    int64_t v = 0;
    while (isdigit((unsigned char)*p)) {
      if (v > (INT64_MAX - 9) / 10)
        return ORCA_EINVAL;
      v = v * 10 + (*p++ - '0');
    }
    const char *u = p;
    while (isalpha((unsigned char)*p))
      p++;
    int64_t mult = 1000000;
    if (p == u) {
      if (*p || p != s + strspn(s, "0123456789"))
        return ORCA_EINVAL; /* a bare number must be the whole string */
    } else if (unit_us(u, (size_t)(p - u), &mult)) {
      return ORCA_EINVAL;
    }
    if (v > (INT64_MAX - total) / mult)
      return ORCA_EINVAL;
    total += v * mult;
  }
  *us = total;
  return 0;
}

static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (!isdigit((unsigned char)**p))
      return ORCA_EINVAL;
    v = v * 10 + (**p - '0');
  }
  *out = v;
  return 0;
}

int orca_time_parse(const char *s, int64_t *us) {
  if (!s || !*s)
    return ORCA_EINVAL;
  const char *p = s + (*s == '@');
  if (strspn(p, "0123456789") == strlen(p)) {
    int64_t secs = 0;
    if (!*p || strlen(p) > 12)
      return ORCA_EINVAL;
    for (; *p; p++)
      secs = secs * 10 + (*p - '0');
    *us = secs * 1000000;
    return 0;
  }
  p = s;
  int y, mo, d, h, mi, se;
  if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d) ||
      (*p != 'T' && *p != 't' && *p != ' '))
    return ORCA_EINVAL;
  p++;
  if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &se))
    return ORCA_EINVAL;
  if (mo < 1 || mo > 12 || d < 1 || d > orca__days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
    return ORCA_EINVAL;
  int64_t frac = 0;
  if (*p == '.') {
    p++;
    int64_t scale = 100000;
    if (!isdigit((unsigned char)*p))
      return ORCA_EINVAL;
    for (; isdigit((unsigned char)*p); p++) {
      frac += (*p - '0') * scale;
      scale /= 10;
    }
  }
  int64_t off = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1, oh, om;
    if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
      return ORCA_EINVAL;
    off = sign * (oh * 3600 + om * 60);
  } else {
    return ORCA_EINVAL;
  }
  if (*p)
    return ORCA_EINVAL;
  int64_t secs = orca__days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  *us = (secs - off) * 1000000 + frac;
  return 0;
}

char *orca_time_format(int64_t us, char *out, size_t outlen) {
  int64_t secs = us / 1000000, rem = us % 1000000;
  if (rem < 0) {
    rem += 1000000;
    secs--;
  }
  int64_t z = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    z--;
  }
  int64_t y;
  int m, d;
  orca__civil_from_days(z, &y, &m, &d);
  snprintf(out, outlen, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
           (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)(rem / 1000));
  return out;
}
