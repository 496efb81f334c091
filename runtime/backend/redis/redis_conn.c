/* redis_conn.c — the connection layer of the Redis backend: the pipelined
 * argument builder, connecting (the handshake of redis_hello.c, then
 * FUNCTION LOAD of the Lua library), reconnecting with back-off, executing a pipeline (reloading
 * the library when the server lost it), and cutting a blocking command short from another thread.
 *
 * Why resending a pipeline after a reconnect is safe: every operation is
 * either read-only, or a script whose effect does not repeat (enqueue
 * refuses an id that exists, complete skips entries no longer pending for
 * this worker, fetch re-delivers at worst after the lease). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "backend/redis/redis_cluster.h"
#include "backend/redis/redis_internal.h"
#include "base/dec.h"
#include "orca/log.h"

/* ---- argument builder -------------------------------------------------- */

void orca__rargs_reset(orca__rargs *a) {
  a->text.len = 0;
  a->n = 0;
  a->ncmds = 0;
  a->err = 0;
}

void orca__rargs_free(orca__rargs *a) {
  orca_buf_free(&a->text);
  orca_buf_free(&a->resp);
  free(a->off);
  free(a->len);
  free(a->cmds);
  free(a->argv);
  memset(a, 0, sizeof *a);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return 0;
  size_t nc = *cap ? *cap * 2 : 64;
  while (nc < need)
    nc *= 2;
  void *np = realloc(*p, nc * elem);
  if (!np)
    return ORCA_ENOMEM;
  *p = np;
  *cap = nc;
  return 0;
}

void orca__rargs_add(orca__rargs *a, const void *p, size_t n) {
  if (a->err)
    return;
  size_t cap = a->cap;
  if (a->n + 1 > cap) {
    size_t c1 = cap, c2 = cap;
    if (grow((void **)&a->off, &c1, a->n + 1, sizeof *a->off) ||
        grow((void **)&a->len, &c2, a->n + 1, sizeof *a->len)) {
      a->err = ORCA_ENOMEM;
      return;
    }
    a->cap = c1 < c2 ? c1 : c2;
  }
  if (orca_buf_append(&a->text, p ? p : "", n)) {
    a->err = ORCA_ENOMEM;
    return;
  }
  a->off[a->n] = a->text.len - n;
  a->len[a->n] = n;
  a->n++;
  if (a->ncmds)
    a->cmds[a->ncmds - 1].argc++;
}

void orca__rargs_str(orca__rargs *a, const char *s) {
  orca__rargs_add(a, s, s ? strlen(s) : 0);
}

void orca__rargs_int(orca__rargs *a, int64_t v) {
  char tmp[ORCA__DEC_MAX];
  orca__rargs_add(a, tmp, orca__dec_i64(tmp, v));
}

void orca__rargs_key(orca__rargs *a, const char *q, const char *suffix) {
  char tmp[ORCA__REDIS_PREFIX_MAX + 64];
  int n = snprintf(tmp, sizeof tmp, "orca:{%s}:%s", q, suffix);
  orca__rargs_add(a, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void orca__rargs_cmd(orca__rargs *a, int script) {
  if (a->err)
    return;
  if (grow((void **)&a->cmds, &a->cmdcap, a->ncmds + 1, sizeof *a->cmds)) {
    a->err = ORCA_ENOMEM;
    return;
  }
  a->cmds[a->ncmds++] = (orca__rcmd){a->n, 0, script};
  if (script >= 0) {
    orca__rargs_str(a, "FCALL");
    orca__rargs_str(a, orca__redis_function(script));
  }
}

int orca__rargs_argv(orca__rargs *a) {
  if (a->err)
    return a->err;
  if (grow((void **)&a->argv, &a->argvcap, a->n + 1, sizeof *a->argv))
    return ORCA_ENOMEM;
  for (size_t i = 0; i < a->n; i++)
    a->argv[i] = (const char *)a->text.data + a->off[i];
  return 0;
}

/* ---- connecting --------------------------------------------------------- */

static struct timeval tv_of(int64_t us) {
  if (us < 1000)
    us = 1000;
  return (struct timeval){.tv_sec = us / 1000000, .tv_usec = us % 1000000};
}

/* FUNCTION LOAD the library; one that is there already (loaded by another
 * handle or process of the same version) is fine. Returns 0, or
 * ORCA_ECONNECT (no reply) / ORCA_EBACKEND (refused, with the server's
 * reason) with err. */
static int load_library(orca__redis *r, orca_err *err) {
  const char *lib = orca__redis_library();
  if (!lib)
    return orca_err_set(err, ORCA_ENOMEM, "redis %s:%d: out of memory", r->host, r->port);
  redisReply *rep = redisCommand(r->c, "FUNCTION LOAD %s", lib);
  if (!rep)
    return orca__redis_describe_io(r, "FUNCTION LOAD", err);
  int rc = 0;
  if (rep->type == REDIS_REPLY_ERROR && !strstr(rep->str, "already exists")) {
    char msg[512];
    rc = orca_err_set(err, ORCA_EBACKEND, "redis %s:%d: loading the orca Lua library failed: %s%s",
                      r->host, r->port, orca__redis_where(rep->str, msg, sizeof msg),
                      strstr(rep->str, "unknown command") ? " (Redis 7.0 or later is needed)" : "");
  } else {
    r->lib_loaded = true;
  }
  freeReplyObject(rep);
  return rc;
}

int orca__redis_connect(orca__redis *r, orca_err *err) {
  orca__redis_disconnect(r);
  redisContext *c = redisConnectWithTimeout(r->host, r->port, tv_of(r->op_timeout_us));
  if (!c)
    return orca_err_set(err, ORCA_ENOMEM, "redis %s:%d: out of memory", r->host, r->port);
  if (c->err) {
    int rc = orca_err_set(err, ORCA_ECONNECT, "cannot connect to redis at %s:%d: %s", r->host,
                          r->port, c->errstr);
    redisFree(c);
    return rc;
  }
  redisSetTimeout(c, tv_of(r->op_timeout_us));
  pthread_mutex_lock(&r->mu);
  r->c = c;
  r->shut = false;
  pthread_mutex_unlock(&r->mu);
  int rc = orca__redis_hello(r, err);
  if (!rc && !r->lib_loaded)
    rc = load_library(r, err);
  if (rc)
    orca__redis_disconnect(r);
  return rc;
}

void orca__redis_disconnect(orca__redis *r) {
  pthread_mutex_lock(&r->mu);
  redisContext *c = r->c;
  r->c = NULL;
  pthread_mutex_unlock(&r->mu);
  if (c)
    redisFree(c);
}

bool orca__redis_pause(orca__redis *r, int64_t us) {
  struct pollfd p = {.fd = r->wake[0], .events = POLLIN};
  int ms = (int)((us + 999) / 1000);
  if (poll(&p, 1, ms) > 0) {
    char junk[64];
    while (read(r->wake[0], junk, sizeof junk) > 0) {
    }
    return true;
  }
  return false;
}

bool orca__redis_take_interrupt(orca__redis *r) {
  pthread_mutex_lock(&r->mu);
  bool was = r->interrupted;
  r->interrupted = false;
  pthread_mutex_unlock(&r->mu);
  return was;
}

/* Reconnect after a failure, pausing by the back-off first (10 ms doubling
 * to 1 s). Logs the outage once and the recovery once. */
static int reconnect(orca__redis *r, int64_t deadline) {
  int64_t left = deadline - orca_monotonic_us();
  int64_t pause = r->backoff_us < left ? r->backoff_us : left;
  if (pause > 0 && orca__redis_pause(r, pause))
    return ORCA_EAGAIN;
  r->backoff_us = r->backoff_us ? r->backoff_us * 2 : 10000;
  if (r->backoff_us > 1000000)
    r->backoff_us = 1000000;
  orca_err e = {0};
  int rc = orca__redis_connect(r, &e);
  if (rc) {
    if (!r->down_logged)
      orca_log(ORCA_LOG_WARN, "%s; retrying with back-off", e.msg);
    r->down_logged = true;
    return rc;
  }
  if (r->down_logged)
    orca_log(ORCA_LOG_INFO, "redis %s:%d: reconnected", r->host, r->port);
  r->down_logged = false;
  r->backoff_us = 0;
  return 0;
}

/* ---- executing ---------------------------------------------------------- */

static void materialize(orca__rargs *a) {
  for (size_t i = 0; i < a->n; i++)
    a->argv[i] = (const char *)a->text.data + a->off[i];
}

/* Put "<mark><n>\r\n" at p; returns the end. */
static char *resp_head(char *p, char mark, size_t n) {
  *p++ = mark;
  p += orca__dec_i64(p, (int64_t)n);
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

/* Queue command k of a on the connection. The RESP text is built here in
 * one pass into a->resp and handed over whole: hiredis's argv formatter
 * grows its buffer with a formatted append per argument, which cost the
 * pump more than the rest of a complete call's encoding. Returns 0,
 * ORCA_ENOMEM, or ORCA_ECONNECT. */
static int send_one(orca__redis *r, orca__rargs *a, size_t k) {
  const orca__rcmd *c = &a->cmds[k];
  size_t need = ORCA__DEC_MAX + 3;
  for (size_t i = 0; i < c->argc; i++)
    need += a->len[c->first + i] + ORCA__DEC_MAX + 5;
  orca_buf_reset(&a->resp);
  if (orca_buf_reserve(&a->resp, need))
    return ORCA_ENOMEM;
  char *p = (char *)a->resp.data;
  p = resp_head(p, '*', c->argc);
  for (size_t i = 0; i < c->argc; i++) {
    size_t len = a->len[c->first + i];
    p = resp_head(p, '$', len);
    if (len)
      memcpy(p, a->argv[c->first + i], len);
    p += len;
    *p++ = '\r';
    *p++ = '\n';
  }
  size_t n = (size_t)(p - (char *)a->resp.data);
  return redisAppendFormattedCommand(r->c, (const char *)a->resp.data, n) == REDIS_OK
             ? 0
             : ORCA_ECONNECT;
}

/* The library is gone (FUNCTION FLUSH, a server restarted without
 * persistence): load it again and resend. */
static bool is_noscript(const redisReply *rep) {
  return rep && rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "Function not found");
}

/* A server that is starting up (loading its AOF/RDB) answers LOADING; it is
 * treated like an outage and retried with back-off. */
static bool is_loading(const redisReply *rep) {
  return rep && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "LOADING", 7) == 0;
}

/* Write the buffered commands out, then arm interrupt(): from now on it
 * may shut the socket down, since nothing is left to write (a shutdown
 * before the write would make it fail with EPIPE). An interrupt that came
 * in while writing cuts the command here. */
static int arm_blocking(orca__redis *r) {
  int done = 0;
  while (!done)
    if (redisBufferWrite(r->c, &done) != REDIS_OK)
      return ORCA_ECONNECT;
  pthread_mutex_lock(&r->mu);
  if (r->interrupted && !r->shut) {
    shutdown(r->c->fd, SHUT_RDWR);
    r->shut = true;
  }
  r->blocking = true;
  pthread_mutex_unlock(&r->mu);
  return 0;
}

/* One attempt: send all, read all. ORCA_ECONNECT on a broken connection.
 * blocking: the pipeline ends with a blocking command (see arm_blocking). */
static int attempt(orca__redis *r, orca__rargs *a, redisReply **rep, bool blocking) {
  for (size_t k = 0; k < a->ncmds; k++)
    if (send_one(r, a, k))
      return ORCA_ECONNECT;
  if (blocking && arm_blocking(r))
    return ORCA_ECONNECT;
  for (size_t k = 0; k < a->ncmds; k++) {
    void *p = NULL;
    if (redisGetReply(r->c, &p) != REDIS_OK) {
      orca__redis_free_replies(rep, k);
      return ORCA_ECONNECT;
    }
    rep[k] = p;
  }
  for (size_t k = 0; k < a->ncmds; k++)
    if (is_loading(rep[k])) {
      orca__redis_free_replies(rep, a->ncmds);
      return ORCA_EAGAIN;
    }
  for (size_t k = 0; k < a->ncmds; k++) {
    if (!is_noscript(rep[k]))
      continue;
    int s = a->cmds[k].script;
    orca_err e = {0};
    if (s < 0 || load_library(r, &e)) {
      if (e.msg[0])
        orca_log(ORCA_LOG_ERROR, "%s", e.msg);
      orca__redis_free_replies(rep, a->ncmds);
      return ORCA_ECONNECT;
    }
    materialize(a);
    void *p = NULL;
    if (send_one(r, a, k) || redisGetReply(r->c, &p) != REDIS_OK) {
      orca__redis_free_replies(rep, a->ncmds);
      return ORCA_ECONNECT;
    }
    freeReplyObject(rep[k]);
    rep[k] = p;
  }
  return 0;
}

/* ---- Redis Cluster ------------------------------------------------------ */

/* The handshake and the library on a new node connection: the node's
 * context is lent to r for the duration (hello and load_library speak
 * through r->c and name r->host:r->port), then given back. Runs on the
 * handle's own thread; interrupt() does not look at r->c in cluster mode. */
static int cluster_node_connect(void *ud, orca__rcnode *n, orca_err *err) {
  orca__redis *r = ud;
  char host[sizeof r->host];
  int port = r->port;
  memcpy(host, r->host, sizeof host);
  snprintf(r->host, sizeof r->host, "%s", n->host);
  r->port = n->port;
  r->c = n->c;
  int rc = orca__redis_hello(r, err);
  if (!rc)
    rc = load_library(r, err);
  r->c = NULL;
  memcpy(r->host, host, sizeof host);
  r->port = port;
  return rc;
}

static int cluster_node_reload(void *ud, orca__rcnode *n) {
  orca_err e = {0};
  int rc = cluster_node_connect(ud, n, &e);
  if (rc)
    orca_log(ORCA_LOG_ERROR, "%s", e.msg);
  return rc;
}

int orca__redis_cluster_open(orca__redis *r, orca_err *err) {
  orca__rcluster *cl = calloc(1, sizeof *cl);
  if (!cl)
    return orca_err_set(err, ORCA_ENOMEM, "redis cluster: out of memory");
  orca__rcluster_hooks hooks = {cluster_node_connect, cluster_node_reload, r};
  int rc = orca__rcluster_init(cl, r->seeds, r->op_timeout_us, &hooks, err);
  if (rc) {
    free(cl);
    return rc;
  }
  r->cluster = cl;
  cl->wait_replicas = r->wait_replicas;
  cl->wait_ms = orca__redis_ms_up(r->op_timeout_us < 1000000 ? r->op_timeout_us : 1000000);
  return orca__rcluster_refresh(cl, err);
}

void orca__redis_cluster_close(orca__redis *r) {
  if (r->cluster) {
    orca__rcluster_free(r->cluster);
    free(r->cluster);
    r->cluster = NULL;
  }
  free(r->seeds);
  r->seeds = NULL;
}

/* exec through the cluster client: the same contract as for one server. */
static int cluster_exec(orca__redis *r, orca__rargs *a, redisReply **rep, int64_t block_us) {
  uint64_t retries = r->cluster->nretry;
  int rc = orca__rcluster_exec(r->cluster, a, rep, block_us);
  r->retried = r->cluster->nretry != retries;
  r->cut = r->cluster->cut;
  return rc;
}

int orca__redis_exec(orca__redis *r, orca__rargs *a, redisReply **rep, int64_t block_us) {
  if (a->err)
    return a->err;
  if (r->cluster)
    return cluster_exec(r, a, rep, block_us);
  if (grow((void **)&a->argv, &a->argvcap, a->n + 1, sizeof *a->argv))
    return ORCA_ENOMEM;
  for (size_t k = 0; k < a->ncmds; k++)
    rep[k] = NULL;
  r->retried = false;
  r->cut = false;
  int64_t deadline = orca_monotonic_us() + r->op_timeout_us + (block_us > 0 ? block_us : 0);
  for (int tries = 0;; tries++) {
    if (!r->c) {
      int rc = reconnect(r, deadline);
      if (rc == ORCA_EAGAIN)
        return rc;
      if (rc) {
        if (orca_monotonic_us() >= deadline)
          return ORCA_ECONNECT;
        continue;
      }
    }
    materialize(a);
    if (tries)
      r->retried = true;
    if (block_us > 0) {
      pthread_mutex_lock(&r->mu);
      bool intr = r->interrupted;
      r->interrupted = false;
      pthread_mutex_unlock(&r->mu);
      if (intr)
        return ORCA_EAGAIN; /* nothing sent */
      redisSetTimeout(r->c, tv_of(r->op_timeout_us + block_us));
    }
    int rc = attempt(r, a, rep, block_us > 0);
    if (block_us > 0) {
      pthread_mutex_lock(&r->mu);
      r->blocking = false;
      bool shut = r->shut;
      bool intr = r->interrupted;
      r->interrupted = false;
      pthread_mutex_unlock(&r->mu);
      if (shut || intr) {
        if (shut)
          orca__redis_disconnect(r); /* the socket was shut down under us */
        if (rc == 0) {
          /* A reply that arrived whole is kept (dropping an XREADGROUP's
           * reply would strand the entries it delivered); the interrupt
           * stays armed for the caller's next blocking call. */
          pthread_mutex_lock(&r->mu);
          r->interrupted = true;
          pthread_mutex_unlock(&r->mu);
          return 0;
        }
        r->cut = true;
        return ORCA_EAGAIN;
      }
      if (r->c)
        redisSetTimeout(r->c, tv_of(r->op_timeout_us));
    }
    if (rc == 0) {
      if (r->down_logged)
        orca_log(ORCA_LOG_INFO, "redis %s:%d: back in service", r->host, r->port);
      r->down_logged = false;
      return 0;
    }
    if (rc == ORCA_EAGAIN) { /* LOADING: keep the connection, pause, resend */
      if (orca_monotonic_us() >= deadline)
        return ORCA_ECONNECT;
      if (!r->down_logged)
        orca_log(ORCA_LOG_WARN, "redis %s:%d: server is loading its data; waiting", r->host,
                 r->port);
      r->down_logged = true;
      if (orca__redis_pause(r, 20000))
        return ORCA_EAGAIN;
      continue;
    }
    if (r->c && !r->down_logged)
      orca_log(ORCA_LOG_WARN, "redis %s:%d: connection lost (%s); reconnecting", r->host, r->port,
               r->c->errstr[0] ? r->c->errstr : "I/O error");
    r->down_logged = true;
    orca__redis_disconnect(r);
    if (orca_monotonic_us() >= deadline)
      return ORCA_ECONNECT;
  }
}

void orca__redis_free_replies(redisReply **rep, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (rep[i])
      freeReplyObject(rep[i]);
    rep[i] = NULL;
  }
}

int orca__redis_reply_error(orca__redis *r, const redisReply *rep, const char *what) {
  if (rep && rep->type != REDIS_REPLY_ERROR)
    return 0;
  char msg[512];
  orca_log(ORCA_LOG_ERROR, "redis %s:%d: %s failed: %s", r->host, r->port, what,
           rep ? orca__redis_where(rep->str, msg, sizeof msg) : "no reply");
  return ORCA_EBACKEND;
}

int64_t orca__redis_int(const redisReply *rep) {
  if (!rep)
    return 0;
  if (rep->type == REDIS_REPLY_INTEGER)
    return rep->integer;
  if (rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_STATUS) {
    char tmp[32];
    size_t n = rep->len < sizeof tmp - 1 ? rep->len : sizeof tmp - 1;
    memcpy(tmp, rep->str, n);
    tmp[n] = '\0';
    return strtoll(tmp, NULL, 10);
  }
  return 0;
}

void orca__redis_copy(const redisReply *rep, char *out, size_t outlen) {
  if (!outlen)
    return;
  out[0] = '\0';
  if (!rep || (rep->type != REDIS_REPLY_STRING && rep->type != REDIS_REPLY_STATUS))
    return;
  size_t n = rep->len < outlen - 1 ? rep->len : outlen - 1;
  memcpy(out, rep->str, n);
  out[n] = '\0';
}
