/* compiler/sema.c — the semantic pass: every check of the .orca language,
 * and the [sema] members of idl/ast.h (resolved types, typed literals,
 * policies, schedules, C names, fingerprints).
 *
 * It reports as many errors as it can: a declaration with an error is still
 * checked to its end, and a type that failed to resolve keeps kind 0 so
 * later checks that depend on it stay silent instead of cascading. */
#include <float.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/frontend.h"
#include "compiler/names.h"
#include "compiler/sema.h"
#include "compiler/symtab.h"

typedef struct sema {
  orcac_session *s;
  orca_ast_file *f;
  orca_arena *a;
  orcac_symtab names; /* decl name -> decl */
  orcac_symtab cnames; /* C identifier -> const char * description */
} sema;

#define ERR(pos, ...) orcac_diag(&S->s->diags, false, (pos), __VA_ARGS__)

static const struct {
  const char *name;
  orca_kind kind;
} builtins[] = {
    {"bool", ORCA_KIND_BOOL},   {"i8", ORCA_KIND_I8},         {"i16", ORCA_KIND_I16},
    {"i32", ORCA_KIND_I32},     {"i64", ORCA_KIND_I64},       {"u8", ORCA_KIND_U8},
    {"u16", ORCA_KIND_U16},     {"u32", ORCA_KIND_U32},       {"u64", ORCA_KIND_U64},
    {"f32", ORCA_KIND_F32},     {"f64", ORCA_KIND_F64},       {"string", ORCA_KIND_STRING},
    {"bytes", ORCA_KIND_BYTES}, {"timestamp", ORCA_KIND_TIMESTAMP},
    {"duration", ORCA_KIND_DURATION},
};
#define NBUILTINS (sizeof builtins / sizeof builtins[0])

static orca_kind builtin_kind(const char *name) {
  for (size_t i = 0; i < NBUILTINS; i++)
    if (strcmp(builtins[i].name, name) == 0)
      return builtins[i].kind;
  return 0;
}

static bool is_int_kind(orca_kind k) { return k >= ORCA_KIND_I8 && k <= ORCA_KIND_U64; }

static const char *suffix_dym(sema *S, const char *best) {
  return best ? orcac_printf(S->a, ", did you mean '%s'?", best) : "";
}

/* ------------------------------------------------------------ names */

static bool check_name(sema *S, const char *name, orca_ast_pos pos, const char *what) {
  if (strstr(name, "__")) {
    ERR(pos, "%s name '%s' contains '__', which generated C reserves", what, name);
    return false;
  }
  return true;
}

static void declare(sema *S, orca_ast_decl *d) {
  if (!check_name(S, d->name, d->pos, orca_ast_kind_name(d->kind)))
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
static bool dropped(sema *S, const char *name) {
  if (strchr(name, '.'))
    return false;
  for (size_t i = 0; i < S->f->nwritten_names; i++)
    if (strcmp(S->f->written_names[i], name) == 0)
      return !orcac_symtab_get(&S->names, name);
  return false;
}

/* --------------------------------------------------------------- types */

/* Candidates for "did you mean" on an unknown type name. */
static const char *suggest_type(sema *S, const char *name) {
  size_t n = NBUILTINS + S->f->ndecls;
  const char **c = orca_arena_alloc(S->a, n * sizeof *c);
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
static orca_ast_decl *lookup(sema *S, const char *name, orca_ast_pos pos, bool *reported) {
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

static bool resolve_type(sema *S, orca_ast_type *t) {
  if (!t)
    return false;
  if (t->kind == ORCA_KIND_LIST) {
    if (!resolve_type(S, t->elem)) {
      t->kind = 0;
      return false;
    }
    t->spelling = orcac_printf(S->a, "list<%s>", t->elem->spelling);
    return true;
  }
  if (t->kind == ORCA_KIND_MAP) {
    bool ok = resolve_type(S, t->key);
    ok = resolve_type(S, t->elem) && ok;
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
  orca_ast_decl *d = lookup(S, t->name, t->pos, &reported);
  if (reported)
    return false;
  if (!d) {
    if (!dropped(S, t->name))
      ERR(t->pos, "unknown type '%s'%s", t->name, suffix_dym(S, suggest_type(S, t->name)));
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

/* ------------------------------------------------------------ literals */

static const char *lit_desc(sema *S, const orca_ast_lit *l) {
  switch (l->syntax) {
  case ORCA_LIT_BOOL: return "a boolean";
  case ORCA_LIT_INT: return "an integer";
  case ORCA_LIT_FLOAT: return "a number";
  case ORCA_LIT_STRING: return "a string";
  case ORCA_LIT_DURATION: return "a duration";
  case ORCA_LIT_NAME: return orcac_printf(S->a, "'%s'", l->name);
  case ORCA_LIT_STRUCT: return "a struct literal";
  case ORCA_LIT_LIST: return "a list";
  case ORCA_LIT_CALL: return orcac_printf(S->a, "'%s(...)'", l->name);
  }
  return "a value";
}

static bool mismatch(sema *S, orca_ast_lit *l, const orca_ast_type *t, const char *ctx) {
  ERR(l->pos, "%s: expected %s, got %s", ctx, t->spelling, lit_desc(S, l));
  l->kind = 0;
  return false;
}

static bool check_lit(sema *S, orca_ast_lit *l, const orca_ast_type *t, const char *ctx);

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || i + len > n)
      return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

static bool check_struct_lit(sema *S, orca_ast_lit *l, const orca_ast_decl *d, const char *ctx) {
  bool ok = true;
  for (size_t i = 0; i < l->nentries; i++) {
    orca_ast_lit_entry *e = &l->entries[i];
    const char **names = orca_arena_alloc(S->a, (d->strct.nfields + 1) * sizeof *names);
    for (size_t j = 0; j < d->strct.nfields; j++) {
      if (strcmp(d->strct.fields[j].name, e->name) == 0)
        e->field = &d->strct.fields[j];
      if (names)
        names[j] = d->strct.fields[j].name;
    }
    if (!e->field) {
      ERR(e->pos, "%s: struct '%s' has no field '%s'%s", ctx, d->name, e->name,
          suffix_dym(S, names ? orcac_suggest(e->name, names, d->strct.nfields) : NULL));
      ok = false;
      continue;
    }
    for (size_t j = 0; j < i; j++)
      if (l->entries[j].field == e->field) {
        ERR(e->pos, "%s: field '%s' is set twice", ctx, e->name);
        ok = false;
      }
    ok = check_lit(S, e->value, e->field->type,
                   orcac_printf(S->a, "field '%s' of '%s'", e->name, d->name)) && ok;
  }
  l->struct_decl = d;
  return ok;
}

static bool check_lit(sema *S, orca_ast_lit *l, const orca_ast_type *t, const char *ctx) {
  if (!l || !t || !t->kind)
    return false; /* the type's own error is already reported */
  l->kind = t->kind;
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    return l->syntax == ORCA_LIT_BOOL || mismatch(S, l, t, ctx);
  case ORCA_KIND_I8:
  case ORCA_KIND_I16:
  case ORCA_KIND_I32:
  case ORCA_KIND_I64:
  case ORCA_KIND_TIMESTAMP: {
    if (l->syntax != ORCA_LIT_INT)
      return mismatch(S, l, t, ctx);
    int bits = t->kind == ORCA_KIND_I8 ? 8 : t->kind == ORCA_KIND_I16 ? 16
             : t->kind == ORCA_KIND_I32 ? 32 : 64;
    int64_t max = bits == 64 ? INT64_MAX : (int64_t)((1ull << (bits - 1)) - 1);
    int64_t min = -max - 1;
    if (l->is_unsigned || l->v.i > max || l->v.i < min) {
      ERR(l->pos, "%s: value out of range for %s", ctx, t->spelling);
      l->kind = 0;
      return false;
    }
    return true;
  }
  case ORCA_KIND_U8:
  case ORCA_KIND_U16:
  case ORCA_KIND_U32:
  case ORCA_KIND_U64: {
    if (l->syntax != ORCA_LIT_INT)
      return mismatch(S, l, t, ctx);
    int bits = t->kind == ORCA_KIND_U8 ? 8 : t->kind == ORCA_KIND_U16 ? 16
             : t->kind == ORCA_KIND_U32 ? 32 : 64;
    uint64_t max = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
    if (!l->is_unsigned && l->v.i < 0) {
      ERR(l->pos, "%s: value out of range for %s", ctx, t->spelling);
      l->kind = 0;
      return false;
    }
    uint64_t u = l->is_unsigned ? l->v.u : (uint64_t)l->v.i;
    if (u > max) {
      ERR(l->pos, "%s: value out of range for %s", ctx, t->spelling);
      l->kind = 0;
      return false;
    }
    l->v.u = u;
    return true;
  }
  case ORCA_KIND_F32:
  case ORCA_KIND_F64:
    if (l->syntax == ORCA_LIT_INT) {
      l->v.f = l->is_unsigned ? (double)l->v.u : (double)l->v.i;
      return true;
    }
    if (l->syntax != ORCA_LIT_FLOAT)
      return mismatch(S, l, t, ctx);
    if (!(l->v.f >= -DBL_MAX && l->v.f <= DBL_MAX) ||
        (t->kind == ORCA_KIND_F32 && (l->v.f > FLT_MAX || l->v.f < -FLT_MAX))) {
      ERR(l->pos, "%s: value out of range for %s", ctx, t->spelling);
      l->kind = 0;
      return false;
    }
    return true;
  case ORCA_KIND_STRING:
    if (l->syntax != ORCA_LIT_STRING)
      return mismatch(S, l, t, ctx);
    if (strlen(l->str) != l->len || !valid_utf8((const unsigned char *)l->str, l->len)) {
      ERR(l->pos, "%s: a string must be UTF-8 without NUL characters (use bytes for binary data)",
          ctx);
      l->kind = 0;
      return false;
    }
    return true;
  case ORCA_KIND_BYTES:
    return l->syntax == ORCA_LIT_STRING || mismatch(S, l, t, ctx);
  case ORCA_KIND_DURATION:
    if (l->syntax == ORCA_LIT_INT && !l->is_unsigned)
      return true;
    return l->syntax == ORCA_LIT_DURATION || mismatch(S, l, t, ctx);
  case ORCA_KIND_ENUM: {
    if (l->syntax != ORCA_LIT_NAME)
      return mismatch(S, l, t, ctx);
    const orca_ast_decl *e = t->decl;
    const char *vname = l->name;
    const char *dot = strrchr(vname, '.');
    if (dot) {
      if ((size_t)(dot - vname) != strlen(e->name) || strncmp(vname, e->name, (size_t)(dot - vname))) {
        ERR(l->pos, "%s: expected a value of enum '%s', got '%s'", ctx, e->name, vname);
        l->kind = 0;
        return false;
      }
      vname = dot + 1;
    }
    const char **names = orca_arena_alloc(S->a, (e->enm.nvalues + 1) * sizeof *names);
    for (size_t i = 0; i < e->enm.nvalues; i++) {
      if (strcmp(e->enm.values[i].name, vname) == 0) {
        l->enum_value = &e->enm.values[i];
        l->v.i = e->enm.values[i].value;
        return true;
      }
      if (names)
        names[i] = e->enm.values[i].name;
    }
    ERR(l->pos, "%s: '%s' is not a value of enum '%s'%s", ctx, vname, e->name,
        suffix_dym(S, names ? orcac_suggest(vname, names, e->enm.nvalues) : NULL));
    l->kind = 0;
    return false;
  }
  case ORCA_KIND_STRUCT:
    if (l->syntax != ORCA_LIT_STRUCT)
      return mismatch(S, l, t, ctx);
    return check_struct_lit(S, l, t->decl, ctx);
  case ORCA_KIND_LIST: {
    if (l->syntax != ORCA_LIT_LIST)
      return mismatch(S, l, t, ctx);
    bool ok = true;
    for (size_t i = 0; i < l->nitems; i++)
      ok = check_lit(S, l->items[i], t->elem, ctx) && ok;
    return ok;
  }
  case ORCA_KIND_MAP:
    ERR(l->pos, "%s: map values cannot be written as literals", ctx);
    l->kind = 0;
    return false;
  }
  return false;
}

/* -------------------------------------------------------------- fields */

static int cmp_field_id(const void *a, const void *b) {
  const orca_ast_field *x = *(orca_ast_field *const *)a, *y = *(orca_ast_field *const *)b;
  if (x->id != y->id)
    return (x->id > y->id) - (x->id < y->id);
  return (x > y) - (x < y); /* declaration order among equal ids */
}

/* Check the fields of a struct or the parameters of a task (`what` is
 * "field" or "parameter"). */
static void check_fields(sema *S, orca_ast_decl *d, const char *what) {
  orca_ast_struct *st = &d->strct;
  orcac_symtab seen = {0};
  for (size_t i = 0; i < st->nfields; i++) {
    orca_ast_field *f = &st->fields[i];
    f->c_name = f->name;
    if (orcac_is_c_keyword(f->name))
      ERR(f->pos, "%s name '%s' is a C keyword", what, f->name);
    else
      check_name(S, f->name, f->pos, what);
    if (f->id < 1 || f->id > 65535)
      ERR(f->id_pos, "%s id %u is out of range (1 to 65535)", what, f->id);
    orca_ast_field *old = orcac_symtab_put(&seen, f->name, f);
    if (old && old != (void *)-1)
      ERR(f->pos, "duplicate %s name '%s' (first at line %u)", what, f->name, old->pos.line);
    if (resolve_type(S, f->type) && f->def) {
      orca_kind k = f->type->kind;
      if (k == ORCA_KIND_LIST || k == ORCA_KIND_MAP || k == ORCA_KIND_STRUCT)
        ERR(f->def->pos, "%s '%s' of type %s cannot have a default value", what, f->name,
            f->type->spelling);
      else
        check_lit(S, f->def, f->type, orcac_printf(S->a, "default value of '%s'", f->name));
    }
  }
  /* Presence flags of optional scalars are members named has_NAME. */
  for (size_t i = 0; i < st->nfields; i++) {
    orca_ast_field *f = &st->fields[i];
    if (strncmp(f->name, "has_", 4) == 0) {
      orca_ast_field *o = orcac_symtab_get(&seen, f->name + 4);
      if (o && o->optional && !(o->type && o->type->kind == ORCA_KIND_STRUCT))
        ERR(f->pos, "%s '%s' collides in generated C with the presence flag of optional '%s'",
            what, f->name, o->name);
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
  char buf[512];
  for (size_t i = 0; i < e->nvalues; i++) {
    orca_ast_enum_value *v = &e->values[i];
    check_name(S, v->name, v->pos, "enum value");
    orca_ast_enum_value *old = orcac_symtab_put(&seen, v->name, v);
    if (old && old != (void *)-1)
      ERR(v->pos, "duplicate enum value name '%s' (first at line %u)", v->name, old->pos.line);
    orcac_c_enum_value(buf, sizeof buf, S->f->package, d->name, v->name);
    v->c_name = orcac_strdup(S->a, buf);
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

/* ------------------------------------------------------------ recursion */

/* Depth-first search over by-value struct embedding (non-optional struct
 * fields): a cycle is an error (the C struct would contain itself); the
 * post-order is the C definition order. color: 0 new, 1 on path, 2 done. */
typedef struct walk {
  sema *S;
  orcac_symtab color; /* decl -> (void*)1 on path / (void*)2 done, keyed by qname */
  orcac_vec order;
  orcac_vec path; /* orca_ast_field * on the current path */
} walk;

static void visit(walk *w, orca_ast_decl *d) {
  sema *S = w->S;
  orcac_symtab_set(&w->color, d->qname, (void *)1);
  for (size_t i = 0; i < d->strct.nfields; i++) {
    orca_ast_field *f = &d->strct.fields[i];
    if (!f->type || f->type->kind != ORCA_KIND_STRUCT || f->optional || f->type->decl->file != S->f)
      continue;
    orca_ast_decl *to = f->type->decl;
    void *c = orcac_symtab_get(&w->color, to->qname);
    if (c == (void *)1) {
      char chain[1024];
      size_t n = 0;
      size_t start = 0;
      /* Find where `to` entered the path: the first field whose owner is to. */
      orcac_vec *p = &w->path;
      for (size_t k = 0; k < p->n; k++) {
        orca_ast_field *pf = p->items[k];
        if (pf->type->decl == to) {
          start = k + 1;
        }
      }
      if (to == d)
        start = p->n;
      n += (size_t)snprintf(chain + n, sizeof chain - n, "%s", to->name);
      for (size_t k = start; k < p->n && n < sizeof chain; k++) {
        orca_ast_field *pf = p->items[k];
        n += (size_t)snprintf(chain + n, sizeof chain - n, ".%s -> %s", pf->name,
                              pf->type->decl->name);
      }
      if (n < sizeof chain)
        snprintf(chain + n, sizeof chain - n, ".%s -> %s", f->name, to->name);
      ERR(f->pos,
          "struct '%s' contains itself by value (%s); make a field of the cycle optional or a list",
          to->name, chain);
      continue;
    }
    if (!c) {
      orcac_vec_push(S->a, &w->path, f);
      visit(w, to);
      w->path.n--;
    }
  }
  orcac_symtab_set(&w->color, d->qname, (void *)2);
  orcac_vec_push(S->a, &w->order, d);
}

/* Tarjan's strongly connected components over all struct edges (by value,
 * optional, list element, map value), to set strct.recursive. */
typedef struct tarjan {
  sema *S;
  orcac_symtab index; /* qname -> (void*)(idx+1) */
  size_t *low;
  size_t next;
  orcac_vec stack;
  bool *on;
  orca_ast_decl **by_idx;
} tarjan;

static void edges(const orca_ast_type *t, orca_ast_decl **out, size_t *n, size_t cap) {
  if (!t)
    return;
  if (t->kind == ORCA_KIND_STRUCT && *n < cap)
    out[(*n)++] = t->decl;
  if (t->kind == ORCA_KIND_LIST || t->kind == ORCA_KIND_MAP)
    edges(t->elem, out, n, cap);
}

static size_t idx_of(tarjan *T, orca_ast_decl *d) {
  return (size_t)(uintptr_t)orcac_symtab_get(&T->index, d->qname);
}

static void strongconnect(tarjan *T, orca_ast_decl *d, size_t cnt) {
  size_t v = T->next++;
  orcac_symtab_put(&T->index, d->qname, (void *)(uintptr_t)(v + 1));
  T->by_idx[v] = d;
  T->low[v] = v;
  orcac_vec_push(T->S->a, &T->stack, d);
  T->on[v] = true;
  bool self = false;
  for (size_t i = 0; i < d->strct.nfields; i++) {
    orca_ast_decl *to[16];
    size_t n = 0;
    edges(d->strct.fields[i].type, to, &n, 16);
    for (size_t k = 0; k < n; k++) {
      if (to[k]->file != T->S->f)
        continue;
      if (to[k] == d)
        self = true;
      size_t w = idx_of(T, to[k]);
      if (!w) {
        strongconnect(T, to[k], cnt);
        w = idx_of(T, to[k]);
        if (T->low[w - 1] < T->low[v])
          T->low[v] = T->low[w - 1];
      } else if (T->on[w - 1] && w - 1 < T->low[v]) {
        T->low[v] = w - 1;
      }
    }
  }
  if (T->low[v] == v) {
    size_t size = 0;
    size_t base = T->stack.n;
    while (base > 0) {
      orca_ast_decl *x = T->stack.items[--base];
      size++;
      if (x == d)
        break;
    }
    for (size_t k = base; k < T->stack.n; k++) {
      orca_ast_decl *x = T->stack.items[k];
      T->on[idx_of(T, x) - 1] = false;
      x->strct.recursive = size > 1 || self;
    }
    T->stack.n = base;
  }
  (void)cnt;
}

/* ----------------------------------------------------------- annotations */

static const char *const task_annots[] = {"queue", "retry", "timeout", "result", "cache",
                                          "priority", "deadline", "unique", "hook"};
static const char *const all_annots[] = {"queue", "retry", "timeout", "result", "cache",
                                         "priority", "deadline", "unique", "hook", "catchup"};

/* The single positional argument of an annotation, or NULL (reported). */
static orca_ast_lit *one_arg(sema *S, orca_ast_annot *an, const char *expect) {
  if (an->nargs != 1 || an->args[0].name) {
    ERR(an->pos, "@%s expects one argument: %s", an->name, expect);
    return NULL;
  }
  return an->args[0].value;
}

static bool duration_of(sema *S, orca_ast_lit *l, const char *what, int64_t *out) {
  if (!l)
    return false;
  if (l->syntax != ORCA_LIT_DURATION) {
    ERR(l->pos, "%s expects a duration like 30s, got %s", what, lit_desc(S, l));
    return false;
  }
  *out = l->v.i;
  return true;
}

/* @name(ttl = d) */
static void ttl_arg(sema *S, orca_ast_annot *an, int64_t *out) {
  static const char *const names[] = {"ttl"};
  if (an->nargs == 1 && !an->args[0].name) {
    duration_of(S, an->args[0].value, orcac_printf(S->a, "@%s", an->name), out);
    return;
  }
  if (an->nargs != 1) {
    ERR(an->pos, "@%s expects one argument: ttl = DURATION", an->name);
    return;
  }
  if (strcmp(an->args[0].name, "ttl") != 0) {
    ERR(an->args[0].pos, "unknown argument '%s' of @%s%s", an->args[0].name, an->name,
        suffix_dym(S, orcac_suggest(an->args[0].name, names, 1)));
    return;
  }
  duration_of(S, an->args[0].value, orcac_printf(S->a, "@%s(ttl)", an->name), out);
}

static void backoff_arg(sema *S, orca_ast_lit *l, orca_retry_policy *r) {
  static const char *const kinds[] = {"exponential", "fixed", "linear", "none"};
  if (l->syntax == ORCA_LIT_NAME && strcmp(l->name, "none") == 0) {
    r->backoff = ORCA_BACKOFF_NONE;
    return;
  }
  if (l->syntax != ORCA_LIT_CALL) {
    ERR(l->pos, "backoff expects exponential(BASE, MAX), fixed(DELAY), linear(BASE) or none, got %s",
        lit_desc(S, l));
    return;
  }
  size_t maxargs = 2;
  if (strcmp(l->name, "exponential") == 0) {
    r->backoff = ORCA_BACKOFF_EXPONENTIAL;
  } else if (strcmp(l->name, "fixed") == 0) {
    r->backoff = ORCA_BACKOFF_FIXED;
    maxargs = 1;
  } else if (strcmp(l->name, "linear") == 0) {
    r->backoff = ORCA_BACKOFF_LINEAR;
  } else {
    ERR(l->pos, "unknown backoff '%s'%s", l->name, suffix_dym(S, orcac_suggest(l->name, kinds, 4)));
    return;
  }
  if (l->nentries < 1 || l->nentries > maxargs) {
    ERR(l->pos, "%s() expects %s", l->name, maxargs == 1 ? "one duration" : "a base duration and an optional cap");
    return;
  }
  for (size_t i = 0; i < l->nentries; i++) {
    if (l->entries[i].name) {
      ERR(l->entries[i].pos, "%s() takes positional durations", l->name);
      return;
    }
  }
  duration_of(S, l->entries[0].value, orcac_printf(S->a, "%s()", l->name), &r->base_us);
  if (l->nentries == 2 &&
      duration_of(S, l->entries[1].value, orcac_printf(S->a, "%s()", l->name), &r->max_us) &&
      r->max_us < r->base_us)
    ERR(l->entries[1].value->pos, "backoff cap is smaller than its base delay");
}

static void retry_args(sema *S, orca_ast_annot *an, orca_retry_policy *r) {
  static const char *const names[] = {"max", "backoff", "jitter"};
  for (size_t i = 0; i < an->nargs; i++) {
    orca_ast_lit_entry *e = &an->args[i];
    if (!e->name) {
      ERR(e->pos, "@retry arguments are named: max = N, backoff = ..., jitter = BOOL");
    } else if (strcmp(e->name, "max") == 0) {
      if (e->value->syntax != ORCA_LIT_INT || e->value->is_unsigned || e->value->v.i < 1 ||
          e->value->v.i > 1000000)
        ERR(e->value->pos, "@retry(max) expects a number of attempts from 1 to 1000000");
      else
        r->max_attempts = (uint32_t)e->value->v.i;
    } else if (strcmp(e->name, "backoff") == 0) {
      backoff_arg(S, e->value, r);
    } else if (strcmp(e->name, "jitter") == 0) {
      if (e->value->syntax != ORCA_LIT_BOOL)
        ERR(e->value->pos, "@retry(jitter) expects true or false");
      else
        r->jitter = e->value->v.b;
    } else {
      ERR(e->pos, "unknown argument '%s' of @retry%s", e->name,
          suffix_dym(S, orcac_suggest(e->name, names, 3)));
    }
  }
}

static bool valid_queue(const char *q, size_t len) {
  if (len == 0 || len >= 128)
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = q[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-' || c == '.' || c == ':'))
      return false;
  }
  return true;
}

/* Reject duplicates and unknown annotations (with "did you mean"); returns
 * false for ones that must be skipped. */
static bool annot_known(sema *S, orca_ast_decl *d, size_t i, const char *const *allowed,
                        size_t nallowed) {
  orca_ast_annot *an = &d->annots[i];
  for (size_t j = 0; j < i; j++)
    if (strcmp(d->annots[j].name, an->name) == 0) {
      ERR(an->pos, "duplicate annotation @%s (first at line %u)", an->name, d->annots[j].pos.line);
      return false;
    }
  for (size_t j = 0; j < nallowed; j++)
    if (strcmp(allowed[j], an->name) == 0)
      return true;
  for (size_t j = 0; j < sizeof all_annots / sizeof all_annots[0]; j++)
    if (strcmp(all_annots[j], an->name) == 0) {
      ERR(an->pos, "annotation @%s is not allowed on a %s", an->name, orca_ast_kind_name(d->kind));
      return false;
    }
  const char *best = orcac_suggest(an->name, allowed, nallowed);
  ERR(an->pos, "unknown annotation @%s%s", an->name,
      suffix_dym(S, best ? orcac_printf(S->a, "@%s", best) : NULL));
  return false;
}

static void check_task(sema *S, orca_ast_decl *d) {
  orca_ast_policy *p = &d->task.policy;
  p->queue = "default";
  p->retry.max_attempts = 1;
  for (size_t i = 0; i < d->nannots; i++) {
    if (!annot_known(S, d, i, task_annots, sizeof task_annots / sizeof task_annots[0]))
      continue;
    orca_ast_annot *an = &d->annots[i];
    const char *n = an->name;
    orca_ast_lit *l;
    if (strcmp(n, "queue") == 0) {
      if ((l = one_arg(S, an, "a queue name string"))) {
        if (l->syntax != ORCA_LIT_STRING)
          ERR(l->pos, "@queue expects a string, got %s", lit_desc(S, l));
        else if (!valid_queue(l->str, l->len))
          ERR(l->pos, "queue name '%s' must be 1 to 127 letters, digits, '_', '-', '.' or ':'", l->str);
        else
          p->queue = l->str;
      }
    } else if (strcmp(n, "retry") == 0) {
      retry_args(S, an, &p->retry);
    } else if (strcmp(n, "timeout") == 0) {
      duration_of(S, one_arg(S, an, "a duration"), "@timeout", &p->timeout_us);
    } else if (strcmp(n, "deadline") == 0) {
      duration_of(S, one_arg(S, an, "a duration"), "@deadline", &p->deadline_us);
    } else if (strcmp(n, "result") == 0) {
      ttl_arg(S, an, &p->result_ttl_us);
    } else if (strcmp(n, "cache") == 0) {
      ttl_arg(S, an, &p->cache_ttl_us);
    } else if (strcmp(n, "unique") == 0) {
      ttl_arg(S, an, &p->unique_ttl_us);
    } else if (strcmp(n, "priority") == 0) {
      if ((l = one_arg(S, an, "a priority from 0 to 9"))) {
        if (l->syntax != ORCA_LIT_INT || l->is_unsigned || l->v.i < 0 || l->v.i > 9)
          ERR(l->pos, "@priority expects an integer from 0 to 9");
        else
          p->priority = (int32_t)l->v.i;
      }
    } else if (strcmp(n, "hook") == 0) {
      if ((l = one_arg(S, an, "a Lua file path"))) {
        if (l->syntax != ORCA_LIT_STRING || l->len == 0 || strlen(l->str) != l->len)
          ERR(l->pos, "@hook expects a file path string");
        else {
          p->hook_written = l->str;
          p->hook = l->str[0] == '/' || strcmp(S->f->dir, ".") == 0
                        ? l->str
                        : orcac_printf(S->a, "%s/%s", S->f->dir, l->str);
        }
      }
    }
  }
  orca_ast_decl *args = d->task.args;
  char buf[512];
  args->name = orcac_printf(S->a, "%s.args", d->name);
  args->qname = orcac_printf(S->a, "%s.%s.args", S->f->package, d->name);
  orcac_c_name(buf, sizeof buf, S->f->package, d->name, ORCAC_SFX_ARGS);
  args->c_name = orcac_strdup(S->a, buf);
  args->file = S->f;
  args->doc = d->doc;
  check_fields(S, args, "parameter");
  if (d->task.result)
    resolve_type(S, d->task.result);
}

/* ------------------------------------------------------------- schedules */

static void check_cron(sema *S, orca_ast_schedule *sc, orca_ast_annot *tr) {
  orca_ast_lit *expr = NULL;
  for (size_t i = 0; i < tr->nargs; i++) {
    orca_ast_lit_entry *e = &tr->args[i];
    if (!e->name && !expr) {
      expr = e->value;
    } else if (e->name && strcmp(e->name, "tz") == 0) {
      if (e->value->syntax != ORCA_LIT_STRING) {
        ERR(e->value->pos, "cron(tz) expects a time zone name string");
        continue;
      }
      sc->tz = e->value->str;
      sc->tz_pos = e->value->pos;
      orca_tz *tz = NULL;
      orca_err err = {0};
      if (orca_tz_open(sc->tz, &tz, &err))
        ERR(e->value->pos, "unknown time zone '%s'", sc->tz);
      else
        orca_tz_close(tz);
    } else {
      static const char *const names[] = {"tz"};
      ERR(e->pos, "unknown argument '%s' of cron%s", e->name ? e->name : "(positional)",
          suffix_dym(S, e->name ? orcac_suggest(e->name, names, 1) : NULL));
    }
  }
  if (!expr || expr->syntax != ORCA_LIT_STRING) {
    ERR(expr ? expr->pos : tr->pos, "cron() expects a cron expression string, like cron(\"0 3 * * *\")");
    return;
  }
  sc->cron_expr = expr->str;
  sc->cron_pos = expr->pos;
  orca_err err = {0};
  if (orca_cron_parse(expr->str, &sc->cron, &err)) {
    /* Point into the string at the column the parser names. */
    orca_ast_pos at = expr->pos;
    const char *c = strstr(err.msg, "column ");
    if (c)
      at.col += (uint32_t)atoi(c + 7);
    ERR(at, "bad cron expression: %s", err.msg);
  }
}

static void check_schedule(sema *S, orca_ast_decl *d) {
  orca_ast_schedule *sc = &d->sched;
  static const char *const sched_annots[] = {"catchup"};
  orca_ast_annot *tr = sc->trigger;
  static const char *const triggers[] = {"cron", "every"};
  if (tr && strcmp(tr->name, "cron") == 0) {
    sc->kind = ORCA_SCHEDULE_CRON;
    check_cron(S, sc, tr);
  } else if (tr && strcmp(tr->name, "every") == 0) {
    sc->kind = ORCA_SCHEDULE_EVERY;
    if (tr->nargs != 1 || tr->args[0].name)
      ERR(tr->pos, "every() expects one duration, like every(15s)");
    else if (duration_of(S, tr->args[0].value, "every()", &sc->every_us) && sc->every_us <= 0)
      ERR(tr->args[0].value->pos, "every() needs a positive interval");
  } else if (tr) {
    ERR(tr->pos, "unknown schedule trigger '%s'%s (expected cron(...) or every(...))", tr->name,
        suffix_dym(S, orcac_suggest(tr->name, triggers, 2)));
  }
  sc->catchup = ORCA_CATCHUP_SKIP;
  sc->catchup_max = 100;
  for (size_t i = 0; i < d->nannots; i++) {
    if (!annot_known(S, d, i, sched_annots, 1))
      continue;
    orca_ast_annot *an = &d->annots[i];
    orca_ast_lit *l = one_arg(S, an, "skip, once or all(N)");
    if (!l)
      continue;
    if (l->syntax == ORCA_LIT_NAME && strcmp(l->name, "skip") == 0)
      sc->catchup = ORCA_CATCHUP_SKIP;
    else if (l->syntax == ORCA_LIT_NAME && strcmp(l->name, "once") == 0)
      sc->catchup = ORCA_CATCHUP_ONCE;
    else if (l->syntax == ORCA_LIT_NAME && strcmp(l->name, "all") == 0)
      sc->catchup = ORCA_CATCHUP_ALL;
    else if (l->syntax == ORCA_LIT_CALL && strcmp(l->name, "all") == 0) {
      sc->catchup = ORCA_CATCHUP_ALL;
      orca_ast_lit *n = l->nentries == 1 && !l->entries[0].name ? l->entries[0].value : NULL;
      if (!n || n->syntax != ORCA_LIT_INT || n->is_unsigned || n->v.i < 1 || n->v.i > 1000000)
        ERR(n ? n->pos : l->pos, "all(N) expects a bound N from 1 to 1000000");
      else
        sc->catchup_max = (uint32_t)n->v.i;
    } else {
      static const char *const modes[] = {"skip", "once", "all"};
      const char *w = l->name ? l->name : "";
      ERR(l->pos, "@catchup expects skip, once or all(N), got %s%s", lit_desc(S, l),
          suffix_dym(S, l->name ? orcac_suggest(w, modes, 3) : NULL));
    }
  }
  /* The task and its arguments. */
  bool reported;
  orca_ast_decl *t = lookup(S, sc->task_name, sc->task_pos, &reported);
  if (!t) {
    if (!reported && !dropped(S, sc->task_name)) {
      size_t k = 0;
      const char **c = orca_arena_alloc(S->a, (S->f->ndecls + 1) * sizeof *c);
      for (size_t i = 0; c && i < S->f->ndecls; i++)
        if (S->f->decls[i]->kind == ORCA_AST_TASK)
          c[k++] = S->f->decls[i]->name;
      ERR(sc->task_pos, "unknown task '%s'%s", sc->task_name,
          suffix_dym(S, c ? orcac_suggest(sc->task_name, c, k) : NULL));
    }
    return;
  }
  if (t->kind != ORCA_AST_TASK) {
    ERR(sc->task_pos, "'%s' is a %s, not a task", sc->task_name, orca_ast_kind_name(t->kind));
    return;
  }
  sc->task = t;
  orca_ast_decl *args = t->task.args;
  bool ok = true;
  const char **pnames = orca_arena_alloc(S->a, (args->strct.nfields + 1) * sizeof *pnames);
  for (size_t j = 0; pnames && j < args->strct.nfields; j++)
    pnames[j] = args->strct.fields[j].name;
  for (size_t i = 0; i < sc->nargs; i++) {
    orca_ast_lit_entry *e = &sc->args[i];
    if (!e->name) {
      ERR(e->pos, "task arguments are written NAME = VALUE");
      ok = false;
      continue;
    }
    for (size_t j = 0; j < args->strct.nfields; j++)
      if (strcmp(args->strct.fields[j].name, e->name) == 0)
        e->field = &args->strct.fields[j];
    if (!e->field) {
      ERR(e->pos, "task '%s' has no parameter '%s'%s", t->name, e->name,
          suffix_dym(S, pnames ? orcac_suggest(e->name, pnames, args->strct.nfields) : NULL));
      ok = false;
      continue;
    }
    for (size_t j = 0; j < i; j++)
      if (sc->args[j].field == e->field) {
        ERR(e->pos, "argument '%s' is given twice", e->name);
        ok = false;
      }
    ok = check_lit(S, e->value, e->field->type,
                   orcac_printf(S->a, "argument '%s' of task '%s'", e->name, t->name)) && ok;
  }
  for (size_t j = 0; j < args->strct.nfields; j++) {
    orca_ast_field *f = &args->strct.fields[j];
    if (f->optional || f->def)
      continue;
    bool given = false;
    for (size_t i = 0; i < sc->nargs; i++)
      given = given || sc->args[i].field == f;
    if (!given) {
      ERR(sc->task_pos, "missing argument '%s' of task '%s'", f->name, t->name);
      ok = false;
    }
  }
  if (ok && orcac_encode_struct_lit(S->a, sc->args, sc->nargs, &sc->args_msgpack,
                                    &sc->args_msgpack_len))
    ERR(sc->task_pos, "out of memory encoding the arguments");
}

/* ------------------------------------------------------------- C names */

typedef struct cname_ctx {
  sema *S;
  const orca_ast_decl *d;
  orca_ast_pos pos;
  const char *desc;
  bool report;
  bool reported; /* one collision message per declaration is enough */
} cname_ctx;

static void claim(void *vctx, const char *cname) {
  cname_ctx *c = vctx;
  sema *S = c->S;
  char *key = orcac_strdup(S->a, cname);
  if (!key)
    return;
  const char *old = orcac_symtab_put(&S->cnames, key, (void *)c->desc);
  if (old && old != (void *)-1 && c->report && !c->reported && (c->reported = true))
    ERR(c->pos, "%s collides in generated C with %s (both define '%s')", c->desc, old, cname);
}

static void claim_decl(sema *S, const orca_ast_decl *d, bool report) {
  /* A duplicate name was reported already; its C names add nothing. */
  if (report && orcac_symtab_get(&S->names, d->name) != d)
    return;
  cname_ctx c = {S, d, d->pos,
                 orcac_printf(S->a, "%s '%s'%s", orca_ast_kind_name(d->kind), d->name,
                              d->file == S->f ? orcac_printf(S->a, " (line %u)", d->pos.line)
                                              : orcac_printf(S->a, " (%s)", d->file->path)),
                 report, false};
  if (!c.desc)
    return;
  orcac_names_reserved(d->file->package, d->kind, d->name, claim, &c);
  if (d->kind == ORCA_AST_ENUM)
    for (size_t i = 0; i < d->enm.nvalues; i++) {
      const orca_ast_enum_value *v = &d->enm.values[i];
      bool dup = false;
      for (size_t j = 0; j < i && !dup; j++)
        dup = strcmp(d->enm.values[j].name, v->name) == 0;
      if (dup)
        continue;
      c.reported = false;
      c.pos = v->pos;
      c.desc = orcac_printf(S->a, "enum value '%s.%s'", d->name, v->name);
      if (c.desc && v->c_name)
        claim(&c, v->c_name);
    }
}

static void claim_file(sema *S, const orca_ast_file *f, bool report, orcac_symtab *done) {
  if (!f || !f->package || orcac_symtab_get(done, f->path))
    return;
  orcac_symtab_put(done, f->path, (void *)f);
  for (size_t i = 0; i < f->nimports; i++)
    claim_file(S, f->imports[i].file, false, done);
  cname_ctx c = {S, NULL, f->package_pos,
                 orcac_printf(S->a, "the API of package '%s'", f->package), report, false};
  orcac_names_file_reserved(f->package, claim, &c);
  for (size_t i = 0; i < f->ndecls; i++)
    if (f->decls[i]->qname)
      claim_decl(S, f->decls[i], report);
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
    case ORCA_AST_ENUM: f->enums[f->nenums++] = d; break;
    case ORCA_AST_STRUCT: f->structs[f->nstructs++] = d; break;
    case ORCA_AST_TASK: f->tasks[f->ntasks++] = d; break;
    case ORCA_AST_SCHEDULE: f->schedules[f->nschedules++] = d; break;
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
  check_name(S, f->package, f->package_pos, "package");
  char buf[512];
  orcac_c_prefix(buf, sizeof buf, f->package);
  f->prefix = orcac_strdup(S->a, buf);
  for (size_t i = 0; i < f->nimports; i++) {
    orca_ast_file *im = f->imports[i].file;
    if (!im)
      continue;
    if (strcmp(im->package, f->package) == 0)
      ERR(f->imports[i].pos, "imported file '%s' declares the same package '%s'", f->imports[i].path,
          f->package);
    for (size_t j = 0; j < i; j++)
      if (f->imports[j].file && f->imports[j].file != im &&
          strcmp(f->imports[j].file->package, im->package) == 0)
        ERR(f->imports[i].pos, "package '%s' is imported twice (also from '%s')", im->package,
            f->imports[j].path);
  }
  /* Names first, so declarations may refer to later ones. */
  for (size_t i = 0; i < f->ndecls; i++) {
    orca_ast_decl *d = f->decls[i];
    d->file = f;
    d->qname = orcac_printf(S->a, "%s.%s", f->package, d->name);
    orcac_c_name(buf, sizeof buf, f->package, d->name, NULL);
    d->c_name = orcac_strdup(S->a, buf);
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
      check_fields(S, d, "field");
    } else if (d->kind == ORCA_AST_TASK) {
      check_task(S, d);
    }
  }
  views(S);
  /* By-value recursion and definition order; then recursive flags. */
  walk w = {.S = S};
  for (size_t i = 0; i < f->ndecls; i++) {
    orca_ast_decl *d = f->decls[i];
    orca_ast_decl *sd = d->kind == ORCA_AST_STRUCT ? d : d->kind == ORCA_AST_TASK ? d->task.args : NULL;
    if (sd && sd->qname && !orcac_symtab_get(&w.color, sd->qname))
      visit(&w, sd);
  }
  orcac_symtab_free(&w.color);
  f->structs_topo = (orca_ast_decl **)w.order.items;
  f->nstructs_topo = w.order.n;
  tarjan T = {.S = S};
  size_t n = w.order.n;
  T.low = calloc(n ? n : 1, sizeof *T.low);
  T.on = calloc(n ? n : 1, sizeof *T.on);
  T.by_idx = calloc(n ? n : 1, sizeof *T.by_idx);
  if (T.low && T.on && T.by_idx)
    for (size_t i = 0; i < n; i++)
      if (!idx_of(&T, f->structs_topo[i]))
        strongconnect(&T, f->structs_topo[i], n);
  free(T.low);
  free(T.on);
  free(T.by_idx);
  orcac_symtab_free(&T.index);
  for (size_t i = 0; i < f->ndecls; i++)
    if (f->decls[i]->kind == ORCA_AST_SCHEDULE)
      check_schedule(S, f->decls[i]);
  /* Generated C names: this file's against each other and its imports'. */
  orcac_symtab done = {0};
  for (size_t i = 0; i < f->nimports; i++)
    claim_file(S, f->imports[i].file, false, &done);
  orcac_symtab_put(&done, f->path, f);
  cname_ctx c = {S, NULL, f->package_pos, orcac_printf(S->a, "the API of package '%s'", f->package), true, false};
  if (c.desc)
    orcac_names_file_reserved(f->package, claim, &c);
  for (size_t i = 0; i < f->ndecls; i++)
    claim_decl(S, f->decls[i], true);
  orcac_symtab_free(&done);
  orcac_symtab_free(&S->cnames);
  orcac_symtab_free(&S->names);
  if (s->diags.errors == before)
    orcac_fingerprint_file(f);
  return s->diags.errors - before;
}
