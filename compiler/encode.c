/* compiler/encode.c — msgpack encoding of typed literals, for the schedule
 * arguments orcac pre-encodes (the wire format of orca/schema.h: a struct is
 * a map keyed by field id; enums, timestamps and durations are integers,
 * bytes are bin, strings str). Only the fields a literal sets are encoded;
 * a reader gives the others their defaults. */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/sema.h"
#include "orca/error.h"

static int pack_lit(msgpack_packer *pk, const orca_ast_lit *l);

static int cmp_entry(const void *a, const void *b) {
  const orca_ast_lit_entry *x = *(const orca_ast_lit_entry *const *)a;
  const orca_ast_lit_entry *y = *(const orca_ast_lit_entry *const *)b;
  return (x->field->id > y->field->id) - (x->field->id < y->field->id);
}

static int pack_struct(msgpack_packer *pk, const orca_ast_lit_entry *entries, size_t n) {
  const orca_ast_lit_entry **sorted = malloc((n ? n : 1) * sizeof *sorted);
  if (!sorted)
    return ORCA_ENOMEM;
  for (size_t i = 0; i < n; i++)
    sorted[i] = &entries[i];
  qsort(sorted, n, sizeof *sorted, cmp_entry);
  int rc = msgpack_pack_map(pk, n);
  for (size_t i = 0; i < n && rc == 0; i++) {
    rc = msgpack_pack_uint32(pk, sorted[i]->field->id);
    if (rc == 0)
      rc = pack_lit(pk, sorted[i]->value);
  }
  free(sorted);
  return rc ? ORCA_ENOMEM : 0;
}

static int pack_lit(msgpack_packer *pk, const orca_ast_lit *l) {
  switch (l->kind) {
  case ORCA_KIND_BOOL:
    return l->v.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
  case ORCA_KIND_I8:
  case ORCA_KIND_I16:
  case ORCA_KIND_I32:
  case ORCA_KIND_I64:
  case ORCA_KIND_TIMESTAMP:
  case ORCA_KIND_DURATION:
  case ORCA_KIND_ENUM:
    return msgpack_pack_int64(pk, l->v.i);
  case ORCA_KIND_U8:
  case ORCA_KIND_U16:
  case ORCA_KIND_U32:
  case ORCA_KIND_U64:
    return msgpack_pack_uint64(pk, l->v.u);
  case ORCA_KIND_F32:
    return msgpack_pack_float(pk, (float)l->v.f);
  case ORCA_KIND_F64:
    return msgpack_pack_double(pk, l->v.f);
  case ORCA_KIND_STRING:
    return msgpack_pack_str(pk, l->len) || msgpack_pack_str_body(pk, l->str, l->len);
  case ORCA_KIND_BYTES:
    return msgpack_pack_bin(pk, l->len) || msgpack_pack_bin_body(pk, l->str, l->len);
  case ORCA_KIND_STRUCT:
    return pack_struct(pk, l->entries, l->nentries);
  case ORCA_KIND_LIST: {
    int rc = msgpack_pack_array(pk, l->nitems);
    for (size_t i = 0; i < l->nitems && rc == 0; i++)
      rc = pack_lit(pk, l->items[i]);
    return rc;
  }
  case ORCA_KIND_MAP:
    break;
  }
  return ORCA_EINVAL;
}

int orcac_encode_struct_lit(orca_arena *a, const orca_ast_lit_entry *entries, size_t n,
                            uint8_t **out, size_t *len) {
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  int rc = pack_struct(&pk, entries, n);
  if (rc == 0) {
    *out = orca_arena_alloc(a, sb.size ? sb.size : 1);
    if (!*out) {
      rc = ORCA_ENOMEM;
    } else {
      memcpy(*out, sb.data, sb.size);
      *len = sb.size;
    }
  }
  msgpack_sbuffer_destroy(&sb);
  return rc ? ORCA_ENOMEM : 0;
}
