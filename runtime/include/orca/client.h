/* orca/client.h — the producer side: enqueue tasks, wait for results,
 * inspect and cancel. Generated stubs (shop_charge_enqueue, …) call these.
 *
 * A client holds one backend connection and is used by one thread at a time;
 * open one per thread. */
#ifndef ORCA_CLIENT_H
#define ORCA_CLIENT_H

#include "orca/clock.h"
#include "orca/error.h"
#include "orca/memory.h"
#include "orca/schema.h"
#include "orca/state.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct orca_client orca_client;

typedef struct orca_client_opts {
  const char *backend;     /* URL; NULL = $ORCA_BACKEND or $ORCA_BACKEND_FILE, else
                              sqlite:./.orca/orca.db; "" is an error */
  const char *hooks_file;  /* global Lua hooks (on_enqueue, route); NULL = none */
  const orca_clock *clock; /* NULL = real clock */
  /* The peer network's cluster key file, for orca_cancel's direct path and
   * orca_cluster_members; NULL = $ORCA_CLUSTER_KEY_FILE, else none (the
   * workers must then be on loopback without a key too). */
  const char *cluster_key_file;
} orca_client_opts;

/* Open a client. Returns 0 and a client to close with orca_client_close(), or
 * ORCA_EURL / ORCA_ECONNECT / … with err saying what. opts may be NULL. */
int orca_client_open(const orca_client_opts *opts, orca_client **out, orca_err *err);
void orca_client_close(orca_client *c);

/* Copy a backend URL into out (cap bytes, always NUL-terminated, truncated
 * to fit) with its credentials hidden: "redis://:S3cr3t@h:6379" becomes
 * "redis://:***@h:6379", "redis://user:pw@h" becomes "redis://user:***@h";
 * everything between the scheme and the last '@' is treated as user
 * information (sqlite:PATH keeps an '@' of its path). In the query, the value
 * of a parameter whose name looks secret (pass, secret, token, key, auth,
 * cred, jaas, config) becomes "***" and a URL value (store=URL) is redacted
 * the same way. Use it wherever a URL
 * reaches a log, an error or the screen. Returns out (or "" when out is NULL
 * or cap is 0); url NULL gives "". */
const char *orca_url_redact(const char *url, char *out, size_t cap);

/* The backend URL a program's options --backend URL and --backend-file FILE
 * give (NULL when not given): what the `orca` CLI and orca_worker_main() do
 * with them, for any program that offers the same options. FILE holds the
 * URL on one line (surrounding newline and blanks trimmed, at most 4096
 * bytes), so a password stays off the command line where `ps` shows it; a
 * warning is logged once when it holds a password and every user may read
 * it. Giving both options is ORCA_EINVAL; an empty URL is ORCA_EURL (an
 * unset shell variable must not silently mean the default). Returns 0 with
 * *out (malloc'd, release it with free(); NULL when neither option was
 * given, so orca_client_opts.backend NULL falls back to the environment) and
 * *from (the option's name, static; NULL with neither), or ORCA_EINVAL /
 * ORCA_EURL / ORCA_EIO (the file cannot be read) / ORCA_ENOMEM with err
 * naming the option and file but never the file's contents. */
int orca_url_from_options(const char *url, const char *file, char **out, const char **from,
                          orca_err *err);

typedef struct orca_header_kv {
  const char *key, *value;
} orca_header_kv;

/* Per-enqueue options; a zeroed struct (or NULL) means the task's defaults. */
typedef struct orca_enqueue_opts {
  const char *queue; /* override @queue */
  const char *id;    /* caller-chosen task id (idempotency key); NULL = generated */
  int64_t eta_us;    /* run at this time (µs since epoch); 0 = now */
  int64_t delay_us;  /* run after this long (added to now); ignored if eta_us set */
  int32_t priority;  /* override @priority when has_priority */
  bool has_priority;
  int64_t deadline_us; /* override @deadline (relative); 0 = task's */
  const orca_header_kv *headers;
  size_t nheaders;
} orca_enqueue_opts;

/* Encode args (a value of task->args) and enqueue one task. Writes the task id
 * to id_out (ORCA_ID_MAX bytes, may be NULL). Returns 0; ORCA_EDUPLICATE with
 * the existing id in id_out for @unique / @cache / an existing caller id;
 * ORCA_EREJECTED when an on_enqueue hook refused; or a backend error (then
 * nothing was enqueued). For @cache tasks whose result is cached, returns 0
 * with the id of the finished task holding the result. */
int orca_enqueue(orca_client *c, const orca_task_desc *task, const void *args,
                 const orca_enqueue_opts *opts, char *id_out, orca_err *err);

/* Enqueue n tasks of one kind in one backend round trip. args[i] points to a
 * value of task->args; ids (n * ORCA_ID_MAX bytes) and status (n ints) may be
 * NULL. Returns 0 when the batch reached the backend (see status[i]), or an
 * error for the whole batch. */
int orca_enqueue_many(orca_client *c, const orca_task_desc *task, const void *const *args, size_t n,
                      const orca_enqueue_opts *opts, char *ids, int *status, orca_err *err);

/* Enqueue already-encoded args (msgpack of task->args), as the CLI does. */
int orca_enqueue_raw(orca_client *c, const orca_task_desc *task, const uint8_t *args,
                     size_t args_len, const orca_enqueue_opts *opts, char *id_out, orca_err *err);

/* Wait up to timeout_us for task `id` to finish, then decode its result into
 * *result (a value of task->result; memory from alloc) when result is non-NULL.
 * Wakes when the result is stored, without polling where the backend allows.
 * Returns 0 (succeeded), ORCA_ETIMEDOUT, ORCA_EFAIL (dead; err has the last
 * error), ORCA_ECANCELLED, ORCA_ENOTFOUND, or ORCA_EDECODE. */
int orca_wait_result(orca_client *c, const orca_task_desc *task, const char *id, int64_t timeout_us,
                     void *result, const orca_alloc *alloc, orca_err *err);

/* The StateKeeper record of a task (see orca_task_info; the caller frees
 * info->result and info->args with orca_buf_free). */
int orca_inspect(orca_client *c, const char *id, orca_task_info *info, orca_err *err);

/* Cancel a task: removed if not started, flagged if running (its handler sees
 * orca_ctx_cancelled()). A running task's worker is also told directly over
 * the peer network when it runs one (its handler sees the cancel within
 * milliseconds instead of at the next lease renewal; best effort, so this
 * may block up to about a second and never fails for it). Returns 0,
 * ORCA_ENOTFOUND or ORCA_ESTATE. */
int orca_cancel(orca_client *c, const char *id, orca_err *err);

#ifdef __cplusplus
}
#endif
#endif
