/* util.h — what the SQLite-specific tests share: a scratch directory per
 * test with its database URL, and opening the backend. */
#ifndef ORCA_TEST_SQLITE_UTIL_H
#define ORCA_TEST_SQLITE_UTIL_H

#include "backend/backend.h"

typedef struct sq_scratch {
  char dir[64];   /* /tmp/orca-sqlite-XXXXXX */
  char path[128]; /* dir/orca.db */
  char url[160];  /* sqlite:path */
} sq_scratch;

/* Create a fresh scratch directory (aborts on failure). */
void sq_scratch_make(sq_scratch *s);
/* Remove the directory and everything in it. */
void sq_scratch_remove(sq_scratch *s);
/* Open url with clock (NULL = real); fails the cmocka test on error. */
orca__backend *sq_open(const char *url, const orca_clock *clock);

#endif
