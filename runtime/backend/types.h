/* types.h — the batch types both halves of a backend share: what a task is
 * when it is stored (orca__job), one delivery of it (orca__lease), a fetch
 * request, the end of a delivery (orca__completion), a schedule record, and
 * the options every handle is opened with.
 *
 * The log (log.h), the store (store.h) and the composed backend (backend.h)
 * pass these around; each interface says which fields it reads and writes.
 * Strings and bytes passed in are copied by the callee unless a field says
 * otherwise; nothing is kept after a call returns. */
#ifndef ORCA__BACKEND_TYPES_H
#define ORCA__BACKEND_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "orca/clock.h"
#include "orca/error.h"
#include "orca/memory.h"
#include "orca/state.h"

typedef struct orca__backend_opts {
  const orca_clock *clock; /* NULL = real clock; tests inject one */
  int64_t op_timeout_us;   /* network round-trip limit, 0 = backend default (5 s) */
  bool task_path;          /* a worker's pump (fetch, complete): SQLite leaves its WAL
                              checkpoints to the other connections while they write */
} orca__backend_opts;

/* One task to store. Strings are copied; nothing is kept after the call. */
typedef struct orca__job {
  const char *id;         /* unique task id (< ORCA_ID_MAX) */
  const char *task;       /* qualified task name, for stats and inspect */
  const char *queue;      /* (< ORCA_NAME_MAX) */
  int32_t priority;       /* higher is fetched first within a queue */
  int64_t eta_us;         /* due time; <= now means ready now, later means deferred */
  uint32_t attempt;       /* attempts already made (0 for a new task) */
  const uint8_t *payload; /* encoded envelope */
  size_t payload_len;
  const char *unique_key; /* NULL, or: refuse if this key is held (see enqueue) */
  int64_t unique_ttl_us;  /* how long the key is held */
  int64_t state_ttl_us;   /* how long the state record lives after it ends */
} orca__job;

typedef struct orca__enqueue_result {
  int status;                    /* 0, ORCA_EDUPLICATE, or another ORCA_E* for this job */
  char existing_id[ORCA_ID_MAX]; /* EDUPLICATE: the id holding the unique key or id */
} orca__enqueue_result;

/* One delivery of a task to a worker. The worker owns lease structs (a pool
 * sized to its concurrency plus prefetch) and passes them to fetch, which
 * overwrites them; `payload` keeps its memory across fetches so a warm pool
 * allocates nothing. */
typedef struct orca__lease {
  char id[ORCA_ID_MAX];
  char queue[ORCA_NAME_MAX];
  char ref[64];           /* the log's handle of this delivery (row id, stream entry id, …):
                             everything the log needs to match a completion or an extension */
  uint32_t deliveries;    /* 1 on first delivery; more after lease expiries */
  int64_t lease_until_us; /* absolute (backend clock): until then no other worker can be
                             handed this delivery, so a task not started by then must not
                             start (the worker releases it instead); fetch and extend set it */
  orca_buf payload;       /* the envelope bytes */
} orca__lease;

typedef struct orca__fetch_req {
  const char *const *queues; /* in the order to try: first non-empty wins first */
  size_t nqueues;
  const char *worker; /* worker id, recorded as lease owner */
  int64_t lease_us;   /* lease length */
  int64_t wait_us;    /* block up to this long when nothing is ready; 0 = don't */
} orca__fetch_req;

typedef enum orca__outcome {
  ORCA__ACK = 1, /* remove from queue; record `state` (succeeded, cancelled, expired) */
  ORCA__RETRY,   /* remove, store `payload` as a new delivery due at retry_at; record failed */
  ORCA__DEAD,    /* remove, put into the queue's dead-letter list; record dead + reason */
  ORCA__RELEASE, /* give the task back at once, not counted as an attempt (shutdown) */
} orca__outcome;

/* The end of one delivery. Strings and bytes are copied. */
typedef struct orca__completion {
  const orca__lease *lease;
  orca__outcome outcome;
  orca_state state; /* the state to record */
  const char *worker;
  uint32_t attempt; /* attempt number that ran (1-based) */
  int64_t started_us;
  const char *error;     /* NULL or the failure / dead-letter reason */
  const uint8_t *result; /* SUCCEEDED: encoded result, may be NULL */
  size_t result_len;
  int64_t ttl_us;         /* state and result kept this long */
  const uint8_t *payload; /* RETRY: the rewritten envelope (attempt + 1) */
  size_t payload_len;
  int64_t retry_at_us;    /* RETRY: due time */
  const char *unique_key; /* NULL, or a key to refresh (unique_ttl_us > 0) or drop (0) */
  int64_t unique_ttl_us;
} orca__completion;

typedef struct orca__schedule_rec {
  char name[ORCA_NAME_MAX];
  int64_t next_fire_us; /* the fire the TimeKeeper expects next */
  bool paused;
  orca_buf spec; /* encoded schedule definition (timekeeper/schedule_codec) */
} orca__schedule_rec;

typedef int (*orca__info_cb)(void *ud, const orca_task_info *info); /* non-zero stops */
typedef int (*orca__schedule_cb)(void *ud, const orca__schedule_rec *rec);
/* A task handed from the store to the log (store.h, due). The job and
 * everything it points to live only for the call; non-zero stops. */
typedef int (*orca__job_cb)(void *ud, const orca__job *job);

#endif
