/* idl/parse.h — the state the flex scanner and the bison parser share, and
 * the entry point that turns one source buffer into a syntax tree.
 *
 * The parser only builds the tree (no checks in grammar actions); the
 * semantic pass in compiler/sema.c does the checks. All nodes come from the
 * caller's arena, which is why error recovery cannot leak. */
#ifndef ORCA_IDL_PARSE_H
#define ORCA_IDL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "idl/ast.h"
#include "idl/diag.h"
#include "orca/memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A growable array of pointers in an arena (old storage is abandoned to the
 * arena when it grows; at most twice the final size is wasted). */
typedef struct orcac_vec {
  void **items;
  size_t n, cap;
} orcac_vec;

/* Append p; returns false when out of memory. */
bool orcac_vec_push(orca_arena *a, orcac_vec *v, void *p);

/* Arena helpers: zeroed allocation and string copies (NULL when out of
 * memory). */
void *orcac_new(orca_arena *a, size_t size);
char *orcac_strndup(orca_arena *a, const char *s, size_t n);
char *orcac_strdup(orca_arena *a, const char *s);
char *orcac_printf(orca_arena *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A doc comment and the position of the token it documents. */
typedef struct orcac_doc {
  uint32_t line, col;
  const char *text;
} orcac_doc;

/* An opened bracket, to name it when its closer is missing. Brackets nest
 * at most ORCAC_MAX_OPEN deep (deeper ones are a syntax error), which bounds
 * every recursion over types and literals. */
typedef struct orcac_open {
  char ch;
  uint32_t line, col;
} orcac_open;

#define ORCAC_MAX_OPEN 64

typedef struct orcac_parse {
  orca_arena *arena;
  orcac_diags *diags;
  const char *path; /* the registered source path (diag.h) */
  const char *text; /* the source, NUL-terminated */
  size_t len;
  orca_ast_file *file; /* the result */
  /* scanner state */
  uint32_t line, col;                 /* position of the next byte */
  uint32_t comment_line, comment_col; /* where an open block comment began */
  const char *tok_text;               /* the last token scanned (for syntax errors) */
  size_t tok_len;
  orcac_open open[ORCAC_MAX_OPEN];
  size_t nopen;  /* may exceed ORCAC_MAX_OPEN (then only counted) */
  bool too_deep; /* nopen went past ORCAC_MAX_OPEN (reported once) */
  char *doc_buf; /* /// lines waiting for their token (heap) */
  size_t doc_len, doc_cap;
  orcac_vec docs; /* orcac_doc *, in source order */
  bool oom;
  bool want_decl_name; /* the last token was a declaration keyword at depth 0 */
  orcac_vec written;   /* const char *: names following declaration keywords */
  bool decl_broken;    /* an error was recovered from inside the current body */
  /* parser state */
  orcac_vec decls;   /* orca_ast_decl * */
  orcac_vec imports; /* orca_ast_import * */
} orcac_parse;

/* Parse text (len bytes; text[len] must be NUL) registered under `path` in
 * diags. Returns the tree — possibly partial after syntax errors, which are
 * reported through diags — or NULL when nothing usable came out (no package
 * line) or memory ran out. The tree lives in `arena`. */
orca_ast_file *orcac_parse_text(orca_arena *arena, orcac_diags *diags, const char *path,
                                const char *text, size_t len);

/* The doc comment documenting the token at (line, col), or NULL. */
const char *orcac_doc_at(orcac_parse *p, uint32_t line, uint32_t col);

#ifdef __cplusplus
}
#endif
#endif
