/* codec/pack.h — msgpack writers bound to an orca_buf: the msgpack-c packer
 * for code where speed does not matter (JSON, the schedule spec), and
 * msgpack-c's packer template instantiated to append straight into the
 * buffer for the hot paths (orca_pack, the envelope). The buffer is the
 * caller's; a buffer reused across calls stops allocating once warm. */
#ifndef ORCA__CODEC_PACK_H
#define ORCA__CODEC_PACK_H

#include <msgpack.h>
#include <stddef.h>
#include <string.h>

#include "orca/memory.h"

/* Bind a msgpack-c packer to out: every write appends to the buffer. Used
 * where speed does not matter (JSON); hot paths use orca__mpk_* below. */
void orca__packer_init(msgpack_packer *pk, orca_buf *out);

/* Append n bytes to b (n is a constant in every packer below, so the copy is
 * inlined). Returns 0 or -1 when out of memory. */
static inline int orca__buf_put(orca_buf *b, const void *p, size_t n) {
  if (n == 0) /* (folded away for the constant sizes) */
    return 0;
  if (b->cap - b->len < n && orca_buf_reserve(b, n))
    return -1;
  memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

/* msgpack-c's packer template (msgpack/pack_template.h) instantiated for
 * orca_buf: the same encoding code as msgpack_pack_*, but writing straight
 * into the buffer instead of through a callback per token, which profiling
 * showed to be a third of packing time. Functions: orca__mpk_uint8(buf, v),
 * orca__mpk_int64, orca__mpk_double, orca__mpk_str(buf, len),
 * orca__mpk_str_body(buf, p, len), orca__mpk_map(buf, n), ... each returning
 * 0 or -1 (out of memory). */
#define msgpack_pack_inline_func(name) static inline int orca__mpk##name
#define msgpack_pack_inline_func_cint(name) static inline int orca__mpk##name
#define msgpack_pack_user orca_buf *
#define msgpack_pack_append_buffer(user, buf, len) return orca__buf_put(user, buf, len)
#define msgpack_pack_ext orca__mpk_ext /* the template calls it by name */
#include <msgpack/pack_template.h>
#undef msgpack_pack_ext
#undef msgpack_pack_inline_func_cint

#endif
