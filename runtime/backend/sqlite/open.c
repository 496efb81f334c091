/* open.c — the SQLite backend's URL, connection setup and the ops table.
 *
 * URLs: sqlite:PATH (relative or absolute) or sqlite:///ABS/PATH, with an
 * optional ?sync=normal|full. A directory named .orca (the default
 * ./.orca/orca.db) is created when missing; any other missing directory is an
 * error, so a typo in a path never scatters databases around. Each handle is
 * one connection in WAL mode with synchronous=NORMAL (durable across process
 * crashes; see docs/sqlite.md for power loss), a busy timeout so several
 * processes share the file, and its own notifier (notify.c). */
#include "backend/sqlite/sqlite_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "orca/client.h"

#define ORCA__SQ_DEFAULT_BUSY_MS 5000
#define ORCA__SQ_PUMP_CHECKPOINT_PAGES 4000 /* SQLite's default is 1000 */

typedef struct sq_url {
  char path[PATH_MAX];
  int sync_full;
} sq_url;

/* Parse "sqlite:…" into u. Returns 0 or ORCA_EURL with err. */
static int parse_url(const char *url, sq_url *u, orca_err *err) {
  char shown[512]; /* url as messages show it: a host form's password hidden */
  orca_url_redact(url, shown, sizeof shown);
  if (strncmp(url, "sqlite:", 7) != 0)
    return orca_err_set(err, ORCA_EURL, "sqlite: URL '%s' does not start with 'sqlite:'", shown);
  const char *p = url + 7;
  if (strncmp(p, "//", 2) == 0) {
    if (p[2] != '/')
      return orca_err_set(err, ORCA_EURL,
                          "sqlite: URL '%s' names a host; use sqlite:PATH or sqlite:///ABS/PATH",
                          shown);
    p += 2;
  }
  const char *q = strchr(p, '?');
  size_t len = q ? (size_t)(q - p) : strlen(p);
  if (len == 0)
    return orca_err_set(err, ORCA_EURL, "sqlite: URL '%s' has no database path", shown);
  if (len >= sizeof u->path)
    return orca_err_set(err, ORCA_EURL, "sqlite: database path in '%s' is too long", shown);
  memcpy(u->path, p, len);
  u->path[len] = '\0';
  if (strcmp(u->path, ":memory:") == 0 || strncmp(u->path, "file:", 5) == 0)
    return orca_err_set(err, ORCA_EURL,
                        "sqlite: '%s' is not a file path (in-memory and URI databases cannot "
                        "be shared between processes)",
                        u->path);
  u->sync_full = 0;
  while (q) {
    const char *opt = q + 1;
    q = strchr(opt, '&');
    size_t olen = q ? (size_t)(q - opt) : strlen(opt);
    if (olen == 11 && strncmp(opt, "sync=normal", 11) == 0)
      u->sync_full = 0;
    else if (olen == 9 && strncmp(opt, "sync=full", 9) == 0)
      u->sync_full = 1;
    else
      return orca_err_set(err, ORCA_EURL,
                          "sqlite: unknown option '%.*s' in URL '%s' (known: sync=normal, "
                          "sync=full)",
                          (int)olen, opt, shown);
  }
  return 0;
}

/* Make sure the directory holding path exists. Creates it only when it is a
 * directory named ".orca". Returns 0 or ORCA_EIO with err. */
static int check_dir(const char *path, orca_err *err) {
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash)
    return 0; /* current directory */
  size_t len = (size_t)(slash - path);
  if (len == 0)
    return 0; /* "/" */
  memcpy(dir, path, len);
  dir[len] = '\0';
  struct stat stt;
  if (stat(dir, &stt) == 0) {
    if (!S_ISDIR(stt.st_mode))
      return orca_err_set(err, ORCA_EIO, "sqlite: '%s' (parent of the database) is not a directory",
                          dir);
    return 0;
  }
  const char *base = strrchr(dir, '/');
  base = base ? base + 1 : dir;
  if (errno == ENOENT && strcmp(base, ".orca") == 0) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
      return 0;
  }
  return orca_err_set(err, ORCA_EIO, "sqlite: database directory '%s' %s (%s)", dir,
                      errno == ENOENT ? "does not exist" : "is not accessible", strerror(errno));
}

/* Busy handler: SQLite's default sleeps up to 100 ms between lock attempts,
 * which caps throughput when several processes share the file. Back off from
 * 20 µs to 1 ms instead, for up to busy_ms per lock wait. */
static int on_busy(void *ctx, int count) {
  orca__sqlite *s = ctx;
  static _Thread_local int64_t started;
  int64_t now = orca_monotonic_us();
  if (count == 0)
    started = now;
  if (now - started >= s->busy_ms * 1000)
    return 0;
  int64_t us = 20LL << (count < 6 ? count : 6);
  struct timespec ts = {0, (long)((us > 1000 ? 1000 : us) * 1000)};
  nanosleep(&ts, NULL);
  return 1;
}

static void sq_free(orca__sqlite *s) {
  if (!s)
    return;
  if (s->db) {
    orca__sq_rollback(s);
    orca__sq_stmt_finalize_all(s);
    sqlite3_close_v2(s->db);
  }
  orca__sq_notify_close(s);
  free(s->path);
  free(s);
}

/* Open the database of url as a handle in role. Returns 0 and *out, or an
 * error with err. */
static int sq_open_role(const char *url, const orca__backend_opts *opts, orca__sq_role role,
                        orca__sqlite **out, orca_err *err) {
  *out = NULL;
  sq_url u;
  int rc = parse_url(url, &u, err);
  if (rc)
    return rc;
  rc = check_dir(u.path, err);
  if (rc)
    return rc;
  orca__sqlite *s = calloc(1, sizeof *s);
  if (!s)
    return orca_err_set(err, ORCA_ENOMEM, "sqlite: out of memory opening '%s'", u.path);
  s->role = role;
  s->base.ops = &orca__sqlite_ops;
  s->base.clock = opts && opts->clock ? opts->clock : &orca_clock_real;
  s->base.log = &s->log;
  s->base.store = &s->store;
  s->log.ops = &orca__sqlite_log_ops;
  s->log.clock = s->base.clock;
  s->store.ops = &orca__sqlite_store_ops;
  s->store.clock = s->base.clock;
  s->busy_ms =
      opts && opts->op_timeout_us > 0 ? opts->op_timeout_us / 1000 : ORCA__SQ_DEFAULT_BUSY_MS;
  s->path = strdup(u.path);
  if (!s->path) {
    free(s);
    return orca_err_set(err, ORCA_ENOMEM, "sqlite: out of memory opening '%s'", u.path);
  }
  int src = sqlite3_open_v2(u.path, &s->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (src != SQLITE_OK) {
    rc = orca_err_set(err, ORCA_EIO, "sqlite: cannot open database '%s': %s", u.path,
                      s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(src));
    sq_free(s);
    return rc;
  }
  sqlite3_extended_result_codes(s->db, 1);
  if (sqlite3_db_readonly(s->db, "main") == 1) {
    rc = orca_err_set(err, ORCA_EIO, "sqlite: database '%s' is not writable (permissions)", u.path);
    sq_free(s);
    return rc;
  }
  sqlite3_busy_handler(s->db, on_busy, s);
  rc = orca__sq_schema_init(s, err);
  if (rc == 0) {
    /* A bigger page cache and mmap'd reads keep the hot indexes out of
     * read() calls; both are per connection. */
    const char *pragmas = u.sync_full ? "PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;"
                                        " PRAGMA cache_size=-16384; PRAGMA mmap_size=268435456;"
                                      : "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
                                        " PRAGMA cache_size=-16384; PRAGMA mmap_size=268435456;";
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK)
      rc = orca_err_set(err, ORCA_EIO, "sqlite: cannot configure '%s': %s", u.path,
                        sqlite3_errmsg(s->db));
    /* A checkpoint runs inside the COMMIT that crossed the threshold, in
     * that connection: for a worker's pump, a stall of every task behind it
     * (two fsyncs, milliseconds). The pump checkpoints only at four times
     * the default, so while clients write, their commits take the
     * checkpoints; alone, it still bounds the WAL itself. */
    if (rc == 0 && opts && opts->task_path)
      sqlite3_wal_autocheckpoint(s->db, ORCA__SQ_PUMP_CHECKPOINT_PAGES);
  }
  if (rc == 0)
    rc = orca__sq_notify_open(s, err);
  if (rc) {
    sq_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

static int sq_open(const char *url, const orca__backend_opts *opts, orca__backend **out,
                   orca_err *err) {
  orca__sqlite *s;
  int rc = sq_open_role(url, opts, ORCA__SQ_FUSED, &s, err);
  *out = rc ? NULL : &s->base;
  return rc;
}

static int sq_open_log(const char *url, const orca__backend_opts *opts, orca__log **out,
                       orca_err *err) {
  orca__sqlite *s;
  int rc = sq_open_role(url, opts, ORCA__SQ_LOG, &s, err);
  *out = rc ? NULL : &s->log;
  return rc;
}

static int sq_open_store(const char *url, const orca__backend_opts *opts, orca__store **out,
                         orca_err *err) {
  orca__sqlite *s;
  int rc = sq_open_role(url, opts, ORCA__SQ_STORE, &s, err);
  *out = rc ? NULL : &s->store;
  return rc;
}

static void sq_close(orca__backend *b) {
  sq_free((orca__sqlite *)b);
}

static void sq_close_log(orca__log *l) {
  if (l)
    sq_free(orca__sq_of_log(l));
}

static void sq_close_store(orca__store *st) {
  if (st)
    sq_free(orca__sq_of_store(st));
}

static void sq_interrupt(orca__backend *b) {
  orca__sq_interrupt((orca__sqlite *)b);
}

static void sq_interrupt_log(orca__log *l) {
  orca__sq_interrupt(orca__sq_of_log(l));
}

static void sq_interrupt_store(orca__store *st) {
  orca__sq_interrupt(orca__sq_of_store(st));
}

/* The fused backend: the steps that touch both halves run here in one
 * transaction; the store-only ones go through the store half (same
 * connection). */
const orca__backend_ops orca__sqlite_ops = {
    .scheme = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .interrupt = sq_interrupt,
    .enqueue = orca__sq_enqueue,
    .fetch = orca__sq_fetch,
    .complete = orca__sq_complete,
    .extend = orca__sq_extend,
    .promote = orca__sq_promote,
    .state_get = orca__fwd_state_get,
    .state_wait = orca__fwd_state_wait,
    .cancel = orca__fwd_cancel,
    .dlq_list = orca__fwd_dlq_list,
    .dlq_requeue = orca__sq_dlq_requeue,
    .dlq_purge = orca__fwd_dlq_purge,
    .task_list = orca__fwd_task_list,
    .stats = orca__fwd_stats,
    .schedule_put = orca__fwd_schedule_put,
    .schedule_get = orca__fwd_schedule_get,
    .schedule_list = orca__fwd_schedule_list,
    .schedule_remove = orca__fwd_schedule_remove,
    .schedule_pause = orca__fwd_schedule_pause,
    .schedule_fire = orca__sq_schedule_fire,
    .release_worker = orca__sq_release_worker,
    .peer_ads = orca__fwd_peer_ads,
};

const orca__log_ops orca__sqlite_log_ops = {
    .scheme = "sqlite",
    .caps = ORCA__LOG_LEASES | ORCA__LOG_ORDERED,
    .open = sq_open_log,
    .close = sq_close_log,
    .interrupt = sq_interrupt_log,
    .append = orca__sq_append,
    .fetch = orca__sq_log_fetch,
    .complete = orca__sq_log_complete,
    .extend = orca__sq_log_extend,
    .release_worker = orca__sq_log_release_worker,
};

const orca__store_ops orca__sqlite_store_ops = {
    .scheme = "sqlite",
    .open = sq_open_store,
    .close = sq_close_store,
    .interrupt = sq_interrupt_store,
    .admit = orca__sq_admit,
    .handed = orca__sq_handed,
    .start = orca__sq_start,
    .finish = orca__sq_finish,
    .renew = orca__sq_renew,
    .due = orca__sq_due,
    .state_get = orca__sq_state_get,
    .state_wait = orca__sq_state_wait,
    .cancel = orca__sq_cancel,
    .dlq_list = orca__sq_dlq_list,
    .dlq_requeue = orca__sq_store_dlq_requeue,
    .dlq_purge = orca__sq_dlq_purge,
    .task_list = orca__sq_task_list,
    .stats = orca__sq_stats,
    .schedule_put = orca__sq_schedule_put,
    .schedule_get = orca__sq_schedule_get,
    .schedule_list = orca__sq_schedule_list,
    .schedule_remove = orca__sq_schedule_remove,
    .schedule_pause = orca__sq_schedule_pause,
    .schedule_fire = orca__sq_store_schedule_fire,
    .peer_ads = orca__sq_peer_ads,
};
