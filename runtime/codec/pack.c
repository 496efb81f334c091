/* pack.c — orca_pack: a typed value to msgpack, walking the reflection
 * tables, written through msgpack-c's packer into an orca_buf.
 *
 * Encoding rules (docs/codec.md): a struct is a map keyed by field id holding
 * every non-optional field and the optional ones that are present; integers
 * take msgpack's smallest form; enums travel as their integer; timestamps and
 * durations as int64 µs; strings as str (NULL as ""), bytes as bin. The
 * encoders are msgpack-c's, instantiated to append straight into the caller's
 * buffer (codec/pack.h), so a buffer reused across calls means no
 * allocation and no callback per token. */
#include "codec/pack.h"
#include "codec/util.h"
#include "orca/codec.h"

#include <string.h>

static int pack_value(const orca_type *t, const void *v, orca_buf *pk);

static inline bool field_present(const orca_field *f, const uint8_t *base) {
  if (f->flags & ORCA_FIELD_POINTER)
    return *(void *const *)(base + f->offset) != NULL;
  if (f->has_offset >= 0)
    return *(const bool *)(base + f->has_offset);
  return true;
}

static int pack_struct(const orca_struct_desc *d, const uint8_t *base, orca_buf *pk) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < d->nfields; i++)
    n += field_present(&d->fields[i], base);
  if (orca__mpk_map(pk, n))
    return ORCA_ENOMEM;
  for (uint32_t i = 0; i < d->nfields; i++) {
    const orca_field *f = &d->fields[i];
    if (!field_present(f, base))
      continue;
    if (orca__mpk_uint16(pk, f->id))
      return ORCA_ENOMEM;
    const void *fp = base + f->offset;
    if (f->flags & ORCA_FIELD_POINTER)
      fp = *(void *const *)fp;
    int rc = pack_value(f->type, fp, pk);
    if (rc)
      return rc;
  }
  return 0;
}

static int pack_string(const char *s, orca_buf *pk) {
  size_t n = s ? strlen(s) : 0;
  if (n > UINT32_MAX)
    return ORCA_ERANGE;
  if (orca__mpk_str(pk, n) || orca__mpk_str_body(pk, s, n))
    return ORCA_ENOMEM;
  return 0;
}

static int pack_value(const orca_type *t, const void *v, orca_buf *pk) {
  int rc = 0;
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    rc = *(const bool *)v ? orca__mpk_true(pk) : orca__mpk_false(pk);
    break;
  case ORCA_KIND_I8:
    rc = orca__mpk_int8(pk, *(const int8_t *)v);
    break;
  case ORCA_KIND_I16:
    rc = orca__mpk_int16(pk, *(const int16_t *)v);
    break;
  case ORCA_KIND_I32:
    rc = orca__mpk_int32(pk, *(const int32_t *)v);
    break;
  case ORCA_KIND_I64:
  case ORCA_KIND_TIMESTAMP:
  case ORCA_KIND_DURATION:
    rc = orca__mpk_int64(pk, *(const int64_t *)v);
    break;
  case ORCA_KIND_U8:
    rc = orca__mpk_uint8(pk, *(const uint8_t *)v);
    break;
  case ORCA_KIND_U16:
    rc = orca__mpk_uint16(pk, *(const uint16_t *)v);
    break;
  case ORCA_KIND_U32:
    rc = orca__mpk_uint32(pk, *(const uint32_t *)v);
    break;
  case ORCA_KIND_U64:
    rc = orca__mpk_uint64(pk, *(const uint64_t *)v);
    break;
  case ORCA_KIND_F32:
    rc = orca__mpk_float(pk, *(const float *)v);
    break;
  case ORCA_KIND_F64:
    rc = orca__mpk_double(pk, *(const double *)v);
    break;
  case ORCA_KIND_STRING:
    return pack_string(*(char *const *)v, pk);
  case ORCA_KIND_BYTES: {
    const orca_bytes *b = v;
    if (b->len > UINT32_MAX || (b->len && !b->data))
      return ORCA_ERANGE;
    rc = orca__mpk_bin(pk, b->len) || orca__mpk_bin_body(pk, b->data, b->len);
    break;
  }
  case ORCA_KIND_ENUM: {
    int32_t e;
    memcpy(&e, v, sizeof e);
    if (!orca__enum_name(t->edesc, e))
      return ORCA_ERANGE;
    rc = orca__mpk_int32(pk, e);
    break;
  }
  case ORCA_KIND_STRUCT:
    return pack_struct(t->sdesc, v, pk);
  case ORCA_KIND_LIST: {
    const orca_list *l = v;
    if (l->len > UINT32_MAX || (l->len && !l->items))
      return ORCA_ERANGE;
    if (orca__mpk_array(pk, l->len))
      return ORCA_ENOMEM;
    const uint8_t *item = l->items;
    for (size_t i = 0; i < l->len; i++, item += t->elem->size)
      if ((rc = pack_value(t->elem, item, pk)))
        return rc;
    return 0;
  }
  case ORCA_KIND_MAP: {
    const orca_map *m = v;
    if (m->len > UINT32_MAX || (m->len && (!m->keys || !m->values)))
      return ORCA_ERANGE;
    if (orca__mpk_map(pk, m->len))
      return ORCA_ENOMEM;
    const uint8_t *key = m->keys, *val = m->values;
    for (size_t i = 0; i < m->len; i++, key += t->key->size, val += t->elem->size)
      if ((rc = pack_value(t->key, key, pk)) || (rc = pack_value(t->elem, val, pk)))
        return rc;
    return 0;
  }
  }
  return rc ? ORCA_ENOMEM : 0;
}

int orca_pack(const orca_type *t, const void *value, orca_buf *out) {
  /* One reservation up front covers most messages in a single step. */
  if (orca_buf_reserve(out, 256))
    return ORCA_ENOMEM;
  return pack_value(t, value, out);
}

/* ---- the msgpack-c packer over orca_buf (codec/pack.h) ---- */

/* msgpack-c calls this for every token; the buffer grows geometrically, so a
 * buffer reused across messages stops allocating once it is big enough. */
static int buf_write(void *data, const char *p, size_t n) {
  orca_buf *b = data;
  if (n == 0)
    return 0;
  if (b->cap - b->len < n && orca_buf_reserve(b, n))
    return -1;
  uint8_t *d = b->data + b->len;
  /* Tokens are 1, 2, 3, 5 or 9 bytes: fixed-size copies the compiler inlines. */
  switch (n) {
  case 1:
    d[0] = (uint8_t)p[0];
    break;
  case 2:
    memcpy(d, p, 2);
    break;
  case 3:
    memcpy(d, p, 3);
    break;
  case 5:
    memcpy(d, p, 5);
    break;
  case 9:
    memcpy(d, p, 9);
    break;
  default:
    memcpy(d, p, n);
  }
  b->len += n;
  return 0;
}

void orca__packer_init(msgpack_packer *pk, orca_buf *out) {
  msgpack_packer_init(pk, out, buf_write);
}
