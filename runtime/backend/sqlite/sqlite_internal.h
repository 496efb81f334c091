/* sqlite_internal.h — what the files of the SQLite backend share: the handle,
 * the prepared-statement cache, transaction helpers and the notifier.
 *
 * One handle = one sqlite3 connection used by one thread at a time (the
 * backend contract), opened in one of three roles: fused (log and store in
 * one: the tasks table is both, and every step is one transaction), log
 * (log.h: the tasks table holds ready and leased entries only; a completed
 * entry is deleted) or store (store.h: the tasks table holds the records;
 * a ready row means "in the log", see ORCA__Q_HANDOFF). Statements are
 * prepared on first use and kept for the life of the handle, so the hot
 * paths (enqueue, fetch, complete) never re-parse SQL. docs/sqlite.md
 * describes the schema and the wake-up scheme. */
#ifndef ORCA__SQLITE_INTERNAL_H
#define ORCA__SQLITE_INTERNAL_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stddef.h>

#include "backend/backend.h"

/* Where a task row is with respect to its queue (column tasks.q). Each value
 * but Q_NONE has its own partial index, so fetch, the timer and the lease
 * reaper each read only the rows they care about. */
enum {
  ORCA__Q_NONE = 0,     /* not in a queue: a state record kept until expires_at */
  ORCA__Q_READY = 1,    /* fetchable now (pending) */
  ORCA__Q_DEFERRED = 2, /* waiting for eta (scheduled, or failed awaiting retry) */
  ORCA__Q_LEASED = 3,   /* running under lease_owner until lease_until */
  ORCA__Q_DEAD = 4,     /* in the dead-letter queue until requeued or purged */
  ORCA__Q_HANDOFF = 5,  /* store role: admitted, on its way to the log until `due` */
};

/* What a handle is (see the head). */
typedef enum orca__sq_role { ORCA__SQ_FUSED, ORCA__SQ_LOG, ORCA__SQ_STORE } orca__sq_role;

/* The cached statements; SQL text in stmt.c, same order. */
typedef enum orca__sq_stmt {
  SQ_BEGIN,
  SQ_COMMIT,
  SQ_ROLLBACK,
  SQ_INSERT_TASK,
  SQ_FIND_ID,
  SQ_DELETE_RID,
  SQ_UNIQ_GET,
  SQ_UNIQ_PUT,
  SQ_UNIQ_REFRESH,
  SQ_UNIQ_DROP,
  SQ_PROMOTE,
  SQ_REAP,
  SQ_LEASE_READY,
  SQ_ANY_READY,
  SQ_NEXT_ETA,
  SQ_NEXT_LEASE,
  SQ_ACK,
  SQ_ACK_DELETE,
  SQ_RETRY,
  SQ_DEAD,
  SQ_RELEASE,
  SQ_EXTEND,
  SQ_PURGE_TASKS,
  SQ_PURGE_UNIQ,
  SQ_COUNT_DONE,
  SQ_STATE_GET,
  SQ_CANCEL_QUEUED,
  SQ_CANCEL_FLAG,
  SQ_DLQ_LIST_Q,
  SQ_DLQ_LIST_ALL,
  SQ_DLQ_REQUEUE,
  SQ_DLQ_PURGE,
  SQ_STATS_COUNTS,
  SQ_STATS_COUNTERS,
  SQ_SCHED_PUT,
  SQ_SCHED_PUT_IF_ABSENT,
  SQ_SCHED_GET,
  SQ_SCHED_LIST,
  SQ_SCHED_REMOVE,
  SQ_SCHED_PAUSE,
  SQ_SCHED_FIRE,
  /* store role: a separate log holds the queue (store.c) */
  SQ_S_HANDED,
  SQ_S_START,
  SQ_S_START_CANCELLED,
  SQ_S_ACK,
  SQ_S_ACK_DELETE,
  SQ_S_RETRY,
  SQ_S_DEAD,
  SQ_S_RELEASE,
  SQ_S_EXTEND,
  SQ_S_REAP,
  SQ_S_TAKE_DUE,
  SQ_S_NEXT_DUE,
  /* log role (log.c) */
  SQ_L_APPEND,
  SQ__COUNT
} orca__sq_stmt;

/* The wake-up channel of one handle (notify.c). */
typedef struct orca__sq_notify {
  uint32_t *word;         /* commit counter in the mapped -notify file; NULL if unmapped */
  uint32_t seen;          /* its value before the last database read */
  atomic_int interrupted; /* set by interrupt(), consumed by the next wait */
} orca__sq_notify;

typedef struct orca__sqlite {
  orca__backend base; /* first: the fused handle (base.log, base.store point below) */
  orca__store store;  /* the store half (store role, or fused) */
  orca__log log;      /* the log half (log role, or fused) */
  orca__sq_role role;
  sqlite3 *db;
  char *path; /* database file, owned */
  sqlite3_stmt *stmts[SQ__COUNT];
  orca__sq_notify notify;
  int64_t busy_ms; /* busy_timeout applied to the connection */
} orca__sqlite;

/* Current time of the handle's clock (µs). */
static inline int64_t orca__sq_now(orca__sqlite *s) {
  return orca_clock_now(s->base.clock);
}

/* The handle behind a half's header. */
static inline orca__sqlite *orca__sq_of_store(orca__store *st) {
  return (orca__sqlite *)((char *)st - offsetof(orca__sqlite, store));
}
static inline orca__sqlite *orca__sq_of_log(orca__log *l) {
  return (orca__sqlite *)((char *)l - offsetof(orca__sqlite, log));
}

/* Return the cached statement k, preparing it on first use, reset and with
 * bindings cleared. NULL on a prepare error (the schema is broken). */
sqlite3_stmt *orca__sq_stmt_get(orca__sqlite *s, orca__sq_stmt k);
/* Finalize every cached statement (close). */
void orca__sq_stmt_finalize_all(orca__sqlite *s);

/* Map an SQLite result code to an ORCA_E* code (BUSY -> ETIMEDOUT, CORRUPT,
 * NOTADB, IOERR, FULL, READONLY, PERM -> EIO, others -> EBACKEND). */
int orca__sq_map(int rc);

/* Run a statement with no result rows to completion. Returns 0 or ORCA_E*. */
int orca__sq_exec_stmt(sqlite3_stmt *st);

/* BEGIN IMMEDIATE (waits up to busy_timeout for other writers), COMMIT,
 * ROLLBACK. begin/commit return 0 or ORCA_E*; rollback never fails. */
int orca__sq_begin(orca__sqlite *s);
int orca__sq_commit(orca__sqlite *s);
void orca__sq_rollback(orca__sqlite *s);

/* Bind a possibly-NULL string / blob; helpers shared by every file. */
void orca__sq_bind_text(sqlite3_stmt *st, int i, const char *v);
void orca__sq_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n);
/* Copy column i as text into dst[cap] (truncated, "" for NULL). */
void orca__sq_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap);

/* Insert one job inside an open transaction (enqueue, admit, schedule
 * fire). A ready job is inserted ready (fused role) or handing until now +
 * ORCA__HANDOFF_US (store role). Returns 0, ORCA_EDUPLICATE with existing[]
 * filled (the id or the holder of the unique key), or another ORCA_E*. */
int orca__sq_insert_job(orca__sqlite *s, const orca__job *j, int64_t now,
                        char existing[ORCA_ID_MAX]);

/* Insert n jobs in one transaction (enqueue, admit): res[i] per job.
 * Returns 0 or the error that rolled the batch back. */
int orca__sq_insert_batch(orca__sqlite *s, const orca__job *jobs, size_t n,
                          orca__enqueue_result *res);

/* Inside a transaction: make due deferred tasks ready and reclaim expired
 * leases. Returns the number of rows changed or ORCA_E*. */
int orca__sq_make_ready(orca__sqlite *s, int64_t now);

/* Delete up to max expired state records and unique keys (lazy purge).
 * Inside a transaction. Returns 0 or ORCA_E*. */
int orca__sq_purge_expired(orca__sqlite *s, int64_t now, int max);

/* The earliest time something not ready now may become ready: the smallest
 * deferred eta or lease expiry. INT64_MAX when none. Outside or inside a
 * transaction. Returns 0 or ORCA_E*. */
int orca__sq_next_due(orca__sqlite *s, int64_t *next_us);

/* Read the stored next fire and paused flag of schedule name (outside a
 * transaction: a plain read, which never waits for the write lock). Returns
 * 0, ORCA_ENOTFOUND or ORCA_E*. */
int orca__sq_schedule_peek(orca__sqlite *s, const char *name, int64_t *next_fire_us, bool *paused);

/* Fill info from a row of SQ_STATE_GET / SQ_DLQ_LIST_* (same column list,
 * ORCA__SQ_INFO_COLS). Appends the result and the arguments of the stored
 * envelope. Returns 0 or ORCA_ENOMEM. */
#define ORCA__SQ_INFO_COLS                                                                         \
  "id, task, queue, worker, state, attempt, priority, enqueued_at, eta, started_at, "              \
  "finished_at, expires_at, error, result, payload, deliveries"
int orca__sq_fill_info(sqlite3_stmt *st, orca_task_info *info);

/* Notifier (notify.c). open creates and maps PATH-notify; close unmaps it.
 * signal tells every waiter on this database (any process) to look again;
 * call it after a commit that made tasks ready or final. drain records the
 * commit counter before a waiter re-reads the database. wait blocks until a
 * signal after that drain, an interrupt, or until_mono_us (monotonic µs);
 * returns 1 when interrupted, 0 otherwise. */
int orca__sq_notify_open(orca__sqlite *s, orca_err *err);
void orca__sq_notify_close(orca__sqlite *s);
void orca__sq_notify_signal(orca__sqlite *s);
void orca__sq_notify_drain(orca__sqlite *s);
int orca__sq_notify_wait(orca__sqlite *s, int64_t until_mono_us);
void orca__sq_interrupt(orca__sqlite *s);

/* Bind the lease match (?1..?4: rid, id, worker, deliveries) of delivery l
 * for worker. The ref is "RID" (fused) or "RID.DELIVERIES" (log role: the
 * lease's deliveries field is the store's). Returns 0, or 1 when the ref is
 * not one of ours (skip the completion). */
int orca__sq_bind_lease(sqlite3_stmt *st, const orca__lease *l, const char *worker);

/* Fetch as the fused backend or the log (fetch.c); the log role leases
 * with "RID.DELIVERIES" refs. */
int orca__sq_fetch_rows(orca__sqlite *s, const orca__fetch_req *req, orca__lease *const *slots,
                        size_t max, size_t *got);

/* Ops implemented across the files (wired into the tables in open.c). The
 * fused table's steps take the fused handle; the store's and the log's take
 * their half. */
int orca__sq_enqueue(orca__backend *b, const orca__job *jobs, size_t n, orca__enqueue_result *res);
int orca__sq_fetch(orca__backend *b, const orca__fetch_req *req, orca__lease *const *slots,
                   size_t max, size_t *got);
int orca__sq_complete(orca__backend *b, const orca__completion *c, size_t n);
int orca__sq_extend(orca__backend *b, orca__lease *const *leases, size_t n, const char *worker,
                    int64_t lease_us, int *status);
int orca__sq_promote(orca__backend *b, int64_t now_us, size_t max, int64_t *next_due_us);
int orca__sq_state_get(orca__store *st, const char *id, orca_task_info *info);
int orca__sq_state_wait(orca__store *st, const char *id, int64_t timeout_us, orca_task_info *info);
int orca__sq_cancel(orca__store *st, const char *id);
int orca__sq_dlq_list(orca__store *st, const char *queue, size_t offset, size_t limit,
                      orca__info_cb cb, void *ud);
int orca__sq_dlq_requeue(orca__backend *b, const char *queue, const char *id, size_t *count);
int orca__sq_dlq_purge(orca__store *st, const char *queue, const char *id, size_t *count);
int orca__sq_stats(orca__store *st, orca_queue_stats *out, size_t max, size_t *n);
int orca__sq_schedule_put(orca__store *st, const orca__schedule_rec *rec, bool if_absent);
int orca__sq_schedule_get(orca__store *st, const char *name, orca__schedule_rec *rec);
int orca__sq_schedule_list(orca__store *st, orca__schedule_cb cb, void *ud);
int orca__sq_schedule_remove(orca__store *st, const char *name);
int orca__sq_schedule_pause(orca__store *st, const char *name, bool paused);
int orca__sq_schedule_fire(orca__backend *b, const char *name, int64_t expected_us, int64_t next_us,
                           const orca__job *jobs, size_t njobs);
int orca__sq_store_schedule_fire(orca__store *st, const char *name, int64_t expected_us,
                                 int64_t next_us, const orca__job *jobs, size_t njobs,
                                 orca__enqueue_result *res);

/* The store half beside a separate log (store.c, complete.c). */
int orca__sq_admit(orca__store *st, const orca__job *jobs, size_t n, orca__enqueue_result *res);
int orca__sq_handed(orca__store *st, const orca__job *jobs, size_t n);
int orca__sq_start(orca__store *st, orca__lease *const *leases, size_t n, const char *worker,
                   int64_t lease_us, bool takeover, int *status);
int orca__sq_finish(orca__store *st, const orca__completion *c, size_t n);
int orca__sq_renew(orca__store *st, orca__lease *const *leases, size_t n, const char *worker,
                   int64_t lease_us, int *status);
int orca__sq_due(orca__store *st, int64_t now_us, size_t max, bool reclaim, orca__job_cb cb,
                 void *ud, int64_t *next_due_us);
int orca__sq_store_dlq_requeue(orca__store *st, const char *queue, const char *id, size_t *count);

/* The log half (log.c, complete.c). */
int orca__sq_append(orca__log *l, const orca__job *jobs, size_t n);
int orca__sq_log_fetch(orca__log *l, const orca__fetch_req *req, orca__lease *const *slots,
                       size_t max, size_t *got);
int orca__sq_log_complete(orca__log *l, const orca__completion *c, size_t n);
int orca__sq_log_extend(orca__log *l, orca__lease *const *leases, size_t n, const char *worker,
                        int64_t lease_us, int *status);

/* Create or check the schema (schema.c). Returns 0 or ORCA_EIO with err. */
int orca__sq_schema_init(orca__sqlite *s, orca_err *err);

#endif
