/* sim_cluster.h — a simulated cluster for the peer network's tests: N
 * members on the simulator (runtime/peer/sim), every member's view of every
 * other recorded from its callbacks, and a few waits on that record.
 * Member "nK" has id number K; a member restarted under the same id keeps
 * its number (views are by id), while the simulator gives it a new node. */
#ifndef ORCA_TEST_SIM_CLUSTER_H
#define ORCA_TEST_SIM_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "peer/peer.h"
#include "peer/sim/sim.h"

#define SC_MAX 64

typedef struct sc sc;

typedef struct sc_node {
  sc *c;
  int node; /* simulator node */
  int id;   /* K of "nK" */
} sc_node;

struct sc {
  orca__sim *sim;
  int nodes;                /* simulator nodes so far */
  sc_node node[SC_MAX * 2]; /* by simulator node */
  int live_node[SC_MAX];    /* by id: its current simulator node, -1 when gone */
  int ids;                  /* ids in use: 0 .. ids-1 */
  orca__peer_key key;
  bool keyed;
  orca__peer_params prm;
  /* What member (id) i believes of member j. */
  int state[SC_MAX][SC_MAX];
  int64_t changed[SC_MAX][SC_MAX];
  orca__peer_meta meta[SC_MAX][SC_MAX];
  bool killed[SC_MAX]; /* crashed on purpose: DEAD is right */
  bool leaving[SC_MAX];
  int false_deaths; /* DEAD for a member never killed */
  int dead_for_left;
  char first_false[160];
  /* Direct messages received. */
  int msgs, msg_to;
  char msg_from[32];
  char msg[128];
  size_t msg_len;
  bool msg_known_sender;
};

/* A cluster of n members joined through member 0 (not yet converged: see
 * sc_wait_converged). keyed: seal with a test key. prm NULL: defaults. */
sc *sc_new(int n, uint64_t seed, const orca__sim_net *net, bool keyed,
           const orca__peer_params *prm);
/* Start member "n<id>" on a new simulator node (not joined). Returns its node. */
int sc_start(sc *c, int id);
/* Join member id through member `via`. */
void sc_join(sc *c, int id, int via);
orca__peer *sc_peer(sc *c, int id);
void sc_kill(sc *c, int id);
/* Close a member that left (a DEAD for it counts in dead_for_left). */
void sc_close_left(sc *c, int id);
void sc_free(sc *c);

/* Whether every running member sees exactly the running members, alive. */
bool sc_converged(sc *c);
bool sc_wait_converged(sc *c, int64_t within_us);
/* Whether every running member other than `of` sees member `of` in state. */
bool sc_all_see(sc *c, int of, int state);
bool sc_wait_all_see(sc *c, int of, int state, int64_t within_us);
/* The latest time any running member learnt that `of` is in state (its
 * changed time), or -1 when some running member does not see it so. */
int64_t sc_last_seen(sc *c, int of, int state);
/* Member `of`'s incarnation in member i's table (now, not as of the last
 * callback: an incarnation change alone makes no callback). */
uint64_t sc_inc(sc *c, int i, int of);
/* Run for d µs of virtual time. */
void sc_run(sc *c, int64_t d);
int64_t sc_now(sc *c);
/* The highest local health score among running members now. */
int sc_max_awareness(sc *c);

#endif
