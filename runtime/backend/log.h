/* log.h — the log half of a backend: where ready tasks wait in order until
 * a worker takes them, and the deliveries the worker holds until it is done.
 *
 * A log knows tasks only as entries of a queue: an id, a priority and the
 * envelope bytes. It cannot look an entry up by id, has no states, no
 * unique keys, no timers and no dead letters: the store (store.h) keeps
 * all of that, and the composed backend (backend.h, compose.c) makes the
 * two act as one. SQLite and Redis are logs (and stores); Kafka is only a
 * log.
 *
 * Shape. As every backend call: batched and synchronous, one handle per
 * thread; only ops->interrupt may be called from any thread.
 *
 * What a log promises (tests/conformance/cases_log.c checks it):
 *
 *  - append: every entry of a successful call is in the log and will be
 *    delivered at least once. A failed call may have appended some entries:
 *    appending them again is allowed, and a log need not drop such
 *    duplicates (the store drops the extra delivery, see store.h, start).
 *    Entries of one queue are delivered by priority (higher first) and, within
 *    a priority, in append order, as far as the log can (a partitioned log
 *    orders per partition only).
 *  - fetch: hands out up to max deliveries of the queues asked, in the order
 *    asked, to one worker, filling id, queue, ref, deliveries, payload and
 *    lease_until_us of each slot. `ref` must carry everything the log needs to
 *    recognise this delivery later (the composition overwrites `deliveries`
 *    with the store's count). A delivery is held by its worker until it is
 *    completed, released, or lost.
 *  - complete: ends deliveries in any order and any grouping (completions
 *    arrive out of order; a log that commits offsets commits only the
 *    contiguous prefix of completed ones). It reads lease, outcome and worker
 *    of each completion and nothing else: ORCA__RELEASE gives the delivery
 *    back to be delivered again soon; every other outcome removes it for
 *    good. A completion of a delivery this worker no longer holds is skipped
 *    without error.
 *  - extend: reports, per delivery, 0 (still held; the lease is pushed to now
 *    + lease_us where the log has leases, and lease_until_us updated) or
 *    ORCA_ELOST (the log no longer stands behind it: its lease ran out and it
 *    was handed to someone else, or its partition was taken from this
 *    consumer). A delivery reported lost must not be started; one already
 *    running finishes, and its completion is then skipped.
 *
 * Leases (caps & ORCA__LOG_LEASES). A log with leases hands a delivery
 * whose lease ran out (its worker died or hung) to the next fetch, with
 * `deliveries` incremented: SQLite (a leased row) and Redis (the consumer
 * group's pending list) work this way, and the store then lets the new
 * delivery take the task over. A log without leases (Kafka) never takes a
 * delivery back by itself: until the consumer completes it, it stays held,
 * and after a rebalance the new owner of a partition may be handed entries
 * the old owner already took. The contract for such a log: fetch sets
 * lease_until_us to INT64_MAX; extend reports ELOST for the deliveries of a
 * partition this consumer lost (so none of them is started); and the
 * store's timers reclaim a task whose worker stopped renewing (store.h,
 * due with reclaim), so nothing depends on the log redelivering it.
 *
 * release_worker (failover): gives back at once every delivery held by
 * worker W, because the peer network declared W dead, instead of waiting
 * for its leases to run out. The effect is exactly that of all of W's
 * leases running out now: the entries are delivered again by the next
 * fetch of any worker, with `deliveries` incremented (a release_worker
 * counts as a delivery for the poison-task check, unlike ORCA__RELEASE);
 * W's later completions and extensions of them are skipped / ELOST as for
 * an expired lease. W itself may still be running them (it may only be cut
 * off from the peers): at-least-once, as for an expiry. A log that cannot
 * do it leaves the slot NULL (the composition answers ORCA_ENOTSUP). */
#ifndef ORCA__LOG_H
#define ORCA__LOG_H

#include "backend/types.h"

typedef struct orca__log orca__log;
typedef struct orca__log_ops orca__log_ops;

/* The part of every log handle the composition reads; implementations embed
 * it. */
struct orca__log {
  const orca__log_ops *ops;
  const orca_clock *clock; /* never NULL after open */
  /* A log without ORCA__LOG_ORDERED: a worker refuses to serve tasks with
   * @priority unless this is set (the URL's priorities=ignore for Kafka). */
  bool priorities_ignored;
};

/* The log hands back deliveries whose lease ran out (see the head). */
#define ORCA__LOG_LEASES 1u
/* The log delivers a queue's entries by priority, then in append order, and
 * a fetch sees every entry appended before it. Without it (Kafka) order holds
 * per partition only, priorities are ignored, and an appended entry reaches
 * a fetch after a moment (the consumer fetches from the brokers in the
 * background; the first fetch of a handle also waits for the group join). */
#define ORCA__LOG_ORDERED 2u

struct orca__log_ops {
  const char *scheme; /* "sqlite", "redis", "kafka" */
  unsigned caps;      /* ORCA__LOG_* */

  /* Open the log named by url (scheme already matched). Returns 0 and a
   * handle to close with ops->close, or ORCA_EURL / ORCA_ECONNECT / ORCA_EIO
   * with err saying what and where. */
  int (*open)(const char *url, const orca__backend_opts *opts, orca__log **out, orca_err *err);
  /* Release the handle. Deliveries held are not given back (leases expire). */
  void (*close)(orca__log *l);
  /* Make a blocking fetch on another thread return early (with what it
   * has, possibly nothing). Safe from any thread. */
  void (*interrupt)(orca__log *l);

  /* Append n ready tasks; reads id, task, queue, priority and payload of
   * each job (eta, attempt, unique key and TTLs belong to the store).
   * Returns 0 when all are in the log, or an error (some may be). */
  int (*append)(orca__log *l, const orca__job *jobs, size_t n);
  /* Deliver up to max entries of the queues in req (see the head). Blocks
   * up to req->wait_us when none is ready. Returns 0 with *got (possibly
   * 0), or an error (nothing delivered). */
  int (*fetch)(orca__log *l, const orca__fetch_req *req, orca__lease *const *slots, size_t max,
               size_t *got);
  /* End n deliveries (see the head). Returns 0 or an error (the caller may
   * send the same completions again). */
  int (*complete)(orca__log *l, const orca__completion *c, size_t n);
  /* Renew n deliveries held by worker; status[i] is 0 or ORCA_ELOST. */
  int (*extend)(orca__log *l, orca__lease *const *leases, size_t n, const char *worker,
                int64_t lease_us, int *status);
  /* Give back every delivery held by worker (see the head); *count gets
   * how many (0 when it held none, or is unknown). Returns 0 or an error
   * (calling again is safe). NULL: not supported by this log (the
   * composed backend answers ORCA_ENOTSUP). */
  int (*release_worker)(orca__log *l, const char *worker, size_t *count);
};

#endif
