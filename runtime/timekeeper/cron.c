/* cron.c — the cron expression parser: text -> orca_cron (plain bit sets).
 *
 * The dialect (docs/timekeeper.md): 5 fields (minute hour dom month dow) or 6
 * with seconds first; `*`, `?` (day fields), lists `a,b`, ranges `a-b`, steps
 * `*\/s`, `a-b/s`, `a/s` (a to the field's maximum), month names JAN..DEC,
 * weekday names SUN..SAT (7 is Sunday too), the macros @yearly @annually
 * @monthly @weekly @daily @midnight @hourly, and in day-of-month `L`, `L-n`,
 * `LW`, `nW`; in day-of-week `nL` (last weekday n of the month) and `n#k` (k-th
 * weekday n). Errors name the field and the 1-based column of the problem.
 * Evaluation lives in cron_next.c. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "orca/cron.h"
#include "orca/error.h"
#include "timekeeper/timekeeper.h"

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MONTH, F_DOW };

typedef struct field_def {
  const char *name;
  int lo, hi; /* accepted numeric range (dow accepts 7 for Sunday) */
} field_def;

static const field_def fields[] = {
    {"second", 0, 59},       {"minute", 0, 59}, {"hour", 0, 23},
    {"day-of-month", 1, 31}, {"month", 1, 12},  {"day-of-week", 0, 7},
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const dow_names[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

/* State of one field being parsed: where it starts in the expression, so
 * errors can point at the exact column. */
typedef struct pstate {
  const char *expr; /* the whole expression, for columns */
  int field;        /* F_* */
  orca_err *err;
} pstate;

static int fail(const pstate *p, const char *at, const char *fmt, const char *detail) {
  char what[160];
  snprintf(what, sizeof what, fmt, detail);
  return orca_err_set(p->err, ORCA_EINVAL, "cron %s field, column %d: %s", fields[p->field].name,
                      (int)(at - p->expr) + 1, what);
}

/* value -> NUMBER | NAME. Reads from *s (not past end), advances *s. */
static int parse_value(const pstate *p, const char **s, const char *end, int *out) {
  const char *q = *s;
  if (q < end && isdigit((unsigned char)*q)) {
    int v = 0;
    while (q < end && isdigit((unsigned char)*q)) {
      if (v > 1000)
        return fail(p, *s, "%s", "number too large");
      v = v * 10 + (*q - '0');
      q++;
    }
    *out = v;
    *s = q;
    return 0;
  }
  if (q < end && isalpha((unsigned char)*q) && (p->field == F_MONTH || p->field == F_DOW)) {
    const char *const *names = p->field == F_MONTH ? month_names : dow_names;
    int n = p->field == F_MONTH ? 12 : 7, base = p->field == F_MONTH ? 1 : 0;
    if (end - q >= 3) {
      for (int i = 0; i < n; i++) {
        if (toupper((unsigned char)q[0]) == names[i][0] &&
            toupper((unsigned char)q[1]) == names[i][1] &&
            toupper((unsigned char)q[2]) == names[i][2] &&
            (end - q == 3 || !isalpha((unsigned char)q[3]))) {
          *out = base + i;
          *s = q + 3;
          return 0;
        }
      }
    }
    return fail(p, q, "unknown %s name", p->field == F_MONTH ? "month" : "weekday");
  }
  if (q >= end)
    return fail(p, q, "%s", "value expected");
  return fail(p, q, "unexpected character '%s'", (char[]){*q, 0});
}

static int check_range(const pstate *p, const char *at, int v) {
  const field_def *f = &fields[p->field];
  if (v < f->lo || v > f->hi) {
    char d[64];
    snprintf(d, sizeof d, "%d is out of range %d-%d", v, f->lo, f->hi);
    return fail(p, at, "%s", d);
  }
  return 0;
}

/* Set bits lo..hi step st in *bits; day-of-week folds 7 onto Sunday. */
static void set_bits(int field, uint64_t *bits, int lo, int hi, int st) {
  for (int v = lo; v <= hi; v += st)
    *bits |= (uint64_t)1 << (field == F_DOW && v == 7 ? 0 : v);
}

/* Special day-of-month items: L, L-n, LW, nW. Returns 1 if item handled,
 * 0 if not special, or an error. */
static int parse_dom_special(const pstate *p, const char *s, const char *end, orca_cron *c) {
  if (*s == 'L' || *s == 'l') {
    if (end - s == 1) {
      c->flags |= ORCA_CRON_DOM_LAST;
      c->dom_last_offset = 0;
      return 1;
    }
    if (end - s == 2 && (s[1] == 'W' || s[1] == 'w')) {
      c->flags |= ORCA_CRON_DOM_LASTW;
      return 1;
    }
    if (s[1] == '-') {
      const char *q = s + 2;
      int n;
      if (q >= end || !isdigit((unsigned char)*q))
        return fail(p, q, "%s", "number expected after 'L-'");
      int rc = parse_value(p, &q, end, &n);
      if (rc)
        return rc;
      if (q != end)
        return fail(p, q, "unexpected character '%s'", (char[]){*q, 0});
      if (n < 1 || n > 30)
        return fail(p, s + 2, "%s", "offset after 'L-' must be 1-30");
      if ((c->flags & ORCA_CRON_DOM_LAST) && c->dom_last_offset != n)
        return fail(p, s, "%s", "only one 'L' or 'L-n' per field");
      c->flags |= ORCA_CRON_DOM_LAST;
      c->dom_last_offset = (uint8_t)n;
      return 1;
    }
    return fail(p, s + 1, "%s", "'L', 'L-n' or 'LW' expected");
  }
  if (end[-1] == 'W' || end[-1] == 'w') {
    const char *q = s;
    int n, rc = parse_value(p, &q, end - 1, &n);
    if (rc)
      return rc;
    if (q != end - 1)
      return fail(p, q, "unexpected character '%s'", (char[]){*q, 0});
    if ((rc = check_range(p, s, n)))
      return rc;
    c->dom_w |= (uint32_t)1 << n;
    return 1;
  }
  return 0;
}

/* Special day-of-week items: nL, n#k. Same returns as parse_dom_special. */
static int parse_dow_special(const pstate *p, const char *s, const char *end, orca_cron *c) {
  const char *hash = memchr(s, '#', (size_t)(end - s));
  bool last = end - s >= 2 && (end[-1] == 'L' || end[-1] == 'l') && !hash;
  if (!hash && !last)
    return 0;
  const char *q = s, *vend = hash ? hash : end - 1;
  int w, rc = parse_value(p, &q, vend, &w);
  if (rc)
    return rc;
  if (q != vend)
    return fail(p, q, "unexpected character '%s'", (char[]){*q, 0});
  if ((rc = check_range(p, s, w)))
    return rc;
  w %= 7;
  if (last) {
    c->dow_last |= (uint8_t)(1u << w);
    return 1;
  }
  q = hash + 1;
  if (q >= end || !isdigit((unsigned char)*q))
    return fail(p, q, "%s", "number 1-5 expected after '#'");
  int k;
  if ((rc = parse_value(p, &q, end, &k)))
    return rc;
  if (q != end)
    return fail(p, q, "unexpected character '%s'", (char[]){*q, 0});
  if (k < 1 || k > 5)
    return fail(p, hash + 1, "%s", "number after '#' must be 1-5");
  c->dow_nth[w] |= (uint8_t)(1u << k);
  return 1;
}

/* item -> '*' ['/' step] | '?' | value ['-' value] ['/' step] | special */
static int parse_item(const pstate *p, const char *s, const char *end, uint64_t *bits,
                      orca_cron *c) {
  const field_def *f = &fields[p->field];
  int hi_max = p->field == F_DOW ? 6 : f->hi;
  int lo, hi, st = 1, rc;
  if (s == end)
    return fail(p, s, "%s", "empty list item");
  if (*s == '?') {
    if (p->field != F_DOM && p->field != F_DOW)
      return fail(p, s, "%s", "'?' is only allowed in the day-of-month and day-of-week fields");
    if (end - s != 1)
      return fail(p, s + 1, "unexpected character '%s'", (char[]){s[1], 0});
    set_bits(p->field, bits, f->lo, hi_max, 1);
    return 0;
  }
  if (p->field == F_DOM && (rc = parse_dom_special(p, s, end, c)))
    return rc < 0 ? rc : 0;
  if (p->field == F_DOW && (rc = parse_dow_special(p, s, end, c)))
    return rc < 0 ? rc : 0;
  const char *q = s;
  if (*q == '*') {
    lo = f->lo;
    hi = hi_max;
    q++;
  } else {
    const char *at = q;
    if ((rc = parse_value(p, &q, end, &lo)) || (rc = check_range(p, at, lo)))
      return rc;
    hi = lo;
    if (q < end && *q == '-') {
      q++;
      at = q;
      if ((rc = parse_value(p, &q, end, &hi)) || (rc = check_range(p, at, hi)))
        return rc;
      if (hi < lo) {
        char d[64];
        snprintf(d, sizeof d, "range %d-%d goes backwards", lo, hi);
        return fail(p, s, "%s", d);
      }
    } else if (q < end && *q == '/') {
      hi = p->field == F_DOW ? 6 : f->hi; /* `a/s`: from a to the maximum */
    }
  }
  if (q < end && *q == '/') {
    const char *at = ++q;
    if (q >= end || !isdigit((unsigned char)*q))
      return fail(p, q, "%s", "step expected after '/'");
    if ((rc = parse_value(p, &q, end, &st)))
      return rc;
    if (st < 1 || st > f->hi - f->lo + 1) {
      char d[64];
      snprintf(d, sizeof d, "step %d is out of range 1-%d", st, f->hi - f->lo + 1);
      return fail(p, at, "%s", d);
    }
  }
  if (q != end)
    return fail(p, q, "unexpected character '%s'", (char[]){*q, 0});
  set_bits(p->field, bits, lo, hi, st);
  return 0;
}

/* field -> item {',' item} */
static int parse_field(pstate *p, const char *s, const char *end, orca_cron *c) {
  uint64_t bits = 0;
  const char *item = s;
  for (const char *q = s;; q++) {
    if (q == end || *q == ',') {
      int rc = parse_item(p, item, q, &bits, c);
      if (rc)
        return rc;
      if (q == end)
        break;
      item = q + 1;
    }
  }
  bool star = *s == '*' || *s == '?';
  switch (p->field) {
  case F_SEC:
    c->sec = bits;
    break;
  case F_MIN:
    c->min = bits;
    break;
  case F_HOUR:
    c->hour = (uint32_t)bits;
    break;
  case F_DOM:
    c->dom = (uint32_t)bits;
    if (star)
      c->flags |= ORCA_CRON_DOM_STAR;
    break;
  case F_MONTH:
    c->month = (uint16_t)bits;
    break;
  case F_DOW:
    c->dow = (uint8_t)bits;
    if (star)
      c->flags |= ORCA_CRON_DOW_STAR;
    break;
  }
  return 0;
}

static const struct {
  const char *name, *expr;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

/* Parse expr; see orca/cron.h. */
int orca_cron_parse(const char *expr, orca_cron *out, orca_err *err) {
  if (!expr || !out)
    return orca_err_set(err, ORCA_EINVAL, "cron: expression is NULL");
  const char *s = expr;
  while (isspace((unsigned char)*s))
    s++;
  if (*s == '@') {
    size_t n = strcspn(s, " \t\r\n");
    const char *rest = s + n;
    while (isspace((unsigned char)*rest))
      rest++;
    for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
      if (strlen(macros[i].name) == n && strncmp(s, macros[i].name, n) == 0) {
        if (*rest)
          return orca_err_set(err, ORCA_EINVAL, "cron column %d: unexpected text after %s",
                              (int)(rest - expr) + 1, macros[i].name);
        return orca_cron_parse(macros[i].expr, out, err);
      }
    }
    return orca_err_set(err, ORCA_EINVAL,
                        "cron column %d: unknown macro '%.*s' (expected @yearly, @annually, "
                        "@monthly, @weekly, @daily, @midnight or @hourly)",
                        (int)(s - expr) + 1, (int)(n > 40 ? 40 : n), s);
  }
  const char *fs[7], *fe[7];
  int nf = 0;
  while (*s) {
    if (nf == 6) {
      return orca_err_set(err, ORCA_EINVAL,
                          "cron column %d: too many fields (expected 5, or 6 with seconds)",
                          (int)(s - expr) + 1);
    }
    fs[nf] = s;
    while (*s && !isspace((unsigned char)*s))
      s++;
    fe[nf++] = s;
    while (isspace((unsigned char)*s))
      s++;
  }
  if (nf < 5)
    return orca_err_set(err, ORCA_EINVAL,
                        "cron column %d: %d field%s, expected 5 (minute hour day-of-month month "
                        "day-of-week) or 6 with seconds first",
                        (int)(s - expr) + 1, nf, nf == 1 ? "" : "s");
  memset(out, 0, sizeof *out);
  int first = nf == 6 ? F_SEC : F_MIN;
  if (nf == 5)
    out->sec = 1; /* second 0 */
  pstate p = {expr, 0, err};
  for (int i = 0; i < nf; i++) {
    p.field = first + i;
    int rc = parse_field(&p, fs[i], fe[i], out);
    if (rc)
      return rc;
  }
  /* Refuse what can never fire ("0 0 30 2 *"): no day of a whole 400-year
   * Gregorian cycle matches the day and month fields. Every matching day has
   * every local time of day, so the time fields cannot make it fail. */
  int64_t first_match;
  if (orca__cron_civil_next(out, 946684800 /* 2000-01-01 */, &first_match))
    return orca_err_set(err, ORCA_EINVAL,
                        "cron column %d: no date matches the day-of-month, month and day-of-week "
                        "fields (like 30 February): the expression never fires",
                        (int)(fs[F_DOM - first] - expr) + 1);
  return 0;
}
