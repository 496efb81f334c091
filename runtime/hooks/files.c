/* files.c — loading hook files into a state, and reloading them.
 *
 * A hook file is Lua source (text only: binary chunks are refused) run once
 * at load time in its own environment, a fresh table that reads through to
 * the sandbox's globals. Its hook functions are found either in the table the
 * file returns (the documented convention) or, when it returns nothing, among
 * the globals it defined. Each function is pinned in the registry so a call
 * costs one lookup. A reload loads every file again and swaps all of them in
 * only if all loaded: a typo saved during a SIGHUP leaves the running hooks
 * as they were. */
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks_internal.h"
#include "orca/log.h"

const char *const orca__hook_point_names[ORCA__HOOK_NPOINTS] = {"on_enqueue", "route", "before_run",
                                                                "after_run", "on_error"};

typedef struct fl_ctx {
  orca__hooks *h;
  const char *path;
  orca__hook_file *out; /* fn[] and mask filled here */
} fl_ctx;

static void file_unref(lua_State *L, orca__hook_file *f) {
  for (int p = 0; p < ORCA__HOOK_NPOINTS; p++) {
    luaL_unref(L, LUA_REGISTRYINDEX, f->fn[p]);
    f->fn[p] = LUA_NOREF;
  }
  f->mask = 0;
}

static bool is_point_name(const char *s) {
  for (int p = 0; p < ORCA__HOOK_NPOINTS; p++)
    if (strcmp(s, orca__hook_point_names[p]) == 0)
      return true;
  return false;
}

/* Runs protected, with the fl_ctx as light userdata at index 1. Raises the
 * message the caller reports ("file:line: message"). */
static int fl_load(lua_State *L) {
  fl_ctx *c = lua_touserdata(L, 1);
  if (luaL_loadfilex(L, c->path, "t") != LUA_OK)
    return lua_error(L); /* "path:line: message", or "cannot open path" */
  int chunk = lua_gettop(L);

  /* env = setmetatable({}, {__index = <sandbox globals>, __metatable = false}) */
  lua_createtable(L, 0, 4);
  lua_createtable(L, 0, 2);
  lua_pushglobaltable(L);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  int env = lua_gettop(L);
  lua_pushvalue(L, env);
  if (!lua_setupvalue(L, chunk, 1))
    lua_pop(L, 1); /* a chunk always has _ENV; be safe anyway */

  lua_pushcfunction(L, orca__sandbox_msgh);
  lua_pushvalue(L, chunk);
  orca__budget_arm(c->h);
  int st = lua_pcall(L, 0, 1, -2);
  orca__print_flush(c->h, false);
  if (st != LUA_OK)
    return luaL_error(L, "%s: error while loading: %s", c->path, lua_tostring(L, -1));
  int tab;
  bool returned = lua_type(L, -1) == LUA_TTABLE;
  if (returned)
    tab = lua_gettop(L);
  else if (lua_isnil(L, -1))
    tab = env;
  else
    return luaL_error(L, "%s: a hook file must return a table of hook functions, not a %s", c->path,
                      luaL_typename(L, -1));

  /* Check everything before pinning anything. */
  for (int p = 0; p < ORCA__HOOK_NPOINTS; p++) {
    int ty = lua_getfield(L, tab, orca__hook_point_names[p]);
    if (ty != LUA_TNIL && ty != LUA_TFUNCTION)
      return luaL_error(L, "%s: '%s' must be a function, not a %s", c->path,
                        orca__hook_point_names[p], lua_typename(L, ty));
    lua_pop(L, 1);
  }
  if (returned) { /* a misspelt point would silently never run: say so */
    lua_pushnil(L);
    while (lua_next(L, tab)) {
      if (lua_type(L, -2) == LUA_TSTRING && !is_point_name(lua_tostring(L, -2)))
        orca_log(ORCA_LOG_WARN,
                 "hook %s: '%s' is not a hook point (expected one of "
                 "on_enqueue, route, before_run, after_run, on_error)",
                 c->path, lua_tostring(L, -2));
      lua_pop(L, 1);
    }
  }
  for (int p = 0; p < ORCA__HOOK_NPOINTS; p++) {
    if (lua_getfield(L, tab, orca__hook_point_names[p]) == LUA_TFUNCTION) {
      c->out->fn[p] = luaL_ref(L, LUA_REGISTRYINDEX);
      c->out->mask |= 1u << p;
    } else {
      lua_pop(L, 1);
    }
  }
  return 0;
}

/* Load path into *f (fn[] all LUA_NOREF on entry). Returns 0 or ORCA_EHOOK
 * with err; on failure *f holds no references. */
static int load_into(orca__hooks *h, const char *path, orca__hook_file *f, orca_err *err) {
  lua_State *L = h->L;
  fl_ctx c = {h, path, f};
  int top = lua_gettop(L);
  lua_pushcfunction(L, fl_load);
  lua_pushlightuserdata(L, &c);
  int st = lua_pcall(L, 1, 0, 0);
  int rc = 0;
  if (st != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (st == LUA_ERRMEM)
      rc = orca_err_set(err, ORCA_EHOOK, "%s: not enough memory to load (limit %zu bytes)", path,
                        h->mem_limit);
    else
      rc = orca_err_set(err, ORCA_EHOOK, "%s", msg ? msg : "cannot load hook file");
    file_unref(L, f);
  }
  lua_settop(L, top);
  return rc;
}

static void file_init(orca__hook_file *f) {
  f->path = NULL;
  f->mask = 0;
  for (int p = 0; p < ORCA__HOOK_NPOINTS; p++)
    f->fn[p] = LUA_NOREF;
}

int orca__files_get(orca__hooks *h, const char *path, orca_err *err) {
  for (size_t i = 0; i < h->nfiles; i++)
    if (strcmp(h->files[i].path, path) == 0)
      return (int)i;
  if (h->nfiles == h->capfiles) {
    size_t cap = h->capfiles ? h->capfiles * 2 : 4;
    orca__hook_file *nf = realloc(h->files, cap * sizeof *nf);
    if (!nf)
      return orca_err_set(err, ORCA_ENOMEM, "hooks: out of memory loading %s", path);
    h->files = nf;
    h->capfiles = cap;
  }
  orca__hook_file f;
  file_init(&f);
  int rc = load_into(h, path, &f, err);
  if (rc)
    return rc;
  f.path = strdup(path);
  if (!f.path) {
    file_unref(h->L, &f);
    return orca_err_set(err, ORCA_ENOMEM, "hooks: out of memory loading %s", path);
  }
  h->files[h->nfiles] = f;
  return (int)h->nfiles++;
}

int orca__files_reload(orca__hooks *h, orca_err *err) {
  if (h->nfiles == 0)
    return 0;
  orca__hook_file *fresh = calloc(h->nfiles, sizeof *fresh);
  if (!fresh)
    return orca_err_set(err, ORCA_ENOMEM, "hooks: out of memory reloading");
  size_t i;
  int rc = 0;
  for (i = 0; i < h->nfiles; i++) {
    file_init(&fresh[i]);
    rc = load_into(h, h->files[i].path, &fresh[i], err);
    if (rc)
      break;
  }
  if (rc) { /* all or nothing: drop what was loaded, keep the old scripts */
    for (size_t j = 0; j < i; j++)
      file_unref(h->L, &fresh[j]);
  } else {
    for (i = 0; i < h->nfiles; i++) {
      file_unref(h->L, &h->files[i]);
      memcpy(h->files[i].fn, fresh[i].fn, sizeof fresh[i].fn);
      h->files[i].mask = fresh[i].mask;
    }
  }
  free(fresh);
  return rc;
}

void orca__files_free(orca__hooks *h) {
  for (size_t i = 0; i < h->nfiles; i++) {
    if (h->L)
      file_unref(h->L, &h->files[i]);
    free(h->files[i].path);
  }
  free(h->files);
  h->files = NULL;
  h->nfiles = h->capfiles = 0;
}
