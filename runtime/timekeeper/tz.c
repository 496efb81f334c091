/* tz.c — our own reader of TZif files (RFC 8536) from the system zone
 * database, and UTC offsets at an instant.
 *
 * Why not libc: localtime_r/mktime read the process-global TZ variable, so a
 * zone per schedule would need setenv+tzset, which is not thread-safe. A zone
 * here is immutable after loading and can be shared by threads.
 *
 * A zone is its transition table (64-bit times from the v2+ block, or the v1
 * block for old files) plus the POSIX TZ footer rule ("CET-1CEST,M3.5.0,
 * M10.5.0/3"), which gives offsets after the last transition. Leap-second
 * records are skipped (zones under right/ are read as if POSIX). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timekeeper/timekeeper.h"

#define TZ_MAX_FILE (1u << 20)
#define TZ_MAX_OFF 93599 /* RFC 8536: |utoff| < 26 h */

typedef struct rule_date {
  char kind;    /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.day) */
  int a, b, c;  /* J/D: a = day; M: a = month, b = week 1..5, c = weekday */
  int32_t time; /* seconds after local midnight (may be negative or > 24 h) */
} rule_date;

typedef struct posix_rule {
  int32_t std_off, dst_off; /* east positive */
  bool has_dst;
  rule_date start, end;
} posix_rule;

struct orca_tz {
  char name[64];
  size_t n;       /* transitions */
  int64_t *times; /* ascending */
  uint8_t *idx;   /* type of each transition */
  int32_t *offs;  /* utoff of each type */
  size_t ntypes;
  bool has_rule;
  posix_rule rule;
};

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static int64_t be64(const uint8_t *p) {
  return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* ---- POSIX TZ string (the footer) ---- */

static bool p_name(const char **s) {
  const char *q = *s;
  if (*q == '<') {
    q++;
    while (*q && *q != '>') {
      if (!isalnum((unsigned char)*q) && *q != '+' && *q != '-')
        return false;
      q++;
    }
    if (*q != '>' || q - *s < 4)
      return false;
    *s = q + 1;
    return true;
  }
  while (isalpha((unsigned char)*q))
    q++;
  if (q - *s < 3)
    return false;
  *s = q;
  return true;
}

/* [+-]hh[:mm[:ss]], hours up to max_h. */
static bool p_hms(const char **s, int max_h, int32_t *out) {
  const char *q = *s;
  int sign = 1;
  if (*q == '+' || *q == '-')
    sign = *q++ == '-' ? -1 : 1;
  int v[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    if (i > 0) {
      if (*q != ':')
        break;
      q++;
    }
    if (!isdigit((unsigned char)*q))
      return false;
    int n = 0, digits = 0;
    while (isdigit((unsigned char)*q) && digits < 3)
      n = n * 10 + (*q++ - '0'), digits++;
    if (isdigit((unsigned char)*q))
      return false;
    v[i] = n;
  }
  if (v[0] > max_h || v[1] > 59 || v[2] > 59)
    return false;
  *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
  *s = q;
  return true;
}

static bool p_int(const char **s, int lo, int hi, int *out) {
  const char *q = *s;
  int n = 0;
  if (!isdigit((unsigned char)*q))
    return false;
  while (isdigit((unsigned char)*q)) {
    n = n * 10 + (*q++ - '0');
    if (n > hi)
      return false;
  }
  if (n < lo)
    return false;
  *out = n;
  *s = q;
  return true;
}

static bool p_date(const char **s, rule_date *r) {
  const char *q = *s;
  if (*q == 'J') {
    q++;
    r->kind = 'J';
    if (!p_int(&q, 1, 365, &r->a))
      return false;
  } else if (*q == 'M') {
    q++;
    r->kind = 'M';
    if (!p_int(&q, 1, 12, &r->a) || *q++ != '.' || !p_int(&q, 1, 5, &r->b) || *q++ != '.' ||
        !p_int(&q, 0, 6, &r->c))
      return false;
  } else {
    r->kind = 'D';
    if (!p_int(&q, 0, 365, &r->a))
      return false;
  }
  r->time = 7200;
  if (*q == '/' && (q++, !p_hms(&q, 167, &r->time)))
    return false;
  *s = q;
  return true;
}

/* std offset [dst [offset] [,start[/time],end[/time]]] */
static bool parse_posix(const char *s, posix_rule *r) {
  int32_t off;
  memset(r, 0, sizeof *r);
  if (!p_name(&s) || !p_hms(&s, 24, &off))
    return false;
  r->std_off = -off;
  if (!*s)
    return true;
  if (!p_name(&s))
    return false;
  r->has_dst = true;
  r->dst_off = r->std_off + 3600;
  if (*s && *s != ',') {
    if (!p_hms(&s, 24, &off))
      return false;
    r->dst_off = -off;
  }
  if (!*s) { /* POSIX default rule: US since 2007 */
    r->start = (rule_date){'M', 3, 2, 0, 7200};
    r->end = (rule_date){'M', 11, 1, 0, 7200};
    return true;
  }
  if (*s++ != ',' || !p_date(&s, &r->start) || *s++ != ',' || !p_date(&s, &r->end))
    return false;
  return *s == 0;
}

/* Day number of a rule date in year y. */
static int64_t rule_day(const rule_date *r, int64_t y) {
  int64_t jan1 = orca__days_from_civil(y, 1, 1);
  bool leap = orca__days_in_month(y, 2) == 29;
  switch (r->kind) {
  case 'J':
    return jan1 + r->a - 1 + (leap && r->a >= 60);
  case 'D':
    return jan1 + r->a;
  default: {
    int64_t first = orca__days_from_civil(y, r->a, 1);
    int d = 1 + (r->c - orca__weekday(first) + 7) % 7 + (r->b - 1) * 7;
    while (d > orca__days_in_month(y, r->a))
      d -= 7;
    return first + d - 1;
  }
  }
}

static int32_t rule_offset(const posix_rule *r, int64_t t) {
  if (!r->has_dst)
    return r->std_off;
  int64_t y;
  int m, d;
  orca__civil_from_days((t + r->std_off) / 86400 - ((t + r->std_off) % 86400 < 0), &y, &m, &d);
  /* The start time is given in the standard time in effect before it, the
   * end time in daylight time. */
  int64_t start = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
  int64_t end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ---- */

typedef struct hdr {
  uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
} hdr;

static int read_hdr(const uint8_t *d, size_t len, size_t at, hdr *h, char *version,
                    const char *name, orca_err *err) {
  if (len < at + 44 || memcmp(d + at, "TZif", 4) != 0)
    return orca_err_set(err, ORCA_EDECODE, "zone '%s': not a TZif file (bad header at byte %zu)",
                        name, at);
  *version = (char)d[at + 4];
  const uint8_t *c = d + at + 20;
  *h = (hdr){be32(c), be32(c + 4), be32(c + 8), be32(c + 12), be32(c + 16), be32(c + 20)};
  if (h->typecnt == 0 || h->typecnt > 256 || h->timecnt > 100000 || h->charcnt > 65536 ||
      h->leap > 100000 || (h->isut && h->isut != h->typecnt) ||
      (h->isstd && h->isstd != h->typecnt))
    return orca_err_set(err, ORCA_EDECODE, "zone '%s': implausible TZif counts at byte %zu", name,
                        at);
  return 0;
}

static size_t block_len(const hdr *h, size_t tsize) {
  return h->timecnt * tsize + h->timecnt + h->typecnt * 6 + h->charcnt + h->leap * (tsize + 4) +
         h->isstd + h->isut;
}

int orca__tz_parse(const uint8_t *d, size_t len, const char *name, orca_tz **out, orca_err *err) {
  hdr h;
  char ver;
  size_t at = 0, tsize = 4;
  int rc = read_hdr(d, len, 0, &h, &ver, name, err);
  if (rc)
    return rc;
  if (ver >= '2') {
    at = 44 + block_len(&h, 4);
    if ((rc = read_hdr(d, len, at, &h, &ver, name, err)))
      return rc;
    tsize = 8;
  }
  at += 44;
  size_t blen = block_len(&h, tsize);
  if (len - at < blen)
    return orca_err_set(err, ORCA_EDECODE, "zone '%s': truncated TZif data", name);
  orca_tz *tz =
      calloc(1, sizeof *tz + h.timecnt * (sizeof(int64_t) + 1) + h.typecnt * sizeof(int32_t) + 8);
  if (!tz)
    return orca_err_set(err, ORCA_ENOMEM, "zone '%s': out of memory", name);
  snprintf(tz->name, sizeof tz->name, "%s", name);
  tz->n = h.timecnt;
  tz->ntypes = h.typecnt;
  tz->times = (int64_t *)(tz + 1);
  tz->offs = (int32_t *)(tz->times + h.timecnt);
  tz->idx = (uint8_t *)(tz->offs + h.typecnt);
  const uint8_t *p = d + at;
  for (size_t i = 0; i < h.timecnt; i++, p += tsize) {
    tz->times[i] = tsize == 8 ? be64(p) : (int64_t)(int32_t)be32(p);
    if (i > 0 && tz->times[i] <= tz->times[i - 1]) {
      orca_tz_close(tz);
      return orca_err_set(err, ORCA_EDECODE, "zone '%s': transition %zu out of order", name, i);
    }
  }
  for (size_t i = 0; i < h.timecnt; i++, p++) {
    if (*p >= h.typecnt) {
      orca_tz_close(tz);
      return orca_err_set(err, ORCA_EDECODE, "zone '%s': transition %zu has bad type %u", name, i,
                          *p);
    }
    tz->idx[i] = *p;
  }
  for (size_t i = 0; i < h.typecnt; i++, p += 6) {
    int32_t off = (int32_t)be32(p);
    if (off < -TZ_MAX_OFF || off > TZ_MAX_OFF || p[4] > 1 || p[5] >= h.charcnt) {
      orca_tz_close(tz);
      return orca_err_set(err, ORCA_EDECODE, "zone '%s': bad local time type %zu", name, i);
    }
    tz->offs[i] = off;
  }
  at += blen;
  if (tsize == 8 && at < len) {
    /* Footer: "\n" TZ-string "\n"; empty means no rule. */
    const uint8_t *f = d + at, *nl;
    if (*f != '\n' || !(nl = memchr(f + 1, '\n', len - at - 1)) || nl - f - 1 > 200) {
      orca_tz_close(tz);
      return orca_err_set(err, ORCA_EDECODE, "zone '%s': malformed TZ string footer", name);
    }
    char rule[208];
    memcpy(rule, f + 1, (size_t)(nl - f - 1));
    rule[nl - f - 1] = 0;
    if (rule[0]) {
      if (memchr(f + 1, 0, (size_t)(nl - f - 1)) || !parse_posix(rule, &tz->rule)) {
        orca_tz_close(tz);
        return orca_err_set(err, ORCA_EDECODE, "zone '%s': bad POSIX TZ rule '%s'", name, rule);
      }
      tz->has_rule = true;
    }
  }
  *out = tz;
  return 0;
}

/* Zone names are relative paths of letters, digits and "/_+-." without ".."
 * components, so a name from a user can never leave the zone directory. */
static bool name_ok(const char *n) {
  size_t len = strlen(n);
  if (len == 0 || len > 60 || n[0] == '/' || n[0] == '.')
    return false;
  for (const char *q = n; *q; q++)
    if (!isalnum((unsigned char)*q) && !strchr("/_+-.", *q))
      return false;
  return strstr(n, "..") == NULL;
}

int orca_tz_open(const char *name, orca_tz **out, orca_err *err) {
  if (!name || !name_ok(name))
    return orca_err_set(err, ORCA_ENOTFOUND, "time zone '%s': not a valid zone name",
                        name ? name : "(null)");
  const char *dir = getenv("TZDIR");
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
      /* A system without tzdata still knows UTC. */
      orca_tz *tz = calloc(1, sizeof *tz + 8);
      if (!tz)
        return ORCA_ENOMEM;
      snprintf(tz->name, sizeof tz->name, "%s", name);
      tz->offs = (int32_t *)(tz + 1);
      tz->ntypes = 1;
      *out = tz;
      return 0;
    }
    return orca_err_set(err, ORCA_ENOTFOUND, "time zone '%s': %s (%s)", name, strerror(errno),
                        path);
  }
  uint8_t *buf = malloc(TZ_MAX_FILE);
  if (!buf) {
    fclose(f);
    return orca_err_set(err, ORCA_ENOMEM, "time zone '%s': out of memory", name);
  }
  size_t n = fread(buf, 1, TZ_MAX_FILE, f);
  fclose(f);
  int rc = orca__tz_parse(buf, n, name, out, err);
  free(buf);
  return rc;
}

void orca_tz_close(orca_tz *tz) {
  free(tz);
}

const char *orca__tz_name(const orca_tz *tz) {
  return tz ? tz->name : "UTC";
}

char *orca_tz_format(const orca_tz *tz, int64_t us, char *out, size_t outlen) {
  if (!out || !outlen)
    return out;
  int64_t secs = us / 1000000 - (us % 1000000 < 0), frac = us - secs * 1000000;
  int32_t off = orca__tz_offset(tz, secs);
  int64_t local = secs + off;
  int64_t days = local / 86400 - (local % 86400 < 0), y;
  int sod = (int)(local - days * 86400), m, d;
  orca__civil_from_days(days, &y, &m, &d);
  char f[16] = "", z[16] = "Z";
  if (frac)
    snprintf(f, sizeof f, ".%06lld", (long long)frac);
  if (tz) {
    int32_t a = off < 0 ? -off : off;
    snprintf(z, sizeof z, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
  }
  snprintf(out, outlen, "%04lld-%02d-%02dT%02d:%02d:%02d%s%s", (long long)y, m, d, sod / 3600,
           sod / 60 % 60, sod % 60, f, z);
  return out;
}

int32_t orca__tz_offset(const orca_tz *tz, int64_t t) {
  if (!tz)
    return 0;
  if (tz->n == 0 || t >= tz->times[tz->n - 1]) {
    if (tz->has_rule)
      return rule_offset(&tz->rule, t);
    return tz->n ? tz->offs[tz->idx[tz->n - 1]] : tz->offs[0];
  }
  if (t < tz->times[0])
    return tz->offs[0];
  size_t lo = 0, hi = tz->n - 1; /* times[lo] <= t < times[hi] */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (tz->times[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  return tz->offs[tz->idx[lo]];
}
