/* peer_internal.h — the peer object and what the protocol files share.
 *
 *   peer.c    life cycle, the public calls, timers, counters
 *   params.c  parameters: defaults, checks, the detection bound
 *   wire.c    frames out (header, piggybacked news, seal) and in (checks)
 *   gossip.c  dissemination: retransmit limit, gossip rounds, leave news
 *   probe.c   failure detection: probes, indirect probes, acks and nacks
 *   state.c   the member state machine: alive / suspect / dead / left,
 *             incarnations, refutation, suspicion expiry
 *   sync.c    state sync over TCP: join, periodic push/pull, reconnect
 *
 * None of them does I/O or reads a clock: the transport (peer_io.h) does. */
#ifndef ORCA__PEER_INTERNAL_H
#define ORCA__PEER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "peer/awareness.h"
#include "peer/broadcast.h"
#include "peer/drop.h"
#include "peer/frame.h"
#include "peer/members.h"
#include "peer/peer.h"
#include "peer/peer_io.h"
#include "peer/ptimer.h"
#include "peer/replay.h"

#define ORCA__PEER_RELAYS_MAX 64 /* indirect probes this node runs for others at once */
#define ORCA__PEER_SEEDS_MAX 16

/* An indirect probe run for another member. */
typedef struct orca__relay {
  bool used;
  bool nack;
  uint32_t seq;      /* of our ping to the target */
  uint32_t orig_seq; /* of the requester's probe */
  orca__peer_addr requester;
  orca__ptimer timer; /* nack deadline */
} orca__relay;

/* The probe in flight (one at a time). */
typedef struct orca__probe {
  orca__member *target; /* NULL when idle */
  uint32_t seq;
  bool indirect; /* the direct timeout passed; helpers were asked */
  int nacks_expected, nacks;
} orca__probe;

struct orca__peer {
  const orca__peer_io *io;
  struct orca__uvt *uvt; /* the libuv transport when this peer owns one */
  orca__peer_params prm;
  orca__peer_key key;
  bool keyed;
  char cluster[ORCA__PEER_CLUSTER_MAX + 1];
  size_t cluster_len;
  void (*on_member)(void *ud, const orca__peer_member *m, orca__peer_state before);
  void (*on_message)(void *ud, const char *from_id, const orca__peer_member *from,
                     const uint8_t *data, size_t len);
  void *ud;

  orca__members members;
  orca__member *self; /* members.v[0] */
  orca__replay replay;
  orca__bcast bcast;
  orca__awareness aware;
  orca__timerheap heap;
  int64_t wake; /* the wake-up last asked of the transport */
  int64_t last_ts;
  uint32_t seq;

  orca__probe probe;
  bool reprobed; /* the last probe was a suspect's extra one */
  orca__ptimer t_probe, t_probe_timeout, t_gossip, t_pushpull, t_reconnect, t_meta, t_join, t_leave;
  orca__relay relays[ORCA__PEER_RELAYS_MAX];

  orca__peer_addr seeds[ORCA__PEER_SEEDS_MAX];
  size_t n_seeds;
  bool joined; /* some member answered a sync */

  orca__peer_meta meta_next; /* set_meta waiting for the rate limit */
  bool meta_dirty;
  int64_t meta_last;

  bool leaving, closed;
  int busy; /* inputs running (a callback may close the peer meanwhile) */
  void (*leave_done)(void *ud);
  void *leave_ud;

  uint64_t drops[ORCA__DROP_COUNT];
  int64_t drop_logged[ORCA__DROP_COUNT];
  orca__peer_stats st; /* the counters other than drops */
};

/* ---- params.c ---- */
/* *p = in (NULL: defaults) with zero fields replaced by the defaults, then
 * checked. Returns 0 or ORCA_EINVAL with err saying which value is wrong. */
int orca__peer_params_fill(orca__peer_params *p, const orca__peer_params *in, orca_err *err);

/* ---- peer.c ---- */
static inline int64_t orca__peer_now(const orca__peer *p) {
  return p->io->now_us(p->io->ctx);
}
static inline uint64_t orca__peer_rand(orca__peer *p) {
  return p->io->rand(p->io->ctx);
}
/* A uniform random number in [0, n) (n > 0). */
static inline uint64_t orca__peer_rand_below(orca__peer *p, uint64_t n) {
  return orca__peer_rand(p) % n;
}
/* rand in the shape members.h takes. */
uint64_t orca__peer_rand_cb(void *p);
/* Arm t (with its function) for at; disarm stops it if armed. */
void orca__peer_arm(orca__peer *p, orca__ptimer *t, int64_t at);
void orca__peer_disarm(orca__peer *p, orca__ptimer *t);
/* The callback of a member's change (not called for this node). */
void orca__peer_notify(orca__peer *p, const orca__member *m, int before);
/* Count a dropped frame (and log the first of a kind each minute). */
void orca__peer_drop(orca__peer *p, int reason, const orca__peer_addr *from);
/* How many times news is sent: retransmit_mult × ceil(log10(N + 1)). */
uint32_t orca__peer_retransmits(const orca__peer *p);

/* ---- wire.c ---- */
/* A frame header from this node (cluster, id, incarnation, fresh stamp). */
void orca__wire_header(orca__peer *p, orca__frame *f, orca__msg type);
/* Send f as a datagram to `to`, filled up with queued news; `first` (an
 * encoded update, may be NULL) goes before the queue's. */
void orca__wire_send_dgram(orca__peer *p, const orca__peer_addr *to, const orca__frame *f,
                           const uint8_t *first, size_t first_len);
/* Send f as a stream message to `to`; with_members adds every member's
 * state (a SYNC). */
void orca__wire_send_stream(orca__peer *p, const orca__peer_addr *to, const orca__frame *f,
                            bool with_members);
/* The state of m as an update (strings point into m and this node). */
void orca__wire_member_update(const orca__peer *p, const orca__member *m, orca__update *u);
/* Encode u and queue it as news. */
void orca__wire_queue(orca__peer *p, const orca__update *u);
/* The receive path: checks, then dispatch. */
void orca__wire_input(orca__peer *p, const orca__peer_addr *from, const uint8_t *data, size_t len,
                      bool stream);

/* ---- gossip.c ---- */
void orca__gossip_start(orca__peer *p); /* arm the gossip rounds */
/* Send the news that we left (self is LEFT already) and finish the leave
 * when it is out. */
void orca__gossip_leave(orca__peer *p);

/* ---- probe.c ---- */
void orca__probe_start(orca__peer *p); /* arm the first probe tick */
void orca__probe_tick(orca__peer *p, orca__ptimer *t);
void orca__probe_timeout(orca__peer *p, orca__ptimer *t);
/* PING, PING_REQ, ACK, NACK from `from` (updates already applied). */
void orca__probe_input(orca__peer *p, const orca__peer_addr *from, const orca__frame *f);
/* m is about to be removed from the table: forget it as a probe target. */
void orca__probe_forget(orca__peer *p, const orca__member *m);

/* ---- state.c ---- */
/* Apply one update heard from `sender` (in a SYNC: dead counts as suspect,
 * raised by the sender). Returns the member when the update is a suspect or
 * dead claim about an earlier incarnation than ours (the sender missed our
 * news about it: wire.c tells it), else NULL. */
orca__member *orca__state_apply(orca__peer *p, const orca__update *u, const orca__pstr *sender,
                                bool sync);
/* A frame from m itself says it is at incarnation inc: a suspicion of an
 * earlier one is over. */
void orca__state_heard(orca__peer *p, orca__member *m, uint64_t inc);
/* Our probe of m failed: suspect it (or confirm its suspicion). */
void orca__state_suspect(orca__peer *p, orca__member *m);
/* Someone says we are suspect, dead or gone at inc: take a higher one. */
void orca__state_refute(orca__peer *p, uint64_t inc);
/* Our own state changed (metadata, leave): gossip it with inc + 1. */
void orca__state_bump_self(orca__peer *p);

/* ---- sync.c ---- */
void orca__sync_start(orca__peer *p); /* arm push/pull and reconnect */
void orca__sync_send(orca__peer *p, const orca__peer_addr *to, uint32_t flags);
void orca__sync_input(orca__peer *p, const orca__frame *f);
void orca__sync_join_tick(orca__peer *p, orca__ptimer *t);

#endif
