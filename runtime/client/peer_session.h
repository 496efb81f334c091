/* peer_session.h — a client's short visit to the peer network: it joins the
 * cluster of its backend as a transient member (it runs no tasks: its
 * metadata has concurrency 0, so workers neither count it nor release
 * anything for it), learns the members from their state sync, may send a
 * direct message, and leaves. `orca cluster` (orca_cluster_members) and the
 * direct path of orca_cancel use it. Everything runs on a private libuv
 * loop inside the calls, so the client stays a plain blocking API. */
#ifndef ORCA__CLIENT_PEER_SESSION_H
#define ORCA__CLIENT_PEER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "peer/peer.h"

typedef struct orca__psession orca__psession;

/* Read the advertisements of backend b and join the advertised workers
 * (only the worker `only` when non-NULL) with the key of key_file (NULL =
 * $ORCA_CLUSTER_KEY_FILE, else none: loopback only). Returns once every
 * joined worker is known, or 300 ms after the first answer, or after
 * timeout_us. Returns 0 and *out (close with orca__psession_close), or with
 * err: ORCA_ENOTSUP (the backend keeps no advertisements), ORCA_ENOTFOUND
 * (no worker advertises an address this client can use: err says why),
 * ORCA_ETIMEDOUT (nobody answered), or an error of the key file or of the
 * peer network. Blocks the calling thread. */
int orca__psession_open(orca__backend *b, const char *key_file, const char *only,
                        int64_t timeout_us, orca__psession **out, orca_err *err);

/* The session's peer (its member table), valid until close. */
orca__peer *orca__psession_peer(orca__psession *s);

/* Leave the cluster (the workers see this member left) and free s, after
 * sending what was queued with orca__peer_send. Blocks at most the peer's
 * leave timeout. Safe with NULL. */
void orca__psession_close(orca__psession *s);

#endif
