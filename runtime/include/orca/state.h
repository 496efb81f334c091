/* orca/state.h — the states of a task run, as the StateKeeper records them.
 *
 * Legal transitions (anything else is ORCA_ESTATE):
 *   scheduled -> pending | cancelled | expired
 *   pending   -> running | cancelled | expired | dead
 *   running   -> succeeded | failed | dead | cancelled | expired | pending (released)
 *   failed    -> scheduled | pending        (the retry)
 *   succeeded, dead, cancelled, expired: terminal
 *   dead      -> pending                    (requeued from the dead-letter queue) */
#ifndef ORCA_STATE_H
#define ORCA_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/memory.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum orca_state {
  ORCA_STATE_UNKNOWN = 0,
  ORCA_STATE_SCHEDULED, /* deferred: waiting for its eta */
  ORCA_STATE_PENDING,   /* in its queue, ready to run */
  ORCA_STATE_RUNNING,   /* leased by a worker */
  ORCA_STATE_SUCCEEDED, /* done; result stored for the result TTL */
  ORCA_STATE_FAILED,    /* an attempt failed; a retry is scheduled */
  ORCA_STATE_DEAD,      /* out of attempts or unreadable: in the dead-letter queue */
  ORCA_STATE_CANCELLED, /* cancelled before or while running */
  ORCA_STATE_EXPIRED,   /* not started before its deadline */
} orca_state;

#define ORCA_ID_MAX 128   /* task ids, including the NUL */
#define ORCA_NAME_MAX 128 /* queue, task, schedule and worker names, including the NUL */
#define ORCA_ERRTEXT_MAX 512

/* What the StateKeeper knows of one task. Filled by orca_inspect()
 * (orca/client.h) and the backends; strings are truncated to their arrays.
 * `result` and `args` are caller-owned buffers the call appends to; pass them
 * empty. `result` is the msgpack of the result (succeeded tasks). `args` is
 * the msgpack of the arguments (the task's args struct, never the envelope
 * around it) while the task is scheduled, pending, running, waiting for a
 * retry or dead; once it has ended a backend may have dropped them (Redis
 * does, SQLite keeps them).
 *
 * `attempt` counts the attempts the retry policy has started; `deliveries`
 * counts every time a worker was handed the task, so it is larger than
 * `attempt` when a lease ran out (a worker crashed, hung or was stopped) and
 * the same attempt ran again elsewhere. A release at shutdown counts as
 * neither. */
typedef struct orca_task_info {
  char id[ORCA_ID_MAX];
  char task[ORCA_NAME_MAX];
  char queue[ORCA_NAME_MAX];
  char worker[ORCA_NAME_MAX]; /* last worker that ran it, "" if none */
  orca_state state;
  uint32_t attempt;    /* attempts started so far */
  uint32_t deliveries; /* times handed to a worker: attempts plus redeliveries */
  int32_t priority;
  int64_t enqueued_us;          /* 0 when unknown */
  int64_t eta_us;               /* when it is (was) due */
  int64_t started_us;           /* last attempt's start */
  int64_t finished_us;          /* when it reached its current final state */
  int64_t expires_us;           /* when the record goes away (result TTL) */
  char error[ORCA_ERRTEXT_MAX]; /* last error, "" if none */
  orca_buf result;
  orca_buf args;
} orca_task_info;

/* Per-queue counts for `orca stats`. */
typedef struct orca_queue_stats {
  char queue[ORCA_NAME_MAX];
  uint64_t pending, running, scheduled, dead;
  uint64_t succeeded, failed; /* totals kept by the backend (may be approximate) */
  double done_per_sec;        /* over the last minute, when the backend knows */
} orca_queue_stats;

/* "pending", "running", … ; "unknown" for anything else. */
const char *orca_state_name(orca_state s);
/* Parse a state name; ORCA_STATE_UNKNOWN if it is none. */
orca_state orca_state_parse(const char *name);
/* True for succeeded, dead, cancelled, expired. */
bool orca_state_is_final(orca_state s);
/* True when `from -> to` is a legal transition (table above). */
bool orca_state_can_move(orca_state from, orca_state to);

#ifdef __cplusplus
}
#endif
#endif
