/* orca/admin.h — the operator's API: what `orca stats`, `orca dlq`,
 * `orca inspect`, `orca cancel` and `orca schedules` do, for any program
 * (the CLI, a dashboard, the Python bindings), through an orca_client.
 *
 * The whole set, by what it acts on:
 *   queues        orca_queue_list                   per-queue counts
 *   dead letters  orca_dlq_list, orca_dlq_requeue, orca_dlq_purge
 *   tasks         orca_task_list                    records by state, paged
 *   one task      orca_inspect, orca_cancel         (orca/client.h)
 *   schedules     orca_schedule_add, _get, _list, _pause, _resume, _remove
 *                                                    (orca/schedule.h)
 *   workers       orca_cluster_members              the peer network's members
 *
 * Rules every call here follows:
 *   - it runs on the client's backend connection, so like every client call
 *     it is used by one thread at a time;
 *   - it returns 0 or a negative ORCA_E* code, and on failure writes a
 *     one-line message into *err (err may be NULL);
 *   - a list calls cb once per item; the item is valid only during that call
 *     (copy what you keep); a non-zero return from cb stops the list and is
 *     returned as is;
 *   - strings passed in are read during the call and never kept. */
#ifndef ORCA_ADMIN_H
#define ORCA_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "orca/client.h"
#include "orca/error.h"
#include "orca/schedule.h"
#include "orca/state.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- queues ---- */

/* Called once per queue with its counts (orca_queue_stats in orca/state.h).
 * Return 0 to go on, anything else to stop. */
typedef int (*orca_queue_cb)(void *ud, const orca_queue_stats *q);

/* Call cb for every queue the backend knows (queues with tasks, dead letters
 * or counters), in the backend's order. Returns 0, cb's non-zero value, or a
 * backend error (ORCA_ECONNECT, ORCA_EBACKEND, ORCA_ENOMEM ...) with err. */
int orca_queue_list(orca_client *c, orca_queue_cb cb, void *ud, orca_err *err);

/* ---- dead letters ---- */

/* Called once per task record (orca_task_info in orca/state.h: id, task,
 * queue, last error, attempts, the arguments in info->args, ...). info and
 * its buffers belong to the library and are valid during the call only.
 * Return 0 to go on, anything else to stop. */
typedef int (*orca_task_cb)(void *ud, const orca_task_info *info);

/* Call cb for the dead tasks of `queue` (NULL = every queue), oldest death
 * first, skipping `offset` of them and stopping after `limit` (0 = no
 * limit). Dead tasks keep their arguments and last error until requeued or
 * purged. Returns 0, cb's non-zero value, ORCA_EINVAL for a queue name the
 * backend refuses, or a backend error, with err. */
int orca_dlq_list(orca_client *c, const char *queue, size_t offset, size_t limit, orca_task_cb cb,
                  void *ud, orca_err *err);

/* Put dead tasks back into their queue as pending, attempts reset: task
 * `id` (NULL = every dead task) of `queue` (NULL = every queue). *count
 * (may be NULL) gets how many were requeued. Returns 0 (also when there was
 * nothing to requeue and id is NULL), ORCA_ENOTFOUND when task `id` is not
 * dead there, or another error, with err. */
int orca_dlq_requeue(orca_client *c, const char *queue, const char *id, size_t *count,
                     orca_err *err);

/* Delete dead tasks for good (record, arguments and error): task `id` (NULL
 * = every dead task) of `queue` (NULL = every queue). *count (may be NULL)
 * gets how many were deleted. Returns like orca_dlq_requeue. */
int orca_dlq_purge(orca_client *c, const char *queue, const char *id, size_t *count, orca_err *err);

/* ---- tasks by state ---- */

/* Call cb for the task records of `queue` (NULL = every queue) that are in
 * `state`, skipping `offset` of them and stopping after `limit` (0 = no
 * limit), in that state's order: pending in fetch order (priority, then
 * due time), running by lease, scheduled and failed (waiting for a retry)
 * by due time, dead by time of death, succeeded, cancelled and expired the
 * latest first (by the expiry of their record). With queue NULL the order
 * across queues is the backend's (SQLite: one order over all; Redis: queue
 * by queue in name order). On Redis, states that share an index with
 * others (scheduled and failed; the three ended states) are looked for in
 * at most about 10,000 entries past the offset per queue and call. info
 * holds what orca_inspect gives (args while the backend keeps them).
 * Returns 0, cb's non-zero value, ORCA_EINVAL for a state that is not one
 * of the eight or a queue name the backend refuses, ORCA_ENOTSUP for a
 * backend that cannot list, or a backend error, with err. */
int orca_task_list(orca_client *c, orca_state state, const char *queue, size_t offset, size_t limit,
                   orca_task_cb cb, void *ud, orca_err *err);

/* ---- workers: the peer network (docs/peers.md) ---- */

/* One worker as the peer network sees it. */
typedef struct orca_member_info {
  char id[ORCA_NAME_MAX]; /* worker id */
  char addr[64];          /* "IP:PORT" its peer network listens on */
  const char *state;      /* "alive", "suspect", "dead" or "left" (static string) */
  char queues[256];       /* queues served with weights, "payments:3,default:1" */
  char version[32];       /* liborca version */
  unsigned concurrency;   /* handler threads */
  unsigned running;       /* tasks running, as last published (at most about 1 s old) */
  uint64_t incarnation;   /* SWIM incarnation: how often it refuted or changed metadata */
} orca_member_info;

/* Called once per worker, in id order. Return 0 to go on. */
typedef int (*orca_member_cb)(void *ud, const orca_member_info *m);

/* List the workers of the client's backend through the peer network: the
 * client joins the cluster for a moment as a transient member (it runs no
 * tasks and leaves at once), reaching every worker that advertises its
 * address in the backend, and reports the member table the workers sync
 * to it: the workers alive or suspect (dead and departed ones drop out).
 * Uses the client's cluster key (orca_client_opts.cluster_key_file or
 * $ORCA_CLUSTER_KEY_FILE). Blocks up to about 2 s. Returns 0, or with err:
 * ORCA_ENOTFOUND (no worker runs the peer network, or none with a key
 * like the client's), ORCA_ETIMEDOUT (none answered), ORCA_ENOTSUP (the
 * backend keeps no advertisements), a key file error, or cb's value. */
int orca_cluster_members(orca_client *c, orca_member_cb cb, void *ud, orca_err *err);

#ifdef __cplusplus
}
#endif
#endif
