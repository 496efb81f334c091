/* hooks_internal.h — what the files of runtime/hooks/ share: the state
 * struct, the loaded hook files, and the entry points of the sandbox
 * (sandbox.c), the file loader (files.c) and the msgpack -> Lua conversion
 * (convert.c). Only runtime/hooks/ includes this. */
#ifndef ORCA__HOOKS_INTERNAL_H
#define ORCA__HOOKS_INTERNAL_H

#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks/hooks.h"
#include "orca/memory.h"

/* The instruction budget is charged in steps of this many VM instructions
 * (the period of the count hook, which also checks the deadline): small
 * enough to stop a loop promptly, big enough that the hook costs nothing
 * measurable. A new coroutine is charged one step up front: it may run up to
 * a step before its own count hook first fires. */
#define ORCA__HOOKS_INSTR_STEP 1000

/* Work done inside C functions and the allocator is charged to the same
 * budget, in instruction units: one per this many bytes allocated or
 * produced (a VM instruction costs about as much as copying 32 bytes). */
#define ORCA__HOOKS_BYTES_PER_INSTR 32

/* An allocation growing the heap by at least this much makes the running
 * thread's count hook fire at its next instruction, so budget and deadline
 * are checked right after the C call that needed it (a loop of big `..`
 * runs few instructions). */
#define ORCA__HOOKS_BIG_ALLOC (64u << 10)

/* Hook code cannot make a string longer than the heap limit / this: an
 * operator on a long string (comparison, equality, conversion to a number)
 * costs time in proportion to its length inside one VM instruction, so the
 * longest string bounds the time between two checks of the deadline.
 * Strings converted from a task's args or result are exempt. */
#define ORCA__HOOKS_STRING_FRACTION 32

/* Pattern functions (string.find, match, gmatch, gsub) refuse a pattern
 * whose worst case on the subject exceeds this many matcher steps (see
 * pattern.c; about 0.1 s on a 2020s server core). */
#define ORCA__HOOKS_PATTERN_MAX_STEPS 50000000.0

/* What print() may write to the log: lines per hook call, and lines per
 * second per state. Lines over either limit are dropped and counted; one
 * "N log lines suppressed" notice per second at most reports them. */
#define ORCA__HOOKS_LOG_PER_CALL 50
#define ORCA__HOOKS_LOG_PER_SEC 200

/* One loaded hook file. fn[p] is a registry reference to the function for
 * point p, or LUA_NOREF; mask has bit p set when fn[p] is a function. */
typedef struct orca__hook_file {
  char *path; /* as resolved (owned) */
  int fn[ORCA__HOOK_NPOINTS];
  unsigned mask;
} orca__hook_file;

/* One task the state knows: its descriptor and the index of its hook file
 * in files[] (-1 = none). Kept in an open-addressing table keyed by the
 * descriptor's address. */
typedef struct orca__hook_slot {
  const orca_task_desc *task;
  int file;
} orca__hook_slot;

struct orca__hooks {
  lua_State *L;
  lua_State *running;         /* thread running hook code (budget.c keeps it) */
  bool converting;            /* args/result conversion: no string length cap */
  size_t mem_used, mem_limit; /* bytes of Lua heap, checked by the allocator */
  uint32_t instr_limit;       /* per hook call */
  uint32_t time_limit_ms;     /* wall-clock time per hook call */
  int64_t budget;             /* instructions left in the current call */
  int64_t deadline_us;        /* monotonic µs the current call must end by */
  bool exhausted;             /* the budget ran out; the count hook fires every instruction */
  bool timed_out;             /* ... because the deadline passed */
  uint32_t unclocked;         /* units charged since the clock was last read */
  /* print() limits (print.c) */
  unsigned log_call;     /* lines printed by the current call */
  unsigned log_win;      /* lines printed in the current one-second window */
  int64_t log_win_start; /* monotonic µs the window started */
  uint64_t log_dropped;  /* lines suppressed since the last notice */
  int64_t log_notice_at; /* monotonic µs of the last notice, 0 = never */
  unsigned gen;          /* reload generation this state has seen */
  uint64_t errors;       /* hook calls that failed at run time (orca__hooks_errors) */
  char *hooks_path;      /* directory for relative @hook paths, or NULL */
  int global;            /* index of the global file in files[], or -1 */
  orca__hook_file *files;
  size_t nfiles, capfiles;
  orca__hook_slot *slots; /* power-of-two capacity, NULL task = empty */
  size_t nslots, capslots;
  int task_mt; /* registry reference to the metatable of task tables */
  /* The call in progress (points.c): the task behind the current task table,
   * and that table's identity so a table kept past its call reads nothing. */
  const orca__hook_task *cur;
  const void *cur_table;
  orca_arena out; /* strings and header arrays written back to callers */
};

/* ---- hooks.c ------------------------------------------------------------ */

/* Reload now if orca__hooks_request_reload() was called since this state
 * last looked (every entry point calls this first, on the owning thread). */
void orca__hooks_poll_reload(orca__hooks *h);

/* Index in h->files of the task's own hook file, or -1 (none, or a task
 * never passed to orca__hooks_add_task). */
int orca__hooks_task_file(const orca__hooks *h, const orca_task_desc *task);

/* ---- sandbox.c ---------------------------------------------------------- */

/* Create the Lua state of h with the safe subset of the standard library,
 * the memory limit (h->mem_limit) and the instruction budget hook. Returns 0,
 * or ORCA_ENOMEM with err. */
int orca__sandbox_new(orca__hooks *h, orca_err *err);

/* Message handler for lua_pcall: turns the error into "message | traceback"
 * on one line. */
int orca__sandbox_msgh(lua_State *L);

/* Body of a wrapper C closure: call its upvalue 1 (the function it wraps)
 * with the wrapper's arguments and return all results. */
int orca__sandbox_call_original(lua_State *L);

/* Replace each function fns[i].name of the table at the top of the stack
 * with a closure of fns[i].func whose upvalue 1 is the function it replaces
 * (list ended by a NULL name). */
void orca__sandbox_wrap(lua_State *L, const luaL_Reg *fns);

/* Log a failed hook: "hook FILE: POINT for task NAME: message". */
void orca__sandbox_log_error(const char *file, const char *point, const char *task,
                             const char *msg);

/* The orca__hooks a Lua state belongs to (stored in its extra space). */
static inline orca__hooks *orca__sandbox_owner(lua_State *L) {
  return *(orca__hooks **)lua_getextraspace(L);
}

/* ---- budget.c ----------------------------------------------------------- */

/* Start the next call: a budget of h->instr_limit instructions, a deadline
 * h->time_limit_ms from now, and fresh print() counters. */
void orca__budget_arm(orca__hooks *h);

/* Install the count hook on a new state (once, from orca__sandbox_new). */
void orca__budget_install(orca__hooks *h);

/* Make the running thread's count hook fire at its next instruction (the
 * allocator calls this after a big allocation). Safe inside the allocator:
 * lua_sethook only sets fields of the thread. */
void orca__budget_poke(orca__hooks *h);

/* Charge `units` instructions of C work to the running call; check the
 * deadline once a count-hook step's worth has been charged since the clock
 * was last read. Raises the limit error ("instruction limit of N reached"
 * or "hook exceeded its time budget of N ms") when either is spent, so call
 * it only from a C function running under the sandbox. */
void orca__budget_charge(lua_State *L, uint64_t units);

/* Check the deadline now (before C work that may be long whatever its
 * charge); raises like orca__budget_charge. */
void orca__budget_check_clock(lua_State *L);

/* The clock deadlines and print() windows are measured with (coarse
 * monotonic µs). */
int64_t orca__budget_now_us(void);

/* Replace coroutine.create and coroutine.wrap in the table at the top of
 * the stack with versions that charge one count-hook step per coroutine,
 * and resume, close and the functions wrap returns with versions that keep
 * h->running up to date. */
void orca__budget_wrap_coroutine(lua_State *L);

/* ---- libs.c --------------------------------------------------------------- */

/* Fill the global table at the top of the stack with the libraries hooks
 * see (string, table, math, utf8, coroutine, os.time/clock): each a
 * read-only view of a table of charged functions, the string metatable's
 * __index pointing at the same pristine table. Runs protected. */
void orca__libs_open(lua_State *L);

/* Whether the table at idx is one of those read-only views (rawset refuses
 * them). */
bool orca__libs_is_readonly(lua_State *L, int idx);

/* ---- pattern.c ------------------------------------------------------------ */

/* Replace string.find, match, gmatch and gsub in the table at the top of
 * the stack with versions that refuse a pattern too complex for its subject
 * and charge the budget. */
void orca__pattern_wrap(lua_State *L);

/* Worst-case matcher steps of pattern p[0..m) over a subject of n bytes:
 * `find` for string.find/match (stop at the first match, ^ anchors),
 * otherwise gmatch/gsub (every position, ^ anchors in gsub only: pass
 * anchor_ok). plain: a substring search (string.find with plain = true or
 * a pattern without special characters). */
double orca__pattern_cost(const char *p, size_t m, size_t n, bool find, bool anchor_ok, bool plain);

/* ---- cwork.c -------------------------------------------------------------- */

/* Replace the C functions of the library table at the top of the stack
 * (named by `lib`) whose work is not proportional to VM instructions with
 * versions that charge it first (string.rep, table.*, utf8.*, ...). */
void orca__cwork_wrap(lua_State *L, const char *lib);

/* ---- print.c -------------------------------------------------------------- */

/* print() for hooks: to the orca log at INFO, within the per-call and
 * per-second limits. */
int orca__print(lua_State *L);

/* Log the "N log lines suppressed" notice if lines were dropped and no
 * notice was logged in the last second (or `force`). Call after each hook
 * call and at close. */
void orca__print_flush(orca__hooks *h, bool force);

/* ---- files.c ------------------------------------------------------------- */

/* Index of the file with this resolved path in h->files, loading it first
 * if needed. Returns the index, or ORCA_EHOOK / ORCA_ENOMEM with err. */
int orca__files_get(orca__hooks *h, const char *path, orca_err *err);

/* Re-read every file; all or nothing (see orca__hooks_reload). */
int orca__files_reload(orca__hooks *h, orca_err *err);

/* Release the registry references of every file and free the table. */
void orca__files_free(orca__hooks *h);

/* Name of a hook point as Lua code spells it ("on_enqueue", ...). */
extern const char *const orca__hook_point_names[ORCA__HOOK_NPOINTS];

/* ---- convert.c ----------------------------------------------------------- */

/* Decode one msgpack value of type t from data[0..len) and push it as a Lua
 * value (see docs/hooks.md for the mapping). `what` names the value in error
 * messages ("task.args"). Raises a Lua error on malformed or mistyped input,
 * so call it only from protected code. */
void orca__convert_push(lua_State *L, const orca_type *t, const uint8_t *data, size_t len,
                        const char *what);

#endif
