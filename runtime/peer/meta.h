/* meta.h — what a member publishes about itself (gossiped with its
 * incarnation), and the size limits that keep it inside one datagram. */
#ifndef ORCA__PEER_META_H
#define ORCA__PEER_META_H

#include <stdbool.h>
#include <stdint.h>

#define ORCA__PEER_ID_MAX 127       /* member (worker) id, bytes */
#define ORCA__PEER_CLUSTER_MAX 64   /* cluster name, bytes */
#define ORCA__PEER_ADDRS_MAX 127    /* metadata: other addresses, bytes */
#define ORCA__PEER_QUEUES_MAX 255   /* metadata: queues served, bytes */
#define ORCA__PEER_VERSION_MAX 31   /* metadata: software version, bytes */
#define ORCA__PEER_MSG_MAX 65536    /* direct message payload, bytes */
#define ORCA__PEER_MEMBERS_MAX 4096 /* members a node keeps (dead and left ones included) */

/* Strings are NUL-terminated UTF-8 within their bounds. */
typedef struct orca__peer_meta {
  char addrs[ORCA__PEER_ADDRS_MAX + 1];   /* other addresses, e.g. "metrics=10.0.0.5:9464" */
  char queues[ORCA__PEER_QUEUES_MAX + 1]; /* queues served, e.g. "payments:3,default:1" */
  char version[ORCA__PEER_VERSION_MAX + 1];
  uint32_t concurrency; /* handler threads */
  uint32_t running;     /* tasks running now (gossiped at most once per meta_interval) */
} orca__peer_meta;

/* Whether every string of m is NUL-terminated inside its field. */
bool orca__peer_meta_valid(const orca__peer_meta *m);

/* Whether a and b publish the same thing. */
bool orca__peer_meta_eq(const orca__peer_meta *a, const orca__peer_meta *b);

#endif
