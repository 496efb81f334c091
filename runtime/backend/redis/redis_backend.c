/* redis_backend.c — the Redis Streams backend's handle: open from a URL,
 * close, interrupt from another thread, the ops table the registry finds as
 * orca__redis_ops, and the set of known queues that lets the id-only calls
 * (state_get, state_wait, cancel) find a task's queue.
 *
 * Why the queue set: every key of a queue shares the hash tag {QUEUE}, so a
 * task's state hash lives under its queue. A lookup by id alone asks each
 * known queue in one pipeline instead of writing an id->queue index per task
 * (which would cost a command and ~70 bytes per task on the hot path). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/redis/redis_cluster.h"
#include "backend/redis/redis_internal.h"
#include "orca/log.h"

#define DEFAULT_TIMEOUT_US 5000000

/* A write to a connection the server closed raises SIGPIPE, whose default
 * action ends the process; hiredis writes with write(2), which cannot be
 * told otherwise per call. So opening a redis:// backend ignores SIGPIPE
 * when it is still at its default (a handler the program installed is left
 * alone); the write then fails with EPIPE, which is a reconnect. */
static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;
static void ignore_default_sigpipe(void) {
  struct sigaction old;
  if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
      !(old.sa_flags & SA_SIGINFO)) {
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, NULL);
  }
}

int orca__redis_new(const char *url, const orca__backend_opts *opts, orca__redis **out,
                    orca_err *err) {
  pthread_once(&sigpipe_once, ignore_default_sigpipe);
  *out = NULL;
  orca__redis *r = calloc(1, sizeof *r);
  if (!r)
    return orca_err_set(err, ORCA_ENOMEM, "redis backend: out of memory");
  bool cluster = strncmp(url, "redis+cluster://", 16) == 0;
  int rc =
      cluster ? orca__redis_cluster_url_parse(url, r, err) : orca__redis_url_parse(url, r, err);
  if (rc) {
    free(r->seeds);
    free(r);
    return rc;
  }
  r->base.ops = &orca__redis_ops;
  r->base.clock = opts && opts->clock ? opts->clock : &orca_clock_real;
  r->op_timeout_us = opts && opts->op_timeout_us > 0 ? opts->op_timeout_us : DEFAULT_TIMEOUT_US;
  pthread_mutex_init(&r->mu, NULL);
  if (pipe(r->wake)) {
    pthread_mutex_destroy(&r->mu);
    free(r);
    return orca_err_set(err, ORCA_EIO, "redis backend: pipe: out of descriptors");
  }
  for (int i = 0; i < 2; i++)
    fcntl(r->wake[i], F_SETFL, fcntl(r->wake[i], F_GETFL) | O_NONBLOCK);
  rc = cluster ? orca__redis_cluster_open(r, err) : orca__redis_connect(r, err);
  if (rc) {
    orca__redis_ops.close(&r->base);
    return rc;
  }
  *out = r;
  return 0;
}

static int redis_open(const char *url, const orca__backend_opts *opts, orca__backend **out,
                      orca_err *err) {
  orca__redis *r;
  int rc = orca__redis_new(url, opts, &r, err);
  *out = rc ? NULL : &r->base;
  return rc;
}

static void free_queues(orca__redis *r) {
  for (size_t i = 0; i < r->nqueues; i++)
    free(r->queues[i]);
  free(r->queues);
  r->queues = NULL;
  r->nqueues = 0;
}

static void redis_close(orca__backend *b) {
  orca__redis *r = (orca__redis *)b;
  if (!r)
    return;
  orca__redis_disconnect(r);
  orca__redis_cluster_close(r);
  orca__rargs_free(&r->args);
  free_queues(r);
  close(r->wake[0]);
  close(r->wake[1]);
  pthread_mutex_destroy(&r->mu);
  orca__redis_held_clear(&r->held);
  free(r);
}

/* Safe from any thread: a blocking command in flight is cut off by shutting
 * the socket down (the owner thread then reconnects); otherwise the next
 * blocking call returns at once. A back-off pause is woken through the pipe. */
static void redis_interrupt(orca__backend *b) {
  orca__redis *r = (orca__redis *)b;
  if (r->cluster) {
    orca__rcluster_interrupt(r->cluster);
    return;
  }
  pthread_mutex_lock(&r->mu);
  r->interrupted = true;
  if (r->blocking && r->c && !r->shut) {
    shutdown(r->c->fd, SHUT_RDWR);
    r->shut = true;
  }
  pthread_mutex_unlock(&r->mu);
  ssize_t w = write(r->wake[1], "x", 1);
  (void)w;
}

bool orca__redis_queue_ok(const char *q) {
  if (!q || !*q || strlen(q) >= ORCA_NAME_MAX)
    return false;
  return !strchr(q, '{') && !strchr(q, '}');
}

int orca__redis_load_queues(orca__redis *r) {
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  orca__rargs_cmd(a, -1);
  orca__rargs_str(a, "SMEMBERS");
  orca__rargs_str(a, "orca:queues");
  redisReply *rep[1];
  int rc = orca__redis_exec(r, a, rep, 0);
  if (rc)
    return rc;
  rc = orca__redis_reply_error(r, rep[0], "SMEMBERS orca:queues");
  if (!rc && rep[0]->type == REDIS_REPLY_ARRAY) {
    free_queues(r);
    r->queues = calloc(rep[0]->elements ? rep[0]->elements : 1, sizeof *r->queues);
    if (!r->queues)
      rc = ORCA_ENOMEM;
    for (size_t i = 0; !rc && i < rep[0]->elements; i++) {
      const redisReply *e = rep[0]->element[i];
      char *s = malloc(e->len + 1);
      if (!s) {
        rc = ORCA_ENOMEM;
        break;
      }
      memcpy(s, e->str, e->len);
      s[e->len] = '\0';
      r->queues[r->nqueues++] = s;
    }
  }
  orca__redis_free_replies(rep, 1);
  return rc;
}

/* Send r->args (n commands) and collect their replies into a new array
 * *rep (the caller frees the replies, then the array). Returns 0, or
 * ORCA_ENOMEM or a connection error with *rep NULL. */
static int exec_all(orca__redis *r, size_t n, redisReply ***rep) {
  *rep = calloc(n ? n : 1, sizeof **rep);
  if (!*rep)
    return ORCA_ENOMEM;
  int rc = orca__redis_exec(r, &r->args, *rep, 0);
  if (rc) {
    free(*rep);
    *rep = NULL;
  }
  return rc;
}

int orca__redis_queue_calls(orca__redis *r, int script, const char *const *argv, size_t nargv,
                            redisReply ***rep, size_t *ncalls) {
  size_t n = r->cluster ? r->nqueues : (r->nqueues > 0), per = r->cluster ? 1 : r->nqueues;
  *rep = NULL;
  *ncalls = 0;
  if (n == 0)
    return 0;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  for (size_t c = 0; c < n; c++) {
    orca__rargs_cmd(a, script);
    orca__rargs_int(a, (int64_t)per);
    for (size_t i = c * per; i < (c + 1) * per; i++)
      orca__rargs_key(a, r->queues[i], "");
    for (size_t i = 0; i < nargv; i++)
      orca__rargs_str(a, argv[i]);
  }
  int rc = exec_all(r, n, rep);
  if (!rc)
    *ncalls = n;
  return rc;
}

static int probe(orca__redis *r, const char *id) {
  if (r->nqueues == 0)
    return ORCA_ENOTFOUND;
  orca__rargs *a = &r->args;
  orca__rargs_reset(a);
  for (size_t i = 0; i < r->nqueues; i++) {
    char suffix[ORCA_ID_MAX + 4];
    snprintf(suffix, sizeof suffix, "t:%s", id);
    orca__rargs_cmd(a, -1);
    orca__rargs_str(a, "EXISTS");
    orca__rargs_key(a, r->queues[i], suffix);
  }
  redisReply **rep;
  int rc = exec_all(r, r->nqueues, &rep);
  if (rc)
    return rc;
  int found = ORCA_ENOTFOUND;
  for (size_t i = 0; i < r->nqueues; i++)
    if (found < 0 && orca__redis_int(rep[i]) == 1)
      found = (int)i;
  orca__redis_free_replies(rep, r->nqueues);
  free(rep);
  return found;
}

int orca__redis_find_task(orca__redis *r, const char *id) {
  if (!id || !*id || strlen(id) >= ORCA_ID_MAX)
    return ORCA_ENOTFOUND;
  int rc = probe(r, id);
  if (rc != ORCA_ENOTFOUND)
    return rc;
  rc = orca__redis_load_queues(r);
  if (rc)
    return rc;
  return probe(r, id);
}

const orca__backend_ops orca__redis_ops = {
    .scheme = "redis",
    .open = redis_open,
    .close = redis_close,
    .interrupt = redis_interrupt,
    .enqueue = orca__redis_enqueue,
    .fetch = orca__redis_fetch,
    .complete = orca__redis_complete,
    .extend = orca__redis_extend,
    .promote = orca__redis_promote,
    .state_get = orca__redis_state_get,
    .state_wait = orca__redis_state_wait,
    .cancel = orca__redis_cancel,
    .dlq_list = orca__redis_dlq_list,
    .dlq_requeue = orca__redis_dlq_requeue,
    .dlq_purge = orca__redis_dlq_purge,
    .task_list = orca__redis_task_list,
    .stats = orca__redis_stats,
    .schedule_put = orca__redis_schedule_put,
    .schedule_get = orca__redis_schedule_get,
    .schedule_list = orca__redis_schedule_list,
    .schedule_remove = orca__redis_schedule_remove,
    .schedule_pause = orca__redis_schedule_pause,
    .schedule_fire = orca__redis_schedule_fire,
    .release_worker = orca__redis_release_worker,
    .peer_ads = orca__redis_peer_ads,
};
