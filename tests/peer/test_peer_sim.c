/* test_peer_sim.c — membership on the simulated network: joining, crash
 * detection within the documented bound, graceful leave, metadata, direct
 * messages, incarnations and refutation, a member restarted under its id,
 * a partition and its heal, a starved member, frames that must be refused,
 * and replayability. Every scenario runs on virtual time: no sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "orca/log.h"
#include "peer/frame.h"
#include "peer/peer_io.h"
#include "peer/seal.h"
#include "sim_cluster.h"

#define S 1000000LL

static orca__peer_params defaults(void) {
  orca__peer_params p;
  orca__peer_params_default(&p);
  return p;
}

static orca__peer_stats stats(sc *c, int id) {
  orca__peer_stats st;
  orca__peer_stats_get(sc_peer(c, id), &st);
  return st;
}

/* ---- forging frames (with the cluster's key: an insider's frames) ---- */

static orca__pstr ps(const char *s) {
  return (orca__pstr){s, (uint32_t)strlen(s)};
}

typedef struct forge {
  const char *cluster, *sender;
  int64_t ts; /* 0: now */
  orca__msg type;
  const orca__peer_key *key; /* NULL: plain */
} forge;

static size_t build(sc *c, const forge *fg, const orca__update *u, size_t nu, uint8_t *out,
                    size_t cap) {
  orca__frame f;
  memset(&f, 0, sizeof f);
  f.cluster = ps(fg->cluster ? fg->cluster : "test");
  f.sender = ps(fg->sender ? fg->sender : "mallory");
  static int64_t seq; /* distinct stamps, or the replay window drops them */
  f.ts = fg->ts ? fg->ts : orca__sim_wall(c->sim) + ++seq;
  f.type = fg->type ? fg->type : ORCA__MSG_GOSSIP;
  f.target = ps("n0");
  uint8_t plain[4096];
  orca__fw w;
  orca__fw_begin(&w, plain, sizeof plain, &f);
  for (size_t i = 0; i < nu; i++) {
    uint8_t ub[700];
    size_t n = orca__update_encode(&u[i], ub, sizeof ub);
    assert_true(orca__fw_add(&w, ub, n));
  }
  size_t n = orca__fw_end(&w);
  assert_true(n > 0);
  return orca__seal(fg->key, plain, n, out, cap);
}

static orca__peer_addr mallory_addr(void) {
  orca__peer_addr a;
  orca__peer_addr_parse("127.9.9.9:7946", &a, NULL);
  return a;
}

/* Hand member `to` one update about member `about` from an insider. */
static void tell(sc *c, int to, orca__upd_kind kind, int about, uint64_t inc) {
  char id[16];
  snprintf(id, sizeof id, "n%d", about);
  orca__update u;
  memset(&u, 0, sizeof u);
  u.kind = kind;
  u.id = ps(id);
  u.inc = inc;
  u.from = ps("mallory");
  orca__peer_addr_parse(orca__sim_addr(c->sim, c->live_node[about] >= 0 ? c->live_node[about] : 0),
                        &u.addr, NULL);
  orca__peer_meta meta = {.concurrency = 4};
  snprintf(meta.version, sizeof meta.version, "test");
  orca__meta_view_of(&meta, &u.meta);
  uint8_t buf[2048];
  forge fg = {.key = c->keyed ? &c->key : NULL};
  size_t n = build(c, &fg, &u, 1, buf, sizeof buf);
  orca__peer_addr from = mallory_addr();
  orca__sim_inject(c->sim, c->live_node[to], &from, buf, n, false);
}

/* ---- detection ---- */

static void test_detect_healthy(void **state) {
  (void)state;
  orca__peer_params p = defaults();
  int64_t bound = orca__peer_detection_bound(&p, 5, 0, true), worst = 0;
  assert_true(bound < 2 * S); /* the 2 s goal of a 5-member LAN cluster */
  for (uint64_t seed = 1; seed <= 20; seed++) {
    sc *c = sc_new(5, seed, NULL, true, NULL);
    assert_true(sc_wait_converged(c, 5 * S));
    sc_run(c, (int64_t)(seed % 7) * 100000); /* vary the phase of the crash */
    int64_t t0 = sc_now(c);
    sc_kill(c, 4);
    assert_true(sc_wait_all_see(c, 4, ORCA__PEER_DEAD, 30 * S));
    int64_t took = sc_last_seen(c, 4, ORCA__PEER_DEAD) - t0;
    if (took > worst)
      worst = took;
    if (took > bound)
      fail_msg("seed %llu: detected after %.3f s, bound %.3f s", (unsigned long long)seed,
               took / 1e6, bound / 1e6);
    assert_int_equal(c->false_deaths, 0);
    sc_free(c);
  }
  printf("# 5 members, no loss, 20 crashes: detected by all within %.3f s (bound %.3f s)\n",
         worst / 1e6, bound / 1e6);
}

/* ---- leave, metadata, messages ---- */

static void count_members(void *ud, const orca__peer_member *m) {
  (void)m;
  (*(int *)ud)++;
}

static int left_done;
static void on_left(void *ud) {
  (void)ud;
  left_done++;
}

static void test_leave(void **state) {
  (void)state;
  sc *c = sc_new(5, 11, NULL, true, NULL);
  assert_true(sc_wait_converged(c, 5 * S));
  c->leaving[2] = true;
  left_done = 0;
  assert_int_equal(orca__peer_leave(sc_peer(c, 2), on_left, NULL), 0);
  assert_int_equal(orca__peer_leave(sc_peer(c, 2), on_left, NULL), ORCA_ESTATE);
  assert_true(sc_wait_all_see(c, 2, ORCA__PEER_LEFT, 2 * S));
  sc_run(c, 2 * S);
  assert_int_equal(left_done, 1);
  sc_close_left(c, 2);
  sc_run(c, 20 * S);
  assert_true(sc_all_see(c, 2, ORCA__PEER_LEFT));
  assert_int_equal(c->dead_for_left, 0);
  assert_int_equal(c->false_deaths, 0);
  assert_true(sc_converged(c));
  /* Forgotten after left_keep (60 s). */
  int known = 0;
  orca__peer_members(sc_peer(c, 0), count_members, &known);
  assert_int_equal(known, 5);
  sc_run(c, 61 * S);
  known = 0;
  orca__peer_members(sc_peer(c, 0), count_members, &known);
  assert_int_equal(known, 4);
  assert_int_equal(orca__peer_live_count(sc_peer(c, 0)), 4);
  sc_free(c);
}

typedef struct meta_want {
  sc *c;
  int of;
  const char *queues;
  uint32_t running;
} meta_want;

static bool meta_seen(void *ud) {
  meta_want *w = ud;
  for (int i = 0; i < w->c->ids; i++)
    if (i != w->of && w->c->live_node[i] >= 0 &&
        (strcmp(w->c->meta[i][w->of].queues, w->queues) != 0 ||
         w->c->meta[i][w->of].running != w->running))
      return false;
  return true;
}

static void test_metadata(void **state) {
  (void)state;
  sc *c = sc_new(5, 12, NULL, true, NULL);
  assert_true(sc_wait_converged(c, 5 * S));
  assert_string_equal(c->meta[0][1].version, "test");
  assert_int_equal(c->meta[0][1].concurrency, 4);
  orca__peer_meta m = {.concurrency = 8};
  snprintf(m.queues, sizeof m.queues, "payments:3,default:1");
  snprintf(m.addrs, sizeof m.addrs, "metrics=127.0.0.1:9464");
  assert_int_equal(orca__peer_set_meta(sc_peer(c, 1), &m), 0);
  meta_want w = {c, 1, "payments:3,default:1", 0};
  assert_true(orca__sim_run_until(c->sim, sc_now(c) + 2 * S, meta_seen, &w));
  assert_int_equal(c->meta[3][1].concurrency, 8);
  assert_string_equal(c->meta[3][1].addrs, "metrics=127.0.0.1:9464");

  /* The running count changes every 10 ms for 2 s: at most one gossip per
   * meta_interval (1 s), and the last value arrives. */
  uint64_t inc0 = sc_inc(c, 0, 1);
  for (uint32_t r = 1; r <= 200; r++) {
    orca__peer_set_running(sc_peer(c, 1), r);
    sc_run(c, 10000);
  }
  w.running = 200;
  assert_true(orca__sim_run_until(c->sim, sc_now(c) + 3 * S, meta_seen, &w));
  uint64_t bumps = sc_inc(c, 0, 1) - inc0;
  assert_true(bumps >= 2 && bumps <= 4);
  printf("# 200 running-count changes in 2 s gossiped as %llu updates\n",
         (unsigned long long)bumps);

  /* Strings must fit their fields. */
  memset(m.queues, 'q', sizeof m.queues);
  assert_int_equal(orca__peer_set_meta(sc_peer(c, 1), &m), ORCA_EINVAL);
  assert_int_equal(c->false_deaths, 0);
  sc_free(c);
}

static void test_message(void **state) {
  (void)state;
  sc *c = sc_new(5, 13, NULL, true, NULL);
  assert_true(sc_wait_converged(c, 5 * S));
  assert_int_equal(orca__peer_send(sc_peer(c, 1), "n3", "cancel 01J", 10), 0);
  sc_run(c, 100000);
  assert_int_equal(c->msgs, 1);
  assert_int_equal(c->msg_to, 3);
  assert_string_equal(c->msg_from, "n1");
  assert_true(c->msg_known_sender);
  assert_int_equal(c->msg_len, 10);
  assert_memory_equal(c->msg, "cancel 01J", 10);
  assert_int_equal(orca__peer_send(sc_peer(c, 1), "nobody", "x", 1), ORCA_ENOTFOUND);
  assert_int_equal(orca__peer_send(sc_peer(c, 1), "n1", "x", 1), ORCA_ENOTFOUND);
  static uint8_t big[ORCA__PEER_MSG_MAX + 1];
  assert_int_equal(orca__peer_send(sc_peer(c, 1), "n3", big, sizeof big), ORCA_ERANGE);
  assert_int_equal(orca__peer_send(sc_peer(c, 1), "n3", big, sizeof big - 1), 0);
  sc_run(c, 100000);
  assert_int_equal(c->msgs, 2);
  sc_kill(c, 3);
  assert_true(sc_wait_all_see(c, 3, ORCA__PEER_DEAD, 10 * S));
  assert_int_equal(orca__peer_send(sc_peer(c, 1), "n3", "x", 1), ORCA_ENOTFOUND);
  sc_free(c);
}

/* ---- incarnations ---- */

static void test_refutation(void **state) {
  (void)state;
  sc *c = sc_new(5, 14, NULL, true, NULL);
  assert_true(sc_wait_converged(c, 5 * S));
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++)
      if (i != j)
        assert_int_equal(sc_inc(c, i, j), 0);

  /* n0 is told n2 is suspect: n2 hears of it and refutes with a higher
   * incarnation, which everyone takes; nobody declares n2 dead. */
  tell(c, 0, ORCA__UPD_SUSPECT, 2, 0);
  assert_int_equal(c->state[0][2], ORCA__PEER_SUSPECT);
  assert_true(sc_wait_all_see(c, 2, ORCA__PEER_ALIVE, 3 * S));
  sc_run(c, 1 * S);
  for (int i = 0; i < 5; i++)
    if (i != 2)
      assert_int_equal(sc_inc(c, i, 2), 1);
  assert_true(stats(c, 2).refutations >= 1);

  /* n2 itself is told it is dead at its incarnation: it refutes at once. */
  tell(c, 2, ORCA__UPD_DEAD, 2, 1);
  assert_true(stats(c, 2).refutations >= 2);
  sc_run(c, 2 * S);
  for (int i = 0; i < 5; i++)
    if (i != 2)
      assert_int_equal(sc_inc(c, i, 2), 2);

  /* n0 is told n3 is dead: n0 believes it (an insider said so), the news
   * spreads, n3 hears it and comes back with a higher incarnation. */
  tell(c, 0, ORCA__UPD_DEAD, 3, 0);
  assert_int_equal(c->state[0][3], ORCA__PEER_DEAD);
  assert_true(sc_wait_all_see(c, 3, ORCA__PEER_ALIVE, 5 * S));
  assert_true(sc_inc(c, 0, 3) >= 1);
  c->false_deaths = 0; /* that death was forged on purpose */

  /* Stale news changes nothing. */
  uint64_t inc = sc_inc(c, 0, 3);
  tell(c, 0, ORCA__UPD_ALIVE, 3, 0);
  tell(c, 0, ORCA__UPD_SUSPECT, 3, inc - 1);
  tell(c, 0, ORCA__UPD_DEAD, 3, inc - 1);
  tell(c, 0, ORCA__UPD_LEFT, 3, inc - 1);
  assert_int_equal(c->state[0][3], ORCA__PEER_ALIVE);
  assert_int_equal(sc_inc(c, 0, 3), inc);

  /* A member that left is not brought back by an alive of the same
   * incarnation, only by a later one (it rejoined). */
  c->leaving[4] = true;
  orca__peer_leave(sc_peer(c, 4), NULL, NULL);
  assert_true(sc_wait_all_see(c, 4, ORCA__PEER_LEFT, 2 * S));
  sc_run(c, 2 * S);
  sc_close_left(c, 4);
  uint64_t left_inc = sc_inc(c, 0, 4);
  tell(c, 0, ORCA__UPD_ALIVE, 4, left_inc);
  assert_int_equal(c->state[0][4], ORCA__PEER_LEFT);
  tell(c, 0, ORCA__UPD_SUSPECT, 4, left_inc + 5);
  assert_int_equal(c->state[0][4], ORCA__PEER_LEFT);
  tell(c, 0, ORCA__UPD_ALIVE, 4, left_inc + 1);
  assert_int_equal(c->state[0][4], ORCA__PEER_ALIVE);
  assert_int_equal(c->false_deaths, 0);
  sc_free(c);
}

static void test_restart_same_id(void **state) {
  (void)state;
  sc *c = sc_new(5, 15, NULL, true, NULL);
  assert_true(sc_wait_converged(c, 5 * S));
  sc_kill(c, 3);
  assert_true(sc_wait_all_see(c, 3, ORCA__PEER_DEAD, 10 * S));
  /* The same id on another address (a new process): its alive at
   * incarnation 0 is older than the death the others hold; it learns of its
   * death from the join's answer and refutes. */
  sc_start(c, 3);
  sc_join(c, 3, 0);
  assert_true(sc_wait_converged(c, 5 * S));
  for (int i = 0; i < 5; i++)
    if (i != 3)
      assert_true(sc_inc(c, i, 3) >= 1);
  assert_int_equal(c->false_deaths, 0);
  sc_free(c);
}

/* ---- partition ---- */

static bool sides_split(sc *c) {
  for (int i = 0; i < 10; i++)
    for (int j = 0; j < 10; j++)
      if (i != j && c->state[i][j] != ((i < 5) == (j < 5) ? ORCA__PEER_ALIVE : ORCA__PEER_DEAD))
        return false;
  return true;
}

static bool split_cb(void *ud) {
  return sides_split(ud);
}

static void test_partition_heal(void **state) {
  (void)state;
  sc *c = sc_new(10, 16, NULL, true, NULL);
  assert_true(sc_wait_converged(c, 5 * S));
  int side[10] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  orca__sim_partition(c->sim, side);
  int64_t t0 = sc_now(c);
  /* Each side declares the other dead and goes on as a cluster of five. */
  assert_true(orca__sim_run_until(c->sim, t0 + 60 * S, split_cb, c));
  printf("# partition 5|5: each side saw the other dead after %.2f s\n", (sc_now(c) - t0) / 1e6);
  assert_int_equal(orca__peer_live_count(sc_peer(c, 0)), 5);
  assert_int_equal(orca__peer_live_count(sc_peer(c, 7)), 5);
  sc_run(c, 30 * S);
  assert_true(sides_split(c)); /* stable while split */
  /* Heal: the reconnect sync finds the other side, each side hears it was
   * declared dead, refutes, and the two views merge. */
  orca__sim_partition(c->sim, NULL);
  t0 = sc_now(c);
  assert_true(sc_wait_converged(c, 60 * S));
  printf("# healed: one cluster of ten again after %.2f s\n", (sc_now(c) - t0) / 1e6);
  sc_free(c);
}

/* ---- a starved member ---- */

static void test_slow_member(void **state) {
  (void)state;
  sc *c = sc_new(10, 17, NULL, true, NULL);
  assert_true(sc_wait_converged(c, 5 * S));
  /* n0 handles everything up to 250 ms late (a stalled process). */
  orca__sim_set_slow(c->sim, c->live_node[0], 250000);
  int aware = 0;
  for (int i = 0; i < 2000; i++) { /* 2000 probe intervals */
    sc_run(c, 200000);
    int a = stats(c, 0).awareness;
    if (a > aware)
      aware = a;
  }
  printf("# a member 0-250 ms late for 2000 intervals: n0's health score reached %d, "
         "%llu suspicions of n0, false deaths %d\n",
         aware, (unsigned long long)stats(c, 1).suspicions, c->false_deaths);
  assert_true(aware > 0); /* it noticed it is the slow one */
  if (c->false_deaths)
    fail_msg("%s", c->first_false);
  orca__sim_set_slow(c->sim, c->live_node[0], 0);
  assert_true(sc_wait_converged(c, 10 * S));
  sc_free(c);
}

/* ---- frames that must be refused ---- */

typedef struct capture {
  int from, to;
  uint8_t data[ORCA__PEER_DGRAM_MAX];
  size_t len;
} capture;

static void tap(void *ud, int from, int to, const uint8_t *data, size_t len, bool stream) {
  capture *cap = ud;
  if (!stream && from == cap->from && to == cap->to && len <= sizeof cap->data) {
    memcpy(cap->data, data, len);
    cap->len = len;
  }
}

static void test_frames_refused(void **state) {
  (void)state;
  sc *c = sc_new(5, 18, NULL, true, NULL);
  assert_true(sc_wait_converged(c, 5 * S));
  capture cap = {.from = c->live_node[1], .to = c->live_node[0]};
  orca__sim_tap(c->sim, tap, &cap);
  sc_run(c, 3 * S);
  orca__sim_tap(c->sim, NULL, NULL);
  sc_run(c, 10000); /* what was in flight arrives */
  assert_true(cap.len > 0);
  orca__peer_addr from;
  orca__peer_addr_parse(orca__sim_addr(c->sim, c->live_node[1]), &from, NULL);
  int n0 = c->live_node[0];
  orca__peer_stats before = stats(c, 0), after;

  /* Replayed: it was delivered once already. */
  orca__sim_inject(c->sim, n0, &from, cap.data, cap.len, false);
  /* Truncated, altered. */
  orca__sim_inject(c->sim, n0, &from, cap.data, cap.len - 5, false);
  cap.data[cap.len / 2] ^= 0x40;
  orca__sim_inject(c->sim, n0, &from, cap.data, cap.len, false);
  /* Oversized. */
  static uint8_t big[2000];
  big[0] = ORCA__SEAL_SEALED;
  orca__sim_inject(c->sim, n0, &from, big, sizeof big, false);
  /* Forged: random bytes behind a sealed header. */
  uint8_t junk[200];
  for (size_t i = 0; i < sizeof junk; i++)
    junk[i] = (uint8_t)(i * 37 + 11);
  junk[0] = ORCA__SEAL_SEALED;
  orca__sim_inject(c->sim, n0, &from, junk, sizeof junk, false);
  /* Unsealed, to a member with a key. */
  junk[0] = ORCA__SEAL_PLAIN;
  orca__sim_inject(c->sim, n0, &from, junk, sizeof junk, false);
  /* Sealed with another key. */
  orca__peer_key other;
  orca__peer_key_derive("not the cluster's secret at all..", 32, &other, NULL);
  uint8_t buf[2048];
  size_t n = build(c, &(forge){.key = &other}, NULL, 0, buf, sizeof buf);
  orca__sim_inject(c->sim, n0, &from, buf, n, false);
  /* The right key, another cluster. */
  n = build(c, &(forge){.key = &c->key, .cluster = "staging"}, NULL, 0, buf, sizeof buf);
  orca__sim_inject(c->sim, n0, &from, buf, n, false);
  /* Stamped a minute ago, or a minute ahead. */
  n = build(c, &(forge){.key = &c->key, .ts = orca__sim_wall(c->sim) - 60 * S}, NULL, 0, buf,
            sizeof buf);
  orca__sim_inject(c->sim, n0, &from, buf, n, false);
  n = build(c, &(forge){.key = &c->key, .ts = orca__sim_wall(c->sim) + 60 * S}, NULL, 0, buf,
            sizeof buf);
  orca__sim_inject(c->sim, n0, &from, buf, n, false);
  /* Claiming to be n0 itself. */
  n = build(c, &(forge){.key = &c->key, .sender = "n0"}, NULL, 0, buf, sizeof buf);
  orca__sim_inject(c->sim, n0, &from, buf, n, false);
  /* A stream message type in a datagram, and a datagram type on a stream. */
  n = build(c, &(forge){.key = &c->key, .type = ORCA__MSG_SYNC}, NULL, 0, buf, sizeof buf);
  orca__sim_inject(c->sim, n0, &from, buf, n, false);
  n = build(c, &(forge){.key = &c->key, .type = ORCA__MSG_PING}, NULL, 0, buf, sizeof buf);
  orca__sim_inject(c->sim, n0, &from, buf, n, true);
  /* A valid frame replayed on the stream path too. */
  n = build(c, &(forge){.key = &c->key, .type = ORCA__MSG_SYNC}, NULL, 0, buf, sizeof buf);
  orca__sim_inject(c->sim, n0, &from, buf, n, true);
  orca__sim_inject(c->sim, n0, &from, buf, n, true);

  after = stats(c, 0);
  assert_int_equal(after.drop_replay - before.drop_replay, 2);
  assert_int_equal(after.drop_auth - before.drop_auth, 4);
  assert_int_equal(after.drop_oversized - before.drop_oversized, 1);
  assert_int_equal(after.drop_mode - before.drop_mode, 1);
  assert_int_equal(after.drop_cluster - before.drop_cluster, 1);
  assert_int_equal(after.drop_stale - before.drop_stale, 2);
  assert_int_equal(after.drop_self - before.drop_self, 1);
  assert_int_equal(after.drop_malformed - before.drop_malformed, 2);

  /* A storm of junk: nothing crashes, nothing is believed, the cluster is
   * undisturbed. */
  uint64_t x = 42;
  for (int i = 0; i < 20000; i++) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    size_t len = (size_t)(x >> 33) % 1500;
    for (size_t k = 0; k < len; k++)
      buf[k] = (uint8_t)(x >> (k % 56));
    if (len)
      buf[0] = (uint8_t)(x >> 60) & 3;
    orca__sim_inject(c->sim, n0, &from, buf, len, i % 5 == 0);
    if (i % 1000 == 0)
      sc_run(c, 100000);
  }
  sc_run(c, 5 * S);
  assert_true(sc_converged(c));
  assert_int_equal(c->false_deaths, 0);

  /* Without a key, only loopback senders are heard. */
  sc *open_c = sc_new(2, 19, NULL, false, NULL);
  assert_true(sc_wait_converged(open_c, 5 * S));
  orca__peer_addr far;
  orca__peer_addr_parse("192.0.2.1:7946", &far, NULL);
  n = build(open_c, &(forge){.key = NULL}, NULL, 0, buf, sizeof buf);
  orca__sim_inject(open_c->sim, open_c->live_node[0], &far, buf, n, false);
  assert_int_equal(stats(open_c, 0).drop_loopback, 1);
  sc_free(open_c);
  sc_free(c);
}

/* ---- replayability ---- */

typedef struct outcome {
  uint64_t trace;
  int64_t detected;
} outcome;

static outcome scenario(uint64_t seed) {
  orca__sim_net net = {0.1, 0.02, 300, 2000, 200000};
  sc *c = sc_new(10, seed, &net, true, NULL);
  assert_true(sc_wait_converged(c, 10 * S));
  sc_run(c, 20 * S);
  int64_t t0 = sc_now(c);
  sc_kill(c, 7);
  assert_true(sc_wait_all_see(c, 7, ORCA__PEER_DEAD, 60 * S));
  outcome o = {orca__sim_trace(c->sim), sc_last_seen(c, 7, ORCA__PEER_DEAD) - t0};
  sc_free(c);
  return o;
}

static void test_replayable(void **state) {
  (void)state;
  outcome a = scenario(99), b = scenario(99), d = scenario(100);
  assert_int_equal(a.trace, b.trace);
  assert_int_equal(a.detected, b.detected);
  assert_int_not_equal(a.trace, d.trace);
}

int main(void) {
  orca_log_set(NULL, NULL, ORCA_LOG_ERROR);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_detect_healthy), cmocka_unit_test(test_leave),
      cmocka_unit_test(test_metadata),       cmocka_unit_test(test_message),
      cmocka_unit_test(test_refutation),     cmocka_unit_test(test_restart_same_id),
      cmocka_unit_test(test_partition_heal), cmocka_unit_test(test_slow_member),
      cmocka_unit_test(test_frames_refused), cmocka_unit_test(test_replayable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
