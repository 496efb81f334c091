/* log.c — the SQLite log (log.h): a tasks table that holds only entries
 * waiting or leased. append inserts ready rows (an id already in the log
 * stays as it is), fetch is fetch.c's leasing with refs "RID.DELIVERIES",
 * complete and extend are complete.c's. */
#include "backend/sqlite/sqlite_internal.h"

#include <string.h>

int orca__sq_append(orca__log *l, const orca__job *jobs, size_t n) {
  orca__sqlite *s = orca__sq_of_log(l);
  if (n == 0)
    return 0;
  if (!jobs)
    return ORCA_EINVAL;
  int64_t now = orca__sq_now(s);
  int rc = orca__sq_begin(s);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const orca__job *j = &jobs[i];
    if (!j->id || !j->queue || strlen(j->id) >= ORCA_ID_MAX || strlen(j->queue) >= ORCA_NAME_MAX) {
      rc = ORCA_EINVAL;
      break;
    }
    sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_L_APPEND);
    if (!st) {
      rc = ORCA_EBACKEND;
      break;
    }
    sqlite3_bind_text(st, 1, j->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, j->queue, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, j->task ? j->task : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, j->priority);
    sqlite3_bind_int64(st, 5, now);
    if (sqlite3_bind_blob64(st, 6, j->payload ? (const void *)j->payload : "", j->payload_len,
                            SQLITE_STATIC) != SQLITE_OK) {
      sqlite3_reset(st);
      rc = ORCA_ELIMIT;
      break;
    }
    rc = orca__sq_exec_stmt(st);
  }
  if (rc) {
    orca__sq_rollback(s);
    return rc;
  }
  if ((rc = orca__sq_commit(s)))
    return rc;
  orca__sq_notify_signal(s);
  return 0;
}
