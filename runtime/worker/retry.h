/* retry.h — retry back-off: how long to wait before the next attempt. */
#ifndef ORCA__RETRY_H
#define ORCA__RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "orca/schema.h"

/* The delay before retrying after attempt `failed_attempt` (1-based) failed,
 * under policy p:
 *   NONE         0
 *   FIXED        base
 *   LINEAR       base * attempt
 *   EXPONENTIAL  base * 2^(attempt-1)
 * capped at p->max_us when set, then with p->jitter replaced by a uniform
 * draw from [0, delay] ("full jitter": retries of many tasks that failed
 * together spread out instead of stampeding). `rnd` is a uniformly random
 * 64-bit number (the caller's generator, so tests can pin it). Never
 * overflows: results saturate at the cap or at INT64_MAX/2. */
int64_t orca__retry_delay(const orca_retry_policy *p, uint32_t failed_attempt, uint64_t rnd);

/* True when another attempt is allowed after `failed_attempt` attempts
 * (max_attempts 0 is read as 1). */
bool orca__retry_allowed(const orca_retry_policy *p, uint32_t failed_attempt);

#endif
