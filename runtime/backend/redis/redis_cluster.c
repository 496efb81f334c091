/* redis_cluster.c — the Redis Cluster client (redis_cluster.h): seeds,
 * the slot map, connections per node, and the routed pipeline with its
 * redirections and retries.
 *
 * Why resending is safe: MOVED, ASK, TRYAGAIN and CLUSTERDOWN replies mean
 * the command did not run; a broken connection may have run it, and the
 * backend's operations are written to be resent (redis_conn.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "backend/redis/redis_cluster.h"
#include "orca/log.h"

static struct timeval tv_of(int64_t us) {
  if (us < 1000)
    us = 1000;
  return (struct timeval){.tv_sec = us / 1000000, .tv_usec = us % 1000000};
}

/* The index of node host:port, added when new; -1 when the table is full
 * or out of memory. */
static int node_index(orca__rcluster *cl, const char *host, size_t hlen, int port) {
  for (size_t i = 0; i < cl->nnodes; i++)
    if (cl->node[i]->port == port && strlen(cl->node[i]->host) == hlen &&
        memcmp(cl->node[i]->host, host, hlen) == 0)
      return (int)i;
  if (cl->nnodes >= ORCA__REDIS_MAX_NODES || hlen >= sizeof cl->node[0]->host)
    return -1;
  orca__rcnode *n = calloc(1, sizeof *n);
  if (!n)
    return -1;
  memcpy(n->host, host, hlen);
  n->port = port;
  pthread_mutex_lock(&cl->mu);
  cl->node[cl->nnodes] = n;
  cl->nnodes++;
  pthread_mutex_unlock(&cl->mu);
  return (int)cl->nnodes - 1;
}

int orca__rcluster_init(orca__rcluster *cl, const char *seeds, int64_t op_timeout_us,
                        const orca__rcluster_hooks *hooks, orca_err *err) {
  memset(cl, 0, sizeof *cl);
  cl->op_timeout_us = op_timeout_us > 0 ? op_timeout_us : 5000000;
  cl->blocking = -1;
  cl->wake[0] = cl->wake[1] = -1;
  if (hooks)
    cl->hooks = *hooks;
  for (int s = 0; s < ORCA__REDIS_SLOTS; s++)
    cl->slot[s] = -1;
  pthread_mutex_init(&cl->mu, NULL);
  int rc = 0;
  const char *p = seeds;
  while (!rc) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
      if (p[i] == ':')
        colon = p + i;
    char *num_end = NULL;
    long port = colon ? strtol(colon + 1, &num_end, 10) : 0;
    if (len == 0)
      rc = orca_err_set(err, ORCA_EURL, "an empty HOST:PORT in the node list '%s'", seeds);
    else if (!colon || colon == p)
      rc = orca_err_set(err, ORCA_EURL, "node '%.*s': want HOST:PORT", (int)len, p);
    else if (num_end != p + len || colon + 1 == p + len || port < 1 || port > 65535)
      rc = orca_err_set(err, ORCA_EURL, "node '%.*s': port '%.*s' is not a number in 1..65535",
                        (int)len, p, (int)(p + len - colon - 1), colon + 1);
    else if (node_index(cl, p, (size_t)(colon - p), (int)port) < 0)
      rc =
          orca_err_set(err, ORCA_EURL, "node '%.*s': host too long or too many nodes", (int)len, p);
    if (!end)
      break;
    p = end + 1;
  }
  if (!rc && pipe(cl->wake) != 0)
    rc = orca_err_set(err, ORCA_EIO, "redis cluster: pipe: %s", strerror(errno));
  for (int i = 0; !rc && i < 2; i++) {
    fcntl(cl->wake[i], F_SETFL, fcntl(cl->wake[i], F_GETFL) | O_NONBLOCK);
    fcntl(cl->wake[i], F_SETFD, FD_CLOEXEC);
  }
  if (rc) {
    orca__rcluster_free(cl);
    return rc;
  }
  cl->nseeds = cl->nnodes;
  return 0;
}

static void disconnect(orca__rcluster *cl, orca__rcnode *n) {
  pthread_mutex_lock(&cl->mu);
  redisContext *c = n->c;
  n->c = NULL;
  pthread_mutex_unlock(&cl->mu);
  if (c)
    redisFree(c);
}

void orca__rcluster_free(orca__rcluster *cl) {
  for (size_t i = 0; i < cl->nnodes; i++) {
    disconnect(cl, cl->node[i]);
    free(cl->node[i]);
  }
  for (int i = 0; i < 2; i++)
    if (cl->wake[i] >= 0)
      close(cl->wake[i]);
  free(cl->dest);
  free(cl->ask);
  pthread_mutex_destroy(&cl->mu);
  memset(cl, 0, sizeof *cl);
  cl->wake[0] = cl->wake[1] = -1;
}

/* Connect node n when it is not; 0 or an error with err. */
static int ensure(orca__rcluster *cl, orca__rcnode *n, orca_err *err) {
  if (n->c)
    return 0;
  redisContext *c = redisConnectWithTimeout(n->host, n->port, tv_of(cl->op_timeout_us));
  if (!c)
    return orca_err_set(err, ORCA_ENOMEM, "redis %s:%d: out of memory", n->host, n->port);
  if (c->err) {
    int rc = orca_err_set(err, ORCA_ECONNECT, "cannot connect to redis at %s:%d: %s", n->host,
                          n->port, c->errstr);
    redisFree(c);
    return rc;
  }
  redisSetTimeout(c, tv_of(cl->op_timeout_us));
  pthread_mutex_lock(&cl->mu);
  n->c = c;
  n->shut = false;
  pthread_mutex_unlock(&cl->mu);
  int rc = cl->hooks.connect ? cl->hooks.connect(cl->hooks.ud, n, err) : 0;
  if (rc)
    disconnect(cl, n);
  return rc;
}

/* Rebuild the map from a CLUSTER SLOTS reply asked of node `from` (whose
 * address stands in for a primary reported without one). */
static int apply_slots(orca__rcluster *cl, const orca__rcnode *from, const redisReply *rep) {
  int16_t *next = malloc(sizeof cl->slot);
  int replicas[ORCA__REDIS_MAX_NODES] = {0};
  if (!next)
    return ORCA_ENOMEM;
  for (int s = 0; s < ORCA__REDIS_SLOTS; s++)
    next[s] = -1;
  for (size_t k = 0; k < rep->elements; k++) {
    const redisReply *r = rep->element[k];
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[2]->type != REDIS_REPLY_ARRAY || r->element[2]->elements < 2)
      continue;
    const redisReply *addr = r->element[2]->element[0];
    const char *host = from->host;
    size_t hlen = strlen(from->host);
    if (addr->type == REDIS_REPLY_STRING && addr->len > 0 && strcmp(addr->str, "?") != 0) {
      host = addr->str;
      hlen = addr->len;
    }
    int idx = node_index(cl, host, hlen, (int)r->element[2]->element[1]->integer);
    if (idx < 0)
      continue;
    replicas[idx] = (int)r->elements - 3;
    long long lo = r->element[0]->integer, hi = r->element[1]->integer;
    for (long long s = lo < 0 ? 0 : lo; s <= hi && s < ORCA__REDIS_SLOTS; s++)
      next[s] = (int16_t)idx;
  }
  memcpy(cl->slot, next, sizeof cl->slot);
  free(next);
  for (size_t i = 0; i < cl->nnodes; i++)
    cl->node[i]->replicas = replicas[i];
  cl->mapped = true;
  cl->nrefresh++;
  return 0;
}

int orca__rcluster_refresh(orca__rcluster *cl, orca_err *err) {
  orca_err e = {0};
  int rc = ORCA_ECONNECT;
  /* Connected nodes first (no connect cost), then every known node. */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < cl->nnodes; i++) {
      orca__rcnode *n = cl->node[i];
      if ((pass == 0) != (n->c != NULL))
        continue;
      if ((rc = ensure(cl, n, &e)))
        continue;
      redisReply *rep = redisCommand(n->c, "CLUSTER SLOTS");
      if (!rep) {
        rc = orca_err_set(&e, ORCA_ECONNECT, "redis %s:%d: CLUSTER SLOTS: %s", n->host, n->port,
                          n->c->errstr[0] ? n->c->errstr : "no reply");
        disconnect(cl, n);
        continue;
      }
      if (rep->type != REDIS_REPLY_ARRAY) {
        rc = orca_err_set(&e, ORCA_EBACKEND, "redis %s:%d: CLUSTER SLOTS failed: %s%s", n->host,
                          n->port, rep->type == REDIS_REPLY_ERROR ? rep->str : "not an array",
                          rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "cluster support")
                              ? " (this server is not in cluster mode: use redis://)"
                              : "");
        freeReplyObject(rep);
        continue;
      }
      rc = apply_slots(cl, n, rep);
      freeReplyObject(rep);
      if (!rc)
        return 0;
    }
  if (err)
    *err = e;
  return rc;
}

/* ---- routing ------------------------------------------------------------ */

static int grow_scratch(orca__rcluster *cl, size_t n) {
  if (n <= cl->scratchcap)
    return 0;
  size_t cap = cl->scratchcap ? cl->scratchcap : 64;
  while (cap < n)
    cap *= 2;
  int *d = realloc(cl->dest, cap * sizeof *d);
  if (!d)
    return ORCA_ENOMEM;
  cl->dest = d;
  int *a = realloc(cl->ask, cap * sizeof *a);
  if (!a)
    return ORCA_ENOMEM;
  cl->ask = a;
  cl->scratchcap = cap;
  return 0;
}

/* The node command k goes to: its ASK target, else its slot's primary,
 * else (keyless, or no map yet) the first node that has a connection or
 * the first known one. -1 when its slot has no known owner. */
static int route(orca__rcluster *cl, const orca__rargs *a, size_t k) {
  if (cl->ask[k] >= 0)
    return cl->ask[k];
  const orca__rcmd *c = &a->cmds[k];
  int key = orca__redis_cmd_key(c->argc, a->argv + c->first, a->len + c->first);
  if (key >= 0 && (size_t)key < c->argc) {
    unsigned s = orca__redis_key_slot(a->argv[c->first + key], a->len[c->first + key]);
    return cl->slot[s];
  }
  for (int s = 0; s < ORCA__REDIS_SLOTS; s += 1024)
    if (cl->slot[s] >= 0 && cl->node[cl->slot[s]]->c)
      return cl->slot[s];
  return cl->slot[0] >= 0 ? cl->slot[0] : 0;
}

/* "MOVED 3999 127.0.0.1:6381" / "ASK ...": the node index of the address
 * (added when new), or -1. */
static int redirect_target(orca__rcluster *cl, const char *msg) {
  const char *sp = strchr(msg, ' ');
  const char *addr = sp ? strchr(sp + 1, ' ') : NULL;
  if (!addr)
    return -1;
  addr++;
  const char *colon = strrchr(addr, ':');
  if (!colon)
    return -1;
  int port = atoi(colon + 1);
  const char *host = addr;
  size_t hlen = (size_t)(colon - addr);
  return port > 0 ? node_index(cl, host, hlen, port) : -1;
}

static bool starts(const redisReply *r, const char *prefix) {
  return r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, prefix, strlen(prefix)) == 0;
}

/* Pause up to us, or until interrupt(): true when interrupted. */
static bool pause_for(orca__rcluster *cl, int64_t us) {
  struct pollfd p = {.fd = cl->wake[0], .events = POLLIN};
  if (poll(&p, 1, (int)((us + 999) / 1000)) > 0) {
    char junk[64];
    while (read(cl->wake[0], junk, sizeof junk) > 0) {
    }
    return true;
  }
  return false;
}

void orca__rcluster_interrupt(orca__rcluster *cl) {
  pthread_mutex_lock(&cl->mu);
  cl->interrupted = true;
  if (cl->blocking >= 0) {
    orca__rcnode *n = cl->node[cl->blocking];
    if (n->c && !n->shut) {
      shutdown(n->c->fd, SHUT_RDWR);
      n->shut = true;
    }
  }
  pthread_mutex_unlock(&cl->mu);
  ssize_t w = write(cl->wake[1], "x", 1);
  (void)w;
}

static bool take_interrupt(orca__rcluster *cl) {
  pthread_mutex_lock(&cl->mu);
  bool was = cl->interrupted;
  cl->interrupted = false;
  pthread_mutex_unlock(&cl->mu);
  return was;
}

/* Append command k to its node (preceded by ASKING after an ASK). */
static int append(orca__rcluster *cl, const orca__rargs *a, size_t k, orca__rcnode *n) {
  const orca__rcmd *c = &a->cmds[k];
  if (cl->ask[k] >= 0) {
    if (redisAppendCommand(n->c, "ASKING") != REDIS_OK)
      return ORCA_ECONNECT;
    n->nsent++;
  }
  if (redisAppendCommandArgv(n->c, (int)c->argc, a->argv + c->first, a->len + c->first) != REDIS_OK)
    return ORCA_ECONNECT;
  n->nsent++;
  return 0;
}

/* Write out node n's buffer; for a blocking round, then arm interrupt(). */
static int flush(orca__rcluster *cl, int idx, bool blocking) {
  orca__rcnode *n = cl->node[idx];
  int done = 0;
  while (!done)
    if (redisBufferWrite(n->c, &done) != REDIS_OK)
      return ORCA_ECONNECT;
  if (blocking) {
    pthread_mutex_lock(&cl->mu);
    if (cl->interrupted && !n->shut) {
      shutdown(n->c->fd, SHUT_RDWR);
      n->shut = true;
    }
    cl->blocking = idx;
    pthread_mutex_unlock(&cl->mu);
  }
  return 0;
}

/* What a round found, besides replies. */
typedef struct round_state {
  bool refresh; /* the map changed or a node failed: ask for it again */
  bool pause;   /* back off before the next round */
  char why[512];
} round_state;

static bool is_script(const orca__rargs *a, size_t k) {
  const orca__rcmd *c = &a->cmds[k];
  const char *cmd = a->argv[c->first];
  size_t n = a->len[c->first];
  return (n == 5 && strncasecmp(cmd, "FCALL", 5) == 0) ||
         (n == 8 && strncasecmp(cmd, "FCALL_RO", 8) == 0) ||
         (n == 4 && strncasecmp(cmd, "EVAL", 4) == 0) ||
         (n == 7 && strncasecmp(cmd, "EVALSHA", 7) == 0);
}

/* Look at reply r to command k: store it, or note why it must be resent. */
static void classify(orca__rcluster *cl, const orca__rargs *a, size_t k, redisReply *r,
                     redisReply **rep, round_state *st, int idx) {
  const orca__rcmd *c = &a->cmds[k];
  if (starts(r, "MOVED ")) {
    int to = redirect_target(cl, r->str);
    int key = orca__redis_cmd_key(c->argc, a->argv + c->first, a->len + c->first);
    if (to >= 0 && key >= 0)
      cl->slot[orca__redis_key_slot(a->argv[c->first + key], a->len[c->first + key])] = (int16_t)to;
    cl->nmoved++;
    cl->ask[k] = -1;
    st->refresh = true;
  } else if (starts(r, "ASK ") && is_script(a, k)) {
    /* A script declares a key that never exists (a queue's prefix), so
     * the migrating node says ASK whatever it still holds, and on the
     * importing node the keys not moved yet would look absent. Wait for
     * the migration to end (MOVED) instead. */
    snprintf(st->why, sizeof st->why,
             "redis %s:%d: slot %u is migrating; scripts of its queue wait", cl->node[idx]->host,
             cl->node[idx]->port, (unsigned)atoi(r->str + 4));
    st->pause = true;
    cl->ask[k] = -1;
    cl->nask++;
  } else if (starts(r, "ASK ")) {
    cl->ask[k] = redirect_target(cl, r->str);
    cl->nask++;
  } else if (starts(r, "TRYAGAIN") || starts(r, "CLUSTERDOWN") || starts(r, "LOADING") ||
             starts(r, "MASTERDOWN")) {
    snprintf(st->why, sizeof st->why, "redis %s:%d: %s", cl->node[idx]->host, cl->node[idx]->port,
             r->str);
    st->pause = true;
    st->refresh |= !starts(r, "TRYAGAIN");
    cl->ask[k] = -1;
  } else if (r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "Function not found") &&
             cl->hooks.reload && cl->hooks.reload(cl->hooks.ud, cl->node[idx]) == 0) {
    st->pause = true; /* resent as it is, after a pause should the reload not hold */
  } else {
    rep[k] = r;
    return;
  }
  freeReplyObject(r);
}

/* One round: send every command that has no reply yet, read what came.
 * Returns 0 (look at rep[] and st) or ORCA_ENOMEM. */
static int round_trip(orca__rcluster *cl, orca__rargs *a, redisReply **rep, bool blocking,
                      round_state *st) {
  for (size_t i = 0; i < cl->nnodes; i++) {
    cl->node[i]->nsent = 0;
    cl->node[i]->waiting = false;
  }
  for (size_t k = 0; k < a->ncmds; k++) {
    cl->dest[k] = -1;
    if (rep[k])
      continue;
    int idx = route(cl, a, k);
    if (idx < 0) {
      st->refresh = true;
      continue;
    }
    orca__rcnode *n = cl->node[idx];
    orca_err e = {0};
    if (ensure(cl, n, &e)) {
      snprintf(st->why, sizeof st->why, "%s", e.msg);
      st->refresh = st->pause = true;
      continue;
    }
    if (append(cl, a, k, n)) {
      disconnect(cl, n);
      st->refresh = st->pause = true;
      continue;
    }
    cl->dest[k] = idx;
  }
  /* WAIT ends each non-blocking batch to a primary that has a replica. */
  for (size_t i = 0; !blocking && cl->wait_replicas > 0 && i < cl->nnodes; i++) {
    orca__rcnode *n = cl->node[i];
    if (!n->nsent || !n->c || n->replicas <= 0)
      continue;
    int want = cl->wait_replicas < n->replicas ? cl->wait_replicas : n->replicas;
    if (redisAppendCommand(n->c, "WAIT %d %lld", want, (long long)cl->wait_ms) == REDIS_OK)
      n->waiting = true;
  }
  for (size_t i = 0; i < cl->nnodes; i++)
    if (cl->node[i]->nsent && cl->node[i]->c && flush(cl, (int)i, blocking)) {
      disconnect(cl, cl->node[i]);
      st->refresh = st->pause = true;
    }
  for (size_t k = 0; k < a->ncmds; k++) {
    int idx = cl->dest[k];
    if (idx < 0)
      continue;
    orca__rcnode *n = cl->node[idx];
    if (!n->c)
      continue; /* broke earlier in this round: resent next round */
    void *p = NULL;
    if (cl->ask[k] >= 0 && redisGetReply(n->c, &p) == REDIS_OK) {
      freeReplyObject(p);
      p = NULL;
    }
    if (n->c->err || redisGetReply(n->c, &p) != REDIS_OK) {
      snprintf(st->why, sizeof st->why, "redis %s:%d: connection lost (%s)", n->host, n->port,
               n->c->errstr[0] ? n->c->errstr : "I/O error");
      disconnect(cl, n);
      st->refresh = st->pause = true;
      continue;
    }
    classify(cl, a, k, p, rep, st, idx);
  }
  for (size_t i = 0; i < cl->nnodes; i++) {
    orca__rcnode *n = cl->node[i];
    if (!n->waiting || !n->c)
      continue;
    void *p = NULL;
    if (redisGetReply(n->c, &p) != REDIS_OK) {
      disconnect(cl, n);
      continue; /* the replies are in; only the WAIT is lost */
    }
    redisReply *w = p;
    int want = cl->wait_replicas < n->replicas ? cl->wait_replicas : n->replicas;
    if (w->type != REDIS_REPLY_INTEGER || w->integer < want) {
      cl->nwait_short++;
      if (!n->wait_warn)
        orca_log(ORCA_LOG_WARN,
                 "redis %s:%d: no replica acknowledged a write within %lld ms (WAIT %d)", n->host,
                 n->port, (long long)cl->wait_ms, want);
      n->wait_warn = true;
    } else {
      n->wait_warn = false;
    }
    freeReplyObject(w);
  }
  return 0;
}

int orca__rcluster_exec(orca__rcluster *cl, orca__rargs *a, redisReply **rep, int64_t block_us) {
  int rc = orca__rargs_argv(a);
  if (!rc)
    rc = grow_scratch(cl, a->ncmds);
  if (rc)
    return rc;
  for (size_t k = 0; k < a->ncmds; k++) {
    rep[k] = NULL;
    cl->ask[k] = -1;
  }
  cl->cut = false;
  int64_t deadline = orca_monotonic_us() + cl->op_timeout_us + (block_us > 0 ? block_us : 0);
  bool blocking = block_us > 0;
  for (int round = 0;; round++) {
    if (!cl->mapped)
      orca__rcluster_refresh(cl, NULL);
    if (blocking && take_interrupt(cl)) {
      orca__redis_free_replies(rep, a->ncmds);
      cl->nintr++;
      return ORCA_EAGAIN;
    }
    if (blocking)
      for (size_t i = 0; i < cl->nnodes; i++)
        if (cl->node[i]->c)
          redisSetTimeout(cl->node[i]->c, tv_of(cl->op_timeout_us + block_us));
    round_state st = {0};
    rc = round_trip(cl, a, rep, blocking, &st);
    if (blocking) {
      pthread_mutex_lock(&cl->mu);
      int b = cl->blocking;
      cl->blocking = -1;
      bool shut = b >= 0 && cl->node[b]->shut;
      bool intr = cl->interrupted;
      cl->interrupted = false;
      pthread_mutex_unlock(&cl->mu);
      if (shut)
        disconnect(cl, cl->node[b]);
      for (size_t i = 0; i < cl->nnodes; i++)
        if (cl->node[i]->c)
          redisSetTimeout(cl->node[i]->c, tv_of(cl->op_timeout_us));
      if (shut || intr) {
        bool whole = true;
        for (size_t k = 0; k < a->ncmds; k++)
          whole &= rep[k] != NULL;
        if (whole) {
          pthread_mutex_lock(&cl->mu);
          cl->interrupted = true; /* stays armed for the next blocking call */
          pthread_mutex_unlock(&cl->mu);
          return 0;
        }
        orca__redis_free_replies(rep, a->ncmds);
        cl->cut = true;
        cl->nintr++;
        return ORCA_EAGAIN;
      }
    }
    if (rc) {
      orca__redis_free_replies(rep, a->ncmds);
      return rc;
    }
    bool whole = true;
    for (size_t k = 0; k < a->ncmds; k++)
      whole &= rep[k] != NULL;
    if (whole) {
      if (cl->down_logged)
        orca_log(ORCA_LOG_INFO, "redis cluster: back in service");
      cl->down_logged = false;
      cl->backoff_us = 0;
      return 0;
    }
    cl->nretry++;
    if (st.refresh)
      orca__rcluster_refresh(cl, NULL);
    int64_t now = orca_monotonic_us();
    if (now >= deadline) {
      if (st.why[0])
        orca_log(ORCA_LOG_ERROR, "%s; giving up after %lld ms", st.why,
                 (long long)((cl->op_timeout_us + 999) / 1000));
      orca__redis_free_replies(rep, a->ncmds);
      return ORCA_ECONNECT;
    }
    if (st.pause) {
      if (st.why[0] && !cl->down_logged)
        orca_log(ORCA_LOG_WARN, "%s; retrying with back-off", st.why);
      cl->down_logged |= st.why[0] != '\0';
      int64_t p = cl->backoff_us ? cl->backoff_us : 10000;
      if (p > deadline - now)
        p = deadline - now;
      cl->backoff_us = cl->backoff_us ? cl->backoff_us * 2 : 10000;
      if (cl->backoff_us > 200000)
        cl->backoff_us = 200000;
      if (pause_for(cl, p) && blocking) {
        orca__redis_free_replies(rep, a->ncmds);
        cl->nintr++;
        return ORCA_EAGAIN;
      }
    }
  }
}
