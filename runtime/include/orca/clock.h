/* orca/clock.h — the time source every part of liborca reads.
 *
 * Production uses the real clock; tests inject one they move by hand, so
 * back-off, lease and deadline logic is checked without sleeping. */
#ifndef ORCA_CLOCK_H
#define ORCA_CLOCK_H

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

/* Monotonic µs, for measuring intervals (never jumps). */
int64_t orca_monotonic_us(void);

#ifdef __cplusplus
}
#endif
#endif
