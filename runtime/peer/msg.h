/* msg.h — the direct messages workers send each other over the peer network
 * (orca__peer_send), shared by the sender (runtime/client: `orca cancel`)
 * and the receiver (runtime/worker/seam_peer.c). A message is one type byte
 * followed by its body; a receiver ignores types it does not know, so new
 * ones can be added. */
#ifndef ORCA__PEER_MSG_H
#define ORCA__PEER_MSG_H

/* 'C' then a task id (no NUL): cancel that task if it runs here; the
 * context's cancelled flag is set at once, the backend's cancel flag
 * (already set by the sender) stays the fallback. */
#define ORCA__PEER_MSG_CANCEL 'C'

#endif
