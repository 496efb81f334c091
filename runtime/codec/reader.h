/* codec/reader.h — the msgpack pull reader every decoder of untrusted bytes
 * uses: orca_unpack, the envelope, msgpack to JSON, the schedule spec, and
 * the hooks' msgpack-to-Lua conversion.
 *
 * Why a hand-written reader instead of msgpack_unpack_next: msgpack-c builds
 * an object tree in a zone first, sizing arrays from the header before it has
 * seen the elements (an array32 header claiming 4 G entries in a 5-byte input
 * asks the zone for ~100 GB), and the tree is then walked a second time. The
 * reader decodes straight into the target and bounds every length by the
 * bytes that remain. docs/codec.md has the measurements. Items point into the
 * input, which must outlive them; the reader allocates nothing. */
#ifndef ORCA__CODEC_READER_H
#define ORCA__CODEC_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/codec.h"

typedef enum orca__mp_type {
  ORCA__MP_NIL,
  ORCA__MP_BOOL,
  ORCA__MP_UINT, /* non-negative integer, in v.u */
  ORCA__MP_INT,  /* negative integer, in v.i */
  ORCA__MP_F32,
  ORCA__MP_F64,
  ORCA__MP_STR, /* v.s: bytes inside the input */
  ORCA__MP_BIN,
  ORCA__MP_EXT,   /* v.s and ext_type */
  ORCA__MP_ARRAY, /* v.n elements follow */
  ORCA__MP_MAP,   /* v.n key/value pairs follow */
} orca__mp_type;

typedef struct orca__mp_item {
  orca__mp_type type;
  int8_t ext_type;
  union {
    bool b;
    uint64_t u;
    int64_t i;
    float f32;
    double f64;
    struct {
      const uint8_t *ptr;
      uint32_t len;
    } s;
    uint32_t n;
  } v;
} orca__mp_item;

typedef struct orca__mp_reader {
  const uint8_t *p, *end;
} orca__mp_reader;

/* Why a read failed. */
enum {
  ORCA__MP_OK = 0,
  ORCA__MP_TRUNCATED = -1, /* input ends inside the value */
  ORCA__MP_BADBYTE = -2,   /* 0xc1, the one byte msgpack never uses */
  ORCA__MP_TOODEEP = -3,   /* nesting past ORCA_CODEC_MAX_DEPTH */
};

/* Read the header of the next value into *it and advance past it. Strings,
 * bins and exts are consumed whole (v.s points into the input); for arrays
 * and maps only the header is consumed, and the element count is checked
 * against the bytes left (each element takes at least one byte), so a caller
 * may allocate v.n elements without trusting the input further. Returns
 * ORCA__MP_OK, ORCA__MP_TRUNCATED or ORCA__MP_BADBYTE; *r is unchanged on
 * failure. */
int orca__mp_next_slow(orca__mp_reader *r, orca__mp_item *it);

/* The fixint/fixstr/fixmap/fixarray forms that make up most small messages
 * are decoded inline; everything else goes to orca__mp_next_slow. */
static inline int orca__mp_next(orca__mp_reader *r, orca__mp_item *it) {
  if (r->p < r->end) {
    uint8_t c = *r->p;
    size_t left = (size_t)(r->end - r->p) - 1;
    if (c <= 0x7f) {
      it->type = ORCA__MP_UINT;
      it->v.u = c;
      r->p++;
      return ORCA__MP_OK;
    }
    if ((c & 0xe0) == 0xa0 && (size_t)(c & 0x1f) <= left) {
      it->type = ORCA__MP_STR;
      it->v.s.ptr = r->p + 1;
      it->v.s.len = c & 0x1f;
      r->p += 1 + (c & 0x1f);
      return ORCA__MP_OK;
    }
    if ((c & 0xe0) == 0x80) { /* fixmap 0x80-0x8f, fixarray 0x90-0x9f */
      bool map = c < 0x90;
      uint32_t n = c & 0x0f;
      if ((map ? left / 2 : left) >= n) {
        it->type = map ? ORCA__MP_MAP : ORCA__MP_ARRAY;
        it->v.n = n;
        r->p++;
        return ORCA__MP_OK;
      }
    }
  }
  return orca__mp_next_slow(r, it);
}

/* Skip one whole value (nested ones included, at most ORCA_CODEC_MAX_DEPTH -
 * depth levels deep). Returns ORCA__MP_OK or a failure code. */
int orca__mp_skip(orca__mp_reader *r, int depth);

/* Skip the rest of a container whose header `it` was just read. */
int orca__mp_skip_items(orca__mp_reader *r, const orca__mp_item *it, int depth);

/* The msgpack name of an item's type ("int", "str", ...), for messages. */
const char *orca__mp_type_name(const orca__mp_item *it);

#endif
