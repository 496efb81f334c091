/* batch.h — how many tasks a worker leases ahead of its free threads (its
 * prefetch window), sized from what the pump observes unless the user fixed
 * it (orca_worker_opts.prefetch, --prefetch).
 *
 * The window is what keeps the handler threads fed while the pump waits for
 * the backend: a refill takes about one complete and one fetch round trip,
 * during which the threads use up concurrency * rtt / task tasks. So
 *
 *     window = K * concurrency * rtt / task      (K = 4, rounded to nearest)
 *
 * clamped to [0, cap]. Short tasks (a few µs against a round trip of a
 * hundred or more) get the cap, so they travel in batches of hundreds and
 * the fixed cost of a backend call is spread thin; tasks that take much
 * longer than a round trip get a window of 0: the worker leases only as
 * many as it has free threads, and a queue of slow tasks is shared evenly
 * among the workers that serve it instead of sitting leased behind a busy
 * thread. Before the first task finished the window is 0, for the same
 * reason (the first batch of a queue of slow tasks is not hoarded); one
 * round trip later a queue of short tasks has the full window.
 *
 * task is a moving average (weight 1/8) of handler run times as the
 * handler threads measure them; rtt a moving average of the pump's backend
 * calls that could not wait for tasks to arrive (complete, and fetches
 * made while tasks were in flight, which do not block), so it
 * includes the backend's own work per batch. The queue's depth enters
 * through the fetches themselves: a fetch takes what the queue has, up to
 * the window, and an empty queue is waited on with a blocking fetch.
 *
 * When the window shrinks under tasks already leased (short tasks were
 * followed by slow ones), the tasks that would now wait long behind the
 * busy threads are handed back to the queue (orca__batch_excess), so other
 * workers can run them.
 *
 * One orca__batch belongs to one worker and is used by its pump thread
 * only (no locking); pool.c stores each run time in the slot. */
#ifndef ORCA__WORKER_BATCH_H
#define ORCA__WORKER_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest adaptive window: the slots a worker allocates beyond its
 * threads when the prefetch is not given (max(256, 4 * concurrency)).
 * 256 is also the Redis backend's batch per script call. */
#define ORCA__BATCH_CAP 256
/* Leased tasks that would wait longer than this for a thread (by the
 * average task time) are handed back when they exceed the window. */
#define ORCA__BATCH_HOARD_US 20000

typedef struct orca__batch {
  bool fixed;       /* the user gave the prefetch: window stays at it */
  unsigned conc;    /* handler threads */
  unsigned cap;     /* largest window (slots beyond the threads) */
  unsigned window;  /* tasks leased ahead of free threads, now */
  double task_us;   /* moving average of handler run time; 0 = no sample yet */
  double rtt_us;    /* moving average of a non-waiting backend call; 0 = none */
  uint64_t resized; /* times the window changed (statistics, tests) */
  unsigned peak;    /* largest window so far */
} orca__batch;

/* The slots a worker needs for `prefetch` (0 = adaptive) at `concurrency`
 * threads: concurrency + prefetch, or concurrency + the adaptive cap. */
size_t orca__batch_slots(unsigned concurrency, unsigned prefetch);

/* Set b up. prefetch 0 = adaptive (window starts at 0), else fixed at
 * prefetch. Never fails. */
void orca__batch_init(orca__batch *b, unsigned concurrency, unsigned prefetch);

/* A handler ran for run_us (monotonic µs, >= 0). Updates the window. */
void orca__batch_task(orca__batch *b, int64_t run_us);

/* A backend call of the pump that did not wait for tasks took call_us.
 * Updates the window. */
void orca__batch_rtt(orca__batch *b, int64_t call_us);

/* How many slots to fill now: held = slots leased and not yet completed
 * (running, ready, or done and waiting for complete), nfree = free slots.
 * Returns 0 when no fetch is due: the threads still have enough ready
 * work (more than half the window is still leased ahead of them). */
size_t orca__batch_fetch_want(const orca__batch *b, size_t held, size_t nfree, bool ready_empty);

/* Of `ready` tasks leased and waiting for a thread, how many to hand back
 * (release) now: those beyond concurrency + window, when the last of them
 * would wait longer than ORCA__BATCH_HOARD_US. 0 with a fixed prefetch. */
size_t orca__batch_excess(const orca__batch *b, size_t ready);

#endif
