/* client.c — the producer side (orca/client.h): encode arguments, build
 * envelopes, apply the task's policies (@unique, @cache, @priority,
 * @deadline), and hand whole batches to the backend in one call; wait for
 * results through the StateKeeper without polling.
 *
 * A client owns one backend handle and two buffers reused across calls (the
 * encoded args of a batch and its envelopes), so a steady producer allocates
 * only the per-batch job array. */
#include "client/client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "client/policy.h"
#include "codec/envelope.h"
#include "hooks/hooks.h"
#include "orca/codec.h"
#include "orca/log.h"
#include "statekeeper/record.h"

struct orca_client {
  orca__backend *b;
  const orca_clock *clock;
  orca_buf args;                /* encoded args of the current batch, back to back */
  orca_buf env;                 /* encoded envelopes of the current batch */
  orca__hooks *hooks;           /* on_enqueue / route; NULL until needed */
  const orca_task_desc **known; /* tasks already added to hooks */
  size_t nknown;
  char *key_file; /* orca_client_opts.cluster_key_file, copied */
};

int orca_client_open(const orca_client_opts *opts, orca_client **out, orca_err *err) {
  orca_client_opts o = {0};
  if (opts)
    o = *opts;
  *out = NULL;
  orca_client *c = calloc(1, sizeof *c);
  if (!c)
    return orca_err_set(err, ORCA_ENOMEM, "out of memory opening a client");
  c->clock = o.clock ? o.clock : &orca_clock_real;
  if (o.cluster_key_file && !(c->key_file = strdup(o.cluster_key_file))) {
    free(c);
    return orca_err_set(err, ORCA_ENOMEM, "out of memory opening a client");
  }
  orca__backend_opts bo = {.clock = c->clock};
  int rc = orca__backend_open(o.backend, &bo, &c->b, err);
  if (rc) {
    free(c->key_file);
    free(c);
    return rc;
  }
  if (o.hooks_file && (rc = orca__hooks_open(o.hooks_file, NULL, &c->hooks, err)) != 0) {
    orca_client_close(c);
    return rc;
  }
  *out = c;
  return 0;
}

void orca_client_close(orca_client *c) {
  if (!c)
    return;
  orca__backend_close(c->b);
  orca__hooks_close(c->hooks);
  free(c->known);
  orca_buf_free(&c->args);
  orca_buf_free(&c->env);
  free(c->key_file);
  free(c);
}

orca__backend *orca__client_backend(orca_client *c) {
  return c->b;
}

const char *orca__client_key_file(const orca_client *c) {
  return c->key_file;
}

static orca__str str_of(const char *s) {
  orca__str r = {s, s ? strlen(s) : 0};
  return r;
}

/* Per-batch bookkeeping of one job while its envelope is built. */
typedef struct pending {
  char id[ORCA_ID_MAX];
  char key[ORCA__KEY_MAX];
  char queue[ORCA_NAME_MAX]; /* after hooks */
  int32_t priority;          /* after hooks */
  int64_t eta_us;            /* after hooks; 0 = now */
  int status;                /* ORCA_EREJECTED by a hook, else 0 */
  size_t args_off, args_len; /* into c->args */
  size_t env_off, env_len;   /* into c->env */
  size_t job;                /* index in the backend batch */
} pending;

static int check_opts(const orca_task_desc *task, const orca_enqueue_opts *o, size_t n,
                      orca_err *err) {
  const char *queue = o->queue ? o->queue : task->queue;
  if (!queue || !*queue || strlen(queue) >= ORCA_NAME_MAX)
    return orca_err_set(err, ORCA_EINVAL, "enqueue %s: queue name empty or longer than %d bytes",
                        task->name, ORCA_NAME_MAX - 1);
  if (o->id && (!*o->id || strlen(o->id) >= ORCA_ID_MAX))
    return orca_err_set(err, ORCA_EINVAL, "enqueue %s: task id empty or longer than %d bytes",
                        task->name, ORCA_ID_MAX - 1);
  if (o->id && n > 1)
    return orca_err_set(err, ORCA_EINVAL,
                        "enqueue %s: a caller-chosen id cannot be shared by %zu tasks", task->name,
                        n);
  if (o->nheaders > ORCA__MAX_HEADERS)
    return orca_err_set(err, ORCA_EINVAL, "enqueue %s: %zu headers (at most %d)", task->name,
                        o->nheaders, ORCA__MAX_HEADERS);
  for (size_t i = 0; i < o->nheaders; i++)
    if (!o->headers[i].key || !o->headers[i].value)
      return orca_err_set(err, ORCA_EINVAL, "enqueue %s: header %zu has a NULL key or value",
                          task->name, i);
  return 0;
}

/* Make sure the client's hooks state knows task (its @hook file loaded).
 * Opens the state on first need when only per-task hooks exist. Returns 0,
 * ORCA_EHOOK or ORCA_ENOMEM with err. */
static int hooks_ready(orca_client *c, const orca_task_desc *task, orca_err *err) {
  if (!c->hooks && !task->hook)
    return 0;
  if (!c->hooks) {
    int rc = orca__hooks_open(NULL, NULL, &c->hooks, err);
    if (rc)
      return rc;
  }
  for (size_t i = 0; i < c->nknown; i++)
    if (c->known[i] == task)
      return 0;
  const orca_task_desc **k = realloc(c->known, (c->nknown + 1) * sizeof *k);
  if (!k)
    return orca_err_set(err, ORCA_ENOMEM, "enqueue %s: out of memory", task->name);
  c->known = k;
  int rc = orca__hooks_add_task(c->hooks, task, err);
  if (rc)
    return rc;
  c->known[c->nknown++] = task;
  return 0;
}

/* Run on_enqueue and route for one job; they may change queue, priority,
 * delay and headers (written back into p and e). */
static int hooks_enqueue(orca_client *c, const orca_task_desc *task, pending *p, orca__envelope *e,
                         int64_t now, orca_err *err) {
  if (!c->hooks || (!orca__hooks_wants(c->hooks, task, ORCA__HOOK_ON_ENQUEUE) &&
                    !orca__hooks_wants(c->hooks, task, ORCA__HOOK_ROUTE)))
    return 0;
  orca__hook_task t = {.task = task,
                       .id = {p->id, strlen(p->id)},
                       .attempt = 0,
                       .queue = {p->queue, strlen(p->queue)},
                       .priority = p->priority,
                       .delay_us = p->eta_us > now ? p->eta_us - now : 0,
                       .headers = e->nheaders ? e->headers : NULL,
                       .nheaders = e->nheaders,
                       .args = c->args.data + p->args_off,
                       .args_len = p->args_len};
  int rc = orca__hooks_on_enqueue(c->hooks, &t, err);
  if (rc)
    return rc;
  orca__hooks_route(c->hooks, &t);
  if (t.queue.len == 0 || t.queue.len >= ORCA_NAME_MAX)
    return orca_err_set(err, ORCA_EINVAL, "enqueue %s: a hook chose an invalid queue name",
                        task->name);
  memmove(p->queue, t.queue.ptr, t.queue.len);
  p->queue[t.queue.len] = '\0';
  p->priority = t.priority;
  p->eta_us = t.delay_us > 0 ? now + t.delay_us : 0;
  if (t.headers != e->headers) {
    e->nheaders = t.nheaders < ORCA__MAX_HEADERS ? t.nheaders : ORCA__MAX_HEADERS;
    for (size_t h = 0; h < e->nheaders; h++)
      e->headers[h] = t.headers[h];
  }
  return 0;
}

/* The heart of every enqueue: args already encoded back to back in c->args
 * (p[i].args_off/len). Runs hooks, builds envelopes and jobs, calls the
 * backend once, and sorts out @cache hits. */
static int enqueue_encoded(orca_client *c, const orca_task_desc *task, pending *p, size_t n,
                           const orca_enqueue_opts *o, char *ids, int *status, orca_err *err) {
  int64_t now = orca_clock_now(c->clock);
  int64_t eta = o->eta_us ? o->eta_us : (o->delay_us > 0 ? now + o->delay_us : 0);
  bool keyed = orca__policy_has_key(task);
  int rc = hooks_ready(c, task, err);
  if (rc)
    return rc;

  orca__envelope e;
  memset(&e, 0, sizeof e);
  orca_buf_reset(&c->env);
  size_t njobs = 0;
  int first_reject = 0;
  orca_err reject_err = {0};
  for (size_t i = 0; i < n; i++) {
    e.v = ORCA__ENVELOPE_VERSION;
    e.task = str_of(task->name);
    e.fingerprint = task->args ? task->args->fingerprint : 0;
    e.attempt = 0;
    e.enqueued_us = now;
    e.nheaders = o->nheaders;
    for (size_t h = 0; h < o->nheaders; h++) {
      e.headers[h].key = str_of(o->headers[h].key);
      e.headers[h].value = str_of(o->headers[h].value);
    }
    if (o->id)
      snprintf(p[i].id, sizeof p[i].id, "%s", o->id);
    else
      orca__id_new(c->clock, p[i].id);
    snprintf(p[i].queue, sizeof p[i].queue, "%s", o->queue ? o->queue : task->queue);
    p[i].priority = o->has_priority ? o->priority : task->priority;
    p[i].eta_us = eta > now ? eta : 0;
    p[i].status = 0;
    orca_err he = {0};
    rc = hooks_enqueue(c, task, &p[i], &e, now, &he);
    if (rc == ORCA_EREJECTED) {
      p[i].status = rc;
      if (!first_reject)
        reject_err = he;
      first_reject = 1;
      continue;
    }
    if (rc)
      return orca_err_set(err, rc, "%s", he.msg);
    int64_t due = p[i].eta_us > now ? p[i].eta_us : now;
    p[i].key[0] = '\0';
    if (keyed)
      orca__policy_key(task, c->args.data + p[i].args_off, p[i].args_len, p[i].key);
    e.id = str_of(p[i].id);
    e.queue = str_of(p[i].queue);
    e.priority = p[i].priority;
    e.eta_us = p[i].eta_us;
    e.deadline_us = orca__policy_deadline(task, o->deadline_us, due);
    e.unique_key = str_of(p[i].key);
    e.args = c->args.data + p[i].args_off;
    e.args_len = p[i].args_len;
    p[i].env_off = c->env.len;
    if (orca__envelope_encode(&e, &c->env))
      return orca_err_set(err, ORCA_ENOMEM, "enqueue %s: out of memory encoding the envelope",
                          task->name);
    p[i].env_len = c->env.len - p[i].env_off;
    p[i].job = njobs++;
  }

  orca__job jobs_1[1];
  orca__enqueue_result res_1[1];
  orca__job *jobs = n == 1 ? jobs_1 : calloc(n, sizeof *jobs);
  orca__enqueue_result *res = n == 1 ? res_1 : calloc(n, sizeof *res);
  if (!jobs || !res) {
    if (n != 1) {
      free(jobs);
      free(res);
    }
    return orca_err_set(err, ORCA_ENOMEM, "enqueue %s: out of memory for %zu jobs", task->name, n);
  }
  int64_t key_ttl = orca__policy_key_ttl(task), state_ttl = orca__policy_state_ttl(task);
  for (size_t i = 0; i < n; i++) {
    if (p[i].status)
      continue;
    size_t j = p[i].job;
    jobs[j] = (orca__job){
        .id = p[i].id,
        .task = task->name,
        .queue = p[i].queue,
        .priority = p[i].priority,
        .eta_us = p[i].eta_us > now ? p[i].eta_us : now,
        .attempt = 0,
        .payload = c->env.data + p[i].env_off,
        .payload_len = p[i].env_len,
        .unique_key = keyed ? p[i].key : NULL,
        .unique_ttl_us = keyed ? key_ttl : 0,
        .state_ttl_us = state_ttl,
    };
    memset(&res[j], 0, sizeof res[j]);
  }
  rc = njobs ? c->b->ops->enqueue(c->b, jobs, njobs, res) : 0;
  if (rc) {
    orca_err_set(err, rc, "enqueue %s: backend refused the batch of %zu: %s", task->name, njobs,
                 orca_strerror(rc));
  } else {
    for (size_t i = 0; i < n; i++) {
      int st = p[i].status;
      const char *id = p[i].id;
      if (st == 0) {
        st = res[p[i].job].status;
        if (st == ORCA_EDUPLICATE) {
          id = res[p[i].job].existing_id;
          /* @cache: the key's holder already finished with a result: the
           * caller gets that id as if it had just been enqueued. */
          if (task->cache_ttl_us > 0 && !(o->id && strcmp(o->id, id) == 0)) {
            orca_task_info info;
            memset(&info, 0, sizeof info);
            if (c->b->ops->state_get(c->b, id, &info) == 0 && info.state == ORCA_STATE_SUCCEEDED)
              st = 0;
            orca_buf_free(&info.result);
            orca_buf_free(&info.args);
          }
        }
      }
      if (ids)
        snprintf(ids + i * ORCA_ID_MAX, ORCA_ID_MAX, "%s", id);
      if (status)
        status[i] = st;
      if (n == 1 && st) {
        if (st == ORCA_EDUPLICATE)
          orca_err_set(err, st, "enqueue %s: duplicate of task %s", task->name, id);
        else if (st == ORCA_EREJECTED)
          orca_err_set(err, st, "%s", reject_err.msg);
        else
          orca_err_set(err, st, "enqueue %s: %s", task->name, orca_strerror(st));
      }
    }
  }
  if (n != 1) {
    free(jobs);
    free(res);
  }
  return rc;
}

static const orca_enqueue_opts no_opts;

int orca_enqueue_many(orca_client *c, const orca_task_desc *task, const void *const *args, size_t n,
                      const orca_enqueue_opts *opts, char *ids, int *status, orca_err *err) {
  const orca_enqueue_opts *o = opts ? opts : &no_opts;
  if (!c || !task || (n && !args))
    return orca_err_set(err, ORCA_EINVAL, "orca_enqueue_many: NULL client, task or args");
  if (n == 0)
    return 0;
  int rc = check_opts(task, o, n, err);
  if (rc)
    return rc;
  pending one[1];
  pending *p = n == 1 ? one : calloc(n, sizeof *p);
  if (!p)
    return orca_err_set(err, ORCA_ENOMEM, "enqueue %s: out of memory", task->name);
  orca_buf_reset(&c->args);
  for (size_t i = 0; i < n && rc == 0; i++) {
    p[i].args_off = c->args.len;
    rc = orca_pack(task->args_type, args[i], &c->args);
    if (rc)
      orca_err_set(err, rc, "enqueue %s: cannot encode args of task %zu: %s", task->name, i,
                   orca_strerror(rc));
    p[i].args_len = c->args.len - p[i].args_off;
  }
  if (rc == 0)
    rc = enqueue_encoded(c, task, p, n, o, ids, status, err);
  if (p != one)
    free(p);
  return rc;
}

int orca_enqueue(orca_client *c, const orca_task_desc *task, const void *args,
                 const orca_enqueue_opts *opts, char *id_out, orca_err *err) {
  const void *a[1] = {args};
  int st = 0;
  int rc = orca_enqueue_many(c, task, a, 1, opts, id_out, &st, err);
  return rc ? rc : st;
}

int orca_enqueue_raw(orca_client *c, const orca_task_desc *task, const uint8_t *args,
                     size_t args_len, const orca_enqueue_opts *opts, char *id_out, orca_err *err) {
  const orca_enqueue_opts *o = opts ? opts : &no_opts;
  if (!c || !task || (!args && args_len))
    return orca_err_set(err, ORCA_EINVAL, "orca_enqueue_raw: NULL client, task or args");
  int rc = check_opts(task, o, 1, err);
  if (rc)
    return rc;
  orca_buf_reset(&c->args);
  if (orca_buf_append(&c->args, args, args_len))
    return orca_err_set(err, ORCA_ENOMEM, "enqueue %s: out of memory", task->name);
  pending p = {.args_off = 0, .args_len = args_len};
  int st = 0;
  rc = enqueue_encoded(c, task, &p, 1, o, id_out, &st, err);
  return rc ? rc : st;
}

int orca_wait_result(orca_client *c, const orca_task_desc *task, const char *id, int64_t timeout_us,
                     void *result, const orca_alloc *alloc, orca_err *err) {
  if (!c || !id)
    return orca_err_set(err, ORCA_EINVAL, "orca_wait_result: NULL client or id");
  orca_task_info info;
  memset(&info, 0, sizeof info);
  int rc = c->b->ops->state_wait(c->b, id, timeout_us < 0 ? 0 : timeout_us, &info);
  if (rc == ORCA_ETIMEDOUT) {
    orca_err_set(err, rc, "task %s did not finish within %lld ms (state %s)", id,
                 (long long)(timeout_us / 1000), orca_state_name(info.state));
  } else if (rc == ORCA_ENOTFOUND) {
    orca_err_set(err, rc, "task %s not found (never enqueued, or its record expired)", id);
  } else if (rc) {
    orca_err_set(err, rc, "waiting for task %s: %s", id, orca_strerror(rc));
  } else {
    rc = orca__record_wait_status(&info, id, err);
    if (rc == 0 && result && task && task->result) {
      orca_err de = {0};
      rc = orca_unpack(task->result, info.result.data, info.result.len, result,
                       alloc ? alloc : &orca_heap, &de);
      if (rc)
        orca_err_set(err, rc, "task %s: cannot decode its result: %s", id, de.msg);
    }
  }
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  return rc;
}

int orca_inspect(orca_client *c, const char *id, orca_task_info *info, orca_err *err) {
  if (!c || !id || !info)
    return orca_err_set(err, ORCA_EINVAL, "orca_inspect: NULL client, id or info");
  int rc = c->b->ops->state_get(c->b, id, info);
  if (rc == ORCA_ENOTFOUND)
    return orca_err_set(err, rc, "task %s not found", id);
  if (rc)
    return orca_err_set(err, rc, "inspect %s: %s", id, orca_strerror(rc));
  return 0;
}

int orca_cancel(orca_client *c, const char *id, orca_err *err) {
  if (!c || !id)
    return orca_err_set(err, ORCA_EINVAL, "orca_cancel: NULL client or id");
  int rc = c->b->ops->cancel(c->b, id);
  if (rc == ORCA_ENOTFOUND)
    return orca_err_set(err, rc, "cancel %s: no such task", id);
  if (rc == ORCA_ESTATE)
    return orca_err_set(err, rc, "cancel %s: the task already ended", id);
  if (rc)
    return orca_err_set(err, rc, "cancel %s: %s", id, orca_strerror(rc));
  orca__cancel_direct(c, id);
  return 0;
}
