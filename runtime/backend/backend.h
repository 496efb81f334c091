/* backend.h — the composed backend every caller talks to (client, worker,
 * TimeKeeper, admin): one handle made of a log (log.h: where ready tasks
 * wait and deliveries are held) and a store (store.h: states, results, keys,
 * cancel flags, dead letters, timers, schedules, stats), and the registry
 * that opens one from a URL.
 *
 * Two ways to be composed:
 *  - fused: log and store are the same engine on the same URL (sqlite:PATH,
 *    redis://...). The engine's own table (orca__sqlite_ops,
 *    orca__redis_ops) runs every step that touches both halves as today, in
 *    one transaction (SQLite) or one script or pipeline (Redis): enqueue
 *    (append + pending record + unique key), fetch, complete (ack + final
 *    state + result + retry + dead letter), extend, promote, cancel,
 *    dlq_requeue, schedule_fire. Steps that touch only the store go to its
 *    store half (orca__fwd_*). No step costs a round trip more than a
 *    single engine needs.
 *  - split: a log and a store of different engines or URLs
 *    (LOG_URL?store=STORE_URL; Kafka always). compose.c runs each step as
 *    the two halves in an order that keeps delivery at-least-once and never
 *    loses a task the caller was told is stored:
 *      enqueue:  store.admit (records, keys, duplicates), log.append of the
 *                ready ones, store.handed. A crash after admit leaves the
 *                record handing; the store hands it out again after
 *                ORCA__HANDOFF_US (store.h).
 *      fetch:    log.fetch, store.start; deliveries the store refuses
 *                (cancelled, done, duplicates) are completed in the log
 *                without running.
 *      complete: store.finish first, then log.complete. A crash between
 *                the two re-delivers a task whose outcome is recorded; start
 *                drops that delivery, so nothing runs twice for it.
 *      extend:   log.extend and store.renew; lost in either is lost.
 *      promote:  store.due (deferred tasks, retries, requeued dead letters,
 *                stale handoffs; with a log without leases also expired
 *                runs), log.append, store.handed. Retries and deferred tasks
 *                always wait in the store.
 *    docs/design.md ("Log and store") has the whole argument.
 *
 * Shape. Every operation works on batches and is synchronous: it blocks the
 * calling thread until done or until its own timeout. A backend handle is
 * used by one thread at a time (open one per thread that needs it); only
 * ops->interrupt may be called from any thread. The worker runs backend calls
 * on its own I/O thread, never on the libuv loop thread, so a slow backend
 * never stalls timers, signals or the peer network (docs/design.md explains
 * why the interface is synchronous).
 *
 * Delivery is at-least-once. A fetched task is leased to one worker until
 * lease_until; if the lease runs out (the worker died or hung) a later fetch
 * by any worker hands it out again with `deliveries` incremented. Only
 * complete() removes a task from its queue, and only while the completing
 * worker still holds that delivery: a worker resumed after its lease ran out
 * cannot overwrite the record of the worker that took the task over.
 *
 * The backend stores envelopes as opaque bytes (runtime/codec/envelope.h); it
 * reads only the fields copied into orca__job.
 *
 * Conformance: tests/conformance runs the log cases against every log, the
 * store cases against every store, and the cases below against every pair
 * of a log and a store that makes sense; semantics below are what it
 * checks. */
#ifndef ORCA__BACKEND_H
#define ORCA__BACKEND_H

#include "backend/log.h"
#include "backend/store.h"
#include "backend/types.h"

typedef struct orca__backend orca__backend;
typedef struct orca__backend_ops orca__backend_ops;

/* The part of every backend handle that the core reads. Implementations
 * embed it as their first member. log and store are the two halves: in a
 * fused handle, views of the same engine handle (one connection); NULL in
 * a fused handle whose engine has no separate halves yet (Redis), whose
 * table then implements every step itself. */
struct orca__backend {
  const orca__backend_ops *ops;
  const orca_clock *clock; /* never NULL after open */
  orca__log *log;
  orca__store *store;
};

struct orca__backend_ops {
  const char *scheme; /* "sqlite", "redis" (fused tables), "split" (compose.c) */

  /* Fused tables only (NULL in the split composition): open the engine named
   * by url (scheme already matched) as both log and store on one
   * connection. Returns 0 and a handle the caller closes with ops->close, or
   * ORCA_EURL / ORCA_ECONNECT / ORCA_EIO with err saying what and where. */
  int (*open)(const char *url, const orca__backend_opts *opts, orca__backend **out, orca_err *err);
  /* Release the handle (both halves). Leases held are not released (they
   * expire). */
  void (*close)(orca__backend *b);
  /* Make a blocking call on another thread return early (ORCA_EAGAIN or with
   * what it has). Safe from any thread and from a signal-free context. */
  void (*interrupt)(orca__backend *b);

  /* Store n jobs atomically as far as the backend allows (SQLite: one
   * transaction; Redis: one pipeline). Each job whose id already exists, or
   * whose unique_key is held, gets EDUPLICATE and the holder's id; the rest
   * are stored and their state recorded as pending (or scheduled when eta is
   * in the future). Returns 0 when the batch reached the backend (look at
   * res[]), or an error for the whole batch (nothing stored). */
  int (*enqueue)(orca__backend *b, const orca__job *jobs, size_t n, orca__enqueue_result *res);

  /* Lease up to max ready tasks (due, not leased or lease expired), highest
   * priority first within a queue, queues in the order given. Marks them
   * running under req->worker. Blocks up to req->wait_us when none is ready.
   * Returns 0 with *got (possibly 0), or an error (nothing leased). */
  int (*fetch)(orca__backend *b, const orca__fetch_req *req, orca__lease *const *slots, size_t max,
               size_t *got);

  /* Record the end of n deliveries in one transaction/round trip. A
   * completion whose lease is no longer held by this worker (it expired and
   * was handed out again) is skipped without error. */
  int (*complete)(orca__backend *b, const orca__completion *c, size_t n);

  /* Push the leases of n running tasks to now + lease_us. status[i] is 0,
   * ORCA_ELOST (no longer ours) or ORCA_ECANCELLED (cancel was requested). */
  int (*extend)(orca__backend *b, orca__lease *const *leases, size_t n, const char *worker,
                int64_t lease_us, int *status);

  /* Move deferred tasks due at or before now into their queues (at most max),
   * and set *next_due_us to the earliest remaining due time (INT64_MAX when
   * none). Backends whose fetch already sees due tasks only compute the
   * latter. Returns the number moved or an error. */
  int (*promote)(orca__backend *b, int64_t now_us, size_t max, int64_t *next_due_us);

  /* StateKeeper. state_get fills info (appending result and args bytes) or
   * returns ORCA_ENOTFOUND. state_wait blocks until the task is in a final
   * state or timeout_us passes (ORCA_ETIMEDOUT), waking on the change rather
   * than polling where the backend can. */
  int (*state_get)(orca__backend *b, const char *id, orca_task_info *info);
  int (*state_wait)(orca__backend *b, const char *id, int64_t timeout_us, orca_task_info *info);

  /* Cancel: a pending or scheduled task is removed and recorded cancelled; a
   * running one is flagged (extend reports ECANCELLED to its worker). Returns
   * 0, ORCA_ENOTFOUND, or ORCA_ESTATE if it already ended. */
  int (*cancel)(orca__backend *b, const char *id);

  /* Dead-letter queue of `queue` (NULL = all queues). list calls cb for up to
   * limit entries from offset; requeue puts entries back as pending with
   * attempt reset (id NULL = all); purge deletes them. *count gets how many. */
  int (*dlq_list)(orca__backend *b, const char *queue, size_t offset, size_t limit,
                  orca__info_cb cb, void *ud);
  int (*dlq_requeue)(orca__backend *b, const char *queue, const char *id, size_t *count);
  int (*dlq_purge)(orca__backend *b, const char *queue, const char *id, size_t *count);

  /* Per-queue counts; fills up to max entries, sets *n. */
  int (*stats)(orca__backend *b, orca_queue_stats *out, size_t max, size_t *n);

  /* TimeKeeper schedules. put stores or replaces a schedule (if_absent:
   * keep an existing one and return ORCA_EDUPLICATE). fire is the
   * exactly-once step: if the stored next_fire_us equals expected_us, set it
   * to next_us and enqueue the jobs (ids SCHEDULE@FIRE_TIME) in the same
   * atomic step and return 0; otherwise change nothing and return
   * ORCA_ECONFLICT (another node fired it). */
  int (*schedule_put)(orca__backend *b, const orca__schedule_rec *rec, bool if_absent);
  int (*schedule_get)(orca__backend *b, const char *name, orca__schedule_rec *rec);
  int (*schedule_list)(orca__backend *b, orca__schedule_cb cb, void *ud);
  int (*schedule_remove)(orca__backend *b, const char *name);
  int (*schedule_pause)(orca__backend *b, const char *name, bool paused);
  int (*schedule_fire)(orca__backend *b, const char *name, int64_t expected_us, int64_t next_us,
                       const orca__job *jobs, size_t njobs);

  /* Failover: give back at once every delivery held by worker (the peer
   * network declared it dead) instead of waiting for its leases to run out.
   * Exactly as if all its leases ran out now: the next fetch of any worker
   * gets the tasks with `deliveries` incremented; a task flagged for cancel
   * is recorded cancelled instead; the dead worker's later complete/extend
   * of them is skipped / ELOST, so releasing a worker that was in fact
   * alive only makes its tasks run again (at-least-once). A fused table
   * does it in one transaction / round trip and wakes blocked fetches; a
   * composed one asks its log (log.h; the store takes the new deliveries
   * over at start). *count (may be NULL) gets how many were given back (0:
   * none held; calling again is harmless). Returns 0, or an error (nothing
   * released). Not supported: the slot is NULL, or (composed, the log has
   * none) the call returns ORCA_ENOTSUP; callers treat both alike, and
   * the leases then run out as usual. */
  int (*release_worker)(orca__backend *b, const char *worker, size_t *count);
};

/* The store-only steps of a fused table: each forwards to b->store (the
 * engine's store half), so a fused engine implements only the steps that
 * touch both halves. Same contract as the entries above. */
int orca__fwd_state_get(orca__backend *b, const char *id, orca_task_info *info);
int orca__fwd_state_wait(orca__backend *b, const char *id, int64_t timeout_us,
                         orca_task_info *info);
int orca__fwd_dlq_list(orca__backend *b, const char *queue, size_t offset, size_t limit,
                       orca__info_cb cb, void *ud);
int orca__fwd_dlq_purge(orca__backend *b, const char *queue, const char *id, size_t *count);
int orca__fwd_stats(orca__backend *b, orca_queue_stats *out, size_t max, size_t *n);
int orca__fwd_schedule_put(orca__backend *b, const orca__schedule_rec *rec, bool if_absent);
int orca__fwd_schedule_get(orca__backend *b, const char *name, orca__schedule_rec *rec);
int orca__fwd_schedule_list(orca__backend *b, orca__schedule_cb cb, void *ud);
int orca__fwd_schedule_remove(orca__backend *b, const char *name);
int orca__fwd_schedule_pause(orca__backend *b, const char *name, bool paused);
int orca__fwd_cancel(orca__backend *b, const char *id);

/* Compose a split backend from a log and a store already open (compose.c),
 * taking ownership of both (closed with the returned handle, or at once on
 * failure). The handle's clock is the store's. Returns 0 and *out, or
 * ORCA_ENOMEM (both closed). */
int orca__compose_open(orca__log *log, orca__store *store, orca__backend **out, orca_err *err);

/* Open a backend from a URL ("sqlite:PATH", "redis://HOST:PORT/DB",
 * "kafka://BROKERS"). NULL means the environment (orca__url_from_env), else
 * the default, sqlite:./.orca/orca.db; "" is ORCA_EURL. A `store=URL`
 * parameter of the log URL (LOG?store=URL or LOG?K=V&store=URL, the value
 * running to the next '&', %26 and %25 decoded) names a separate store: the
 * log URL without it is opened as a log, URL as a store, and the two are
 * composed (compose.c) unless both name the same engine and URL, which is
 * the fused form. A scheme with no fused form (kafka) gets the default
 * store, sqlite:./.orca/orca.db, when none is given. Returns 0 and a
 * handle to close with orca__backend_close(), or an error with err naming the
 * problem ("unknown scheme 'mysql' in 'mysql://x'"), passwords redacted, and
 * prefixed with the variable the URL came from when it came from one. */
int orca__backend_open(const char *url, const orca__backend_opts *opts, orca__backend **out,
                       orca_err *err);
void orca__backend_close(orca__backend *b);

/* Longest backend URL file read by orca__url_read_file(). */
#define ORCA__URL_FILE_MAX 4096

/* Read a backend URL from the file at path (--backend-file, or
 * ORCA_BACKEND_FILE): one line, surrounding newline and blanks trimmed, at
 * most ORCA__URL_FILE_MAX bytes. what names the option or variable for
 * messages. Logs a warning (once per process) when the URL holds a password and the file is
 * readable by every user. Returns 0 and *out (malloc'd, the caller frees), or
 * ORCA_EIO (cannot open or read) / ORCA_EINVAL (empty, several lines, too
 * large, not a regular file) with err naming what and path but never the
 * file's contents. */
int orca__url_read_file(const char *what, const char *path, char **out, orca_err *err);

/* The backend URL from the environment: $ORCA_BACKEND, or the contents of
 * the file $ORCA_BACKEND_FILE names (empty variables count as unset). Returns
 * 0 with *out (malloc'd, caller frees; NULL when neither is set) and *from
 * (the variable's name, static; NULL when neither), or ORCA_EURL when both
 * are set or the file cannot be used (err as orca__url_read_file() says). */
int orca__url_from_env(char **out, const char **from, orca_err *err);

/* Set err's code to code and prefix its message with "FROM: " (where the
 * URL came from, e.g. "--backend") unless from is NULL. Returns code. */
int orca__url_err_from(orca_err *err, int code, const char *from);

/* The implementations (each in its own folder): their fused tables and
 * their halves. An engine that is not built is absent from the registry
 * and its scheme gets ORCA_ENOTSUP. Kafka is a log only. */
extern const orca__backend_ops orca__sqlite_ops;
extern const orca__log_ops orca__sqlite_log_ops;
extern const orca__store_ops orca__sqlite_store_ops;
extern const orca__backend_ops orca__redis_ops;
extern const orca__log_ops orca__redis_log_ops;
extern const orca__store_ops orca__redis_store_ops;
extern const orca__log_ops orca__kafka_log_ops;

#endif
