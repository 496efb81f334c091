/* conformance.h — the backend conformance suite: every behaviour that
 * runtime/backend/backend.h promises, as cmocka cases any backend must pass.
 *
 * A runner per backend (test_conformance_sqlite here, the Redis one in
 * tests/redis/) links the orca_conformance library and calls
 * orca_conformance_run with a function that returns the URL of a fresh,
 * empty backend for each case. Cases inject their own orca_clock through
 * orca__backend_opts, so lease expiry, etas and TTLs are tested by moving
 * time, never by sleeping; nothing in the cases depends on the backend kind. */
#ifndef ORCA_CONFORMANCE_H
#define ORCA_CONFORMANCE_H

/* Run every case as the cmocka group `name`. make_url(ud) is called once per
 * case (and may be called again only by that case's setup) and must return a
 * URL of a backend no other case has used; the string is copied. Returns the
 * number of failed cases (0 = all passed), as cmocka does. */
int orca_conformance_run(const char *name, const char *(*make_url)(void *ud), void *ud);

#endif
