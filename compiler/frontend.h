/* compiler/frontend.h — loading .orca files: parse, resolve imports, check.
 *
 * An orcac_session owns everything one compilation creates: the arena every
 * tree lives in, the diagnostics sink, and the files loaded so far (an
 * imported file is parsed and checked once per session, however many files
 * import it). orcac_load() returns a tree that passed the semantic pass
 * (idl/ast.h, every [sema] member set) or NULL after reporting errors. */
#ifndef ORCAC_FRONTEND_H
#define ORCAC_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "idl/ast.h"
#include "idl/diag.h"
#include "idl/parse.h"
#include "orca/memory.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of the input: the size of one .orca file (the scanner's positions
 * and buffers are sized for it) and how deep imports may nest (each level
 * is a frame of the recursive loader). */
#define ORCAC_MAX_SOURCE_BYTES (64u << 20)
#define ORCAC_MAX_IMPORT_DEPTH 64

typedef struct orcac_loaded {
  char *key;           /* realpath of the file (heap) */
  orca_ast_file *file; /* NULL while loading (cycle detection) or after errors */
  bool failed;
} orcac_loaded;

typedef struct orcac_session {
  orca_arena arena;
  orcac_diags diags;
  const char *const *import_dirs; /* not copied: must outlive the session */
  size_t nimport_dirs;
  bool no_imports;  /* refuse `import` (fuzzing from memory) */
  orcac_vec loaded; /* orcac_loaded * (heap), in load order */
  orcac_vec stack;  /* orcac_loaded * being loaded, for cycle messages */
} orcac_session;

/* Start a session. Diagnostics are printed to diag_out (NULL: only counted,
 * the first kept in s->diags.first). */
void orcac_session_init(orcac_session *s, const char *const *import_dirs, size_t n, FILE *diag_out);

/* Release everything, every tree included. */
void orcac_session_free(orcac_session *s);

/* Load, import and check the file at path. Returns the checked tree, or NULL
 * when the file had errors (reported) or could not be read. */
orca_ast_file *orcac_load(orcac_session *s, const char *path);

/* The same for a file held in memory; `name` is used in diagnostics and to
 * resolve imports (relative to its directory). */
orca_ast_file *orcac_load_buffer(orcac_session *s, const char *name, const char *data, size_t len);

/* Every file the session read (the inputs and their imports), for depfiles:
 * calls fn for each resolved path. */
void orcac_session_files(const orcac_session *s, void (*fn)(void *ctx, const char *path),
                         void *ctx);

/* The semantic pass over one parsed file whose imports are loaded (sema.c).
 * Returns the number of errors it reported. */
unsigned orcac_sema(orcac_session *s, orca_ast_file *file);

#ifdef __cplusplus
}
#endif
#endif
