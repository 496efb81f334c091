/* tasks.c — task records listed by state (orca_task_list): each state is
 * read where its rows are, through the index of that queue position (q):
 * pending rows (q = 1) in fetch order from tasks_ready; scheduled and failed
 * (q = 2), running (3) and dead (4) rows by due time from tasks_timer; ended
 * records (q = 0) latest expiry first from the same index, skipping those
 * whose expiry has passed (they are gone, as for state_get). */
#include "backend/sqlite/sqlite_internal.h"

int orca__sq_each_info(sqlite3_stmt *st, orca__info_cb cb, void *ud) {
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

int orca__sq_task_list(orca__store *st_, orca_state state, const char *queue, size_t offset,
                       size_t limit, orca__info_cb cb, void *ud) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!cb)
    return ORCA_EINVAL;
  orca__sq_stmt k;
  int q = ORCA__Q_NONE;
  switch (state) {
  case ORCA_STATE_PENDING:
    k = SQ_LIST_READY;
    break;
  case ORCA_STATE_SCHEDULED:
  case ORCA_STATE_FAILED:
    k = SQ_LIST_QUEUED;
    q = ORCA__Q_DEFERRED;
    break;
  case ORCA_STATE_RUNNING:
    k = SQ_LIST_QUEUED;
    q = ORCA__Q_LEASED;
    break;
  case ORCA_STATE_DEAD:
    k = SQ_LIST_QUEUED;
    q = ORCA__Q_DEAD;
    break;
  case ORCA_STATE_SUCCEEDED:
  case ORCA_STATE_CANCELLED:
  case ORCA_STATE_EXPIRED:
    k = SQ_LIST_ENDED;
    break;
  default:
    return ORCA_EINVAL;
  }
  sqlite3_stmt *st = orca__sq_stmt_get(s, k);
  if (!st)
    return ORCA_EBACKEND;
  orca__sq_bind_text(st, 1, queue);
  sqlite3_bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
  sqlite3_bind_int64(st, 3, offset > INT64_MAX ? INT64_MAX : (int64_t)offset);
  if (k == SQ_LIST_QUEUED)
    sqlite3_bind_int(st, 4, q);
  else if (k == SQ_LIST_ENDED)
    sqlite3_bind_int64(st, 4, orca__sq_now(s));
  if (k != SQ_LIST_READY)
    sqlite3_bind_int(st, 5, (int)state);
  return orca__sq_each_info(st, cb, ud);
}
