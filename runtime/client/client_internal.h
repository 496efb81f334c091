/* client_internal.h — what the client's own files (schedule_api.c, admin.c)
 * and the tests reach behind the public client API: the backend handle. */
#ifndef ORCA__CLIENT_INTERNAL_H
#define ORCA__CLIENT_INTERNAL_H

#include "backend/backend.h"
#include "orca/client.h"

/* The backend handle the client talks through (owned by the client; valid
 * until orca_client_close; same one-thread-at-a-time rule as the client). */
orca__backend *orca__client_backend(orca_client *c);

#endif
