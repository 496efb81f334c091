/* stmt.c — every SQL statement of the SQLite backend, prepared once per
 * handle, plus the transaction and binding helpers the other files share.
 *
 * Keeping the SQL in one table makes the queries easy to review against the
 * indexes in schema.c: each hot statement names the partial index it uses.
 * "Lease match" clauses let a completion or extension touch a row only while
 * the delivery that the worker holds is still the current one. */
#include "backend/sqlite/sqlite_internal.h"

#include <string.h>

/* clang-format off */
/* rid, id, worker (NULL = any), deliveries of the delivery being completed. */
#define LEASE_MATCH " WHERE rid = ?1 AND id = ?2 AND q = 3 AND (?3 IS NULL OR lease_owner = ?3)" \
                    " AND deliveries = ?4"
/* The store role's match: the delivery came from a separate log, so the
 * record is found by id (?1 is bound but unused). */
#define ID_MATCH " WHERE id = ?2 AND q = 3 AND (?3 IS NULL OR lease_owner = ?3)" \
                 " AND deliveries = ?4"

/* A leased task going back to its queue (reclaim, release) is cancelled
 * instead when a cancel was requested while it ran. ?T is "now". */
#define BACK_TO_QUEUE(now)                                                                 \
  " q = CASE WHEN cancel_req THEN 0 ELSE 1 END,"                                           \
  " state = CASE WHEN cancel_req THEN 7 ELSE 2 END,"                                       \
  " finished_at = CASE WHEN cancel_req THEN " now " ELSE finished_at END,"                 \
  " expires_at = CASE WHEN cancel_req THEN " now " + state_ttl ELSE NULL END,"             \
  " due = CASE WHEN cancel_req THEN " now " + state_ttl ELSE NULL END,"                    \
  " lease_owner = NULL, lease_until = NULL"

/* The ends of a delivery and its extension, over a lease match (LEASE_MATCH
 * for the fused role, ID_MATCH for the store role). */
#define ACK_SQL(match)                                                                    \
  "UPDATE OR FAIL tasks SET q = 0, state = ?5,"                                           \
  " lease_owner = NULL, lease_until = NULL, worker = COALESCE(?3, worker),"               \
  " attempt = CASE WHEN ?6 > 0 THEN ?6 ELSE attempt END,"                                 \
  " started_at = CASE WHEN ?7 > 0 THEN ?7 ELSE started_at END, finished_at = ?8,"         \
  " expires_at = ?9, due = ?9, error = ?10, result = ?11" match
#define RETRY_SQL(match)                                                                  \
  "UPDATE OR FAIL tasks SET q = ?5, state = ?6,"                                          \
  " lease_owner = NULL, lease_until = NULL, worker = COALESCE(?3, worker),"               \
  " base_attempt = CASE WHEN ?7 > 0 THEN ?7 ELSE attempt END,"                            \
  " attempt = CASE WHEN ?7 > 0 THEN ?7 ELSE attempt END,"                                 \
  " started_at = CASE WHEN ?12 > 0 THEN ?12 ELSE started_at END,"                         \
  " finished_at = ?8, error = ?9, eta = ?10, payload = COALESCE(?11, payload),"           \
  " due = CASE WHEN ?5 = 2 THEN ?10 END" match
#define DEAD_SQL(match)                                                                   \
  "UPDATE OR FAIL tasks SET q = 4, state = 6,"                                            \
  " lease_owner = NULL, lease_until = NULL, worker = COALESCE(?3, worker),"               \
  " attempt = CASE WHEN ?5 > 0 THEN ?5 ELSE attempt END,"                                 \
  " started_at = CASE WHEN ?6 > 0 THEN ?6 ELSE started_at END,"                           \
  " finished_at = ?7, due = ?7, error = ?8, expires_at = NULL" match
#define RELEASE_SQL(match)                                                                \
  "UPDATE OR FAIL tasks SET" BACK_TO_QUEUE("?5") ", attempt = base_attempt,"              \
  " deliveries = MAX(deliveries - 1, 0)" match
#define EXTEND_SQL(match) "UPDATE OR FAIL tasks SET lease_until = ?5, due = ?5" match \
  " RETURNING cancel_req"

/* Rows of queue position n in the tasks_timer index. The "q <> 1" repeats the
 * index's WHERE clause so the planner may use the partial index. */
#define TIMER(n) "q <> 1 AND q = " #n

static const char *const sql[SQ__COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_INSERT_TASK] =
        "INSERT OR FAIL INTO tasks(id, queue, task, priority, eta, q, state, base_attempt, attempt,"
        " enqueued_at, state_ttl, unique_key, payload, due)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?13)",
    [SQ_FIND_ID] = "SELECT rid, q, expires_at, state, unique_key FROM tasks WHERE id = ?1",
    [SQ_DELETE_RID] = "DELETE FROM tasks WHERE rid = ?1",
    [SQ_UNIQ_GET] = "SELECT id, expires_at FROM uniq WHERE key = ?1",
    [SQ_UNIQ_PUT] = "INSERT OR REPLACE INTO uniq(key, id, expires_at) VALUES(?1, ?2, ?3)",
    [SQ_UNIQ_REFRESH] = "UPDATE uniq SET expires_at = ?3 WHERE key = ?1 AND id = ?2",
    [SQ_UNIQ_DROP] = "DELETE FROM uniq WHERE key = ?1 AND id = ?2",
    /* tasks_timer, q = 2 */
    [SQ_PROMOTE] = "UPDATE OR FAIL tasks SET q = 1, state = 2, due = NULL WHERE rid IN"
                   " (SELECT rid FROM tasks WHERE " TIMER(2) " AND due <= ?1 ORDER BY due"
                   " LIMIT ?2)",
    /* tasks_timer, q = 3 */
    [SQ_REAP] = "UPDATE OR FAIL tasks SET" BACK_TO_QUEUE("?1") " WHERE rid IN"
                " (SELECT rid FROM tasks WHERE " TIMER(3) " AND due <= ?1 LIMIT ?2)",
    /* tasks_ready: one statement leases a whole chunk; RETURNING gives the
     * rows in no promised order, so fetch.c sorts them by the same key. */
    [SQ_LEASE_READY] =
        "UPDATE OR FAIL tasks SET q = 3, state = 3, lease_owner = ?2, lease_until = ?3, due = ?3,"
        " deliveries = deliveries + 1, attempt = base_attempt + 1, worker = ?2, started_at = ?4"
        " WHERE rid IN (SELECT rid FROM tasks WHERE q = 1 AND queue = ?1"
        " ORDER BY priority DESC, eta, rid LIMIT ?5)"
        " RETURNING rid, id, deliveries, payload, priority, eta",
    /* tasks_ready: is anything ready in queue ?1 (read before locking) */
    [SQ_ANY_READY] = "SELECT 1 FROM tasks WHERE q = 1 AND queue = ?1 LIMIT 1",
    [SQ_NEXT_ETA] = "SELECT MIN(due) FROM tasks WHERE " TIMER(2),
    [SQ_NEXT_LEASE] = "SELECT MIN(due) FROM tasks WHERE " TIMER(3),
    [SQ_ACK] = ACK_SQL(LEASE_MATCH),
    [SQ_ACK_DELETE] = "DELETE FROM tasks" LEASE_MATCH,
    [SQ_RETRY] = RETRY_SQL(LEASE_MATCH),
    [SQ_DEAD] = DEAD_SQL(LEASE_MATCH),
    [SQ_RELEASE] = RELEASE_SQL(LEASE_MATCH),
    [SQ_EXTEND] = EXTEND_SQL(LEASE_MATCH),
    /* tasks_timer, q = 0 */
    [SQ_PURGE_TASKS] = "DELETE FROM tasks WHERE rid IN"
                       " (SELECT rid FROM tasks WHERE " TIMER(0) " AND due <= ?1 LIMIT ?2)",
    [SQ_PURGE_UNIQ] = "DELETE FROM uniq WHERE key IN"
                      " (SELECT key FROM uniq WHERE expires_at <= ?1 LIMIT ?2)",
    /* ?4 is the start of the current minute window. All right-hand sides see
     * the old row, so prev_done rolls over before win_done resets. */
    [SQ_COUNT_DONE] =
        "INSERT INTO counters(queue, succeeded, failed, win_start, win_done, prev_done)"
        " VALUES(?1, ?2, ?3, ?4, ?5, 0) ON CONFLICT(queue) DO UPDATE SET"
        " succeeded = succeeded + ?2, failed = failed + ?3,"
        " prev_done = CASE WHEN ?4 > win_start THEN"
        "   (CASE WHEN ?4 - win_start <= 60000000 THEN win_done ELSE 0 END) ELSE prev_done END,"
        " win_done = CASE WHEN ?4 > win_start THEN ?5 ELSE win_done + ?5 END,"
        " win_start = MAX(win_start, ?4)",
    [SQ_STATE_GET] = "SELECT " ORCA__SQ_INFO_COLS ", q FROM tasks WHERE id = ?1",
    [SQ_CANCEL_QUEUED] = "UPDATE OR FAIL tasks SET q = 0, state = 7, finished_at = ?2,"
                         " expires_at = ?2 + state_ttl, due = ?2 + state_ttl"
                         " WHERE id = ?1 AND q IN (1, 2, 5)",
    [SQ_CANCEL_FLAG] = "UPDATE OR FAIL tasks SET cancel_req = 1 WHERE id = ?1 AND q = 3",
    /* tasks_timer, q = 4 (due = when it died) */
    [SQ_DLQ_LIST_Q] = "SELECT " ORCA__SQ_INFO_COLS " FROM tasks WHERE " TIMER(4)
                      " AND queue = ?1 ORDER BY due, rid LIMIT ?2 OFFSET ?3",
    [SQ_DLQ_LIST_ALL] = "SELECT " ORCA__SQ_INFO_COLS " FROM tasks WHERE " TIMER(4)
                        " ORDER BY due, rid LIMIT ?2 OFFSET ?3",
    /* ?4: the position requeued entries take, ready (fused) or waiting due
     * now (store role: `due` hands them to the log). */
    [SQ_DLQ_REQUEUE] = "UPDATE OR FAIL tasks SET q = ?4, state = 2, base_attempt = 0, attempt = 0,"
                       " deliveries = 0, eta = ?3, cancel_req = 0, finished_at = 0,"
                       " due = CASE WHEN ?4 = 2 THEN ?3 END"
                       " WHERE " TIMER(4) " AND (?1 IS NULL OR queue = ?1)"
                       " AND (?2 IS NULL OR id = ?2)",
    [SQ_DLQ_PURGE] = "DELETE FROM tasks"
                     " WHERE " TIMER(4) " AND (?1 IS NULL OR queue = ?1)"
                     " AND (?2 IS NULL OR id = ?2)",
    /* Both halves read only their index ranges, never the state records. */
    [SQ_STATS_COUNTS] = "SELECT queue, 1, COUNT(*) FROM tasks WHERE q = 1 GROUP BY queue"
                        " UNION ALL SELECT queue, q, COUNT(*) FROM tasks"
                        " WHERE q <> 1 AND q IN (2, 3, 4, 5) GROUP BY queue, q",
    [SQ_STATS_COUNTERS] = "SELECT queue, succeeded, failed, win_start, win_done, prev_done"
                          " FROM counters",
    [SQ_SCHED_PUT] = "INSERT OR REPLACE INTO schedules(name, next_fire, paused, spec)"
                     " VALUES(?1, ?2, ?3, ?4)",
    [SQ_SCHED_PUT_IF_ABSENT] = "INSERT OR IGNORE INTO schedules(name, next_fire, paused, spec)"
                               " VALUES(?1, ?2, ?3, ?4)",
    [SQ_SCHED_GET] = "SELECT name, next_fire, paused, spec FROM schedules WHERE name = ?1",
    [SQ_SCHED_LIST] = "SELECT name, next_fire, paused, spec FROM schedules ORDER BY name",
    [SQ_SCHED_REMOVE] = "DELETE FROM schedules WHERE name = ?1",
    [SQ_SCHED_PAUSE] = "UPDATE schedules SET paused = ?2 WHERE name = ?1",
    [SQ_SCHED_FIRE] = "UPDATE schedules SET next_fire = ?3"
                      " WHERE name = ?1 AND next_fire = ?2 AND paused = 0",
    /* ---- store role ---- */
    [SQ_S_HANDED] = "UPDATE OR FAIL tasks SET q = 1, due = NULL WHERE id = ?1 AND q = 5",
    /* A delivery from the log runs when its record is handing or queued, or
     * running under a lease that ran out or may be taken over (?5). */
    [SQ_S_START] =
        "UPDATE OR FAIL tasks SET q = 3, state = 3, lease_owner = ?2, lease_until = ?3, due = ?3,"
        " deliveries = deliveries + 1, attempt = base_attempt + 1, worker = ?2, started_at = ?4"
        " WHERE id = ?1 AND (q IN (1, 5) OR (q = 3 AND cancel_req = 0 AND (?5 OR lease_until <= ?4)))"
        " RETURNING deliveries",
    [SQ_S_START_CANCELLED] = "UPDATE OR FAIL tasks SET" BACK_TO_QUEUE("?3")
                             " WHERE id = ?1 AND q = 3 AND cancel_req AND (?2 OR lease_until <= ?3)",
    [SQ_S_ACK] = ACK_SQL(ID_MATCH),
    [SQ_S_ACK_DELETE] = "DELETE FROM tasks" ID_MATCH,
    [SQ_S_RETRY] = RETRY_SQL(ID_MATCH),
    [SQ_S_DEAD] = DEAD_SQL(ID_MATCH),
    [SQ_S_RELEASE] = RELEASE_SQL(ID_MATCH),
    [SQ_S_EXTEND] = EXTEND_SQL(ID_MATCH),
    /* tasks_timer, q = 3: runs whose store lease ran out wait again, due
     * now (or end cancelled when a cancel was requested). */
    [SQ_S_REAP] = "UPDATE OR FAIL tasks SET q = CASE WHEN cancel_req THEN 0 ELSE 2 END,"
                  " state = CASE WHEN cancel_req THEN 7 ELSE 2 END,"
                  " finished_at = CASE WHEN cancel_req THEN ?1 ELSE finished_at END,"
                  " expires_at = CASE WHEN cancel_req THEN ?1 + state_ttl ELSE NULL END,"
                  " due = CASE WHEN cancel_req THEN ?1 + state_ttl ELSE ?1 END,"
                  " lease_owner = NULL, lease_until = NULL WHERE rid IN"
                  " (SELECT rid FROM tasks WHERE " TIMER(3) " AND due <= ?1 LIMIT ?2)",
    /* tasks_timer, q = 2 and 5: waiting and stale handing rows, earliest
     * first, become handing until ?3. */
    [SQ_S_TAKE_DUE] = "UPDATE OR FAIL tasks SET q = 5, state = 2, due = ?3 WHERE rid IN"
                      " (SELECT rid FROM tasks WHERE q <> 1 AND q IN (2, 5) AND due <= ?1"
                      " ORDER BY due LIMIT ?2)"
                      " RETURNING id, task, queue, priority, base_attempt, payload",
    /* The earliest due of waiting and handing rows, except handing ones
     * due at ?1 (those `due` just handed out: the caller confirms them). */
    [SQ_S_NEXT_DUE] = "SELECT MIN(COALESCE((SELECT MIN(due) FROM tasks WHERE " TIMER(2) "),"
                      " 9223372036854775807), COALESCE((SELECT MIN(due) FROM tasks"
                      " WHERE " TIMER(5) " AND due <> ?1), 9223372036854775807))",
    /* ---- log role: a task is appended once; an id already there stays. */
    [SQ_L_APPEND] = "INSERT OR IGNORE INTO tasks(id, queue, task, priority, eta, q, state,"
                    " enqueued_at, payload) VALUES(?1, ?2, ?3, ?4, ?5, 1, 2, ?5, ?6)",
};

/* clang-format on */

sqlite3_stmt *orca__sq_stmt_get(orca__sqlite *s, orca__sq_stmt k) {
  sqlite3_stmt *st = s->stmts[k];
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  if (sqlite3_prepare_v3(s->db, sql[k], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
    return NULL;
  s->stmts[k] = st;
  return st;
}

void orca__sq_stmt_finalize_all(orca__sqlite *s) {
  for (int i = 0; i < SQ__COUNT; i++) {
    sqlite3_finalize(s->stmts[i]);
    s->stmts[i] = NULL;
  }
}

int orca__sq_map(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_DONE:
  case SQLITE_ROW:
    return 0;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return ORCA_ETIMEDOUT;
  case SQLITE_NOMEM:
    return ORCA_ENOMEM;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_READONLY:
  case SQLITE_PERM:
  case SQLITE_CANTOPEN:
    return ORCA_EIO;
  case SQLITE_INTERRUPT:
    return ORCA_EAGAIN;
  default:
    return ORCA_EBACKEND;
  }
}

int orca__sq_exec_stmt(sqlite3_stmt *st) {
  if (!st)
    return ORCA_EBACKEND;
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : orca__sq_map(rc);
}

int orca__sq_begin(orca__sqlite *s) {
  return orca__sq_exec_stmt(orca__sq_stmt_get(s, SQ_BEGIN));
}

int orca__sq_commit(orca__sqlite *s) {
  int rc = orca__sq_exec_stmt(orca__sq_stmt_get(s, SQ_COMMIT));
  if (rc)
    orca__sq_rollback(s);
  return rc;
}

void orca__sq_rollback(orca__sqlite *s) {
  if (!sqlite3_get_autocommit(s->db))
    orca__sq_exec_stmt(orca__sq_stmt_get(s, SQ_ROLLBACK));
}

void orca__sq_bind_text(sqlite3_stmt *st, int i, const char *v) {
  if (v)
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

void orca__sq_bind_blob(sqlite3_stmt *st, int i, const void *p, size_t n) {
  if (p)
    sqlite3_bind_blob64(st, i, p, n, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, i);
}

void orca__sq_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap) {
  const unsigned char *t = sqlite3_column_text(st, i);
  size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
  if (n >= cap)
    n = cap - 1;
  if (n)
    memcpy(dst, t, n);
  dst[n] = '\0';
}
