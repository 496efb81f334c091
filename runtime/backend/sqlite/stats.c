/* stats.c — per-queue counts for `orca stats`: live counts from the queue
 * positions of task rows, totals and the last-minute rate from the counters
 * table that complete.c maintains (a current and a previous one-minute
 * window, blended into a sliding 60 s rate). */
#include "backend/sqlite/sqlite_internal.h"

#include <string.h>

#define MINUTE_US (60 * 1000000LL)

/* The entry for queue in out[0..*n), added if there is room; NULL if full. */
static orca_queue_stats *entry(orca_queue_stats *out, size_t max, size_t *n, const char *queue) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp(out[i].queue, queue) == 0)
      return &out[i];
  if (*n == max)
    return NULL;
  orca_queue_stats *e = &out[(*n)++];
  memset(e, 0, sizeof *e);
  size_t len = strlen(queue);
  if (len >= sizeof e->queue)
    len = sizeof e->queue - 1;
  memcpy(e->queue, queue, len);
  e->queue[len] = '\0';
  return e;
}

static double rate(int64_t now, int64_t win_start, int64_t win_done, int64_t prev_done) {
  int64_t cur = now - now % MINUTE_US;
  double frac = (double)(now - cur) / (double)MINUTE_US;
  if (win_start == cur)
    return ((double)prev_done * (1.0 - frac) + (double)win_done) / 60.0;
  if (win_start == cur - MINUTE_US)
    return (double)win_done * (1.0 - frac) / 60.0;
  return 0.0;
}

int orca__sq_stats(orca__store *st_, orca_queue_stats *out, size_t max, size_t *n) {
  orca__sqlite *s = orca__sq_of_store(st_);
  if (!n || (max && !out))
    return ORCA_EINVAL;
  *n = 0;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_STATS_COUNTS);
  if (!st)
    return ORCA_EBACKEND;
  char queue[ORCA_NAME_MAX];
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    orca__sq_col_text(st, 0, queue, sizeof queue);
    orca_queue_stats *e = entry(out, max, n, queue);
    if (!e)
      continue;
    uint64_t c = (uint64_t)sqlite3_column_int64(st, 2);
    switch (sqlite3_column_int(st, 1)) {
    case ORCA__Q_READY:
    case ORCA__Q_HANDOFF:
      e->pending += c;
      break;
    case ORCA__Q_DEFERRED:
      e->scheduled += c;
      break;
    case ORCA__Q_LEASED:
      e->running += c;
      break;
    case ORCA__Q_DEAD:
      e->dead += c;
      break;
    default:
      break;
    }
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE)
    return orca__sq_map(rc);
  int64_t now = orca__sq_now(s);
  st = orca__sq_stmt_get(s, SQ_STATS_COUNTERS);
  if (!st)
    return ORCA_EBACKEND;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    orca__sq_col_text(st, 0, queue, sizeof queue);
    orca_queue_stats *e = entry(out, max, n, queue);
    if (!e)
      continue;
    e->succeeded = (uint64_t)sqlite3_column_int64(st, 1);
    e->failed = (uint64_t)sqlite3_column_int64(st, 2);
    e->done_per_sec = rate(now, sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4),
                           sqlite3_column_int64(st, 5));
  }
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? 0 : orca__sq_map(rc);
}
