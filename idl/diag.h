/* idl/diag.h — diagnostics of the .orca front end.
 *
 * Every error and warning orcac reports goes through orcac_diag(): it prints
 * `FILE:LINE:COL: error: MESSAGE`, then the source line and a caret under the
 * column, the form editors jump to. The sink also keeps the first error as a
 * one-line text for callers that show a single message (the `orca` CLI via
 * compiler/reflect.c). Sources are registered so the caret line can be
 * printed; the sink owns the registered copies. */
#ifndef ORCA_IDL_DIAG_H
#define ORCA_IDL_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "idl/ast.h"
#include "orca/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct orcac_source {
  const char *path; /* owned (heap) */
  const char *text; /* owned; NUL-terminated */
  size_t len;
  size_t *lines; /* byte offset of each line start, built on first use */
  size_t nlines;
  struct orcac_source *next;
} orcac_source;

/* A diagnostic held back to be printed in source order. */
typedef struct orcac_held {
  orca_ast_pos pos;
  bool warning;
  size_t seq;
  char *msg; /* heap */
} orcac_held;

typedef struct orcac_diags {
  FILE *out;       /* where to print; NULL = print nothing */
  unsigned errors; /* errors reported so far */
  unsigned warnings;
  unsigned max_errors; /* stop printing (not counting) past this; 0 = 200 */
  orca_err first;      /* first error: "FILE:LINE:COL: MESSAGE" */
  orcac_source *sources;
  unsigned holding; /* > 0: collect instead of printing (see orcac_diag_hold) */
  orcac_held *held;
  size_t nheld, capheld, seq;
} orcac_diags;

/* Register a copy of a source text under `path`; returns the stored source
 * (its `path` is the string to put in orca_ast_pos.file) or NULL when out of
 * memory. */
orcac_source *orcac_diag_add_source(orcac_diags *d, const char *path, const char *text, size_t len);

/* A run of name characters ([A-Za-z0-9_]) in a message longer than
 * ORCAC_DIAG_NAME_MAX is printed as its first and last ORCAC_DIAG_NAME_KEEP
 * characters around "...". */
#define ORCAC_DIAG_NAME_MAX 80
#define ORCAC_DIAG_NAME_KEEP 38

/* The caret line shows at most this many bytes of a long source line. */
#define ORCAC_DIAG_LINE_MAX 160

/* Report an error (warning = false) or a warning at pos. pos.line 0 means no
 * position (just "FILE: error: ..."; file may be NULL too). Messages are
 * never cut; long names in them are elided in the middle (above). */
void orcac_diag(orcac_diags *d, bool warning, orca_ast_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Hold diagnostics from now on, so a file's parse and sema messages can be
 * printed in source order. Returns a mark for orcac_diag_flush(); holds
 * nest. */
size_t orcac_diag_hold(orcac_diags *d);

/* Print (sorted by file, line, column) and drop the diagnostics held since
 * `mark`, and end that hold. */
void orcac_diag_flush(orcac_diags *d, size_t mark);

/* Release the registered sources (and anything still held, unprinted). */
void orcac_diag_free(orcac_diags *d);

#ifdef __cplusplus
}
#endif
#endif
