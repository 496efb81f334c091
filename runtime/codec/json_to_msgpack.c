/* json_to_msgpack.c — orca_json_to_msgpack: JSON text to the msgpack of a
 * typed value, checked against the schema, for `orca enqueue` and tests.
 *
 * The text is parsed into a tree first (json_parse.c) so a struct's map
 * header can carry its field count, then converted by type:
 *   struct     object keyed by field name; unknown names and duplicates are
 *              errors; null means "absent" (the default applies)
 *   integers   JSON integers (no fraction or exponent), range-checked
 *   f32, f64   any JSON number
 *   string     string;  bytes: base64 string (RFC 4648, padded)
 *   enum       its name ("PRO") or its number (1), which must be declared
 *   timestamp  RFC 3339 string or integer µs;  duration: "1h30m"/"250ms"
 *              string or integer µs
 *   list       array;  map: object (integer keys written as "12")
 * With t == NULL the JSON is converted as is (objects become maps keyed by
 * string). Every error names the path and the byte offset. */
#include "codec/json.h"
#include "codec/pack.h"
#include "codec/path.h"
#include "codec/util.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orca/clock.h"

typedef struct conv {
  msgpack_packer pk;
  orca_arena *arena;
  orca_err *err;
} conv;

static const char *kind_name(const orca__json *j) {
  static const char *const names[] = {"null", "bool", "number", "string", "array", "object"};
  return names[j->kind];
}

__attribute__((format(printf, 4, 5))) static int bad(conv *c, const orca__path *p,
                                                     const orca__json *j, const char *fmt, ...) {
  if (c->err) {
    char path[160], msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    orca_err_set(c->err, ORCA_EINVAL, "%s: %s (byte %zu)", orca__path_format(p, path, sizeof path),
                 msg, j->offset);
  }
  return ORCA_EINVAL;
}

static int want(conv *c, const orca__path *p, const orca__json *j, const char *what) {
  return bad(c, p, j, "expected %s, got %s", what, kind_name(j));
}

static int nomem(conv *c) {
  return orca_err_set(c->err, ORCA_ENOMEM, "JSON: out of memory");
}

/* Parse a JSON integer's text exactly. Returns false on overflow of 64 bits. */
static bool parse_int(const char *s, size_t n, bool *neg, uint64_t *u, int64_t *i) {
  *neg = n && s[0] == '-';
  *i = 0;
  uint64_t v = 0;
  for (size_t k = *neg; k < n; k++) {
    unsigned d = (unsigned)(s[k] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *u = v;
  if (*neg) {
    if (v > (uint64_t)INT64_MAX + 1)
      return false;
    *i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    if (v == 0)
      *neg = false, *u = 0; /* "-0" */
  }
  return true;
}

/* An integer of kind k from JSON number j; the value lands in *out as int64
 * or uint64 (per *neg) and in dst in the kind's C type when dst != NULL. */
static int json_int(conv *c, const orca__path *p, const orca__json *j, orca_kind k,
                    const char *tname, bool *neg, uint64_t *u, int64_t *i) {
  if (j->kind != ORCA__JSON_NUMBER || !j->v.num.is_int)
    return j->kind == ORCA__JSON_NUMBER
               ? bad(c, p, j, "expected integer, got %.*s",
                     (int)(j->v.num.len > 40 ? 40 : j->v.num.len), j->v.num.text)
               : want(c, p, j, "integer");
  uint64_t tmp;
  if (!parse_int(j->v.num.text, j->v.num.len, neg, u, i) || !orca__int_store(k, *neg, *u, *i, &tmp))
    return bad(c, p, j, "%.*s out of range for %s", (int)(j->v.num.len > 40 ? 40 : j->v.num.len),
               j->v.num.text, tname);
  return 0;
}

static int pack_int(conv *c, bool neg, uint64_t u, int64_t i) {
  int rc = neg ? msgpack_pack_int64(&c->pk, i) : msgpack_pack_uint64(&c->pk, u);
  return rc ? nomem(c) : 0;
}

static int pack_str(conv *c, const char *s, size_t n) {
  return msgpack_pack_str(&c->pk, n) || msgpack_pack_str_body(&c->pk, s, n) ? nomem(c) : 0;
}

static int conv_value(conv *c, const orca_type *t, const orca__json *j, const orca__path *p);

/* An int64 µs given either as a JSON integer or as a string parsed by fn. */
static int conv_time(conv *c, const orca_type *t, const orca__json *j, const orca__path *p,
                     int (*fn)(const char *, int64_t *), const char *form) {
  if (j->kind == ORCA__JSON_STRING) {
    int64_t us;
    if (fn(j->v.str.ptr, &us))
      return bad(c, p, j, "expected %s, got \"%.40s\"", form, j->v.str.ptr);
    return msgpack_pack_int64(&c->pk, us) ? nomem(c) : 0;
  }
  bool neg;
  uint64_t u;
  int64_t i;
  if (j->kind != ORCA__JSON_NUMBER)
    return bad(c, p, j, "expected %s or integer µs, got %s", form, kind_name(j));
  int rc = json_int(c, p, j, ORCA_KIND_I64, t->name, &neg, &u, &i);
  return rc ? rc : pack_int(c, neg, u, i);
}

static int conv_struct(conv *c, const orca_struct_desc *d, const orca__json *j,
                       const orca__path *p) {
  if (j->kind != ORCA__JSON_OBJECT)
    return want(c, p, j, "object");
  uint32_t n = 0;
  /* Resolve names first: unknown and duplicate fields are errors. */
  const orca_field **fields = orca_arena_alloc(c->arena, (j->v.obj.len + 1) * sizeof *fields);
  if (!fields)
    return nomem(c);
  for (size_t m = 0; m < j->v.obj.len; m++) {
    const orca__json_member *mem = &j->v.obj.items[m];
    const orca_field *f = NULL;
    for (uint32_t k = 0; k < d->nfields && !f; k++)
      if (strcmp(d->fields[k].name, mem->key) == 0)
        f = &d->fields[k];
    orca__path fp = {p, ORCA__PATH_FIELD, mem->key, 0, 0};
    if (!f)
      return bad(c, &fp, &mem->value, "unknown field of %s", d->name);
    for (size_t k = 0; k < m; k++)
      if (fields[k] == f)
        return bad(c, &fp, &mem->value, "duplicate field");
    fields[m] = f;
    n += mem->value.kind != ORCA__JSON_NULL;
  }
  if (msgpack_pack_map(&c->pk, n))
    return nomem(c);
  for (size_t m = 0; m < j->v.obj.len; m++) {
    const orca__json_member *mem = &j->v.obj.items[m];
    if (mem->value.kind == ORCA__JSON_NULL)
      continue;
    orca__path fp = {p, ORCA__PATH_FIELD, fields[m]->name, 0, 0};
    if (msgpack_pack_uint16(&c->pk, fields[m]->id))
      return nomem(c);
    int rc = conv_value(c, fields[m]->type, &mem->value, &fp);
    if (rc)
      return rc;
  }
  return 0;
}

/* Whether s[0..n) is an optional '-' and at least one digit. */
static bool int_text(const char *s, size_t n) {
  size_t k = n && s[0] == '-';
  return n > k && strspn(s + k, "0123456789") == n - k;
}

static int conv_map(conv *c, const orca_type *t, const orca__json *j, const orca__path *p) {
  if (j->kind != ORCA__JSON_OBJECT)
    return want(c, p, j, "object");
  if (msgpack_pack_map(&c->pk, j->v.obj.len))
    return nomem(c);
  for (size_t m = 0; m < j->v.obj.len; m++) {
    const orca__json_member *mem = &j->v.obj.items[m];
    orca__path vp = {p, ORCA__PATH_KEY_STR, mem->key, mem->key_len, 0};
    int rc;
    if (t->key->kind == ORCA_KIND_STRING) {
      rc = pack_str(c, mem->key, mem->key_len);
    } else {
      /* Integer keys are written as JSON strings of their digits. */
      orca__json num = {ORCA__JSON_NUMBER, mem->value.offset, {.b = false}};
      num.v.num.text = mem->key;
      num.v.num.len = mem->key_len;
      num.v.num.is_int = int_text(mem->key, mem->key_len);
      bool neg;
      uint64_t u;
      int64_t i;
      if (!num.v.num.is_int)
        return bad(c, &vp, &mem->value, "map key: expected integer, got \"%.40s\"", mem->key);
      rc = json_int(c, &vp, &num, t->key->kind, t->key->name, &neg, &u, &i);
      if (!rc)
        rc = pack_int(c, neg, u, i);
    }
    if (rc || (rc = conv_value(c, t->elem, &mem->value, &vp)))
      return rc;
  }
  return 0;
}

/* Without a schema: JSON as it is. */
static int conv_any(conv *c, const orca__json *j) {
  switch (j->kind) {
  case ORCA__JSON_NULL:
    return msgpack_pack_nil(&c->pk) ? nomem(c) : 0;
  case ORCA__JSON_BOOL:
    return (j->v.b ? msgpack_pack_true(&c->pk) : msgpack_pack_false(&c->pk)) ? nomem(c) : 0;
  case ORCA__JSON_NUMBER: {
    bool neg;
    uint64_t u;
    int64_t i;
    if (j->v.num.is_int && parse_int(j->v.num.text, j->v.num.len, &neg, &u, &i))
      return pack_int(c, neg, u, i);
    char tmp[64];
    size_t n = j->v.num.len < sizeof tmp - 1 ? j->v.num.len : sizeof tmp - 1;
    memcpy(tmp, j->v.num.text, n);
    tmp[n] = 0;
    return msgpack_pack_double(&c->pk, strtod(tmp, NULL)) ? nomem(c) : 0;
  }
  case ORCA__JSON_STRING:
    return pack_str(c, j->v.str.ptr, j->v.str.len);
  case ORCA__JSON_ARRAY:
    if (msgpack_pack_array(&c->pk, j->v.arr.len))
      return nomem(c);
    for (size_t k = 0; k < j->v.arr.len; k++) {
      int rc = conv_any(c, &j->v.arr.items[k]);
      if (rc)
        return rc;
    }
    return 0;
  case ORCA__JSON_OBJECT:
    if (msgpack_pack_map(&c->pk, j->v.obj.len))
      return nomem(c);
    for (size_t k = 0; k < j->v.obj.len; k++) {
      int rc = pack_str(c, j->v.obj.items[k].key, j->v.obj.items[k].key_len);
      if (rc || (rc = conv_any(c, &j->v.obj.items[k].value)))
        return rc;
    }
    return 0;
  }
  return 0;
}

static int conv_value(conv *c, const orca_type *t, const orca__json *j, const orca__path *p) {
  int rc;
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    if (j->kind != ORCA__JSON_BOOL)
      return want(c, p, j, "bool");
    return (j->v.b ? msgpack_pack_true(&c->pk) : msgpack_pack_false(&c->pk)) ? nomem(c) : 0;
  case ORCA_KIND_I8:
  case ORCA_KIND_I16:
  case ORCA_KIND_I32:
  case ORCA_KIND_I64:
  case ORCA_KIND_U8:
  case ORCA_KIND_U16:
  case ORCA_KIND_U32:
  case ORCA_KIND_U64: {
    bool neg;
    uint64_t u;
    int64_t i;
    if ((rc = json_int(c, p, j, t->kind, t->name, &neg, &u, &i)))
      return rc;
    return pack_int(c, neg, u, i);
  }
  case ORCA_KIND_F32:
  case ORCA_KIND_F64: {
    if (j->kind != ORCA__JSON_NUMBER)
      return want(c, p, j, "number");
    char tmp[512];
    if (j->v.num.len >= sizeof tmp)
      return bad(c, p, j, "number too long");
    memcpy(tmp, j->v.num.text, j->v.num.len);
    tmp[j->v.num.len] = 0;
    double x = strtod(tmp, NULL);
    if (isinf(x) || (t->kind == ORCA_KIND_F32 && fabs(x) > FLT_MAX))
      return bad(c, p, j, "%s out of range for %s", tmp, t->name);
    rc = t->kind == ORCA_KIND_F32 ? msgpack_pack_float(&c->pk, (float)x)
                                  : msgpack_pack_double(&c->pk, x);
    return rc ? nomem(c) : 0;
  }
  case ORCA_KIND_STRING:
    if (j->kind != ORCA__JSON_STRING)
      return want(c, p, j, "string");
    return pack_str(c, j->v.str.ptr, j->v.str.len);
  case ORCA_KIND_BYTES: {
    if (j->kind != ORCA__JSON_STRING)
      return want(c, p, j, "base64 string");
    uint8_t *d = orca_arena_alloc(c->arena, j->v.str.len / 4 * 3 + 1);
    if (!d)
      return nomem(c);
    long n = orca__b64_decode(j->v.str.ptr, j->v.str.len, d);
    if (n < 0)
      return bad(c, p, j, "invalid base64");
    return msgpack_pack_bin(&c->pk, (size_t)n) || msgpack_pack_bin_body(&c->pk, d, (size_t)n)
               ? nomem(c)
               : 0;
  }
  case ORCA_KIND_TIMESTAMP:
    return conv_time(c, t, j, p, orca_time_parse, "RFC 3339 time");
  case ORCA_KIND_DURATION:
    return conv_time(c, t, j, p, orca_duration_parse, "duration like \"1h30m\"");
  case ORCA_KIND_ENUM: {
    const orca_enum_desc *e = t->edesc;
    if (j->kind == ORCA__JSON_STRING) {
      for (uint32_t k = 0; k < e->nvalues; k++)
        if (strcmp(e->values[k].name, j->v.str.ptr) == 0)
          return msgpack_pack_int32(&c->pk, e->values[k].value) ? nomem(c) : 0;
      return bad(c, p, j, "\"%.40s\" is not a value of enum %s", j->v.str.ptr, e->name);
    }
    bool neg;
    uint64_t u;
    int64_t i;
    if (j->kind != ORCA__JSON_NUMBER)
      return want(c, p, j, "enum name or number");
    if ((rc = json_int(c, p, j, ORCA_KIND_I32, t->name, &neg, &u, &i)))
      return rc;
    int32_t v = neg ? (int32_t)i : (int32_t)u;
    if (!orca__enum_name(e, v))
      return bad(c, p, j, "%d is not a value of enum %s", v, e->name);
    return msgpack_pack_int32(&c->pk, v) ? nomem(c) : 0;
  }
  case ORCA_KIND_STRUCT:
    return conv_struct(c, t->sdesc, j, p);
  case ORCA_KIND_LIST: {
    if (j->kind != ORCA__JSON_ARRAY)
      return want(c, p, j, "array");
    if (msgpack_pack_array(&c->pk, j->v.arr.len))
      return nomem(c);
    orca__path ip = {p, ORCA__PATH_INDEX, NULL, 0, 0};
    for (size_t k = 0; k < j->v.arr.len; k++) {
      ip.index = (int64_t)k;
      if ((rc = conv_value(c, t->elem, &j->v.arr.items[k], &ip)))
        return rc;
    }
    return 0;
  }
  case ORCA_KIND_MAP:
    return conv_map(c, t, j, p);
  }
  return bad(c, p, j, "type %s has an unknown kind", t->name);
}

int orca_json_to_msgpack(const orca_type *t, const char *json, size_t len, orca_buf *out,
                         orca_err *err) {
  orca_arena arena;
  orca_arena_init(&arena, 4096 + len * 2);
  orca__json *root;
  int rc = orca__json_parse(json, len, &arena, &root, err);
  if (!rc) {
    size_t mark = out->len;
    conv c = {.arena = &arena, .err = err};
    orca__packer_init(&c.pk, out);
    rc = t ? conv_value(&c, t, root, NULL) : conv_any(&c, root);
    if (rc)
      out->len = mark; /* leave no partial value behind */
  }
  orca_arena_free(&arena);
  return rc;
}
