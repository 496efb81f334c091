/* schema.c — the tables and indexes of the SQLite backend, and their
 * migrations (PRAGMA user_version).
 *
 * One table holds every task from enqueue to the expiry of its state record:
 * the column q says where the row is (ready, deferred, leased, dead, or just a
 * record), and each queue position has a partial index shaped for the query
 * that reads it, so fetch never scans deferred tasks, running tasks or old
 * records. docs/sqlite.md documents every column. */
#include "backend/sqlite/sqlite_internal.h"

#define ORCA__SQ_SCHEMA_VERSION 1

/* clang-format off */
/* Version 1. Times are µs since the epoch (the backend's clock). */
static const char *const schema_v1 =
    "CREATE TABLE IF NOT EXISTS tasks ("
    " rid INTEGER PRIMARY KEY,"      /* row id: FIFO tie-break and lease ref */
    " id TEXT NOT NULL UNIQUE,"
    " queue TEXT NOT NULL,"
    " task TEXT NOT NULL DEFAULT '',"
    " priority INTEGER NOT NULL DEFAULT 0,"
    " eta INTEGER NOT NULL,"         /* due time */
    " q INTEGER NOT NULL,"           /* queue position (ORCA__Q_*) */
    " state INTEGER NOT NULL,"       /* orca_state */
    " base_attempt INTEGER NOT NULL DEFAULT 0," /* attempts before this queue entry */
    " attempt INTEGER NOT NULL DEFAULT 0,"      /* attempts started so far */
    " deliveries INTEGER NOT NULL DEFAULT 0,"
    " lease_owner TEXT,"
    " lease_until INTEGER,"
    " cancel_req INTEGER NOT NULL DEFAULT 0,"
    " worker TEXT,"                  /* last worker that ran it */
    " enqueued_at INTEGER NOT NULL,"
    " started_at INTEGER NOT NULL DEFAULT 0,"
    " finished_at INTEGER NOT NULL DEFAULT 0,"
    " expires_at INTEGER,"           /* record expiry (q = 0 only) */
    " state_ttl INTEGER NOT NULL DEFAULT 0,"
    " unique_key TEXT,"
    " error TEXT,"
    " result BLOB,"
    " payload BLOB,"
    " due INTEGER);"                 /* the time that matters for q (tasks_timer) */
    "CREATE INDEX IF NOT EXISTS tasks_ready ON tasks(queue, priority DESC, eta, rid) WHERE q = 1;"
    /* One index serves every timer-like question: deferred etas (q = 2),
     * lease expiries (3), record expiries (0) and the dead-letter order (4).
     * Fewer indexes means less work per state change on the hot path. */
    "CREATE INDEX IF NOT EXISTS tasks_timer ON tasks(q, due) WHERE q <> 1;"
    "CREATE TABLE IF NOT EXISTS uniq ("
    " key TEXT PRIMARY KEY, id TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS uniq_expiry ON uniq(expires_at);"
    "CREATE TABLE IF NOT EXISTS schedules ("
    " name TEXT PRIMARY KEY, next_fire INTEGER NOT NULL, paused INTEGER NOT NULL DEFAULT 0,"
    " spec BLOB) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS counters ("
    " queue TEXT PRIMARY KEY, succeeded INTEGER NOT NULL DEFAULT 0,"
    " failed INTEGER NOT NULL DEFAULT 0,"
    " win_start INTEGER NOT NULL DEFAULT 0," /* start of the current minute window */
    " win_done INTEGER NOT NULL DEFAULT 0,"  /* completions in it */
    " prev_done INTEGER NOT NULL DEFAULT 0"  /* completions in the minute before */
    ") WITHOUT ROWID;";

/* clang-format on */

static int fail(orca__sqlite *s, orca_err *err, const char *what) {
  int rc = sqlite3_extended_errcode(s->db);
  int code = orca__sq_map(rc);
  if (rc == SQLITE_NOTADB)
    return orca_err_set(err, ORCA_EIO, "sqlite: '%s' is not an SQLite database (%s)", s->path,
                        what);
  if ((rc & 0xff) == SQLITE_CORRUPT)
    return orca_err_set(err, ORCA_EIO, "sqlite: database '%s' is corrupt (%s: %s)", s->path, what,
                        sqlite3_errmsg(s->db));
  if ((rc & 0xff) == SQLITE_BUSY)
    return orca_err_set(err, ORCA_ETIMEDOUT,
                        "sqlite: database '%s' stayed locked by another process (%s)", s->path,
                        what);
  return orca_err_set(err, code == ORCA_EBACKEND ? ORCA_EIO : code, "sqlite: %s on '%s': %s", what,
                      s->path, sqlite3_errmsg(s->db));
}

static int user_version(orca__sqlite *s, int *v) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
    return -1;
  int rc = sqlite3_step(st);
  *v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 0 : -1;
}

int orca__sq_schema_init(orca__sqlite *s, orca_err *err) {
  /* journal_mode=WAL is persistent in the file; setting it needs the write
   * lock briefly, which busy_timeout waits for. */
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
    return fail(s, err, "reading the database header");
  int rc = sqlite3_step(st);
  const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
  int wal = mode && sqlite3_stricmp(mode, "wal") == 0;
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return fail(s, err, "switching to WAL mode");
  if (!wal)
    return orca_err_set(err, ORCA_EIO,
                        "sqlite: cannot use WAL mode on '%s' (journal mode stays '%s'); the "
                        "file system must support shared memory",
                        s->path, mode ? mode : "?");
  int v;
  if (user_version(s, &v))
    return fail(s, err, "reading the schema version");
  if (v == ORCA__SQ_SCHEMA_VERSION)
    return 0;
  if (v > ORCA__SQ_SCHEMA_VERSION)
    return orca_err_set(err, ORCA_EIO,
                        "sqlite: '%s' has schema version %d, newer than this liborca (%d)", s->path,
                        v, ORCA__SQ_SCHEMA_VERSION);
  if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return fail(s, err, "locking the database to create the schema");
  /* Another process may have created it while we waited for the lock. */
  if (user_version(s, &v)) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return fail(s, err, "reading the schema version");
  }
  if (v == 0) {
    if (sqlite3_exec(s->db, schema_v1, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "PRAGMA user_version=1", NULL, NULL, NULL) != SQLITE_OK) {
      int code = fail(s, err, "creating the schema");
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      return code;
    }
  }
  if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    int code = fail(s, err, "committing the schema");
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return code;
  }
  return 0;
}
