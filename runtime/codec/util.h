/* codec/util.h — small helpers the codec files share: the UTF-8 check,
 * checked integer stores, enum names and base64. */
#ifndef ORCA__CODEC_UTIL_H
#define ORCA__CODEC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "orca/memory.h"
#include "orca/schema.h"

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

#endif
