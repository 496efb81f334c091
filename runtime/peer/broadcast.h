/* broadcast.h — the queue of news (encoded updates) piggybacked on outgoing
 * frames. One item per member: newer news about a member replaces older.
 * Each frame takes the items sent the fewest times first (the newest among
 * equals), as many as fit; an item is dropped once sent `limit` times
 * (retransmit_mult × ceil(log10(N + 1)), computed by the caller). Pure. */
#ifndef ORCA__PEER_BROADCAST_H
#define ORCA__PEER_BROADCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "peer/meta.h"

typedef struct orca__bcast_item {
  char id[ORCA__PEER_ID_MAX + 1]; /* the member the news is about */
  size_t id_len;
  uint32_t transmits;
  uint64_t order;
  size_t len;
  uint8_t *data;
} orca__bcast_item;

typedef struct orca__bcast {
  orca__bcast_item **v;
  size_t n, cap;
  uint64_t order;
} orca__bcast;

#define ORCA__BCAST_INIT                                                                           \
  { NULL, 0, 0, 0 }

/* Queue data[0..len) as news about member id[0..idlen), replacing older
 * news about it. Returns 0 or ORCA_ENOMEM (the queue is unchanged). */
int orca__bcast_push(orca__bcast *q, const char *id, size_t idlen, const uint8_t *data, size_t len);

/* Offer items to put (most needed first); put returns true when it took the
 * item (it fit). Each item taken counts one transmission; items reaching
 * limit are removed. Returns the number taken. */
size_t orca__bcast_fill(orca__bcast *q, uint32_t limit,
                        bool (*put)(void *ctx, const uint8_t *data, size_t len), void *ctx);

/* Whether news about id is still queued. */
bool orca__bcast_has(const orca__bcast *q, const char *id, size_t idlen);

static inline size_t orca__bcast_len(const orca__bcast *q) {
  return q->n;
}

void orca__bcast_free(orca__bcast *q);

#endif
