/* fetch.c — leasing ready tasks, reclaiming expired leases, promoting due
 * deferred tasks, and blocking until something may be ready.
 *
 * One fetch is one write transaction: first due deferred tasks become ready
 * and expired leases return to their queues (both are index range scans that
 * touch nothing when there is nothing to do), then up to max ready rows are
 * read per queue in priority/eta/FIFO order and leased. A worker that died
 * holding leases is therefore recovered by whichever fetch runs first after
 * its leases end. When nothing is ready the call sleeps on the notifier
 * (notify.c) until a commit anywhere on the host, the next eta or lease
 * expiry, the caller's wait limit, or interrupt(). */
#include "backend/sqlite/sqlite_internal.h"

#include "base/dec.h"

#include <string.h>

#define ORCA__SQ_CHUNK 256           /* rows leased by one UPDATE … RETURNING */
#define ORCA__SQ_MAKE_READY_MAX 4096 /* rows promoted/reclaimed per fetch */
#define ORCA__SQ_DEFAULT_LEASE_US (30 * 1000000LL)

static int changes_of(orca__sqlite *s, sqlite3_stmt *st, int64_t now, int64_t max) {
  if (!st)
    return ORCA_EBACKEND;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_int64(st, 2, max);
  int rc = orca__sq_exec_stmt(st);
  return rc ? rc : sqlite3_changes(s->db);
}

int orca__sq_make_ready(orca__sqlite *s, int64_t now) {
  int a = changes_of(s, orca__sq_stmt_get(s, SQ_PROMOTE), now, ORCA__SQ_MAKE_READY_MAX);
  if (a < 0)
    return a;
  int r = changes_of(s, orca__sq_stmt_get(s, SQ_REAP), now, ORCA__SQ_MAKE_READY_MAX);
  return r < 0 ? r : a + r;
}

static int min_of(orca__sqlite *s, orca__sq_stmt k, int64_t *out) {
  sqlite3_stmt *st = orca__sq_stmt_get(s, k);
  if (!st)
    return ORCA_EBACKEND;
  int rc = sqlite3_step(st);
  *out = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int64(st, 0)
                                                                       : INT64_MAX;
  sqlite3_reset(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : orca__sq_map(rc);
}

int orca__sq_next_due(orca__sqlite *s, int64_t *next_us) {
  int64_t eta, lease;
  int rc = min_of(s, SQ_NEXT_ETA, &eta);
  if (rc == 0)
    rc = min_of(s, SQ_NEXT_LEASE, &lease);
  if (rc)
    return rc;
  *next_us = eta < lease ? eta : lease;
  return 0;
}

/* The fetch order of a leased row: priority DESC, eta, rid. */
typedef struct order_key {
  int64_t priority, eta, rid;
} order_key;

static int key_less(const order_key *a, const order_key *b) {
  if (a->priority != b->priority)
    return a->priority > b->priority;
  if (a->eta != b->eta)
    return a->eta < b->eta;
  return a->rid < b->rid;
}

/* Insertion sort of slots[0..n) by keys (n <= ORCA__SQ_CHUNK, and RETURNING
 * usually yields rows nearly in order, so this is close to linear). Whole
 * lease structs are swapped: each slot keeps owning some payload buffer. */
static void sort_slots(orca__lease *const *slots, order_key *keys, size_t n) {
  for (size_t i = 1; i < n; i++) {
    for (size_t j = i; j > 0 && key_less(&keys[j], &keys[j - 1]); j--) {
      order_key k = keys[j];
      keys[j] = keys[j - 1];
      keys[j - 1] = k;
      orca__lease l = *slots[j];
      *slots[j] = *slots[j - 1];
      *slots[j - 1] = l;
    }
  }
}

/* The ref of a delivery (what orca__sq_bind_lease parses back): "RID", or
 * "RID.DELIVERIES" for a log-role handle, whose lease's deliveries field
 * the composition overwrites with the store's count. */
static void format_ref(char ref[64], int64_t rid, int64_t deliveries, bool with_deliveries) {
  size_t i = orca__dec_i64(ref, rid);
  if (with_deliveries) {
    ref[i++] = '.';
    i += orca__dec_i64(ref + i, deliveries);
  }
  ref[i] = '\0';
}

/* Lease up to want ready rows of queue into slots (already inside the
 * transaction). Returns how many or ORCA_E*. */
static int lease_queue(orca__sqlite *s, const char *queue, const orca__fetch_req *req, int64_t now,
                       int64_t lease_us, orca__lease *const *slots, size_t want) {
  order_key keys[ORCA__SQ_CHUNK];
  size_t got = 0, qlen = strlen(queue);
  bool log_role = s->role == ORCA__SQ_LOG;
  if (qlen >= ORCA_NAME_MAX)
    return ORCA_EINVAL;
  while (got < want) {
    size_t ask = want - got < ORCA__SQ_CHUNK ? want - got : ORCA__SQ_CHUNK;
    sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_LEASE_READY);
    if (!st)
      return ORCA_EBACKEND;
    sqlite3_bind_text(st, 1, queue, -1, SQLITE_STATIC);
    orca__sq_bind_text(st, 2, req->worker);
    sqlite3_bind_int64(st, 3, now + lease_us);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, (int64_t)ask);
    size_t k = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && k < ask) {
      orca__lease *l = slots[got + k];
      keys[k].rid = sqlite3_column_int64(st, 0);
      keys[k].priority = sqlite3_column_int64(st, 4);
      keys[k].eta = sqlite3_column_int64(st, 5);
      orca__sq_col_text(st, 1, l->id, sizeof l->id);
      memcpy(l->queue, queue, qlen + 1);
      l->deliveries = (uint32_t)sqlite3_column_int64(st, 2);
      format_ref(l->ref, keys[k].rid, l->deliveries, log_role);
      l->lease_until_us = now + lease_us;
      orca_buf_reset(&l->payload);
      const void *p = sqlite3_column_blob(st, 3);
      int plen = sqlite3_column_bytes(st, 3);
      if (plen > 0 && orca_buf_append(&l->payload, p, (size_t)plen)) {
        sqlite3_reset(st);
        return ORCA_ENOMEM;
      }
      k++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
      return orca__sq_map(rc);
    sort_slots(slots + got, keys, k);
    got += k;
    if (k < ask)
      break;
  }
  return (int)got;
}

/* Is there anything for fetch to write: a ready row in one of the queues, or
 * a deferred task or lease due by now? Plain reads (index probes) that never
 * wait for the write lock. Returns 1, 0, or ORCA_E*. */
static int work_waiting(orca__sqlite *s, const orca__fetch_req *req, int64_t now) {
  for (size_t q = 0; q < req->nqueues; q++) {
    sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_ANY_READY);
    if (!st)
      return ORCA_EBACKEND;
    sqlite3_bind_text(st, 1, req->queues[q], -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
      return 1;
    if (rc != SQLITE_DONE)
      return orca__sq_map(rc);
  }
  int64_t next;
  int rc = orca__sq_next_due(s, &next);
  return rc ? rc : next <= now;
}

/* One attempt: a transaction that leases what is ready. Every commit wakes
 * every blocked fetch on the host, and most of them find nothing: they look
 * first with plain reads and take the write lock only when there is
 * something to lease or move, so a process frozen at a random instant
 * rarely holds the lock (docs/sqlite.md, "A frozen process"). */
static int fetch_once(orca__sqlite *s, const orca__fetch_req *req, orca__lease *const *slots,
                      size_t max, size_t *got) {
  int64_t now = orca__sq_now(s);
  int64_t lease_us = req->lease_us > 0 ? req->lease_us : ORCA__SQ_DEFAULT_LEASE_US;
  int rc = work_waiting(s, req, now);
  if (rc <= 0)
    return rc; /* nothing to do (*got is 0), or an error */
  rc = orca__sq_begin(s);
  if (rc)
    return rc;
  int moved = orca__sq_make_ready(s, now);
  if (moved < 0) {
    orca__sq_rollback(s);
    return moved;
  }
  size_t n = 0;
  for (size_t q = 0; q < req->nqueues && n < max; q++) {
    int r = lease_queue(s, req->queues[q], req, now, lease_us, slots + n, max - n);
    if (r < 0) {
      orca__sq_rollback(s);
      return r;
    }
    n += (size_t)r;
  }
  rc = orca__sq_commit(s);
  if (rc)
    return rc;
  /* Cancelled-on-reclaim rows reached a final state: tell waiters. */
  if (moved > 0)
    orca__sq_notify_signal(s);
  *got = n;
  return 0;
}

int orca__sq_fetch_rows(orca__sqlite *s, const orca__fetch_req *req, orca__lease *const *slots,
                        size_t max, size_t *got) {
  *got = 0;
  if (!req || (req->nqueues && !req->queues) || (max && !slots))
    return ORCA_EINVAL;
  for (size_t q = 0; q < req->nqueues; q++)
    if (!req->queues[q])
      return ORCA_EINVAL;
  if (max == 0 || req->nqueues == 0)
    return 0;
  int64_t deadline = req->wait_us > 0 ? orca_monotonic_us() + req->wait_us : 0;
  for (;;) {
    if (req->wait_us > 0)
      orca__sq_notify_drain(s);
    int rc = fetch_once(s, req, slots, max, got);
    if (rc || *got > 0 || req->wait_us <= 0)
      return rc;
    int64_t next;
    if ((rc = orca__sq_next_due(s, &next)))
      return rc;
    int64_t mono = orca_monotonic_us();
    if (mono >= deadline)
      return 0;
    int64_t until = deadline;
    if (next != INT64_MAX) {
      int64_t in = next - orca__sq_now(s);
      if (in < 0)
        in = 0;
      if (mono + in < until)
        until = mono + in;
    }
    if (orca__sq_notify_wait(s, until))
      return 0; /* interrupted */
  }
}

int orca__sq_fetch(orca__backend *b, const orca__fetch_req *req, orca__lease *const *slots,
                   size_t max, size_t *got) {
  return orca__sq_fetch_rows((orca__sqlite *)b, req, slots, max, got);
}

int orca__sq_log_fetch(orca__log *l, const orca__fetch_req *req, orca__lease *const *slots,
                       size_t max, size_t *got) {
  return orca__sq_fetch_rows(orca__sq_of_log(l), req, slots, max, got);
}

int orca__sq_promote(orca__backend *b, int64_t now_us, size_t max, int64_t *next_due_us) {
  orca__sqlite *s = (orca__sqlite *)b;
  /* The TimeKeeper calls this on every node about once a second: read the
   * earliest eta first and take the write lock only when something is due. */
  int64_t eta = INT64_MAX;
  int rc = min_of(s, SQ_NEXT_ETA, &eta);
  if (rc)
    return rc;
  if (eta > now_us) {
    if (next_due_us)
      *next_due_us = eta;
    return 0;
  }
  rc = orca__sq_begin(s);
  if (rc)
    return rc;
  int moved = changes_of(s, orca__sq_stmt_get(s, SQ_PROMOTE), now_us,
                         max > INT32_MAX ? INT32_MAX : (int64_t)max);
  if (moved < 0) {
    orca__sq_rollback(s);
    return moved;
  }
  if ((rc = orca__sq_commit(s)))
    return rc;
  if (moved > 0)
    orca__sq_notify_signal(s);
  eta = INT64_MAX;
  if (next_due_us && (rc = min_of(s, SQ_NEXT_ETA, &eta)))
    return rc;
  if (next_due_us)
    *next_due_us = eta;
  return moved;
}
