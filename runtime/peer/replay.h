/* replay.h — the replay window: timestamps with a bound, and a per-sender
 * record of the most recent stamps.
 *
 * Every frame carries its sender's wall clock in µs, made strictly
 * increasing per sender. A receiver drops a frame stamped more than `window`
 * away from its own clock (stale), and otherwise remembers, per sender id,
 * the RING most recent stamps it accepted: a stamp among them, or older than
 * all of them once RING are held, is a replay. Reordering is tolerated as
 * long as a frame is overtaken by fewer than RING later frames of the same
 * sender to the same receiver.
 *
 * Why timestamps and not per-sender counters (docs/peers.md says more):
 * the state of a sender silent for longer than the window can be forgotten
 * safely (its old frames are outside the window anyway), so memory stays
 * bounded and a restarted member needs no stored counter; the price is that
 * members' clocks must agree within the window (NTP). Pure: the caller
 * passes the clock. */
#ifndef ORCA__PEER_REPLAY_H
#define ORCA__PEER_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "peer/idmap.h"
#include "peer/meta.h"

#define ORCA__REPLAY_RING 32

typedef struct orca__replay_entry {
  char id[ORCA__PEER_ID_MAX + 1];
  size_t len;
  int64_t hi;                      /* highest stamp accepted */
  int64_t ring[ORCA__REPLAY_RING]; /* the most recent stamps accepted */
  unsigned count;
} orca__replay_entry;

typedef struct orca__replay {
  orca__idmap map;
  orca__replay_entry **v; /* every entry, for eviction */
  size_t n, cap;
  int64_t window_us;
} orca__replay;

/* Set up a window for at most cap senders at a time. */
void orca__replay_init(orca__replay *r, size_t cap, int64_t window_us);

/* Check (and on success record) a frame from sender id[0..len) stamped ts,
 * at wall time now. Returns ORCA__DROP_NONE, _STALE (outside the window),
 * _REPLAY (seen, or too old to tell), or _BUSY (cap senders heard within the
 * window; the frame is dropped rather than forgetting one of them). */
int orca__replay_check(orca__replay *r, const char *id, size_t len, int64_t ts, int64_t now);

void orca__replay_free(orca__replay *r);

#endif
