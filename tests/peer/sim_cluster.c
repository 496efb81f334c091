/* sim_cluster.c — the simulated test cluster (sim_cluster.h). */
#include "sim_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int id_of(const char *s) {
  return s[0] == 'n' ? atoi(s + 1) : -1;
}

static void on_member(void *ud, const orca__peer_member *m, orca__peer_state before) {
  (void)before;
  sc_node *nd = ud;
  sc *c = nd->c;
  int j = id_of(m->id);
  if (j < 0 || j >= SC_MAX)
    return;
  int i = nd->id;
  c->state[i][j] = m->state;
  c->changed[i][j] = orca__sim_now(c->sim);
  c->meta[i][j] = *m->meta;
  if (m->state == ORCA__PEER_DEAD && !c->killed[j]) {
    if (c->leaving[j])
      c->dead_for_left++;
    else if (c->false_deaths++ == 0)
      snprintf(c->first_false, sizeof c->first_false, "n%d declared n%d dead at %.3f s", i, j,
               orca__sim_now(c->sim) / 1e6);
  }
}

static void on_message(void *ud, const char *from_id, const orca__peer_member *from,
                       const uint8_t *data, size_t len) {
  sc_node *nd = ud;
  sc *c = nd->c;
  c->msgs++;
  c->msg_to = nd->id;
  snprintf(c->msg_from, sizeof c->msg_from, "%s", from_id);
  c->msg_known_sender = from != NULL;
  c->msg_len = len < sizeof c->msg ? len : sizeof c->msg;
  memcpy(c->msg, data, c->msg_len);
}

int sc_start(sc *c, int id) {
  char name[16];
  snprintf(name, sizeof name, "n%d", id);
  sc_node *nd = &c->node[c->nodes];
  nd->c = c;
  nd->id = id;
  orca__peer_meta meta = {.concurrency = 4};
  snprintf(meta.version, sizeof meta.version, "test");
  orca__peer_opts o = {.id = name,
                       .cluster = "test",
                       .key = c->keyed ? &c->key : NULL,
                       .meta = &meta,
                       .params = &c->prm,
                       .on_member = on_member,
                       .on_message = on_message,
                       .ud = nd};
  orca_err err = {0};
  int node = orca__sim_add(c->sim, &o, &err);
  if (node < 0) {
    fprintf(stderr, "sim_cluster: %s\n", err.msg);
    abort();
  }
  nd->node = node;
  c->nodes++;
  c->live_node[id] = node;
  c->killed[id] = false;
  c->leaving[id] = false;
  if (id >= c->ids)
    c->ids = id + 1;
  for (int i = 0; i < SC_MAX; i++)
    c->state[id][i] = 0;
  return node;
}

void sc_join(sc *c, int id, int via) {
  char addr[ORCA__PEER_ADDR_STRLEN];
  snprintf(addr, sizeof addr, "%s", orca__sim_addr(c->sim, c->live_node[via]));
  const char *seeds[] = {addr};
  orca__peer_join(sc_peer(c, id), seeds, 1, NULL);
}

sc *sc_new(int n, uint64_t seed, const orca__sim_net *net, bool keyed,
           const orca__peer_params *prm) {
  sc *c = calloc(1, sizeof *c);
  c->sim = orca__sim_new(seed, net);
  c->keyed = keyed;
  if (keyed)
    orca__peer_key_derive("the simulated cluster's secret..", 32, &c->key, NULL);
  if (prm)
    c->prm = *prm;
  else
    orca__peer_params_default(&c->prm);
  for (int i = 0; i < SC_MAX; i++)
    c->live_node[i] = -1;
  for (int i = 0; i < n; i++)
    sc_start(c, i);
  for (int i = 1; i < n; i++)
    sc_join(c, i, 0);
  return c;
}

orca__peer *sc_peer(sc *c, int id) {
  return c->live_node[id] < 0 ? NULL : orca__sim_peer(c->sim, c->live_node[id]);
}

void sc_kill(sc *c, int id) {
  c->killed[id] = true;
  orca__sim_kill(c->sim, c->live_node[id]);
  c->live_node[id] = -1;
}

void sc_close_left(sc *c, int id) {
  c->leaving[id] = true;
  orca__sim_kill(c->sim, c->live_node[id]);
  c->live_node[id] = -1;
}

void sc_free(sc *c) {
  orca__sim_free(c->sim);
  free(c);
}

bool sc_converged(sc *c) {
  size_t running = 0;
  for (int i = 0; i < c->ids; i++)
    running += c->live_node[i] >= 0;
  for (int i = 0; i < c->ids; i++) {
    if (c->live_node[i] < 0)
      continue;
    if (orca__peer_live_count(sc_peer(c, i)) != running)
      return false;
    for (int j = 0; j < c->ids; j++)
      if (j != i && c->live_node[j] >= 0 && c->state[i][j] != ORCA__PEER_ALIVE)
        return false;
  }
  return true;
}

static bool converged_cb(void *ud) {
  return sc_converged(ud);
}

bool sc_wait_converged(sc *c, int64_t within_us) {
  return orca__sim_run_until(c->sim, orca__sim_now(c->sim) + within_us, converged_cb, c);
}

bool sc_all_see(sc *c, int of, int state) {
  for (int i = 0; i < c->ids; i++)
    if (i != of && c->live_node[i] >= 0 && c->state[i][of] != state)
      return false;
  return true;
}

typedef struct see_arg {
  sc *c;
  int of, state;
} see_arg;

static bool see_cb(void *ud) {
  see_arg *a = ud;
  return sc_all_see(a->c, a->of, a->state);
}

bool sc_wait_all_see(sc *c, int of, int state, int64_t within_us) {
  see_arg a = {c, of, state};
  return orca__sim_run_until(c->sim, orca__sim_now(c->sim) + within_us, see_cb, &a);
}

int64_t sc_last_seen(sc *c, int of, int state) {
  int64_t last = 0;
  for (int i = 0; i < c->ids; i++) {
    if (i == of || c->live_node[i] < 0)
      continue;
    if (c->state[i][of] != state)
      return -1;
    if (c->changed[i][of] > last)
      last = c->changed[i][of];
  }
  return last;
}

uint64_t sc_inc(sc *c, int i, int of) {
  char id[16];
  snprintf(id, sizeof id, "n%d", of);
  orca__peer_member m;
  return orca__peer_find(sc_peer(c, i), id, &m) ? m.incarnation : UINT64_MAX;
}

void sc_run(sc *c, int64_t d) {
  orca__sim_run(c->sim, orca__sim_now(c->sim) + d);
}

int64_t sc_now(sc *c) {
  return orca__sim_now(c->sim);
}

int sc_max_awareness(sc *c) {
  int max = 0;
  for (int i = 0; i < c->ids; i++) {
    if (c->live_node[i] < 0)
      continue;
    orca__peer_stats st;
    orca__peer_stats_get(sc_peer(c, i), &st);
    if (st.awareness > max)
      max = st.awareness;
  }
  return max;
}
