/* points.c — the five hook points: build the `task` table a hook sees, call
 * the global hook then the task's own, and carry back what on_enqueue,
 * route and on_error decided.
 *
 * The task table is empty when the hook gets it; its metatable's __index
 * fills a field on first read (and caches it in the table), so a hook pays
 * only for what it reads: task.args is decoded from msgpack only when
 * touched. A table kept past its call reads nil for fields never read during
 * the call (the data behind it is gone). Writes land in the table itself;
 * after on_enqueue returns, the fields a hook may change (queue, priority,
 * delay, headers) are read back with rawget and checked.
 *
 * Each hook runs in one lua_pcall with the sandbox's message handler, so an
 * error anywhere — in the hook, in a conversion, or out of memory while
 * building the table — is logged with its traceback and leaves *t as it was
 * before that hook. */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hooks/hooks_internal.h"
#include "orca/log.h"
#include "orca/state.h"

/* One hook function being called, and what it decided. */
typedef struct pt_call {
  orca__hooks *h;
  orca__hook_task *t; /* written back only for on_enqueue and route */
  orca__hook_point point;
  const orca__hook_file *file;
  const char *error; /* on_error */
  const uint8_t *result;
  size_t result_len;
  /* outcomes */
  bool rejected;
  char reject_msg[200];
  bool changed; /* route: t->queue was set */
  orca__hook_decision *dec;
} pt_call;

/* ---- the task table ------------------------------------------------------ */

static void push_str(lua_State *L, orca__str s) {
  lua_pushlstring(L, s.len ? s.ptr : "", s.len);
}

static void push_ms(lua_State *L, int64_t us) {
  if (us % 1000 == 0)
    lua_pushinteger(L, us / 1000);
  else
    lua_pushnumber(L, (lua_Number)us / 1000.0);
}

/* __index(task, key): the field's value from the task of the running call,
 * cached in the table. */
static int pt_index(lua_State *L) {
  orca__hooks *h = orca__sandbox_owner(L);
  const orca__hook_task *t = h->cur;
  if (!t || lua_topointer(L, 1) != h->cur_table || lua_type(L, 2) != LUA_TSTRING)
    return 0;
  const char *k = lua_tostring(L, 2);
  switch (k[0]) {
  case 'a':
    if (strcmp(k, "args") == 0) {
      if (t->task->args_type) {
        h->converting = true; /* reset by the next arm if it raises */
        orca__convert_push(L, t->task->args_type, t->args, t->args_len, "task.args");
        h->converting = false;
      } else {
        lua_pushnil(L);
      }
    } else if (strcmp(k, "attempt") == 0) {
      lua_pushinteger(L, t->attempt);
    } else {
      return 0;
    }
    break;
  case 'd':
    if (strcmp(k, "delay") != 0)
      return 0;
    push_ms(L, t->delay_us);
    break;
  case 'h':
    if (strcmp(k, "headers") != 0)
      return 0;
    lua_createtable(L, 0, (int)t->nheaders);
    for (size_t i = 0; i < t->nheaders; i++) {
      push_str(L, t->headers[i].key);
      push_str(L, t->headers[i].value);
      lua_rawset(L, -3);
    }
    break;
  case 'i':
    if (strcmp(k, "id") != 0)
      return 0;
    push_str(L, t->id);
    break;
  case 'n':
    if (strcmp(k, "name") != 0)
      return 0;
    lua_pushstring(L, t->task->name);
    break;
  case 'p':
    if (strcmp(k, "priority") != 0)
      return 0;
    lua_pushinteger(L, t->priority);
    break;
  case 'q':
    if (strcmp(k, "queue") != 0)
      return 0;
    push_str(L, t->queue);
    break;
  default:
    return 0;
  }
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
  return 1;
}

/* Push a fresh task table with the shared metatable (made on first use). */
static void push_task_table(lua_State *L, orca__hooks *h) {
  lua_createtable(L, 0, 2);
  if (h->task_mt == LUA_NOREF) {
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, pt_index);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0); /* getmetatable(task) cannot reach or change it */
    lua_setfield(L, -2, "__metatable");
    h->task_mt = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->task_mt);
  lua_setmetatable(L, -2);
}

/* ---- writing back -------------------------------------------------------- */

static void bad(pt_call *c, const char *fmt, const char *got) {
  char msg[160];
  snprintf(msg, sizeof msg, fmt, got);
  orca__sandbox_log_error(c->file->path, orca__hook_point_names[c->point], c->t->task->name, msg);
}

/* Copy s[0..n) into the state's output arena (NUL-terminated). */
static const char *keep(pt_call *c, const char *s, size_t n) {
  char *p = orca_arena_alloc(&c->h->out, n + 1);
  if (!p)
    luaL_error(c->h->L, "out of memory keeping a hook's output");
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

/* A queue name at index idx: a non-empty string shorter than ORCA_NAME_MAX.
 * Sets t->queue when it differs; returns whether it did. */
static bool set_queue(pt_call *c, int idx, const char *what) {
  lua_State *L = c->h->L;
  size_t n;
  if (lua_type(L, idx) != LUA_TSTRING) {
    bad(c, what, luaL_typename(L, idx));
    return false;
  }
  const char *s = lua_tolstring(L, idx, &n);
  if (n == 0 || n >= ORCA_NAME_MAX || memchr(s, 0, n)) {
    bad(c, what, n == 0 ? "an empty string" : "a string too long or with NUL bytes");
    return false;
  }
  if (n == c->t->queue.len && memcmp(s, c->t->queue.ptr, n) == 0)
    return false;
  c->t->queue.ptr = keep(c, s, n);
  c->t->queue.len = n;
  return true;
}

/* Rebuild the header list from the task.headers table at idx: original keys
 * first in their order (dropped when set to nil), then new keys. Strings and
 * numbers are accepted as values; anything else rejects the whole change. */
static void set_headers(pt_call *c, int idx) {
  lua_State *L = c->h->L;
  orca__hook_task *t = c->t;
  orca__header out[ORCA__MAX_HEADERS];
  size_t n = 0;
  for (size_t i = 0; i < t->nheaders; i++) {
    push_str(L, t->headers[i].key);
    int ty = lua_rawget(L, idx);
    if (ty == LUA_TNIL) {
      lua_pop(L, 1);
      continue;
    }
    if (ty != LUA_TSTRING && ty != LUA_TNUMBER) {
      bad(c, "task.headers values must be strings, got a %s", lua_typename(L, ty));
      return;
    }
    size_t vl;
    const char *v = lua_tolstring(L, -1, &vl);
    out[n].key = t->headers[i].key;
    if (vl == t->headers[i].value.len && memcmp(v, t->headers[i].value.ptr, vl) == 0)
      out[n].value = t->headers[i].value;
    else
      out[n].value = (orca__str){keep(c, v, vl), vl};
    n++;
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      bad(c, "task.headers keys must be strings, got a %s", luaL_typename(L, -2));
      lua_pop(L, 2);
      return;
    }
    size_t kl, vl;
    const char *k = lua_tolstring(L, -2, &kl);
    bool known = false;
    for (size_t i = 0; i < t->nheaders && !known; i++)
      known = t->headers[i].key.len == kl && memcmp(t->headers[i].key.ptr, k, kl) == 0;
    if (known) {
      lua_pop(L, 1);
      continue;
    }
    int ty = lua_type(L, -1);
    if (ty != LUA_TSTRING && ty != LUA_TNUMBER) {
      bad(c, "task.headers values must be strings, got a %s", lua_typename(L, ty));
      lua_pop(L, 2);
      return;
    }
    if (n == ORCA__MAX_HEADERS) {
      bad(c, "task.headers holds more than 32 entries%s", "");
      lua_pop(L, 2);
      return;
    }
    lua_pushvalue(L, -1); /* tolstring on a copy: lua_next needs the original */
    const char *v = lua_tolstring(L, -1, &vl);
    out[n].key = (orca__str){keep(c, k, kl), kl};
    out[n].value = (orca__str){keep(c, v, vl), vl};
    n++;
    lua_pop(L, 2);
  }
  orca__header *arr = orca_arena_alloc(&c->h->out, sizeof out);
  if (!arr)
    luaL_error(L, "out of memory keeping a hook's headers");
  memcpy(arr, out, n * sizeof out[0]);
  t->headers = arr;
  t->nheaders = n;
}

/* After on_enqueue: carry the task table's changes into *t. */
static void write_back(pt_call *c, int task) {
  lua_State *L = c->h->L;
  orca__hook_task *t = c->t;
  lua_pushliteral(L, "queue");
  if (lua_rawget(L, task) != LUA_TNIL)
    set_queue(c, -1, "task.queue must be a queue name, got %s");
  lua_pop(L, 1);
  lua_pushliteral(L, "priority");
  if (lua_rawget(L, task) != LUA_TNIL) {
    int ok;
    lua_Integer p = lua_tointegerx(L, -1, &ok);
    if (ok && p >= 0 && p <= 9)
      t->priority = (int32_t)p;
    else
      bad(c, "task.priority must be an integer 0..9, got %s",
          lua_isnumber(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  lua_pushliteral(L, "delay");
  if (lua_rawget(L, task) != LUA_TNIL) {
    int ok;
    lua_Number ms = lua_tonumberx(L, -1, &ok);
    /* bound: about 292 years in microseconds */
    if (ok && ms >= 0 && ms * 1000.0 < 9.2e18)
      t->delay_us = (int64_t)llround(ms * 1000.0);
    else
      bad(c, "task.delay must be a number of milliseconds >= 0, got %s",
          lua_isnumber(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  lua_pushliteral(L, "headers");
  int ty = lua_rawget(L, task);
  if (ty == LUA_TTABLE)
    set_headers(c, lua_gettop(L));
  else if (ty != LUA_TNIL)
    bad(c, "task.headers must be a table, got a %s", lua_typename(L, ty));
  lua_pop(L, 1);
}

/* ---- calling ------------------------------------------------------------- */

/* Runs protected, the pt_call as light userdata at index 1. */
static int pt_run(lua_State *L) {
  pt_call *c = lua_touserdata(L, 1);
  orca__hooks *h = c->h;
  orca__budget_arm(h);
  push_task_table(L, h);
  int task = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->file->fn[c->point]);
  lua_pushvalue(L, task);
  int nargs = 1;
  if (c->point == ORCA__HOOK_AFTER_RUN) {
    if (c->t->task->result && c->result) {
      h->converting = true;
      orca__convert_push(L, c->t->task->result, c->result, c->result_len, "result");
      h->converting = false;
    } else {
      lua_pushnil(L);
    }
    nargs++;
  } else if (c->point == ORCA__HOOK_ON_ERROR) {
    lua_pushstring(L, c->error ? c->error : "");
    nargs++;
  }
  h->cur = c->t;
  h->cur_table = lua_topointer(L, task);
  lua_call(L, nargs, 2);
  h->cur = NULL;
  h->cur_table = NULL;
  int r1 = task + 1, r2 = task + 2;
  switch (c->point) {
  case ORCA__HOOK_ON_ENQUEUE:
    if (lua_type(L, r1) == LUA_TBOOLEAN && !lua_toboolean(L, r1)) {
      c->rejected = true;
      const char *m = lua_type(L, r2) == LUA_TSTRING ? lua_tostring(L, r2) : "no reason given";
      snprintf(c->reject_msg, sizeof c->reject_msg, "%s", m);
    } else {
      write_back(c, task);
    }
    break;
  case ORCA__HOOK_ROUTE:
    if (!lua_isnil(L, r1))
      c->changed |= set_queue(c, r1, "route must return a queue name or nil, got %s");
    break;
  case ORCA__HOOK_ON_ERROR:
    if (lua_type(L, r1) == LUA_TTABLE) {
      lua_pushliteral(L, "retry");
      int ty = lua_rawget(L, r1);
      if (ty == LUA_TBOOLEAN)
        c->dec->give_up = !lua_toboolean(L, -1);
      else if (ty != LUA_TNIL)
        bad(c, "on_error: retry must be a boolean, got a %s", lua_typename(L, ty));
      lua_pop(L, 1);
      lua_pushliteral(L, "delay");
      if (lua_rawget(L, r1) != LUA_TNIL) {
        int ok;
        lua_Number ms = lua_tonumberx(L, -1, &ok);
        if (ok && ms >= 0 && ms * 1000.0 < 9.2e18)
          c->dec->delay_us = (int64_t)llround(ms * 1000.0);
        else
          bad(c, "on_error: delay must be a number of milliseconds >= 0, got %s",
              lua_isnumber(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1));
      }
      lua_pop(L, 1);
    } else if (!lua_isnil(L, r1)) {
      bad(c, "on_error must return nil or a table, got a %s", luaL_typename(L, r1));
    }
    break;
  default:
    break;
  }
  return 0;
}

/* Call point p of every file that has it for t->task: the global file, then
 * the task's own. Stops after a rejection. */
static void run_chain(orca__hooks *h, pt_call *c) {
  orca__hooks_poll_reload(h);
  int files[2], n = 0;
  unsigned bit = 1u << c->point;
  int tf = orca__hooks_task_file(h, c->t->task);
  if (h->global >= 0 && (h->files[h->global].mask & bit))
    files[n++] = h->global;
  if (tf >= 0 && tf != h->global && (h->files[tf].mask & bit))
    files[n++] = tf;
  lua_State *L = h->L;
  for (int i = 0; i < n && !c->rejected; i++) {
    c->file = &h->files[files[i]];
    int base = lua_gettop(L);
    lua_pushcfunction(L, orca__sandbox_msgh);
    lua_pushcfunction(L, pt_run);
    lua_pushlightuserdata(L, c);
    orca__hook_task saved = *c->t;
    orca__hook_decision saved_dec = c->dec ? *c->dec : (orca__hook_decision){0};
    int st = lua_pcall(L, 1, 0, base + 1);
    h->cur = NULL;
    h->cur_table = NULL;
    orca__print_flush(h, false);
    if (st != LUA_OK) {
      h->errors++;
      /* all or nothing per hook: a failed hook changes nothing */
      *c->t = saved;
      if (c->dec)
        *c->dec = saved_dec;
      const char *msg = lua_tostring(L, -1);
      orca__sandbox_log_error(c->file->path, orca__hook_point_names[c->point], c->t->task->name,
                              st == LUA_ERRMEM ? "not enough memory (Lua heap limit reached)"
                              : msg            ? msg
                                               : "error object is not a string");
    }
    lua_settop(L, base);
  }
}

int orca__hooks_on_enqueue(orca__hooks *h, orca__hook_task *t, orca_err *err) {
  if (!h || !t || !t->task)
    return 0;
  orca_arena_reset(&h->out);
  pt_call c = {.h = h, .t = t, .point = ORCA__HOOK_ON_ENQUEUE};
  run_chain(h, &c);
  if (c.rejected)
    return orca_err_set(err, ORCA_EREJECTED, "task %s rejected by hook %s: %s", t->task->name,
                        c.file->path, c.reject_msg);
  return 0;
}

int orca__hooks_route(orca__hooks *h, orca__hook_task *t) {
  if (!h || !t || !t->task)
    return 0;
  pt_call c = {.h = h, .t = t, .point = ORCA__HOOK_ROUTE};
  run_chain(h, &c);
  return c.changed ? 1 : 0;
}

void orca__hooks_before_run(orca__hooks *h, const orca__hook_task *t) {
  if (!h || !t || !t->task)
    return;
  /* The run-time points never write into *t: a private copy keeps the
   * const promise while sharing run_chain. */
  orca__hook_task copy = *t;
  pt_call c = {.h = h, .t = &copy, .point = ORCA__HOOK_BEFORE_RUN};
  run_chain(h, &c);
}

void orca__hooks_after_run(orca__hooks *h, const orca__hook_task *t, const uint8_t *result,
                           size_t result_len) {
  if (!h || !t || !t->task)
    return;
  orca__hook_task copy = *t;
  pt_call c = {.h = h,
               .t = &copy,
               .point = ORCA__HOOK_AFTER_RUN,
               .result = result,
               .result_len = result_len};
  run_chain(h, &c);
}

void orca__hooks_on_error(orca__hooks *h, const orca__hook_task *t, const char *error,
                          orca__hook_decision *out) {
  out->give_up = false;
  out->delay_us = -1;
  if (!h || !t || !t->task)
    return;
  orca__hook_task copy = *t;
  pt_call c = {.h = h, .t = &copy, .point = ORCA__HOOK_ON_ERROR, .error = error, .dec = out};
  run_chain(h, &c);
}

uint64_t orca__hooks_errors(const orca__hooks *h) {
  return h ? h->errors : 0;
}
