/* enqueue.c — storing new tasks: one transaction per batch, duplicate ids and
 * held unique keys answered with EDUPLICATE and the holder's id.
 *
 * orca__sq_insert_job is the one place a task row is created; schedule fire
 * and the store role's admit use it too, so every new task obeys the same
 * duplicate rules. In the store role a ready task is not fetchable here: it
 * is handing (ORCA__Q_HANDOFF) until the composition confirms that the log
 * has it (store.c). */
#include "backend/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

static void copy_id(char dst[ORCA_ID_MAX], const unsigned char *src, int n) {
  size_t len = src && n > 0 ? (size_t)n : 0;
  if (len >= ORCA_ID_MAX)
    len = ORCA_ID_MAX - 1;
  if (len)
    memcpy(dst, src, len);
  dst[len] = '\0';
}

/* The holder of key if it is still held at now, in holder[]. Returns 1 when
 * held, 0 when free, or ORCA_E*. */
static int unique_held(orca__sqlite *s, const char *key, int64_t now, char holder[ORCA_ID_MAX]) {
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_UNIQ_GET);
  if (!st)
    return ORCA_EBACKEND;
  orca__sq_bind_text(st, 1, key);
  int rc = sqlite3_step(st);
  int held = 0;
  if (rc == SQLITE_ROW && sqlite3_column_int64(st, 1) > now) {
    copy_id(holder, sqlite3_column_text(st, 0), sqlite3_column_bytes(st, 0));
    held = 1;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return orca__sq_map(rc);
  return held;
}

/* After an id conflict: delete the old row when it is an expired record and
 * return 0 (insert again), or return ORCA_EDUPLICATE. */
static int clear_expired_id(orca__sqlite *s, const char *id, int64_t now) {
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_FIND_ID);
  if (!st)
    return ORCA_EBACKEND;
  orca__sq_bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? ORCA_EDUPLICATE : orca__sq_map(rc);
  }
  int64_t rid = sqlite3_column_int64(st, 0);
  int q = sqlite3_column_int(st, 1);
  int expired = q == ORCA__Q_NONE && sqlite3_column_type(st, 2) != SQLITE_NULL &&
                sqlite3_column_int64(st, 2) <= now;
  sqlite3_reset(st);
  if (!expired)
    return ORCA_EDUPLICATE;
  st = orca__sq_stmt_get(s, SQ_DELETE_RID);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_int64(st, 1, rid);
  return orca__sq_exec_stmt(st);
}

static int insert_row(orca__sqlite *s, const orca__job *j, int64_t now) {
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_INSERT_TASK);
  if (!st)
    return ORCA_EBACKEND;
  int64_t eta = j->eta_us > 0 ? j->eta_us : now;
  int deferred = eta > now;
  int q = deferred ? ORCA__Q_DEFERRED : s->role == ORCA__SQ_STORE ? ORCA__Q_HANDOFF : ORCA__Q_READY;
  sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, j->queue, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, j->task ? j->task : "", -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, j->priority);
  sqlite3_bind_int64(st, 5, eta);
  sqlite3_bind_int(st, 6, q);
  sqlite3_bind_int(st, 7, deferred ? ORCA_STATE_SCHEDULED : ORCA_STATE_PENDING);
  sqlite3_bind_int64(st, 8, j->attempt);
  sqlite3_bind_int64(st, 9, now);
  sqlite3_bind_int64(st, 10, j->state_ttl_us > 0 ? j->state_ttl_us : 0);
  orca__sq_bind_text(st, 11, j->unique_key);
  if (sqlite3_bind_blob64(st, 12, j->payload ? (const void *)j->payload : "", j->payload_len,
                          SQLITE_STATIC) != SQLITE_OK)
    return ORCA_ELIMIT; /* larger than SQLite's blob limit (1 GB by default) */
  if (q == ORCA__Q_DEFERRED)
    sqlite3_bind_int64(st, 13, eta);
  else if (q == ORCA__Q_HANDOFF)
    sqlite3_bind_int64(st, 13, now + ORCA__HANDOFF_US);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return 0;
  if ((rc & 0xff) == SQLITE_CONSTRAINT)
    return ORCA_EDUPLICATE;
  return orca__sq_map(rc);
}

int orca__sq_insert_job(orca__sqlite *s, const orca__job *j, int64_t now,
                        char existing[ORCA_ID_MAX]) {
  existing[0] = '\0';
  if (!j->id || !*j->id || strlen(j->id) >= ORCA_ID_MAX || !j->queue || !*j->queue ||
      strlen(j->queue) >= ORCA_NAME_MAX || (j->task && strlen(j->task) >= ORCA_NAME_MAX) ||
      (!j->payload && j->payload_len))
    return ORCA_EINVAL;
  if (j->unique_key) {
    int held = unique_held(s, j->unique_key, now, existing);
    if (held < 0)
      return held;
    if (held)
      return ORCA_EDUPLICATE;
  }
  int rc = insert_row(s, j, now);
  if (rc == ORCA_EDUPLICATE) {
    rc = clear_expired_id(s, j->id, now);
    if (rc == 0)
      rc = insert_row(s, j, now);
    if (rc == ORCA_EDUPLICATE) {
      snprintf(existing, ORCA_ID_MAX, "%s", j->id);
      return rc;
    }
  }
  if (rc)
    return rc;
  if (j->unique_key) {
    sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_UNIQ_PUT);
    if (!st)
      return ORCA_EBACKEND;
    orca__sq_bind_text(st, 1, j->unique_key);
    orca__sq_bind_text(st, 2, j->id);
    /* ttl 0: held until a completion drops or refreshes it. */
    sqlite3_bind_int64(st, 3, j->unique_ttl_us > 0 ? now + j->unique_ttl_us : INT64_MAX);
    rc = orca__sq_exec_stmt(st);
  }
  return rc;
}

int orca__sq_insert_batch(orca__sqlite *s, const orca__job *jobs, size_t n,
                          orca__enqueue_result *res) {
  if (n == 0)
    return 0;
  if (!jobs || !res)
    return ORCA_EINVAL;
  int64_t now = orca__sq_now(s);
  int rc = orca__sq_begin(s);
  if (rc)
    return rc;
  size_t stored = 0;
  for (size_t i = 0; i < n; i++) {
    int r = orca__sq_insert_job(s, &jobs[i], now, res[i].existing_id);
    if (r && r != ORCA_EDUPLICATE && r != ORCA_EINVAL && r != ORCA_ELIMIT) {
      orca__sq_rollback(s);
      return r;
    }
    res[i].status = r;
    stored += r == 0;
  }
  rc = orca__sq_commit(s);
  if (rc)
    return rc;
  if (stored)
    orca__sq_notify_signal(s);
  return 0;
}

int orca__sq_enqueue(orca__backend *b, const orca__job *jobs, size_t n, orca__enqueue_result *res) {
  return orca__sq_insert_batch((orca__sqlite *)b, jobs, n, res);
}

int orca__sq_admit(orca__store *st, const orca__job *jobs, size_t n, orca__enqueue_result *res) {
  return orca__sq_insert_batch(orca__sq_of_store(st), jobs, n, res);
}
