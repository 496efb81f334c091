/* redis_cluster.h — a Redis Cluster client on hiredis's blocking API
 * (hiredis 0.14 has no cluster support): the hash slot of a key, the slot
 * map learnt from CLUSTER SLOTS, one connection per primary, a pipeline
 * split by slot and sent to every owning node at once, MOVED and ASK
 * followed, the map refreshed when the topology changed, and commands
 * retried across a failover until the op timeout. Optionally every batch
 * sent to a primary ends with WAIT for its replicas.
 *
 * One orca__rcluster per thread (as for the single-node backend); only
 * orca__rcluster_interrupt may be called from another thread. */
#ifndef ORCA__REDIS_CLUSTER_H
#define ORCA__REDIS_CLUSTER_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/redis/redis_internal.h"

#define ORCA__REDIS_SLOTS 16384
/* Most nodes (primaries and former primaries) one client keeps track of. */
#define ORCA__REDIS_MAX_NODES 64

/* The cluster hash slot of a key: CRC16 of its hash tag (the bytes between
 * the first '{' and the next '}', when not empty) or of the whole key,
 * modulo 16384. */
unsigned orca__redis_key_slot(const void *key, size_t len);

/* The index of the argument of a command that names its key (the one that
 * decides its slot): 1 for most commands, the first key of FCALL/EVAL, the
 * first stream after STREAMS of XREAD/XREADGROUP, 2 for XINFO and XGROUP;
 * -1 for commands without a key (PING, INFO, FUNCTION, WAIT, FCALL with no
 * keys...), which may go to any node. */
int orca__redis_cmd_key(size_t argc, const char *const *argv, const size_t *len);

/* One node of the cluster. */
typedef struct orca__rcnode {
  char host[256];
  int port;
  redisContext *c; /* NULL while disconnected; swapped under the cluster's mu */
  int replicas;    /* live replicas the last slot map listed for it */
  bool shut;       /* interrupt() shut its socket down */
  /* scratch of one exec round */
  size_t nsent;   /* commands (and ASKING/WAIT) appended this round */
  bool waiting;   /* a WAIT was appended this round */
  bool wait_warn; /* "no replica acknowledged" was logged */
} orca__rcnode;

struct orca__rcluster;
/* What the owner runs on connections: connect is called on every new
 * connection before it is used (handshake, Lua library; 0 or an error with
 * err); reload after a "Function not found" reply (0: resend). Either may
 * be NULL. */
typedef struct orca__rcluster_hooks {
  int (*connect)(void *ud, orca__rcnode *n, orca_err *err);
  int (*reload)(void *ud, orca__rcnode *n);
  void *ud;
} orca__rcluster_hooks;

typedef struct orca__rcluster {
  orca__rcnode *node[ORCA__REDIS_MAX_NODES]; /* never freed before the cluster */
  size_t nnodes;
  size_t nseeds;                   /* node[0..nseeds) came from the URL */
  int16_t slot[ORCA__REDIS_SLOTS]; /* node index of each slot's primary, -1 unknown */
  bool mapped;                     /* slot[] came from a CLUSTER SLOTS reply */
  int64_t op_timeout_us;           /* a command is retried until this has passed */
  int wait_replicas;               /* >0: end each batch to a primary with WAIT */
  int64_t wait_ms;                 /* WAIT's timeout */
  orca__rcluster_hooks hooks;
  int64_t backoff_us; /* next pause before a retry */
  bool down_logged;   /* an outage was logged and not its end */
  /* counters (tests and stats): replies followed, map refreshes */
  uint64_t nmoved, nask, nrefresh, nretry, nwait_short;
  uint64_t nintr; /* blocking execs that returned ORCA_EAGAIN for an interrupt */

  pthread_mutex_t mu; /* guards node[i]->c against interrupt, and below */
  int blocking;       /* node index of an in-flight blocking command, or -1 */
  bool interrupted;   /* interrupt() arrived and was not consumed */
  bool cut;           /* the last exec's blocking command was cut */
  int wake[2];        /* pipe: interrupt() wakes a back-off pause */
  int *dest;          /* scratch: per command, the node it went to this round (-1: none) */
  int *ask;           /* scratch: per command, the node an ASK sent it to (-1: none) */
  size_t scratchcap;
} orca__rcluster;

/* Parse "HOST:PORT[,HOST:PORT...]" (the seeds) into cl; connects to
 * nothing yet. op_timeout_us bounds every exec. Returns 0, ORCA_EURL with
 * err naming the bad part, or ORCA_ENOMEM. On failure cl needs no free. */
int orca__rcluster_init(orca__rcluster *cl, const char *seeds, int64_t op_timeout_us,
                        const orca__rcluster_hooks *hooks, orca_err *err);
/* Close every connection and free cl's memory. */
void orca__rcluster_free(orca__rcluster *cl);

/* Ask the known nodes (then the seeds) for CLUSTER SLOTS until one
 * answers, and rebuild the slot map from its reply. Returns 0 or
 * ORCA_ECONNECT / ORCA_EBACKEND with err (which may be NULL). */
int orca__rcluster_refresh(orca__rcluster *cl, orca_err *err);

/* Run the pipeline a: each command goes to the primary of its key's slot
 * (keyless ones to any primary), all nodes are written before any reply is
 * read, and one reply per command lands in rep[] in command order (the
 * caller frees them with orca__redis_free_replies). MOVED updates the map
 * and resends; ASK resends once to the importing node after ASKING, except
 * for scripts (FCALL, EVAL), which wait for the migration to end as for
 * TRYAGAIN (their declared key is a prefix that never exists, so ASK says
 * nothing about where their keys are);
 * CLUSTERDOWN, TRYAGAIN, LOADING and broken connections refresh the map
 * and resend after a back-off pause, until the op timeout (+ block_us) has
 * passed. block_us > 0: a blocking pipeline (all its commands must go to
 * one node), which interrupt() may cut (ORCA_EAGAIN, cl->cut set). Returns
 * 0 (a reply may still be another Redis error), ORCA_ECONNECT,
 * ORCA_ENOMEM or ORCA_EAGAIN with nothing in rep[]. */
int orca__rcluster_exec(orca__rcluster *cl, orca__rargs *a, redisReply **rep, int64_t block_us);

/* Cut a blocking exec short, or make the next blocking exec return at once.
 * Callable from any thread. */
void orca__rcluster_interrupt(orca__rcluster *cl);

#endif
