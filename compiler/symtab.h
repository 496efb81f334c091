/* compiler/symtab.h — a string-keyed hash table (open addressing) for the
 * semantic pass: declaration names, C names. Keys are not copied: they must
 * outlive the table (they live in the session arena). */
#ifndef ORCAC_SYMTAB_H
#define ORCAC_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>

typedef struct orcac_symtab {
  const char **keys;
  void **vals;
  size_t cap, n;
} orcac_symtab;

/* The value stored under key, or NULL. */
void *orcac_symtab_get(const orcac_symtab *t, const char *key);

/* Store val under key unless key is present. Returns NULL when inserted,
 * the existing value when key was already present (nothing changes), or
 * (void *)-1 when out of memory. */
void *orcac_symtab_put(orcac_symtab *t, const char *key, void *val);

/* Store val under key, replacing any value. Returns false when out of memory. */
bool orcac_symtab_set(orcac_symtab *t, const char *key, void *val);

void orcac_symtab_free(orcac_symtab *t);

/* Levenshtein distance of a and b, capped: returns at most cap + 1. */
size_t orcac_edit_distance(const char *a, const char *b, size_t cap);

/* The candidate closest to word when it is close enough to be a likely typo
 * (distance <= 1 for short words, <= 2 otherwise, and less than the word's
 * length), or NULL. */
const char *orcac_suggest(const char *word, const char *const *cands, size_t n);

#endif
