/* unpack.c — orca_unpack: msgpack bytes from anywhere to a typed value,
 * guided by the reflection tables, straight from the pull reader into the
 * target (no intermediate object tree).
 *
 * Every byte is hostile: lengths are checked against the bytes left before
 * anything is allocated, nesting stops at ORCA_CODEC_MAX_DEPTH, integers are
 * range-checked for their C type, strings must be valid UTF-8 without NUL,
 * and every error names the path of the value ("items[2].qty: ..."). On
 * failure the value is left consistent (every pointer either NULL or owned),
 * so orca_value_free releases what was decoded. The rules for conversions,
 * nil and duplicates are in docs/codec.md. */
#include "codec/path.h"
#include "codec/reader.h"
#include "codec/util.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dec {
  orca__mp_reader r;
  const uint8_t *start; /* for byte offsets in messages */
  const orca_alloc *a;
  orca_err *err;
  /* With an allocator that frees nothing piecewise (an arena), small pieces
   * are carved from blocks taken from it, without a call per piece. */
  uint8_t *bump, *bump_end;
  size_t block;
} dec;

__attribute__((format(printf, 4, 5), cold, noinline)) static int
fail(dec *d, int code, const orca__path *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  orca__path_fail(d->err, code, p, fmt, ap);
  va_end(ap);
  return code;
}

__attribute__((cold, noinline)) static int fail_read(dec *d, const orca__path *p, int rc) {
  switch (rc) {
  case ORCA__MP_TRUNCATED:
    return fail(d, ORCA_EDECODE, p, "truncated input (value at byte %zu runs past the end)",
                (size_t)(d->r.p - d->start));
  case ORCA__MP_BADBYTE:
    return fail(d, ORCA_EDECODE, p, "invalid msgpack byte 0xc1 at byte %zu",
                (size_t)(d->r.p - d->start));
  default:
    return fail(d, ORCA_EDECODE, p, "nested deeper than %d levels", ORCA_CODEC_MAX_DEPTH);
  }
}

__attribute__((cold, noinline)) static int fail_type(dec *d, const orca__path *p, const char *want,
                                                     const orca__mp_item *it) {
  return fail(d, ORCA_EDECODE, p, "expected %s, got %s", want, orca__mp_type_name(it));
}

static void *mem_block(dec *d, size_t n) {
  if (n > d->block / 4)
    return d->a->alloc(d->a->ctx, n);
  uint8_t *b = d->a->alloc(d->a->ctx, d->block);
  if (!b) /* e.g. an arena near its limit: the piece alone may still fit */
    return d->a->alloc(d->a->ctx, n);
  d->bump = b + n;
  d->bump_end = b + d->block;
  return b;
}

/* Memory for a decoded piece, aligned to 8 (the largest alignment of any C
 * type a schema produces). */
static inline void *mem(dec *d, size_t n) {
  if (d->a->free)
    return d->a->alloc(d->a->ctx, n);
  n = (n + 7) & ~(size_t)7;
  if ((size_t)(d->bump_end - d->bump) < n)
    return mem_block(d, n);
  void *p = d->bump;
  d->bump += n;
  return p;
}

static int dec_value(dec *d, const orca_type *t, void *v, const orca__path *p, int depth);
static inline int dec_item(dec *d, const orca_type *t, const orca__mp_item *item, void *v,
                           const orca__path *p, int depth);

/* Decode the remaining items of an integer into a C integer of kind k. */
static int dec_int(dec *d, orca_kind k, const orca_type *t, const orca__mp_item *it, void *v,
                   const orca__path *p) {
  if (it->type != ORCA__MP_UINT && it->type != ORCA__MP_INT)
    return fail_type(d, p, "integer", it);
  if (!orca__int_store(k, it->type == ORCA__MP_INT, it->v.u, it->v.i, v)) {
    if (it->type == ORCA__MP_INT)
      return fail(d, ORCA_EDECODE, p, "%lld out of range for %s", (long long)it->v.i, t->name);
    return fail(d, ORCA_EDECODE, p, "%llu out of range for %s", (unsigned long long)it->v.u,
                t->name);
  }
  return 0;
}

static int dec_float(dec *d, const orca_type *t, const orca__mp_item *it, void *v,
                     const orca__path *p) {
  double x;
  switch (it->type) {
  case ORCA__MP_F32:
    x = it->v.f32;
    break;
  case ORCA__MP_F64:
    x = it->v.f64;
    break;
  case ORCA__MP_UINT:
    x = (double)it->v.u;
    break;
  case ORCA__MP_INT:
    x = (double)it->v.i;
    break;
  default:
    return fail_type(d, p, "number", it);
  }
  if (t->kind == ORCA_KIND_F64) {
    memcpy(v, &x, sizeof x);
    return 0;
  }
  if (isfinite(x) && fabs(x) > FLT_MAX)
    return fail(d, ORCA_EDECODE, p, "%g out of range for f32", x);
  float f = (float)x;
  memcpy(v, &f, sizeof f);
  return 0;
}

static int dec_string(dec *d, const orca__mp_item *it, char **out, const orca__path *p) {
  if (it->type != ORCA__MP_STR)
    return fail_type(d, p, "string", it);
  if (!orca__utf8_valid_fast(it->v.s.ptr, it->v.s.len))
    return fail(d, ORCA_EDECODE, p, "string is not valid UTF-8 or contains NUL");
  char *s = mem(d, (size_t)it->v.s.len + 1);
  if (!s)
    return fail(d, ORCA_ENOMEM, p, "out of memory");
  memcpy(s, it->v.s.ptr, it->v.s.len);
  s[it->v.s.len] = 0;
  *out = s;
  return 0;
}

/* Allocate n initialized elements of type t; *out is NULL for n == 0. */
static int alloc_array(dec *d, const orca_type *t, size_t n, void **out, const orca__path *p) {
  *out = NULL;
  if (n == 0)
    return 0;
  if (n > SIZE_MAX / t->size)
    return fail(d, ORCA_ENOMEM, p, "out of memory");
  uint8_t *items = mem(d, n * t->size);
  if (!items)
    return fail(d, ORCA_ENOMEM, p, "out of memory");
  if (t->kind == ORCA_KIND_STRUCT)
    for (size_t i = 0; i < n; i++)
      orca_value_init(t, items + i * t->size);
  else
    memset(items, 0, n * t->size);
  *out = items;
  return 0;
}

static int dec_list(dec *d, const orca_type *t, const orca__mp_item *it, orca_list *l,
                    const orca__path *p, int depth) {
  if (it->type != ORCA__MP_ARRAY)
    return fail_type(d, p, "array", it);
  int rc = alloc_array(d, t->elem, it->v.n, &l->items, p);
  if (rc)
    return rc;
  l->len = it->v.n;
  orca__path sub = {p, ORCA__PATH_INDEX, NULL, 0, 0};
  uint8_t *item = l->items;
  for (uint32_t i = 0; i < it->v.n; i++, item += t->elem->size) {
    sub.index = i;
    orca__mp_item ev;
    if ((rc = orca__mp_next(&d->r, &ev)))
      return fail_read(d, &sub, rc);
    if ((rc = dec_item(d, t->elem, &ev, item, &sub, depth + 1)))
      return rc;
  }
  return 0;
}

static int dec_map(dec *d, const orca_type *t, const orca__mp_item *it, orca_map *m,
                   const orca__path *p, int depth) {
  if (it->type != ORCA__MP_MAP)
    return fail_type(d, p, "map", it);
  int rc;
  if ((rc = alloc_array(d, t->key, it->v.n, &m->keys, p)) ||
      (rc = alloc_array(d, t->elem, it->v.n, &m->values, p)))
    return rc;
  m->len = it->v.n;
  uint8_t *key = m->keys, *val = m->values;
  for (uint32_t i = 0; i < it->v.n; i++, key += t->key->size, val += t->elem->size) {
    orca__path kp = {p, ORCA__PATH_INDEX, NULL, 0, i}; /* the i-th key, for key errors */
    orca__mp_item k;
    if ((rc = orca__mp_next(&d->r, &k)))
      return fail_read(d, &kp, rc);
    orca__path vp = {p, ORCA__PATH_KEY_INT, NULL, 0, 0};
    if (t->key->kind == ORCA_KIND_STRING) {
      if ((rc = dec_string(d, &k, (char **)key, &kp)))
        return rc;
      vp.kind = ORCA__PATH_KEY_STR;
      vp.name = *(char **)key;
      vp.len = k.v.s.len;
    } else {
      if ((rc = dec_int(d, t->key->kind, t->key, &k, key, &kp)))
        return rc;
      vp.index = k.type == ORCA__MP_INT ? k.v.i : (int64_t)k.v.u;
    }
    if ((rc = dec_value(d, t->elem, val, &vp, depth + 1)))
      return rc;
  }
  return 0;
}

static int dec_struct(dec *d, const orca_struct_desc *sd, const orca__mp_item *it, uint8_t *base,
                      const orca__path *p, int depth) {
  if (it->type != ORCA__MP_MAP)
    return fail_type(d, p, "map", it);
  /* Fields seen so far, by index, to refuse duplicates: the first 64 in a
   * register, the rest (rare) in a heap bitmap. */
  uint64_t seen0 = 0, *seen = NULL;
  if (sd->nfields > 64 && !(seen = calloc((sd->nfields + 63) / 64, sizeof *seen)))
    return fail(d, ORCA_ENOMEM, p, "out of memory");
  int rc = 0;
  uint32_t hint = 0;
  for (uint32_t i = 0; i < it->v.n && !rc; i++) {
    orca__mp_item k;
    if ((rc = orca__mp_next(&d->r, &k))) {
      rc = fail_read(d, p, rc);
      break;
    }
    if (k.type != ORCA__MP_UINT) {
      rc = fail(d, ORCA_EDECODE, p, "field key: expected integer id, got %s",
                orca__mp_type_name(&k));
      break;
    }
    /* Writers emit fields in id order, so the next field is the likely one. */
    const orca_field *f;
    if (hint < sd->nfields && sd->fields[hint].id == k.v.u)
      f = &sd->fields[hint];
    else if (k.v.u == 0 || k.v.u > 65535 || !(f = orca_struct_field(sd, (uint32_t)k.v.u))) {
      if ((rc = orca__mp_skip(&d->r, depth + 1))) /* unknown field: a newer writer's */
        rc = fail_read(d, p, rc);
      continue;
    }
    uint32_t idx = (uint32_t)(f - sd->fields);
    hint = idx + 1;
    orca__path fp = {p, ORCA__PATH_FIELD, f->name, 0, 0};
    uint64_t *word = idx < 64 ? &seen0 : &seen[idx / 64];
    if (*word & (1ull << (idx % 64))) {
      rc = fail(d, ORCA_EDECODE, &fp, "duplicate field id %u", f->id);
      break;
    }
    *word |= 1ull << (idx % 64);
    if (d->r.p < d->r.end && *d->r.p == 0xc0) { /* nil: the field is absent */
      d->r.p++;
      continue;
    }
    void *target = base + f->offset;
    if (f->flags & ORCA_FIELD_POINTER) {
      void *sub = mem(d, f->type->size);
      if (!sub) {
        rc = fail(d, ORCA_ENOMEM, &fp, "out of memory");
        break;
      }
      orca_value_init(f->type, sub);
      *(void **)target = sub;
      target = sub;
    }
    orca__mp_item fv;
    if ((rc = orca__mp_next(&d->r, &fv))) {
      rc = fail_read(d, &fp, rc);
      break;
    }
    rc = dec_item(d, f->type, &fv, target, &fp, depth + 1);
    if (!rc && f->has_offset >= 0)
      *(bool *)(base + f->has_offset) = true;
  }
  free(seen);
  return rc;
}

/* Decode a value of type t whose header `it` was just read. Scalars are
 * handled here, inline in the loops of the container decoders. */
static inline int dec_item(dec *d, const orca_type *t, const orca__mp_item *item, void *v,
                           const orca__path *p, int depth) {
  const orca__mp_item it = *item;
  int rc;
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    if (it.type != ORCA__MP_BOOL)
      return fail_type(d, p, "bool", &it);
    *(bool *)v = it.v.b;
    return 0;
  case ORCA_KIND_I8:
  case ORCA_KIND_I16:
  case ORCA_KIND_I32:
  case ORCA_KIND_I64:
  case ORCA_KIND_U8:
  case ORCA_KIND_U16:
  case ORCA_KIND_U32:
  case ORCA_KIND_U64:
    return dec_int(d, t->kind, t, &it, v, p);
  case ORCA_KIND_TIMESTAMP:
  case ORCA_KIND_DURATION:
    return dec_int(d, ORCA_KIND_I64, t, &it, v, p);
  case ORCA_KIND_F32:
  case ORCA_KIND_F64:
    return dec_float(d, t, &it, v, p);
  case ORCA_KIND_STRING:
    return dec_string(d, &it, (char **)v, p);
  case ORCA_KIND_BYTES: {
    if (it.type != ORCA__MP_BIN)
      return fail_type(d, p, "bytes", &it);
    orca_bytes *b = v;
    if (it.v.s.len) {
      if (!(b->data = mem(d, it.v.s.len)))
        return fail(d, ORCA_ENOMEM, p, "out of memory");
      memcpy(b->data, it.v.s.ptr, it.v.s.len);
    }
    b->len = it.v.s.len;
    return 0;
  }
  case ORCA_KIND_ENUM: {
    int32_t e;
    if ((rc = dec_int(d, ORCA_KIND_I32, t, &it, &e, p)))
      return rc;
    if (!orca__enum_name(t->edesc, e))
      return fail(d, ORCA_EDECODE, p, "%d is not a value of enum %s", e, t->edesc->name);
    memcpy(v, &e, sizeof e);
    return 0;
  }
  default:
    break;
  }
  /* Containers. */
  if (depth >= ORCA_CODEC_MAX_DEPTH)
    return fail_read(d, p, ORCA__MP_TOODEEP);
  switch (t->kind) {
  case ORCA_KIND_STRUCT:
    return dec_struct(d, t->sdesc, &it, v, p, depth);
  case ORCA_KIND_LIST:
    return dec_list(d, t, &it, v, p, depth);
  case ORCA_KIND_MAP:
    return dec_map(d, t, &it, v, p, depth);
  default:
    return fail(d, ORCA_EDECODE, p, "type %s has an unknown kind %d", t->name, (int)t->kind);
  }
}

static int dec_value(dec *d, const orca_type *t, void *v, const orca__path *p, int depth) {
  orca__mp_item it;
  int rc = orca__mp_next(&d->r, &it);
  if (rc)
    return fail_read(d, p, rc);
  return dec_item(d, t, &it, v, p, depth);
}

int orca_unpack(const orca_type *t, const uint8_t *data, size_t len, void *value,
                const orca_alloc *alloc, orca_err *err) {
  orca_value_init(t, value);
  static const uint8_t empty[1];
  if (!data) {
    if (len)
      return orca_err_set(err, ORCA_EDECODE, "value: no input");
    data = empty;
  }
  dec d = {{data, data + len}, data, alloc, err, NULL, NULL, 0};
  /* Decoded values rarely need more than twice their encoded size. */
  d.block = len < 128 ? 256 : len > 4096 ? 8192 : 2 * len;
  int rc = dec_value(&d, t, value, NULL, 0);
  if (rc)
    return rc;
  if (d.r.p != d.r.end)
    return orca_err_set(err, ORCA_EDECODE, "value: %zu trailing bytes after the value",
                        (size_t)(d.r.end - d.r.p));
  return 0;
}
