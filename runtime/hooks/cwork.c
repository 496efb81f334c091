/* cwork.c — charging the C functions whose work the instruction count does
 * not see.
 *
 * A library function runs as one VM instruction however long it takes, and
 * Lua's count hook does not fire inside it. The functions below can do work
 * out of proportion to the instructions that call them, so their wrappers
 * charge that work to the budget first (orca__budget_charge, which also
 * checks the deadline), in instruction units:
 *  - string.rep: the bytes it would produce / ORCA__HOOKS_BYTES_PER_INSTR
 *    (not charged when the result cannot fit in the heap: the allocator
 *    refuses it before any copying);
 *  - table.concat, unpack, move, insert, remove: one unit per element
 *    visited, times the length of the __index/__newindex table chain a
 *    lookup may walk; table.sort: n*log2(n) of those (a Lua comparator is
 *    also counted by the hook as it runs);
 *  - functions that scan their string arguments (string.pack, packsize,
 *    unpack, utf8.len, offset, codepoint, tonumber, rawequal): one unit per
 *    8 bytes of string arguments; a utf8.codes step: per 8 bytes it skips.
 * Everything else either costs what it allocates (charged by the allocator:
 * upper, lower, sub, format, ...) or is bounded by Lua's stack limit (byte,
 * char, select). Pattern functions are in pattern.c.
 *
 * table.insert and table.remove are reimplemented here rather than wrapped:
 * the originals take the length again, and a __len metamethod answering
 * differently the second time would make the charge meaningless. */
#include <lauxlib.h>
#include <string.h>

#include "hooks/hooks_internal.h"

#define CW_MAXCHAIN 2000 /* Lua's MAXTAGLOOP: longest metamethod chain of one lookup */
#define CW_SAT ((uint64_t)1 << 60)

static uint64_t cw_mul(uint64_t a, uint64_t b) {
  return (b && a > CW_SAT / b) ? CW_SAT : a * b;
}

/* Number of integers in [i, j] (0 if empty), saturated. */
static uint64_t cw_span(lua_Integer i, lua_Integer j) {
  if (j < i)
    return 0;
  lua_Unsigned d = (lua_Unsigned)j - (lua_Unsigned)i;
  return d >= CW_SAT ? CW_SAT : (uint64_t)d + 1;
}

/* Push metatable(idx)[field] (raw, as Lua looks metamethods up) and return
 * its type; LUA_TNONE, pushing nothing, when the value has no metatable. */
static int cw_metafield(lua_State *L, int idx, const char *field) {
  if (!lua_getmetatable(L, idx))
    return LUA_TNONE;
  lua_pushstring(L, field);
  int t = lua_rawget(L, -2);
  lua_remove(L, -2);
  return t;
}

/* 1 + how many tables one lookup in the value at idx may walk through its
 * __index (or __newindex) tables, at most Lua's own limit. Functions in
 * those fields are Lua code, counted as they run, or charged C functions. */
static uint64_t cw_chain(lua_State *L, int idx) {
  static const char *const fields[] = {"__index", "__newindex"};
  uint64_t worst = 1;
  idx = lua_absindex(L, idx);
  for (int f = 0; f < 2; f++) {
    uint64_t d = 1;
    lua_pushvalue(L, idx);
    for (int t; d < CW_MAXCHAIN && (t = cw_metafield(L, -1, fields[f])) != LUA_TNONE; d++) {
      lua_remove(L, -2);
      if (t != LUA_TTABLE)
        break;
    }
    lua_pop(L, 1);
    if (d > worst)
      worst = d;
  }
  return worst;
}

/* Like Lua's own check: a table, or a value whose metatable provides the
 * metamethods the operation needs (__len is checked by luaL_len). */
enum { CW_R = 1, CW_W = 2 };
static void cw_checktab(lua_State *L, int arg, int need) {
  if (lua_type(L, arg) == LUA_TTABLE)
    return;
  int top = lua_gettop(L);
  bool ok = (!(need & CW_R) || cw_metafield(L, arg, "__index") > LUA_TNIL) &&
            (!(need & CW_W) || cw_metafield(L, arg, "__newindex") > LUA_TNIL);
  lua_settop(L, top);
  if (!ok)
    luaL_checktype(L, arg, LUA_TTABLE);
}

/* ---- string.rep ---------------------------------------------------------- */

static int cw_rep(lua_State *L) {
  size_t l, lsep;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n > 0) {
    orca__hooks *h = orca__sandbox_owner(L);
    double bytes = (double)n * (double)(l + lsep);
    if (bytes <= (double)h->mem_limit)
      orca__budget_charge(L, 1 + (uint64_t)bytes / ORCA__HOOKS_BYTES_PER_INSTR);
  }
  return orca__sandbox_call_original(L);
}

/* ---- functions that scan their string arguments --------------------------- */

static int cw_bylen(lua_State *L) {
  uint64_t bytes = 0;
  for (int i = 1, top = lua_gettop(L); i <= top; i++)
    if (lua_type(L, i) == LUA_TSTRING)
      bytes += lua_rawlen(L, i);
  orca__budget_charge(L, 1 + bytes / 8);
  return orca__sandbox_call_original(L);
}

/* One step of utf8.codes: charge the continuation bytes the original will
 * skip from the current position, then call it. */
static int cw_codes_step(lua_State *L) {
  size_t len;
  const char *s = lua_tolstring(L, 1, &len);
  lua_Integer pos = lua_tointeger(L, 2);
  size_t run = 0;
  if (s && pos >= 0 && (lua_Unsigned)pos < len)
    for (size_t i = (size_t)pos; i < len && (s[i] & 0xC0) == 0x80; i++)
      run++;
  orca__budget_charge(L, 1 + run / 8);
  return orca__sandbox_call_original(L);
}

/* utf8.codes: the original's iterator, wrapped by cw_codes_step. */
static int cw_codes(lua_State *L) {
  int n = orca__sandbox_call_original(L);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, cw_codes_step, 1);
  lua_replace(L, 1);
  return n;
}

/* ---- table ---------------------------------------------------------------- */

static int cw_concat(lua_State *L) {
  cw_checktab(L, 1, CW_R);
  luaL_optlstring(L, 2, "", NULL);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  lua_Integer j = luaL_opt(L, luaL_checkinteger, 4, luaL_len(L, 1));
  lua_settop(L, 2);
  lua_pushinteger(L, i);
  lua_pushinteger(L, j); /* the original takes no length of its own */
  orca__budget_charge(L, 1 + cw_mul(cw_span(i, j), cw_chain(L, 1)));
  return orca__sandbox_call_original(L);
}

static int cw_unpack(lua_State *L) {
  lua_Integer i = luaL_optinteger(L, 2, 1);
  lua_Integer j = luaL_opt(L, luaL_checkinteger, 3, luaL_len(L, 1));
  lua_settop(L, 1);
  lua_pushinteger(L, i);
  lua_pushinteger(L, j);
  uint64_t n = cw_span(i, j);
  /* more than the stack holds: the original refuses it without work */
  if (n <= 1000000)
    orca__budget_charge(L, 1 + cw_mul(n, cw_chain(L, 1)));
  return orca__sandbox_call_original(L);
}

static int cw_move(lua_State *L) {
  lua_Integer f = luaL_checkinteger(L, 2);
  lua_Integer e = luaL_checkinteger(L, 3);
  luaL_checkinteger(L, 4);
  int dst = lua_isnoneornil(L, 5) ? 1 : 5;
  cw_checktab(L, 1, CW_R);
  cw_checktab(L, dst, CW_W);
  uint64_t chain = cw_chain(L, 1), c2 = cw_chain(L, dst);
  orca__budget_charge(L, 1 + cw_mul(cw_span(f, e), chain > c2 ? chain : c2));
  return orca__sandbox_call_original(L);
}

/* table.insert(t, [pos,] v): shift t[pos..n] up by one, t[pos] = v. */
static int cw_insert(lua_State *L) {
  cw_checktab(L, 1, CW_R | CW_W);
  lua_Integer e = luaL_len(L, 1);
  e = (lua_Integer)((lua_Unsigned)e + 1); /* first empty slot */
  lua_Integer pos;
  switch (lua_gettop(L)) {
  case 2:
    pos = e;
    break;
  case 3:
    pos = luaL_checkinteger(L, 2);
    /* the unsigned compare also checks pos >= 1 */
    luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
    orca__budget_charge(L, 1 + cw_mul(cw_span(pos + 1, e), cw_chain(L, 1)));
    for (lua_Integer i = e; i > pos; i--) {
      lua_geti(L, 1, i - 1);
      lua_seti(L, 1, i);
    }
    break;
  default:
    return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

/* table.remove(t [, pos]): return t[pos], shift t[pos+1..n] down. */
static int cw_remove(lua_State *L) {
  cw_checktab(L, 1, CW_R | CW_W);
  lua_Integer size = luaL_len(L, 1);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if (pos != size) /* the unsigned compare also checks pos >= 1 */
    luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2, "position out of bounds");
  orca__budget_charge(L, 1 + cw_mul(cw_span(pos + 1, size), cw_chain(L, 1)));
  lua_geti(L, 1, pos);
  for (; pos < size; pos++) {
    lua_geti(L, 1, pos + 1);
    lua_seti(L, 1, pos);
  }
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

static int cw_sort(lua_State *L) {
  cw_checktab(L, 1, CW_R | CW_W);
  lua_Integer n = luaL_len(L, 1);
  if (!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TFUNCTION);
  if (n > 1 && n < (lua_Integer)1 << 40) {
    uint64_t log2n = 1;
    while (((uint64_t)1 << log2n) < (uint64_t)n)
      log2n++;
    orca__budget_charge(L, 1 + cw_mul(cw_mul((uint64_t)n, log2n), cw_chain(L, 1)));
  }
  return orca__sandbox_call_original(L);
}

/* ---- installing ------------------------------------------------------------ */

typedef struct cw_entry {
  const char *lib, *name;
  lua_CFunction fn;
  bool replace; /* a full replacement: no original as upvalue */
} cw_entry;

static const cw_entry cw_entries[] = {
    {"string", "rep", cw_rep, false},        {"string", "pack", cw_bylen, false},
    {"string", "packsize", cw_bylen, false}, {"string", "unpack", cw_bylen, false},
    {"table", "concat", cw_concat, false},   {"table", "unpack", cw_unpack, false},
    {"table", "move", cw_move, false},       {"table", "sort", cw_sort, false},
    {"table", "insert", cw_insert, true},    {"table", "remove", cw_remove, true},
    {"utf8", "len", cw_bylen, false},        {"utf8", "offset", cw_bylen, false},
    {"utf8", "codepoint", cw_bylen, false},  {"utf8", "codes", cw_codes, false},
    {"_G", "tonumber", cw_bylen, false},     {"_G", "rawequal", cw_bylen, false},
};

void orca__cwork_wrap(lua_State *L, const char *lib) {
  for (size_t i = 0; i < sizeof cw_entries / sizeof cw_entries[0]; i++) {
    const cw_entry *e = &cw_entries[i];
    if (strcmp(e->lib, lib) != 0)
      continue;
    if (e->replace) {
      lua_pushcfunction(L, e->fn);
    } else {
      lua_getfield(L, -1, e->name);
      lua_pushcclosure(L, e->fn, 1);
    }
    lua_setfield(L, -2, e->name);
  }
}
