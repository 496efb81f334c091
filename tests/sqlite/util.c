/* util.c — scratch directories and backend opening for tests/sqlite. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "util.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

void sq_scratch_make(sq_scratch *s) {
  snprintf(s->dir, sizeof s->dir, "/tmp/orca-sqlite-XXXXXX");
  if (!mkdtemp(s->dir)) {
    perror("mkdtemp");
    abort();
  }
  snprintf(s->path, sizeof s->path, "%s/orca.db", s->dir);
  snprintf(s->url, sizeof s->url, "sqlite:%s", s->path);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void sq_scratch_remove(sq_scratch *s) {
  nftw(s->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

orca__backend *sq_open(const char *url, const orca_clock *clock) {
  if (!orca__sqlite_ops.open) /* a strong reference keeps the backend linked */
    fail_msg("sqlite backend missing");
  orca__backend_opts o = {.clock = clock};
  orca_err err = {0};
  orca__backend *b = NULL;
  int rc = orca__backend_open(url, &o, &b, &err);
  if (rc)
    fail_msg("open %s: %s", url, err.msg);
  return b;
}
