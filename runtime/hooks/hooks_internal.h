/* hooks_internal.h — what the files of runtime/hooks/ share: the state
 * struct, the loaded hook files, and the entry points of the sandbox
 * (sandbox.c), the file loader (files.c) and the msgpack -> Lua conversion
 * (convert.c). Only runtime/hooks/ includes this. */
#ifndef ORCA__HOOKS_INTERNAL_H
#define ORCA__HOOKS_INTERNAL_H

#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks/hooks.h"
#include "orca/memory.h"

/* The instruction budget is charged in steps of this many VM instructions
 * (the period of the count hook): small enough to stop a loop promptly, big
 * enough that the hook costs nothing measurable. */
#define ORCA__HOOKS_INSTR_STEP 1000

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
  size_t mem_used, mem_limit; /* bytes of Lua heap, checked by the allocator */
  uint32_t instr_limit;       /* per hook call */
  int64_t budget;             /* instructions left in the current call */
  bool exhausted;             /* the budget ran out; the count hook fires every instruction */
  unsigned gen;               /* reload generation this state has seen */
  char *hooks_path;           /* directory for relative @hook paths, or NULL */
  int global;                 /* index of the global file in files[], or -1 */
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

/* Start a budget of h->instr_limit instructions for the next call. */
void orca__sandbox_arm(orca__hooks *h);

/* Message handler for lua_pcall: turns the error into "message | traceback"
 * on one line. */
int orca__sandbox_msgh(lua_State *L);

/* Log a failed hook: "hook FILE: POINT for task NAME: message". */
void orca__sandbox_log_error(const char *file, const char *point, const char *task,
                             const char *msg);

/* The orca__hooks a Lua state belongs to (stored in its extra space). */
static inline orca__hooks *orca__sandbox_owner(lua_State *L) {
  return *(orca__hooks **)lua_getextraspace(L);
}

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
