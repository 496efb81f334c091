/* timerheap.h — local timing for one owner thread (the TimeKeeper's engine,
 * the peer network): a 4-ary min-heap of intrusive timers keyed by (due
 * time, insertion order).
 *
 * Why a 4-ary heap: insert, cancel and pop are O(log n) with half the depth
 * of a binary heap, and the keys sit inline in one array (24 bytes a timer)
 * so sift steps stay in cache; one million pending timers take ~48 MB with
 * their nodes. Equal due times pop in insertion order, so tests see a
 * deterministic order. The heap never calls the clock: the owner reads the
 * earliest due time (orca__timerheap_peek) and arms its uv_timer for it.
 * Not thread-safe: one owner thread. */
#ifndef ORCA__TIMERHEAP_H
#define ORCA__TIMERHEAP_H

#include <stddef.h>
#include <stdint.h>

/* Embed one in whatever is timed. `pos` is managed by the heap. */
typedef struct orca__timer {
  int64_t due_us;
  uint32_t pos; /* index in the heap + 1; 0 = not pending */
} orca__timer;

typedef struct orca__timerheap_entry {
  int64_t due_us;
  uint64_t seq; /* insertion order, breaks ties */
  orca__timer *t;
} orca__timerheap_entry;

typedef struct orca__timerheap {
  orca__timerheap_entry *a;
  size_t n, cap;
  uint64_t seq;
} orca__timerheap;

#define ORCA__TIMERHEAP_INIT                                                                       \
  { NULL, 0, 0, 0 }

/* Add t due at due_us (t must not be pending; re-adding a pending timer
 * moves it). Returns 0 or ORCA_ENOMEM (t is then not pending). */
int orca__timerheap_add(orca__timerheap *h, orca__timer *t, int64_t due_us);
/* Cancel t if pending; a no-op otherwise. */
void orca__timerheap_remove(orca__timerheap *h, orca__timer *t);
/* The timer due first (ties: added first), or NULL when empty. */
orca__timer *orca__timerheap_peek(const orca__timerheap *h);
/* Remove and return the timer due first if due_us <= now_us, else NULL. */
orca__timer *orca__timerheap_pop_due(orca__timerheap *h, int64_t now_us);
static inline size_t orca__timerheap_size(const orca__timerheap *h) {
  return h->n;
}
/* Release the array (pending timers are simply forgotten). */
void orca__timerheap_free(orca__timerheap *h);

#endif
