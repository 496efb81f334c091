/* orca/cron.h — cron expressions: parse once, compute next fire times; the
 * fire times of intervals; time zones, and instants written in them.
 *
 * Accepted: 5 fields (min hour dom month dow) or 6 with seconds first; lists,
 * ranges, steps, names (JAN-DEC, SUN-SAT), `?` in day fields, the macros
 * @yearly @annually @monthly @weekly @daily @midnight @hourly, and `L`, `W`,
 * `#` in the day fields (see docs/timekeeper.md). Day-of-month and
 * day-of-week combine with OR when both are restricted, as in Vixie cron.
 * A parsed expression is plain data so orcac can emit it as a constant. */
#ifndef ORCA_CRON_H
#define ORCA_CRON_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  ORCA_CRON_DOM_STAR = 1u << 0,  /* day-of-month field was * or ? */
  ORCA_CRON_DOW_STAR = 1u << 1,  /* day-of-week field was * or ? */
  ORCA_CRON_DOM_LAST = 1u << 2,  /* `L` in day-of-month (with dom_last_offset) */
  ORCA_CRON_DOM_LASTW = 1u << 3, /* `LW`: last weekday of the month */
};

typedef struct orca_cron {
  uint64_t sec;            /* bit s set: second s matches (0..59) */
  uint64_t min;            /* bit m: minute m (0..59) */
  uint32_t hour;           /* bit h: hour h (0..23) */
  uint32_t dom;            /* bit d: day of month d (1..31) */
  uint32_t dom_w;          /* bit d: weekday nearest to day d (`dW`) */
  uint16_t month;          /* bit m: month m (1..12) */
  uint8_t dow;             /* bit w: weekday w (0 = Sunday .. 6) */
  uint8_t dow_last;        /* bit w: last weekday w of the month (`5L`) */
  uint8_t dow_nth[7];      /* dow_nth[w] bit n: n-th weekday w of the month (`w#n`, n 1..5) */
  uint8_t dom_last_offset; /* `L-n`: n days before the last day */
  uint8_t flags;           /* ORCA_CRON_* */
} orca_cron;

/* Parse expr into *out. Returns 0, or ORCA_EINVAL with err (if non-NULL)
 * saying what is wrong and at which 1-based column of expr; an expression
 * whose day and month fields match no date ("0 0 30 2 *") is refused as
 * "never fires". *out is unspecified on failure. */
struct orca_err;
int orca_cron_parse(const char *expr, orca_cron *out, struct orca_err *err);

/* A time zone loaded from the system zone database (TZif files under
 * /usr/share/zoneinfo or $TZDIR). Opaque; NULL stands for UTC. */
typedef struct orca_tz orca_tz;

/* Load zone `name` ("Europe/Paris", "UTC") from its TZif file. Returns 0 and
 * a zone to release with orca_tz_close() (the caller owns it; it keeps
 * nothing of `name`), or ORCA_ENOTFOUND / ORCA_EDECODE with err set.
 * orca_tz_close(NULL) is a no-op. */
int orca_tz_open(const char *name, orca_tz **out, struct orca_err *err);
void orca_tz_close(orca_tz *tz);

/* The first fire time strictly after `after_us` (µs since the epoch, UTC),
 * evaluated in zone tz (NULL = UTC). Local times skipped by a DST jump fire at
 * the first instant after the gap; local times repeated by a DST fall-back
 * fire once, at their first occurrence (see docs/timekeeper.md). Returns 0,
 * or ORCA_ENOTFOUND when no time matches: the search spans a whole 400-year
 * Gregorian cycle ("0 0 29 2 *" after 2096 is 2104), so that only happens for
 * a struct orca_cron_parse would refuse, or past the year 294247. */
int orca_cron_next(const orca_cron *c, const orca_tz *tz, int64_t after_us, int64_t *next_us);

/* The first fire time strictly after `after_us` of an interval schedule
 * (every(DUR)): the multiples of every_us since the epoch, so every node
 * computes the same instants. Returns 0, or ORCA_ENOTFOUND when every_us is
 * not positive. */
int orca_every_next(int64_t every_us, int64_t after_us, int64_t *next_us);

/* Write instant `us` (µs since the epoch) into out as RFC 3339 local time in
 * zone tz with its UTC offset then ("2024-03-31T03:00:00+02:00"); tz NULL
 * gives UTC with "Z" ("2024-03-31T01:00:00Z"). Whole seconds, with
 * ".ffffff" only when `us` is not on one. out should hold ORCA_TIME_MAX
 * bytes; a shorter one gets a truncated, NUL-terminated text. Returns out. */
#define ORCA_TIME_MAX 48
char *orca_tz_format(const orca_tz *tz, int64_t us, char *out, size_t outlen);

#ifdef __cplusplus
}
#endif
#endif
