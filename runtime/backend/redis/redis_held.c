/* redis_held.c — the deliveries a handle has handed out and not yet seen
 * completed, as a set of 64-bit hashes of their lease refs ("PRIO
 * ENTRYID"). Fetch uses it after a blocking XREADGROUP was cut short by
 * interrupt(): the server may have delivered entries whose reply was never
 * read, and those are the consumer's pending entries that are not in this
 * set (redis_fetch.c, recover_cut).
 *
 * Open addressing with linear probing and backward-shift deletion; 0 marks
 * an empty slot (a ref hashing to 0 is stored as 1). The set stops growing
 * at ORCA__REDIS_HELD_MAX entries and then forgets everything (overflow),
 * which only disables the recovery until it is empty again. */
#include <stdlib.h>
#include <string.h>

#include "backend/redis/redis_internal.h"

static uint64_t ref_hash(const char *ref) {
  uint64_t h = 14695981039346656037ULL;
  for (; *ref; ref++)
    h = (h ^ (unsigned char)*ref) * 1099511628211ULL;
  return h ? h : 1;
}

static int grow(orca__redis_held *s) {
  size_t cap = s->cap ? s->cap * 2 : 256;
  uint64_t *slot = calloc(cap, sizeof *slot);
  if (!slot)
    return ORCA_ENOMEM;
  for (size_t i = 0; i < s->cap; i++) {
    if (!s->slot[i])
      continue;
    size_t j = s->slot[i] & (cap - 1);
    while (slot[j])
      j = (j + 1) & (cap - 1);
    slot[j] = s->slot[i];
  }
  free(s->slot);
  s->slot = slot;
  s->cap = cap;
  return 0;
}

void orca__redis_held_add(orca__redis_held *s, const char *ref) {
  if (s->n + 1 > ORCA__REDIS_HELD_MAX) {
    orca__redis_held_clear(s);
    s->overflow = true;
    return;
  }
  if ((s->n + 1) * 2 > s->cap && grow(s)) {
    s->overflow = true;
    return;
  }
  uint64_t h = ref_hash(ref);
  size_t j = h & (s->cap - 1);
  while (s->slot[j]) {
    if (s->slot[j] == h)
      return;
    j = (j + 1) & (s->cap - 1);
  }
  s->slot[j] = h;
  s->n++;
}

bool orca__redis_held_has(const orca__redis_held *s, const char *ref) {
  if (!s->cap)
    return false;
  uint64_t h = ref_hash(ref);
  for (size_t j = h & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1))
    if (s->slot[j] == h)
      return true;
  return false;
}

void orca__redis_held_del(orca__redis_held *s, const char *ref) {
  if (!s->cap)
    return;
  uint64_t h = ref_hash(ref);
  size_t mask = s->cap - 1, j = h & mask;
  while (s->slot[j] && s->slot[j] != h)
    j = (j + 1) & mask;
  if (!s->slot[j])
    return;
  /* Backward-shift: move later entries of the probe run into the hole. */
  size_t hole = j;
  for (size_t k = (j + 1) & mask; s->slot[k]; k = (k + 1) & mask) {
    size_t home = s->slot[k] & mask;
    if (((k - home) & mask) >= ((k - hole) & mask)) {
      s->slot[hole] = s->slot[k];
      hole = k;
    }
  }
  s->slot[hole] = 0;
  s->n--;
  if (s->n == 0)
    s->overflow = false;
}

void orca__redis_held_clear(orca__redis_held *s) {
  free(s->slot);
  s->slot = NULL;
  s->cap = s->n = 0;
}
