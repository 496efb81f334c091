/* orca/dashboard.h — the operator's web dashboard (`orca dashboard`): a page
 * and a JSON API under /api/ over orca/admin.h, served over HTTP from this
 * process (docs/operations.md).
 *
 * The page (HTML, CSS and JavaScript) is inside liborca; nothing is fetched
 * from elsewhere. The API is read-only unless allow_actions is set; with a
 * token, every /api/ request must carry "Authorization: Bearer TOKEN". Bound
 * to a loopback address, the dashboard answers only requests whose Host
 * header names a loopback address (no DNS rebinding); actions need a JSON
 * body and the X-Orca-Request header, which a page of another site cannot
 * send without the browser asking first (no cross-site request forgery). */
#ifndef ORCA_DASHBOARD_H
#define ORCA_DASHBOARD_H

#include <stdbool.h>

#include "orca/error.h"
#include "orca/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct orca_dashboard orca_dashboard;

typedef struct orca_dashboard_opts {
  const char *backend; /* backend URL; NULL = $ORCA_BACKEND / $ORCA_BACKEND_FILE / default */
  const char *listen;  /* "HOST:PORT"; NULL = "127.0.0.1:8080"; port 0 = any free port */
  bool allow_actions;  /* requeue, purge, cancel, pause and resume from the page */
  /* The bearer token every /api/ request must carry; NULL = none. Copied;
   * never logged. At least 16 bytes. Required for actions on an address
   * that is not loopback. */
  const char *token;
  /* Schemas whose tasks' arguments and results are shown as typed JSON
   * (others are shown untyped: field ids as keys). Kept by pointer: they
   * must outlive the dashboard. */
  const orca_schema *const *schemas;
  size_t nschemas;
} orca_dashboard_opts;

/* Connect to the backend and start serving on opts->listen (a thread of
 * its own answers every request). Returns 0 and *out (stop with
 * orca_dashboard_close), or ORCA_EINVAL (a bad address or token, actions
 * on a public address without a token), ORCA_EURL / ORCA_ECONNECT (the
 * backend), ORCA_EIO (the address cannot be bound), ORCA_ENOMEM, with err. */
int orca_dashboard_open(const orca_dashboard_opts *opts, orca_dashboard **out, orca_err *err);

/* The port the dashboard listens on (the one picked for port 0). */
unsigned orca_dashboard_port(const orca_dashboard *d);

/* Stop serving (a request in progress finishes first), close the backend
 * connection, free d. NULL is ignored. */
void orca_dashboard_close(orca_dashboard *d);

#ifdef __cplusplus
}
#endif
#endif
