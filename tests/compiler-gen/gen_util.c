/* gen_util.c — random values, deep equality and file helpers for the
 * generated-code tests (see gen_util.h). */
#include "gen_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t gen_next(gen_rng *r) {
  uint64_t x = r->s ? r->s : 0x9E3779B97F4A7C15ull;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    abort();
  return p;
}

/* An integer biased towards the edges, where codecs break. */
static uint64_t edgy(gen_rng *r) {
  switch (gen_next(r) % 8) {
  case 0:
    return 0;
  case 1:
    return ~0ull; /* all ones: the maximum, or -1 */
  case 2:
    return 1ull << 63;
  case 3:
    return gen_next(r) % 256;
  default:
    return gen_next(r);
  }
}

static void random_int(gen_rng *r, orca_kind k, void *v) {
  uint64_t u = edgy(r);
  switch (k) {
  case ORCA_KIND_I8: {
    int8_t x = (int8_t)(uint8_t)u;
    if (u == 1ull << 63)
      x = INT8_MIN;
    memcpy(v, &x, sizeof x);
    break;
  }
  case ORCA_KIND_I16: {
    int16_t x = (int16_t)(uint16_t)u;
    if (u == 1ull << 63)
      x = INT16_MIN;
    memcpy(v, &x, sizeof x);
    break;
  }
  case ORCA_KIND_I32: {
    int32_t x = (int32_t)(uint32_t)u;
    if (u == 1ull << 63)
      x = INT32_MIN;
    memcpy(v, &x, sizeof x);
    break;
  }
  case ORCA_KIND_U8: {
    uint8_t x = (uint8_t)u;
    memcpy(v, &x, sizeof x);
    break;
  }
  case ORCA_KIND_U16: {
    uint16_t x = (uint16_t)u;
    memcpy(v, &x, sizeof x);
    break;
  }
  case ORCA_KIND_U32: {
    uint32_t x = (uint32_t)u;
    memcpy(v, &x, sizeof x);
    break;
  }
  case ORCA_KIND_U64:
    memcpy(v, &u, sizeof u);
    break;
  default: { /* i64, timestamp, duration */
    int64_t x = (int64_t)u;
    memcpy(v, &x, sizeof x);
    break;
  }
  }
}

static char *random_string(gen_rng *r) {
  size_t n = gen_next(r) % 24;
  char *s = xcalloc(n * 2 + 1, 1);
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t c = gen_next(r) % 100;
    if (c < 5) { /* a two-byte UTF-8 sequence: é */
      s[j++] = (char)0xC3;
      s[j++] = (char)0xA9;
    } else {
      s[j++] = (char)(' ' + c % 95);
    }
  }
  s[j] = '\0';
  return s;
}

static void random_float(gen_rng *r, orca_kind k, void *v) {
  double d;
  switch (gen_next(r) % 6) {
  case 0:
    d = 0.0;
    break;
  case 1:
    d = -0.0;
    break;
  case 2:
    d = (gen_next(r) & 1) ? 1.0 / 0.0 : -1.0 / 0.0;
    break;
  default:
    d = ((double)(int64_t)gen_next(r)) / (double)(1 + gen_next(r) % 100000);
  }
  if (k == ORCA_KIND_F32) {
    float f = (float)d;
    memcpy(v, &f, sizeof f);
  } else {
    memcpy(v, &d, sizeof d);
  }
}

static bool key_seen(const orca_type *kt, const uint8_t *keys, size_t n, const void *k) {
  for (size_t i = 0; i < n; i++) {
    const void *o = keys + i * kt->size;
    if (kt->kind == ORCA_KIND_STRING ? strcmp(*(char *const *)o, *(char *const *)k) == 0
                                     : memcmp(o, k, kt->size) == 0)
      return true;
  }
  return false;
}

void gen_random(gen_rng *r, const orca_type *t, void *value, int depth) {
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    *(bool *)value = gen_next(r) & 1;
    break;
  case ORCA_KIND_F32:
  case ORCA_KIND_F64:
    random_float(r, t->kind, value);
    break;
  case ORCA_KIND_STRING:
    *(char **)value = random_string(r);
    break;
  case ORCA_KIND_BYTES: {
    orca_bytes *b = value;
    b->len = gen_next(r) % 40;
    b->data = b->len ? xcalloc(b->len, 1) : NULL;
    for (size_t i = 0; i < b->len; i++)
      b->data[i] = (uint8_t)gen_next(r);
    break;
  }
  case ORCA_KIND_ENUM: {
    const orca_enum_desc *e = t->edesc;
    int32_t x = e->values[gen_next(r) % e->nvalues].value;
    memcpy(value, &x, sizeof x);
    break;
  }
  case ORCA_KIND_STRUCT: {
    const orca_struct_desc *d = t->sdesc;
    for (uint32_t i = 0; i < d->nfields; i++) {
      const orca_field *f = &d->fields[i];
      uint8_t *fv = (uint8_t *)value + f->offset;
      if (f->flags & ORCA_FIELD_POINTER) {
        if (depth > 0 && gen_next(r) % 2) {
          void *s = xcalloc(1, f->type->size);
          gen_random(r, f->type, s, depth - 1);
          *(void **)fv = s;
        }
        continue;
      }
      if (f->has_offset >= 0) {
        bool has = gen_next(r) % 2;
        *(bool *)((uint8_t *)value + f->has_offset) = has;
        if (!has) {
          /* An absent value decodes as its default. */
          orca_value_init(f->type, fv);
          if (f->default_value)
            memcpy(fv, f->default_value, f->type->size);
          continue;
        }
      }
      gen_random(r, f->type, fv, depth - 1);
    }
    break;
  }
  case ORCA_KIND_LIST: {
    orca_list *l = value;
    l->len = depth > 0 ? gen_next(r) % 5 : 0;
    l->items = l->len ? xcalloc(l->len, t->elem->size) : NULL;
    for (size_t i = 0; i < l->len; i++)
      gen_random(r, t->elem, (uint8_t *)l->items + i * t->elem->size, depth - 1);
    break;
  }
  case ORCA_KIND_MAP: {
    orca_map *m = value;
    size_t want = depth > 0 ? gen_next(r) % 5 : 0;
    m->keys = want ? xcalloc(want, t->key->size) : NULL;
    m->values = want ? xcalloc(want, t->elem->size) : NULL;
    m->len = 0;
    for (size_t tries = 0; m->len < want && tries < 50; tries++) {
      uint8_t *k = (uint8_t *)m->keys + m->len * t->key->size;
      gen_random(r, t->key, k, depth - 1);
      if (key_seen(t->key, m->keys, m->len, k)) {
        if (t->key->kind == ORCA_KIND_STRING)
          free(*(char **)k);
        memset(k, 0, t->key->size);
        continue;
      }
      gen_random(r, t->elem, (uint8_t *)m->values + m->len * t->elem->size, depth - 1);
      m->len++;
    }
    break;
  }
  default:
    random_int(r, t->kind, value);
  }
}

static bool differ(char *where, size_t cap, const char *path) {
  if (where && cap)
    snprintf(where, cap, "%s", path);
  return false;
}

static bool eq(const orca_type *t, const void *a, const void *b, char *path, size_t plen,
               char *where, size_t cap) {
  switch (t->kind) {
  case ORCA_KIND_STRING: {
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    return strcmp(x ? x : "", y ? y : "") == 0 || differ(where, cap, path);
  }
  case ORCA_KIND_BYTES: {
    const orca_bytes *x = a, *y = b;
    return (x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0)) ||
           differ(where, cap, path);
  }
  case ORCA_KIND_STRUCT: {
    const orca_struct_desc *d = t->sdesc;
    for (uint32_t i = 0; i < d->nfields; i++) {
      const orca_field *f = &d->fields[i];
      size_t n = strlen(path);
      snprintf(path + n, plen - n, ".%s", f->name);
      const uint8_t *fa = (const uint8_t *)a + f->offset, *fb = (const uint8_t *)b + f->offset;
      bool ok = true;
      if (f->flags & ORCA_FIELD_POINTER) {
        const void *pa = *(void *const *)fa, *pb = *(void *const *)fb;
        ok = (!pa && !pb) || (pa && pb && eq(f->type, pa, pb, path, plen, where, cap));
        if (!ok && (!pa || !pb))
          differ(where, cap, path);
      } else if (f->has_offset >= 0) {
        bool ha = *(const bool *)((const uint8_t *)a + f->has_offset);
        bool hb = *(const bool *)((const uint8_t *)b + f->has_offset);
        ok = ha == hb ? (!ha || eq(f->type, fa, fb, path, plen, where, cap))
                      : differ(where, cap, path);
      } else {
        ok = eq(f->type, fa, fb, path, plen, where, cap);
      }
      if (!ok)
        return false;
      path[n] = '\0';
    }
    return true;
  }
  case ORCA_KIND_LIST: {
    const orca_list *x = a, *y = b;
    if (x->len != y->len)
      return differ(where, cap, path);
    size_t n = strlen(path);
    for (size_t i = 0; i < x->len; i++) {
      snprintf(path + n, plen - n, "[%zu]", i);
      if (!eq(t->elem, (const uint8_t *)x->items + i * t->elem->size,
              (const uint8_t *)y->items + i * t->elem->size, path, plen, where, cap))
        return false;
    }
    path[n] = '\0';
    return true;
  }
  case ORCA_KIND_MAP: {
    const orca_map *x = a, *y = b;
    if (x->len != y->len)
      return differ(where, cap, path);
    size_t n = strlen(path);
    for (size_t i = 0; i < x->len; i++) {
      snprintf(path + n, plen - n, "{%zu}", i);
      if (!eq(t->key, (const uint8_t *)x->keys + i * t->key->size,
              (const uint8_t *)y->keys + i * t->key->size, path, plen, where, cap) ||
          !eq(t->elem, (const uint8_t *)x->values + i * t->elem->size,
              (const uint8_t *)y->values + i * t->elem->size, path, plen, where, cap))
        return false;
    }
    path[n] = '\0';
    return true;
  }
  case ORCA_KIND_BOOL:
    return *(const bool *)a == *(const bool *)b || differ(where, cap, path);
  default: /* integers, floats (bit for bit), enums, timestamps, durations */
    return memcmp(a, b, t->size) == 0 || differ(where, cap, path);
  }
}

bool gen_equal(const orca_type *t, const void *a, const void *b, char *where, size_t where_cap) {
  char path[512] = "$";
  return eq(t, a, b, path, sizeof path, where, where_cap);
}

uint8_t *gen_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        buf = NULL;
      }
      buf = nb;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

int gen_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t w = fwrite(data, 1, len, f);
  return (fclose(f) == 0 && w == len) ? 0 : -1;
}
