/* client_internal.h — what the client's own files (schedule_api.c, admin.c)
 * and the tests reach behind the public client API: the backend handle. */
#ifndef ORCA__CLIENT_INTERNAL_H
#define ORCA__CLIENT_INTERNAL_H

#include "backend/backend.h"
#include "orca/client.h"

/* The backend handle the client talks through (owned by the client; valid
 * until orca_client_close; same one-thread-at-a-time rule as the client). */
orca__backend *orca__client_backend(orca_client *c);

/* The cluster key file of the client's options (NULL = the environment's),
 * valid until orca_client_close. */
const char *orca__client_key_file(const orca_client *c);

/* cluster.c: after a successful cancel of task id, tell the worker running
 * it over the peer network (a transient member sends it a cancel message).
 * Best effort: does nothing when the task does not run, its worker runs no
 * peer network, or it cannot be reached (the backend's flag stays). */
void orca__cancel_direct(orca_client *c, const char *id);

#endif
