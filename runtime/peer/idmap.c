/* idmap.c — the id hash map (idmap.h). */
#include "peer/idmap.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "orca/error.h"

static uint64_t hash(const orca__idmap *m, const char *id, size_t len) {
  uint8_t out[crypto_shorthash_BYTES];
  crypto_shorthash(out, (const unsigned char *)id, len, m->key);
  uint64_t h;
  memcpy(&h, out, sizeof h);
  return h;
}

uint64_t orca__idmap_hash(const orca__idmap *m, const char *id, size_t len) {
  return hash(m, id, len);
}

void orca__idmap_init(orca__idmap *m) {
  memset(m, 0, sizeof *m);
  randombytes_buf(m->key, sizeof m->key);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t find(const orca__idmap *m, uint64_t h, const char *id, size_t len) {
  size_t mask = m->cap - 1, i = h & mask;
  while (m->slots[i].id &&
         !(m->slots[i].hash == h && m->slots[i].len == len && !memcmp(m->slots[i].id, id, len)))
    i = (i + 1) & mask;
  return i;
}

void *orca__idmap_get(const orca__idmap *m, const char *id, size_t len) {
  if (!m->n)
    return NULL;
  size_t i = find(m, hash(m, id, len), id, len);
  return m->slots[i].id ? m->slots[i].value : NULL;
}

static int grow(orca__idmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 16;
  orca__idmap_slot *s = calloc(cap, sizeof *s);
  if (!s)
    return ORCA_ENOMEM;
  orca__idmap old = *m;
  m->slots = s;
  m->cap = cap;
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i].id)
      m->slots[find(m, old.slots[i].hash, old.slots[i].id, old.slots[i].len)] = old.slots[i];
  free(old.slots);
  return 0;
}

int orca__idmap_put(orca__idmap *m, const char *id, size_t len, void *value) {
  if ((m->n + 1) * 2 > m->cap && grow(m))
    return ORCA_ENOMEM;
  uint64_t h = hash(m, id, len);
  size_t i = find(m, h, id, len);
  if (!m->slots[i].id)
    m->n++;
  m->slots[i] = (orca__idmap_slot){h, id, len, value};
  return 0;
}

void orca__idmap_del(orca__idmap *m, const char *id, size_t len) {
  if (!m->n)
    return;
  size_t mask = m->cap - 1, i = find(m, hash(m, id, len), id, len);
  if (!m->slots[i].id)
    return;
  m->n--;
  /* Backward shift: pull later entries of the run into the hole when their
   * home slot does not lie between the hole and them. */
  for (size_t j = (i + 1) & mask; m->slots[j].id; j = (j + 1) & mask) {
    size_t home = m->slots[j].hash & mask;
    if (((j - home) & mask) >= ((j - i) & mask)) {
      m->slots[i] = m->slots[j];
      i = j;
    }
  }
  m->slots[i].id = NULL;
}

void orca__idmap_free(orca__idmap *m) {
  free(m->slots);
  m->slots = NULL;
  m->cap = m->n = 0;
}
