/* compiler/sema_cnames.c — the rules names follow because they become C
 * names (compiler/names.h):
 *   - every .orca name: at most ORCAC_MAX_NAME bytes, no "__"; package and
 *     declaration names also no '_' at either end (they are joined with
 *     '_' into C names);
 *   - struct members (fields and parameters) must not be what C reserves
 *     for members (compiler/c_names.h); their presence flags "has_x" match
 *     no reserved name;
 *   - every file-scope name a file makes the generated code define (types,
 *     functions, enum constants, the include guard) is claimed in one table
 *     with those of its imports: a name C reserves, or one that two
 *     declarations would define, is an error at the declaration. */
#include <string.h>

#include "compiler/c_names.h"
#include "compiler/names.h"
#include "compiler/sema_internal.h"

bool orcac__sema_check_name(sema *S, const char *name, orca_ast_pos pos, const char *what,
                            bool joined) {
  size_t len = strlen(name);
  if (len > ORCAC_MAX_NAME) {
    ERR(pos, "%s name '%s' is %zu characters long; names are limited to %d", what, name, len,
        ORCAC_MAX_NAME);
    return false;
  }
  if (strstr(name, "__")) {
    ERR(pos, "%s name '%s' contains '__', which generated C reserves", what, name);
    return false;
  }
  if (joined && (name[0] == '_' || name[len - 1] == '_')) {
    ERR(pos, "%s name '%s' %s with '_', which generated C names cannot (they join names with '_')",
        what, name, name[0] == '_' ? "starts" : "ends");
    return false;
  }
  return true;
}

void orcac__sema_member_name(sema *S, orca_ast_field *f, const char *what) {
  f->c_name = f->name;
  if (!orcac__sema_check_name(S, f->name, f->pos, what, false))
    return;
  const char *why = orcac_c_reserved(f->name, ORCAC_C_MEMBER);
  if (why)
    ERR(f->pos, "%s name '%s' is %s", what, f->name, why);
}

/* names.h results, in the arena (NULL when out of memory). */
const char *orcac__sema_c_name(sema *S, const char *package, const char *name, const char *suffix) {
  size_t n = orcac_c_name(NULL, 0, package, name, suffix);
  char *b = orca_arena_alloc(S->a, n + 1);
  if (b)
    orcac_c_name(b, n + 1, package, name, suffix);
  return b;
}

const char *orcac__sema_c_enum_value(sema *S, const char *package, const char *enum_name,
                                     const char *value) {
  size_t n = orcac_c_enum_value(NULL, 0, package, enum_name, value);
  char *b = orca_arena_alloc(S->a, n + 1);
  if (b)
    orcac_c_enum_value(b, n + 1, package, enum_name, value);
  return b;
}

static const char *c_guard(sema *S, const char *basename) {
  size_t n = orcac_c_guard(NULL, 0, basename);
  char *b = orca_arena_alloc(S->a, n + 1);
  if (b)
    orcac_c_guard(b, n + 1, basename);
  return b;
}

typedef struct cname_ctx {
  sema *S;
  orca_ast_pos pos;
  const char *desc;
  bool report;
  bool reported; /* one collision message per declaration is enough */
  bool guard;    /* claiming an include guard */
} cname_ctx;

/* Claim one C name for c->desc: report (once per declaration) a name C
 * reserves, or one claimed before. */
static void claim(void *vctx, const char *cname) {
  cname_ctx *c = vctx;
  sema *S = c->S;
  char *key = orcac_strdup(S->a, cname);
  if (!key)
    return;
  const char *why = S->prefix_reported ? NULL : orcac_c_reserved(cname, ORCAC_C_FILE);
  /* Generated guards end in _ORCA_H, liborca's are ORCA_NAME_H: in
   * liborca's namespace, only a file named orca.orca meets one. */
  if (c->guard && strncmp(cname, "ORCA_", 5) == 0 && strcmp(cname, "ORCA_ORCA_H") != 0)
    why = NULL;
  const char *old = orcac_symtab_put(&S->cnames, key, (void *)c->desc);
  if (!c->report || c->reported)
    return;
  if (why) {
    ERR(c->pos, "%s defines '%s' in generated C, which is %s", c->desc, cname, why);
    c->reported = true;
  } else if (old && old != (void *)-1) {
    ERR(c->pos, "%s collides in generated C with %s (both define '%s')", c->desc, old, cname);
    c->reported = true;
  }
}

static void claim_decl(sema *S, const orca_ast_decl *d, bool report) {
  /* A duplicate name was reported already; its C names add nothing. */
  if (report && orcac_symtab_get(&S->names, d->name) != d)
    return;
  const char *where = d->file == S->f ? orcac_printf(S->a, " (line %u)", d->pos.line)
                                      : orcac_printf(S->a, " (%s)", d->file->path);
  cname_ctx c = {.S = S,
                 .pos = d->pos,
                 .desc =
                     orcac_printf(S->a, "%s '%s'%s", orca_ast_kind_name(d->kind), d->name, where),
                 .report = report};
  if (!c.desc)
    return;
  orcac_names_reserved(d->file->package, d->kind, d->name, claim, &c);
  if (d->kind == ORCA_AST_ENUM)
    for (size_t i = 0; i < d->enm.nvalues; i++) {
      const orca_ast_enum_value *v = &d->enm.values[i];
      c.reported = false;
      c.pos = v->pos;
      c.desc = orcac_printf(S->a, "enum value '%s.%s'", d->name, v->name);
      if (c.desc && v->c_name)
        claim(&c, v->c_name);
    }
}

/* The include guard of f's generated header. Guards of imported headers
 * are reported too, at `at` (the import that brings f in): two headers
 * with one guard cannot be included together. */
static void claim_guard(sema *S, const orca_ast_file *f, orca_ast_pos at) {
  const char *guard = c_guard(S, f->basename);
  cname_ctx c = {.S = S,
                 .pos = at,
                 .desc = orcac_printf(S->a, "the include guard of %s.orca.h (from '%s')",
                                      f->basename, f->path),
                 .report = true,
                 .guard = true};
  if (guard && c.desc)
    claim(&c, guard);
}

/* Claim every name of file f (an import of this file, `at` its import
 * line) and of its own imports, once each. */
static void claim_file(sema *S, const orca_ast_file *f, orca_ast_pos at, orcac_symtab *done) {
  if (!f || !f->package || orcac_symtab_get(done, f->path))
    return;
  orcac_symtab_put(done, f->path, (void *)f);
  for (size_t i = 0; i < f->nimports; i++)
    claim_file(S, f->imports[i].file, at, done);
  claim_guard(S, f, at);
  cname_ctx c = {.S = S, .desc = orcac_printf(S->a, "the API of package '%s'", f->package)};
  if (c.desc)
    orcac_names_file_reserved(f->package, claim, &c);
  for (size_t i = 0; i < f->ndecls; i++)
    if (f->decls[i]->qname)
      claim_decl(S, f->decls[i], false);
}

bool orcac__sema_package(sema *S) {
  orca_ast_file *f = S->f;
  bool ok = orcac__sema_check_name(S, f->package, f->package_pos, "package", true);
  size_t n = ok ? orcac_c_prefix(NULL, 0, f->package) : 0;
  char *prefix = orca_arena_alloc(S->a, n + 1);
  if (!prefix)
    return false;
  orcac_c_prefix(prefix, n + 1, f->package);
  f->prefix = prefix;
  const char *why = ok ? orcac_c_reserved(prefix, ORCAC_C_FILE) : NULL;
  if (why) {
    ERR(f->package_pos, "package name '%s' starts every generated C name with '%s', which is %s",
        f->package, prefix, why);
    S->prefix_reported = true;
  }
  if (!orcac_file_name_ok(f->basename))
    ERR(((orca_ast_pos){f->path, 0, 0}),
        "file name '%s' cannot name generated C (%s.orca.h and its include guard): use a letter, "
        "then letters, digits, '_', '-' or '.'",
        f->basename, f->basename);
  return ok;
}

void orcac__sema_cnames(sema *S) {
  orca_ast_file *f = S->f;
  orcac_symtab done = {0};
  for (size_t i = 0; i < f->nimports; i++)
    claim_file(S, f->imports[i].file, f->imports[i].pos, &done);
  orcac_symtab_put(&done, f->path, f);
  if (orcac_file_name_ok(f->basename))
    claim_guard(S, f, f->package_pos);
  cname_ctx c = {.S = S,
                 .pos = f->package_pos,
                 .desc = orcac_printf(S->a, "the API of package '%s'", f->package),
                 .report = true};
  if (c.desc)
    orcac_names_file_reserved(f->package, claim, &c);
  for (size_t i = 0; i < f->ndecls; i++)
    claim_decl(S, f->decls[i], true);
  orcac_symtab_free(&done);
  orcac_symtab_free(&S->cnames);
}
