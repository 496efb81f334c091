/* redis_cluster.h — a private Redis Cluster for tests: 3 primaries and 3
 * replicas (redis-server children of the test, see redis_server.h) on free
 * loopback ports whose cluster bus ports (port + 10000) are free too,
 * joined with `redis-cli --cluster create ... --cluster-replicas 1`, ready
 * when every node reports `cluster_state:ok` and the 16384 slots are served
 * by live primaries. Meant to be started once per test binary and shared by
 * its cases; a node can be SIGKILLed to make its replica take over. */
#ifndef ORCA_TEST_REDIS_CLUSTER_H
#define ORCA_TEST_REDIS_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

#include "redis_server.h"

#define ORCA_TEST_CLUSTER_NODES 6

typedef struct orca_test_cluster {
  orca_test_redis node[ORCA_TEST_CLUSTER_NODES]; /* pid 0: killed */
  /* "redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3": three seeds */
  char url[160];
} orca_test_cluster;

/* Start the nodes, create the cluster and wait until it serves every slot
 * (at most 30 s). Returns 0, or -1 with a message on stderr (everything
 * started is stopped again). */
int orca_test_cluster_start(orca_test_cluster *c);

/* Stop every node and remove their directories. Safe to call twice. */
void orca_test_cluster_stop(orca_test_cluster *c);

/* Wait up to timeout_ms until every live node reports cluster_state:ok and
 * CLUSTER SLOTS, asked of each live node, names a live primary for all
 * 16384 slots. Polls (every 20 ms) with a deadline. Returns 0 or -1. */
int orca_test_cluster_wait_ok(orca_test_cluster *c, int timeout_ms);

/* A connection to node i (the caller frees it with redisFree), or NULL. */
redisContext *orca_test_cluster_connect(const orca_test_cluster *c, int i);

/* Run one command (argv[0..argc)) on node i. Returns its reply (the
 * caller frees it with freeReplyObject), or NULL when the node cannot be
 * reached. */
redisReply *orca_test_cluster_run(const orca_test_cluster *c, int i, int argc, const char **argv);

/* Run one command on node i and drop its reply. Returns 0, or -1 (with the
 * node, the command and the error on stderr) when the node cannot be
 * reached or answers with an error. */
int orca_test_cluster_ok(const orca_test_cluster *c, int i, int argc, const char **argv);

/* Node i's id in the cluster (CLUSTER MYID) into out[n]. Returns 0 or -1. */
int orca_test_cluster_node_id(const orca_test_cluster *c, int i, char *out, size_t n);

/* The index of the live node that is the primary for slot (asked of the
 * live nodes), or -1. */
int orca_test_cluster_owner(const orca_test_cluster *c, int slot);

/* True when live node i is a primary right now (ROLE). */
bool orca_test_cluster_is_primary(const orca_test_cluster *c, int i);

/* FLUSHALL on every live primary (the replicas follow). Returns 0 or -1. */
int orca_test_cluster_flush(const orca_test_cluster *c);

/* SIGKILL node i (a crash: its replica is promoted after the node
 * timeout). */
void orca_test_cluster_kill(orca_test_cluster *c, int i);

#endif
