/* clock.c — the real clock and the hook tests use to replace it. */
#include "orca/clock.h"

#include <stddef.h>
#include <time.h>

static int64_t real_now(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const orca_clock orca_clock_real = {real_now, NULL};

int64_t orca_clock_now(const orca_clock *c) {
  return c ? c->now_us(c->ctx) : real_now(NULL);
}

int64_t orca_monotonic_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
