/* budget.c — how long one hook call may run: an instruction budget and a
 * wall-clock deadline, shared by every coroutine of the state.
 *
 * A count hook fires every ORCA__HOOKS_INSTR_STEP VM instructions of any
 * thread (a coroutine inherits it from the thread that creates it): it
 * charges the step to the budget and reads the clock. C functions whose
 * work is not counted in instructions charge it themselves through
 * orca__budget_charge (cwork.c, pattern.c), which reads the clock once a
 * step's worth of units has been charged since the last reading, and the
 * allocator charges what it hands out (sandbox.c). The clock is the coarse
 * monotonic one (a few ms of resolution, a fraction of the cost of the
 * precise one where reading the clock traps to the hypervisor). Once the budget or
 * the time is spent, the thread that noticed fires its hook on every
 * instruction and fails each time, so a pcall loop cannot swallow the error
 * for long; a coroutine still at the normal period fails at its next firing.
 *
 * Each thread counts its own instructions, so a coroutine that runs fewer
 * than a step and ends is never charged by the hook: creating one costs a
 * full step up front instead, which keeps a tree of short coroutines inside
 * the budget.
 *
 * h->running is the thread executing hook code: the main thread, or the
 * coroutine a resume (coroutine.resume, a function from coroutine.wrap,
 * coroutine.close running __close handlers) switched to, restored when the
 * switch returns or fails. The allocator uses it to make the count hook
 * fire right after a big allocation (orca__budget_poke). */
#include <lauxlib.h>

#include <time.h>

#include "hooks/hooks_internal.h"

static void bg_count(lua_State *L, lua_Debug *ar);

/* The limit is spent: from now on every instruction of this thread fails. */
static int bg_fail(lua_State *L, orca__hooks *h) {
  h->exhausted = true;
  if (h->budget > 0)
    h->budget = 0;
  if (lua_gethookcount(L) != 1)
    lua_sethook(L, bg_count, LUA_MASKCOUNT, 1);
  if (h->timed_out)
    return luaL_error(L, "hook exceeded its time budget of %d ms", (int)h->time_limit_ms);
  return luaL_error(L, "instruction limit of %I reached", (lua_Integer)h->instr_limit);
}

int64_t orca__budget_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool bg_late(orca__hooks *h) {
  h->unclocked = 0;
  if (!h->timed_out && orca__budget_now_us() > h->deadline_us)
    h->timed_out = true;
  return h->timed_out;
}

/* Count hook: charge the instructions run since the last firing. A thread
 * kept from an earlier call may still fire every instruction: it goes back
 * to the normal period as soon as a fresh budget is seen. */
static void bg_count(lua_State *L, lua_Debug *ar) {
  (void)ar;
  orca__hooks *h = orca__sandbox_owner(L);
  int step = lua_gethookcount(L);
  h->budget -= step;
  if (h->budget > 0 && !bg_late(h)) {
    if (step != ORCA__HOOKS_INSTR_STEP)
      lua_sethook(L, bg_count, LUA_MASKCOUNT, ORCA__HOOKS_INSTR_STEP);
    return;
  }
  bg_fail(L, h);
}

void orca__budget_charge(lua_State *L, uint64_t units) {
  orca__hooks *h = orca__sandbox_owner(L);
  h->budget -= units > (uint64_t)INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)units;
  h->unclocked += units > ORCA__HOOKS_INSTR_STEP ? ORCA__HOOKS_INSTR_STEP : (uint32_t)units;
  if (h->budget <= 0 || (h->unclocked >= ORCA__HOOKS_INSTR_STEP && bg_late(h)))
    bg_fail(L, h);
}

void orca__budget_check_clock(lua_State *L) {
  orca__hooks *h = orca__sandbox_owner(L);
  if (bg_late(h))
    bg_fail(L, h);
}

void orca__budget_poke(orca__hooks *h) {
  if (h->running)
    lua_sethook(h->running, bg_count, LUA_MASKCOUNT, 1);
}

void orca__budget_arm(orca__hooks *h) {
  h->running = h->L;
  h->converting = false;
  h->budget = (int64_t)h->instr_limit;
  h->deadline_us = orca__budget_now_us() + (int64_t)h->time_limit_ms * 1000;
  h->timed_out = false;
  h->unclocked = 0;
  h->log_call = 0;
  if (h->exhausted) {
    h->exhausted = false;
    lua_sethook(h->L, bg_count, LUA_MASKCOUNT, ORCA__HOOKS_INSTR_STEP);
  }
}

void orca__budget_install(orca__hooks *h) {
  h->exhausted = false;
  h->running = h->L;
  lua_sethook(h->L, bg_count, LUA_MASKCOUNT, ORCA__HOOKS_INSTR_STEP);
}

/* coroutine.create / coroutine.wrap: charge a step, then the original
 * (upvalue 1) with the same arguments. */
static int bg_newthread(lua_State *L) {
  orca__budget_charge(L, ORCA__HOOKS_INSTR_STEP);
  return orca__sandbox_call_original(L);
}

/* Call upvalue 1 with the arguments while `co` runs hook code; restore
 * h->running whether it returns or raises (then raise again). */
static int bg_switch(lua_State *L, lua_State *co) {
  orca__hooks *h = orca__sandbox_owner(L);
  lua_State *prev = h->running;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  h->running = co;
  int st = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  h->running = prev;
  if (st != LUA_OK)
    return lua_error(L);
  return lua_gettop(L);
}

/* coroutine.resume(co, ...) and coroutine.close(co). */
static int bg_resume(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  return co ? bg_switch(L, co) : orca__sandbox_call_original(L);
}

/* A function returned by coroutine.wrap: upvalue 2 is its thread. */
static int bg_wrapped(lua_State *L) {
  return bg_switch(L, lua_tothread(L, lua_upvalueindex(2)));
}

/* coroutine.wrap(f): the original's function, wrapped by bg_wrapped. */
static int bg_wrap(lua_State *L) {
  bg_newthread(L);
  lua_getupvalue(L, -1, 1); /* the thread the original closes over */
  if (!lua_isthread(L, -1))
    return luaL_error(L, "coroutine.wrap: unexpected closure");
  lua_pushcclosure(L, bg_wrapped, 2);
  return 1;
}

void orca__budget_wrap_coroutine(lua_State *L) {
  static const luaL_Reg fns[] = {{"create", bg_newthread},
                                 {"wrap", bg_wrap},
                                 {"resume", bg_resume},
                                 {"close", bg_resume},
                                 {NULL, NULL}};
  orca__sandbox_wrap(L, fns);
}
