/* compiler/sema_lit.c — typed literals: a default value or a schedule
 * argument checked against its type (range, UTF-8, enum value, struct
 * fields), with its typed value stored in the literal. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "compiler/sema_internal.h"

const char *orcac__sema_lit_desc(sema *S, const orca_ast_lit *l) {
  switch (l->syntax) {
  case ORCA_LIT_BOOL:
    return "a boolean";
  case ORCA_LIT_INT:
    return "an integer";
  case ORCA_LIT_FLOAT:
    return "a number";
  case ORCA_LIT_STRING:
    return "a string";
  case ORCA_LIT_DURATION:
    return "a duration";
  case ORCA_LIT_NAME:
    return orcac_printf(S->a, "'%s'", l->name);
  case ORCA_LIT_STRUCT:
    return "a struct literal";
  case ORCA_LIT_LIST:
    return "a list";
  case ORCA_LIT_CALL:
    return orcac_printf(S->a, "'%s(...)'", l->name);
  }
  return "a value";
}

static bool mismatch(sema *S, orca_ast_lit *l, const orca_ast_type *t, const char *ctx) {
  ERR(l->pos, "%s: expected %s, got %s", ctx, t->spelling, orcac__sema_lit_desc(S, l));
  l->kind = 0;
  return false;
}

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
  orcac_symtab set = {0}; /* field name -> entry, to find fields set twice */
  for (size_t i = 0; i < l->nentries; i++) {
    orca_ast_lit_entry *e = &l->entries[i];
    e->field = orcac__sema_field_named(S, d, e->name);
    if (!e->field) {
      ERR(e->pos, "%s: struct '%s' has no field '%s'%s", ctx, d->name, e->name,
          orcac__sema_dym(S, orcac__sema_suggest_field(S, d, e->name)));
      ok = false;
      continue;
    }
    void *first = orcac_symtab_put(&set, e->field->name, e);
    if (first && first != (void *)-1) {
      ERR(e->pos, "%s: field '%s' is set twice", ctx, e->name);
      ok = false;
    }
    ok = orcac__sema_check_lit(S, e->value, e->field->type,
                               orcac_printf(S->a, "field '%s' of '%s'", e->name, d->name)) &&
         ok;
  }
  orcac_symtab_free(&set);
  l->struct_decl = d;
  return ok;
}

bool orcac__sema_check_lit(sema *S, orca_ast_lit *l, const orca_ast_type *t, const char *ctx) {
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
    int bits = t->kind == ORCA_KIND_I8    ? 8
               : t->kind == ORCA_KIND_I16 ? 16
               : t->kind == ORCA_KIND_I32 ? 32
                                          : 64;
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
    int bits = t->kind == ORCA_KIND_U8    ? 8
               : t->kind == ORCA_KIND_U16 ? 16
               : t->kind == ORCA_KIND_U32 ? 32
                                          : 64;
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
      if ((size_t)(dot - vname) != strlen(e->name) ||
          strncmp(vname, e->name, (size_t)(dot - vname))) {
        ERR(l->pos, "%s: expected a value of enum '%s', got '%s'", ctx, e->name, vname);
        l->kind = 0;
        return false;
      }
      vname = dot + 1;
    }
    l->enum_value = orcac__sema_value_named(S, e, vname);
    if (l->enum_value) {
      l->v.i = l->enum_value->value;
      return true;
    }
    const char **names = orcac__sema_printing(S)
                             ? orca_arena_alloc(S->a, (e->enm.nvalues + 1) * sizeof *names)
                             : NULL;
    for (size_t i = 0; names && i < e->enm.nvalues; i++)
      names[i] = e->enm.values[i].name;
    ERR(l->pos, "%s: '%s' is not a value of enum '%s'%s", ctx, vname, e->name,
        orcac__sema_dym(S, names ? orcac_suggest(vname, names, e->enm.nvalues) : NULL));
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
      ok = orcac__sema_check_lit(S, l->items[i], t->elem, ctx) && ok;
    return ok;
  }
  case ORCA_KIND_MAP:
    ERR(l->pos, "%s: map values cannot be written as literals", ctx);
    l->kind = 0;
    return false;
  }
  return false;
}
