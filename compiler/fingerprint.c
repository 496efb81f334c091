/* compiler/fingerprint.c — schema fingerprints.
 *
 * A fingerprint is FNV-1a 64 over a canonical text of a type's wire
 * contract, so it changes exactly when old and new programs might read each
 * other's bytes differently, and not for renames, docs or defaults:
 *
 *   struct:  "struct{" then, for each field in id order, "ID:TYPE;" then "}"
 *   TYPE:    bool i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 string bytes
 *            timestamp duration | enum | list<TYPE> | map<TYPE,TYPE>
 *            | struct:HEX  (a struct outside the recursive group: its
 *                          fingerprint, 16 hex digits)
 *            | rec:HEX     (a struct of the same recursive group: its hash
 *                          of the previous round) | rec (round 0)
 *   enum:    "enum{" then each value in ascending order "V;" then "}"
 *
 * A struct outside any recursive group is hashed once, after every struct
 * it refers to (file->structs_scc gives that order). The members of a
 * recursive group are hashed together in ORCAC_FP_ROUNDS rounds, each
 * reading the previous round's hashes, so the result depends on the
 * group's shape up to that many references away, not on declaration order;
 * the cost is linear in the size of the group (an expansion of the
 * recursion would be exponential). orcac and compiler/reflect.c share this
 * code, so the runtime and the CLI agree with the generated tables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/sema.h"

#define ORCAC_FP_ROUNDS 64

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
  static const char *const names[] = {"?",      "bool",  "i8",        "i16",     "i32", "i64",
                                      "u8",     "u16",   "u32",       "u64",     "f32", "f64",
                                      "string", "bytes", "timestamp", "duration"};
  return k <= ORCA_KIND_DURATION ? names[k] : "?";
}

/* The text of a type; `round` is the current round when hashing a
 * recursive group (refs into the group read the previous round's hashes
 * from strct.fingerprint), -1 otherwise. */
static void type_text(text *t, const orca_ast_type *ty, const orca_ast_decl *owner, int round) {
  char buf[64];
  switch (ty->kind) {
  case ORCA_KIND_ENUM:
    put(t, "enum");
    break;
  case ORCA_KIND_LIST:
    put(t, "list<");
    type_text(t, ty->elem, owner, round);
    put(t, ">");
    break;
  case ORCA_KIND_MAP:
    put(t, "map<");
    type_text(t, ty->key, owner, round);
    put(t, ",");
    type_text(t, ty->elem, owner, round);
    put(t, ">");
    break;
  case ORCA_KIND_STRUCT: {
    const orca_ast_decl *d = ty->decl;
    bool same_group = round >= 0 && d->file == owner->file && d->strct.group == owner->strct.group;
    if (same_group && round == 0)
      snprintf(buf, sizeof buf, "rec");
    else
      snprintf(buf, sizeof buf, "%s:%016" PRIx64, same_group ? "rec" : "struct",
               d->strct.fingerprint);
    put(t, buf);
    break;
  }
  default:
    put(t, scalar_name(ty->kind));
  }
}

static uint64_t struct_hash(const orca_ast_decl *d, int round) {
  text t = {0};
  char buf[32];
  put(&t, "struct{");
  for (size_t i = 0; i < d->strct.nfields; i++) {
    const orca_ast_field *f = d->strct.by_id[i];
    snprintf(buf, sizeof buf, "%u:", f->id);
    put(&t, buf);
    type_text(&t, f->type, d, round);
    put(&t, ";");
  }
  put(&t, "}");
  uint64_t h = t.oom ? 0 : orcac_fnv1a64(t.buf, t.len);
  free(t.buf);
  return h;
}

/* The members of one recursive group, in rounds. */
static void fp_group(orca_ast_decl **m, size_t n) {
  uint64_t *next = malloc(n * sizeof *next);
  if (!next)
    return; /* fingerprints stay 0, like any other failure to hash */
  for (int round = 0; round <= ORCAC_FP_ROUNDS; round++) {
    for (size_t i = 0; i < n; i++)
      next[i] = struct_hash(m[i], round);
    for (size_t i = 0; i < n; i++)
      m[i]->strct.fingerprint = next[i];
  }
  free(next);
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
  for (size_t i = 0, j; i < file->nstructs_scc; i = j) {
    orca_ast_decl **m = &file->structs_scc[i];
    for (j = i + 1;
         j < file->nstructs_scc && file->structs_scc[j]->strct.group == m[0]->strct.group;)
      j++;
    if (m[0]->strct.recursive)
      fp_group(m, j - i);
    else
      m[0]->strct.fingerprint = struct_hash(m[0], -1);
  }
}
