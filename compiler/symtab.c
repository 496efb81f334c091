/* compiler/symtab.c — string hash table and "did you mean" suggestions. */
#include "compiler/symtab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SYMTAB_NOMEM ((void *)-1)

static uint64_t hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

void *orcac_symtab_get(const orcac_symtab *t, const char *key) {
  if (!t->cap)
    return NULL;
  for (size_t i = hash(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
    if (!t->keys[i])
      return NULL;
    if (strcmp(t->keys[i], key) == 0)
      return t->vals[i];
  }
}

static bool grow(orcac_symtab *t) {
  size_t cap = t->cap ? t->cap * 2 : 64;
  const char **keys = calloc(cap, sizeof *keys);
  void **vals = calloc(cap, sizeof *vals);
  if (!keys || !vals) {
    free(keys);
    free(vals);
    return false;
  }
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->keys[i])
      continue;
    size_t j = hash(t->keys[i]) & (cap - 1);
    while (keys[j])
      j = (j + 1) & (cap - 1);
    keys[j] = t->keys[i];
    vals[j] = t->vals[i];
  }
  free(t->keys);
  free(t->vals);
  t->keys = keys;
  t->vals = vals;
  t->cap = cap;
  return true;
}

void *orcac_symtab_put(orcac_symtab *t, const char *key, void *val) {
  if ((t->n + 1) * 2 > t->cap && !grow(t))
    return SYMTAB_NOMEM;
  size_t i = hash(key) & (t->cap - 1);
  for (; t->keys[i]; i = (i + 1) & (t->cap - 1))
    if (strcmp(t->keys[i], key) == 0)
      return t->vals[i];
  t->keys[i] = key;
  t->vals[i] = val;
  t->n++;
  return NULL;
}

bool orcac_symtab_set(orcac_symtab *t, const char *key, void *val) {
  void *old = orcac_symtab_put(t, key, val);
  if (old == SYMTAB_NOMEM)
    return false;
  if (old) {
    for (size_t i = hash(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1))
      if (strcmp(t->keys[i], key) == 0) {
        t->vals[i] = val;
        break;
      }
  }
  return true;
}

void orcac_symtab_free(orcac_symtab *t) {
  free(t->keys);
  free(t->vals);
  memset(t, 0, sizeof *t);
}

size_t orcac_edit_distance(const char *a, const char *b, size_t cap) {
  /* Optimal string alignment distance: insertions, deletions, substitutions
   * and transpositions of neighbours ("Itme" -> "Item") each cost 1. */
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64)
    return cap + 1;
  if ((la > lb ? la - lb : lb - la) > cap)
    return cap + 1;
  static const size_t W = 65;
  size_t d[65 * 65];
  for (size_t i = 0; i <= la; i++)
    d[i * W] = i;
  for (size_t j = 0; j <= lb; j++)
    d[j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      size_t best = d[(i - 1) * W + j - 1] + (a[i - 1] != b[j - 1]);
      if (d[(i - 1) * W + j] + 1 < best)
        best = d[(i - 1) * W + j] + 1;
      if (d[i * W + j - 1] + 1 < best)
        best = d[i * W + j - 1] + 1;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          d[(i - 2) * W + j - 2] + 1 < best)
        best = d[(i - 2) * W + j - 2] + 1;
      d[i * W + j] = best;
    }
  return d[la * W + lb] > cap ? cap + 1 : d[la * W + lb];
}

const char *orcac_suggest(const char *word, const char *const *cands, size_t n) {
  size_t len = strlen(word);
  size_t cap = len <= 4 ? 1 : 2;
  const char *best = NULL;
  size_t best_d = cap + 1;
  for (size_t i = 0; i < n; i++) {
    if (!cands[i])
      continue;
    size_t d = orcac_edit_distance(word, cands[i], cap);
    if (d < best_d && d < len) {
      best = cands[i];
      best_d = d;
    }
  }
  return best;
}
