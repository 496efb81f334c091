/* codec_internal.h — what the codec files share: the msgpack pull reader used
 * by every decoder of untrusted bytes (orca_unpack, the envelope, msgpack to
 * JSON), the msgpack-c packer bound to an orca_buf, field paths for error
 * messages, and small helpers (UTF-8 check, hash).
 *
 * Why a hand-written reader instead of msgpack_unpack_next: msgpack-c builds
 * an object tree in a zone first, sizing arrays from the header before it has
 * seen the elements (an array32 header claiming 4 G entries in a 5-byte input
 * asks the zone for ~100 GB), and the tree is then walked a second time. The
 * reader below decodes straight into the target and bounds every length by the
 * bytes that remain. docs/codec.md has the measurements. */
#ifndef ORCA__CODEC_INTERNAL_H
#define ORCA__CODEC_INTERNAL_H

#include <limits.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "orca/codec.h"

/* ---- msgpack pull reader ------------------------------------------------ */

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

/* ---- packing ------------------------------------------------------------ */

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

/* ---- field paths for messages ------------------------------------------- */

/* One step of the path from the root to the value being decoded, kept on the
 * C stack by the recursive decoders and rendered only when an error is
 * reported: `order.items[2].qty`, `meta["k"]`. */
typedef struct orca__path {
  const struct orca__path *up;
  enum { ORCA__PATH_FIELD, ORCA__PATH_INDEX, ORCA__PATH_KEY_STR, ORCA__PATH_KEY_INT } kind;
  const char *name; /* FIELD: field name; KEY_STR: key bytes */
  size_t len;       /* KEY_STR: key length */
  int64_t index;    /* INDEX, KEY_INT */
} orca__path;

/* Render a path into out (size n), "value" for the root. Returns out. */
char *orca__path_format(const orca__path *p, char *out, size_t n);
/* Set err (if non-NULL) to "PATH: message" and return code: the one error
 * form every decoder of untrusted bytes uses. */
int orca__path_fail(orca_err *err, int code, const orca__path *p, const char *fmt, va_list ap);

/* ---- helpers ------------------------------------------------------------ */

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, nothing
 * past U+10FFFF) with no NUL byte. */
bool orca__utf8_valid(const uint8_t *s, size_t n);

/* The same check with the common case (short ASCII without NUL) inline. */
static inline bool orca__utf8_valid_fast(const uint8_t *s, size_t n) {
  if (n <= 64) {
    unsigned odd = 0; /* becomes non-zero for a NUL or a byte >= 0x80 */
    for (size_t i = 0; i < n; i++)
      odd |= (uint8_t)(s[i] - 1) >= 0x7f;
    if (!odd)
      return true;
  }
  return orca__utf8_valid(s, n);
}

/* Whether kind k is an integer kind (i8..u64). */
static inline bool orca__kind_is_int(orca_kind k) {
  return k >= ORCA_KIND_I8 && k <= ORCA_KIND_U64;
}

/* Checked integer conversion: whether the value (u when !negative, else i)
 * fits the integer kind k; on success stores it at dst in the kind's C type.
 * Inline: it runs once per decoded integer. */
static inline bool orca__int_store(orca_kind k, bool negative, uint64_t u, int64_t i, void *dst) {
  if (!negative) {
    static const uint64_t max[ORCA_KIND_U64 + 1] = {
        [ORCA_KIND_I8] = INT8_MAX,    [ORCA_KIND_I16] = INT16_MAX,  [ORCA_KIND_I32] = INT32_MAX,
        [ORCA_KIND_I64] = INT64_MAX,  [ORCA_KIND_U8] = UINT8_MAX,   [ORCA_KIND_U16] = UINT16_MAX,
        [ORCA_KIND_U32] = UINT32_MAX, [ORCA_KIND_U64] = UINT64_MAX,
    };
    if (u > max[k])
      return false;
    switch (k) {
    case ORCA_KIND_I8:
    case ORCA_KIND_U8:
      *(uint8_t *)dst = (uint8_t)u;
      return true;
    case ORCA_KIND_I16:
    case ORCA_KIND_U16: {
      uint16_t v = (uint16_t)u;
      memcpy(dst, &v, 2);
      return true;
    }
    case ORCA_KIND_I32:
    case ORCA_KIND_U32: {
      uint32_t v = (uint32_t)u;
      memcpy(dst, &v, 4);
      return true;
    }
    default:
      memcpy(dst, &u, 8);
      return true;
    }
  }
  switch (k) {
  case ORCA_KIND_I8:
    if (i < INT8_MIN)
      return false;
    *(int8_t *)dst = (int8_t)i;
    return true;
  case ORCA_KIND_I16: {
    if (i < INT16_MIN)
      return false;
    int16_t v = (int16_t)i;
    memcpy(dst, &v, 2);
    return true;
  }
  case ORCA_KIND_I32: {
    if (i < INT32_MIN)
      return false;
    int32_t v = (int32_t)i;
    memcpy(dst, &v, 4);
    return true;
  }
  case ORCA_KIND_I64:
    memcpy(dst, &i, 8);
    return true;
  default:
    return false; /* unsigned kinds take no negative value */
  }
}

/* Name of an enum value, or NULL if the value has none. */
const char *orca__enum_name(const orca_enum_desc *e, int32_t v);

/* Standard base64 (RFC 4648, with padding). orca__b64_encode appends to out;
 * orca__b64_decode writes at most 3*(n/4) bytes to dst and returns the count,
 * or -1 for malformed input. */
int orca__b64_encode(const uint8_t *src, size_t n, orca_buf *out);
long orca__b64_decode(const char *src, size_t n, uint8_t *dst);

/* 64-bit FNV-1a of p[0..n): stable across runs and hosts, for cache keys and
 * fingerprints computed at run time. Not for adversarial hash tables. */
uint64_t orca__hash64(const void *p, size_t n);

/* ---- JSON (json_parse.c) -------------------------------------------------- */

typedef enum orca__json_kind {
  ORCA__JSON_NULL,
  ORCA__JSON_BOOL,
  ORCA__JSON_NUMBER,
  ORCA__JSON_STRING,
  ORCA__JSON_ARRAY,
  ORCA__JSON_OBJECT,
} orca__json_kind;

typedef struct orca__json orca__json;
typedef struct orca__json_member orca__json_member;

/* A parsed JSON value. Everything lives in the arena given to the parser. */
struct orca__json {
  orca__json_kind kind;
  size_t offset; /* byte offset of the value in the text, for messages */
  union {
    bool b;
    struct {
      const char *text; /* the number as written (inside the input) */
      size_t len;
      bool is_int; /* no fraction, no exponent */
    } num;
    struct {
      char *ptr; /* unescaped, NUL-terminated, valid UTF-8, no NUL inside */
      size_t len;
    } str;
    struct {
      orca__json *items;
      size_t len;
    } arr;
    struct {
      orca__json_member *items;
      size_t len;
    } obj;
  } v;
};

struct orca__json_member {
  char *key; /* unescaped, NUL-terminated */
  size_t key_len;
  orca__json value;
};

/* Parse text[0..len) as one strict RFC 8259 JSON value (nesting bounded by
 * ORCA_CODEC_MAX_DEPTH, strings without \u0000). Returns 0 and *out (in
 * arena), ORCA_EINVAL with err saying what and at which byte, or
 * ORCA_ENOMEM. */
int orca__json_parse(const char *text, size_t len, orca_arena *arena, orca__json **out,
                     orca_err *err);

/* Append s[0..n) as a JSON string literal (quotes and escapes; invalid UTF-8
 * is replaced by U+FFFD). Returns 0 or ORCA_ENOMEM. */
int orca__json_put_string(orca_buf *out, const char *s, size_t n);

#endif
