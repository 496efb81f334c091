/* cron_next.c — the next fire time of a parsed cron expression in a zone.
 *
 * Two steps. (1) Search civil ("wall clock") time for the first local time at
 * or after the local time of the start instant that the expression matches:
 * field by field with bit scans, so a search costs a few dozen steps, not one
 * per second. (2) Map that local time back to an instant with the DST policy
 * of docs/timekeeper.md: a local time skipped by a jump forward fires at the
 * first instant after the gap (the transition itself); a local time repeated
 * by a fall-back fires at its first occurrence only, so local times met again
 * during the second pass are passed over. */
#include "timekeeper/timekeeper.h"

/* The Gregorian calendar repeats every 400 years (146097 days, exactly 20871
 * weeks), weekdays included: a date pattern that matches nothing in the 400
 * years after the start year never matches. orca_cron_parse refuses such
 * expressions; the bound keeps a hand-built struct from looping. */
#define SEARCH_YEARS 400

static int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* Lowest set bit of mask at position >= from, or -1. */
static int next_bit(uint64_t mask, int from) {
  if (from > 63)
    return -1;
  mask >>= from;
  return mask ? from + __builtin_ctzll(mask) : -1;
}

/* The weekday nearest to day t (Mon-Fri) without leaving the month (`tW`). */
static int nearest_weekday(int t, int wday_t, int dim) {
  if (wday_t == 6)
    return t == 1 ? 3 : t - 1;
  if (wday_t == 0)
    return t == dim ? t - 2 : t + 1;
  return t;
}

/* Does day d (weekday wday) of a month with dim days match the day fields? */
static bool day_matches(const orca_cron *c, int d, int wday, int dim, int last_wday) {
  bool dom = (c->dom >> d) & 1;
  if (!dom && (c->flags & ORCA_CRON_DOM_LAST) && d == dim - c->dom_last_offset)
    dom = true;
  if (!dom && (c->flags & ORCA_CRON_DOM_LASTW)) {
    int lw = last_wday == 6 ? dim - 1 : last_wday == 0 ? dim - 2 : dim;
    dom = d == lw;
  }
  if (!dom && c->dom_w) {
    for (int t = d - 2; t <= d + 2 && !dom; t++) {
      if (t < 1 || t > dim || !((c->dom_w >> t) & 1))
        continue;
      dom = nearest_weekday(t, ((wday + t - d) % 7 + 7) % 7, dim) == d;
    }
  }
  bool dow = ((c->dow >> wday) & 1) || (((c->dow_last >> wday) & 1) && d + 7 > dim) ||
             ((c->dow_nth[wday] >> ((d - 1) / 7 + 1)) & 1);
  if (c->flags & (ORCA_CRON_DOM_STAR | ORCA_CRON_DOW_STAR))
    return dom && dow;
  return dom || dow; /* both restricted: Vixie's OR */
}

/* Smallest local time (civil seconds) >= L0 that c matches; see
 * timekeeper.h. */
int orca__cron_civil_next(const orca_cron *c, int64_t L0, int64_t *out) {
  int64_t days = floor_div(L0, 86400), y;
  int secs = (int)(L0 - days * 86400), m, d;
  orca__civil_from_days(days, &y, &m, &d);
  int h = secs / 3600, mi = secs / 60 % 60, s = secs % 60;
  int64_t ylimit = y + SEARCH_YEARS;
  for (;;) {
    if (y > ylimit)
      return ORCA_ENOTFOUND;
    int nm = next_bit(c->month, m);
    if (nm < 0 || nm > 12) {
      y++, m = 1, d = 1, h = mi = s = 0;
      continue;
    }
    if (nm != m)
      m = nm, d = 1, h = mi = s = 0;
    int dim = orca__days_in_month(y, m);
    int64_t first = orca__days_from_civil(y, m, 1);
    int wday1 = orca__weekday(first), last_wday = (wday1 + dim - 1) % 7;
    int nd = -1;
    for (int dd = d; dd <= dim; dd++)
      if (day_matches(c, dd, (wday1 + dd - 1) % 7, dim, last_wday)) {
        nd = dd;
        break;
      }
    if (nd < 0) {
      if (++m > 12)
        m = 1, y++;
      d = 1, h = mi = s = 0;
      continue;
    }
    if (nd != d)
      d = nd, h = mi = s = 0;
    int nh = next_bit(c->hour, h);
    int nmi = nh == h ? next_bit(c->min, mi) : next_bit(c->min, 0);
    if (nh == h && nmi < 0)
      nh = next_bit(c->hour, h + 1), nmi = next_bit(c->min, 0);
    if (nh < 0 || nh > 23 || nmi < 0 || nmi > 59)
      goto next_day;
    if (nh != h || nmi != mi)
      s = 0;
    h = nh, mi = nmi;
    int ns = next_bit(c->sec, s);
    if (ns < 0 || ns > 59) { /* advance one minute and search again */
      s = 0;
      if (++mi > 59) {
        mi = 0;
        if (++h > 23)
          goto next_day;
      }
      continue;
    }
    *out = (first + d - 1) * 86400 + h * 3600 + mi * 60 + ns;
    return 0;
  next_day:
    if (++d > dim) {
      d = 1;
      if (++m > 12)
        m = 1, y++;
    }
    h = mi = s = 0;
  }
}

/* The instant of local time L under the DST policy: the first occurrence
 * of a repeated local time, the transition instant for a skipped one. */
static int64_t local_to_utc(const orca_tz *tz, int64_t L) {
  /* Offsets in force a bit more than a day around L cover any local time L
   * can denote (|offset| < 26 h); one transition per window is assumed. */
  int32_t oa = orca__tz_offset(tz, L - 108000), ob = orca__tz_offset(tz, L + 108000);
  int64_t best = INT64_MAX;
  int32_t cand[3] = {oa, ob, orca__tz_offset(tz, L)};
  for (int i = 0; i < 3; i++) {
    int64_t t = L - cand[i];
    if (orca__tz_offset(tz, t) == cand[i] && t < best)
      best = t;
  }
  if (best != INT64_MAX)
    return best;
  /* L is in a gap: the first instant whose local time is past L. */
  int64_t lo = L - (oa > ob ? oa : ob) - 1, hi = L - (oa < ob ? oa : ob) + 1;
  while (hi - lo > 1) { /* invariant: lo + off(lo) <= L < hi + off(hi) */
    int64_t mid = lo + (hi - lo) / 2;
    if (mid + orca__tz_offset(tz, mid) > L)
      hi = mid;
    else
      lo = mid;
  }
  return hi;
}

int orca_cron_next(const orca_cron *c, const orca_tz *tz, int64_t after_us, int64_t *next_us) {
  if (!c || !next_us)
    return ORCA_EINVAL;
  int64_t t0 = floor_div(after_us, 1000000) + 1; /* first whole second after */
  if (!tz) {
    int64_t L;
    int rc = orca__cron_civil_next(c, t0, &L);
    if (rc == 0 && L > INT64_MAX / 1000000)
      rc = ORCA_ENOTFOUND; /* past year 294247 */
    if (rc == 0)
      *next_us = L * 1000000;
    return rc;
  }
  /* Start just after the local time of the last second not eligible, read
   * with the offset in force then: when t0 is a jump-forward transition, the
   * skipped local times (which fire at t0) come before t0's own local time. */
  int64_t L0 = t0 + orca__tz_offset(tz, t0 - 1);
  for (int guard = 0; guard < 100000; guard++) {
    int64_t L, t;
    int rc = orca__cron_civil_next(c, L0, &L);
    if (rc)
      return rc;
    t = local_to_utc(tz, L);
    if (t >= t0) {
      if (t > INT64_MAX / 1000000)
        return ORCA_ENOTFOUND; /* past year 294247 */
      *next_us = t * 1000000;
      return 0;
    }
    /* L was met once already (first pass of a repeated hour): skip it. */
    L0 = L + 1;
  }
  return ORCA_ENOTFOUND;
}
