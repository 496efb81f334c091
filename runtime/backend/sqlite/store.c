/* store.c — the SQLite store's steps beside a separate log (store.h):
 * handed, start and due. admit is enqueue.c's batch insert (a ready task
 * is inserted handing), finish and renew are complete.c's statements matched
 * by id.
 *
 * In the store role the tasks table holds the records: q = ORCA__Q_HANDOFF
 * (admitted, on its way to the log, due = end of the handoff window),
 * ORCA__Q_READY (the log has it), ORCA__Q_LEASED (running under the store's
 * lease), ORCA__Q_DEFERRED (waiting), ORCA__Q_DEAD and ended records, as in
 * the fused role. Each call is one transaction. */
#include "backend/sqlite/sqlite_internal.h"

#include <string.h>

int orca__sq_handed(orca__store *st_, const orca__job *jobs, size_t n) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (n == 0)
    return 0;
  if (!jobs)
    return ORCA_EINVAL;
  int rc = orca__sq_begin(s);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_S_HANDED);
    if (!st) {
      rc = ORCA_EBACKEND;
      break;
    }
    sqlite3_bind_text(st, 1, jobs[i].id, -1, SQLITE_STATIC);
    rc = orca__sq_exec_stmt(st);
  }
  if (rc) {
    orca__sq_rollback(s);
    return rc;
  }
  return orca__sq_commit(s);
}

/* Decide one delivery inside the transaction: status 0 (started) or
 * ORCA_ESTATE (a leftover). Returns 0 or an error. */
static int start_one(orca__sqlite *s, orca__lease *l, const char *worker, int64_t now,
                     int64_t until, bool takeover, int *status) {
  *status = ORCA_ESTATE;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_S_START);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, l->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, worker, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, until);
  sqlite3_bind_int64(st, 4, now);
  sqlite3_bind_int(st, 5, takeover);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    l->deliveries = (uint32_t)sqlite3_column_int64(st, 0);
    if (l->lease_until_us > until)
      l->lease_until_us = until;
    *status = 0;
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return orca__sq_map(rc);
  if (*status == 0)
    return 0;
  /* Not started: a running record flagged for cancel that this delivery
   * could have taken over ends cancelled. */
  if (!(st = orca__sq_stmt_get(s, SQ_S_START_CANCELLED)))
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, l->id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, takeover);
  sqlite3_bind_int64(st, 3, now);
  return orca__sq_exec_stmt(st);
}

int orca__sq_start(orca__store *st_, orca__lease *const *leases, size_t n, const char *worker,
                   int64_t lease_us, bool takeover, int *status) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (n == 0)
    return 0;
  if (!leases || !status || !worker)
    return ORCA_EINVAL;
  int64_t now = orca__sq_now(s);
  int rc = orca__sq_begin(s);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = start_one(s, leases[i], worker, now, now + lease_us, takeover, &status[i]);
  if (rc) {
    orca__sq_rollback(s);
    return rc;
  }
  return orca__sq_commit(s);
}

/* Earliest due time of waiting and handing records, but for handing ones
 * due exactly at handed_until (just handed out), and with reclaim of
 * running ones (INT64_MAX: none). */
static int next_due(orca__sqlite *s, bool reclaim, int64_t handed_until, int64_t *out) {
  *out = INT64_MAX;
  orca__sq_stmt ks[2] = {SQ_S_NEXT_DUE, SQ_NEXT_LEASE};
  for (size_t i = 0; i < (reclaim ? 2u : 1u); i++) {
    sqlite3_stmt *st = orca__sq_stmt_get(s, ks[i]);
    if (!st)
      return ORCA_EBACKEND;
    if (ks[i] == SQ_S_NEXT_DUE)
      sqlite3_bind_int64(st, 1, handed_until);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      int64_t v = sqlite3_column_int64(st, 0);
      if (v < *out)
        *out = v;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return orca__sq_map(rc);
  }
  return 0;
}

/* Hand out the due rows of one SQ_S_TAKE_DUE to cb. Returns the count,
 * ORCA_ENOMEM when cb refused one, or an error. */
static int take_due(orca__sqlite *s, int64_t now, size_t max, orca__job_cb cb, void *ud) {
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_S_TAKE_DUE);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int64(st, 2, max > INT32_MAX ? INT32_MAX : (int64_t)max);
  sqlite3_bind_int64(st, 3, now + ORCA__HANDOFF_US);
  int moved = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    orca__job j = {
        .id = (const char *)sqlite3_column_text(st, 0),
        .task = (const char *)sqlite3_column_text(st, 1),
        .queue = (const char *)sqlite3_column_text(st, 2),
        .priority = sqlite3_column_int(st, 3),
        .attempt = (uint32_t)sqlite3_column_int64(st, 4),
        .payload = sqlite3_column_blob(st, 5),
        .payload_len = (size_t)sqlite3_column_bytes(st, 5),
        .eta_us = now,
    };
    if (!j.id || !j.queue || cb(ud, &j)) {
      sqlite3_reset(st);
      return ORCA_ENOMEM;
    }
    moved++;
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? moved : orca__sq_map(rc);
}

int orca__sq_due(orca__store *st_, int64_t now_us, size_t max, bool reclaim, orca__job_cb cb,
                 void *ud, int64_t *next_due_us) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!cb)
    return ORCA_EINVAL;
  /* Called about once a second on every node: look before taking the
   * write lock. */
  int64_t next;
  int rc = next_due(s, reclaim, INT64_MIN, &next);
  if (rc)
    return rc;
  if (next > now_us || max == 0) {
    if (next_due_us)
      *next_due_us = next;
    return 0;
  }
  if ((rc = orca__sq_begin(s)))
    return rc;
  if (reclaim) {
    sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_S_REAP);
    if (!st) {
      orca__sq_rollback(s);
      return ORCA_EBACKEND;
    }
    sqlite3_bind_int64(st, 1, now_us);
    sqlite3_bind_int64(st, 2, max > INT32_MAX ? INT32_MAX : (int64_t)max);
    if ((rc = orca__sq_exec_stmt(st))) {
      orca__sq_rollback(s);
      return rc;
    }
  }
  int moved = take_due(s, now_us, max, cb, ud);
  if (moved < 0) {
    orca__sq_rollback(s);
    return moved;
  }
  if ((rc = orca__sq_commit(s)))
    return rc;
  if ((rc = next_due(s, reclaim, now_us + ORCA__HANDOFF_US, &next)))
    return rc;
  if (next_due_us)
    *next_due_us = next;
  return moved;
}
