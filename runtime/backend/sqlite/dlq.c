/* dlq.c — the dead-letter queue: tasks rows with q = 4 (tasks_dead index),
 * kept with their last error until an operator requeues or purges them. */
#include "backend/sqlite/sqlite_internal.h"

int orca__sq_dlq_list(orca__store *st_, const char *queue, size_t offset, size_t limit,
                      orca__info_cb cb, void *ud) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!cb)
    return ORCA_EINVAL;
  sqlite3_stmt *st = orca__sq_stmt_get(s, queue ? SQ_DLQ_LIST_Q : SQ_DLQ_LIST_ALL);
  if (!st)
    return ORCA_EBACKEND;
  if (queue)
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
  sqlite3_bind_int64(st, 3, offset > INT64_MAX ? INT64_MAX : (int64_t)offset);
  /* One info reused across rows; its buffers keep their memory. */
  orca_task_info info = {0};
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    orca_buf_reset(&info.result);
    orca_buf_reset(&info.args);
    if ((out = orca__sq_fill_info(st, &info)) || cb(ud, &info))
      break;
  }
  sqlite3_reset(st);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  if (out)
    return out;
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : orca__sq_map(rc);
}

/* Run requeue or purge over the matching dead rows in one transaction. */
static int dlq_change(orca__sqlite *s, orca__sq_stmt k, const char *queue, const char *id,
                      size_t *count) {
  int64_t now = orca__sq_now(s);
  int rc = orca__sq_begin(s);
  if (rc)
    return rc;
  sqlite3_stmt *st = orca__sq_stmt_get(s, k);
  if (!st) {
    orca__sq_rollback(s);
    return ORCA_EBACKEND;
  }
  orca__sq_bind_text(st, 1, queue);
  orca__sq_bind_text(st, 2, id);
  if (k == SQ_DLQ_REQUEUE) {
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int(st, 4, s->role == ORCA__SQ_STORE ? ORCA__Q_DEFERRED : ORCA__Q_READY);
  }
  if ((rc = orca__sq_exec_stmt(st))) {
    orca__sq_rollback(s);
    return rc;
  }
  size_t n = (size_t)sqlite3_changes(s->db);
  if ((rc = orca__sq_commit(s)))
    return rc;
  if (count)
    *count = n;
  if (n && k == SQ_DLQ_REQUEUE)
    orca__sq_notify_signal(s);
  return 0;
}

int orca__sq_dlq_requeue(orca__backend *b, const char *queue, const char *id, size_t *count) {
  return dlq_change((orca__sqlite *)b, SQ_DLQ_REQUEUE, queue, id, count);
}

int orca__sq_store_dlq_requeue(orca__store *st, const char *queue, const char *id, size_t *count) {
  return dlq_change(orca__sq_of_store(st), SQ_DLQ_REQUEUE, queue, id, count);
}

int orca__sq_dlq_purge(orca__store *st, const char *queue, const char *id, size_t *count) {
  return dlq_change(orca__sq_of_store(st), SQ_DLQ_PURGE, queue, id, count);
}
