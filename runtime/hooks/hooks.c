/* hooks.c — life cycle of a hook state: open, the tasks it knows, the cheap
 * "is there a hook here" check, limits, reload and close. The hook points
 * themselves are in points.c, the sandbox in sandbox.c.
 *
 * Reload on SIGHUP: the signal side only bumps a process-wide atomic
 * generation (orca__hooks_request_reload); each state compares it with the
 * generation it last saw at the start of every entry point and reloads on
 * its owning thread. No lock, no cross-thread touch of a Lua state. */
#include <lauxlib.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hooks_internal.h"
#include "orca/log.h"

static atomic_uint reload_gen;

void orca__hooks_request_reload(void) {
  atomic_fetch_add_explicit(&reload_gen, 1, memory_order_relaxed);
}

void orca__hooks_poll_reload(orca__hooks *h) {
  unsigned g = atomic_load_explicit(&reload_gen, memory_order_relaxed);
  if (g == h->gen)
    return;
  h->gen = g;
  orca_err err = {0};
  if (orca__hooks_reload(h, &err) == 0)
    orca_log(ORCA_LOG_INFO, "hooks: reloaded %zu file(s)", h->nfiles);
}

int orca__hooks_open(const char *global_file, const char *hooks_path, orca__hooks **out,
                     orca_err *err) {
  *out = NULL;
  orca__hooks *h = calloc(1, sizeof *h);
  if (!h)
    return orca_err_set(err, ORCA_ENOMEM, "hooks: out of memory");
  h->mem_limit = ORCA__HOOKS_MEM_DEFAULT;
  h->instr_limit = ORCA__HOOKS_INSTR_DEFAULT;
  h->time_limit_ms = ORCA__HOOKS_TIME_DEFAULT_MS;
  h->global = -1;
  h->task_mt = LUA_NOREF;
  h->gen = atomic_load_explicit(&reload_gen, memory_order_relaxed);
  orca_arena_init(&h->out, 0);
  int rc = 0;
  if (hooks_path && *hooks_path && !(h->hooks_path = strdup(hooks_path)))
    rc = orca_err_set(err, ORCA_ENOMEM, "hooks: out of memory");
  if (!rc)
    rc = orca__sandbox_new(h, err);
  if (!rc && global_file) {
    rc = orca__files_get(h, global_file, err);
    if (rc >= 0) {
      h->global = rc;
      rc = 0;
    }
  }
  if (rc) {
    orca__hooks_close(h);
    return rc;
  }
  *out = h;
  return 0;
}

/* Slot of task in the open-addressing table (the empty one where it would
 * go when absent). capslots is a power of two, never full. */
static orca__hook_slot *slot_find(const orca__hooks *h, const orca_task_desc *task) {
  uintptr_t x = (uintptr_t)task;
  size_t i = (size_t)((x >> 4) * 0x9E3779B97F4A7C15ull) & (h->capslots - 1);
  while (h->slots[i].task && h->slots[i].task != task)
    i = (i + 1) & (h->capslots - 1);
  return &h->slots[i];
}

static int slots_grow(orca__hooks *h) {
  size_t cap = h->capslots ? h->capslots * 2 : 16;
  orca__hook_slot *old = h->slots;
  size_t oldcap = h->capslots;
  h->slots = calloc(cap, sizeof *h->slots);
  if (!h->slots) {
    h->slots = old;
    return ORCA_ENOMEM;
  }
  h->capslots = cap;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i].task)
      *slot_find(h, old[i].task) = old[i];
  free(old);
  return 0;
}

/* Where a relative @hook path is looked for: hooks_path/path. */
static char *resolve(const orca__hooks *h, const char *path) {
  if (path[0] == '/' || !h->hooks_path)
    return strdup(path);
  size_t a = strlen(h->hooks_path), b = strlen(path);
  char *s = malloc(a + b + 2);
  if (s) {
    memcpy(s, h->hooks_path, a);
    s[a] = '/';
    memcpy(s + a + 1, path, b + 1);
  }
  return s;
}

int orca__hooks_add_task(orca__hooks *h, const orca_task_desc *task, orca_err *err) {
  if (!h || !task || !task->name)
    return orca_err_set(err, ORCA_EINVAL, "hooks: add_task needs a state and a named task");
  orca__hooks_poll_reload(h);
  if ((h->nslots + 1) * 2 > h->capslots && slots_grow(h))
    return orca_err_set(err, ORCA_ENOMEM, "hooks: out of memory adding task %s", task->name);
  orca__hook_slot *s = slot_find(h, task);
  if (s->task)
    return 0; /* already known */
  int file = -1;
  if (task->hook && *task->hook) {
    char *path = resolve(h, task->hook);
    if (!path)
      return orca_err_set(err, ORCA_ENOMEM, "hooks: out of memory adding task %s", task->name);
    file = orca__files_get(h, path, err);
    free(path);
    if (file < 0)
      return file;
  }
  s->task = task;
  s->file = file;
  h->nslots++;
  return 0;
}

bool orca__hooks_wants(orca__hooks *h, const orca_task_desc *task, orca__hook_point point) {
  if (!h)
    return false;
  orca__hooks_poll_reload(h);
  unsigned bit = 1u << point, mask = 0;
  if (h->global >= 0)
    mask |= h->files[h->global].mask;
  if (h->capslots && task) {
    const orca__hook_slot *s = slot_find(h, task);
    if (s->task && s->file >= 0)
      mask |= h->files[s->file].mask;
  }
  return (mask & bit) != 0;
}

int orca__hooks_reload(orca__hooks *h, orca_err *err) {
  orca_err local;
  if (!err)
    err = &local;
  int rc = orca__files_reload(h, err);
  if (rc)
    orca_log(ORCA_LOG_ERROR, "hooks: reload failed, keeping the previous scripts: %s", err->msg);
  return rc;
}

void orca__hooks_set_limits(orca__hooks *h, size_t mem_bytes, uint32_t instructions) {
  if (mem_bytes)
    h->mem_limit = mem_bytes;
  if (instructions)
    h->instr_limit = instructions;
}

void orca__hooks_set_time_limit(orca__hooks *h, uint32_t ms) {
  if (ms)
    h->time_limit_ms = ms;
}

void orca__hooks_close(orca__hooks *h) {
  if (!h)
    return;
  orca__files_free(h);
  if (h->L) {
    /* Finalizers a hook left behind run now, under a fresh budget. */
    orca__budget_arm(h);
    lua_close(h->L);
    orca__print_flush(h, true);
  }
  free(h->slots);
  free(h->hooks_path);
  orca_arena_free(&h->out);
  free(h);
}

int orca__hooks_task_file(const orca__hooks *h, const orca_task_desc *task) {
  if (!h->capslots || !task)
    return -1;
  const orca__hook_slot *s = slot_find(h, task);
  return s->task ? s->file : -1;
}
