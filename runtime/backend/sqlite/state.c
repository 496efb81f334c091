/* state.c — the StateKeeper side of the SQLite backend: reading a task's
 * record, waiting for it to end, and cancelling.
 *
 * A task row is its own state record, so the state always moves in the same
 * transaction as the queue position. Records whose expires_at has passed are
 * treated as gone even before the lazy purge (complete.c) deletes them. */
#include "backend/sqlite/sqlite_internal.h"
#include "statekeeper/record.h"

#include <string.h>

int orca__sq_fill_info(sqlite3_stmt *st, orca_task_info *info) {
  orca__sq_col_text(st, 0, info->id, sizeof info->id);
  orca__sq_col_text(st, 1, info->task, sizeof info->task);
  orca__sq_col_text(st, 2, info->queue, sizeof info->queue);
  orca__sq_col_text(st, 3, info->worker, sizeof info->worker);
  info->state = (orca_state)sqlite3_column_int(st, 4);
  info->attempt = (uint32_t)sqlite3_column_int64(st, 5);
  info->priority = sqlite3_column_int(st, 6);
  info->enqueued_us = sqlite3_column_int64(st, 7);
  info->eta_us = sqlite3_column_int64(st, 8);
  info->started_us = sqlite3_column_int64(st, 9);
  info->finished_us = sqlite3_column_int64(st, 10);
  info->expires_us = sqlite3_column_int64(st, 11); /* NULL reads as 0 */
  orca__sq_col_text(st, 12, info->error, sizeof info->error);
  const void *r = sqlite3_column_blob(st, 13);
  int rlen = sqlite3_column_bytes(st, 13);
  if (rlen > 0 && orca_buf_append(&info->result, r, (size_t)rlen))
    return ORCA_ENOMEM;
  info->deliveries = (uint32_t)sqlite3_column_int64(st, 15);
  /* The row keeps the whole envelope; info.args is only its arguments. */
  const uint8_t *p = sqlite3_column_blob(st, 14);
  int plen = sqlite3_column_bytes(st, 14);
  if (plen > 0 && orca__record_args(p, (size_t)plen, &info->args) == ORCA_ENOMEM)
    return ORCA_ENOMEM;
  return 0;
}

int orca__sq_state_get(orca__store *st_, const char *id, orca_task_info *info) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!id || !info)
    return ORCA_EINVAL;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_STATE_GET);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? ORCA_ENOTFOUND : orca__sq_map(rc);
  }
  int q = sqlite3_column_int(st, 16);
  if (q == ORCA__Q_NONE && sqlite3_column_type(st, 11) != SQLITE_NULL &&
      sqlite3_column_int64(st, 11) <= orca__sq_now(s)) {
    sqlite3_reset(st);
    return ORCA_ENOTFOUND;
  }
  rc = orca__sq_fill_info(st, info);
  sqlite3_reset(st);
  return rc;
}

int orca__sq_state_wait(orca__store *st, const char *id, int64_t timeout_us, orca_task_info *info) {
  orca__sqlite *s = orca__sq_of_store(st);
  if (!id || !info)
    return ORCA_EINVAL;
  int64_t deadline = orca_monotonic_us() + (timeout_us > 0 ? timeout_us : 0);
  size_t rlen = info->result.len, alen = info->args.len;
  for (;;) {
    orca__sq_notify_drain(s);
    info->result.len = rlen; /* each read appends afresh */
    info->args.len = alen;
    int rc = orca__sq_state_get(st, id, info);
    if (rc)
      return rc;
    if (orca_state_is_final(info->state))
      return 0;
    if (orca_monotonic_us() >= deadline)
      return ORCA_ETIMEDOUT;
    if (orca__sq_notify_wait(s, deadline))
      return ORCA_EAGAIN;
  }
}

int orca__sq_cancel(orca__store *st_, const char *id) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!id)
    return ORCA_EINVAL;
  int64_t now = orca__sq_now(s);
  int rc = orca__sq_begin(s);
  if (rc)
    return rc;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_FIND_ID);
  if (!st) {
    orca__sq_rollback(s);
    return ORCA_EBACKEND;
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_reset(st);
    orca__sq_rollback(s);
    return rc == SQLITE_DONE ? ORCA_ENOTFOUND : orca__sq_map(rc);
  }
  int q = sqlite3_column_int(st, 1);
  int gone = q == ORCA__Q_NONE && sqlite3_column_type(st, 2) != SQLITE_NULL &&
             sqlite3_column_int64(st, 2) <= now;
  char key[ORCA_NAME_MAX * 2];
  orca__sq_col_text(st, 4, key, sizeof key);
  int has_key = sqlite3_column_type(st, 4) != SQLITE_NULL;
  sqlite3_reset(st);
  int result = 0, signal = 0;
  if (gone) {
    result = ORCA_ENOTFOUND;
  } else if (q == ORCA__Q_READY || q == ORCA__Q_DEFERRED || q == ORCA__Q_HANDOFF) {
    st = orca__sq_stmt_get(s, SQ_CANCEL_QUEUED);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    result = orca__sq_exec_stmt(st);
    if (result == 0 && has_key) {
      st = orca__sq_stmt_get(s, SQ_UNIQ_DROP);
      sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
      result = orca__sq_exec_stmt(st);
    }
    signal = 1;
  } else if (q == ORCA__Q_LEASED) {
    st = orca__sq_stmt_get(s, SQ_CANCEL_FLAG);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    result = orca__sq_exec_stmt(st);
  } else {
    result = ORCA_ESTATE;
  }
  if (result && result != ORCA_ENOTFOUND && result != ORCA_ESTATE) {
    orca__sq_rollback(s);
    return result;
  }
  if ((rc = orca__sq_commit(s)))
    return rc;
  if (signal)
    orca__sq_notify_signal(s);
  return result;
}
