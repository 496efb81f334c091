/* codec_util.c — small helpers the codec files share: the msgpack-c packer
 * bound to an orca_buf, field-path rendering for error messages, the UTF-8
 * check, checked integer stores, enum names, base64 and a 64-bit hash. */
#include "codec/codec_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- packer over orca_buf ----------------------------------------------- */

/* msgpack-c calls this for every token; the buffer grows geometrically, so a
 * buffer reused across messages stops allocating once it is big enough. */
static int buf_write(void *data, const char *p, size_t n) {
  orca_buf *b = data;
  if (n == 0)
    return 0;
  if (b->cap - b->len < n && orca_buf_reserve(b, n))
    return -1;
  uint8_t *d = b->data + b->len;
  /* Tokens are 1, 2, 3, 5 or 9 bytes: fixed-size copies the compiler inlines. */
  switch (n) {
  case 1:
    d[0] = (uint8_t)p[0];
    break;
  case 2:
    memcpy(d, p, 2);
    break;
  case 3:
    memcpy(d, p, 3);
    break;
  case 5:
    memcpy(d, p, 5);
    break;
  case 9:
    memcpy(d, p, 9);
    break;
  default:
    memcpy(d, p, n);
  }
  b->len += n;
  return 0;
}

void orca__packer_init(msgpack_packer *pk, orca_buf *out) {
  msgpack_packer_init(pk, out, buf_write);
}

/* ---- paths -------------------------------------------------------------- */

/* Append printf output at *pos, never past n (output is truncated). */
__attribute__((format(printf, 4, 5))) static void put(char *out, size_t n, size_t *pos,
                                                      const char *fmt, ...) {
  if (*pos >= n)
    return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(out + *pos, n - *pos, fmt, ap);
  va_end(ap);
  if (k > 0)
    *pos = *pos + (size_t)k < n ? *pos + (size_t)k : n - 1;
}

static void path_put(const orca__path *p, char *out, size_t n, size_t *pos) {
  if (!p)
    return;
  path_put(p->up, out, n, pos);
  switch (p->kind) {
  case ORCA__PATH_FIELD:
    put(out, n, pos, "%s%s", *pos ? "." : "", p->name);
    break;
  case ORCA__PATH_INDEX:
    put(out, n, pos, "[%lld]", (long long)p->index);
    break;
  case ORCA__PATH_KEY_INT:
    put(out, n, pos, "[%lld]", (long long)p->index);
    break;
  case ORCA__PATH_KEY_STR: {
    /* Keys come from the input: print at most 40 bytes, non-printables as '?'. */
    char key[41];
    size_t k = p->len < 40 ? p->len : 40;
    for (size_t i = 0; i < k; i++) {
      unsigned char c = (unsigned char)p->name[i];
      key[i] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    }
    key[k] = 0;
    put(out, n, pos, "[\"%s%s\"]", key, p->len > 40 ? "..." : "");
    break;
  }
  }
}

char *orca__path_format(const orca__path *p, char *out, size_t n) {
  size_t pos = 0;
  out[0] = 0;
  path_put(p, out, n, &pos);
  if (pos == 0)
    snprintf(out, n, "value");
  return out;
}

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

/* ---- hash --------------------------------------------------------------- */

uint64_t orca__hash64(const void *p, size_t n) {
  const uint8_t *s = p;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    h ^= s[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

int orca__path_fail(orca_err *err, int code, const orca__path *p, const char *fmt, va_list ap) {
  if (err) {
    char path[160], msg[160];
    vsnprintf(msg, sizeof msg, fmt, ap);
    orca_err_set(err, code, "%s: %s", orca__path_format(p, path, sizeof path), msg);
  }
  return code;
}
