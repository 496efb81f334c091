/* frame.h — the peer network's frames: msgpack, decoded from untrusted bytes
 * with every length bounded (after the envelope is opened, seal.h).
 *
 *   frame  = [version, cluster, sender, incarnation, ts, type, body, updates, ...]
 *   body   = PING [seq, target] | PING_REQ [seq, target, addr, nack]
 *          | ACK [seq] | NACK [seq] | GOSSIP [] | SYNC [flags] | USER [data]
 *   update = ALIVE [1, id, inc, addr, meta] | SUSPECT [2, id, inc, from]
 *          | DEAD [3, id, inc, from] | LEFT [4, id, inc]
 *   meta   = {1: addrs, 2: queues, 3: version, 4: concurrency, 5: running}
 *
 * `ts` is the sender's wall clock in µs (the replay window, replay.h). Extra
 * trailing elements of the frame, a body or an update and unknown meta keys
 * are skipped, so later versions can add fields. addr is the wire form of
 * addr.h. docs/peers.md has the table of fields and limits. Pure. */
#ifndef ORCA__PEER_FRAME_H
#define ORCA__PEER_FRAME_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer/addr.h"
#include "peer/meta.h"

#define ORCA__FRAME_VERSION 1
#define ORCA__FRAME_UPDATES_MAX 8192 /* per frame (a SYNC carries every member) */

typedef enum orca__msg {
  ORCA__MSG_PING = 1,     /* are you there? (datagram) */
  ORCA__MSG_PING_REQ = 2, /* probe target for me (datagram) */
  ORCA__MSG_ACK = 3,      /* yes (datagram) */
  ORCA__MSG_NACK = 4,     /* I asked target for you and heard nothing (datagram) */
  ORCA__MSG_GOSSIP = 5,   /* updates only (datagram) */
  ORCA__MSG_SYNC = 6,     /* my whole member table (stream) */
  ORCA__MSG_USER = 7,     /* a direct message for the application (stream) */
} orca__msg;

enum { ORCA__SYNC_JOIN = 1, ORCA__SYNC_REPLY = 2 }; /* SYNC flags: joining; answer me */

typedef enum orca__upd_kind {
  ORCA__UPD_ALIVE = 1,
  ORCA__UPD_SUSPECT = 2,
  ORCA__UPD_DEAD = 3,
  ORCA__UPD_LEFT = 4,
} orca__upd_kind;

/* A string inside the frame's bytes (not NUL-terminated). */
typedef struct orca__pstr {
  const char *p;
  uint32_t n;
} orca__pstr;

/* Member metadata inside a frame (strings point into the frame, or into the
 * orca__peer_meta it was made from). */
typedef struct orca__meta_view {
  orca__pstr addrs, queues, version;
  uint32_t concurrency, running;
} orca__meta_view;

/* A view of m (pointing into m). */
void orca__meta_view_of(const orca__peer_meta *m, orca__meta_view *v);
/* Whether v says the same as m. */
bool orca__meta_view_eq(const orca__meta_view *v, const orca__peer_meta *m);
/* Copy v into m, NUL-terminating the strings (they fit: the decoder bounds
 * them by m's fields). */
void orca__meta_from_view(const orca__meta_view *v, orca__peer_meta *m);

typedef struct orca__update {
  orca__upd_kind kind;
  orca__pstr id;
  uint64_t inc;
  orca__pstr from;      /* SUSPECT, DEAD: the member that says so */
  orca__peer_addr addr; /* ALIVE */
  orca__meta_view meta; /* ALIVE */
} orca__update;

/* A decoded frame; also what orca__fw_begin encodes (header and body). */
typedef struct orca__frame {
  uint32_t version;
  orca__pstr cluster, sender;
  uint64_t inc; /* the sender's incarnation */
  int64_t ts;   /* the sender's wall clock, µs */
  orca__msg type;
  uint32_t seq;                /* PING, PING_REQ, ACK, NACK */
  orca__pstr target;           /* PING, PING_REQ: the member meant */
  orca__peer_addr target_addr; /* PING_REQ */
  bool nack;                   /* PING_REQ: answer NACK when target is silent */
  uint32_t flags;              /* SYNC */
  const uint8_t *data;         /* USER */
  uint32_t data_len;
  uint32_t n_updates;
  const uint8_t *updates, *updates_end; /* the updates, validated; see orca__update_next */
  const orca__update *kept;             /* the updates decoded already, or NULL */
} orca__frame;

/* Whether s[0..n) may be sent as an id or a cluster name: UTF-8 without
 * NUL (what the decoder accepts). */
bool orca__frame_str_ok(const char *s, size_t n);

/* Decode and fully validate frame bytes p[0..n) into *f (zero-copy: f points
 * into p). Returns ORCA__DROP_NONE, or ORCA__DROP_TRUNCATED / _MALFORMED /
 * _VERSION (drop.h). Strings are checked UTF-8 without NUL and within their
 * limits; USER only with at most ORCA__PEER_MSG_MAX bytes. When the frame
 * has at most cap updates they are kept in keep[] as they are validated
 * (one pass); otherwise the iterator decodes them again. keep may be NULL. */
int orca__frame_decode(const uint8_t *p, size_t n, orca__frame *f, orca__update *keep, size_t cap);

typedef struct orca__update_iter {
  const uint8_t *p, *end;
  uint32_t left;
  const orca__update *kept;
} orca__update_iter;

/* Walk the updates of a decoded frame: start with orca__frame_updates, then
 * orca__update_next fills *u (strings point into the frame) until it returns
 * false. */
void orca__frame_updates(const orca__frame *f, orca__update_iter *it);
bool orca__update_next(orca__update_iter *it, orca__update *u);

/* A frame being written into a fixed buffer. */
typedef struct orca__fw {
  uint8_t *buf;
  size_t cap, len;
  bool full; /* something did not fit: the frame is unusable */
  size_t count_at;
  uint32_t count;
  msgpack_packer pk;
} orca__fw;

/* Start a frame in buf[0..cap): header and body from f (version is
 * ORCA__FRAME_VERSION whatever f says; n_updates and updates are ignored),
 * then an empty updates list that orca__fw_add extends. */
void orca__fw_begin(orca__fw *w, uint8_t *buf, size_t cap, const orca__frame *f);

/* Append one encoded update (orca__update_encode) if it fits. Returns true
 * when added. */
bool orca__fw_add(orca__fw *w, const uint8_t *upd, size_t len);

/* Finish: returns the frame's length, or 0 when the header or body did not
 * fit. */
size_t orca__fw_end(orca__fw *w);

/* Encode one update into out[0..cap). Returns its length, or 0 when it does
 * not fit. */
size_t orca__update_encode(const orca__update *u, uint8_t *out, size_t cap);

#endif
