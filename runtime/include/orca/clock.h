/* orca/clock.h — the time source every part of liborca reads.
 *
 * Production uses the real clock; tests inject one they move by hand, so
 * back-off, lease and deadline logic is checked without sleeping. */
#ifndef ORCA_CLOCK_H
#define ORCA_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct orca_clock {
  int64_t (*now_us)(void *ctx); /* µs since the Unix epoch (wall clock) */
  void *ctx;
} orca_clock;

/* The real wall clock (CLOCK_REALTIME). */
extern const orca_clock orca_clock_real;

/* Read a clock; NULL means the real clock. */
int64_t orca_clock_now(const orca_clock *c);

/* Parse a duration: one or more <integer><unit> parts, units us ms s m h d
 * ("250ms", "1h30m", "15s"); a bare integer is seconds. Returns 0 and *us,
 * or ORCA_EINVAL (empty, unknown unit, overflow, negative). */
int orca_duration_parse(const char *s, int64_t *us);

/* Parse an absolute time: RFC 3339 ("2026-11-27T10:00:00Z",
 * "2026-11-27T11:00:00.5+01:00") or integer seconds since the epoch ("@1700000000"
 * or plain digits). Returns 0 and *us (µs since the epoch, UTC), or
 * ORCA_EINVAL. */
int orca_time_parse(const char *s, int64_t *us);

/* Format µs since the epoch as RFC 3339 UTC with milliseconds into out
 * (at least 32 bytes). Returns out. */
char *orca_time_format(int64_t us, char *out, size_t outlen);

/* Monotonic µs, for measuring intervals (never jumps). */
int64_t orca_monotonic_us(void);

#ifdef __cplusplus
}
#endif
#endif
