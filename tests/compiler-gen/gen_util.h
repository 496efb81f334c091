/* gen_util.h — helpers the generated-code tests share: a seeded PRNG,
 * random values of any reflected type, deep equality, and small file
 * helpers.
 *
 * Random values are built from the descriptors orcac generated (walking
 * orca_type nodes), so one generator covers every type of alltypes.orca. All
 * nested memory comes from malloc, so the generated NAME_free() (which frees
 * through orca_heap) releases it. */
#ifndef ORCA_TESTS_GEN_UTIL_H
#define ORCA_TESTS_GEN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/orca.h"

/* xorshift64* — deterministic per seed, so a failure can be replayed. */
typedef struct gen_rng {
  uint64_t s;
} gen_rng;

uint64_t gen_next(gen_rng *r);

/* Fill *value (of type t, memory zeroed by the caller) with a random value.
 * depth bounds recursion: below depth 0 optional structs are absent and lists
 * and maps empty. Enum values are always named ones; map keys are distinct;
 * floats are finite or infinite, never NaN. */
void gen_random(gen_rng *r, const orca_type *t, void *value, int depth);

/* Deep equality of two values of type t: strings by content (NULL == ""),
 * floats bit for bit, optional values only when present. On a difference,
 * writes the path of the first one to where (if non-NULL). */
bool gen_equal(const orca_type *t, const void *a, const void *b, char *where, size_t where_cap);

/* Read a whole file into a malloc'd buffer; NULL if it cannot be read. */
uint8_t *gen_read_file(const char *path, size_t *len);
/* Write a whole file; returns 0 or -1. */
int gen_write_file(const char *path, const void *data, size_t len);

#endif
