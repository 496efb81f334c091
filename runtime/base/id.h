/* id.h — task ids: 26-character, time-sortable, random-suffixed.
 *
 * Layout (like a ULID): 10 Crockford base-32 characters of the creation time
 * in milliseconds, then 16 characters (80 bits) from libsodium's
 * randombytes_buf. Ids made later sort after ids made earlier (to the
 * millisecond), which keeps `orca inspect` listings and backend indexes in
 * enqueue order; the random part makes collisions between producers
 * negligible without coordination. */
#ifndef ORCA__ID_H
#define ORCA__ID_H

#include <stdint.h>

#include "orca/clock.h"

#define ORCA__ID_LEN 26

/* Write a new id (26 characters and a NUL) to out, timestamped by clock
 * (NULL = real clock). Never fails. Thread-safe. */
void orca__id_new(const orca_clock *clock, char out[ORCA__ID_LEN + 1]);

/* Fill buf with n cryptographically random bytes (libsodium). Thread-safe. */
void orca__random_bytes(void *buf, unsigned long n);

/* A random 64-bit seed for the per-thread fast generators below. */
uint64_t orca__random_seed(void);

/* A small, fast, non-cryptographic generator (xorshift64*) for jitter and
 * queue order: one state per thread, seeded with orca__random_seed(). */
uint64_t orca__rng_next(uint64_t *state);

#endif
