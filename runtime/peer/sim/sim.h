/* sim.h — a simulated network for the peer network: the transport interface
 * of peer_io.h on a virtual clock, with seeded, replayable loss,
 * duplication, delay, reordering, partitions, crashed and slow nodes. Tests
 * and the bench run many members in one process, deterministically, without
 * sleeping: time only moves when the simulator runs the next event.
 *
 * Not part of liborca: a static library (orca_peer_sim) for tests and bench.
 *
 * Node i listens at 127.1.(i / 256).(i % 256):7946 (loopback, so members
 * need no key; give them one to exercise sealing). A datagram is lost with
 * probability `loss`, duplicated with `dup`, and arrives after delay +
 * uniform [0, jitter) — later datagrams overtake earlier ones when jitter is
 * larger than their spacing. A stream message always arrives (TCP), after
 * two delays (connection set-up) plus rto × 2^k for each of its first
 * transmissions lost, in order per sender and receiver; across a partition
 * or to a crashed node it is lost. The same seed gives the same run. */
#ifndef ORCA__PEER_SIM_H
#define ORCA__PEER_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer/peer.h"

#define ORCA__SIM_NODES_MAX 256

typedef struct orca__sim orca__sim;

typedef struct orca__sim_net {
  double loss;       /* probability a datagram is lost */
  double dup;        /* probability a datagram arrives twice */
  int64_t delay_us;  /* one-way delay */
  int64_t jitter_us; /* plus uniform [0, jitter) */
  int64_t rto_us;    /* a stream message waits this (doubling) per lost transmission */
} orca__sim_net;

/* A simulator at virtual time 0 whose randomness all comes from seed. net
 * NULL: no loss, 200 µs ± 300 µs, rto 200 ms. Returns NULL when out of
 * memory. */
orca__sim *orca__sim_new(uint64_t seed, const orca__sim_net *net);

/* Close every peer still open and free everything. */
void orca__sim_free(orca__sim *s);

/* Open a peer on the next node with opts (io and advertise are set by the
 * simulator; everything else, callbacks included, is the caller's). Returns
 * the node's index, or a negative error with err. */
int orca__sim_add(orca__sim *s, const orca__peer_opts *opts, orca_err *err);

orca__peer *orca__sim_peer(orca__sim *s, int node); /* NULL once killed */
int orca__sim_nodes(const orca__sim *s);
/* The node's address as text ("127.1.0.3:7946"), valid until the next call. */
const char *orca__sim_addr(orca__sim *s, int node);
/* The node whose address is a, or -1. */
int orca__sim_node_of(const orca__sim *s, const orca__peer_addr *a);

/* Crash a node: its peer is closed without a word; what it sent before is
 * still delivered. */
void orca__sim_kill(orca__sim *s, int node);
/* Close a node's peer (after a leave, say) the same way. */
#define orca__sim_remove orca__sim_kill

void orca__sim_set_net(orca__sim *s, const orca__sim_net *net);

/* side[i] for every node: nodes on different sides cannot reach each
 * other. NULL heals. The array is copied. */
void orca__sim_partition(orca__sim *s, const int *side);

/* A starved node: it handles every wake-up and every arrival up to extra_us
 * late (uniformly). 0 makes it healthy again. */
void orca__sim_set_slow(orca__sim *s, int node, int64_t extra_us);

int64_t orca__sim_now(const orca__sim *s);
/* The members' wall clock (frame stamps) at the current virtual time. */
int64_t orca__sim_wall(const orca__sim *s);

/* Run every event up to virtual time until_us; the clock ends there. */
void orca__sim_run(orca__sim *s, int64_t until_us);

/* Run until done(ud) is true (checked after every event) or the clock
 * reaches deadline_us. Returns whether done became true. */
bool orca__sim_run_until(orca__sim *s, int64_t deadline_us, bool (*done)(void *ud), void *ud);

/* Hand bytes to a node now, as if from `from` (tests of the receive path). */
void orca__sim_inject(orca__sim *s, int node, const orca__peer_addr *from, const uint8_t *data,
                      size_t len, bool stream);

/* Watch every message sent (before loss): from and to are node indexes
 * (to -1 for an address no node has). */
typedef void (*orca__sim_tap_fn)(void *ud, int from, int to, const uint8_t *data, size_t len,
                                 bool stream);
void orca__sim_tap(orca__sim *s, orca__sim_tap_fn fn, void *ud);

/* A digest of every delivery so far (time, ends, length): equal for runs
 * with the same seed and the same calls. */
uint64_t orca__sim_trace(const orca__sim *s);

#endif
