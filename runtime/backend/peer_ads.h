/* peer_ads.h — what a backend keeps for the peer network's discovery
 * (docs/peers.md, "In the worker"): the backend's cluster id and one
 * advertisement per worker, where its peer network listens, with a TTL, so
 * workers sharing a backend find each other without a seed list. The ops
 * that read and write them (peer_ads, release_worker) are slots of the
 * backend's op table; the types and the id maker are here. */
#ifndef ORCA__BACKEND_PEER_ADS_H
#define ORCA__BACKEND_PEER_ADS_H

#include <stdbool.h>
#include <stdint.h>

#include "orca/state.h"

#define ORCA__CLUSTER_ID_MAX 33 /* the backend's cluster id: 32 hex digits and a NUL */
#define ORCA__AD_ADDR_MAX 64    /* "ip:port" or "[ipv6]:port", with its NUL */

typedef struct orca__peer_ad {
  char id[ORCA_NAME_MAX];       /* worker (member) id */
  char addr[ORCA__AD_ADDR_MAX]; /* address its peer network listens on */
  char host[ORCA_NAME_MAX];     /* host name: a loopback addr is only for this host */
  bool sealed;                  /* it seals its frames with a cluster key */
  int64_t expires_us;           /* (lists) when the record goes away */
} orca__peer_ad;

/* Called once per advertisement; non-zero stops the list. */
typedef int (*orca__peer_ad_cb)(void *ud, const orca__peer_ad *ad);

/* A fresh random cluster id (32 hex digits) into out, for a backend to
 * keep if it has none yet. Never fails. */
void orca__cluster_id_new(char out[ORCA__CLUSTER_ID_MAX]);

#endif
