/* peer_io.h — what drives the protocol: a clock, timers, randomness and two
 * ways to send bytes. The protocol core (peer.c, probe.c, state.c, sync.c,
 * wire.c) does no I/O and reads no clock of its own; it calls these, and the
 * transport calls the orca__peer_input_* functions below. Two transports
 * implement it: libuv (transport_uv.c, what liborca uses) and the simulated
 * network of the tests and the bench (runtime/peer/sim/, not in liborca).
 *
 * Datagrams may be lost, duplicated or reordered; stream messages arrive
 * whole and in order per destination, or not at all. Bytes handed to send_*
 * are the sealed envelopes (seal.h), copied by the transport if it keeps
 * them. A transport never calls an input function from inside one of these
 * calls: inputs come from its own loop. Everything runs on one thread. */
#ifndef ORCA__PEER_IO_H
#define ORCA__PEER_IO_H

#include <stddef.h>
#include <stdint.h>

#include "peer/addr.h"
#include "peer/peer.h"

#define ORCA__PEER_DGRAM_MAX 1400        /* bytes of a datagram (one Ethernet frame) */
#define ORCA__PEER_STREAM_MAX (4u << 20) /* bytes of a stream message */

struct orca__peer_io {
  void *ctx;
  int64_t (*now_us)(void *ctx);  /* monotonic µs: every protocol deadline */
  int64_t (*wall_us)(void *ctx); /* µs since the epoch: frame stamps (replay window) */
  uint64_t (*rand)(void *ctx);   /* protocol randomness (probe order, helpers) */
  /* Call orca__peer_input_tick at or after at_us; replaces the previous
   * request. INT64_MAX: nothing to wake for. */
  void (*wake_at)(void *ctx, int64_t at_us);
  void (*send_dgram)(void *ctx, const orca__peer_addr *to, const uint8_t *data, size_t len);
  /* One message on a TCP connection to `to` (the transport frames it with a
   * 4-byte big-endian length). */
  void (*send_stream)(void *ctx, const orca__peer_addr *to, const uint8_t *data, size_t len);
};

/* The wake-up requested through wake_at is due. */
void orca__peer_input_tick(orca__peer *p);

/* A datagram from `from` (its source address). */
void orca__peer_input_dgram(orca__peer *p, const orca__peer_addr *from, const uint8_t *data,
                            size_t len);

/* A whole stream message (without its length prefix) from a connection whose
 * remote end is `from`. */
void orca__peer_input_stream(orca__peer *p, const orca__peer_addr *from, const uint8_t *data,
                             size_t len);

/* The transport dropped something itself (ORCA__DROP_OVERSIZED: a datagram
 * cut by the kernel, a stream length over the limit): count it. */
void orca__peer_input_drop(orca__peer *p, int reason, const orca__peer_addr *from);

#endif
