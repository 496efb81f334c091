/* redis_internal.h — what the files of the Redis Streams backend share: the
 * handle, the argument builder for pipelined commands, the connection layer
 * (connect, reconnect with back-off, pipelined execution with NOSCRIPT
 * reload, interrupt) and the embedded Lua scripts.
 *
 * The backend is synchronous (backend.h): one handle per thread, hiredis's
 * blocking API with redisSetTimeout as the round-trip watchdog. Blocking
 * commands (XREAD BLOCK, BLPOP) can be cut short from another thread by
 * ops->interrupt, which shuts the socket down (docs/redis.md). */
#ifndef ORCA__REDIS_INTERNAL_H
#define ORCA__REDIS_INTERNAL_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend/backend.h"

/* Every key of queue Q starts with "orca:{Q}:" (one hash tag per queue). */
#define ORCA__REDIS_PREFIX_MAX (ORCA_NAME_MAX + 8)
/* A stream entry is handed out at most this many times; the next delivery
 * dead-letters it as a poison task (docs/redis.md). */
#define ORCA__REDIS_MAX_DELIVERIES 20
/* The consumer that holds the stream entries of a worker declared dead
 * until a live worker claims them (scripts/release_worker.lua, RELEASED in
 * scripts/prelude.lua): state_get reports them pending. */
#define ORCA__REDIS_RELEASED "orca:released"
/* Most jobs or completions sent in one script call (Lua's unpack limit and
 * the size of one reply bound this). */
#define ORCA__REDIS_CHUNK 256
/* Longest value a small hash keeps in its compact encoding at the server's
 * default hash-max-listpack-value. One longer value turns the whole state
 * hash into a hash table: more memory, and every later HSET of it dearer
 * (about 35 % on the completion's HSET, docs/redis.md). */
#define ORCA__REDIS_SMALL_VALUE 64

/* The Lua scripts: scripts/NAME.lua, one function body each plus the shared
 * scripts/prelude.lua, embedded at build time (cmake/OrcaEmbed.cmake) after
 * a luac5.4 -p check, and assembled into one library by redis_scripts.c. */
enum {
  ORCA__RS_ENQUEUE,
  ORCA__RS_FETCH,
  ORCA__RS_COMPLETE,
  ORCA__RS_EXTEND,
  ORCA__RS_PROMOTE,
  ORCA__RS_GET,
  ORCA__RS_CANCEL,
  ORCA__RS_DLQ_REQUEUE,
  ORCA__RS_DLQ_PURGE,
  ORCA__RS_STATS,
  ORCA__RS_SCHED_PUT,
  ORCA__RS_SCHED_FIRE,
  ORCA__RS_BURY,
  ORCA__RS_TASK_LIST,
  ORCA__RS_SCHED_OUT,
  ORCA__RS_RELEASE_WORKER,
  ORCA__RS_PEERS,
  /* The store role (redis_store.c), on scripts/store_prelude.lua. */
  ORCA__RS_S_ADMIT,
  ORCA__RS_S_HANDED,
  ORCA__RS_S_START,
  ORCA__RS_S_RENEW,
  ORCA__RS_S_FINISH,
  ORCA__RS_S_DUE,
  ORCA__RS_S_CANCEL,
  ORCA__RS_S_DLQ_REQUEUE,
  ORCA__RS_S_SCHED_FIRE,
  ORCA__RS_S_STATS,
  /* The log role (redis_log.c): scripts that touch the streams only. */
  ORCA__RS_L_APPEND,
  ORCA__RS_L_COMPLETE,
  ORCA__RS_COUNT
};
/* The scripts live in one Redis Functions library (Redis 7), loaded with
 * FUNCTION LOAD and called with FCALL: its shared helpers are compiled
 * once per server instead of once per call. The library's text (NULL when
 * out of memory) and the name of script i's function; both are built once
 * per process and never freed. Thread-safe. */
const char *orca__redis_library(void);
const char *orca__redis_function(int i);

/* Rewrite a Redis error about the library ("... user_function:LINE: ...",
 * "on @user_function:LINE.") so that every line of the assembled library
 * names the script file and its line instead
 * ("runtime/backend/redis/scripts/fetch.lua:12"). Writes the result to out
 * (n bytes, truncated, always NUL-terminated) and returns out. */
const char *orca__redis_where(const char *msg, char *out, size_t n);

/* The embedded script files, generated at build time: name ("fetch" for
 * scripts/fetch.lua) and text; ORCA__RS_* name the ones the backend calls. */
typedef struct orca__redis_script {
  const char *name;
  const char *text;
} orca__redis_script;
extern const orca__redis_script orca__redis_scripts[];
extern const size_t orca__nredis_scripts;

/* A pipeline of commands under construction. Argument bytes are copied into
 * one growing buffer, so building a batch allocates only while the buffers
 * grow (never per task once warm). */
typedef struct orca__rcmd {
  size_t first, argc; /* range in the argument arrays */
  int script;         /* ORCA__RS_* when the command is FCALL, else -1 */
} orca__rcmd;

typedef struct orca__rargs {
  orca_buf text;
  size_t *off, *len;
  size_t n, cap;
  orca__rcmd *cmds;
  size_t ncmds, cmdcap;
  const char **argv;
  size_t argvcap;
  orca_buf resp; /* one command as RESP text (redis_conn.c send_one) */
  int err;       /* sticky ORCA_ENOMEM */
} orca__rargs;

void orca__rargs_reset(orca__rargs *a);
void orca__rargs_free(orca__rargs *a);
/* Start a new command. script >= 0 starts "FCALL <function of script>", and
 * the next argument must be numkeys. */
void orca__rargs_cmd(orca__rargs *a, int script);
void orca__rargs_add(orca__rargs *a, const void *p, size_t n);
void orca__rargs_str(orca__rargs *a, const char *s);
void orca__rargs_int(orca__rargs *a, int64_t v);
/* Add the key prefix of queue q ("orca:{q}:") followed by suffix. */
void orca__rargs_key(orca__rargs *a, const char *q, const char *suffix);
/* Point a->argv[i] at argument i (argv grows as needed). Returns 0, or
 * a->err / ORCA_ENOMEM. */
int orca__rargs_argv(orca__rargs *a);
/* Add the 9 script arguments of one job (id, task, priority, eta, attempt,
 * payload, unique key, unique ttl ms, state ttl ms), as the enqueue and
 * schedule-fire scripts read them. */
struct orca__job;
void orca__redis_add_job(orca__rargs *a, const struct orca__job *j);
/* Add the ARGV of a schedule fire (sched_fire.lua, sched_out.lua,
 * s_sched_fire.lua): name, expected, next, now, handoff_us when >= 0 (the
 * store's), then per job its queue and its 9 values. */
void orca__redis_add_fire(orca__rargs *a, const char *name, int64_t expected_us, int64_t next_us,
                          int64_t now_us, int64_t handoff_us, const struct orca__job *jobs,
                          size_t njobs);
/* Add the 11 outcome values of a completion (OUTCOME … UNIQUE_TTL_MS), as
 * the general form of the complete script and the store's finish read
 * them (redis_queue.c). */
struct orca__completion;
void orca__redis_add_outcome(orca__rargs *a, const struct orca__completion *c);

/* Deliveries handed out by a handle and not completed yet (redis_held.c):
 * hashes of their lease refs. Used only to recover entries whose delivery
 * was cut short by interrupt(). Not thread-safe (one handle per thread). */
#define ORCA__REDIS_HELD_MAX (1u << 20)
typedef struct orca__redis_held {
  uint64_t *slot;
  size_t cap, n;
  bool overflow; /* forgot entries: no recovery until empty again */
} orca__redis_held;
/* Add or remove ref ("PRIO ENTRYID"); a failed allocation sets overflow. */
void orca__redis_held_add(orca__redis_held *s, const char *ref);
void orca__redis_held_del(orca__redis_held *s, const char *ref);
bool orca__redis_held_has(const orca__redis_held *s, const char *ref);
/* Free the table (the set is then empty and usable again). */
void orca__redis_held_clear(orca__redis_held *s);

typedef struct orca__redis {
  orca__backend base;
  orca__store store; /* the store half (redis_store.c); unused by the fused table */
  orca__log log;     /* the log half (redis_log.c); unused by the fused table */
  bool log_only;     /* opened as the log half: fetch, extend and release_worker
                      * touch the streams only, and the fast fetch is off */
  char host[256];
  int port;
  int db;
  char password[256];
  int64_t op_timeout_us;

  redisContext *c;    /* NULL while disconnected */
  bool lib_loaded;    /* this handle loaded (or found) the library */
  bool version_ok;    /* INFO server said 7.0 or later (or would not say) */
  int64_t backoff_us; /* next reconnect pause */
  bool down_logged;   /* "unreachable" was logged for this outage */
  bool retried;       /* the last exec had to resend after a reconnect */
  bool cut;           /* the last exec's blocking command was cut by interrupt() */

  pthread_mutex_t mu; /* guards c->fd against interrupt, and the flags below */
  bool blocking;      /* a blocking command is in flight */
  bool interrupted;   /* interrupt() arrived and was not consumed yet */
  bool shut;          /* interrupt() shut the socket down */
  int wake[2];        /* pipe: interrupt() wakes back-off pauses */

  int64_t last_claim_us; /* when fetch last ran XAUTOCLAIM */
  /* Fast fetch (redis_queue.c): while a one-queue fetch has exactly one
   * priority stream, no deferred task is due and no reclaim scan is due,
   * fetch is a plain XREADGROUP [BLOCK] instead of the fetch script. */
  char fast_queue[ORCA_NAME_MAX]; /* "" = no fast path known */
  char fast_prio[24];
  int64_t fast_until_us; /* run the fetch script again at this time */
  bool fast_cut;         /* a fast XREADGROUP BLOCK was cut: recover_cut() next */
  orca__redis_held held; /* deliveries not completed yet */
  orca__rargs args;      /* scratch pipeline */
  char **queues;         /* cache of the set orca:queues */
  size_t nqueues;

  /* Redis Cluster (redis+cluster://, redis_cluster.h): NULL for one server.
   * Then every pipeline goes through the cluster client and host/port name
   * the first seed in messages. */
  struct orca__rcluster *cluster;
  char *seeds;       /* "HOST:PORT,..." from the URL (owned) */
  int wait_replicas; /* WAIT for this many replicas after each batch (URL ?wait=N) */
} orca__redis;

/* Open a Redis handle on url (the fused table's open; the store half
 * opens the same handle and hands out &r->store). Returns 0 and *out, to
 * close with orca__redis_ops.close(&r->base), or an error as ops->open. */
int orca__redis_new(const char *url, const orca__backend_opts *opts, orca__redis **out,
                    orca_err *err);

/* Microseconds to milliseconds, rounded up (Redis takes ms). */
static inline int64_t orca__redis_ms_up(int64_t us) {
  return us <= 0 ? 0 : (us + 999) / 1000;
}
/* Leases are pinned into the pending list only under an injected clock
 * (see the head of redis_scripts.c); with the real clock Redis's idle time is the lease. */
static inline bool orca__redis_pinned(const orca__backend *b) {
  return b->clock != &orca_clock_real;
}

/* The lease end a delivery's holder can count on (orca__lease.lease_until_us)
 * for a lease of lease_us taken or renewed at now. Real clock: the fetch
 * script claims the entries of a consumer silent for half the lease (the
 * dead-consumer rule, scripts/fetch.lua), so a holder that says nothing is
 * safe only that long. Injected clock: the pinned lease itself. */
static inline int64_t orca__redis_lease_end(const orca__backend *b, int64_t now, int64_t lease_us) {
  return now + (orca__redis_pinned(b) ? lease_us : lease_us / 2);
}

/* Parse "redis://[:PASSWORD@]HOST:PORT[/DB]" into r's host, port, db and
 * password. Returns 0 or ORCA_EURL with err naming the bad part. */
int orca__redis_url_parse(const char *url, orca__redis *r, orca_err *err);

/* Parse "redis+cluster://[:PASSWORD@]HOST:PORT[,HOST:PORT...][?wait=N]"
 * into r's password, seeds (allocated), host/port (the first seed) and
 * wait_replicas (default 1). Returns 0, ORCA_EURL with err naming the bad
 * part, or ORCA_ENOMEM. */
int orca__redis_cluster_url_parse(const char *url, orca__redis *r, orca_err *err);
/* Set up r->cluster from r->seeds and learn the slot map (used by open).
 * Every new node connection runs the handshake and loads the library.
 * Returns 0 or ORCA_ECONNECT / ORCA_EBACKEND / ORCA_ENOMEM with err. */
int orca__redis_cluster_open(orca__redis *r, orca_err *err);
/* Free r->cluster and r->seeds (NULL-safe). */
void orca__redis_cluster_close(orca__redis *r);

/* Connect now (used by open). Returns 0 or ORCA_ECONNECT / ORCA_EBACKEND
 * with err saying host:port and why. */
int orca__redis_connect(orca__redis *r, orca_err *err);
/* The handshake on the fresh connection r->c (redis_hello.c): AUTH with the
 * URL's password, INFO server until a version check passed, SELECT. The
 * first reply is peeked at, so a server that is not Redis, never answers or
 * hangs up is named as such. Returns 0, ORCA_ECONNECT (no Redis answer) or
 * ORCA_EBACKEND (NOAUTH, WRONGPASS, a Redis older than 7.0, SELECT
 * refused), with err saying what, never the password. */
int orca__redis_hello(orca__redis *r, orca_err *err);
/* Describe in err why r->c failed while waiting for the reply to `what`
 * (closed, no answer within the op timeout, not the Redis protocol).
 * Returns ORCA_ECONNECT. */
int orca__redis_describe_io(orca__redis *r, const char *what, orca_err *err);
void orca__redis_disconnect(orca__redis *r);

/* Send every command of a pipeline and read one reply per command into
 * rep[] (the caller frees them with orca__redis_free_replies). A connection
 * error reconnects (with back-off, logged) and resends the whole pipeline
 * until op_timeout has passed; a "Function not found" reply reloads the
 * library and resends that command. block_us > 0 marks the pipeline as
 * blocking (it ends with a command that waits up to block_us): the socket
 * timeout is extended and interrupt() can cut it short, which returns
 * ORCA_EAGAIN and sets r->cut when the command had been sent (its reply is
 * lost); a reply that arrived whole is returned and the interrupt stays
 * armed for the next blocking call. Returns 0 (a reply may still be a Redis
 * error: see orca__redis_reply_error), or ORCA_ECONNECT / ORCA_ENOMEM /
 * ORCA_EAGAIN with nothing in rep[]. */
int orca__redis_exec(orca__redis *r, orca__rargs *a, redisReply **rep, int64_t block_us);
void orca__redis_free_replies(redisReply **rep, size_t n);

/* Map an error reply to ORCA_EBACKEND (logged with what); 0 when rep is not
 * an error. */
int orca__redis_reply_error(orca__redis *r, const redisReply *rep, const char *what);

/* Reply helpers: integer value (strings holding integers are accepted);
 * copy a string reply into out (truncated, NUL-terminated). */
int64_t orca__redis_int(const redisReply *rep);
void orca__redis_copy(const redisReply *rep, char *out, size_t outlen);

/* Pause up to us; interrupt() ends it early (returns true then). */
bool orca__redis_pause(orca__redis *r, int64_t us);
/* Consume a pending interrupt: true when one arrived since the last call. */
bool orca__redis_take_interrupt(orca__redis *r);

/* Refresh r->queues from the set orca:queues. Returns 0 or an error. */
int orca__redis_load_queues(orca__redis *r);

/* Run script over every queue of r->queues (load them first): one call
 * whose KEYS are all the queues' prefixes `orca:{Q}:` on one server, one
 * call per queue on a Redis Cluster (a script touches one slot; the calls
 * go in one pipeline, to every primary at once), each with the nargv
 * arguments argv after its keys. On success *rep holds *ncalls replies in
 * call order (queue i's on a cluster; the caller frees them with
 * orca__redis_free_replies, then frees *rep); with no queues *ncalls is 0
 * and *rep NULL. Returns 0, ORCA_ENOMEM or a connection error (*rep NULL). */
int orca__redis_queue_calls(orca__redis *r, int script, const char *const *argv, size_t nargv,
                            redisReply ***rep, size_t *ncalls);
/* Find the queue that holds task id (its state hash orca:{Q}:t:ID); the
 * cached queue list is refreshed once when no cached queue has it. Returns
 * the queue index in r->queues, or ORCA_ENOTFOUND / an error. */
int orca__redis_find_task(orca__redis *r, const char *id);
/* Check a queue name can be used in a key: non-empty, shorter than
 * ORCA_NAME_MAX, no '{' or '}' (they would break the hash tag). */
bool orca__redis_queue_ok(const char *q);

/* One batched step of the halves (redis_batch.c): n items,
 * each of a queue; head adds the script arguments that follow the key,
 * item those of item i. */
typedef struct orca__redis_batch {
  int script;
  const char *what; /* for error messages */
  size_t n;
  const char *(*queue)(const void *ud, size_t i);
  void (*head)(orca__rargs *a, const void *ud);
  void (*item)(orca__rargs *a, const void *ud, size_t i);
  const void *ud;
} orca__redis_batch;

/* Run b: one FCALL per run of at most ORCA__REDIS_CHUNK items of one queue,
 * all in one pipeline. out[i] (n values, caller-owned) gets the script's
 * integer for item i, or INT64_MIN when the item's queue cannot be a key.
 * Returns 0 or an error (out undefined). */
int orca__redis_run_batch(orca__redis *r, const orca__redis_batch *b, int64_t *out);
/* Batch callbacks: the queue of item i when ud is an array of orca__job,
 * and a head that adds nothing. */
const char *orca__redis_job_queue(const void *ud, size_t i);
void orca__redis_no_head(orca__rargs *a, const void *ud);

/* Split a lease ref "PRIO ENTRYID" into prio (plen bytes) and *eid (a
 * pointer into ref); false when it is not one of ours (redis_queue.c). */
bool orca__redis_split_ref(const char *ref, char *prio, size_t plen, const char **eid);

/* The ops (redis_queue.c, redis_fetch.c, redis_state.c, redis_admin.c). */
int orca__redis_enqueue(orca__backend *b, const orca__job *jobs, size_t n,
                        orca__enqueue_result *res);
/* Enqueue's pipeline with another script of the same form (KEYS[1] the
 * queue prefix; ARGV now, then, when handoff_us >= 0, handoff_us, then 9
 * values per job; one status per job back): the store's admit. */
int orca__redis_enqueue_with(orca__redis *r, int script, int64_t handoff_us, const orca__job *jobs,
                             size_t n, orca__enqueue_result *res);
int orca__redis_fetch(orca__backend *b, const orca__fetch_req *req, orca__lease *const *slots,
                      size_t max, size_t *got);
int orca__redis_complete(orca__backend *b, const orca__completion *c, size_t n);
int orca__redis_extend(orca__backend *b, orca__lease *const *leases, size_t n, const char *worker,
                       int64_t lease_us, int *status);
int orca__redis_promote(orca__backend *b, int64_t now_us, size_t max, int64_t *next_due_us);
int orca__redis_state_get(orca__backend *b, const char *id, orca_task_info *info);
int orca__redis_state_wait(orca__backend *b, const char *id, int64_t timeout_us,
                           orca_task_info *info);
int orca__redis_cancel(orca__backend *b, const char *id);
/* Cancel id with script (ORCA__RS_CANCEL, or the store's): same contract. */
int orca__redis_cancel_with(orca__redis *r, int script, const char *id);
int orca__redis_dlq_list(orca__backend *b, const char *queue, size_t offset, size_t limit,
                         orca__info_cb cb, void *ud);
int orca__redis_dlq_requeue(orca__backend *b, const char *queue, const char *id, size_t *count);
int orca__redis_dlq_purge(orca__backend *b, const char *queue, const char *id, size_t *count);
int orca__redis_task_list(orca__backend *b, orca_state state, const char *queue, size_t offset,
                          size_t limit, orca__info_cb cb, void *ud);
/* The store's requeue: the entries wait in the store, due now. */
int orca__redis_store_dlq_requeue(orca__redis *r, const char *queue, const char *id, size_t *count);
int orca__redis_stats(orca__backend *b, orca_queue_stats *out, size_t max, size_t *n);
/* Stats with script (ORCA__RS_STATS, or the store's: same reply). */
int orca__redis_stats_with(orca__redis *r, int script, orca_queue_stats *out, size_t max,
                           size_t *n);
int orca__redis_schedule_put(orca__backend *b, const orca__schedule_rec *rec, bool if_absent);
int orca__redis_schedule_get(orca__backend *b, const char *name, orca__schedule_rec *rec);
int orca__redis_schedule_list(orca__backend *b, orca__schedule_cb cb, void *ud);
int orca__redis_schedule_remove(orca__backend *b, const char *name);
int orca__redis_schedule_pause(orca__backend *b, const char *name, bool paused);
int orca__redis_schedule_fire(orca__backend *b, const char *name, int64_t expected_us,
                              int64_t next_us, const orca__job *jobs, size_t njobs);
int orca__redis_release_worker(orca__backend *b, const char *worker, size_t *count);
int orca__redis_peer_ads(orca__backend *b, const orca__peer_ad *mine, int64_t ttl_us, char *cluster,
                         orca__peer_ad_cb cb, void *ud);

/* The hash of the schedules' next fire times (redis_admin.c). */
#define ORCA__REDIS_SCHED_NEXT "orca:{sched}:next"

/* A fire's name and jobs (redis_admin.c): 0, ORCA_ENOTFOUND (no such
 * schedule can exist) or ORCA_EINVAL (a job without an id or with a bad
 * queue). */
int orca__redis_fire_ok(const char *name, const orca__job *jobs, size_t njobs);

/* schedule_fire on a Redis Cluster (redis_outbox.c): check the fire
 * (orca__redis_fire_ok), re-send old outbox entries, compare-and-set
 * next_key's field name and record the jobs in the outbox in one script,
 * then enqueue them in their queues (a store handle admits them, as its
 * schedule_fire does) and delete the entries. res (njobs entries, may be
 * NULL) gets each job's status once the fire is won; a job not enqueued
 * yet (left in the outbox) reads 0. Returns what schedule_fire returns (0,
 * ORCA_ENOTFOUND as -4, ORCA_ECONFLICT as -14, or a connection error
 * before the CAS). */
int orca__redis_fire_outbox(orca__redis *r, const char *next_key, const char *name,
                            int64_t expected_us, int64_t next_us, const orca__job *jobs,
                            size_t njobs, orca__enqueue_result *res);

/* Re-send the outbox entries older than the op timeout (by now, backend
 * clock µs) and delete them (redis_outbox.c). Returns 0 or an error; a
 * malformed entry is logged and deleted. */
int orca__redis_outbox_drain(orca__redis *r, int64_t now);
/* Run a schedule-fire script (the fused one, or the store's, which also
 * takes handoff_us >= 0 after now): validate, send, check for an error
 * reply. Returns 0 with *rep (the caller frees it with
 * orca__redis_free_replies), or ORCA_ENOTFOUND (bad name), ORCA_EINVAL (a
 * bad job), or an error with *rep NULL. */
int orca__redis_fire(orca__redis *r, int script, const char *name, int64_t expected_us,
                     int64_t next_us, int64_t handoff_us, const orca__job *jobs, size_t njobs,
                     redisReply **rep);

/* Fill info from a state-hash reply (flat field/value array) of queue q and
 * task id, the arguments too when the hash holds the payload (field d:
 * deferred and dead tasks). Used by state_get and dlq_list. */
void orca__redis_info_from_hash(const redisReply *h, const char *q, const char *id,
                                orca_task_info *info);

/* Queue the get script's call for task id of queue q on r->args (arm:
 * register a waiter, for state_wait), at time now. */
void orca__redis_get_cmd(orca__redis *r, const char *q, const char *id, bool arm, int64_t now);
/* Fill info from the get script's reply x for task id of queue q read at
 * now: the record, running derived from the pending list, the arguments.
 * Returns 0, ORCA_ENOTFOUND (no record, or it expired), ORCA_ENOMEM, or the
 * script's error. */
int orca__redis_info_from_get(orca__redis *r, const redisReply *x, const char *q, const char *id,
                              int64_t now, orca_task_info *info);

#endif
