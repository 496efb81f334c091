/* seams.h — where hooks/, timekeeper/, peer/ and metrics/ (with http/) plug
 * into a worker.
 *
 * The worker's own files (worker.c, loop.c, pump.c, pool.c, task.c, ctx.c)
 * include no header of those folders. They call the seams below, and one
 * adapter per plug-in (seam_hooks.c, seam_timekeeper.c, seam_peer.c,
 * seam_metrics.c) is the only worker file that knows the plug-in's internal
 * API.
 *
 * Two kinds of seams:
 *   - loop services live on the worker's libuv loop while orca_worker_run
 *     runs: started on the loop thread before the pump and the handler
 *     threads, stopped when the loop closes (the peer network, the
 *     TimeKeeper);
 *   - the task path: Lua hooks that handler threads run around one delivery,
 *     one hooks state per thread (Lua states are not thread-safe), and the
 *     metrics that threads record (one shard of counters per thread: no
 *     lock, no allocation; all of them no-ops when metrics are off). */
#ifndef ORCA__WORKER_SEAMS_H
#define ORCA__WORKER_SEAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "codec/envelope.h"
#include "orca/error.h"
#include "orca/schema.h"
#include "worker/worker_internal.h"

/* ---- loop services ---- */

typedef struct orca__loop_service {
  const char *name; /* for messages */
  /* Start on the loop thread: w->loop is running-ready, no other worker
   * thread exists yet. Returns 0 and *state (passed to stop), or an error
   * with err; the worker then does not run. */
  int (*start)(orca_worker *w, void **state, orca_err *err);
  /* Stop on the loop thread: close the service's handles on w->loop (the
   * loop runs on to finish the closes and any work in flight) and release
   * state. */
  void (*stop)(void *state);
} orca__loop_service;

/* The services every worker runs, in start order; stopped in reverse. The
 * table (loop.c) has at most ORCA__MAX_LOOP_SERVICES entries. */
extern const orca__loop_service *const orca__loop_services[];
extern const size_t orca__nloop_services;

/* seam_timekeeper.c: the TimeKeeper (schedules of the registered schemas
 * when run_schedules, deferred tasks and retries) on the worker's loop. */
extern const orca__loop_service orca__timekeeper_service;

/* seam_peer.c: the peer network (when run_peer): discovery through the
 * backend, release of a dead member's leases, direct cancels, the live
 * member list orca__worker_owns reads. Started before the TimeKeeper. */
extern const orca__loop_service orca__peer_service;
/* Check the peer network's settings before a worker opens (the command
 * line): addr ("IP:PORT", NULL = default) and the seeds of join ("IP:PORT,
 * ...", NULL = none) parse, and without a key (key_file NULL and no
 * $ORCA_CLUSTER_KEY_FILE) are loopback; the key file loads. Returns 0 or
 * ORCA_EINVAL / ORCA_EIO / ORCA_ENOTFOUND with err naming the value (never
 * the key). */
int orca__seam_peer_check(const char *addr, const char *join, const char *key_file, orca_err *err);

/* ---- hooks on the task path (seam_hooks.c) ---- */

/* Open one hooks state per handler thread, with the global hooks file and
 * every registered task's @hook, before any thread starts: a file that does
 * not load fails here with ORCA_EHOOK and "file:line: message" in err. Opens
 * nothing when no hook is configured. Returns 0 or an error (states opened
 * so far stay for orca__seam_hooks_close). */
int orca__seam_hooks_open(orca_worker *w, orca_err *err);
/* Close every thread's state (safe when none was opened). */
void orca__seam_hooks_close(orca_worker *w);
/* SIGHUP: every state reloads its files at its next call, on its thread.
 * Async-signal-safe. */
void orca__seam_hooks_reload(void);

/* On handler thread ht, for attempt `attempt` of the delivery env of task
 * t. No-ops when the thread has no hooks state or no hook defines the
 * point; hook failures are logged by the hooks, never returned. */
void orca__seam_before_run(orca__hthread *ht, const orca_task_desc *t, const orca__envelope *env,
                           uint32_t attempt);
/* After a success; result is the encoded result (empty when none). */
void orca__seam_after_run(orca__hthread *ht, const orca_task_desc *t, const orca__envelope *env,
                          uint32_t attempt, const orca_buf *result);
/* After a failed attempt, before the retry policy: returns true when a hook
 * gave up (dead now); *delay_us is the delay a hook chose for the retry, or
 * -1 for the policy's back-off. */
bool orca__seam_on_error(orca__hthread *ht, const orca_task_desc *t, const orca__envelope *env,
                         uint32_t attempt, const char *error, int64_t *delay_us);

/* ---- metrics (seam_metrics.c) ---- */

/* What task.c learned of one delivery, for the metrics. */
typedef struct orca__task_obs {
  const orca__handler *h; /* NULL: no handler here, or the envelope did not decode */
  bool ran;               /* the handler was called */
  int64_t due_us;         /* when the delivery came due: its enqueue or its eta; 0 unknown */
  int64_t ended_us;       /* when the handler returned (ran only) */
} orca__task_obs;

/* Backend calls of the task path the pump times. */
enum { ORCA__OP_FETCH, ORCA__OP_COMPLETE, ORCA__OP_EXTEND, ORCA__OP_STATS, ORCA__NOPS };

/* At prepare, when w->metrics_listen is set: the registry (a series per
 * registered task and queue) and one shard per thread. Returns 0 (nothing
 * done without --metrics) or ORCA_ENOMEM with err. */
int orca__seam_metrics_open(orca_worker *w, orca_err *err);
/* Free the registry (safe when none was made). */
void orca__seam_metrics_close(orca_worker *w);
/* Handler thread ht, after delivery s ended as its completion says. */
void orca__seam_task_end(orca__hthread *ht, const orca__slot *s, const orca__task_obs *o);
/* Around one backend call of the task path (pump thread): t0 =
 * orca__seam_call_start(w) before it (0 without metrics: no clock read),
 * orca__seam_backend_call(w, ORCA__OP_*, t0, rc) after it. */
int64_t orca__seam_call_start(const orca_worker *w);
void orca__seam_backend_call(orca_worker *w, int op, int64_t t0, int rc);
/* The hook points a worker runs, for the metrics' point label. */
enum { ORCA__HP_BEFORE_RUN, ORCA__HP_AFTER_RUN, ORCA__HP_ON_ERROR, ORCA__NHP };
/* Handler thread: hook point `point` (ORCA__HP_*) ran; failed when a hook
 * failed at run time. */
void orca__seam_hook_call(orca__hthread *ht, int point, bool failed);
/* The TimeKeeper's on_fires (orca__timekeeper_opts), ud = the worker. */
void orca__seam_timekeeper_fires(void *ud, const int64_t *fire_us, size_t n, int64_t made_us,
                                 uint64_t skipped);
/* True when the worker records metrics. */
bool orca__seam_metrics_on(const orca_worker *w);

/* The HTTP server of --metrics (GET /metrics, /healthz), and the cached
 * queue depths it reports; started after the TimeKeeper, stopped before. */
extern const orca__loop_service orca__metrics_service;

#endif
