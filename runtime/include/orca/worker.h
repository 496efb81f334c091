/* orca/worker.h — the consumer side: a worker runs handlers for the tasks it
 * has been given, on a pool of threads around a libuv event loop.
 *
 * Life cycle: orca_worker_open -> register handlers (the generated
 * NAME_register(), or orca_worker_handle) -> orca_worker_run (blocks) ->
 * orca_worker_close. orca_worker_stop may be called from any thread or a
 * handler; SIGINT/SIGTERM stop it gracefully when run installs signals. */
#ifndef ORCA_WORKER_H
#define ORCA_WORKER_H

#include "orca/clock.h"
#include "orca/error.h"
#include "orca/memory.h"
#include "orca/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct orca_worker orca_worker;
typedef struct orca_ctx orca_ctx;

/* Largest concurrency and prefetch orca_worker_open() accepts. */
#define ORCA_WORKER_MAX_CONCURRENCY 4096
#define ORCA_WORKER_MAX_PREFETCH 65536

typedef struct orca_worker_opts {
  const char *backend;  /* URL; NULL = $ORCA_BACKEND or $ORCA_BACKEND_FILE, else
                           sqlite:./.orca/orca.db; "" is an error */
  const char *queues;   /* "payments:3,default:1"; NULL = every registered task's queue, weight 1 */
  unsigned concurrency; /* handler threads; 0 = number of CPUs */
  unsigned prefetch;    /* tasks leased ahead of free threads; 0 = adaptive (0..256) */
  int64_t lease_us;     /* 0 = 15 s; renewed while a handler runs */
  int64_t grace_us;     /* shutdown grace for in-flight tasks; 0 = 10 s */
  const char *worker_id;     /* NULL = host:pid:random */
  const char *hooks_file;    /* global Lua hooks; NULL = none */
  bool install_signals;      /* SIGINT/SIGTERM stop gracefully, SIGHUP reloads hooks */
  bool run_schedules;        /* run the TimeKeeper for registered schedules (default on in main) */
  int64_t schedule_grace_us; /* TimeKeeper: a fire up to this late is on time, later ones follow
                              * the schedule's catch-up policy; 0 = 2 s ($ORCA_SCHEDULE_GRACE
                              * in orca_worker_main) */
  unsigned max_tasks;        /* stop after this many tasks finished; 0 = never (tests, demos) */
  /* The peer network (docs/peers.md): workers sharing a backend find each
   * other through it, see within about a second when one dies and release
   * its tasks at once, take direct cancels, split schedules. */
  bool run_peer;                /* run it (default on in orca_worker_main, off here) */
  const char *peer_addr;        /* "IP:PORT" it listens on (UDP and TCP); NULL = 127.0.0.1:0
                                   (loopback, a free port). Not a wildcard address */
  const char *peer_join;        /* seeds "IP:PORT,..." joined besides the members the backend
                                   lists; NULL = none */
  const char *cluster_key_file; /* file holding the cluster key (never the key itself); NULL =
                                   $ORCA_CLUSTER_KEY_FILE, else no key: loopback only */
  const orca_clock *clock;      /* NULL = real clock */
  void *user;                   /* returned by orca_ctx_user() */
  const char *metrics;          /* "HOST:PORT": serve Prometheus metrics on GET /metrics while
                                 * the worker runs (docs/operations.md); NULL = no metrics,
                                 * nothing recorded ($ORCA_METRICS in orca_worker_main) */
} orca_worker_opts;

/* Create a worker and connect it to its backend (a bad URL fails here).
 * opts may be NULL; its strings are copied. Returns 0 and *out, to release
 * with orca_worker_close, or an error with err (*out is then NULL). */
int orca_worker_open(const orca_worker_opts *opts, orca_worker **out, orca_err *err);

/* Install the handler fn (the task's typed handler, cast to orca_fn) for
 * task, before orca_worker_run. The worker keeps the task pointer, not a
 * copy: the descriptor must outlive the worker (generated descriptors are
 * static, so they do). Returns 0, or with err: ORCA_EDUPLICATE if the task
 * already has a handler, ORCA_EINVAL for a NULL or incomplete argument,
 * ORCA_ESTATE while the worker runs, ORCA_ENOMEM. */
int orca_worker_handle(orca_worker *w, const orca_task_desc *task, orca_fn fn, orca_err *err);

/* Register a schema's schedules with the worker's TimeKeeper (they are
 * fired when opts.run_schedules is set), before orca_worker_run. The worker
 * keeps the schema pointer, not a copy: the schema must outlive the worker
 * (generated schemas are static, so they do). Returns 0, or with err:
 * ORCA_EINVAL, ORCA_ESTATE while the worker runs, ORCA_ENOMEM. */
int orca_worker_add_schema(orca_worker *w, const orca_schema *schema, orca_err *err);

/* Run until stopped: fetch, run, ack, retry, renew leases, on the calling
 * thread. Returns 0 after a graceful stop, or the error that stopped it or
 * kept it from starting (no handlers, a hooks file that does not load
 * ("file:line: message"), the TimeKeeper), with err. */
int orca_worker_run(orca_worker *w, orca_err *err);

/* Ask the worker to stop: no new fetches; in-flight tasks get the grace
 * period, then are released back to their queues. Thread-safe, never fails;
 * NULL is ignored. */
void orca_worker_stop(orca_worker *w);

/* Release a stopped (or never-run) worker and everything it holds: threads
 * are joined (a handler that ignores its cancel is waited for), the backend
 * closed. NULL is ignored. */
void orca_worker_close(orca_worker *w);

/* The worker command line every program gets:
 *   PROG [--backend URL | --backend-file FILE] [--concurrency N] [--queues Q:W,...]
 *        [--prefetch N] [--lease DUR] [--grace DUR] [--hooks FILE] [--id ID]
 *        [--max-tasks N] [--no-schedules] [--schedule-grace DUR]
 *        [--peer ADDR] [--join ADDR,...] [--cluster-key-file FILE] [--no-peer] [--help]
 * Parses argv (falling back to ORCA_* environment variables), opens the
 * worker, calls reg(w, ud, err) to install handlers (the generated
 * NAME_register fits in one line), runs it with signals, and returns a
 * process exit code: 0; 1 at run time (unreachable backend, handler
 * registration), printing err's message; 2 for a bad flag, value or URL (one
 * line naming the flag or variable and the value, a password redacted). */
typedef int (*orca_register_fn)(orca_worker *w, void *ud, orca_err *err);
int orca_worker_main(int argc, char **argv, orca_register_fn reg, void *ud);

/* What a handler can ask of its context. */
const char *orca_ctx_task_id(const orca_ctx *ctx);
const char *orca_ctx_task_name(const orca_ctx *ctx);
uint32_t orca_ctx_attempt(const orca_ctx *ctx);    /* 1-based */
int64_t orca_ctx_deadline_us(const orca_ctx *ctx); /* timeout of this attempt, 0 = none */
bool orca_ctx_cancelled(const orca_ctx *ctx);      /* cancel requested or timed out */
const char *orca_ctx_header(const orca_ctx *ctx, const char *key); /* NULL if absent */
void *orca_ctx_user(const orca_ctx *ctx);
/* Allocator for the result's nested memory; released after the result is stored. */
const orca_alloc *orca_ctx_alloc(orca_ctx *ctx);
/* Record why the attempt failed; returns ORCA_EFAIL for `return orca_ctx_fail(...)`. */
int orca_ctx_fail(orca_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Log a line tagged with the task id. */
void orca_ctx_log(orca_ctx *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif
