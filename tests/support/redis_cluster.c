/* redis_cluster.c — see redis_cluster.h. The nodes are private
 * redis-servers started by redis_server.c in cluster mode; `redis-cli
 * --cluster create` assigns the slots and the replicas; readiness is
 * polled from the nodes themselves (CLUSTER INFO, CLUSTER SLOTS, INFO
 * replication) under a deadline. */
#define _GNU_SOURCE
#include "redis_cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Node timeout: short, so a SIGKILLed primary is replaced within a few
 * seconds, long enough that a loaded machine does not fail nodes over. */
#define NODE_TIMEOUT_MS 1500

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool port_free(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                          .sin_port = htons((uint16_t)port)};
  bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

/* A free port whose bus port (port + 10000) is free as well and not taken
 * by the nodes chosen so far. */
static int cluster_port(const orca_test_cluster *c, int upto) {
  for (int tries = 0; tries < 200; tries++) {
    int p = orca_test_free_port();
    if (p <= 0 || p + 10000 > 65535 || !port_free(p + 10000))
      continue;
    bool clash = false;
    for (int i = 0; i < upto; i++)
      clash |= c->node[i].port == p || c->node[i].port + 10000 == p || c->node[i].port == p + 10000;
    if (!clash)
      return p;
  }
  return -1;
}

redisContext *orca_test_cluster_connect(const orca_test_cluster *c, int i) {
  if (c->node[i].pid <= 0)
    return NULL;
  struct timeval tv = {.tv_sec = 2};
  redisContext *ctx = redisConnectWithTimeout("127.0.0.1", c->node[i].port, tv);
  if (!ctx || ctx->err) {
    if (ctx)
      redisFree(ctx);
    return NULL;
  }
  redisSetTimeout(ctx, tv);
  return ctx;
}

redisReply *orca_test_cluster_run(const orca_test_cluster *c, int i, int argc, const char **argv) {
  redisContext *ctx = orca_test_cluster_connect(c, i);
  if (!ctx)
    return NULL;
  redisReply *r = redisCommandArgv(ctx, argc, argv, NULL);
  redisFree(ctx);
  return r;
}

int orca_test_cluster_ok(const orca_test_cluster *c, int i, int argc, const char **argv) {
  redisReply *r = orca_test_cluster_run(c, i, argc, argv);
  int rc = r && r->type != REDIS_REPLY_ERROR ? 0 : -1;
  if (rc)
    fprintf(stderr, "cluster fixture: node %d: %s: %s\n", i, argv[0],
            r ? r->str : "cannot connect");
  if (r)
    freeReplyObject(r);
  return rc;
}

int orca_test_cluster_node_id(const orca_test_cluster *c, int i, char *out, size_t n) {
  redisReply *r = orca_test_cluster_run(c, i, 2, (const char *[]){"CLUSTER", "MYID"});
  int rc = r && r->type == REDIS_REPLY_STRING ? 0 : -1;
  if (!rc)
    snprintf(out, n, "%s", r->str);
  if (r)
    freeReplyObject(r);
  return rc;
}

static int node_of_port(const orca_test_cluster *c, long long port) {
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++)
    if (c->node[i].port == port)
      return i;
  return -1;
}

/* Fill owner[16384] with the node index of each slot's primary according
 * to node i (-1: unassigned). Returns 0 or -1. */
static int slots_of(const orca_test_cluster *c, int i, int *owner) {
  for (int s = 0; s < 16384; s++)
    owner[s] = -1;
  redisContext *ctx = orca_test_cluster_connect(c, i);
  if (!ctx)
    return -1;
  redisReply *rep = redisCommand(ctx, "CLUSTER SLOTS");
  int rc = rep && rep->type == REDIS_REPLY_ARRAY ? 0 : -1;
  for (size_t k = 0; !rc && k < rep->elements; k++) {
    redisReply *r = rep->element[k];
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[2]->elements < 2)
      continue;
    int n = node_of_port(c, r->element[2]->element[1]->integer);
    for (long long s = r->element[0]->integer; s <= r->element[1]->integer && s < 16384; s++)
      owner[s] = n;
  }
  if (rep)
    freeReplyObject(rep);
  redisFree(ctx);
  return rc;
}

int orca_test_cluster_owner(const orca_test_cluster *c, int slot) {
  static int owner[16384];
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++)
    if (c->node[i].pid > 0 && slots_of(c, i, owner) == 0 && owner[slot] >= 0)
      return owner[slot];
  return -1;
}

/* True when node i says cluster_state:ok and maps every slot to a live
 * primary. */
static bool node_ok(const orca_test_cluster *c, int i) {
  redisContext *ctx = orca_test_cluster_connect(c, i);
  if (!ctx)
    return false;
  redisReply *rep = redisCommand(ctx, "CLUSTER INFO");
  bool ok = rep && rep->type == REDIS_REPLY_STRING && strstr(rep->str, "cluster_state:ok");
  if (rep)
    freeReplyObject(rep);
  redisFree(ctx);
  if (!ok)
    return false;
  static int owner[16384];
  if (slots_of(c, i, owner))
    return false;
  for (int s = 0; s < 16384; s++)
    if (owner[s] < 0 || c->node[owner[s]].pid <= 0)
      return false;
  return true;
}

/* True when node i, a primary, has a replica whose link is online. */
static bool replica_online(const orca_test_cluster *c, int i) {
  redisContext *ctx = orca_test_cluster_connect(c, i);
  if (!ctx)
    return false;
  redisReply *rep = redisCommand(ctx, "INFO replication");
  bool ok = rep && rep->type == REDIS_REPLY_STRING && strstr(rep->str, "state=online");
  if (rep)
    freeReplyObject(rep);
  redisFree(ctx);
  return ok;
}

int orca_test_cluster_wait_ok(orca_test_cluster *c, int timeout_ms) {
  int64_t deadline = mono_ms() + timeout_ms;
  for (;;) {
    bool ok = true;
    for (int i = 0; ok && i < ORCA_TEST_CLUSTER_NODES; i++)
      if (c->node[i].pid > 0)
        ok = node_ok(c, i);
    if (ok)
      return 0;
    if (mono_ms() >= deadline)
      return -1;
    poll(NULL, 0, 20);
  }
}

/* Run redis-cli --cluster create over the six nodes (its output goes to
 * /dev/null) and reap it. Returns its exit status or -1. */
static int create(const orca_test_cluster *c) {
  char addr[ORCA_TEST_CLUSTER_NODES][32];
  const char *argv[ORCA_TEST_CLUSTER_NODES + 8];
  int n = 0;
  argv[n++] = "redis-cli";
  argv[n++] = "--cluster";
  argv[n++] = "create";
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++) {
    snprintf(addr[i], sizeof addr[i], "127.0.0.1:%d", c->node[i].port);
    argv[n++] = addr[i];
  }
  argv[n++] = "--cluster-replicas";
  argv[n++] = "1";
  argv[n++] = "--cluster-yes";
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    orca_test_child_quiet();
    execvp("redis-cli", (char *const *)argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int orca_test_cluster_start(orca_test_cluster *c) {
  memset(c, 0, sizeof *c);
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++) {
    orca_test_redis *r = &c->node[i];
    snprintf(r->dir, sizeof r->dir, "/tmp/orca-cluster-XXXXXX");
    if (!mkdtemp(r->dir)) {
      perror("cluster fixture: mkdtemp");
      r->dir[0] = '\0';
      goto fail;
    }
    r->cluster = true;
    r->cluster_timeout_ms = NODE_TIMEOUT_MS;
    r->port = cluster_port(c, i);
    if (r->port <= 0) {
      fprintf(stderr, "cluster fixture: no free port pair\n");
      goto fail;
    }
    orca_test_redis_url(r, 0);
    if (orca_test_redis_spawn(r))
      goto fail;
  }
  int st = create(c);
  if (st != 0) {
    fprintf(stderr, "cluster fixture: redis-cli --cluster create exited with %d\n", st);
    goto fail;
  }
  if (orca_test_cluster_wait_ok(c, 30000)) {
    fprintf(stderr, "cluster fixture: the cluster did not reach cluster_state:ok in 30 s\n");
    goto fail;
  }
  /* Wait until each primary has its replica in sync, so a primary killed
   * by a test has a successor. */
  static int owner[16384];
  if (slots_of(c, 0, owner))
    goto fail;
  int64_t deadline = mono_ms() + 30000;
  for (int s = 0; s < 16384;) {
    if (s > 0 && owner[s] == owner[s - 1]) {
      s++;
      continue;
    }
    if (replica_online(c, owner[s])) {
      s++;
      continue;
    }
    if (mono_ms() >= deadline) {
      fprintf(stderr, "cluster fixture: node %d has no replica online after 30 s\n", owner[s]);
      goto fail;
    }
    poll(NULL, 0, 20);
  }
  snprintf(c->url, sizeof c->url, "redis+cluster://127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d",
           c->node[0].port, c->node[1].port, c->node[2].port);
  return 0;
fail:
  orca_test_cluster_stop(c);
  return -1;
}

bool orca_test_cluster_is_primary(const orca_test_cluster *c, int i) {
  redisContext *ctx = orca_test_cluster_connect(c, i);
  if (!ctx)
    return false;
  redisReply *r = redisCommand(ctx, "ROLE");
  bool yes = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
             r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "master");
  if (r)
    freeReplyObject(r);
  redisFree(ctx);
  return yes;
}

int orca_test_cluster_flush(const orca_test_cluster *c) {
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++) {
    if (c->node[i].pid <= 0 || !orca_test_cluster_is_primary(c, i))
      continue;
    redisContext *ctx = orca_test_cluster_connect(c, i);
    redisReply *r = ctx ? redisCommand(ctx, "FLUSHALL") : NULL;
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
      freeReplyObject(r);
    if (ctx)
      redisFree(ctx);
    if (!ok)
      return -1;
  }
  return 0;
}

void orca_test_cluster_kill(orca_test_cluster *c, int i) {
  orca_test_redis_signal(&c->node[i], SIGKILL);
}

void orca_test_cluster_stop(orca_test_cluster *c) {
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++)
    if (c->node[i].dir[0])
      orca_test_redis_stop(&c->node[i]);
}
