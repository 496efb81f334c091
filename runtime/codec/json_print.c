/* json_print.c — orca_msgpack_to_json: msgpack bytes to JSON text, for
 * printing task arguments and results (`orca inspect`, logs).
 *
 * With a type the output is what orca_json_to_msgpack accepts back: field
 * names, enum names, bytes in base64, timestamps in RFC 3339 (microseconds
 * when needed), durations as "1h30m". Unknown field ids (a newer writer's)
 * are printed under their number as key. Without a type (t == NULL) the
 * rendering is schema-less: map keys become strings ("12"), bin becomes
 * base64, ext becomes {"ext": TYPE, "data": BASE64}. Non-finite floats print
 * as null. The input is read with the hostile-bytes reader. */
#include "codec/json.h"
#include "codec/path.h"
#include "codec/reader.h"
#include "codec/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "orca/clock.h"

typedef struct printer {
  orca__mp_reader r;
  const uint8_t *start;
  orca_buf *out;
  orca_err *err;
} printer;

__attribute__((format(printf, 3, 4))) static int bad(printer *pp, const orca__path *p,
                                                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  orca__path_fail(pp->err, ORCA_EDECODE, p, fmt, ap);
  va_end(ap);
  return ORCA_EDECODE;
}

static int read_fail(printer *pp, const orca__path *p, int rc) {
  if (rc == ORCA__MP_TRUNCATED)
    return bad(pp, p, "truncated input (value at byte %zu runs past the end)",
               (size_t)(pp->r.p - pp->start));
  if (rc == ORCA__MP_BADBYTE)
    return bad(pp, p, "invalid msgpack byte 0xc1 at byte %zu", (size_t)(pp->r.p - pp->start));
  return bad(pp, p, "nested deeper than %d levels", ORCA_CODEC_MAX_DEPTH);
}

static int nomem(printer *pp) {
  return orca_err_set(pp->err, ORCA_ENOMEM, "JSON: out of memory");
}

static int puts_(printer *pp, const char *s) {
  return orca_buf_append(pp->out, s, strlen(s)) ? nomem(pp) : 0;
}

__attribute__((format(printf, 2, 3))) static int putf(printer *pp, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  return puts_(pp, tmp);
}

int orca__json_put_string(orca_buf *out, const char *s, size_t n) {
  /* Worst case: every byte becomes \u00XX or U+FFFD's escape. */
  if (n > (SIZE_MAX - 2) / 6 || orca_buf_reserve(out, n * 6 + 2))
    return ORCA_ENOMEM;
  char *d = (char *)out->data + out->len, *d0 = d;
  const uint8_t *u = (const uint8_t *)s;
  *d++ = '"';
  for (size_t i = 0; i < n;) {
    uint8_t c = u[i];
    if (c >= 0x80) {
      size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      if (len <= n - i && orca__utf8_valid(u + i, len)) {
        memcpy(d, u + i, len);
        d += len;
        i += len;
      } else {
        memcpy(d, "\\ufffd", 6);
        d += 6;
        i++;
      }
      continue;
    }
    i++;
    if (c == '"' || c == '\\') {
      *d++ = '\\';
      *d++ = (char)c;
    } else if (c == '\n') {
      memcpy(d, "\\n", 2), d += 2;
    } else if (c == '\t') {
      memcpy(d, "\\t", 2), d += 2;
    } else if (c == '\r') {
      memcpy(d, "\\r", 2), d += 2;
    } else if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      memcpy(d, "\\u00", 4);
      d[4] = hex[c >> 4];
      d[5] = hex[c & 15];
      d += 6;
    } else {
      *d++ = (char)c;
    }
  }
  *d++ = '"';
  out->len += (size_t)(d - d0);
  return 0;
}

static int put_str(printer *pp, const void *s, size_t n) {
  return orca__json_put_string(pp->out, s, n) ? nomem(pp) : 0;
}

static int put_b64(printer *pp, const uint8_t *s, size_t n) {
  if (puts_(pp, "\"") || orca__b64_encode(s, n, pp->out) || puts_(pp, "\""))
    return nomem(pp);
  return 0;
}

static int put_int(printer *pp, const orca__mp_item *it) {
  return it->type == ORCA__MP_INT ? putf(pp, "%lld", (long long)it->v.i)
                                  : putf(pp, "%llu", (unsigned long long)it->v.u);
}

static int put_float(printer *pp, double x, bool f32) {
  if (!isfinite(x))
    return puts_(pp, "null");
  return putf(pp, f32 ? "%.9g" : "%.17g", x);
}

/* RFC 3339 UTC, with microseconds when the value has them (years 0000-9999). */
static int put_time(printer *pp, int64_t us) {
  /* RFC 3339 has four-digit years: other times print as integer µs. */
  if (us < -62167219200000000LL || us > 253402300799999999LL)
    return putf(pp, "%lld", (long long)us);
  char tmp[48];
  orca_time_format(us, tmp, sizeof tmp);
  int64_t frac = us % 1000000;
  if (frac < 0)
    frac += 1000000;
  char *dot = strrchr(tmp, '.');
  if (dot && frac % 1000)
    snprintf(dot, sizeof tmp - (size_t)(dot - tmp), ".%06dZ", (int)frac);
  else if (dot && frac == 0)
    snprintf(dot, sizeof tmp - (size_t)(dot - tmp), "Z");
  return putf(pp, "\"%s\"", tmp);
}

/* "1h30m", "250ms", "0s": what orca_duration_parse reads back. */
static int put_duration(printer *pp, int64_t us) {
  if (us < 0)
    return putf(pp, "%lld", (long long)us);
  static const struct {
    const char *unit;
    int64_t us;
  } units[] = {{"d", 86400000000LL}, {"h", 3600000000LL}, {"m", 60000000LL},
               {"s", 1000000LL},     {"ms", 1000LL},      {"us", 1LL}};
  char tmp[96];
  size_t n = 0;
  tmp[n++] = '"';
  for (size_t i = 0; i < 6; i++) {
    if (us >= units[i].us) {
      n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%lld%s", (long long)(us / units[i].us),
                            units[i].unit);
      us %= units[i].us;
    }
  }
  if (n == 1)
    n += (size_t)snprintf(tmp + n, sizeof tmp - n, "0s");
  tmp[n++] = '"';
  tmp[n] = 0;
  return puts_(pp, tmp);
}

static int print_value(printer *pp, const orca_type *t, const orca__path *p, int depth);

/* A map key without schema, as a JSON string. */
static int put_key(printer *pp, const orca__mp_item *k, const orca__path *p) {
  switch (k->type) {
  case ORCA__MP_STR:
    return put_str(pp, k->v.s.ptr, k->v.s.len);
  case ORCA__MP_UINT:
    return putf(pp, "\"%llu\"", (unsigned long long)k->v.u);
  case ORCA__MP_INT:
    return putf(pp, "\"%lld\"", (long long)k->v.i);
  case ORCA__MP_BOOL:
    return puts_(pp, k->v.b ? "\"true\"" : "\"false\"");
  case ORCA__MP_NIL:
    return puts_(pp, "\"null\"");
  default:
    return bad(pp, p, "map key of type %s cannot be printed as JSON", orca__mp_type_name(k));
  }
}

/* The rest of a value whose header is `it`, without schema. */
static int print_any(printer *pp, const orca__mp_item *it, const orca__path *p, int depth) {
  int rc;
  switch (it->type) {
  case ORCA__MP_NIL:
    return puts_(pp, "null");
  case ORCA__MP_BOOL:
    return puts_(pp, it->v.b ? "true" : "false");
  case ORCA__MP_UINT:
  case ORCA__MP_INT:
    return put_int(pp, it);
  case ORCA__MP_F32:
    return put_float(pp, it->v.f32, true);
  case ORCA__MP_F64:
    return put_float(pp, it->v.f64, false);
  case ORCA__MP_STR:
    return put_str(pp, it->v.s.ptr, it->v.s.len);
  case ORCA__MP_BIN:
    return put_b64(pp, it->v.s.ptr, it->v.s.len);
  case ORCA__MP_EXT:
    if ((rc = putf(pp, "{\"ext\":%d,\"data\":", it->ext_type)) ||
        (rc = put_b64(pp, it->v.s.ptr, it->v.s.len)))
      return rc;
    return puts_(pp, "}");
  case ORCA__MP_ARRAY:
  case ORCA__MP_MAP:
    break;
  }
  if (depth >= ORCA_CODEC_MAX_DEPTH)
    return read_fail(pp, p, ORCA__MP_TOODEEP);
  bool map = it->type == ORCA__MP_MAP;
  if ((rc = puts_(pp, map ? "{" : "[")))
    return rc;
  orca__path ip = {p, ORCA__PATH_INDEX, NULL, 0, 0};
  for (uint32_t i = 0; i < it->v.n; i++) {
    ip.index = i;
    if (i && (rc = puts_(pp, ",")))
      return rc;
    orca__mp_item sub;
    if (map) {
      if ((rc = orca__mp_next(&pp->r, &sub)))
        return read_fail(pp, &ip, rc);
      if ((rc = put_key(pp, &sub, &ip)) || (rc = puts_(pp, ":")))
        return rc;
    }
    if ((rc = orca__mp_next(&pp->r, &sub)))
      return read_fail(pp, &ip, rc);
    if ((rc = print_any(pp, &sub, &ip, depth + 1)))
      return rc;
  }
  return puts_(pp, map ? "}" : "]");
}

static int want(printer *pp, const orca__path *p, const char *what, const orca__mp_item *it) {
  return bad(pp, p, "expected %s, got %s", what, orca__mp_type_name(it));
}

static int print_struct(printer *pp, const orca_struct_desc *d, const orca__mp_item *it,
                        const orca__path *p, int depth) {
  int rc;
  if ((rc = puts_(pp, "{")))
    return rc;
  for (uint32_t i = 0; i < it->v.n; i++) {
    orca__mp_item k;
    if (i && (rc = puts_(pp, ",")))
      return rc;
    if ((rc = orca__mp_next(&pp->r, &k)))
      return read_fail(pp, p, rc);
    if (k.type != ORCA__MP_UINT)
      return bad(pp, p, "field key: expected integer id, got %s", orca__mp_type_name(&k));
    const orca_field *f = k.v.u && k.v.u <= 65535 ? orca_struct_field(d, (uint32_t)k.v.u) : NULL;
    if (!f) {
      orca__mp_item v;
      orca__path up = {p, ORCA__PATH_KEY_INT, NULL, 0, (int64_t)k.v.u};
      if ((rc = putf(pp, "\"%llu\":", (unsigned long long)k.v.u)))
        return rc;
      if ((rc = orca__mp_next(&pp->r, &v)))
        return read_fail(pp, &up, rc);
      if ((rc = print_any(pp, &v, &up, depth + 1)))
        return rc;
      continue;
    }
    orca__path fp = {p, ORCA__PATH_FIELD, f->name, 0, 0};
    if ((rc = put_str(pp, f->name, strlen(f->name))) || (rc = puts_(pp, ":")))
      return rc;
    if (pp->r.p < pp->r.end && *pp->r.p == 0xc0) {
      pp->r.p++;
      if ((rc = puts_(pp, "null")))
        return rc;
      continue;
    }
    if ((rc = print_value(pp, f->type, &fp, depth + 1)))
      return rc;
  }
  return puts_(pp, "}");
}

static int print_value(printer *pp, const orca_type *t, const orca__path *p, int depth) {
  orca__mp_item it;
  int rc = orca__mp_next(&pp->r, &it);
  if (rc)
    return read_fail(pp, p, rc);
  if (!t)
    return print_any(pp, &it, p, depth);
  bool is_int = it.type == ORCA__MP_UINT || it.type == ORCA__MP_INT;
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    return it.type == ORCA__MP_BOOL ? print_any(pp, &it, p, depth) : want(pp, p, "bool", &it);
  case ORCA_KIND_I8:
  case ORCA_KIND_I16:
  case ORCA_KIND_I32:
  case ORCA_KIND_I64:
  case ORCA_KIND_U8:
  case ORCA_KIND_U16:
  case ORCA_KIND_U32:
  case ORCA_KIND_U64:
    return is_int ? put_int(pp, &it) : want(pp, p, "integer", &it);
  case ORCA_KIND_F32:
  case ORCA_KIND_F64:
    if (is_int || it.type == ORCA__MP_F32 || it.type == ORCA__MP_F64)
      return print_any(pp, &it, p, depth);
    return want(pp, p, "number", &it);
  case ORCA_KIND_STRING:
    return it.type == ORCA__MP_STR ? print_any(pp, &it, p, depth) : want(pp, p, "string", &it);
  case ORCA_KIND_BYTES:
    return it.type == ORCA__MP_BIN ? print_any(pp, &it, p, depth) : want(pp, p, "bytes", &it);
  case ORCA_KIND_TIMESTAMP:
  case ORCA_KIND_DURATION:
    if (!is_int)
      return want(pp, p, "integer", &it);
    if (it.type == ORCA__MP_UINT && it.v.u > INT64_MAX)
      return put_int(pp, &it);
    {
      int64_t us = it.type == ORCA__MP_INT ? it.v.i : (int64_t)it.v.u;
      return t->kind == ORCA_KIND_TIMESTAMP ? put_time(pp, us) : put_duration(pp, us);
    }
  case ORCA_KIND_ENUM: {
    if (!is_int)
      return want(pp, p, "integer", &it);
    const char *name = NULL;
    if (it.type == ORCA__MP_INT ? it.v.i >= INT32_MIN : it.v.u <= INT32_MAX)
      name = orca__enum_name(t->edesc, it.type == ORCA__MP_INT ? (int32_t)it.v.i : (int32_t)it.v.u);
    return name ? putf(pp, "\"%s\"", name) : put_int(pp, &it);
  }
  case ORCA_KIND_STRUCT:
  case ORCA_KIND_LIST:
  case ORCA_KIND_MAP:
    break;
  }
  if (depth >= ORCA_CODEC_MAX_DEPTH)
    return read_fail(pp, p, ORCA__MP_TOODEEP);
  if (t->kind == ORCA_KIND_STRUCT)
    return it.type == ORCA__MP_MAP ? print_struct(pp, t->sdesc, &it, p, depth)
                                   : want(pp, p, "map", &it);
  if (t->kind == ORCA_KIND_LIST) {
    if (it.type != ORCA__MP_ARRAY)
      return want(pp, p, "array", &it);
    if ((rc = puts_(pp, "[")))
      return rc;
    orca__path ip = {p, ORCA__PATH_INDEX, NULL, 0, 0};
    for (uint32_t i = 0; i < it.v.n; i++) {
      ip.index = i;
      if ((i && (rc = puts_(pp, ","))) || (rc = print_value(pp, t->elem, &ip, depth + 1)))
        return rc;
    }
    return puts_(pp, "]");
  }
  /* MAP */
  if (it.type != ORCA__MP_MAP)
    return want(pp, p, "map", &it);
  if ((rc = puts_(pp, "{")))
    return rc;
  for (uint32_t i = 0; i < it.v.n; i++) {
    orca__path ip = {p, ORCA__PATH_INDEX, NULL, 0, i};
    orca__mp_item k;
    if (i && (rc = puts_(pp, ",")))
      return rc;
    if ((rc = orca__mp_next(&pp->r, &k)))
      return read_fail(pp, &ip, rc);
    bool key_ok = t->key->kind == ORCA_KIND_STRING
                      ? k.type == ORCA__MP_STR
                      : (k.type == ORCA__MP_UINT || k.type == ORCA__MP_INT);
    if (!key_ok)
      return want(pp, &ip, t->key->kind == ORCA_KIND_STRING ? "string" : "integer", &k);
    if ((rc = put_key(pp, &k, &ip)) || (rc = puts_(pp, ":")) ||
        (rc = print_value(pp, t->elem, &ip, depth + 1)))
      return rc;
  }
  return puts_(pp, "}");
}

int orca_msgpack_to_json(const orca_type *t, const uint8_t *data, size_t len, orca_buf *out,
                         orca_err *err) {
  static const uint8_t empty[1];
  if (!data)
    data = empty, len = 0;
  printer pp = {{data, data + len}, data, out, err};
  size_t mark = out->len;
  int rc = print_value(&pp, t, NULL, 0);
  if (!rc && pp.r.p != pp.r.end)
    rc = orca_err_set(err, ORCA_EDECODE, "value: %zu trailing bytes after the value",
                      (size_t)(pp.r.end - pp.r.p));
  if (rc)
    out->len = mark;
  return rc;
}
