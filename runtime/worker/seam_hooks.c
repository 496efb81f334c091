/* seam_hooks.c — Lua hooks (runtime/hooks/) on a worker's task path: one
 * hooks state per handler thread, loaded before anything starts so a broken
 * hook file stops the worker at once with "file:line: message", and the
 * before_run / after_run / on_error calls of task.c (worker/seams.h). */
#include "hooks/hooks.h"
#include "worker/seams.h"

#include <string.h>

int orca__seam_hooks_open(orca_worker *w, orca_err *err) {
  bool any = w->hooks_file != NULL;
  for (size_t i = 0; i < w->nhandlers; i++)
    any = any || w->handlers[i].task->hook;
  for (unsigned t = 0; any && t < w->concurrency; t++) {
    int rc = orca__hooks_open(w->hooks_file, NULL, &w->threads[t].hooks, err);
    for (size_t i = 0; rc == 0 && i < w->nhandlers; i++)
      rc = orca__hooks_add_task(w->threads[t].hooks, w->handlers[i].task, err);
    if (rc)
      return rc;
  }
  return 0;
}

void orca__seam_hooks_close(orca_worker *w) {
  for (unsigned t = 0; w->threads && t < w->concurrency; t++) {
    orca__hooks_close(w->threads[t].hooks);
    w->threads[t].hooks = NULL;
  }
}

void orca__seam_hooks_reload(void) {
  orca__hooks_request_reload();
}

/* What a hook sees of one delivery: pointers into the decoded envelope. */
static void hook_task(orca__hook_task *hk, const orca_task_desc *t, const orca__envelope *env,
                      uint32_t attempt) {
  memset(hk, 0, sizeof *hk);
  hk->task = t;
  hk->id = env->id;
  hk->attempt = attempt;
  hk->queue = env->queue;
  hk->priority = env->priority;
  hk->headers = env->nheaders ? env->headers : NULL;
  hk->nheaders = env->nheaders;
  hk->args = env->args;
  hk->args_len = env->args_len;
}

void orca__seam_before_run(orca__hthread *ht, const orca_task_desc *t, const orca__envelope *env,
                           uint32_t attempt) {
  if (!ht->hooks || !orca__hooks_wants(ht->hooks, t, ORCA__HOOK_BEFORE_RUN))
    return;
  orca__hook_task hk;
  hook_task(&hk, t, env, attempt);
  uint64_t errors = orca__hooks_errors(ht->hooks);
  orca__hooks_before_run(ht->hooks, &hk);
  orca__seam_hook_call(ht, ORCA__HP_BEFORE_RUN, orca__hooks_errors(ht->hooks) != errors);
}

void orca__seam_after_run(orca__hthread *ht, const orca_task_desc *t, const orca__envelope *env,
                          uint32_t attempt, const orca_buf *result) {
  if (!ht->hooks || !orca__hooks_wants(ht->hooks, t, ORCA__HOOK_AFTER_RUN))
    return;
  orca__hook_task hk;
  hook_task(&hk, t, env, attempt);
  uint64_t errors = orca__hooks_errors(ht->hooks);
  orca__hooks_after_run(ht->hooks, &hk, result->data, result->len);
  orca__seam_hook_call(ht, ORCA__HP_AFTER_RUN, orca__hooks_errors(ht->hooks) != errors);
}

bool orca__seam_on_error(orca__hthread *ht, const orca_task_desc *t, const orca__envelope *env,
                         uint32_t attempt, const char *error, int64_t *delay_us) {
  *delay_us = -1;
  if (!ht->hooks || !orca__hooks_wants(ht->hooks, t, ORCA__HOOK_ON_ERROR))
    return false;
  orca__hook_task hk;
  orca__hook_decision d;
  hook_task(&hk, t, env, attempt);
  uint64_t errors = orca__hooks_errors(ht->hooks);
  orca__hooks_on_error(ht->hooks, &hk, error, &d);
  orca__seam_hook_call(ht, ORCA__HP_ON_ERROR, orca__hooks_errors(ht->hooks) != errors);
  *delay_us = d.delay_us;
  return d.give_up;
}
