/* admin.c — the operator's API (orca/admin.h) over a client's backend
 * handle: per-queue counts, the dead-letter queue and tasks by state. Inspect and cancel are
 * in client.c, schedules in schedule_api.c. */
#include <stdint.h>
#include <stdlib.h>

#include "client/client_internal.h"
#include "orca/admin.h"

/* A non-zero answer of the caller's callback, kept apart from the backend's
 * own return code. */
typedef struct walk {
  orca_task_cb cb;
  void *ud;
  int stopped;
} walk;

static int on_task(void *ud, const orca_task_info *info) {
  walk *w = ud;
  return w->stopped = w->cb(w->ud, info);
}

int orca_queue_list(orca_client *c, orca_queue_cb cb, void *ud, orca_err *err) {
  if (!c || !cb)
    return orca_err_set(err, ORCA_EINVAL, "orca_queue_list: NULL client or callback");
  orca__backend *b = orca__client_backend(c);
  /* The backend fills a caller-sized array: grow it until the queues fit. */
  orca_queue_stats *st = NULL;
  size_t cap = 32, n = 0;
  int rc;
  for (;;) {
    orca_queue_stats *g = realloc(st, cap * sizeof *st);
    if (!g) {
      free(st);
      return orca_err_set(err, ORCA_ENOMEM, "queue stats: out of memory for %zu queues", cap);
    }
    st = g;
    if ((rc = b->ops->stats(b, st, cap, &n)) != 0 || n < cap)
      break;
    cap *= 2;
  }
  int stopped = 0;
  for (size_t i = 0; rc == 0 && i < n && !stopped; i++)
    stopped = cb(ud, &st[i]);
  free(st);
  if (rc)
    return orca_err_set(err, rc, "queue stats: %s", orca_strerror(rc));
  return stopped;
}

int orca_dlq_list(orca_client *c, const char *queue, size_t offset, size_t limit, orca_task_cb cb,
                  void *ud, orca_err *err) {
  if (!c || !cb)
    return orca_err_set(err, ORCA_EINVAL, "orca_dlq_list: NULL client or callback");
  orca__backend *b = orca__client_backend(c);
  walk w = {cb, ud, 0};
  int rc = b->ops->dlq_list(b, queue, offset, limit ? limit : SIZE_MAX, on_task, &w);
  if (w.stopped)
    return w.stopped;
  if (rc)
    return orca_err_set(err, rc, "dead letters of %s%s%s: %s", queue ? "queue '" : "every queue",
                        queue ? queue : "", queue ? "'" : "", orca_strerror(rc));
  return 0;
}

int orca_task_list(orca_client *c, orca_state state, const char *queue, size_t offset, size_t limit,
                   orca_task_cb cb, void *ud, orca_err *err) {
  if (!c || !cb)
    return orca_err_set(err, ORCA_EINVAL, "orca_task_list: NULL client or callback");
  if (state <= ORCA_STATE_UNKNOWN || state > ORCA_STATE_EXPIRED)
    return orca_err_set(err, ORCA_EINVAL, "task list: %d is not a task state", (int)state);
  orca__backend *b = orca__client_backend(c);
  if (!b->ops->task_list)
    return orca_err_set(err, ORCA_ENOTSUP, "task list: the %s backend cannot list tasks",
                        b->ops->scheme);
  walk w = {cb, ud, 0};
  int rc = b->ops->task_list(b, state, queue, offset, limit ? limit : SIZE_MAX, on_task, &w);
  if (w.stopped)
    return w.stopped;
  if (rc)
    return orca_err_set(err, rc, "%s tasks of %s%s%s: %s", orca_state_name(state),
                        queue ? "queue '" : "every queue", queue ? queue : "", queue ? "'" : "",
                        orca_strerror(rc));
  return 0;
}

/* requeue or purge: the same shape, one backend call. */
static int dlq_change(orca_client *c, bool requeue, const char *queue, const char *id,
                      size_t *count, orca_err *err) {
  const char *verb = requeue ? "requeue" : "purge";
  size_t n = 0;
  if (count)
    *count = 0;
  if (!c)
    return orca_err_set(err, ORCA_EINVAL, "orca_dlq_%s: NULL client", verb);
  orca__backend *b = orca__client_backend(c);
  int rc = requeue ? b->ops->dlq_requeue(b, queue, id, &n) : b->ops->dlq_purge(b, queue, id, &n);
  /* Backends differ on a named task that is not there (ENOTFOUND or a count
   * of 0): the caller always gets ENOTFOUND. */
  if ((rc == 0 && id && n == 0) || (rc == ORCA_ENOTFOUND && id))
    return orca_err_set(err, ORCA_ENOTFOUND, "dead letters: no dead task %s in %s%s%s", id,
                        queue ? "queue '" : "any queue", queue ? queue : "", queue ? "'" : "");
  if (rc)
    return orca_err_set(err, rc, "dead letters: %s %s%s of %s%s%s: %s", verb, id ? "task " : "all",
                        id ? id : "", queue ? "queue '" : "every queue", queue ? queue : "",
                        queue ? "'" : "", orca_strerror(rc));
  if (count)
    *count = n;
  return 0;
}

int orca_dlq_requeue(orca_client *c, const char *queue, const char *id, size_t *count,
                     orca_err *err) {
  return dlq_change(c, true, queue, id, count, err);
}

int orca_dlq_purge(orca_client *c, const char *queue, const char *id, size_t *count,
                   orca_err *err) {
  return dlq_change(c, false, queue, id, count, err);
}
