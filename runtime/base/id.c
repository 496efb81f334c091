/* id.c — task id generation and the random sources the runtime uses.
 *
 * Ids are ULID-shaped (see id.h). libsodium provides the randomness; it is
 * initialised once per process, on first use, from whichever thread gets
 * here first. Jitter and weighted queue order need many cheap random numbers
 * and no secrecy, so they use a per-thread xorshift64* seeded from libsodium. */
#include "base/id.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_setup(void) {
  /* sodium_init returns 1 when already initialised by the program; only -1
   * is a failure, and then randombytes_buf would be unusable. */
  if (sodium_init() < 0)
    abort();
}

void orca__random_bytes(void *buf, unsigned long n) {
  pthread_once(&sodium_once, sodium_setup);
  randombytes_buf(buf, n);
}

uint64_t orca__random_seed(void) {
  uint64_t s = 0;
  while (s == 0)
    orca__random_bytes(&s, sizeof s);
  return s;
}

uint64_t orca__rng_next(uint64_t *state) {
  uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void orca__id_new(const orca_clock *clock, char out[ORCA__ID_LEN + 1]) {
  int64_t now = orca_clock_now(clock);
  uint64_t ms = now > 0 ? (uint64_t)now / 1000 : 0;
  /* 10 characters carry 50 bits; a 48-bit millisecond time fits. */
  for (int i = 9; i >= 0; i--) {
    out[i] = crockford[ms & 31];
    ms >>= 5;
  }
  unsigned char r[16];
  orca__random_bytes(r, sizeof r);
  for (int i = 0; i < 16; i++)
    out[10 + i] = crockford[r[i] & 31];
  out[ORCA__ID_LEN] = '\0';
}
