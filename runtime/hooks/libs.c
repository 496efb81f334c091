/* libs.c — the standard libraries as hooks see them: pristine, charged and
 * read-only.
 *
 * Every file of a state shares one set of libraries, so a library a file
 * could change would change it for the others (and carry data between
 * them). Each library is therefore opened once, copied into a private table
 * whose costly C functions are replaced by charged versions (cwork.c,
 * pattern.c, budget.c), and exposed only through an empty view whose
 * metatable reads from the private table and refuses writes. rawset refuses
 * views too (sandbox.c), `pairs` iterates the private table without handing
 * it out, and the metatables are protected. The string metatable's __index,
 * which serves method calls such as ("x"):upper(), is the same private
 * table. The tables luaL_requiref registers keep the original functions, so
 * argument errors raised inside an original still name it. */
#include <lauxlib.h>
#include <lualib.h>

#include "hooks/hooks_internal.h"

/* Address used as the key that marks a view's metatable. */
static const char ro_marker = 0;

static int ro_newindex(lua_State *L) {
  return luaL_error(L, "attempt to modify read-only library '%s'",
                    lua_tostring(L, lua_upvalueindex(1)));
}

/* next() over the private table (upvalue 1), called as iterator(view, key). */
static int ro_next(lua_State *L) {
  lua_settop(L, 2);
  if (lua_next(L, lua_upvalueindex(1)))
    return 2;
  lua_pushnil(L);
  return 1;
}

/* __pairs(view): the iterator (upvalue 1), the view, nil. */
static int ro_pairs(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

/* Replace the table at the top of the stack with a read-only view of it. */
static void ro_view(lua_State *L, const char *name) {
  int priv = lua_gettop(L);
  lua_createtable(L, 0, 0);
  lua_createtable(L, 0, 5);
  lua_pushvalue(L, priv);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, name);
  lua_pushcclosure(L, ro_newindex, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, priv);
  lua_pushcclosure(L, ro_next, 1);
  lua_pushcclosure(L, ro_pairs, 1);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pushboolean(L, 1);
  lua_rawsetp(L, -2, &ro_marker);
  lua_setmetatable(L, -2);
  lua_replace(L, priv);
}

bool orca__libs_is_readonly(lua_State *L, int idx) {
  if (!lua_getmetatable(L, idx))
    return false;
  bool ro = lua_rawgetp(L, -1, &ro_marker) != LUA_TNIL;
  lua_pop(L, 2);
  return ro;
}

/* Push a shallow copy of the table at the top of the stack. */
static void copy_table(lua_State *L) {
  int src = lua_gettop(L);
  lua_createtable(L, 0, 32);
  lua_pushnil(L);
  while (lua_next(L, src)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

/* Open library `name` and push its private copy. */
static void open_private(lua_State *L, const char *name, lua_CFunction open) {
  luaL_requiref(L, name, open, 0);
  copy_table(L);
  lua_remove(L, -2);
}

/* The private string table: no dump, charged functions, and the __index of
 * the string metatable (method calls on strings read it; getmetatable("")
 * gives false, so a hook reaches neither). */
static void edit_string(lua_State *L) {
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  orca__pattern_wrap(L);
  orca__cwork_wrap(L, LUA_STRLIBNAME);
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
}

static void edit_table(lua_State *L) {
  orca__cwork_wrap(L, LUA_TABLIBNAME);
}

static void edit_utf8(lua_State *L) {
  orca__cwork_wrap(L, LUA_UTF8LIBNAME);
}

/* os: only time and clock, copied out of the library. */
static void edit_os(lua_State *L) {
  int os = lua_gettop(L);
  lua_createtable(L, 0, 2);
  lua_getfield(L, os, "time");
  lua_setfield(L, -2, "time");
  lua_getfield(L, os, "clock");
  lua_setfield(L, -2, "clock");
  lua_replace(L, os);
}

void orca__libs_open(lua_State *L) {
  static const struct {
    const char *name;
    lua_CFunction open;
    void (*edit)(lua_State *L); /* changes the private copy at the top; NULL = none */
  } libs[] = {
      {LUA_STRLIBNAME, luaopen_string, edit_string},
      {LUA_TABLIBNAME, luaopen_table, edit_table},
      {LUA_MATHLIBNAME, luaopen_math, NULL},
      {LUA_UTF8LIBNAME, luaopen_utf8, edit_utf8},
      {LUA_COLIBNAME, luaopen_coroutine, orca__budget_wrap_coroutine},
      {LUA_OSLIBNAME, luaopen_os, edit_os},
  };
  int G = lua_gettop(L);
  for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
    open_private(L, libs[i].name, libs[i].open);
    if (libs[i].edit)
      libs[i].edit(L);
    ro_view(L, libs[i].name);
    lua_setfield(L, G, libs[i].name);
  }
}
