/* base/civil.h — proleptic Gregorian date arithmetic on day numbers ("local
 * seconds" without a zone): RFC 3339 times (timefmt.c), cron evaluation and
 * the zone reader's POSIX rules (timekeeper/). Pure functions, no state. */
#ifndef ORCA__BASE_CIVIL_H
#define ORCA__BASE_CIVIL_H

#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31). */
int64_t orca__days_from_civil(int64_t y, int m, int d);
/* Inverse of orca__days_from_civil. */
void orca__civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* Weekday of a day number: 0 = Sunday .. 6. */
int orca__weekday(int64_t days);
/* Days in month m of year y. */
int orca__days_in_month(int64_t y, int m);

#endif
