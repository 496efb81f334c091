/* rt_support.h — what the runtime tests share: a temp SQLite database (or,
 * with ORCA_RT_BACKEND=redis, a database of a private redis-server; with
 * ORCA_RT_BACKEND=split, a SQLite log and a SQLite store composed), an
 * injectable clock, a worker running on a background thread, hand-written
 * task descriptors (as orcac emits them) and the events their handlers
 * signal, and a log sink tests can wait on. */
#ifndef RT_SUPPORT_H
#define RT_SUPPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "orca/orca.h"

/* ---- environment ---- */

#define SEC 1000000LL
/* A fixed start for injected clocks (2027-01-15), far from any real now. */
#define T0 (1800000000LL * SEC)

typedef struct rt_env {
  char dir[256];
  char url[300];
} rt_env;

/* Make a fresh temp dir and a backend URL (SQLite in the dir, a fresh
 * Redis database with ORCA_RT_BACKEND=redis, sqlite:DIR/log.db?store=
 * sqlite:DIR/store.db with ORCA_RT_BACKEND=split, or sqlite:DIR/log.db?store=
 * redis://... with ORCA_RT_BACKEND=sqlite_redis); rt_env_done removes the
 * dir. */
void rt_env_init(rt_env *e);

/* True when ORCA_RT_BACKEND puts the tests on the Kafka log (kafka,
 * kafka-redis): a log without priorities and without leases. */
bool rt_on_kafka(void);
void rt_env_done(rt_env *e);

/* The StateKeeper record of id (asserts it exists); result and args are not
 * kept (info->result/args come back empty). */
void rt_inspect(orca_client *c, const char *id, orca_task_info *info);

/* cmocka group fixtures: *st becomes a fresh rt_env (with the event log
 * reset and the log captured); teardown removes it. */
int rt_setup(void **st);
int rt_teardown(void **st);

/* A clock tests move by hand. */
typedef struct rt_clock {
  orca_clock clock;
  _Atomic int64_t now;
} rt_clock;
void rt_clock_init(rt_clock *c, int64_t start_us);
void rt_clock_advance(rt_clock *c, int64_t us);

/* ---- a worker on a thread ---- */

typedef struct rt_worker {
  orca_worker *w;
  pthread_t tid;
  int rc;
} rt_worker;

/* Create a worker with every test task registered and start running it on
 * a thread. Asserts success. */
void rt_worker_start(rt_worker *rw, const orca_worker_opts *opts);
/* Start running an already created worker (rw->w) on a thread. */
void rt_worker_run_async(rt_worker *rw);
/* Record v in the run log (as t.record does). Returns 0. */
int rt_enqueue_note(int64_t v);
/* Wait for orca_worker_run to return (max_tasks or stop) and free it. */
int rt_worker_join(rt_worker *rw);

/* ---- test tasks ---- */

/* Args shared by the test tasks: a number and a string. */
typedef struct rt_args {
  int64_t n;
  char *s;
} rt_args;

extern const orca_type rt_args_type;
extern const orca_struct_desc rt_args_desc;

/* Call fn, an int (*)(orca_ctx *, const rt_args *, int64_t *), as the
 * invoke function orcac emits does. */
int rt_invoke(orca_fn fn, orca_ctx *ctx, const void *args, void *result);

/* The initializer of task NAME as orcac would emit it: rt_args in, an i64
 * out, queue "default", one attempt, handlers called through rt_invoke. */
#define RT_TASK_DESC(NAME)                                                                         \
  {                                                                                                \
    .name = NAME, .queue = "default", .args = &rt_args_desc, .args_type = &rt_args_type,           \
    .result = &orca_type_i64, .invoke = rt_invoke, .retry = {                                      \
      1,                                                                                           \
      ORCA_BACKOFF_NONE,                                                                           \
      0,                                                                                           \
      0,                                                                                           \
      false                                                                                        \
    }                                                                                              \
  }

/* t.add: result n + strlen(s). */
extern const orca_task_desc rt_task_add;
/* t.flaky: fails (orca_ctx_fail "boom N") while attempt <= n, then returns attempt. */
extern orca_task_desc rt_task_flaky;
/* t.block: signals started, then waits until rt_gate_open() or its context
 * is cancelled (then returns ORCA_ECANCELLED); result n. */
extern orca_task_desc rt_task_block;
/* t.record: appends n to the run log (rt_runs); result n. */
extern orca_task_desc rt_task_record;
/* t.cached (@cache 10 min) and t.unique (@unique 1 h): result n. */
extern orca_task_desc rt_task_cached;
extern orca_task_desc rt_task_unique;

/* Register all of the above on w. */
int rt_register_all(orca_worker *w, void *ud, orca_err *err);

/* Events. */
void rt_events_reset(void);
void rt_gate_open(void);
/* Wait until at least k t.block handlers have started. */
void rt_wait_started(int k);
/* Copy the run log of t.record / t.flaky (n values / attempts in run order). */
int rt_runs(int64_t *out, int max);
/* How many handler invocations happened in total. */
int rt_calls(void);
/* Header `key` (trace, tenant, from_hook or missing) as the last t.add saw it, "(null)"
 * when absent. */
const char *rt_last_header(const char *key);
/* What the last t.block saw as cancelled (1) or not (0). */
int rt_block_saw_cancel(void);

/* ---- log capture ---- */

/* Route liborca's log into a buffer (and stderr); rt_log_wait blocks until
 * a line containing needle has been logged at least k times. */
void rt_log_capture(void);
void rt_log_wait(const char *needle, int k);
int rt_log_count(const char *needle);

/* ---- helpers ---- */

/* Fork n child processes that report to the parent on one pipe: child i
 * runs child(fd, i, ud) with the pipe's write end fd and must end with
 * _exit. pids[i] gets its process id. Returns the pipe's read end (the
 * parent keeps no write end, so a read returns 0 once every child is
 * gone). Asserts that pipe and fork succeed. */
int rt_fork_children(int n, pid_t *pids, void (*child)(int fd, int i, void *ud), void *ud);

/* Lines arriving on a pipe: buf holds a partial last line between calls. */
typedef struct rt_lines {
  char buf[8192];
  size_t len;
} rt_lines;

/* Read what fd has, waiting at most timeout_ms for something (the test
 * fails when nothing comes: the children went silent), and call
 * line(ud, text) for every whole line (its newline removed). Returns false
 * at the end of the pipe (every writer gone). */
bool rt_read_lines(int fd, rt_lines *l, int timeout_ms, void (*line)(void *ud, char *text),
                   void *ud);

/* Seconds since t0 (CLOCK_MONOTONIC). */
double rt_seconds_since(const struct timespec *t0);

/* Enqueue rt_args {n, s} of task t; asserts the return code; id_out may be NULL. */
int rt_enqueue(orca_client *c, const orca_task_desc *t, int64_t n, const char *s,
               const orca_enqueue_opts *o, char *id_out);
orca_client *rt_client(const rt_env *e, const orca_clock *clock);

#endif
