/* sim.c — the simulated network (sim.h): a discrete-event loop over one
 * timer heap holding every node's wake-up and every message in flight. The
 * randomness is a ChaCha20 stream from libsodium's
 * randombytes_buf_deterministic keyed by the seed, drawn in event order, so
 * a seed replays the same run. (Frames are still sealed with random nonces:
 * that changes their bytes, never their length or what happens.) */
#include "peer/sim/sim.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timerheap.h"
#include "peer/peer_io.h"

#define WALL0 1700000000000000LL /* the virtual wall clock at time 0 */
#define POOL 512                 /* random numbers drawn per refill */

enum { EV_WAKE, EV_MSG };

typedef struct ev {
  orca__timer t;
  int kind, node;
} ev;

typedef struct msg {
  ev e;
  int from;
  orca__peer_addr from_addr;
  bool stream;
  size_t len;
  uint8_t data[];
} msg;

typedef struct node {
  orca__sim *s;
  int idx;
  orca__peer_io io;
  orca__peer *peer;
  bool dead;
  int64_t slow;
  ev wake;
  orca__peer_addr addr;
  int64_t *last_stream; /* per destination: the last stream arrival time */
} node;

struct orca__sim {
  orca__sim_net net;
  uint8_t seed[randombytes_SEEDBYTES];
  uint64_t block;
  uint64_t pool[POOL];
  size_t pool_pos;
  int64_t now;
  orca__timerheap heap;
  node *nodes[ORCA__SIM_NODES_MAX];
  int n;
  int *side; /* partition: NULL = none */
  orca__sim_tap_fn tap;
  void *tap_ud;
  uint64_t trace;
  char addr_text[ORCA__PEER_ADDR_STRLEN];
};

/* ---- randomness ---- */

static uint64_t rnd(orca__sim *s) {
  if (s->pool_pos == POOL) {
    memcpy(s->seed + 24, &s->block, sizeof s->block); /* a fresh stream per block */
    s->block++;
    randombytes_buf_deterministic(s->pool, sizeof s->pool, s->seed);
    s->pool_pos = 0;
  }
  return s->pool[s->pool_pos++];
}

static double uniform(orca__sim *s) {
  return (double)(rnd(s) >> 11) * 0x1.0p-53;
}

static int64_t below(orca__sim *s, int64_t n) {
  return n > 0 ? (int64_t)(rnd(s) % (uint64_t)n) : 0;
}

/* ---- the transport each node's peer drives ---- */

static int64_t io_now(void *ctx) {
  return ((node *)ctx)->s->now;
}
static int64_t io_wall(void *ctx) {
  return WALL0 + ((node *)ctx)->s->now;
}
static uint64_t io_rand(void *ctx) {
  return rnd(((node *)ctx)->s);
}

static void io_wake_at(void *ctx, int64_t at) {
  node *nd = ctx;
  orca__sim *s = nd->s;
  if (nd->dead || at == INT64_MAX) {
    orca__timerheap_remove(&s->heap, &nd->wake.t);
    return;
  }
  if (at < s->now)
    at = s->now;
  orca__timerheap_add(&s->heap, &nd->wake.t, at + below(s, nd->slow));
}

static bool apart(const orca__sim *s, int a, int b) {
  return s->side && s->side[a] != s->side[b];
}

static void post(orca__sim *s, node *from, int to, const uint8_t *data, size_t len, bool stream,
                 int64_t at) {
  msg *m = malloc(sizeof *m + len);
  if (!m)
    return;
  m->e = (ev){{0, 0}, EV_MSG, to};
  m->from = from->idx;
  m->from_addr = from->addr;
  m->stream = stream;
  m->len = len;
  memcpy(m->data, data, len);
  if (orca__timerheap_add(&s->heap, &m->e.t, at))
    free(m);
}

static void sim_send(node *from, const orca__peer_addr *to_addr, const uint8_t *data, size_t len,
                     bool stream) {
  orca__sim *s = from->s;
  int to = orca__sim_node_of(s, to_addr);
  if (s->tap)
    s->tap(s->tap_ud, from->idx, to, data, len, stream);
  if (to < 0 || apart(s, from->idx, to))
    return;
  node *dst = s->nodes[to];
  if (!stream) {
    int copies = uniform(s) < s->net.dup ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      if (uniform(s) < s->net.loss)
        continue;
      post(s, from, to, data, len, false,
           s->now + s->net.delay_us + below(s, s->net.jitter_us) + below(s, dst->slow));
    }
    return;
  }
  if (dst->dead)
    return; /* connection refused */
  int64_t at = s->now + 2 * (s->net.delay_us + below(s, s->net.jitter_us));
  for (int k = 0; k < 6 && uniform(s) < s->net.loss; k++)
    at += s->net.rto_us << k;
  at += below(s, dst->slow);
  if (at < from->last_stream[to])
    at = from->last_stream[to]; /* TCP keeps order */
  from->last_stream[to] = at;
  post(s, from, to, data, len, true, at);
}

static void io_send_dgram(void *ctx, const orca__peer_addr *to, const uint8_t *data, size_t len) {
  sim_send(ctx, to, data, len, false);
}

static void io_send_stream(void *ctx, const orca__peer_addr *to, const uint8_t *data, size_t len) {
  sim_send(ctx, to, data, len, true);
}

/* ---- the event loop ---- */

static void mix(orca__sim *s, uint64_t v) {
  s->trace = (s->trace ^ v) * 0x100000001b3ULL;
}

static void dispatch(orca__sim *s, ev *e) {
  node *nd = s->nodes[e->node];
  if (e->kind == EV_WAKE) {
    if (!nd->dead)
      orca__peer_input_tick(nd->peer);
    return;
  }
  msg *m = (msg *)e;
  if (!nd->dead && !apart(s, m->from, e->node)) {
    mix(s, (uint64_t)s->now);
    mix(s, (uint64_t)m->from << 32 | (uint64_t)e->node << 1 | m->stream);
    mix(s, m->len);
    if (m->stream)
      orca__peer_input_stream(nd->peer, &m->from_addr, m->data, m->len);
    else
      orca__peer_input_dgram(nd->peer, &m->from_addr, m->data, m->len);
  }
  free(m);
}

static bool step(orca__sim *s, int64_t until) {
  orca__timer *t = orca__timerheap_peek(&s->heap);
  if (!t || t->due_us > until)
    return false;
  orca__timerheap_pop_due(&s->heap, t->due_us);
  s->now = t->due_us;
  dispatch(s, (ev *)t);
  return true;
}

void orca__sim_run(orca__sim *s, int64_t until_us) {
  while (step(s, until_us))
    ;
  if (s->now < until_us)
    s->now = until_us;
}

bool orca__sim_run_until(orca__sim *s, int64_t deadline_us, bool (*done)(void *ud), void *ud) {
  if (done(ud))
    return true;
  while (step(s, deadline_us))
    if (done(ud))
      return true;
  if (s->now < deadline_us)
    s->now = deadline_us;
  return done(ud);
}

/* ---- nodes ---- */

orca__sim *orca__sim_new(uint64_t seed, const orca__sim_net *net) {
  if (sodium_init() < 0)
    return NULL;
  orca__sim *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->net = net ? *net : (orca__sim_net){0, 0, 200, 300, 200000};
  memcpy(s->seed, &seed, sizeof seed);
  s->pool_pos = POOL;
  s->heap = (orca__timerheap)ORCA__TIMERHEAP_INIT;
  s->trace = 0xcbf29ce484222325ULL;
  return s;
}

int orca__sim_add(orca__sim *s, const orca__peer_opts *opts, orca_err *err) {
  if (s->n == ORCA__SIM_NODES_MAX)
    return orca_err_set(err, ORCA_ELIMIT, "simulator: at most %d nodes", ORCA__SIM_NODES_MAX);
  node *nd = calloc(1, sizeof *nd);
  int64_t *last = calloc(ORCA__SIM_NODES_MAX, sizeof *last);
  if (!nd || !last) {
    free(nd);
    free(last);
    return orca_err_set(err, ORCA_ENOMEM, "simulator: out of memory");
  }
  nd->s = s;
  nd->idx = s->n;
  nd->last_stream = last;
  nd->io = (orca__peer_io){nd, io_now, io_wall, io_rand, io_wake_at, io_send_dgram, io_send_stream};
  nd->wake = (ev){{0, 0}, EV_WAKE, nd->idx};
  nd->addr = (orca__peer_addr){4, 7946, {127, 1, (uint8_t)(nd->idx >> 8), (uint8_t)nd->idx}};
  s->nodes[s->n++] = nd;
  orca__peer_opts o = *opts;
  char adv[ORCA__PEER_ADDR_STRLEN];
  o.io = &nd->io;
  o.advertise = orca__peer_addr_format(&nd->addr, adv);
  int rc = orca__peer_open(NULL, &o, &nd->peer, err);
  if (rc) {
    nd->dead = true;
    return rc;
  }
  return nd->idx;
}

orca__peer *orca__sim_peer(orca__sim *s, int node) {
  return node >= 0 && node < s->n ? s->nodes[node]->peer : NULL;
}

int orca__sim_nodes(const orca__sim *s) {
  return s->n;
}

const char *orca__sim_addr(orca__sim *s, int node) {
  return orca__peer_addr_format(&s->nodes[node]->addr, s->addr_text);
}

int orca__sim_node_of(const orca__sim *s, const orca__peer_addr *a) {
  if (a->family != 4 || a->port != 7946 || a->ip[0] != 127 || a->ip[1] != 1)
    return -1;
  int i = a->ip[2] << 8 | a->ip[3];
  return i < s->n ? i : -1;
}

void orca__sim_kill(orca__sim *s, int idx) {
  node *nd = s->nodes[idx];
  if (nd->dead)
    return;
  nd->dead = true;
  orca__timerheap_remove(&s->heap, &nd->wake.t);
  orca__peer_close(nd->peer);
  nd->peer = NULL;
}

void orca__sim_set_net(orca__sim *s, const orca__sim_net *net) {
  s->net = *net;
}

void orca__sim_partition(orca__sim *s, const int *side) {
  free(s->side);
  s->side = NULL;
  if (side && (s->side = calloc(ORCA__SIM_NODES_MAX, sizeof *s->side)))
    memcpy(s->side, side, (size_t)s->n * sizeof *side);
}

void orca__sim_set_slow(orca__sim *s, int node, int64_t extra_us) {
  s->nodes[node]->slow = extra_us;
}

int64_t orca__sim_now(const orca__sim *s) {
  return s->now;
}

int64_t orca__sim_wall(const orca__sim *s) {
  return WALL0 + s->now;
}

void orca__sim_inject(orca__sim *s, int idx, const orca__peer_addr *from, const uint8_t *data,
                      size_t len, bool stream) {
  node *nd = s->nodes[idx];
  if (nd->dead)
    return;
  if (stream)
    orca__peer_input_stream(nd->peer, from, data, len);
  else
    orca__peer_input_dgram(nd->peer, from, data, len);
}

void orca__sim_tap(orca__sim *s, orca__sim_tap_fn fn, void *ud) {
  s->tap = fn;
  s->tap_ud = ud;
}

uint64_t orca__sim_trace(const orca__sim *s) {
  return s->trace;
}

void orca__sim_free(orca__sim *s) {
  if (!s)
    return;
  for (int i = 0; i < s->n; i++)
    orca__sim_kill(s, i);
  orca__timer *t;
  while ((t = orca__timerheap_pop_due(&s->heap, INT64_MAX)))
    if (((ev *)t)->kind == EV_MSG)
      free(t);
  orca__timerheap_free(&s->heap);
  for (int i = 0; i < s->n; i++) {
    free(s->nodes[i]->last_stream);
    free(s->nodes[i]);
  }
  free(s->side);
  free(s);
}
