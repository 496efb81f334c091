/* orca/codec.h — msgpack encoding and decoding of typed values, driven by the
 * reflection tables in orca/schema.h.
 *
 * Generated pack/unpack functions are thin typed wrappers around these calls.
 * Decoding treats every byte as hostile: any malformed, truncated, oversized
 * or too deeply nested input yields ORCA_EDECODE and an orca_err naming the
 * field path ("order.items[2].qty: expected integer, got str"); it never reads
 * out of bounds or aborts. */
#ifndef ORCA_CODEC_H
#define ORCA_CODEC_H

#include "orca/error.h"
#include "orca/memory.h"
#include "orca/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Deepest nesting of containers a decoder accepts. */
#define ORCA_CODEC_MAX_DEPTH 64

/* Set *value (of type t) to its defaults: zero, then field defaults for
 * structs. Allocates nothing. */
void orca_value_init(const orca_type *t, void *value);

/* Append the msgpack encoding of *value (of type t) to out. Returns 0, or
 * ORCA_ENOMEM (out may hold a partial encoding; reset it), or ORCA_ERANGE for
 * a value that cannot be encoded (an enum value with no name). */
int orca_pack(const orca_type *t, const void *value, orca_buf *out);

/* Decode exactly one msgpack value of type t from data[0..len) into *value,
 * which the call first initializes. Nested memory (strings, bytes, lists,
 * maps, optional structs) comes from `alloc`; with orca_heap release it with
 * orca_value_free(), with an arena reset the arena. Bytes past the value are
 * an error. Returns 0, ORCA_EDECODE (err says where; *value holds whatever was
 * decoded so far and must still be freed), or ORCA_ENOMEM. */
int orca_unpack(const orca_type *t, const uint8_t *data, size_t len, void *value,
                const orca_alloc *alloc, orca_err *err);

/* Free the nested memory of *value that `alloc` gave (no-op for an arena) and
 * re-initialize it. The value itself is not freed. */
void orca_value_free(const orca_type *t, void *value, const orca_alloc *alloc);

/* Convenience: the orca_type node of a struct descriptor is generated beside
 * it as NAME__type; these helpers take the descriptor's type node. */

/* JSON <-> msgpack by schema, for the CLI and for inspect.
 *
 * orca_json_to_msgpack: parse JSON text and append the msgpack of a value of
 * type t (struct fields by name, enums by name or number, bytes as base64,
 * timestamps as RFC 3339 or integer µs, durations as "5s"/"250ms" or integer
 * µs). Unknown fields, wrong types, out-of-range integers and trailing bytes
 * are ORCA_EINVAL with err naming the JSON path and byte offset.
 *
 * orca_msgpack_to_json: the reverse, for printing (t may be NULL: then a
 * schema-less rendering with numeric keys). Returns 0 or ORCA_EDECODE. */
int orca_json_to_msgpack(const orca_type *t, const char *json, size_t len, orca_buf *out,
                         orca_err *err);
int orca_msgpack_to_json(const orca_type *t, const uint8_t *data, size_t len, orca_buf *out,
                         orca_err *err);

#ifdef __cplusplus
}
#endif
#endif
