/* sandbox.c — the Lua state every hook runs in, and the limits around it.
 *
 * What a hook can reach is decided here: the base functions minus the ones
 * that load code or touch the collector, and the libraries of libs.c
 * (read-only views of string without string.dump, table, math, utf8,
 * coroutine, and an `os` with only time and clock). No io, debug or package,
 * so no file, process or environment access and no way to load a binary
 * chunk. Three limits keep a hook from hurting its worker:
 *  - memory: a lua_Alloc that refuses to grow the heap past h->mem_limit, so
 *    a string.rep bomb becomes a "not enough memory" error in the hook;
 *  - time: an instruction budget and a wall-clock deadline per call
 *    (budget.c), charged by a count hook, by the allocator and by the C
 *    functions whose work is not counted in instructions (cwork.c,
 *    pattern.c);
 *  - depth: Lua's own stack and C-stack limits (LUAI_MAXSTACK, LUAI_MAXCCALLS)
 *    turn deep recursion into an error.
 * Every Lua API call that may allocate runs inside lua_pcall, so a limit is
 * always an error value and never a panic. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks_internal.h"
#include "orca/log.h"

/* The allocator: plain realloc/free with the running total checked against
 * the state's limit. With ptr == NULL, osize is a type tag, not a size.
 * Growth is charged to the budget of the running call, and a big one makes
 * the count hook fire at the next instruction: copying big strings in a
 * loop costs instructions even when the loop itself runs few. A new string
 * longer than the heap limit / ORCA__HOOKS_STRING_FRACTION is refused
 * unless it comes from converting a task's args or result. */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  orca__hooks *h = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    h->mem_used -= old;
    return NULL;
  }
  if (nsize > old && h->mem_used + (nsize - old) > h->mem_limit)
    return NULL;
  if (!ptr && osize == LUA_TSTRING && nsize > h->mem_limit / ORCA__HOOKS_STRING_FRACTION &&
      !h->converting)
    return NULL;
  void *p = realloc(ptr, nsize);
  if (!p)
    return NULL;
  if (nsize > old) {
    h->budget -= (int64_t)((nsize - old) / ORCA__HOOKS_BYTES_PER_INSTR);
    if (nsize - old >= ORCA__HOOKS_BIG_ALLOC)
      orca__budget_poke(h);
  }
  h->mem_used = h->mem_used - old + nsize;
  return p;
}

int orca__sandbox_msgh(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (!msg) {
    /* An error object that is not a string: describe it without calling
     * __tostring, which would be more hook code to run. */
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  /* One line for the log: the traceback's newlines and tabs become " | ". */
  luaL_Buffer b;
  size_t n;
  const char *s = lua_tolstring(L, -1, &n);
  luaL_buffinit(L, &b);
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n') {
      luaL_addstring(&b, " | ");
      while (i + 1 < n && s[i + 1] == '\t')
        i++;
    } else {
      luaL_addchar(&b, s[i]);
    }
  }
  luaL_pushresult(&b);
  return 1;
}

void orca__sandbox_log_error(const char *file, const char *point, const char *task,
                             const char *msg) {
  orca_log(ORCA_LOG_ERROR, "hook %s: %s for task %s failed: %s", file, point, task ? task : "?",
           msg ? msg : "(no message)");
}

int orca__sandbox_call_original(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void orca__sandbox_wrap(lua_State *L, const luaL_Reg *fns) {
  for (const luaL_Reg *r = fns; r->name; r++) {
    lua_getfield(L, -1, r->name);
    lua_pushcclosure(L, r->func, 1);
    lua_setfield(L, -2, r->name);
  }
}

/* setmetatable() without finalizers: Lua runs __gc with debug hooks off, so
 * a finalizer would escape the instruction limit (an endless loop in one
 * would hang the next collection). An object is only marked for
 * finalization when its metatable has __gc at setmetatable time, so
 * refusing it here closes that door for good. */
static int sb_setmetatable(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L, "__gc metamethods are not allowed in hooks");
    lua_pop(L, 1);
  }
  return orca__sandbox_call_original(L);
}

/* xpcall() whose message handler never runs for the limit error. Lua calls
 * a message handler before unwinding, and for an error raised inside a
 * debug hook that is while hooks are still off: a handler with an endless
 * loop would run unbounded. Once the budget is spent the error passes
 * through unchanged instead. */
static int sb_xpcall_msgh(lua_State *L) {
  if (orca__sandbox_owner(L)->budget <= 0)
    return 1;
  return orca__sandbox_call_original(L);
}

static int sb_xpcall(lua_State *L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, sb_xpcall_msgh, 1);
  lua_replace(L, 2);
  for (int i = 1; i <= n; i++)
    if (i != 2)
      lua_pushvalue(L, i);
  int st = lua_pcall(L, n - 2, LUA_MULTRET, 2);
  lua_pushboolean(L, st == LUA_OK);
  lua_replace(L, n); /* reuse a slot below the results for the status */
  return lua_gettop(L) - n + 1;
}

/* rawset() that refuses the read-only library views: a raw write into the
 * (empty) view would shadow the library for every file of the state. */
static int sb_rawset(lua_State *L) {
  if (lua_type(L, 1) == LUA_TTABLE && orca__libs_is_readonly(L, 1))
    return luaL_error(L, "attempt to modify a read-only library table");
  return orca__sandbox_call_original(L);
}

/* Runs protected: fill the global table with the safe subset. */
static int sb_init(lua_State *L) {
  static const char *const base_removed[] = {"dofile",  "loadfile",       "load",
                                             "require", "collectgarbage", NULL};
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  for (int i = 0; base_removed[i]; i++) {
    lua_pushnil(L);
    lua_setfield(L, -2, base_removed[i]);
  }
  /* Files get their own _ENV with this table behind __index; hiding _G
   * keeps them from reaching (and rewriting) the shared base through it. */
  lua_pushnil(L);
  lua_setfield(L, -2, "_G");
  lua_pushcfunction(L, orca__print);
  lua_setfield(L, -2, "print");
  lua_pushcfunction(L, sb_xpcall);
  lua_setfield(L, -2, "xpcall");
  lua_getfield(L, -1, "setmetatable");
  lua_pushcclosure(L, sb_setmetatable, 1);
  lua_setfield(L, -2, "setmetatable");
  lua_getfield(L, -1, "rawset");
  lua_pushcclosure(L, sb_rawset, 1);
  lua_setfield(L, -2, "rawset");
  orca__cwork_wrap(L, LUA_GNAME);
  orca__libs_open(L);
  lua_pop(L, 1);
  return 0;
}

static int sb_panic(lua_State *L) {
  /* Unreachable by design (every allocating call is protected); if it ever
   * happens the state is unusable and the process cannot recover it. */
  orca_log(ORCA_LOG_ERROR, "hooks: unprotected Lua error: %s",
           lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
  abort();
}

int orca__sandbox_new(orca__hooks *h, orca_err *err) {
  lua_State *L = lua_newstate(sb_alloc, h);
  if (!L)
    return orca_err_set(err, ORCA_ENOMEM, "hooks: cannot create a Lua state (memory limit %zu)",
                        h->mem_limit);
  h->L = L;
  *(orca__hooks **)lua_getextraspace(L) = h;
  lua_atpanic(L, sb_panic);
  lua_gc(L, LUA_GCGEN, 0, 0);
  lua_pushcfunction(L, sb_init);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    int rc = orca_err_set(err, ORCA_ENOMEM, "hooks: cannot set up the Lua sandbox: %s",
                          lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
    lua_close(L);
    h->L = NULL;
    return rc;
  }
  orca__budget_install(h);
  return 0;
}
