/* test_peer_uv.c — the peer network on real sockets: several members on
 * loopback in this process, on one libuv loop. What open refuses (no key
 * and a non-loopback address, a wildcard without advertise, a port in use),
 * a cluster forming, a direct message, a graceful leave, a crash (a peer
 * closed without a word) detected by the others, and junk on the UDP port
 * and the TCP port counted and survived. Waits are on the loop: a condition
 * is checked after every callback and every few milliseconds, with a
 * deadline. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "orca/log.h"
#include "peer/peer.h"

#define N 4

typedef struct node {
  struct world *w;
  int idx;
  orca__peer *p;
  int state[N]; /* what it believes of the others */
  int64_t changed[N];
} node;

typedef struct world {
  uv_loop_t loop;
  node n[N];
  orca__peer_key key;
  bool (*pred)(struct world *);
  int msgs;
  char msg[64];
  char msg_from[32];
} world;

static int idx_of(const char *id) {
  return id[0] == 'n' ? id[1] - '0' : -1;
}

static void check(world *w) {
  if (w->pred && w->pred(w))
    uv_stop(&w->loop);
}

static void on_member(void *ud, const orca__peer_member *m, orca__peer_state before) {
  (void)before;
  node *nd = ud;
  int j = idx_of(m->id);
  if (j >= 0 && j < N) {
    nd->state[j] = m->state;
    nd->changed[j] = (int64_t)(uv_hrtime() / 1000);
  }
  check(nd->w);
}

static void on_message(void *ud, const char *from_id, const orca__peer_member *from,
                       const uint8_t *data, size_t len) {
  (void)from;
  node *nd = ud;
  nd->w->msgs++;
  snprintf(nd->w->msg, sizeof nd->w->msg, "%.*s", (int)len, (const char *)data);
  snprintf(nd->w->msg_from, sizeof nd->w->msg_from, "%s", from_id);
  check(nd->w);
}

static void on_tick(uv_timer_t *t) {
  check(t->data);
}
static void on_deadline(uv_timer_t *t) {
  uv_stop(t->loop);
}

/* Run the loop until pred holds or ms pass. Returns whether pred holds. */
static bool run_until(world *w, bool (*pred)(world *), uint64_t ms) {
  w->pred = pred;
  if (pred(w))
    return true;
  uv_timer_t tick, deadline;
  uv_timer_init(&w->loop, &tick);
  uv_timer_init(&w->loop, &deadline);
  tick.data = w;
  uv_timer_start(&tick, on_tick, 5, 5);
  uv_timer_start(&deadline, on_deadline, ms, 0);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  uv_close((uv_handle_t *)&tick, NULL);
  uv_close((uv_handle_t *)&deadline, NULL);
  uv_run(&w->loop, UV_RUN_NOWAIT);
  w->pred = NULL;
  return pred(w);
}

static int open_node(world *w, int i, const char *bind, const orca__peer_key *key, orca_err *err) {
  char id[8];
  snprintf(id, sizeof id, "n%d", i);
  node *nd = &w->n[i];
  nd->w = w;
  nd->idx = i;
  orca__peer_opts o = {.id = id,
                       .cluster = "uvtest",
                       .bind = bind,
                       .key = key,
                       .on_member = on_member,
                       .on_message = on_message,
                       .ud = nd};
  return orca__peer_open(&w->loop, &o, &nd->p, err);
}

static void close_node(world *w, int i) {
  orca__peer_close(w->n[i].p);
  w->n[i].p = NULL;
}

static void world_init(world *w) {
  memset(w, 0, sizeof *w);
  uv_loop_init(&w->loop);
  orca__peer_key_derive("the loopback test cluster secret", 32, &w->key, NULL);
}

static void world_free(world *w) {
  for (int i = 0; i < N; i++)
    if (w->n[i].p)
      close_node(w, i);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&w->loop), 0);
}

static void test_open_refused(void **state) {
  (void)state;
  world w;
  world_init(&w);
  orca_err err = {0};
  assert_int_equal(open_node(&w, 0, "192.0.2.1:0", NULL, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "not a loopback address"));
  assert_non_null(strstr(err.msg, "no cluster key"));
  assert_int_equal(open_node(&w, 0, "0.0.0.0:0", &w.key, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "wildcard"));
  assert_int_equal(open_node(&w, 0, "localhost:0", &w.key, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "localhost"));
  /* Without a key, advertising a non-loopback address is refused too. */
  orca__peer_opts o = {
      .id = "n0", .cluster = "c", .bind = "127.0.0.1:0", .advertise = "10.0.0.5:7946"};
  orca__peer *p;
  assert_int_equal(orca__peer_open(&w.loop, &o, &p, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "10.0.0.5:7946"));
  o.advertise = NULL;
  o.id = "";
  assert_int_equal(orca__peer_open(&w.loop, &o, &p, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "member id"));
  o.id = "n0";
  orca__peer_params prm = {.probe_interval_us = 100000, .probe_timeout_us = 200000};
  o.params = &prm;
  assert_int_equal(orca__peer_open(&w.loop, &o, &p, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "probe timeout"));
  /* A port in use. */
  assert_int_equal(open_node(&w, 0, "127.0.0.1:0", NULL, &err), 0);
  char taken[ORCA__PEER_ADDR_STRLEN];
  orca__peer_addr_format(orca__peer_address(w.n[0].p), taken);
  assert_int_equal(open_node(&w, 1, taken, NULL, &err), ORCA_EIO);
  assert_non_null(strstr(err.msg, taken));
  /* Seeds: malformed, or non-loopback without a key. */
  const char *bad[] = {"nowhere"};
  assert_int_equal(orca__peer_join(w.n[0].p, bad, 1, &err), ORCA_EINVAL);
  const char *far[] = {"192.0.2.1:7946"};
  assert_int_equal(orca__peer_join(w.n[0].p, far, 1, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "no cluster key"));
  world_free(&w);
}

static bool all_alive(world *w) {
  for (int i = 0; i < N; i++)
    if (!w->n[i].p || orca__peer_live_count(w->n[i].p) != N)
      return false;
  return true;
}

static bool got_message(world *w) {
  return w->msgs > 0;
}

static bool n2_left(world *w) {
  for (int i = 0; i < N; i++)
    if (i != 2 && w->n[i].state[2] != ORCA__PEER_LEFT)
      return false;
  return true;
}

static bool n3_dead(world *w) {
  for (int i = 0; i < 2; i++)
    if (w->n[i].state[3] != ORCA__PEER_DEAD)
      return false;
  return true;
}

static void left(void *ud) {
  world *w = ud;
  close_node(w, 2); /* the leave is done: close from its callback */
}

static void test_cluster(void **state) {
  (void)state;
  world w;
  world_init(&w);
  orca_err err = {0};
  for (int i = 0; i < N; i++)
    assert_int_equal(open_node(&w, i, "127.0.0.1:0", &w.key, &err), 0);
  char seed[ORCA__PEER_ADDR_STRLEN];
  orca__peer_addr_format(orca__peer_address(w.n[0].p), seed);
  const char *seeds[] = {seed};
  for (int i = 1; i < N; i++)
    assert_int_equal(orca__peer_join(w.n[i].p, seeds, 1, &err), 0);
  assert_true(run_until(&w, all_alive, 10000));

  /* A direct message over TCP. */
  assert_int_equal(orca__peer_send(w.n[1].p, "n3", "cancel 01J", 10), 0);
  assert_true(run_until(&w, got_message, 5000));
  assert_string_equal(w.msg, "cancel 01J");
  assert_string_equal(w.msg_from, "n1");

  /* Graceful leave: seen as left, never dead. */
  assert_int_equal(orca__peer_leave(w.n[2].p, left, &w), 0);
  assert_true(run_until(&w, n2_left, 5000));

  /* A crash: n3 closes without a word. */
  uint64_t t0 = uv_hrtime() / 1000;
  close_node(&w, 3);
  assert_true(run_until(&w, n3_dead, 30000));
  int64_t took = 0;
  for (int i = 0; i < 2; i++)
    if (w.n[i].changed[3] - (int64_t)t0 > took)
      took = w.n[i].changed[3] - (int64_t)t0;
  printf("# loopback, one process: a crashed member declared dead by the 2 others after %.3f "
         "s\n",
         took / 1e6);
  assert_int_equal(w.n[0].state[2], ORCA__PEER_LEFT);
  orca__peer_stats st;
  orca__peer_stats_get(w.n[0].p, &st);
  assert_true(st.frames_received > 0);
  assert_int_equal(st.drop_auth + st.drop_malformed + st.drop_mode, 0);
  world_free(&w);
}

/* ---- junk on the ports ---- */

typedef struct junk {
  world *w;
  orca__peer_stats want;
} junk;

static junk *jk;

static bool drops_reached(world *w) {
  orca__peer_stats st;
  orca__peer_stats_get(w->n[0].p, &st);
  return st.drop_auth >= jk->want.drop_auth && st.drop_mode >= jk->want.drop_mode &&
         st.drop_oversized >= jk->want.drop_oversized &&
         st.drop_malformed >= jk->want.drop_malformed;
}

static void raw_udp(const orca__peer_addr *to, const void *data, size_t len) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(to->port)};
  memcpy(&sa.sin_addr, to->ip, 4);
  assert_true(sendto(fd, data, len, 0, (struct sockaddr *)&sa, sizeof sa) == (ssize_t)len);
  close(fd);
}

static int raw_tcp(const orca__peer_addr *to, const void *data, size_t len) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(to->port)};
  memcpy(&sa.sin_addr, to->ip, 4);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_true(write(fd, data, len) == (ssize_t)len);
  return fd;
}

static bool pair_alive(world *w) {
  return orca__peer_live_count(w->n[0].p) == 2 && orca__peer_live_count(w->n[1].p) == 2;
}

static void test_junk(void **state) {
  (void)state;
  world w;
  world_init(&w);
  orca_err err = {0};
  for (int i = 0; i < 2; i++)
    assert_int_equal(open_node(&w, i, "127.0.0.1:0", &w.key, &err), 0);
  char seed[ORCA__PEER_ADDR_STRLEN];
  orca__peer_addr_format(orca__peer_address(w.n[0].p), seed);
  const char *seeds[] = {seed};
  orca__peer_join(w.n[1].p, seeds, 1, &err);
  assert_true(run_until(&w, pair_alive, 5000));
  const orca__peer_addr *a = orca__peer_address(w.n[0].p);

  junk j = {&w, {0}};
  jk = &j;
  uint8_t buf[3000];
  memset(buf, 0xab, sizeof buf);
  buf[0] = 0x01; /* sealed: fails authentication */
  raw_udp(a, buf, 200);
  buf[0] = 0x02; /* plain, to a member with a key */
  raw_udp(a, buf, 200);
  buf[0] = 0x01;
  raw_udp(a, buf, 2000); /* over the datagram limit */
  raw_udp(a, buf, 1);
  j.want = (orca__peer_stats){.drop_auth = 1, .drop_mode = 1, .drop_oversized = 1};
  assert_true(run_until(&w, drops_reached, 5000));

  /* TCP: a message that fails authentication, then a length over the
   * limit (the connection is closed). */
  uint8_t msg[4 + 100] = {0, 0, 0, 100, 0x01};
  int fd1 = raw_tcp(a, msg, sizeof msg);
  uint8_t huge[4] = {0xff, 0xff, 0xff, 0xff};
  int fd2 = raw_tcp(a, huge, sizeof huge);
  j.want.drop_auth = 2;
  j.want.drop_oversized = 2;
  assert_true(run_until(&w, drops_reached, 5000));
  char c;
  struct timeval tv = {5, 0};
  setsockopt(fd2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  assert_int_equal(read(fd2, &c, 1), 0); /* closed by the peer */
  close(fd1);
  close(fd2);
  /* The cluster did not notice. */
  uv_run(&w.loop, UV_RUN_NOWAIT);
  assert_true(pair_alive(&w));
  world_free(&w);
}

/* IPv6 loopback, without a key (::1 is loopback). */
static void test_ipv6(void **state) {
  (void)state;
  world w;
  world_init(&w);
  orca_err err = {0};
  if (open_node(&w, 0, "[::1]:0", NULL, &err) == ORCA_EIO) {
    world_free(&w);
    skip(); /* no IPv6 on this machine */
  }
  assert_int_equal(open_node(&w, 1, "[::1]:0", NULL, &err), 0);
  char seed[ORCA__PEER_ADDR_STRLEN];
  orca__peer_addr_format(orca__peer_address(w.n[0].p), seed);
  assert_non_null(strstr(seed, "[::1]:"));
  const char *seeds[] = {seed};
  assert_int_equal(orca__peer_join(w.n[1].p, seeds, 1, &err), 0);
  assert_true(run_until(&w, pair_alive, 5000));
  world_free(&w);
}

int main(void) {
  orca_log_set(NULL, NULL, ORCA_LOG_ERROR);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_refused),
      cmocka_unit_test(test_cluster),
      cmocka_unit_test(test_junk),
      cmocka_unit_test(test_ipv6),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
