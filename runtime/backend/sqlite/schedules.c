/* schedules.c — the TimeKeeper's schedule store. fire is the exactly-once
 * step: the compare-and-set of next_fire and the enqueue of the fire's jobs
 * commit together, so two processes racing on one fire produce one job. */
#include "backend/sqlite/sqlite_internal.h"

#include <string.h>

static int valid_name(const char *name) {
  return name && *name && strlen(name) < ORCA_NAME_MAX;
}

int orca__sq_schedule_put(orca__store *st_, const orca__schedule_rec *rec, bool if_absent) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!rec || !valid_name(rec->name))
    return ORCA_EINVAL;
  sqlite3_stmt *st = orca__sq_stmt_get(s, if_absent ? SQ_SCHED_PUT_IF_ABSENT : SQ_SCHED_PUT);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, rec->name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, rec->next_fire_us);
  sqlite3_bind_int(st, 3, rec->paused ? 1 : 0);
  sqlite3_bind_blob64(st, 4, rec->spec.len ? (const void *)rec->spec.data : "", rec->spec.len,
                      SQLITE_STATIC);
  int rc = orca__sq_exec_stmt(st);
  if (rc)
    return rc;
  return if_absent && sqlite3_changes(s->db) == 0 ? ORCA_EDUPLICATE : 0;
}

/* Copy the current row of a SQ_SCHED_GET/LIST statement into rec (spec is
 * replaced, its memory reused). */
static int fill_rec(sqlite3_stmt *st, orca__schedule_rec *rec) {
  orca__sq_col_text(st, 0, rec->name, sizeof rec->name);
  rec->next_fire_us = sqlite3_column_int64(st, 1);
  rec->paused = sqlite3_column_int(st, 2) != 0;
  orca_buf_reset(&rec->spec);
  const void *p = sqlite3_column_blob(st, 3);
  int len = sqlite3_column_bytes(st, 3);
  return len > 0 ? orca_buf_append(&rec->spec, p, (size_t)len) : 0;
}

int orca__sq_schedule_get(orca__store *st_, const char *name, orca__schedule_rec *rec) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!name || !rec)
    return ORCA_EINVAL;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_SCHED_GET);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int out = rc == SQLITE_ROW    ? fill_rec(st, rec)
            : rc == SQLITE_DONE ? ORCA_ENOTFOUND
                                : orca__sq_map(rc);
  sqlite3_reset(st);
  return out;
}

int orca__sq_schedule_list(orca__store *st_, orca__schedule_cb cb, void *ud) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!cb)
    return ORCA_EINVAL;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_SCHED_LIST);
  if (!st)
    return ORCA_EBACKEND;
  orca__schedule_rec rec = {.spec = ORCA_BUF_INIT};
  int rc, out = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if ((out = fill_rec(st, &rec)) || cb(ud, &rec))
      break;
  sqlite3_reset(st);
  orca_buf_free(&rec.spec);
  if (out)
    return out;
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : orca__sq_map(rc);
}

/* Run a single-row schedule statement; ENOTFOUND when no row matched. */
static int sched_change(orca__sqlite *s, sqlite3_stmt *st) {
  int rc = orca__sq_exec_stmt(st);
  if (rc)
    return rc;
  return sqlite3_changes(s->db) ? 0 : ORCA_ENOTFOUND;
}

int orca__sq_schedule_remove(orca__store *st_, const char *name) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!name)
    return ORCA_EINVAL;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_SCHED_REMOVE);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  return sched_change(s, st);
}

int orca__sq_schedule_pause(orca__store *st_, const char *name, bool paused) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!name)
    return ORCA_EINVAL;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_SCHED_PAUSE);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, paused ? 1 : 0);
  return sched_change(s, st);
}

int orca__sq_schedule_peek(orca__sqlite *s, const char *name, int64_t *next_fire_us, bool *paused) {
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_SCHED_GET);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *next_fire_us = sqlite3_column_int64(st, 1);
    *paused = sqlite3_column_int(st, 2) != 0;
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ORCA_ENOTFOUND : orca__sq_map(rc);
}

/* The fire step for either role: the compare-and-set and the fire's jobs
 * (res[i] per job when res is not NULL) in one transaction. */
static int fire(orca__sqlite *s, const char *name, int64_t expected_us, int64_t next_us,
                const orca__job *jobs, size_t njobs, orca__enqueue_result *res) {
  if (!name || (njobs && !jobs))
    return ORCA_EINVAL;
  int64_t now = orca__sq_now(s);
  /* Every node tries every fire at the same instant and all but one lose:
   * a plain read tells the losers without taking the write lock. The
   * compare-and-set below stays the authority. */
  int64_t stored;
  bool paused;
  int rc = orca__sq_schedule_peek(s, name, &stored, &paused);
  if (rc)
    return rc;
  if (stored != expected_us || paused)
    return ORCA_ECONFLICT;
  rc = orca__sq_begin(s);
  if (rc)
    return rc;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_SCHED_FIRE);
  if (!st) {
    orca__sq_rollback(s);
    return ORCA_EBACKEND;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, expected_us);
  sqlite3_bind_int64(st, 3, next_us);
  rc = sched_change(s, st);
  if (rc == ORCA_ENOTFOUND) {
    /* Distinguish "someone else fired it (or paused it)" from "no such
     * schedule". A paused schedule never fires, closing the pause/fire race. */
    orca__schedule_rec rec = {.spec = ORCA_BUF_INIT};
    rc = orca__sq_schedule_get(&s->store, name, &rec) == 0 ? ORCA_ECONFLICT : ORCA_ENOTFOUND;
    orca_buf_free(&rec.spec);
  }
  for (size_t i = 0; rc == 0 && i < njobs; i++) {
    char existing[ORCA_ID_MAX];
    rc = orca__sq_insert_job(s, &jobs[i], now, existing);
    if (res) {
      res[i].status = rc;
      memcpy(res[i].existing_id, existing, sizeof existing);
    }
    if (rc == ORCA_EDUPLICATE) /* this fire's job is already there */
      rc = 0;
  }
  if (rc) {
    orca__sq_rollback(s);
    return rc;
  }
  if ((rc = orca__sq_commit(s)))
    return rc;
  if (njobs)
    orca__sq_notify_signal(s);
  return 0;
}

int orca__sq_schedule_fire(orca__backend *b, const char *name, int64_t expected_us, int64_t next_us,
                           const orca__job *jobs, size_t njobs) {
  return fire((orca__sqlite *)b, name, expected_us, next_us, jobs, njobs, NULL);
}

int orca__sq_store_schedule_fire(orca__store *st, const char *name, int64_t expected_us,
                                 int64_t next_us, const orca__job *jobs, size_t njobs,
                                 orca__enqueue_result *res) {
  return fire(orca__sq_of_store(st), name, expected_us, next_us, jobs, njobs, res);
}
