/* test_conformance_sqlite.c — the conformance suite against the SQLite
 * backend: each case gets a database in a new temporary directory, removed
 * when the run ends. */
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
  char url[128];
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
  snprintf(d->url, sizeof d->url, "sqlite:%s/orca.db", p);
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
  int failed = orca_conformance_run("conformance/sqlite", make_url, &d);
  for (int i = 0; i < d.n; i++)
    nftw(d.path[i], rm_entry, 8, FTW_DEPTH | FTW_PHYS);
  return failed;
}
