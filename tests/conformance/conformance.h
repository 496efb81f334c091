/* conformance.h — the backend conformance suite, split as the interface is:
 * log cases (what runtime/backend/log.h promises, cases_log.c), store cases
 * (store.h, cases_store.c), and backend cases (backend.h, cases_queue.c and
 * cases_state.c) for a log and a store together, fused or composed.
 *
 * A runner per engine (test_conformance_sqlite here, the Redis one in
 * tests/redis/) links the orca_conformance library and calls the runs below
 * with a function that returns the URL of a fresh, empty backend for each
 * case: the log and store runs for each half the engine has, the backend
 * run for every pairing that makes sense (fused, and composed with
 * LOG?store=STORE). Cases inject their own orca_clock through
 * orca__backend_opts, so lease expiry, etas and TTLs are tested by moving
 * time, never by sleeping; nothing in the cases depends on the backend kind. */
#ifndef ORCA_CONFORMANCE_H
#define ORCA_CONFORMANCE_H

/* Run every case as the cmocka group `name`. make_url(ud) is called once per
 * case (and may be called again only by that case's setup) and must return a
 * URL of a backend no other case has used; the string is copied. Returns the
 * number of failed cases (0 = all passed), as cmocka does. */
int orca_conformance_run(const char *name, const char *(*make_url)(void *ud), void *ud);

struct orca__log_ops;
struct orca__store_ops;

/* The log cases against the log ops opens on make_url's URLs, and the
 * store cases against the store. Return as orca_conformance_run. */
int orca_conformance_run_log(const char *name, const struct orca__log_ops *ops,
                             const char *(*make_url)(void *ud), void *ud);
int orca_conformance_run_store(const char *name, const struct orca__store_ops *ops,
                               const char *(*make_url)(void *ud), void *ud);

#endif
