/* transport_uv.h — the libuv transport of the peer network (peer_io.h):
 * one UDP socket and one TCP listener on the same address and port, outgoing
 * TCP connections kept per destination while in use, the loop's clock and
 * one uv_timer for the protocol's wake-ups. Everything on the loop thread. */
#ifndef ORCA__PEER_TRANSPORT_UV_H
#define ORCA__PEER_TRANSPORT_UV_H

#include <uv.h>

#include "orca/error.h"
#include "peer/peer_io.h"

typedef struct orca__uvt orca__uvt;

/* Bind UDP and TCP on `bind` (port 0: a free port, the same for both) on
 * loop, delivering to p. Sets *bound to the address actually bound. Returns
 * 0 and *out, or ORCA_EIO with err naming the address and the reason, or
 * ORCA_ENOMEM. */
int orca__uvt_open(uv_loop_t *loop, const orca__peer_addr *bind, orca__peer *p, orca__uvt **out,
                   orca__peer_addr *bound, orca_err *err);

/* The interface the peer drives (valid until close). */
const orca__peer_io *orca__uvt_io(orca__uvt *t);

/* Close every handle; nothing is delivered to the peer afterwards. done(ud)
 * runs from the last close callback (the loop must run), after t is freed. */
void orca__uvt_close(orca__uvt *t, void (*done)(void *ud), void *ud);

#endif
