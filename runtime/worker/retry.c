/* retry.c — the back-off schedule of failed attempts (see retry.h). Kept
 * apart from the worker so its arithmetic can be tested exactly. */
#include "worker/retry.h"

#define SATURATE (INT64_MAX / 2)

int64_t orca__retry_delay(const orca_retry_policy *p, uint32_t failed_attempt, uint64_t rnd) {
  if (failed_attempt == 0)
    failed_attempt = 1;
  int64_t base = p->base_us > 0 ? p->base_us : 0;
  int64_t d = 0;
  switch (p->backoff) {
  case ORCA_BACKOFF_NONE:
    d = 0;
    break;
  case ORCA_BACKOFF_FIXED:
    d = base;
    break;
  case ORCA_BACKOFF_LINEAR:
    d = base > SATURATE / (int64_t)failed_attempt ? SATURATE : base * (int64_t)failed_attempt;
    break;
  case ORCA_BACKOFF_EXPONENTIAL:
    d = base;
    for (uint32_t i = 1; i < failed_attempt && d < SATURATE; i++)
      d = d > SATURATE / 2 ? SATURATE : d * 2;
    break;
  }
  if (p->max_us > 0 && d > p->max_us)
    d = p->max_us;
  if (p->jitter && d > 0)
    d = (int64_t)(rnd % ((uint64_t)d + 1));
  return d;
}

bool orca__retry_allowed(const orca_retry_policy *p, uint32_t failed_attempt) {
  uint32_t max = p->max_attempts ? p->max_attempts : 1;
  return failed_attempt < max;
}
