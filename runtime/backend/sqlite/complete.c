/* complete.c — the end of deliveries (ack, retry, dead-letter, release) and
 * lease extension, each batch in one transaction, for all three roles: the
 * fused backend's complete and extend, the store's finish and renew (the
 * same statements matched by id, since the delivery came from another log),
 * and the log's complete and extend (a completed entry is deleted).
 *
 * Every statement here carries the lease match (row or id, owner, delivery
 * count), so a worker whose lease ran out and was handed to someone else
 * changes nothing. The completion transaction also purges a few expired state
 * records and unique keys, so records go away without a janitor, and bumps the
 * per-queue counters that stats reports (aggregated per batch, one write per
 * queue). */
#include "backend/sqlite/sqlite_internal.h"

#include <stdlib.h>
#include <string.h>

#define ORCA__SQ_PURGE_EXTRA 16 /* records purged per batch beyond its size */
#define ORCA__SQ_TALLY_QUEUES 8
#define ORCA__SQ_MINUTE_US (60 * 1000000LL)

typedef struct tally {
  size_t n;
  struct {
    const char *queue;
    int64_t succeeded, failed, done;
  } q[ORCA__SQ_TALLY_QUEUES];
} tally;

static int tally_flush(orca__sqlite *s, tally *t, int64_t now) {
  for (size_t i = 0; i < t->n; i++) {
    sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_COUNT_DONE);
    if (!st)
      return ORCA_EBACKEND;
    sqlite3_bind_text(st, 1, t->q[i].queue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, t->q[i].succeeded);
    sqlite3_bind_int64(st, 3, t->q[i].failed);
    sqlite3_bind_int64(st, 4, now - now % ORCA__SQ_MINUTE_US);
    sqlite3_bind_int64(st, 5, t->q[i].done);
    int rc = orca__sq_exec_stmt(st);
    if (rc)
      return rc;
  }
  t->n = 0;
  return 0;
}

static int tally_add(orca__sqlite *s, tally *t, int64_t now, const char *queue, int succeeded,
                     int failed) {
  size_t i = 0;
  while (i < t->n && strcmp(t->q[i].queue, queue) != 0)
    i++;
  if (i == t->n) {
    if (t->n == ORCA__SQ_TALLY_QUEUES) {
      int rc = tally_flush(s, t, now);
      if (rc)
        return rc;
      i = 0;
    }
    t->q[i].queue = queue;
    t->q[i].succeeded = t->q[i].failed = t->q[i].done = 0;
    t->n = i + 1;
  }
  t->q[i].succeeded += succeeded;
  t->q[i].failed += failed;
  t->q[i].done += 1;
  return 0;
}

int orca__sq_bind_lease(sqlite3_stmt *st, const orca__lease *l, const char *worker) {
  char *end;
  long long rid = strtoll(l->ref, &end, 10);
  long long deliveries = l->deliveries;
  if (end != l->ref && *end == '.') {
    const char *d = end + 1;
    deliveries = strtoll(d, &end, 10);
    if (end == d)
      return 1;
  }
  if (end == l->ref || *end)
    return 1;
  sqlite3_bind_int64(st, 1, rid);
  sqlite3_bind_text(st, 2, l->id, -1, SQLITE_STATIC);
  orca__sq_bind_text(st, 3, worker);
  sqlite3_bind_int64(st, 4, deliveries);
  return 0;
}

/* Bind the match of l for the role: the lease match, or (store role) the id
 * match, whose ?1 is unused. Returns as orca__sq_bind_lease. */
static int bind_match(orca__sqlite *s, sqlite3_stmt *st, const orca__lease *l, const char *worker) {
  if (s->role != ORCA__SQ_STORE)
    return orca__sq_bind_lease(st, l, worker);
  sqlite3_bind_null(st, 1);
  sqlite3_bind_text(st, 2, l->id, -1, SQLITE_STATIC);
  orca__sq_bind_text(st, 3, worker);
  sqlite3_bind_int64(st, 4, l->deliveries);
  return 0;
}

/* The statement k of the fused role, or its id-matched twin (store role). */
static sqlite3_stmt *stmt_for(orca__sqlite *s, orca__sq_stmt k) {
  if (s->role == ORCA__SQ_STORE) {
    switch (k) {
    case SQ_ACK:
      k = SQ_S_ACK;
      break;
    case SQ_ACK_DELETE:
      k = SQ_S_ACK_DELETE;
      break;
    case SQ_RETRY:
      k = SQ_S_RETRY;
      break;
    case SQ_DEAD:
      k = SQ_S_DEAD;
      break;
    case SQ_RELEASE:
      k = SQ_S_RELEASE;
      break;
    case SQ_EXTEND:
      k = SQ_S_EXTEND;
      break;
    default:
      break;
    }
  }
  return orca__sq_stmt_get(s, k);
}

static int unique_update(orca__sqlite *s, const orca__completion *c, int64_t now) {
  sqlite3_stmt *st = orca__sq_stmt_get(s, c->unique_ttl_us > 0 ? SQ_UNIQ_REFRESH : SQ_UNIQ_DROP);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_text(st, 1, c->unique_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, c->lease->id, -1, SQLITE_STATIC);
  if (c->unique_ttl_us > 0)
    sqlite3_bind_int64(st, 3, now + c->unique_ttl_us);
  return orca__sq_exec_stmt(st);
}

/* Apply one completion. Returns 1 when applied, 0 when skipped (stale
 * lease), or ORCA_E*. */
static int apply(orca__sqlite *s, const orca__completion *c, int64_t now, tally *t) {
  const orca__lease *l = c->lease;
  sqlite3_stmt *st;
  int succeeded = 0, failed = 0, counted = 1;
  switch (c->outcome) {
  case ORCA__ACK: {
    orca_state state = c->state;
    if (!orca_state_is_final(state) || state == ORCA_STATE_DEAD)
      state = ORCA_STATE_SUCCEEDED;
    succeeded = state == ORCA_STATE_SUCCEEDED;
    st = stmt_for(s, c->ttl_us > 0 ? SQ_ACK : SQ_ACK_DELETE);
    if (!st)
      return ORCA_EBACKEND;
    if (bind_match(s, st, l, c->worker))
      return 0;
    if (c->ttl_us > 0) {
      sqlite3_bind_int(st, 5, state);
      sqlite3_bind_int64(st, 6, c->attempt);
      sqlite3_bind_int64(st, 7, c->started_us);
      sqlite3_bind_int64(st, 8, now);
      sqlite3_bind_int64(st, 9, now + c->ttl_us);
      orca__sq_bind_text(st, 10, c->error);
      orca__sq_bind_blob(st, 11, c->result_len ? c->result : NULL, c->result_len);
    }
    break;
  }
  case ORCA__RETRY: {
    /* A store beside a log keeps every retry waiting: `due` hands it out. */
    int deferred = c->retry_at_us > now || s->role == ORCA__SQ_STORE;
    failed = 1;
    st = stmt_for(s, SQ_RETRY);
    if (!st)
      return ORCA_EBACKEND;
    if (bind_match(s, st, l, c->worker))
      return 0;
    sqlite3_bind_int(st, 5, deferred ? ORCA__Q_DEFERRED : ORCA__Q_READY);
    sqlite3_bind_int(st, 6, deferred ? ORCA_STATE_FAILED : ORCA_STATE_PENDING);
    sqlite3_bind_int64(st, 7, c->attempt);
    sqlite3_bind_int64(st, 8, now);
    orca__sq_bind_text(st, 9, c->error);
    sqlite3_bind_int64(st, 10, deferred ? c->retry_at_us : now);
    orca__sq_bind_blob(st, 11, c->payload_len ? c->payload : NULL, c->payload_len);
    sqlite3_bind_int64(st, 12, c->started_us);
    break;
  }
  case ORCA__DEAD:
    failed = 1;
    st = stmt_for(s, SQ_DEAD);
    if (!st)
      return ORCA_EBACKEND;
    if (bind_match(s, st, l, c->worker))
      return 0;
    sqlite3_bind_int64(st, 5, c->attempt);
    sqlite3_bind_int64(st, 6, c->started_us);
    sqlite3_bind_int64(st, 7, now);
    orca__sq_bind_text(st, 8, c->error);
    break;
  case ORCA__RELEASE:
    counted = 0;
    st = stmt_for(s, SQ_RELEASE);
    if (!st)
      return ORCA_EBACKEND;
    if (bind_match(s, st, l, c->worker))
      return 0;
    sqlite3_bind_int64(st, 5, now);
    break;
  default:
    return 0;
  }
  int rc = orca__sq_exec_stmt(st);
  if (rc)
    return rc;
  if (sqlite3_changes(s->db) == 0)
    return 0;
  if (c->unique_key && c->outcome != ORCA__RELEASE && (rc = unique_update(s, c, now)))
    return rc;
  if (counted && (rc = tally_add(s, t, now, l->queue, succeeded, failed)))
    return rc;
  return 1;
}

int orca__sq_purge_expired(orca__sqlite *s, int64_t now, int max) {
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_PURGE_TASKS);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int64(st, 2, max);
  int rc = orca__sq_exec_stmt(st);
  if (rc)
    return rc;
  st = orca__sq_stmt_get(s, SQ_PURGE_UNIQ);
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int64(st, 2, max);
  return orca__sq_exec_stmt(st);
}

/* Record the completions c[0..n) in one transaction (fused complete, store
 * finish). */
static int complete_all(orca__sqlite *s, const orca__completion *c, size_t n) {
  if (n == 0)
    return 0;
  if (!c)
    return ORCA_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!c[i].lease)
      return ORCA_EINVAL;
  int64_t now = orca__sq_now(s);
  int rc = orca__sq_begin(s);
  if (rc)
    return rc;
  tally t = {0};
  size_t applied = 0;
  for (size_t i = 0; i < n; i++) {
    int r = apply(s, &c[i], now, &t);
    if (r < 0) {
      orca__sq_rollback(s);
      return r;
    }
    applied += (size_t)r;
  }
  int purge = n > 4096 ? 4096 + ORCA__SQ_PURGE_EXTRA : (int)n + ORCA__SQ_PURGE_EXTRA;
  if ((rc = tally_flush(s, &t, now)) || (rc = orca__sq_purge_expired(s, now, purge))) {
    orca__sq_rollback(s);
    return rc;
  }
  if ((rc = orca__sq_commit(s)))
    return rc;
  if (applied)
    orca__sq_notify_signal(s);
  return 0;
}

int orca__sq_complete(orca__backend *b, const orca__completion *c, size_t n) {
  return complete_all((orca__sqlite *)b, c, n);
}

int orca__sq_finish(orca__store *st, const orca__completion *c, size_t n) {
  return complete_all(orca__sq_of_store(st), c, n);
}

/* Push the leases of n deliveries (fused extend, store renew, log extend). */
static int extend_all(orca__sqlite *s, orca__lease *const *leases, size_t n, const char *worker,
                      int64_t lease_us, int *status) {
  if (n == 0)
    return 0;
  if (!leases || !status)
    return ORCA_EINVAL;
  int64_t now = orca__sq_now(s);
  int rc = orca__sq_begin(s);
  if (rc)
    return rc;
  for (size_t i = 0; i < n; i++) {
    sqlite3_stmt *st = stmt_for(s, SQ_EXTEND);
    if (!st) {
      orca__sq_rollback(s);
      return ORCA_EBACKEND;
    }
    status[i] = ORCA_ELOST;
    if (bind_match(s, st, leases[i], worker))
      continue;
    sqlite3_bind_int64(st, 5, now + lease_us);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
      status[i] = sqlite3_column_int(st, 0) ? ORCA_ECANCELLED : 0;
      leases[i]->lease_until_us = now + lease_us;
      r = sqlite3_step(st);
    }
    sqlite3_reset(st);
    if (r != SQLITE_DONE) {
      orca__sq_rollback(s);
      return orca__sq_map(r);
    }
  }
  return orca__sq_commit(s);
}

int orca__sq_extend(orca__backend *b, orca__lease *const *leases, size_t n, const char *worker,
                    int64_t lease_us, int *status) {
  return extend_all((orca__sqlite *)b, leases, n, worker, lease_us, status);
}

int orca__sq_renew(orca__store *st, orca__lease *const *leases, size_t n, const char *worker,
                   int64_t lease_us, int *status) {
  return extend_all(orca__sq_of_store(st), leases, n, worker, lease_us, status);
}

int orca__sq_log_extend(orca__log *l, orca__lease *const *leases, size_t n, const char *worker,
                        int64_t lease_us, int *status) {
  return extend_all(orca__sq_of_log(l), leases, n, worker, lease_us, status);
}

int orca__sq_log_complete(orca__log *l, const orca__completion *c, size_t n) {
  orca__sqlite *s = orca__sq_of_log(l);
  if (n == 0)
    return 0;
  if (!c)
    return ORCA_EINVAL;
  int64_t now = orca__sq_now(s);
  int rc = orca__sq_begin(s);
  if (rc)
    return rc;
  size_t released = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (!c[i].lease)
      continue;
    bool release = c[i].outcome == ORCA__RELEASE;
    sqlite3_stmt *st = orca__sq_stmt_get(s, release ? SQ_RELEASE : SQ_ACK_DELETE);
    if (!st) {
      rc = ORCA_EBACKEND;
      break;
    }
    if (orca__sq_bind_lease(st, c[i].lease, c[i].worker))
      continue;
    if (release)
      sqlite3_bind_int64(st, 5, now);
    rc = orca__sq_exec_stmt(st);
    released += release && rc == 0 && sqlite3_changes(s->db) > 0;
  }
  if (rc) {
    orca__sq_rollback(s);
    return rc;
  }
  if ((rc = orca__sq_commit(s)))
    return rc;
  if (released)
    orca__sq_notify_signal(s);
  return 0;
}
