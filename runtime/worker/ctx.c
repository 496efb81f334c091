/* ctx.c — the context a handler receives (orca/worker.h): identity of the
 * task and attempt, the cancelled flag (set from other threads by timeouts,
 * cancel requests and shutdown), headers, logging, failure text, and the
 * allocator for the result.
 *
 * A context lives in its handler thread's struct and is reused for every
 * task that thread runs; what it points to (envelope, arena) lives exactly
 * as long as the delivery. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "orca/log.h"
#include "worker/worker_internal.h"

static char *arena_strndup(orca_arena *a, const char *p, size_t n) {
  char *s = orca_arena_alloc(a, n + 1);
  if (s) {
    if (n)
      memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

void orca__ctx_init(orca_ctx *ctx, orca_worker *w, const orca_task_desc *task,
                    const orca__envelope *env, uint32_t attempt, int64_t deadline_us,
                    orca_arena *arena) {
  ctx->w = w;
  ctx->task = task;
  ctx->env = env;
  size_t n = env->id.len < ORCA_ID_MAX - 1 ? env->id.len : ORCA_ID_MAX - 1;
  memcpy(ctx->id, env->id.ptr, n);
  ctx->id[n] = '\0';
  ctx->attempt = attempt;
  ctx->deadline_us = deadline_us;
  atomic_store(&ctx->cancelled, ORCA__CANCEL_NONE);
  ctx->arena = arena;
  ctx->failed = false;
  ctx->error[0] = '\0';
  ctx->nheaders = 0;
  ctx->hkeys = ctx->hvals = NULL;
  if (env->nheaders) {
    ctx->hkeys = orca_arena_alloc(arena, env->nheaders * sizeof *ctx->hkeys);
    ctx->hvals = orca_arena_alloc(arena, env->nheaders * sizeof *ctx->hvals);
    if (ctx->hkeys && ctx->hvals) {
      for (size_t i = 0; i < env->nheaders; i++) {
        ctx->hkeys[i] = arena_strndup(arena, env->headers[i].key.ptr, env->headers[i].key.len);
        ctx->hvals[i] = arena_strndup(arena, env->headers[i].value.ptr, env->headers[i].value.len);
        if (!ctx->hkeys[i] || !ctx->hvals[i])
          break;
        ctx->nheaders = i + 1;
      }
    }
  }
}

const char *orca_ctx_task_id(const orca_ctx *ctx) {
  return ctx->id;
}

const char *orca_ctx_task_name(const orca_ctx *ctx) {
  return ctx->task->name;
}

uint32_t orca_ctx_attempt(const orca_ctx *ctx) {
  return ctx->attempt;
}

int64_t orca_ctx_deadline_us(const orca_ctx *ctx) {
  return ctx->deadline_us;
}

bool orca_ctx_cancelled(const orca_ctx *ctx) {
  return atomic_load_explicit(&((orca_ctx *)ctx)->cancelled, memory_order_acquire) !=
         ORCA__CANCEL_NONE;
}

const char *orca_ctx_header(const orca_ctx *ctx, const char *key) {
  for (size_t i = 0; i < ctx->nheaders; i++)
    if (strcmp(ctx->hkeys[i], key) == 0)
      return ctx->hvals[i];
  return NULL;
}

void *orca_ctx_user(const orca_ctx *ctx) {
  return ctx->w->user;
}

const orca_alloc *orca_ctx_alloc(orca_ctx *ctx) {
  return &ctx->arena->alloc;
}

int orca_ctx_fail(orca_ctx *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
  va_end(ap);
  ctx->failed = true;
  return ORCA_EFAIL;
}

void orca_ctx_log(orca_ctx *ctx, int level, const char *fmt, ...) {
  char msg[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  orca_log((orca_log_level)level, "%s %s attempt %u: %s", ctx->task->name, ctx->id, ctx->attempt,
           msg);
}
