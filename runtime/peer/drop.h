/* drop.h — why the peer network drops an incoming frame. Every check on the
 * receive path returns one of these; the peer counts them (stats) and never
 * acts on a dropped frame. */
#ifndef ORCA__PEER_DROP_H
#define ORCA__PEER_DROP_H

typedef enum orca__drop {
  ORCA__DROP_NONE = 0,
  ORCA__DROP_TRUNCATED, /* shorter than its envelope, or msgpack cut short */
  ORCA__DROP_OVERSIZED, /* over the datagram or stream limit */
  ORCA__DROP_MODE,      /* sealed without a key here, or plain with one */
  ORCA__DROP_AUTH,      /* the AEAD tag does not verify */
  ORCA__DROP_MALFORMED, /* authentic, but not a valid frame */
  ORCA__DROP_VERSION,   /* unknown frame version */
  ORCA__DROP_CLUSTER,   /* another cluster */
  ORCA__DROP_SELF,      /* claims to come from this node's own id */
  ORCA__DROP_REPLAY,    /* seen before */
  ORCA__DROP_STALE,     /* stamped outside the replay window */
  ORCA__DROP_LOOPBACK,  /* no key and a non-loopback sender */
  ORCA__DROP_BUSY,      /* too much in flight (indirect probes) */
  ORCA__DROP_COUNT
} orca__drop;

#endif
