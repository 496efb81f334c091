/* members.h — the member table: every member this node knows (itself
 * included), found by id, plus the randomised round-robin probe order of
 * SWIM (every other live member is probed once per round, in a fresh random
 * order each round; a member learnt of mid-round is put at a random place
 * in what is left of it). Pure: randomness comes from the caller. */
#ifndef ORCA__PEER_MEMBERS_H
#define ORCA__PEER_MEMBERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer/addr.h"
#include "peer/idmap.h"
#include "peer/meta.h"
#include "peer/ptimer.h"
#include "peer/suspicion.h"

/* Same values as orca__peer_state (peer.h). */
enum { ORCA__M_ALIVE = 1, ORCA__M_SUSPECT, ORCA__M_DEAD, ORCA__M_LEFT };

typedef struct orca__member {
  char id[ORCA__PEER_ID_MAX + 1];
  size_t id_len;
  uint64_t hash; /* orca__idmap_hash of the id */
  orca__peer_addr addr;
  orca__peer_meta meta;
  uint64_t inc;
  int state;            /* ORCA__M_* */
  int64_t since;        /* monotonic µs of the last state change */
  orca__suspicion susp; /* while SUSPECT */
  orca__ptimer timer;   /* SUSPECT: suspicion deadline; DEAD, LEFT: forget */
  bool meta_stale;      /* inc learnt from a frame header: take an alive at inc too */
  int64_t probe_at;     /* SUSPECT: probe it again at this time (0: in its turn) */
  size_t index;         /* in orca__members.v */
} orca__member;

typedef struct orca__members {
  orca__idmap map;
  orca__member **v;     /* v[0] is this node */
  size_t n, cap, alloc; /* cap: the most members allowed; alloc: room in v and order */
  size_t count[5];      /* members per state (this node included) */
  orca__member **order; /* the probe round */
  size_t order_n, order_pos;
} orca__members;

/* An empty table for at most cap members. */
void orca__members_init(orca__members *t, size_t cap);

orca__member *orca__members_find(const orca__members *t, const char *id, size_t len);

/* Add a member (state ALIVE, inc 0, the rest zero) and return it; NULL when
 * the table is full or out of memory. rand: a random number, for its place
 * in the probe round. */
orca__member *orca__members_add(orca__members *t, const char *id, size_t len, uint64_t rand);

/* Remove and free m (its timer must be stopped by the caller). */
void orca__members_remove(orca__members *t, orca__member *m);

/* Change m's state, keeping the counts. */
void orca__members_set_state(orca__members *t, orca__member *m, int state, int64_t now);

/* Members ALIVE or SUSPECT, this node included: the N of the formulas. */
static inline size_t orca__members_live(const orca__members *t) {
  return t->count[ORCA__M_ALIVE] + t->count[ORCA__M_SUSPECT];
}

/* The next member to probe: when suspects is true, the suspect whose
 * probe_at came first (if due by now); else the next of the round (a new
 * shuffled round when this one is done). Skips this node and dead or left
 * members. NULL when there is nobody to probe. rand is called for
 * shuffles. */
orca__member *orca__members_next_probe(orca__members *t, int64_t now, bool suspects,
                                       uint64_t (*rand)(void *), void *ctx);

/* Up to k distinct random members other than this node and `except`,
 * whose state is in mask (bit 1 << ORCA__M_*), into out. Returns how many. */
size_t orca__members_pick(const orca__members *t, size_t k, unsigned mask,
                          const orca__member *except, uint64_t (*rand)(void *), void *ctx,
                          orca__member **out);

void orca__members_free(orca__members *t);

#endif
