/* hooks.h — the internal API of Lua hooks: user scripts that run around
 * enqueue, run and failure of a task (docs/hooks.md is the user's guide).
 *
 * One orca__hooks is one sandboxed Lua 5.4 state holding the global hook file
 * (--hooks FILE) and the per-task files (@hook in .orca). A state is NOT
 * thread-safe: the client owns one, every handler thread of a worker owns
 * one, and each is only ever used by its owning thread. Reload (SIGHUP) is
 * therefore asynchronous: the signal side calls orca__hooks_request_reload()
 * (async-signal-safe, bumps a process-wide generation), and every state
 * reloads its files itself at its next call on its owning thread.
 *
 * Failure policy: a syntax error in a hook file is fatal at open/add_task
 * (ORCA_EHOOK, "file:line: message") so a worker stops at start. A runtime
 * error or a limit reached inside a hook is logged (orca_log, with a Lua
 * traceback) and ignored: the call returns as if that hook did nothing, the
 * task continues under its declared policy and the state stays usable.
 *
 * Order when both a global and a per-task hook define a point: the global one
 * runs first, then the task's, on the same `task` table (the second sees the
 * first one's changes). route: the last non-nil answer wins. on_error: the
 * task's decision overrides the global one field by field. A rejection by the
 * first stops the chain. */
#ifndef ORCA__HOOKS_H
#define ORCA__HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/envelope.h"
#include "orca/error.h"
#include "orca/schema.h"

typedef struct orca__hooks orca__hooks;

/* Hook points, for orca__hooks_wants(). */
typedef enum orca__hook_point {
  ORCA__HOOK_ON_ENQUEUE = 0,
  ORCA__HOOK_ROUTE,
  ORCA__HOOK_BEFORE_RUN,
  ORCA__HOOK_AFTER_RUN,
  ORCA__HOOK_ON_ERROR,
  ORCA__HOOK_NPOINTS
} orca__hook_point;

/* Default limits of one state (orca__hooks_set_limits changes them). */
#define ORCA__HOOKS_MEM_DEFAULT (32u << 20) /* bytes of Lua heap per state */
#define ORCA__HOOKS_INSTR_DEFAULT 10000000u /* VM instructions per hook call */
#define ORCA__HOOKS_TIME_DEFAULT_MS 1000u   /* wall-clock ms per hook call */

/* What a hook sees of one task, and what on_enqueue / route may change.
 * The caller fills it; strings are (ptr,len) so an envelope decoded zero-copy
 * can be passed as is. Fields marked in/out are rewritten by on_enqueue and
 * route; new strings and header arrays then point into memory owned by the
 * orca__hooks, valid until the next orca__hooks_on_enqueue on the same
 * orca__hooks (route keeps them valid; encode the envelope before the next
 * enqueue). Nothing else in *t is written. */
typedef struct orca__hook_task {
  const orca_task_desc *task;  /* the declared task (name, types, policies); required */
  orca__str id;                /* task id */
  uint32_t attempt;            /* 1-based attempt about to run / that ran; 0 at enqueue */
  orca__str queue;             /* in/out */
  int32_t priority;            /* in/out (0..9) */
  int64_t delay_us;            /* in/out: delay before the first run, >= 0 (Lua: ms) */
  const orca__header *headers; /* in/out: nheaders entries (NULL if none); when a hook
                                  changes them this points to an array owned by the hooks */
  size_t nheaders;             /* in/out: at most ORCA__MAX_HEADERS */
  const uint8_t *args;         /* msgpack of the args struct (task->args); NULL = none */
  size_t args_len;
} orca__hook_task;

/* What on_error decided. Filled by orca__hooks_on_error(). */
typedef struct orca__hook_decision {
  bool give_up;     /* a hook returned {retry = false}: no further attempt */
  int64_t delay_us; /* >= 0: next attempt after this delay instead of the policy's
                       back-off (still bounded by retry.max_attempts); -1 = policy */
} orca__hook_decision;

/* Create a sandboxed state and load the global hook file (NULL = none).
 * hooks_path is the directory relative @hook paths are resolved against (NULL
 * = the working directory); it is copied. Returns 0 and *out (free with
 * orca__hooks_close), ORCA_EHOOK with err "file:line: message" for a file
 * that does not load (syntax error, missing, binary chunk, not returning a
 * table of functions), or ORCA_ENOMEM. */
int orca__hooks_open(const char *global_file, const char *hooks_path, orca__hooks **out,
                     orca_err *err);

/* Make the state aware of a task: loads task->hook when set (each file once
 * per state, shared by the tasks that name it). Call once per task after
 * open, on every state. The descriptor must outlive the state. Returns 0
 * (also for a task without hook), ORCA_EHOOK with err "file:line: message",
 * or ORCA_ENOMEM. */
int orca__hooks_add_task(orca__hooks *h, const orca_task_desc *task, orca_err *err);

/* Whether any loaded hook (global or task's) defines `point` for this task.
 * Cheap (no Lua): callers skip building an orca__hook_task when false. Also
 * performs a pending reload (see orca__hooks_request_reload). */
bool orca__hooks_wants(orca__hooks *h, const orca_task_desc *task, orca__hook_point point);

/* Client, before encoding the envelope: run on_enqueue. The hooks may change
 * queue, priority, delay_us and headers in *t. Returns 0 (also when a hook
 * failed at run time: logged, its changes dropped), or ORCA_EREJECTED with
 * err "task NAME rejected by hook FILE: message" when a hook returned
 * false[, message]. */
int orca__hooks_on_enqueue(orca__hooks *h, orca__hook_task *t, orca_err *err);

/* Client, after on_enqueue: run route. When a hook returns a queue name,
 * t->queue is set to it. Returns 1 if the queue changed, 0 otherwise (no
 * hook, nil answer, runtime error — logged). */
int orca__hooks_route(orca__hooks *h, orca__hook_task *t);

/* Worker, on the handler thread, right before the handler. Errors logged. */
void orca__hooks_before_run(orca__hooks *h, const orca__hook_task *t);

/* Worker, after a successful handler: result is the msgpack of the result
 * value (task->result; NULL/0 when the task has none). Errors logged. */
void orca__hooks_after_run(orca__hooks *h, const orca__hook_task *t, const uint8_t *result,
                           size_t result_len);

/* Worker, after a failed attempt (before the retry policy is applied):
 * `error` is the failure text. *out is always written: {false, -1} when no
 * hook decided (or it failed: logged). */
void orca__hooks_on_error(orca__hooks *h, const orca__hook_task *t, const char *error,
                          orca__hook_decision *out);

/* How many hook calls of this state failed at run time (an error, the
 * instruction, time or memory limit) since it was opened; read on the
 * owning thread (metrics compare it around a call). */
uint64_t orca__hooks_errors(const orca__hooks *h);

/* Re-read every file of this state now, on the calling (owning) thread. All
 * or nothing: if any file fails, the old scripts stay in place and the error
 * is returned (ORCA_EHOOK, err "file:line: message") and logged. */
int orca__hooks_reload(orca__hooks *h, orca_err *err);

/* Ask every state of the process to reload at its next call (SIGHUP).
 * Async-signal-safe and thread-safe: only bumps an atomic generation. */
void orca__hooks_request_reload(void);

/* Change the limits of a state: Lua heap bytes (0 = keep) and VM
 * instructions per hook call (0 = keep). For tests and embedders. */
void orca__hooks_set_limits(orca__hooks *h, size_t mem_bytes, uint32_t instructions);

/* Change the wall-clock time a hook call may take (0 = keep). The deadline
 * also bounds C work the instruction count does not see (docs/hooks.md). For
 * tests and embedders. */
void orca__hooks_set_time_limit(orca__hooks *h, uint32_t ms);

/* Free the state (NULL is fine). */
void orca__hooks_close(orca__hooks *h);

#endif
