/* worker_internal.h — the parts of a worker that its files share:
 * worker.c (life cycle), loop.c (the libuv loop thread), pump.c (the
 * backend I/O thread), pool.c (handler threads), task.c (one delivery from
 * envelope to completion), ctx.c (what a handler sees).
 *
 * Threads and who owns what (docs/design.md has the full story):
 *   - the loop thread runs libuv: signals, the attempt-timeout timer, the
 *     lease-renewal timer, the shutdown grace timer, the TimeKeeper;
 *   - the pump thread owns the backend handle and every backend call of the
 *     task path: fetch, complete, extend;
 *   - handler threads run tasks, each with its own arena.
 * Slots (one per delivery: the lease plus its completion) move between three
 * lists guarded by w->mu: free -> ready (fetched, waiting for a thread) ->
 * running on a thread -> done (completion filled) -> complete()d -> free. */
#ifndef ORCA__WORKER_INTERNAL_H
#define ORCA__WORKER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#include "backend/backend.h"
#include "client/policy.h"
#include "codec/envelope.h"
#include "orca/worker.h"
#include "worker/batch.h"
#include "worker/queues.h"

/* Why a context was cancelled (orca_ctx.cancelled). */
enum { ORCA__CANCEL_NONE = 0, ORCA__CANCEL_USER, ORCA__CANCEL_TIMEOUT, ORCA__CANCEL_SHUTDOWN };

/* Live workers the peer network's view holds at most (seam_peer.c). */
#define ORCA__LIVE_MAX 256

/* Loop services a worker can run (worker/seams.h). */
#define ORCA__MAX_LOOP_SERVICES 4

/* A delivery whose lease the backend handed out more often than this without
 * a completion is poison (it crashed or hung its workers): dead-lettered. */
#define ORCA__POISON_DELIVERIES 5

typedef struct orca__slot {
  orca__lease lease;       /* payload memory kept across deliveries */
  struct orca__slot *next; /* link in the free, ready or done list */
  /* The completion, filled by whoever ends the delivery. */
  orca__outcome outcome;
  orca_state state;
  uint32_t attempt;
  int64_t started_us;
  int64_t run_us; /* monotonic µs the handler thread spent on it (batch.h) */
  int64_t ttl_us;
  int64_t retry_at_us;
  bool has_error;
  char error[ORCA_ERRTEXT_MAX];
  orca_buf result;        /* encoded result (reused) */
  orca_buf retry_payload; /* rewritten envelope of a retry (reused) */
  bool has_key;
  char key[ORCA__KEY_MAX];
  int64_t key_ttl_us;
  /* Control. */
  bool held;         /* leased and not yet completed (pump thread only) */
  atomic_int cancel; /* the backend reported a cancel request for it */
  atomic_bool lost;  /* extend said ELOST: the lease is someone else's now */
  bool abandoned;    /* released at shutdown while its handler still runs (mu) */
} orca__slot;

struct orca_ctx {
  orca_worker *w;
  const orca_task_desc *task;
  const orca__envelope *env;
  char id[ORCA_ID_MAX];
  uint32_t attempt;
  int64_t deadline_us;  /* wall-clock end of this attempt's timeout, 0 = none */
  atomic_int cancelled; /* ORCA__CANCEL_* */
  orca_arena *arena;
  const char **hkeys, **hvals; /* headers as C strings, in the arena */
  size_t nheaders;
  bool failed;
  char error[ORCA_ERRTEXT_MAX];
};

typedef struct orca__hthread {
  orca_worker *w;
  unsigned index;
  pthread_t tid;
  bool started;
  bool exited;      /* (mu) */
  orca_arena arena; /* per task: args, result, headers; reset between tasks */
  uint64_t rng;     /* jitter */
  orca_ctx ctx;
  struct orca__hooks *hooks; /* this thread's Lua state (seam_hooks.c); NULL without hooks */
  orca__slot *cur;           /* (mu) the delivery running here, NULL when idle */
  int64_t timeout_at;        /* (mu) monotonic µs when the attempt times out, 0 = none */
  bool stuck_warned;         /* (mu) logged that it outlived timeout + grace */

  /* This thread's metrics shard (seam_metrics.c); NULL = off. */
  struct orca__mshard *mshard;
} orca__hthread;

typedef struct orca__handler {
  const orca_task_desc *task;
  orca_fn fn;
} orca__handler;

struct orca_worker {
  /* Configuration (strings owned). */
  char *backend_url;
  char *hooks_file;
  char *metrics_listen;      /* --metrics HOST:PORT, NULL = no metrics */
  struct orca__wmetrics *wm; /* the metrics (seam_metrics.c), NULL = off */
  char id[ORCA_NAME_MAX];
  const orca_clock *clock;
  unsigned concurrency, prefetch, max_tasks; /* prefetch 0 = adaptive */
  int64_t lease_us, grace_us;
  int64_t schedule_grace_us; /* TimeKeeper catch-up grace; 0 = its default */
  bool install_signals, run_schedules;
  bool run_peer;               /* run the peer network (seam_peer.c) */
  char *peer_addr, *peer_join; /* NULL = loopback, any port / no seeds */
  char *cluster_key_file;      /* NULL = $ORCA_CLUSTER_KEY_FILE or none */
  void *user;
  orca__queues queues;
  bool queues_given;

  orca__handler *handlers;
  size_t nhandlers, caphandlers;
  const orca_schema **schemas;
  size_t nschemas;

  orca__backend *b; /* the pump's handle (opened by new to fail fast) */

  /* Slots and lists (mu). */
  orca__slot *slots;
  size_t nslots;
  orca__slot *free_list;
  size_t nfree;
  orca__slot *ready_head, *ready_tail;
  orca__slot *done_head, *done_tail;
  orca__hthread *threads;

  pthread_mutex_t mu;
  pthread_cond_t work_cv; /* handler threads wait for ready slots or stop */
  pthread_cond_t pump_cv; /* the pump waits for completions, timers, stop */
  pthread_cond_t idle_cv; /* run waits for handler threads to settle */
  bool stopping;          /* (mu) no new fetches, no new starts */
  bool grace_over;        /* (mu) release what is still running */
  bool extend_due;        /* (mu) renew leases now */
  bool pump_in_fetch;     /* (mu) the pump may be blocked inside fetch */
  bool pump_exited;       /* (mu) */
  unsigned finished;      /* (pump) tasks ended, for max_tasks */
  uint64_t n_fetch_calls, n_fetched, n_complete_calls, n_completed; /* (pump) stats */
  orca__batch bat;                                                  /* (pump) the prefetch window */
  atomic_bool stop_requested;
  bool running;  /* orca_worker_run in progress */
  bool prepared; /* orca__worker_prepare done */

  /* Loop thread. */
  uv_loop_t loop;
  uv_async_t async;
  uv_timer_t timeout_timer, renew_timer, grace_timer;
  uv_signal_t sig_int, sig_term, sig_hup;
  bool grace_started;
  bool closing;
  void *services[ORCA__MAX_LOOP_SERVICES]; /* state of each started loop service (seams.h) */
  size_t nservices;                        /* started so far */
  pthread_t pump_tid;
  bool pump_started;

  /* The peer network's live workers, this one included (seam_peer.c
   * writes on the loop thread; the TimeKeeper's thread reads). Empty
   * without the peer network. */
  pthread_mutex_t live_mu;
  char live[ORCA__LIVE_MAX][ORCA_NAME_MAX];
  size_t nlive;

  /* Pump scratch, sized nslots. */
  orca__completion *comps;
  orca__lease **lease_ptrs;
  orca__slot **batch;
  bool *release; /* batch[i] goes back to its queue, not counted as an attempt */
  int *ext_status;
  uint64_t rng;
  const char *order[ORCA__MAX_QUEUES];
};

/* worker.c: everything orca_worker_run needs before it starts threads: the
 * queue list and the hooks states (a hook file that does not load fails
 * here with "file:line: message"). Called by run when not done before;
 * orca_worker_main calls it first to print that one line. Returns 0 or an
 * error with err. */
int orca__worker_prepare(orca_worker *w, orca_err *err);
/* worker.c: wake the loop thread (thread-safe). */
void orca__worker_wake_loop(orca_worker *w);
/* loop.c: the loop thread's uv_async callback (stop requests, timeouts to
 * arm, the pump's exit). */
void orca__loop_on_async(uv_async_t *a);
/* pump.c: wake the pump, interrupting a blocking fetch. Call with
 * w->mu held. */
void orca__pump_wake_locked(orca_worker *w);
/* pump.c: the pump thread body. */
void *orca__pump_main(void *arg);
/* pool.c: the handler thread body. */
void *orca__handler_main(void *arg);
/* task.c: run one delivery on handler thread ht and fill the slot's
 * completion. Never fails: every problem becomes an outcome. */
void orca__task_run(orca__hthread *ht, orca__slot *s);
/* pump.c: a direct cancel (the peer network) of task id: if it is leased
 * here, mark it cancelled as the backend's flag would, and set its context's
 * cancelled flag when it runs. Thread-safe. Returns whether it was here. */
bool orca__worker_cancel_task(orca_worker *w, const char *id);
/* seam_peer.c: whether this worker owns key (a schedule name) among the
 * live workers of the peer network, by rendezvous hashing; true without
 * the peer network. Thread-safe. */
bool orca__worker_owns(orca_worker *w, const char *key);
/* worker.c: the handler for a task name (len bytes, not NUL-terminated). */
const orca__handler *orca__worker_find(const orca_worker *w, const char *name, size_t len);
/* ctx.c: set ctx up for a delivery (headers copied into the arena). */
void orca__ctx_init(orca_ctx *ctx, orca_worker *w, const orca_task_desc *task,
                    const orca__envelope *env, uint32_t attempt, int64_t deadline_us,
                    orca_arena *arena);

#endif
