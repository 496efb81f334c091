/* peer.h — the peer network: cluster membership and failure detection among
 * workers (SWIM with Lifeguard's refinements), with member metadata and small
 * direct messages. docs/peers.md describes the protocol, the frames, the
 * parameters and the security model.
 *
 * Life cycle: orca__peer_open (binds UDP and TCP on a libuv loop, or runs on
 * an injected transport) -> orca__peer_join (seeds; may be called again at
 * any time, e.g. with addresses found through the backend) -> the member
 * callbacks fire as members join, become suspect, die, leave or change their
 * metadata -> orca__peer_leave (tell the others we go) -> orca__peer_close.
 *
 * Threading: everything runs on the loop thread. Every function here must be
 * called on it, and every callback is called on it. A caller on another
 * thread (a handler thread changing the running count) hands the change over
 * with a uv_async_t. Callbacks must not call orca__peer_close. */
#ifndef ORCA__PEER_H
#define ORCA__PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "orca/error.h"
#include "peer/addr.h"
#include "peer/key.h"
#include "peer/meta.h"

typedef enum orca__peer_state {
  ORCA__PEER_NONE = 0, /* only as the "before" state of a member just learnt of */
  ORCA__PEER_ALIVE,
  ORCA__PEER_SUSPECT,
  ORCA__PEER_DEAD,
  ORCA__PEER_LEFT,
} orca__peer_state;

/* "alive", "suspect", "dead", "left" ("none"). */
const char *orca__peer_state_name(orca__peer_state s);

/* A member as the API shows it. Every pointer is valid only during the call
 * that hands it out (callback, or orca__peer_members). */
typedef struct orca__peer_member {
  const char *id;
  orca__peer_addr addr; /* where its UDP and TCP listen */
  orca__peer_state state;
  uint64_t incarnation;
  int64_t since_us; /* monotonic µs of the last state change (transport's clock) */
  const orca__peer_meta *meta;
  bool self;
} orca__peer_member;

/* Protocol parameters. orca__peer_params_default fills the defaults, tuned
 * for loopback and LAN (docs/peers.md works out the detection bound). Zero
 * fields passed to open are replaced by the defaults. */
typedef struct orca__peer_params {
  int64_t probe_interval_us;     /* one member probed per interval: 200 ms */
  int64_t probe_timeout_us;      /* wait for the direct ack: 100 ms */
  int indirect_checks;           /* members asked to probe after a failed direct probe: 3 */
  int suspicion_mult;            /* minimum suspicion = mult × max(1, log10 N) × interval: 4 */
  int suspicion_max_mult;        /* the timeout starts at this multiple of the minimum: 6 */
  int awareness_max;             /* local health multiplier ceiling: 8 */
  int retransmit_mult;           /* an update is sent mult × ceil(log10(N + 1)) times: 4 */
  int64_t gossip_interval_us;    /* extra gossip (only when there is news): 100 ms */
  int gossip_nodes;              /* members per gossip round: 3 */
  int64_t pushpull_interval_us;  /* full state sync over TCP with one member: 30 s */
  int64_t reconnect_interval_us; /* state sync with one dead member (partition heal): 5 s */
  int64_t dead_keep_us;          /* a dead member is forgotten after: 1 h */
  int64_t left_keep_us;          /* a member that left is forgotten after: 60 s */
  int64_t meta_interval_us;      /* metadata gossip at most this often: 1 s */
  int64_t join_retry_us;         /* a join with no answer is retried after: 1 s */
  int64_t leave_timeout_us;      /* leave waits at most this for its news to go out: 1 s */
  int64_t replay_window_us;      /* frames stamped further from our clock are dropped: 30 s */
} orca__peer_params;

void orca__peer_params_default(orca__peer_params *p);

/* How long after a member crashes every live member has declared it dead
 * (docs/peers.md works it out), for n live members:
 *   healthy (no loss, no other suspect, local health 0):
 *     (n - 1)·I + I + max(Smin, 2·G + 2·I) + G
 *   otherwise, when every member's health score stays <= awareness:
 *     (awareness + 1)·((2n - 1)·I + Smax)
 * with I the probe interval, G the gossip interval and Smin, Smax the
 * suspicion timeout bounds for n (suspicion.h). */
int64_t orca__peer_detection_bound(const orca__peer_params *p, size_t n, int awareness,
                                   bool healthy);

typedef struct orca__peer orca__peer;
typedef struct orca__peer_io orca__peer_io; /* peer_io.h: the transport interface */

typedef struct orca__peer_opts {
  const char *id;            /* this member's id (the worker id), 1..127 bytes; copied */
  const char *cluster;       /* cluster name, 1..64 bytes; members of other clusters are refused */
  const char *bind;          /* "127.0.0.1:7946", "[::1]:0" (port 0: any free port) */
  const char *advertise;     /* address the others use; NULL = the bound one (not a wildcard) */
  const orca__peer_key *key; /* NULL: no sealing, and only loopback addresses; copied */
  const orca__peer_meta *meta;     /* NULL = empty; copied */
  const orca__peer_params *params; /* NULL = defaults; copied */
  /* A member was learnt of or changed state or metadata: `before` is its
   * previous state (NONE when new; equal to m->state for a metadata change).
   * A DEAD member's tasks may be reclaimed; LEFT means it went away on
   * purpose. */
  void (*on_member)(void *ud, const orca__peer_member *m, orca__peer_state before);
  /* A direct message from member `from_id` (from: its entry, NULL when this
   * node does not know it yet). data is valid during the call only. */
  void (*on_message)(void *ud, const char *from_id, const orca__peer_member *from,
                     const uint8_t *data, size_t len);
  void *ud;
  /* Tests and the simulator: drive the peer through this transport instead of
   * libuv (loop may then be NULL, bind is ignored, advertise is required).
   * Not copied: must outlive the peer. */
  const orca__peer_io *io;
} orca__peer_opts;

/* Create a peer and bind its UDP and TCP sockets on loop (or attach to
 * opts->io). Without a key every address (bind, advertise, later seeds) must
 * be loopback; a non-loopback one is refused with ORCA_EINVAL saying so.
 * Returns 0 and *out, or ORCA_EINVAL (bad option, err says which), ORCA_EIO
 * (cannot bind, err has the address and the system's reason) or
 * ORCA_ENOMEM. The peer probes nobody until it learns of members (join, or
 * being joined). */
int orca__peer_open(uv_loop_t *loop, const orca__peer_opts *opts, orca__peer **out, orca_err *err);

/* Contact the seeds ("host:port" IP literals): each gets our state over TCP
 * and answers with its own. Retried every join_retry until some member
 * answers. Seeds equal to our own address are skipped. Returns 0, or
 * ORCA_EINVAL with err naming a malformed (or, without a key, non-loopback)
 * seed; nothing is sent then. */
int orca__peer_join(orca__peer *p, const char *const *seeds, size_t n, orca_err *err);

/* Replace this member's metadata. The change is gossiped with a new
 * incarnation, at most once per meta_interval (later changes within the
 * interval go out together at its end). Returns 0 or ORCA_EINVAL (a string
 * too long or not NUL-terminated in its field). */
int orca__peer_set_meta(orca__peer *p, const orca__peer_meta *meta);

/* Shorthand for the field that changes most: the running count. Same rate
 * limit as set_meta. */
void orca__peer_set_running(orca__peer *p, uint32_t running);

/* Send data[0..len) (at most ORCA__PEER_MSG_MAX) to member `id` over TCP;
 * its on_message gets it. Best effort: 0 means handed to the transport, not
 * delivered (the receiver answers with its own message if the sender must
 * know). Returns 0, ORCA_ENOTFOUND (no such member, or dead or left),
 * ORCA_ERANGE (too long) or ORCA_ENOMEM. */
int orca__peer_send(orca__peer *p, const char *id, const void *data, size_t len);

/* Call fn for every member (this node included), in no particular order. */
void orca__peer_members(orca__peer *p, void (*fn)(void *ud, const orca__peer_member *m), void *ud);

/* Look member id up: fills *out (pointers valid until the next call into
 * the peer) and returns true, or returns false when unknown. */
bool orca__peer_find(orca__peer *p, const char *id, orca__peer_member *out);

/* Members alive or suspect, this node included. */
size_t orca__peer_live_count(const orca__peer *p);

/* This member's id, and the address the others use. */
const char *orca__peer_id(const orca__peer *p);
const orca__peer_addr *orca__peer_address(const orca__peer *p);

/* Leave the cluster: the others learn we left (not died). Probing stops at
 * once; the peer keeps answering probes and sending the news until it was
 * sent retransmit times or leave_timeout passed, then calls done (on the loop
 * thread; done may call orca__peer_close). Returns 0, or ORCA_ESTATE when
 * already leaving. */
int orca__peer_leave(orca__peer *p, void (*done)(void *ud), void *ud);

/* Why frames were dropped, and what was sent. */
typedef struct orca__peer_stats {
  uint64_t drop_truncated; /* shorter than its envelope or cut inside */
  uint64_t drop_oversized; /* larger than the datagram / stream limit */
  uint64_t drop_mode;      /* sealed when we have no key, or plain when we have one */
  uint64_t drop_auth;      /* failed authentication: forged, altered or another key */
  uint64_t drop_malformed; /* authentic but not a valid frame (bad msgpack, limits) */
  uint64_t drop_version;   /* a frame version we do not speak */
  uint64_t drop_cluster;   /* another cluster's name */
  uint64_t drop_self;      /* carries this node's own id (a twin with the same id?) */
  uint64_t drop_replay;    /* seen before */
  uint64_t drop_stale;     /* stamped outside the replay window */
  uint64_t drop_loopback;  /* no key and the sender is not on loopback */
  uint64_t drop_busy;      /* too many indirect probes in flight */
  uint64_t frames_sent, frames_received;
  uint64_t dgram_bytes_sent, stream_bytes_sent; /* sealed frames (TCP: with the length prefix) */
  uint64_t probes, probes_failed, suspicions, refutations;
  int awareness; /* local health score: 0 = healthy */
} orca__peer_stats;

void orca__peer_stats_get(const orca__peer *p, orca__peer_stats *st);

/* Free the peer. With libuv, the sockets and timers are closed and the
 * memory is released from their close callbacks: run the loop once more.
 * Nothing is sent (a close without leave looks like a crash to the others).
 * Safe with NULL. */
void orca__peer_close(orca__peer *p);

#endif
