/* store.h — the store half of a backend: everything about a task that is
 * not its place in line. Run states and results (inspect, wait), unique and
 * cache keys, cancel flags, the dead-letter queue, deferred tasks and
 * retries waiting for their time, schedules with the exactly-once fire
 * step, and stats. SQLite and Redis are stores; Kafka is not (it is paired
 * with one, see backend.h).
 *
 * Shape. As every backend call: batched and synchronous, one handle per
 * thread; only ops->interrupt may be called from any thread.
 *
 * A record's life in a store used beside a log (tests/conformance/
 * cases_store.c checks it):
 *
 *   admit ──> handing ──handed──> queued ──start──> running ──finish──> final
 *     │          ^  (the log has it)   ^                │  ├─ retry ──> waiting
 *     └─> waiting ┘ due (eta reached)  └──── release ───┘  └─ dead ───> dead letter
 *
 *  - handing: admitted and ready, on its way to the log. The caller appends
 *    it to the log and then calls handed. A record still handing
 *    ORCA__HANDOFF_US after it was admitted (the caller died between the two
 *    steps, or the append failed) is handed out again by `due`: an admitted
 *    task is never lost. It may run late, and twice when the append had
 *    worked but `handed` did not (at-least-once; see start for how the
 *    second copy is dropped when the first one is running or done).
 *  - queued: in the log, pending.
 *  - waiting: deferred (scheduled), a retry waiting for its time (failed),
 *    or requeued from the dead letters; the payload is kept here until
 *    `due` hands it to the log. Time-based work always waits in the store,
 *    never in the log.
 *  - running: a worker started a delivery; the store keeps its own lease
 *    (owner, deliveries, lease_until), renewed by `renew`. Deliveries are
 *    counted here, so a log that does not count (Kafka) still feeds the
 *    worker's poison-task check.
 *
 * Which delivery runs is the store's decision (start): a delivery of a
 * record that is final, dead, waiting, unknown or expired, or that runs
 * under a live lease of another delivery, is a leftover (a cancelled task
 * still in the log, a duplicate appended twice) and is dropped by the
 * caller without running. So the log may deliver an entry twice, and
 * completions and extensions of a delivery that lost its task are refused
 * here by the (worker, deliveries) match.
 *
 * The steps every backend has (state_get … schedule_pause) mean what
 * backend.h says; admit, start, finish, renew, due and schedule_fire are
 * what the composition needs from a store beside a separate log. */
#ifndef ORCA__STORE_H
#define ORCA__STORE_H

#include "backend/types.h"

typedef struct orca__store orca__store;
typedef struct orca__store_ops orca__store_ops;

/* The part of every store handle the composition reads; implementations
 * embed it. */
struct orca__store {
  const orca__store_ops *ops;
  const orca_clock *clock; /* never NULL after open */
};

/* How long an admitted task may stay handing before `due` hands it out
 * again (see the head): far longer than one append to any log. */
#define ORCA__HANDOFF_US (60 * 1000000LL)

struct orca__store_ops {
  const char *scheme; /* "sqlite", "redis" */

  /* Open, close, interrupt: as the log's (log.h); interrupt ends a blocked
   * state_wait early (ORCA_EAGAIN). */
  int (*open)(const char *url, const orca__backend_opts *opts, orca__store **out, orca_err *err);
  void (*close)(orca__store *s);
  void (*interrupt)(orca__store *s);

  /* Record n new tasks as one atomic step where the store allows. A job
   * whose id has a live record, or whose unique_key is held, gets
   * ORCA_EDUPLICATE and the holder's id; a malformed one ORCA_EINVAL. The
   * rest are recorded: eta in the future -> waiting (scheduled), else
   * handing (pending). Returns 0 (look at res[]) or an error for the batch
   * (nothing recorded). */
  int (*admit)(orca__store *s, const orca__job *jobs, size_t n, orca__enqueue_result *res);
  /* The n tasks (id and queue read) are in the log now: handing -> queued.
   * Records in any other state are left alone. Returns 0 or an error. */
  int (*handed)(orca__store *s, const orca__job *jobs, size_t n);

  /* Decide for n deliveries from the log (id and queue read) whether they
   * run. status[i] = 0: run — the record is now running under worker with
   * its deliveries count incremented and written to deliveries, attempt =
   * attempts made + 1, started now, and the store's lease until now +
   * lease_us (lease_until_us is lowered to it when later).
   * status[i] = ORCA_ESTATE: a leftover, drop it (see the head). A running
   * record is taken over when its store lease ran out, or always when
   * takeover is set (the log has leases: it hands a task out again only
   * after its holder lost it); a running record flagged for cancel is
   * recorded cancelled instead. Returns 0 or an error (nothing started). */
  int (*start)(orca__store *s, orca__lease *const *leases, size_t n, const char *worker,
               int64_t lease_us, bool takeover, int *status);
  /* Record the end of n deliveries this store started (lease id, queue and
   * deliveries, worker, and the outcome fields of backend.h). A completion
   * whose record is not running under (worker, deliveries) is skipped.
   * ACK: the final state, result and record TTL. RETRY: failed, waiting
   * until retry_at with the new payload (also when retry_at is past: `due`
   * hands it out). DEAD: into the dead-letter queue. RELEASE: queued again
   * with deliveries - 1 (the log gives the delivery back), or cancelled when
   * a cancel was requested. unique_key is refreshed or dropped as backend.h
   * says; counters are bumped; waiters wake. Returns 0 or an error
   * (nothing recorded). */
  int (*finish)(orca__store *s, const orca__completion *c, size_t n);
  /* Push the store's lease of n running deliveries to now + lease_us.
   * status[i]: 0, ORCA_ELOST (not running under (worker, deliveries)) or
   * ORCA_ECANCELLED (cancel was requested; the lease is still pushed). */
  int (*renew)(orca__store *s, orca__lease *const *leases, size_t n, const char *worker,
               int64_t lease_us, int *status);
  /* Hand out up to max tasks whose time came, earliest first: waiting ones
   * at their eta, handing ones past their window and, with reclaim,
   * running ones whose store lease ran out (for a log without leases;
   * those flagged for cancel are recorded cancelled instead). Each becomes
   * handing again and cb receives it as a job (id, task, queue, priority,
   * attempt, payload) for the caller to append to the log and then confirm
   * with handed. A non-zero cb return undoes the call (ORCA_ENOMEM).
   * *next_due_us gets the earliest remaining due time, not counting the
   * handoff windows of the tasks this call handed out (INT64_MAX: none).
   * Returns how many were handed out, or an error. */
  int (*due)(orca__store *s, int64_t now_us, size_t max, bool reclaim, orca__job_cb cb, void *ud,
             int64_t *next_due_us);

  /* As in backend.h. cancel: a handing, queued or waiting task is recorded
   * cancelled at once and its unique key dropped (its log entry, if any, is
   * dropped by start); a running one is flagged. dlq_requeue: the entries
   * become waiting, due now, with attempt and deliveries reset (the caller
   * hands them out with due). */
  int (*state_get)(orca__store *s, const char *id, orca_task_info *info);
  int (*state_wait)(orca__store *s, const char *id, int64_t timeout_us, orca_task_info *info);
  int (*cancel)(orca__store *s, const char *id);
  int (*dlq_list)(orca__store *s, const char *queue, size_t offset, size_t limit, orca__info_cb cb,
                  void *ud);
  int (*dlq_requeue)(orca__store *s, const char *queue, const char *id, size_t *count);
  int (*dlq_purge)(orca__store *s, const char *queue, const char *id, size_t *count);
  int (*stats)(orca__store *s, orca_queue_stats *out, size_t max, size_t *n);
  int (*schedule_put)(orca__store *s, const orca__schedule_rec *rec, bool if_absent);
  int (*schedule_get)(orca__store *s, const char *name, orca__schedule_rec *rec);
  int (*schedule_list)(orca__store *s, orca__schedule_cb cb, void *ud);
  int (*schedule_remove)(orca__store *s, const char *name);
  int (*schedule_pause)(orca__store *s, const char *name, bool paused);
  /* The exactly-once step (backend.h): compare-and-set the next fire and
   * admit the fire's jobs (as admit does; res[i] per job, a job whose id
   * exists gets EDUPLICATE) in one atomic step. ORCA_ECONFLICT or
   * ORCA_ENOTFOUND change nothing. */
  int (*schedule_fire)(orca__store *s, const char *name, int64_t expected_us, int64_t next_us,
                       const orca__job *jobs, size_t njobs, orca__enqueue_result *res);
};

#endif
