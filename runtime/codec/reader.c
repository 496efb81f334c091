/* reader.c — the msgpack pull reader every decoder of untrusted bytes
 * uses (see codec/reader.h for why it is not msgpack_unpack_next).
 *
 * The reader never looks past `end`: every header's size is checked before it
 * is read, every str/bin/ext length against the bytes that remain, and every
 * array/map count against the smallest number of bytes its elements could
 * take. Skipping is iterative with an explicit stack, so a depth bomb costs
 * neither C stack nor memory. */
#include "codec/reader.h"

#include <string.h>

static inline uint16_t be16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const uint8_t *p) {
  return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Consume a str/bin/ext payload of n bytes starting hdr bytes into the input. */
static inline int payload(orca__mp_reader *r, orca__mp_item *it, size_t hdr, uint32_t n) {
  if ((size_t)(r->end - r->p) - hdr < n)
    return ORCA__MP_TRUNCATED;
  it->v.s.ptr = r->p + hdr;
  it->v.s.len = n;
  r->p += hdr + n;
  return ORCA__MP_OK;
}

/* A container of n entries, each needing at least `per` bytes. */
static inline int container(orca__mp_reader *r, orca__mp_item *it, size_t hdr, uint32_t n,
                            unsigned per) {
  if (((size_t)(r->end - r->p) - hdr) / per < n)
    return ORCA__MP_TRUNCATED;
  it->v.n = n;
  r->p += hdr;
  return ORCA__MP_OK;
}

int orca__mp_next_slow(orca__mp_reader *r, orca__mp_item *it) {
  size_t left = (size_t)(r->end - r->p);
  if (left == 0)
    return ORCA__MP_TRUNCATED;
  const uint8_t *p = r->p;
  uint8_t c = p[0];
  if (c <= 0x7f) {
    it->type = ORCA__MP_UINT;
    it->v.u = c;
    r->p++;
    return ORCA__MP_OK;
  }
  if (c >= 0xe0) {
    it->type = ORCA__MP_INT;
    it->v.i = (int8_t)c;
    r->p++;
    return ORCA__MP_OK;
  }
  if (c <= 0x8f) {
    it->type = ORCA__MP_MAP;
    return container(r, it, 1, c & 0x0f, 2);
  }
  if (c <= 0x9f) {
    it->type = ORCA__MP_ARRAY;
    return container(r, it, 1, c & 0x0f, 1);
  }
  if (c <= 0xbf) {
    it->type = ORCA__MP_STR;
    return payload(r, it, 1, c & 0x1f);
  }
  /* 0xc0..0xdf: the header size depends on the byte. */
  static const uint8_t hdr_size[32] = {
      1, 0, 1, 1,  2,  3, 5, 3, 4, 6, 5, 9, /* c0..cb */
      2, 3, 5, 9,  2,  3, 5, 9,             /* cc..d3 */
      3, 4, 6, 10, 18,                      /* d4..d8 fixext */
      2, 3, 5, 3,  5,  3, 5,                /* d9..df */
  };
  size_t hs = hdr_size[c - 0xc0];
  if (hs == 0)
    return ORCA__MP_BADBYTE;
  if (left < hs)
    return ORCA__MP_TRUNCATED;
  switch (c) {
  case 0xc0:
    it->type = ORCA__MP_NIL;
    break;
  case 0xc2:
  case 0xc3:
    it->type = ORCA__MP_BOOL;
    it->v.b = c == 0xc3;
    break;
  case 0xc4:
    it->type = ORCA__MP_BIN;
    return payload(r, it, 2, p[1]);
  case 0xc5:
    it->type = ORCA__MP_BIN;
    return payload(r, it, 3, be16(p + 1));
  case 0xc6:
    it->type = ORCA__MP_BIN;
    return payload(r, it, 5, be32(p + 1));
  case 0xc7:
    it->type = ORCA__MP_EXT;
    it->ext_type = (int8_t)p[2];
    return payload(r, it, 3, p[1]);
  case 0xc8:
    it->type = ORCA__MP_EXT;
    it->ext_type = (int8_t)p[3];
    return payload(r, it, 4, be16(p + 1));
  case 0xc9:
    it->type = ORCA__MP_EXT;
    it->ext_type = (int8_t)p[5];
    return payload(r, it, 6, be32(p + 1));
  case 0xca: {
    uint32_t u = be32(p + 1);
    it->type = ORCA__MP_F32;
    memcpy(&it->v.f32, &u, 4);
    break;
  }
  case 0xcb: {
    uint64_t u = be64(p + 1);
    it->type = ORCA__MP_F64;
    memcpy(&it->v.f64, &u, 8);
    break;
  }
  case 0xcc:
    it->type = ORCA__MP_UINT;
    it->v.u = p[1];
    break;
  case 0xcd:
    it->type = ORCA__MP_UINT;
    it->v.u = be16(p + 1);
    break;
  case 0xce:
    it->type = ORCA__MP_UINT;
    it->v.u = be32(p + 1);
    break;
  case 0xcf:
    it->type = ORCA__MP_UINT;
    it->v.u = be64(p + 1);
    break;
  case 0xd0:
    it->v.i = (int8_t)p[1];
    goto signed_int;
  case 0xd1:
    it->v.i = (int16_t)be16(p + 1);
    goto signed_int;
  case 0xd2:
    it->v.i = (int32_t)be32(p + 1);
    goto signed_int;
  case 0xd3:
    it->v.i = (int64_t)be64(p + 1);
  signed_int:
    /* Writers may use a signed format for a non-negative value. */
    if (it->v.i >= 0) {
      it->type = ORCA__MP_UINT;
      it->v.u = (uint64_t)it->v.i;
    } else {
      it->type = ORCA__MP_INT;
    }
    break;
  case 0xd4:
  case 0xd5:
  case 0xd6:
  case 0xd7:
  case 0xd8:
    it->type = ORCA__MP_EXT;
    it->ext_type = (int8_t)p[1];
    return payload(r, it, 2, (uint32_t)(hs - 2));
  case 0xd9:
    it->type = ORCA__MP_STR;
    return payload(r, it, 2, p[1]);
  case 0xda:
    it->type = ORCA__MP_STR;
    return payload(r, it, 3, be16(p + 1));
  case 0xdb:
    it->type = ORCA__MP_STR;
    return payload(r, it, 5, be32(p + 1));
  case 0xdc:
    it->type = ORCA__MP_ARRAY;
    return container(r, it, 3, be16(p + 1), 1);
  case 0xdd:
    it->type = ORCA__MP_ARRAY;
    return container(r, it, 5, be32(p + 1), 1);
  case 0xde:
    it->type = ORCA__MP_MAP;
    return container(r, it, 3, be16(p + 1), 2);
  case 0xdf:
    it->type = ORCA__MP_MAP;
    return container(r, it, 5, be32(p + 1), 2);
  }
  r->p += hs;
  return ORCA__MP_OK;
}

int orca__mp_skip_items(orca__mp_reader *r, const orca__mp_item *it, int depth) {
  if (it->type != ORCA__MP_ARRAY && it->type != ORCA__MP_MAP)
    return ORCA__MP_OK;
  /* pending[d]: values still to read at nesting level d below `it`. */
  uint64_t pending[ORCA_CODEC_MAX_DEPTH + 1];
  int top = 0;
  if (depth >= ORCA_CODEC_MAX_DEPTH)
    return ORCA__MP_TOODEEP;
  pending[0] = it->type == ORCA__MP_MAP ? 2ull * it->v.n : it->v.n;
  for (;;) {
    while (pending[top] == 0) {
      if (top == 0)
        return ORCA__MP_OK;
      top--;
    }
    pending[top]--;
    orca__mp_item sub;
    int rc = orca__mp_next(r, &sub);
    if (rc)
      return rc;
    if (sub.type == ORCA__MP_ARRAY || sub.type == ORCA__MP_MAP) {
      if (depth + top + 1 >= ORCA_CODEC_MAX_DEPTH)
        return ORCA__MP_TOODEEP;
      pending[++top] = sub.type == ORCA__MP_MAP ? 2ull * sub.v.n : sub.v.n;
    }
  }
}

int orca__mp_skip(orca__mp_reader *r, int depth) {
  orca__mp_item it;
  int rc = orca__mp_next(r, &it);
  return rc ? rc : orca__mp_skip_items(r, &it, depth);
}

const char *orca__mp_type_name(const orca__mp_item *it) {
  switch (it->type) {
  case ORCA__MP_NIL:
    return "nil";
  case ORCA__MP_BOOL:
    return "bool";
  case ORCA__MP_UINT:
  case ORCA__MP_INT:
    return "int";
  case ORCA__MP_F32:
  case ORCA__MP_F64:
    return "float";
  case ORCA__MP_STR:
    return "str";
  case ORCA__MP_BIN:
    return "bin";
  case ORCA__MP_EXT:
    return "ext";
  case ORCA__MP_ARRAY:
    return "array";
  case ORCA__MP_MAP:
    return "map";
  }
  return "?";
}
