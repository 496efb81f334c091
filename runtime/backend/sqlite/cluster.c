/* cluster.c — what the peer network asks of the SQLite backend
 * (docs/peers.md): releasing the leases of a worker declared dead (the
 * fused table's step, and the log's: one statement serves both, since a
 * log's rows never carry a cancel flag), and the advertisements workers
 * find each other by (the store's).
 *
 * The two tables of discovery (peers, cluster) are created on first use
 * with CREATE TABLE IF NOT EXISTS rather than by a schema migration: a
 * database stays readable by a liborca that predates them, and one that
 * never runs a peer network never gets them. Their statements are prepared
 * per call, not cached: a worker makes these calls every few seconds, not
 * per task. */
#include <stdio.h>
#include <string.h>

#include "backend/sqlite/sqlite_internal.h"

static int release(orca__sqlite *s, const char *worker, size_t *count) {
  if (count)
    *count = 0;
  if (!worker || !*worker)
    return ORCA_EINVAL;
  int rc = orca__sq_begin(s);
  if (rc)
    return rc;
  sqlite3_stmt *st = orca__sq_stmt_get(s, SQ_RELEASE_WORKER);
  if (!st) {
    orca__sq_rollback(s);
    return ORCA_EBACKEND;
  }
  sqlite3_bind_text(st, 1, worker, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, orca__sq_now(s));
  if ((rc = orca__sq_exec_stmt(st))) {
    orca__sq_rollback(s);
    return rc;
  }
  int n = sqlite3_changes(s->db);
  if ((rc = orca__sq_commit(s)))
    return rc;
  if (n > 0)
    orca__sq_notify_signal(s); /* blocked fetches look again now */
  if (count)
    *count = (size_t)n;
  return 0;
}

int orca__sq_release_worker(orca__backend *b, const char *worker, size_t *count) {
  return release((orca__sqlite *)b, worker, count);
}

int orca__sq_log_release_worker(orca__log *l, const char *worker, size_t *count) {
  return release(orca__sq_of_log(l), worker, count);
}

/* clang-format off */
static const char tables[] =
    "CREATE TABLE IF NOT EXISTS peers (id TEXT PRIMARY KEY, addr TEXT NOT NULL,"
    " host TEXT NOT NULL, sealed INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS cluster (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;";
/* clang-format on */

/* Run one statement with bindings set by the caller through bind(). Rows
 * go to row() when given. Returns 0 or ORCA_E*. */
typedef struct step {
  const char *sql;
  const char *t1, *t2, *t3, *t4; /* text bindings 1..4 (NULL = none) */
  int64_t i5, i6;                /* integer bindings 5, 6 */
} step;

static int run(orca__sqlite *s, const step *q, int (*row)(void *ud, sqlite3_stmt *st), void *ud,
               int *stopped) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, q->sql, -1, &st, NULL) != SQLITE_OK)
    return orca__sq_map(sqlite3_extended_errcode(s->db));
  const char *t[4] = {q->t1, q->t2, q->t3, q->t4};
  int np = sqlite3_bind_parameter_count(st);
  for (int i = 0; i < 4 && i < np; i++)
    orca__sq_bind_text(st, i + 1, t[i]);
  if (np >= 5)
    sqlite3_bind_int64(st, 5, q->i5);
  if (np >= 6)
    sqlite3_bind_int64(st, 6, q->i6);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (row && (*stopped = row(ud, st)) != 0)
      break;
  sqlite3_finalize(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : orca__sq_map(rc);
}

typedef struct ads_walk {
  char *cluster;
  orca__peer_ad_cb cb;
  void *ud;
} ads_walk;

static int on_cluster(void *ud, sqlite3_stmt *st) {
  ads_walk *w = ud;
  orca__sq_col_text(st, 0, w->cluster, ORCA__CLUSTER_ID_MAX);
  return 0;
}

static int on_ad(void *ud, sqlite3_stmt *st) {
  ads_walk *w = ud;
  orca__peer_ad ad;
  memset(&ad, 0, sizeof ad);
  orca__sq_col_text(st, 0, ad.id, sizeof ad.id);
  orca__sq_col_text(st, 1, ad.addr, sizeof ad.addr);
  orca__sq_col_text(st, 2, ad.host, sizeof ad.host);
  ad.sealed = sqlite3_column_int(st, 3) != 0;
  ad.expires_us = sqlite3_column_int64(st, 4);
  return w->cb ? w->cb(w->ud, &ad) : 0;
}

int orca__sq_peer_ads(orca__store *store, const orca__peer_ad *mine, int64_t ttl_us, char *cluster,
                      orca__peer_ad_cb cb, void *ud) {
  orca__sqlite *s = orca__sq_of_store(store);
  if (!cluster || (mine && (!mine->id[0] || !mine->addr[0])) || ttl_us < 0)
    return ORCA_EINVAL;
  cluster[0] = '\0';
  int64_t now = orca__sq_now(s);
  char fresh[ORCA__CLUSTER_ID_MAX];
  orca__cluster_id_new(fresh);
  int rc = orca__sq_begin(s);
  if (rc)
    return rc;
  if (sqlite3_exec(s->db, tables, NULL, NULL, NULL) != SQLITE_OK) {
    rc = orca__sq_map(sqlite3_extended_errcode(s->db));
    orca__sq_rollback(s);
    return rc ? rc : ORCA_EBACKEND;
  }
  ads_walk w = {cluster, cb, ud};
  int stopped = 0;
  const step fixed[] = {
      {.sql = "INSERT OR IGNORE INTO cluster(k, v) VALUES('id', ?1)", .t1 = fresh},
      {.sql = "SELECT v FROM cluster WHERE k = 'id'"},
      {.sql = "DELETE FROM peers WHERE expires_at <= ?5", .i5 = now},
  };
  for (size_t i = 0; rc == 0 && i < sizeof fixed / sizeof fixed[0]; i++)
    rc = run(s, &fixed[i], i == 1 ? on_cluster : NULL, &w, &stopped);
  if (rc == 0 && mine) {
    char sealed[2] = {mine->sealed ? '1' : '0', '\0'};
    step put = {.sql = ttl_us > 0 ? "INSERT OR REPLACE INTO peers(id, addr, host, sealed, "
                                    "expires_at) VALUES(?1, ?2, ?3, ?4, ?5)"
                                  : "DELETE FROM peers WHERE id = ?1",
                .t1 = mine->id,
                .t2 = mine->addr,
                .t3 = mine->host,
                .t4 = sealed,
                .i5 = now + ttl_us};
    rc = run(s, &put, NULL, NULL, &stopped);
  }
  if (rc == 0) {
    step list = {.sql = "SELECT id, addr, host, sealed, expires_at FROM peers"
                        " WHERE ?1 IS NULL OR id <> ?1 ORDER BY id",
                 .t1 = mine ? mine->id : NULL};
    rc = run(s, &list, on_ad, &w, &stopped);
  }
  if (rc) {
    orca__sq_rollback(s);
    return rc;
  }
  if ((rc = orca__sq_commit(s)))
    return rc;
  return stopped;
}
