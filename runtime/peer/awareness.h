/* awareness.h — Lifeguard's local health: a score from 0 (healthy) to
 * max - 1 that a node raises when it looks like the slow one (its probes
 * fail without the nacks the helpers should have sent, it had to refute a
 * suspicion of itself) and lowers on every successful probe. The node
 * multiplies its own probe interval and probe timeout by score + 1, so a
 * node starved of CPU or network probes less eagerly and gives the others
 * more time before it suspects them. Pure. */
#ifndef ORCA__PEER_AWARENESS_H
#define ORCA__PEER_AWARENESS_H

#include <stdint.h>

typedef struct orca__awareness {
  int score, max;
} orca__awareness;

static inline void orca__awareness_init(orca__awareness *a, int max) {
  a->score = 0;
  a->max = max < 1 ? 1 : max;
}

/* Add delta (negative: healthier), clamped to 0..max-1. Returns the score. */
static inline int orca__awareness_apply(orca__awareness *a, int delta) {
  int s = a->score + delta;
  a->score = s < 0 ? 0 : s >= a->max ? a->max - 1 : s;
  return a->score;
}

/* t stretched by the current health: t × (score + 1). */
static inline int64_t orca__awareness_scale(const orca__awareness *a, int64_t t) {
  return t * (a->score + 1);
}

#endif
