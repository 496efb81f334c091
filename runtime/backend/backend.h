/* backend.h — the interface every log backend implements (sqlite, redis,
 * kafka), and the registry that opens one from a URL.
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
 * reads only the fields copied into orca__job. It also holds the StateKeeper
 * records, the dead-letter queue, deferred tasks, unique/cache keys and the
 * TimeKeeper's schedules, so that one transaction (SQLite) or one script or
 * pipeline (Redis) can change a task and its state together.
 *
 * Conformance: tests/conformance runs the same cases against every backend;
 * semantics below are what it checks. */
#ifndef ORCA__BACKEND_H
#define ORCA__BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/peer_ads.h"
#include "orca/clock.h"
#include "orca/error.h"
#include "orca/memory.h"
#include "orca/state.h"

typedef struct orca__backend orca__backend;
typedef struct orca__backend_ops orca__backend_ops;

/* The part of every backend handle that the core reads. Implementations embed
 * it as their first member. */
struct orca__backend {
  const orca__backend_ops *ops;
  const orca_clock *clock; /* never NULL after open */
};

typedef struct orca__backend_opts {
  const orca_clock *clock; /* NULL = real clock; tests inject one */
  int64_t op_timeout_us;   /* network round-trip limit, 0 = backend default (5 s) */
} orca__backend_opts;

/* One task to store. Strings are copied; nothing is kept after the call. */
typedef struct orca__job {
  const char *id;         /* unique task id (< ORCA_ID_MAX) */
  const char *task;       /* qualified task name, for stats and inspect */
  const char *queue;      /* (< ORCA_NAME_MAX) */
  int32_t priority;       /* higher is fetched first within a queue */
  int64_t eta_us;         /* due time; <= now means ready now, later means deferred */
  uint32_t attempt;       /* attempts already made (0 for a new task) */
  const uint8_t *payload; /* encoded envelope */
  size_t payload_len;
  const char *unique_key; /* NULL, or: refuse if this key is held (see enqueue) */
  int64_t unique_ttl_us;  /* how long the key is held */
  int64_t state_ttl_us;   /* how long the state record lives after it ends */
} orca__job;

typedef struct orca__enqueue_result {
  int status;                    /* 0, ORCA_EDUPLICATE, or another ORCA_E* for this job */
  char existing_id[ORCA_ID_MAX]; /* EDUPLICATE: the id holding the unique key or id */
} orca__enqueue_result;

/* One delivery of a task to a worker. The worker owns lease structs (a pool
 * sized to its concurrency plus prefetch) and passes them to fetch, which
 * overwrites them; `payload` keeps its memory across fetches so a warm pool
 * allocates nothing. */
typedef struct orca__lease {
  char id[ORCA_ID_MAX];
  char queue[ORCA_NAME_MAX];
  char ref[64];           /* backend handle of this delivery (row id, stream entry id, …) */
  uint32_t deliveries;    /* 1 on first delivery; more after lease expiries */
  int64_t lease_until_us; /* absolute (backend clock): until then no other worker can be
                             handed this delivery, so a task not started by then must not
                             start (the worker releases it instead); fetch and extend set it */
  orca_buf payload;       /* the envelope bytes */
} orca__lease;

typedef struct orca__fetch_req {
  const char *const *queues; /* in the order to try: first non-empty wins first */
  size_t nqueues;
  const char *worker; /* worker id, recorded as lease owner */
  int64_t lease_us;   /* lease length */
  int64_t wait_us;    /* block up to this long when nothing is ready; 0 = don't */
} orca__fetch_req;

typedef enum orca__outcome {
  ORCA__ACK = 1, /* remove from queue; record `state` (succeeded, cancelled, expired) */
  ORCA__RETRY,   /* remove, store `payload` as a new delivery due at retry_at; record failed */
  ORCA__DEAD,    /* remove, put into the queue's dead-letter list; record dead + reason */
  ORCA__RELEASE, /* give the task back at once, not counted as an attempt (shutdown) */
} orca__outcome;

/* The end of one delivery. Strings and bytes are copied. */
typedef struct orca__completion {
  const orca__lease *lease;
  orca__outcome outcome;
  orca_state state; /* the state to record */
  const char *worker;
  uint32_t attempt; /* attempt number that ran (1-based) */
  int64_t started_us;
  const char *error;     /* NULL or the failure / dead-letter reason */
  const uint8_t *result; /* SUCCEEDED: encoded result, may be NULL */
  size_t result_len;
  int64_t ttl_us;         /* state and result kept this long */
  const uint8_t *payload; /* RETRY: the rewritten envelope (attempt + 1) */
  size_t payload_len;
  int64_t retry_at_us;    /* RETRY: due time */
  const char *unique_key; /* NULL, or a key to refresh (unique_ttl_us > 0) or drop (0) */
  int64_t unique_ttl_us;
} orca__completion;

typedef struct orca__schedule_rec {
  char name[ORCA_NAME_MAX];
  int64_t next_fire_us; /* the fire the TimeKeeper expects next */
  bool paused;
  orca_buf spec; /* encoded schedule definition (timekeeper/schedule_codec) */
} orca__schedule_rec;

typedef int (*orca__info_cb)(void *ud, const orca_task_info *info); /* non-zero stops */
typedef int (*orca__schedule_cb)(void *ud, const orca__schedule_rec *rec);

struct orca__backend_ops {
  const char *scheme; /* "sqlite", "redis", "kafka" */

  /* Open the backend named by url (scheme already matched). Returns 0 and a
   * handle the caller closes with ops->close, or ORCA_EURL / ORCA_ECONNECT /
   * ORCA_EIO with err saying what and where. */
  int (*open)(const char *url, const orca__backend_opts *opts, orca__backend **out, orca_err *err);
  /* Release the handle. Leases held are not released (they expire). */
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

  /* Failover (the peer network declared `worker` dead): give every task
   * whose lease `worker` holds back to its queue at once, as an expired
   * lease would be (the delivery counts; a task whose cancel was requested
   * is cancelled instead), in one transaction / round trip, and wake
   * blocked fetches. Later completions and renewals by `worker` of those
   * deliveries are refused like those of an expired lease, so releasing a
   * worker that was in fact alive only makes its tasks run again
   * (at-least-once). *count (may be NULL) gets the number released.
   * Returns 0 or an error (nothing released). NULL: not supported (the
   * leases then run out as usual). */
  int (*release_worker)(orca__backend *b, const char *worker, size_t *count);

  /* Discovery, in one transaction / round trip: get the backend's cluster
   * id (created at random on first use) into cluster[ORCA__CLUSTER_ID_MAX];
   * drop expired advertisements; store `mine` until now + ttl_us (ttl_us 0
   * removes it; mine NULL stores nothing); call cb for every other
   * unexpired advertisement. Returns 0, cb's non-zero value, or an error.
   * NULL: not supported (only --join seeds then). */
  int (*peer_ads)(orca__backend *b, const orca__peer_ad *mine, int64_t ttl_us, char *cluster,
                  orca__peer_ad_cb cb, void *ud);
};

/* Open a backend from a URL ("sqlite:PATH", "redis://HOST:PORT/DB",
 * "kafka://BROKERS"). NULL means the environment (orca__url_from_env), else
 * the default, sqlite:./.orca/orca.db; "" is ORCA_EURL. Returns 0 and a
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

/* The implementations (each in its own folder). A backend that is not built
 * is absent from the registry and its scheme gets ORCA_ENOTSUP. */
extern const orca__backend_ops orca__sqlite_ops;
extern const orca__backend_ops orca__redis_ops;
extern const orca__backend_ops orca__kafka_ops;

#endif
