/* convert.c — typed values to Lua, through the reflection tables orcac
 * emits: the msgpack of a task's args or result becomes the Lua value a hook
 * reads as task.args / result, and a field's declared default (a C value)
 * stands in for a field missing on the wire, as the codec does.
 *
 * Mapping (docs/hooks.md): bool -> boolean; integers -> integers (a u64
 * above 2^63-1 -> float); f32/f64 -> float; string and bytes -> string;
 * timestamp (since the epoch) and duration -> milliseconds, an integer when
 * whole, else a float; enum -> its name (a number without a name stays a
 * number); struct -> table keyed by field name, an absent optional field is
 * nil; list -> sequence; map -> table.
 *
 * The msgpack is read with the codec's pull reader (codec/reader.h),
 * which bounds every length by the bytes left. Malformed or mistyped input
 * raises a Lua error naming the path ("task.args.items[2].qty: expected
 * integer, got str"), so the hook that touched the value fails and nothing
 * else does. */
#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec/path.h"
#include "codec/reader.h"
#include "codec/util.h"
#include "hooks/hooks_internal.h"

typedef struct cv {
  lua_State *L;
  orca__mp_reader r;
  const char *what;
} cv;

static void cv_push_cvalue(lua_State *L, const orca_type *t, const void *p, int depth);

/* Raise a Lua error "WHAT.PATH: message". */
static void cv_fail(cv *c, const orca__path *p, const char *fmt, ...) {
  char path[192], msg[192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!p) {
    luaL_error(c->L, "%s: %s", c->what, msg);
    return;
  }
  orca__path_format(p, path, sizeof path);
  luaL_error(c->L, "%s%s%s: %s", c->what, path[0] == '[' ? "" : ".", path, msg);
}

/* Microseconds as milliseconds: an integer when whole. */
static void push_ms(lua_State *L, int64_t us) {
  if (us % 1000 == 0)
    lua_pushinteger(L, us / 1000);
  else
    lua_pushnumber(L, (lua_Number)us / 1000.0);
}

static void push_enum(lua_State *L, const orca_enum_desc *e, int64_t v) {
  const char *name = e && v >= INT32_MIN && v <= INT32_MAX ? orca__enum_name(e, (int32_t)v) : NULL;
  if (name)
    lua_pushstring(L, name);
  else
    lua_pushinteger(L, (lua_Integer)v);
}

/* ---- C values (declared defaults) ---------------------------------------- */

/* The zero value of every kind but STRUCT fits here (orca_map is the widest). */
static const union {
  orca_map m;
  orca_bytes b;
  int64_t i;
  double d;
  void *p;
} zero_value;

static void push_field_default(lua_State *L, const orca_field *f, int depth);

/* A struct's defaults: every non-optional field at its default or zero. */
static void push_struct_defaults(lua_State *L, const orca_struct_desc *d, int depth) {
  luaL_checkstack(L, 3, "defaults nested too deeply");
  if (depth > ORCA_CODEC_MAX_DEPTH)
    luaL_error(L, "default of %s nested too deeply", d->name);
  lua_createtable(L, 0, (int)d->nfields);
  for (uint32_t i = 0; i < d->nfields; i++) {
    const orca_field *f = &d->fields[i];
    if (f->flags & ORCA_FIELD_OPTIONAL)
      continue;
    push_field_default(L, f, depth + 1);
    lua_setfield(L, -2, f->name);
  }
}

static void push_zero(lua_State *L, const orca_type *t, int depth) {
  if (t->kind == ORCA_KIND_STRUCT)
    push_struct_defaults(L, t->sdesc, depth);
  else
    cv_push_cvalue(L, t, &zero_value, depth);
}

static void push_field_default(lua_State *L, const orca_field *f, int depth) {
  if (f->default_value)
    cv_push_cvalue(L, f->type, f->default_value, depth);
  else
    push_zero(L, f->type, depth);
}

/* Push the C value at p (of type t, laid out as orca/schema.h says). */
static void cv_push_cvalue(lua_State *L, const orca_type *t, const void *p, int depth) {
  luaL_checkstack(L, 4, "value nested too deeply");
  if (depth > ORCA_CODEC_MAX_DEPTH)
    luaL_error(L, "value of type %s nested too deeply", t->name ? t->name : "?");
  const char *b = p;
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    lua_pushboolean(L, *(const bool *)p);
    return;
  case ORCA_KIND_I8:
    lua_pushinteger(L, *(const int8_t *)p);
    return;
  case ORCA_KIND_I16:
    lua_pushinteger(L, *(const int16_t *)p);
    return;
  case ORCA_KIND_I32:
    lua_pushinteger(L, *(const int32_t *)p);
    return;
  case ORCA_KIND_I64:
    lua_pushinteger(L, *(const int64_t *)p);
    return;
  case ORCA_KIND_U8:
    lua_pushinteger(L, *(const uint8_t *)p);
    return;
  case ORCA_KIND_U16:
    lua_pushinteger(L, *(const uint16_t *)p);
    return;
  case ORCA_KIND_U32:
    lua_pushinteger(L, *(const uint32_t *)p);
    return;
  case ORCA_KIND_U64: {
    uint64_t u = *(const uint64_t *)p;
    if (u > (uint64_t)INT64_MAX)
      lua_pushnumber(L, (lua_Number)u);
    else
      lua_pushinteger(L, (lua_Integer)u);
    return;
  }
  case ORCA_KIND_F32:
    lua_pushnumber(L, *(const float *)p);
    return;
  case ORCA_KIND_F64:
    lua_pushnumber(L, *(const double *)p);
    return;
  case ORCA_KIND_STRING: {
    const char *s = *(const char *const *)p;
    lua_pushstring(L, s ? s : "");
    return;
  }
  case ORCA_KIND_BYTES: {
    const orca_bytes *by = p;
    lua_pushlstring(L, by->len ? (const char *)by->data : "", by->len);
    return;
  }
  case ORCA_KIND_TIMESTAMP:
  case ORCA_KIND_DURATION:
    push_ms(L, *(const int64_t *)p);
    return;
  case ORCA_KIND_ENUM:
    push_enum(L, t->edesc, *(const int32_t *)p);
    return;
  case ORCA_KIND_STRUCT: {
    const orca_struct_desc *d = t->sdesc;
    lua_createtable(L, 0, (int)d->nfields);
    for (uint32_t i = 0; i < d->nfields; i++) {
      const orca_field *f = &d->fields[i];
      const char *fp = b + f->offset;
      if (f->flags & ORCA_FIELD_POINTER) {
        fp = *(const char *const *)fp;
        if (!fp)
          continue;
      } else if (f->has_offset >= 0 && !*(const bool *)(b + f->has_offset)) {
        continue;
      }
      cv_push_cvalue(L, f->type, fp, depth + 1);
      lua_setfield(L, -2, f->name);
    }
    return;
  }
  case ORCA_KIND_LIST: {
    const orca_list *l = p;
    lua_createtable(L, l->len > INT32_MAX ? 0 : (int)l->len, 0);
    for (size_t i = 0; i < l->len; i++) {
      cv_push_cvalue(L, t->elem, (const char *)l->items + i * t->elem->size, depth + 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return;
  }
  case ORCA_KIND_MAP: {
    const orca_map *m = p;
    lua_createtable(L, 0, m->len > INT32_MAX ? 0 : (int)m->len);
    for (size_t i = 0; i < m->len; i++) {
      cv_push_cvalue(L, t->key, (const char *)m->keys + i * t->key->size, depth + 1);
      cv_push_cvalue(L, t->elem, (const char *)m->values + i * t->elem->size, depth + 1);
      lua_rawset(L, -3);
    }
    return;
  }
  }
  luaL_error(L, "unknown type kind %d", (int)t->kind);
}

/* ---- msgpack ------------------------------------------------------------- */

static void cv_next(cv *c, const orca__path *p, orca__mp_item *it) {
  int rc = orca__mp_next(&c->r, it);
  if (rc == ORCA__MP_TRUNCATED)
    cv_fail(c, p, "truncated payload");
  if (rc != ORCA__MP_OK)
    cv_fail(c, p, "malformed payload");
}

static void cv_mismatch(cv *c, const orca__path *p, const char *want, const orca__mp_item *it) {
  cv_fail(c, p, "expected %s, got %s", want, orca__mp_type_name(it));
}

/* An integer item as int64 (with *big set for a uint above INT64_MAX). */
static int64_t cv_int(cv *c, const orca__path *p, const orca__mp_item *it, bool *big, uint64_t *u) {
  *big = false;
  if (it->type == ORCA__MP_INT)
    return it->v.i;
  if (it->type != ORCA__MP_UINT)
    cv_mismatch(c, p, "integer", it);
  *u = it->v.u;
  if (it->v.u > (uint64_t)INT64_MAX) {
    *big = true;
    return 0;
  }
  return (int64_t)it->v.u;
}

static void cv_value(cv *c, const orca_type *t, const orca__path *p, int depth);

static void cv_struct(cv *c, const orca_struct_desc *d, const orca__path *p, uint32_t n,
                      int depth) {
  lua_State *L = c->L;
  uint64_t seen[4] = {0}; /* presence of the first 256 fields, by index */
  lua_createtable(L, 0, (int)d->nfields);
  for (uint32_t k = 0; k < n; k++) {
    orca__mp_item key;
    cv_next(c, p, &key);
    const orca_field *f = NULL;
    if (key.type == ORCA__MP_UINT && key.v.u <= UINT32_MAX)
      f = orca_struct_field(d, (uint32_t)key.v.u);
    else if (key.type != ORCA__MP_UINT)
      cv_mismatch(c, p, "field id", &key);
    if (!f) { /* unknown id: skipped, as the codec does */
      if (orca__mp_skip(&c->r, depth) != ORCA__MP_OK)
        cv_fail(c, p, "malformed payload");
      continue;
    }
    orca__path fp = {.up = p, .kind = ORCA__PATH_FIELD, .name = f->name};
    size_t idx = (size_t)(f - d->fields);
    if (idx < 256)
      seen[idx / 64] |= 1ull << (idx % 64);
    cv_value(c, f->type, &fp, depth + 1);
    lua_setfield(L, -2, f->name);
  }
  /* Missing non-optional fields take their defaults, as in the handler. */
  for (uint32_t i = 0; i < d->nfields; i++) {
    const orca_field *f = &d->fields[i];
    if (f->flags & ORCA_FIELD_OPTIONAL)
      continue;
    if (i < 256) {
      if (seen[i / 64] & (1ull << (i % 64)))
        continue;
    } else if (lua_getfield(L, -1, f->name) != LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    } else {
      lua_pop(L, 1);
    }
    push_field_default(L, f, depth + 1);
    lua_setfield(L, -2, f->name);
  }
}

static void cv_value(cv *c, const orca_type *t, const orca__path *p, int depth) {
  lua_State *L = c->L;
  if (depth > ORCA_CODEC_MAX_DEPTH)
    cv_fail(c, p, "nested more than %d levels", ORCA_CODEC_MAX_DEPTH);
  luaL_checkstack(L, 4, "value nested too deeply");
  orca__mp_item it;
  cv_next(c, p, &it);
  if (it.type == ORCA__MP_NIL) { /* an explicit nil reads as absent */
    lua_pushnil(L);
    return;
  }
  bool big;
  uint64_t u = 0;
  switch (t->kind) {
  case ORCA_KIND_BOOL:
    if (it.type != ORCA__MP_BOOL)
      cv_mismatch(c, p, "bool", &it);
    lua_pushboolean(L, it.v.b);
    return;
  case ORCA_KIND_I8:
  case ORCA_KIND_I16:
  case ORCA_KIND_I32:
  case ORCA_KIND_I64:
  case ORCA_KIND_U8:
  case ORCA_KIND_U16:
  case ORCA_KIND_U32:
  case ORCA_KIND_U64: {
    int64_t v = cv_int(c, p, &it, &big, &u);
    if (big)
      lua_pushnumber(L, (lua_Number)u);
    else
      lua_pushinteger(L, v);
    return;
  }
  case ORCA_KIND_F32:
  case ORCA_KIND_F64:
    if (it.type == ORCA__MP_F64)
      lua_pushnumber(L, it.v.f64);
    else if (it.type == ORCA__MP_F32)
      lua_pushnumber(L, it.v.f32);
    else if (it.type == ORCA__MP_INT)
      lua_pushnumber(L, (lua_Number)it.v.i);
    else if (it.type == ORCA__MP_UINT)
      lua_pushnumber(L, (lua_Number)it.v.u);
    else
      cv_mismatch(c, p, "float", &it);
    return;
  case ORCA_KIND_STRING:
  case ORCA_KIND_BYTES:
    if (it.type != ORCA__MP_STR && it.type != ORCA__MP_BIN)
      cv_mismatch(c, p, t->kind == ORCA_KIND_STRING ? "str" : "bin", &it);
    lua_pushlstring(L, (const char *)it.v.s.ptr, it.v.s.len);
    return;
  case ORCA_KIND_TIMESTAMP:
  case ORCA_KIND_DURATION: {
    int64_t v = cv_int(c, p, &it, &big, &u);
    if (big)
      cv_fail(c, p, "%s out of range", t->kind == ORCA_KIND_TIMESTAMP ? "timestamp" : "duration");
    push_ms(L, v);
    return;
  }
  case ORCA_KIND_ENUM: {
    int64_t v = cv_int(c, p, &it, &big, &u);
    if (big)
      cv_fail(c, p, "enum value out of range");
    push_enum(L, t->edesc, v);
    return;
  }
  case ORCA_KIND_STRUCT:
    if (it.type != ORCA__MP_MAP)
      cv_mismatch(c, p, "map (struct)", &it);
    cv_struct(c, t->sdesc, p, it.v.n, depth);
    return;
  case ORCA_KIND_LIST:
    if (it.type != ORCA__MP_ARRAY)
      cv_mismatch(c, p, "array", &it);
    lua_createtable(L, (int)it.v.n, 0);
    for (uint32_t i = 0; i < it.v.n; i++) {
      orca__path ip = {.up = p, .kind = ORCA__PATH_INDEX, .index = i};
      cv_value(c, t->elem, &ip, depth + 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return;
  case ORCA_KIND_MAP:
    if (it.type != ORCA__MP_MAP)
      cv_mismatch(c, p, "map", &it);
    lua_createtable(L, 0, (int)it.v.n);
    for (uint32_t i = 0; i < it.v.n; i++) {
      orca__path kp = {.up = p, .kind = ORCA__PATH_INDEX, .index = i};
      cv_value(c, t->key, &kp, depth + 1);
      if (lua_isnil(L, -1))
        cv_fail(c, &kp, "map key is nil");
      size_t klen = 0;
      const char *ks = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &klen) : NULL;
      orca__path vp = {.up = p,
                       .kind = ks ? ORCA__PATH_KEY_STR : ORCA__PATH_KEY_INT,
                       .name = ks,
                       .len = klen,
                       .index = ks ? 0 : (int64_t)lua_tointeger(L, -1)};
      cv_value(c, t->elem, &vp, depth + 1);
      lua_rawset(L, -3);
    }
    return;
  }
  cv_fail(c, p, "unknown type kind %d", (int)t->kind);
}

void orca__convert_push(lua_State *L, const orca_type *t, const uint8_t *data, size_t len,
                        const char *what) {
  cv c = {.L = L, .r = {.p = data, .end = data + len}, .what = what};
  if (!data || len == 0) {
    /* No bytes at all: the value at its defaults (an args struct with no
     * parameters is encoded as an empty map, so this is a lenient path). */
    push_zero(L, t, 0);
    return;
  }
  cv_value(&c, t, NULL, 0);
  if (c.r.p != c.r.end)
    cv_fail(&c, NULL, "%zu bytes past the value", (size_t)(c.r.end - c.r.p));
}
