/* value.c — the life cycle of a typed value: orca_value_init (zero,
 * then field defaults) and orca_value_free (release what a heap allocator
 * gave, then init again).
 *
 * Defaults: a field's default_value points to a value of the field's C type,
 * so installing it is one memcpy of type->size bytes whatever the kind. For a
 * string that value is a `const char *` holding the literal: the field then
 * points at static storage, and orca_value_free leaves a string alone when it
 * is still that very pointer. */
#include "orca/codec.h"

#include <string.h>

/* Whether a value of type t can own memory. */
static bool owns_memory(const orca_type *t) {
  switch (t->kind) {
  case ORCA_KIND_STRING:
  case ORCA_KIND_BYTES:
  case ORCA_KIND_LIST:
  case ORCA_KIND_MAP:
  case ORCA_KIND_STRUCT:
    return true;
  default:
    return false;
  }
}

/* Scalars are 1, 2, 4 or 8 bytes: fixed-size copies the compiler inlines. */
static inline void copy_default(void *dst, const void *src, size_t n) {
  switch (n) {
  case 1:
    memcpy(dst, src, 1);
    break;
  case 2:
    memcpy(dst, src, 2);
    break;
  case 4:
    memcpy(dst, src, 4);
    break;
  case 8:
    memcpy(dst, src, 8);
    break;
  default:
    memcpy(dst, src, n);
  }
}

static void init_struct(const orca_struct_desc *d, uint8_t *base) {
  memset(base, 0, d->size);
  for (uint32_t i = 0; i < d->nfields; i++) {
    const orca_field *f = &d->fields[i];
    if (f->default_value)
      copy_default(base + f->offset, f->default_value, f->type->size);
    else if (f->type->kind == ORCA_KIND_STRUCT && !(f->flags & ORCA_FIELD_POINTER))
      init_struct(f->type->sdesc, base + f->offset);
  }
}

void orca_value_init(const orca_type *t, void *value) {
  if (t->kind == ORCA_KIND_STRUCT)
    init_struct(t->sdesc, value);
  else
    memset(value, 0, t->size);
}

static void release(const orca_type *t, void *value, const orca_alloc *a, const void *dflt);

static void release_struct(const orca_struct_desc *d, uint8_t *base, const orca_alloc *a) {
  for (uint32_t i = 0; i < d->nfields; i++) {
    const orca_field *f = &d->fields[i];
    if (!owns_memory(f->type))
      continue;
    void *fp = base + f->offset;
    if (f->flags & ORCA_FIELD_POINTER) {
      void *sub = *(void **)fp;
      if (sub) {
        release(f->type, sub, a, NULL);
        a->free(a->ctx, sub);
      }
    } else {
      release(f->type, fp, a, f->default_value);
    }
  }
}

/* Free what *value owns, without re-initializing it. dflt is the field's
 * default (a string or bytes equal to its literal is static and not freed). */
static void release(const orca_type *t, void *value, const orca_alloc *a, const void *dflt) {
  switch (t->kind) {
  case ORCA_KIND_STRING: {
    char *s = *(char **)value;
    if (s && !(dflt && s == *(char *const *)dflt))
      a->free(a->ctx, s);
    break;
  }
  case ORCA_KIND_BYTES: {
    uint8_t *p = ((orca_bytes *)value)->data;
    /* Like strings: bytes still pointing at the static default are not ours. */
    if (p && !(dflt && p == ((const orca_bytes *)dflt)->data))
      a->free(a->ctx, p);
    break;
  }
  case ORCA_KIND_LIST: {
    orca_list *l = value;
    if (!l->items)
      break;
    if (owns_memory(t->elem))
      for (size_t i = 0; i < l->len; i++)
        release(t->elem, (uint8_t *)l->items + i * t->elem->size, a, NULL);
    a->free(a->ctx, l->items);
    break;
  }
  case ORCA_KIND_MAP: {
    orca_map *m = value;
    if (m->keys) {
      if (t->key->kind == ORCA_KIND_STRING)
        for (size_t i = 0; i < m->len; i++)
          release(t->key, (char **)m->keys + i, a, NULL);
      a->free(a->ctx, m->keys);
    }
    if (m->values) {
      if (owns_memory(t->elem))
        for (size_t i = 0; i < m->len; i++)
          release(t->elem, (uint8_t *)m->values + i * t->elem->size, a, NULL);
      a->free(a->ctx, m->values);
    }
    break;
  }
  case ORCA_KIND_STRUCT:
    release_struct(t->sdesc, value, a);
    break;
  default:
    break;
  }
}

void orca_value_free(const orca_type *t, void *value, const orca_alloc *alloc) {
  if (alloc && alloc->free)
    release(t, value, alloc, NULL);
  orca_value_init(t, value);
}
