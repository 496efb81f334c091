/* compiler/sema.c — the semantic pass: every check of the .orca language,
 * and the [sema] members of idl/ast.h (resolved types, typed literals,
 * policies, schedules, C names, fingerprints). This file declares names,
 * resolves types, checks fields and enums, and runs the pass; the other
 * jobs have their own files (compiler/sema_internal.h).
 *
 * It reports as many errors as it can: a declaration with an error is still
 * checked to its end, and a type that failed to resolve keeps kind 0 so
 * later checks that depend on it stay silent instead of cascading. */
#include <float.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/names.h"
#include "compiler/sema.h"
#include "compiler/sema_internal.h"

static const struct {
  const char *name;
  orca_kind kind;
} builtins[] = {
    {"bool", ORCA_KIND_BOOL},         {"i8", ORCA_KIND_I8},
    {"i16", ORCA_KIND_I16},           {"i32", ORCA_KIND_I32},
    {"i64", ORCA_KIND_I64},           {"u8", ORCA_KIND_U8},
    {"u16", ORCA_KIND_U16},           {"u32", ORCA_KIND_U32},
    {"u64", ORCA_KIND_U64},           {"f32", ORCA_KIND_F32},
    {"f64", ORCA_KIND_F64},           {"string", ORCA_KIND_STRING},
    {"bytes", ORCA_KIND_BYTES},       {"timestamp", ORCA_KIND_TIMESTAMP},
    {"duration", ORCA_KIND_DURATION},
};
#define NBUILTINS (sizeof builtins / sizeof builtins[0])

static orca_kind builtin_kind(const char *name) {
  for (size_t i = 0; i < NBUILTINS; i++)
    if (strcmp(builtins[i].name, name) == 0)
      return builtins[i].kind;
  return 0;
}

static bool is_int_kind(orca_kind k) {
  return k >= ORCA_KIND_I8 && k <= ORCA_KIND_U64;
}

const char *orcac__sema_dym(sema *S, const char *best) {
  return best ? orcac_printf(S->a, ", did you mean '%s'?", best) : "";
}

bool orcac__sema_printing(sema *S) {
  const orcac_diags *d = &S->s->diags;
  return d->errors < (d->max_errors ? d->max_errors : 200);
}

/* ------------------------------------------------------------ indexes */

/* The element named `name` among n elements of `size` bytes at base, whose
 * name is the const char * at offset name_off; the first of equal names. */
static void *named(sema *S, const void *owner, const void *base, size_t n, size_t size,
                   size_t name_off, const char *name) {
  char key[2 * sizeof(void *) + 3];
  snprintf(key, sizeof key, "%p", owner);
  orcac_symtab *ix = orcac_symtab_get(&S->indexes, key);
  if (!ix) {
    char *k = orcac_strdup(S->a, key);
    ix = calloc(1, sizeof *ix);
    if (!k || !ix || orcac_symtab_put(&S->indexes, k, ix) == (void *)-1) {
      free(ix);
      return NULL;
    }
    for (size_t i = 0; i < n; i++) {
      const char *elem = (const char *)base + i * size;
      orcac_symtab_put(ix, *(const char *const *)(elem + name_off), (void *)elem);
    }
  }
  return orcac_symtab_get(ix, name);
}

orca_ast_field *orcac__sema_field_named(sema *S, const orca_ast_decl *d, const char *name) {
  return named(S, d, d->strct.fields, d->strct.nfields, sizeof *d->strct.fields,
               offsetof(orca_ast_field, name), name);
}

const orca_ast_enum_value *orcac__sema_value_named(sema *S, const orca_ast_decl *e,
                                                   const char *name) {
  return named(S, e, e->enm.values, e->enm.nvalues, sizeof *e->enm.values,
               offsetof(orca_ast_enum_value, name), name);
}

const char *orcac__sema_suggest_field(sema *S, const orca_ast_decl *d, const char *name) {
  const char **names = orcac__sema_printing(S)
                           ? orca_arena_alloc(S->a, (d->strct.nfields + 1) * sizeof *names)
                           : NULL;
  if (!names)
    return NULL;
  for (size_t j = 0; j < d->strct.nfields; j++)
    names[j] = d->strct.fields[j].name;
  return orcac_suggest(name, names, d->strct.nfields);
}

static void free_indexes(sema *S) {
  for (size_t i = 0; i < S->indexes.cap; i++)
    if (S->indexes.keys[i]) {
      orcac_symtab_free(S->indexes.vals[i]);
      free(S->indexes.vals[i]);
    }
  orcac_symtab_free(&S->indexes);
}

/* ------------------------------------------------------------ names */

static void declare(sema *S, orca_ast_decl *d) {
  if (!orcac__sema_check_name(S, d->name, d->pos, orca_ast_kind_name(d->kind), true))
    return;
  if ((d->kind == ORCA_AST_ENUM || d->kind == ORCA_AST_STRUCT) && builtin_kind(d->name)) {
    ERR(d->pos, "'%s' is a builtin type and cannot be declared", d->name);
    return;
  }
  orca_ast_decl *old = orcac_symtab_put(&S->names, d->name, d);
  if (old == (void *)-1)
    return;
  if (old)
    ERR(d->pos, "duplicate name '%s' (first declared as %s at line %u)", d->name,
        orca_ast_kind_name(old->kind), old->pos.line);
}

/* True when `name` was written as a declaration that a syntax error
 * dropped: its uses are not reported again. */
bool orcac__sema_dropped(sema *S, const char *name) {
  if (strchr(name, '.'))
    return false;
  if (!S->written.cap)
    for (size_t i = 0; i < S->f->nwritten_names; i++)
      orcac_symtab_put(&S->written, S->f->written_names[i], (void *)S->f->written_names[i]);
  return orcac_symtab_get(&S->written, name) && !orcac_symtab_get(&S->names, name);
}

/* --------------------------------------------------------------- types */

/* Candidates for "did you mean" on an unknown type name. */
static const char *suggest_type(sema *S, const char *name) {
  size_t n = NBUILTINS + S->f->ndecls;
  const char **c = orcac__sema_printing(S) ? orca_arena_alloc(S->a, n * sizeof *c) : NULL;
  if (!c)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < NBUILTINS; i++)
    c[k++] = builtins[i].name;
  for (size_t i = 0; i < S->f->ndecls; i++) {
    orca_ast_decl *d = S->f->decls[i];
    if (d->kind == ORCA_AST_ENUM || d->kind == ORCA_AST_STRUCT)
      c[k++] = d->name;
  }
  return orcac_suggest(name, c, k);
}

static orca_ast_file *import_of(sema *S, const char *pkg, size_t plen) {
  for (size_t i = 0; i < S->f->nimports; i++) {
    orca_ast_file *f = S->f->imports[i].file;
    if (f && f->package && strlen(f->package) == plen && strncmp(f->package, pkg, plen) == 0)
      return f;
  }
  return NULL;
}

/* Find a declaration by name: local, or `pkg.Name` from an import. Reports
 * an unknown package; returns NULL when not found (caller reports). */
orca_ast_decl *orcac__sema_lookup(sema *S, const char *name, orca_ast_pos pos, bool *reported) {
  const char *dot = strchr(name, '.');
  *reported = false;
  if (!dot)
    return orcac_symtab_get(&S->names, name);
  orca_ast_file *f = import_of(S, name, (size_t)(dot - name));
  if (!f) {
    ERR(pos, "unknown package '%.*s' in '%s' (is it imported?)", (int)(dot - name), name, name);
    *reported = true;
    return NULL;
  }
  return orca_ast_find(f, dot + 1);
}

bool orcac__sema_resolve_type(sema *S, orca_ast_type *t) {
  if (!t)
    return false;
  if (t->kind == ORCA_KIND_LIST) {
    if (!orcac__sema_resolve_type(S, t->elem)) {
      t->kind = 0;
      return false;
    }
    t->spelling = orcac_printf(S->a, "list<%s>", t->elem->spelling);
    return true;
  }
  if (t->kind == ORCA_KIND_MAP) {
    bool ok = orcac__sema_resolve_type(S, t->key);
    ok = orcac__sema_resolve_type(S, t->elem) && ok;
    if (ok && t->key->kind != ORCA_KIND_STRING && !is_int_kind(t->key->kind)) {
      ERR(t->key->pos, "map key type must be string or an integer type, not '%s'",
          t->key->spelling);
      ok = false;
    }
    if (!ok) {
      t->kind = 0;
      return false;
    }
    t->spelling = orcac_printf(S->a, "map<%s, %s>", t->key->spelling, t->elem->spelling);
    return true;
  }
  t->spelling = t->name;
  orca_kind k = builtin_kind(t->name);
  if (k) {
    t->kind = k;
    return true;
  }
  bool reported;
  orca_ast_decl *d = orcac__sema_lookup(S, t->name, t->pos, &reported);
  if (reported)
    return false;
  if (!d) {
    if (!orcac__sema_dropped(S, t->name))
      ERR(t->pos, "unknown type '%s'%s", t->name, orcac__sema_dym(S, suggest_type(S, t->name)));
    return false;
  }
  if (d->kind != ORCA_AST_ENUM && d->kind != ORCA_AST_STRUCT) {
    ERR(t->pos, "'%s' is a %s, not a type", t->name, orca_ast_kind_name(d->kind));
    return false;
  }
  t->kind = d->kind == ORCA_AST_ENUM ? ORCA_KIND_ENUM : ORCA_KIND_STRUCT;
  t->decl = d;
  return true;
}

/* -------------------------------------------------------------- fields */

static int cmp_field_id(const void *a, const void *b) {
  const orca_ast_field *x = *(orca_ast_field *const *)a, *y = *(orca_ast_field *const *)b;
  if (x->id != y->id)
    return (x->id > y->id) - (x->id < y->id);
  return (x > y) - (x < y); /* declaration order among equal ids */
}

/* The id of f as written: the parser saturates ids that do not fit. */
static const char *id_text(sema *S, const orca_ast_field *f) {
  const orca_ast_lit *l = f->id_lit;
  if (!l)
    return orcac_printf(S->a, "%" PRIu32, f->id);
  return l->is_unsigned ? orcac_printf(S->a, "%" PRIu64, l->v.u)
                        : orcac_printf(S->a, "%" PRId64, l->v.i);
}

/* Check the fields of a struct or the parameters of a task (`what` is
 * "field" or "parameter"). */
void orcac__sema_fields(sema *S, orca_ast_decl *d, const char *what) {
  orca_ast_struct *st = &d->strct;
  orcac_symtab seen = {0};
  for (size_t i = 0; i < st->nfields; i++) {
    orca_ast_field *f = &st->fields[i];
    orcac__sema_member_name(S, f, what);
    if (f->id < 1 || f->id > 65535)
      ERR(f->id_pos, "%s id %s is out of range (1 to 65535)", what, id_text(S, f));
    orca_ast_field *old = orcac_symtab_put(&seen, f->name, f);
    if (old && old != (void *)-1)
      ERR(f->pos, "duplicate %s name '%s' (first at line %u)", what, f->name, old->pos.line);
    if (orcac__sema_resolve_type(S, f->type) && f->def) {
      orca_kind k = f->type->kind;
      if (k == ORCA_KIND_LIST || k == ORCA_KIND_MAP || k == ORCA_KIND_STRUCT)
        ERR(f->def->pos, "%s '%s' of type %s cannot have a default value", what, f->name,
            f->type->spelling);
      else
        orcac__sema_check_lit(S, f->def, f->type,
                              orcac_printf(S->a, "default value of '%s'", f->name));
    }
  }
  /* Presence flags of optional scalars are members named has_NAME. */
  for (size_t i = 0; i < st->nfields; i++) {
    orca_ast_field *f = &st->fields[i];
    if (strncmp(f->name, "has_", 4) == 0) {
      orca_ast_field *o = orcac_symtab_get(&seen, f->name + 4);
      if (o && o->optional && !(o->type && o->type->kind == ORCA_KIND_STRUCT))
        ERR(f->pos, "%s '%s' collides in generated C with the presence flag of optional '%s'", what,
            f->name, o->name);
    }
  }
  orcac_symtab_free(&seen);
  st->by_id = orca_arena_alloc(S->a, (st->nfields ? st->nfields : 1) * sizeof *st->by_id);
  if (!st->by_id)
    return;
  for (size_t i = 0; i < st->nfields; i++)
    st->by_id[i] = &st->fields[i];
  qsort(st->by_id, st->nfields, sizeof *st->by_id, cmp_field_id);
  for (size_t i = 1; i < st->nfields; i++)
    if (st->by_id[i]->id == st->by_id[i - 1]->id && st->by_id[i]->id >= 1 &&
        st->by_id[i]->id <= 65535)
      ERR(st->by_id[i]->id_pos, "duplicate %s id %u (also used by '%s' at line %u)", what,
          st->by_id[i]->id, st->by_id[i - 1]->name, st->by_id[i - 1]->pos.line);
}

/* --------------------------------------------------------------- enums */

static int cmp_value(const void *a, const void *b) {
  const orca_ast_enum_value *x = *(orca_ast_enum_value *const *)a;
  const orca_ast_enum_value *y = *(orca_ast_enum_value *const *)b;
  if (x->value != y->value)
    return (x->value > y->value) - (x->value < y->value);
  return (x > y) - (x < y);
}

static void check_enum(sema *S, orca_ast_decl *d) {
  orca_ast_enum *e = &d->enm;
  if (!e->nvalues && !d->broken)
    ERR(d->pos, "enum '%s' has no values", d->name);
  orcac_symtab seen = {0};
  for (size_t i = 0; i < e->nvalues; i++) {
    orca_ast_enum_value *v = &e->values[i];
    bool ok = orcac__sema_check_name(S, v->name, v->pos, "enum value", false);
    orca_ast_enum_value *old = orcac_symtab_put(&seen, v->name, v);
    if (old && old != (void *)-1) {
      ERR(v->pos, "duplicate enum value name '%s' (first at line %u)", v->name, old->pos.line);
      ok = false;
    }
    /* Without a C name a bad or repeated value is left out of the C name
     * checks (it is reported already). */
    v->c_name = ok ? orcac__sema_c_enum_value(S, S->f->package, d->name, v->name) : NULL;
  }
  orcac_symtab_free(&seen);
  e->by_value = orca_arena_alloc(S->a, (e->nvalues ? e->nvalues : 1) * sizeof *e->by_value);
  if (!e->by_value)
    return;
  for (size_t i = 0; i < e->nvalues; i++)
    e->by_value[i] = &e->values[i];
  qsort(e->by_value, e->nvalues, sizeof *e->by_value, cmp_value);
  for (size_t i = 1; i < e->nvalues; i++)
    if (e->by_value[i]->value == e->by_value[i - 1]->value)
      ERR(e->by_value[i]->pos, "duplicate enum value %d (also '%s' at line %u)",
          e->by_value[i]->value, e->by_value[i - 1]->name, e->by_value[i - 1]->pos.line);
}

/* ---------------------------------------------------------------- file */

static void views(sema *S) {
  orca_ast_file *f = S->f;
  size_t n = f->ndecls ? f->ndecls : 1;
  f->enums = orca_arena_alloc(S->a, n * sizeof *f->enums);
  f->structs = orca_arena_alloc(S->a, n * sizeof *f->structs);
  f->tasks = orca_arena_alloc(S->a, n * sizeof *f->tasks);
  f->schedules = orca_arena_alloc(S->a, n * sizeof *f->schedules);
  if (!f->enums || !f->structs || !f->tasks || !f->schedules)
    return;
  for (size_t i = 0; i < f->ndecls; i++) {
    orca_ast_decl *d = f->decls[i];
    switch (d->kind) {
    case ORCA_AST_ENUM:
      f->enums[f->nenums++] = d;
      break;
    case ORCA_AST_STRUCT:
      f->structs[f->nstructs++] = d;
      break;
    case ORCA_AST_TASK:
      f->tasks[f->ntasks++] = d;
      break;
    case ORCA_AST_SCHEDULE:
      f->schedules[f->nschedules++] = d;
      break;
    }
  }
}

unsigned orcac_sema(orcac_session *s, orca_ast_file *f) {
  sema st = {.s = s, .f = f, .a = &s->arena};
  sema *S = &st;
  unsigned before = s->diags.errors;
  if (!f->package) {
    ERR(((orca_ast_pos){f->path, 1, 1}), "missing 'package NAME;' at the start of the file");
    return s->diags.errors - before;
  }
  orcac__sema_package(S);
  orcac_symtab packages = {0}; /* package -> its first import */
  for (size_t i = 0; i < f->nimports; i++) {
    orca_ast_import *im = &f->imports[i];
    if (!im->file)
      continue;
    if (strcmp(im->file->package, f->package) == 0)
      ERR(im->pos, "imported file '%s' declares the same package '%s'", im->path, f->package);
    orca_ast_import *first = orcac_symtab_put(&packages, im->file->package, im);
    if (first && first != (void *)-1 && first->file != im->file)
      ERR(im->pos, "package '%s' is imported twice (also from '%s')", im->file->package,
          first->path);
  }
  orcac_symtab_free(&packages);
  /* Names first, so declarations may refer to later ones. */
  for (size_t i = 0; i < f->ndecls; i++) {
    orca_ast_decl *d = f->decls[i];
    d->file = f;
    d->qname = orcac_printf(S->a, "%s.%s", f->package, d->name);
    d->c_name = orcac__sema_c_name(S, f->package, d->name, NULL);
    declare(S, d);
  }
  for (size_t i = 0; i < f->ndecls; i++) {
    orca_ast_decl *d = f->decls[i];
    if (d->kind == ORCA_AST_ENUM) {
      if (d->nannots)
        ERR(d->annots[0].pos, "annotation @%s is not allowed on an enum", d->annots[0].name);
      check_enum(S, d);
    }
  }
  for (size_t i = 0; i < f->ndecls; i++) {
    orca_ast_decl *d = f->decls[i];
    if (d->kind == ORCA_AST_STRUCT) {
      if (d->nannots)
        ERR(d->annots[0].pos, "annotation @%s is not allowed on a struct", d->annots[0].name);
      orcac__sema_fields(S, d, "field");
    } else if (d->kind == ORCA_AST_TASK) {
      orcac__sema_task(S, d);
    }
  }
  views(S);
  orcac__sema_graph(S);
  for (size_t i = 0; i < f->ndecls; i++)
    if (f->decls[i]->kind == ORCA_AST_SCHEDULE)
      orcac__sema_schedule(S, f->decls[i]);
  orcac__sema_cnames(S);
  free_indexes(S);
  orcac_symtab_free(&S->written);
  orcac_symtab_free(&S->names);
  if (s->diags.errors == before)
    orcac_fingerprint_file(f);
  return s->diags.errors - before;
}
