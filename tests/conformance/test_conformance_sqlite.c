/* test_conformance_sqlite.c — the conformance suite against the SQLite
 * backend: each case gets a new temporary directory, removed when the run
 * ends. Built twice: fused (one database, sqlite:DIR/orca.db) and, with
 * CF_SPLIT, as a SQLite log and a SQLite store in two files composed
 * through the generic path (sqlite:DIR/log.db?store=sqlite:DIR/store.db),
 * the same composition a Kafka log uses. The fused build also runs the log
 * cases on the SQLite log and the store cases on the SQLite store. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "conformance.h"

#define MAX_DIRS 64

typedef struct dirs {
  int n;
  char path[MAX_DIRS][64];
  char url[256];
} dirs;

static const char *make_url(void *ud) {
  dirs *d = ud;
  if (d->n == MAX_DIRS) {
    fprintf(stderr, "test_conformance_sqlite: more than %d cases\n", MAX_DIRS);
    abort();
  }
  char *p = d->path[d->n];
  snprintf(p, sizeof d->path[0], "/tmp/orca-conf-XXXXXX");
  if (!mkdtemp(p)) {
    perror("mkdtemp");
    abort();
  }
  d->n++;
#ifdef CF_SPLIT
  snprintf(d->url, sizeof d->url, "sqlite:%s/log.db?store=sqlite:%s/store.db", p, p);
#else
  snprintf(d->url, sizeof d->url, "sqlite:%s/orca.db", p);
#endif
  return d->url;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

int main(void) {
  static dirs d;
  /* liborca is a static archive and the registry refers to backends weakly:
   * a strong reference pulls the SQLite backend into this program. */
  if (!orca__sqlite_ops.open)
    return 1;
#ifdef CF_SPLIT
  int failed = orca_conformance_run("conformance/sqlite+sqlite", make_url, &d);
#else
  int failed = orca_conformance_run("conformance/sqlite", make_url, &d);
  failed += orca_conformance_run_log("conformance/sqlite-log", &orca__sqlite_log_ops, make_url, &d);
  failed +=
      orca_conformance_run_store("conformance/sqlite-store", &orca__sqlite_store_ops, make_url, &d);
#endif
  for (int i = 0; i < d.n; i++)
    nftw(d.path[i], rm_entry, 8, FTW_DEPTH | FTW_PHYS);
  return failed;
}
