/* compiler/sema_internal.h — what the files of the semantic pass share.
 *
 * The pass (orcac_sema() in sema.c) is split by job:
 *   sema.c          declarations, type resolution, fields, enums; the driver
 *   sema_lit.c      typed literals (defaults, schedule arguments)
 *   sema_policy.c   task annotations and schedules
 *   sema_graph.c    walks over the struct graph: by-value cycles, C
 *                   definition order, recursive groups
 *   sema_cnames.c   names as C names: length and '_' rules, members, the
 *                   file-scope names a file defines against what C reserves,
 *                   each other and its imports'
 * Every function reports its errors through ERR() and never stops the pass.
 * Strings they return live in the session arena. */
#ifndef ORCAC_SEMA_INTERNAL_H
#define ORCAC_SEMA_INTERNAL_H

#include <stdbool.h>

#include "compiler/frontend.h"
#include "compiler/symtab.h"
#include "idl/ast.h"

typedef struct sema {
  orcac_session *s;
  orca_ast_file *f;
  orca_arena *a;
  orcac_symtab names;   /* decl name -> decl */
  orcac_symtab cnames;  /* C identifier -> const char * description */
  bool prefix_reported; /* the package's C prefix is reserved (reported once) */
  orcac_symtab indexes; /* decl -> orcac_symtab * (heap) of its fields or values by name */
  orcac_symtab written; /* names written after declaration keywords (syntax errors too) */
} sema;

#define ERR(pos, ...) orcac_diag(&S->s->diags, false, (pos), __VA_ARGS__)

/* ", did you mean 'best'?", or "" when best is NULL. */
const char *orcac__sema_dym(sema *S, const char *best);

/* True while messages are still printed (orcac_diags.max_errors): only
 * then is a "did you mean" worth its search over every candidate. */
bool orcac__sema_printing(sema *S);

/* The field of struct (or task arguments) d named `name`, and the value of
 * enum e named `name`, or NULL: hash lookups, the index built on first use
 * and kept until the pass ends, so literals and schedule arguments cost
 * time linear in their size. */
orca_ast_field *orcac__sema_field_named(sema *S, const orca_ast_decl *d, const char *name);
const orca_ast_enum_value *orcac__sema_value_named(sema *S, const orca_ast_decl *e,
                                                   const char *name);

/* The closest field name of d to `name` for "did you mean", or NULL (also
 * when messages are no longer printed). */
const char *orcac__sema_suggest_field(sema *S, const orca_ast_decl *d, const char *name);

/* The declaration `name` ("Order" or "pkg.Order") visible in the file.
 * Reports an unknown package (then *reported is set); NULL when not found,
 * which the caller reports. */
orca_ast_decl *orcac__sema_lookup(sema *S, const char *name, orca_ast_pos pos, bool *reported);

/* True when `name` was written as a declaration that a syntax error dropped:
 * its uses are not reported again. */
bool orcac__sema_dropped(sema *S, const char *name);

/* Resolve a written type (kind, decl, spelling); false after reporting. */
bool orcac__sema_resolve_type(sema *S, orca_ast_type *t);

/* Check the fields of a struct or the parameters of a task (`what` is
 * "field" or "parameter"): names, ids, types, defaults; sets by_id. */
void orcac__sema_fields(sema *S, orca_ast_decl *d, const char *what);

/* How a literal reads in a message: "an integer", "'FREE'", ... */
const char *orcac__sema_lit_desc(sema *S, const orca_ast_lit *l);

/* Type literal l as t (sets l->kind and the typed value); `ctx` starts the
 * messages ("default value of 'qty'"). False after reporting. */
bool orcac__sema_check_lit(sema *S, orca_ast_lit *l, const orca_ast_type *t, const char *ctx);

/* A task: annotations into its policy, its parameters, its result type. */
void orcac__sema_task(sema *S, orca_ast_decl *d);

/* A schedule: trigger, catch-up, task and pre-encoded arguments. */
void orcac__sema_schedule(sema *S, orca_ast_decl *d);

/* The struct graph of the file: by-value cycles (errors), structs_topo,
 * strct.recursive. */
void orcac__sema_graph(sema *S);

/* Check a .orca name (`what`: "struct", "field", ...): length, "__", and
 * for a package or declaration (joined = true) no '_' at either end.
 * False after reporting. */
bool orcac__sema_check_name(sema *S, const char *name, orca_ast_pos pos, const char *what,
                            bool joined);

/* Check the name of a field or parameter as a C struct member and set its
 * c_name. */
void orcac__sema_member_name(sema *S, orca_ast_field *f, const char *what);

/* The package name, its C prefix (sets file->prefix; a reserved prefix is
 * reported once) and the file name. False when the package name itself is
 * bad. */
bool orcac__sema_package(sema *S);

/* compiler/names.h names in the arena (NULL when out of memory). */
const char *orcac__sema_c_name(sema *S, const char *package, const char *name, const char *suffix);
const char *orcac__sema_c_enum_value(sema *S, const char *package, const char *enum_name,
                                     const char *value);

/* The file-scope C names of the file and its imports: reserved names and
 * collisions (errors). */
void orcac__sema_cnames(sema *S);

#endif
