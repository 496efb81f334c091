/* compiler/sema.h — pieces of the semantic pass other front-end files share:
 * fingerprints (fingerprint.c) and literal encoding (encode.c). The pass
 * itself is orcac_sema() in compiler/frontend.h. */
#ifndef ORCAC_SEMA_H
#define ORCAC_SEMA_H

#include <stddef.h>
#include <stdint.h>

#include "idl/ast.h"
#include "orca/memory.h"

/* Fill the fingerprint of every enum and struct (task args included) of a
 * checked file whose imports already have theirs. See docs/language.md. */
void orcac_fingerprint_file(orca_ast_file *file);

/* FNV-1a 64 of n bytes. */
uint64_t orcac_fnv1a64(const void *data, size_t n);

/* Encode a typed struct literal (entries with `field` set) of struct decl d as
 * msgpack (a map keyed by field id, entries in id order) into arena memory.
 * Returns 0, or ORCA_ENOMEM. */
int orcac_encode_struct_lit(orca_arena *a, const orca_ast_lit_entry *entries, size_t n,
                            uint8_t **out, size_t *len);

#endif
