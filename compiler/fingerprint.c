/* compiler/fingerprint.c — schema fingerprints.
 *
 * A fingerprint is FNV-1a 64 over a canonical text of a type's wire
 * contract, so it changes exactly when old and new programs might read each
 * other's bytes differently, and not for renames, docs or defaults:
 *
 *   struct:  "struct{" then, for each field in id order, "ID:TYPE;" then "}"
 *   TYPE:    bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 string bytes
 *            timestamp duration | enum | list<TYPE> | map<TYPE,TYPE>
 *            | struct:HEX (HEX = the nested struct's fingerprint, 16 digits)
 *            | rec:N  (a struct already being expanded, N levels up: recursion)
 *   enum:    "enum{" then each value in ascending order "V;" then "}"
 *
 * A struct that is part of a recursive cycle is expanded inline (its
 * fingerprint depends on the cycle's shape, not on which member is visited
 * first); other nested structs enter through their own fingerprint.
 * orcac and compiler/reflect.c share this code, so the runtime and the CLI
 * agree with the generated tables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/sema.h"

uint64_t orcac_fnv1a64(const void *data, size_t n) {
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

typedef struct text {
  char *buf;
  size_t len, cap;
  bool oom;
} text;

static void put(text *t, const char *s) {
  size_t n = strlen(s);
  if (t->len + n + 1 > t->cap) {
    size_t cap = (t->cap ? t->cap * 2 : 256) + n;
    char *b = realloc(t->buf, cap);
    if (!b) {
      t->oom = true;
      return;
    }
    t->buf = b;
    t->cap = cap;
  }
  memcpy(t->buf + t->len, s, n + 1);
  t->len += n;
}

static const char *scalar_name(orca_kind k) {
  static const char *const names[] = {"?", "bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32",
                                      "u64", "f32", "f64", "string", "bytes", "timestamp",
                                      "duration"};
  return k <= ORCA_KIND_DURATION ? names[k] : "?";
}

typedef struct stack {
  const orca_ast_decl *items[64];
  size_t n;
} stack;

static void struct_text(text *t, const orca_ast_decl *d, stack *st);
static void fp_struct(orca_ast_decl *d);

static void type_text(text *t, const orca_ast_type *ty, stack *st) {
  char buf[64];
  switch (ty->kind) {
  case ORCA_KIND_ENUM:
    put(t, "enum");
    break;
  case ORCA_KIND_LIST:
    put(t, "list<");
    type_text(t, ty->elem, st);
    put(t, ">");
    break;
  case ORCA_KIND_MAP:
    put(t, "map<");
    type_text(t, ty->key, st);
    put(t, ",");
    type_text(t, ty->elem, st);
    put(t, ">");
    break;
  case ORCA_KIND_STRUCT: {
    for (size_t i = st->n; i-- > 0;)
      if (st->items[i] == ty->decl) {
        snprintf(buf, sizeof buf, "rec:%zu", st->n - i);
        put(t, buf);
        return;
      }
    if (ty->decl->strct.recursive && st->n < 64) {
      struct_text(t, ty->decl, st);
    } else {
      /* Non-recursive structs form a DAG: compute on first use. */
      if (!ty->decl->strct.fingerprint)
        fp_struct(ty->decl);
      snprintf(buf, sizeof buf, "struct:%016" PRIx64, ty->decl->strct.fingerprint);
      put(t, buf);
    }
    break;
  }
  default:
    put(t, scalar_name(ty->kind));
  }
}

static void struct_text(text *t, const orca_ast_decl *d, stack *st) {
  char buf[32];
  st->items[st->n++] = d;
  put(t, "struct{");
  for (size_t i = 0; i < d->strct.nfields; i++) {
    const orca_ast_field *f = d->strct.by_id[i];
    snprintf(buf, sizeof buf, "%u:", f->id);
    put(t, buf);
    type_text(t, f->type, st);
    put(t, ";");
  }
  put(t, "}");
  st->n--;
}

static void fp_struct(orca_ast_decl *d) {
  text t = {0};
  stack st = {.n = 0};
  struct_text(&t, d, &st);
  d->strct.fingerprint = t.oom ? 0 : orcac_fnv1a64(t.buf, t.len);
  free(t.buf);
}

static void fp_enum(orca_ast_decl *d) {
  text t = {0};
  char buf[32];
  put(&t, "enum{");
  for (size_t i = 0; i < d->enm.nvalues; i++) {
    snprintf(buf, sizeof buf, "%d;", d->enm.by_value[i]->value);
    put(&t, buf);
  }
  put(&t, "}");
  d->enm.fingerprint = t.oom ? 0 : orcac_fnv1a64(t.buf, t.len);
  free(t.buf);
}

void orcac_fingerprint_file(orca_ast_file *file) {
  for (size_t i = 0; i < file->nenums; i++)
    fp_enum(file->enums[i]);
  for (size_t i = 0; i < file->nstructs_topo; i++)
    if (!file->structs_topo[i]->strct.fingerprint)
      fp_struct(file->structs_topo[i]);
}
