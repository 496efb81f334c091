/* util.c — small helpers the codec files share (codec/util.h): the UTF-8
 * check, enum names and base64. */
#include "codec/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- UTF-8 -------------------------------------------------------------- */

bool orca__utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    /* Fast path: eight ASCII bytes at a time. */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      /* No high bit and no zero byte in the word. */
      if ((w & 0x8080808080808080ull) || ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
        break;
      i += 8;
    }
    if (i >= n)
      break;
    uint8_t c = s[i];
    if (c == 0)
      return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    uint32_t cp, min;
    if ((c & 0xe0) == 0xc0) {
      need = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      need = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      need = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i - 1 < need)
      return false;
    for (size_t k = 1; k <= need; k++) {
      if ((s[i + k] & 0xc0) != 0x80)
        return false;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += need + 1;
  }
  return true;
}

/* ---- enums ------------------------------------------------------------- */

const char *orca__enum_name(const orca_enum_desc *e, int32_t v) {
  uint32_t lo = 0, hi = e->nvalues;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (e->values[mid].value == v)
      return e->values[mid].name;
    if (e->values[mid].value < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* ---- base64 ------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int orca__b64_encode(const uint8_t *src, size_t n, orca_buf *out) {
  size_t need = (n + 2) / 3 * 4;
  int rc = orca_buf_reserve(out, need);
  if (rc)
    return rc;
  char *d = (char *)out->data + out->len;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
    *d++ = b64_alphabet[v >> 18];
    *d++ = b64_alphabet[v >> 12 & 63];
    *d++ = b64_alphabet[v >> 6 & 63];
    *d++ = b64_alphabet[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0);
    *d++ = b64_alphabet[v >> 18];
    *d++ = b64_alphabet[v >> 12 & 63];
    *d++ = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
    *d++ = '=';
  }
  out->len += need;
  return 0;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

long orca__b64_decode(const char *src, size_t n, uint8_t *dst) {
  if (n % 4)
    return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int pad = 0, v[4];
    for (int k = 0; k < 4; k++) {
      if (src[i + k] == '=' && i + 4 == n && k >= 2) {
        v[k] = 0;
        pad++;
      } else if (pad || (v[k] = b64_value(src[i + k])) < 0) {
        return -1; /* a data character after '=', or outside the alphabet */
      }
    }
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    /* Canonical form only: the bits that padding drops must be zero. */
    if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
      return -1;
    dst[o++] = (uint8_t)(w >> 16);
    if (pad < 2)
      dst[o++] = (uint8_t)(w >> 8);
    if (pad < 1)
      dst[o++] = (uint8_t)w;
  }
  return (long)o;
}
