/* bench_peer.c — what the peer network costs on the wire: bytes sent per
 * member per second in a steady cluster of 5 and of 50 members, with the
 * default parameters and a cluster key (the seal's 41 bytes a frame
 * included; UDP/IP headers not). Runs on the simulated network (virtual
 * time: a measure of the protocol, not of this machine), so the figures
 * are exact and repeatable. Steady state: the members have joined, then 60
 * s pass before a 600 s window (twenty push/pull rounds of 30 s).
 * Also shown: the same with 10 % datagram loss (suspicions and refutations
 * add news), and the time a crashed member takes to be declared dead by
 * all. Prints a table and `RESULT gossip_bytes_per_node_s{nodes=N} V`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orca/log.h"
#include "peer/sim/sim.h"

#define S 1000000LL

typedef struct run {
  double bytes_per_node_s, dgram_share, frames_per_node_s, detect_s;
} run;

static int dead_seen, members;
static void on_member(void *ud, const orca__peer_member *m, orca__peer_state before) {
  (void)ud;
  (void)before;
  if (m->state == ORCA__PEER_DEAD)
    dead_seen++;
}

static bool all_joined(void *ud) {
  orca__sim *s = ud;
  for (int i = 0; i < members; i++)
    if (orca__peer_live_count(orca__sim_peer(s, i)) != (size_t)members)
      return false;
  return true;
}

static bool all_saw_dead(void *ud) {
  (void)ud;
  return dead_seen >= members - 1;
}

static void totals(orca__sim *s, int n, uint64_t *dgram, uint64_t *stream, uint64_t *frames) {
  *dgram = *stream = *frames = 0;
  for (int i = 0; i < n; i++) {
    orca__peer *p = orca__sim_peer(s, i);
    if (!p)
      continue;
    orca__peer_stats st;
    orca__peer_stats_get(p, &st);
    *dgram += st.dgram_bytes_sent;
    *stream += st.stream_bytes_sent;
    *frames += st.frames_sent;
  }
}

static run measure(int n, double loss) {
  members = n;
  dead_seen = 0;
  orca__sim_net net = {0, 0, 200, 300, 200000};
  orca__sim *s = orca__sim_new(7, &net);
  orca__peer_key key;
  orca__peer_key_derive("the bench cluster's secret......", 32, &key, NULL);
  orca__peer_meta meta = {.concurrency = 8};
  snprintf(meta.queues, sizeof meta.queues, "default:1");
  snprintf(meta.version, sizeof meta.version, "0.1.0");
  for (int i = 0; i < n; i++) {
    char id[64];
    snprintf(id, sizeof id, "worker-%02d.example:%d", i, 4000 + i);
    orca__peer_opts o = {
        .id = id, .cluster = "bench", .key = &key, .meta = &meta, .on_member = on_member};
    orca_err err;
    if (orca__sim_add(s, &o, &err) < 0) {
      fprintf(stderr, "bench_peer: %s\n", err.msg);
      exit(1);
    }
  }
  char seed[ORCA__PEER_ADDR_STRLEN];
  snprintf(seed, sizeof seed, "%s", orca__sim_addr(s, 0));
  const char *seeds[] = {seed};
  for (int i = 1; i < n; i++)
    orca__peer_join(orca__sim_peer(s, i), seeds, 1, NULL);
  if (!orca__sim_run_until(s, 30 * S, all_joined, s)) {
    fprintf(stderr, "bench_peer: %d members did not converge\n", n);
    exit(1);
  }
  net.loss = loss;
  orca__sim_set_net(s, &net);
  orca__sim_run(s, orca__sim_now(s) + 60 * S);
  uint64_t d0, s0, f0, d1, s1, f1;
  totals(s, n, &d0, &s0, &f0);
  int64_t t0 = orca__sim_now(s);
  orca__sim_run(s, t0 + 600 * S);
  totals(s, n, &d1, &s1, &f1);
  double secs = 600.0;
  run r;
  r.bytes_per_node_s = (double)(d1 - d0 + s1 - s0) / n / secs;
  r.dgram_share = (double)(d1 - d0) / (double)(d1 - d0 + s1 - s0);
  r.frames_per_node_s = (double)(f1 - f0) / n / secs;
  /* A crash: every other member declares it dead. */
  dead_seen = 0;
  int64_t k = orca__sim_now(s);
  orca__sim_kill(s, n - 1);
  orca__sim_run_until(s, k + 600 * S, all_saw_dead, NULL);
  r.detect_s = (double)(orca__sim_now(s) - k) / 1e6;
  orca__sim_free(s);
  return r;
}

int main(void) {
  orca_log_set(NULL, NULL, ORCA_LOG_ERROR);
  int sizes[] = {5, 50};
  run clean[2], lossy[2];
  for (int i = 0; i < 2; i++) {
    clean[i] = measure(sizes[i], 0);
    lossy[i] = measure(sizes[i], 0.1);
  }
  printf("| members | loss | bytes/member/s | of which UDP | frames/member/s | crash declared "
         "dead by all after |\n");
  printf("| --- | --- | --- | --- | --- | --- |\n");
  for (int i = 0; i < 2; i++) {
    run *rs[2] = {&clean[i], &lossy[i]};
    for (int j = 0; j < 2; j++)
      printf("| %d | %s | %.0f | %.0f %% | %.1f | %.2f s |\n", sizes[i], j ? "10 %" : "0",
             rs[j]->bytes_per_node_s, rs[j]->dgram_share * 100, rs[j]->frames_per_node_s,
             rs[j]->detect_s);
  }
  for (int i = 0; i < 2; i++)
    printf("RESULT gossip_bytes_per_node_s{nodes=%d} %.0f\n", sizes[i], clean[i].bytes_per_node_s);
  return 0;
}
