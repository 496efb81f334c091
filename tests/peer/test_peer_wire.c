/* test_peer_wire.c — the peer network's wire pieces, each alone: addresses,
 * the cluster key file, the sealed envelope, the frame codec (every message
 * and update kind, the limits, what a later version may add) and the replay
 * window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <msgpack.h>

#include "peer/drop.h"
#include "peer/frame.h"
#include "peer/idmap.h"
#include "peer/key.h"
#include "peer/replay.h"
#include "peer/seal.h"

/* ---- addresses ---- */

static void test_addr(void **state) {
  (void)state;
  orca__peer_addr a, b;
  char s[ORCA__PEER_ADDR_STRLEN];
  orca_err err = {0};
  assert_int_equal(orca__peer_addr_parse("127.0.0.1:7946", &a, &err), 0);
  assert_string_equal(orca__peer_addr_format(&a, s), "127.0.0.1:7946");
  assert_true(orca__peer_addr_loopback(&a));
  assert_false(orca__peer_addr_wildcard(&a));
  assert_int_equal(orca__peer_addr_parse("[::1]:0", &b, &err), 0);
  assert_string_equal(orca__peer_addr_format(&b, s), "[::1]:0");
  assert_true(orca__peer_addr_loopback(&b));
  assert_int_equal(orca__peer_addr_parse("10.1.2.3:65535", &a, &err), 0);
  assert_false(orca__peer_addr_loopback(&a));
  assert_int_equal(orca__peer_addr_parse("0.0.0.0:1", &a, &err), 0);
  assert_true(orca__peer_addr_wildcard(&a));
  assert_int_equal(orca__peer_addr_parse("[::ffff:127.0.0.2]:5", &a, &err), 0);
  assert_true(orca__peer_addr_loopback(&a));

  /* Wire form round trip, both families. */
  uint8_t w[ORCA__PEER_ADDR_WIRE_MAX];
  assert_int_equal(orca__peer_addr_to_wire(&b, w), 18);
  assert_int_equal(orca__peer_addr_from_wire(w, 18, &a), 0);
  assert_true(orca__peer_addr_eq(&a, &b));
  assert_int_equal(orca__peer_addr_from_wire(w, 7, &a), -1);

  const char *bad[] = {"localhost:7946",  "127.0.0.1",     "127.0.0.1:",
                       "127.0.0.1:65536", "127.0.0.1:12a", "[::1:7946",
                       "[::1]7946",       "300.0.0.1:1",   ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(orca__peer_addr_parse(bad[i], &a, &err), ORCA_EINVAL);
    assert_non_null(strstr(err.msg, "peer address"));
  }
  assert_int_equal(orca__peer_addr_parse("localhost:1", &a, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "not resolved"));
}

/* ---- the key file ---- */

static const char *write_tmp(const char *name, const void *data, size_t len, mode_t mode) {
  static char path[4][256];
  static int n;
  char *p = path[n++ % 4];
  snprintf(p, 256, "%s/%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
  chmod(p, mode);
  return p;
}

static void test_key(void **state) {
  (void)state;
  orca__peer_key k1, k2, k3;
  orca_err err = {0};
  const char secret[] = "a cluster secret of 32 bytes....";
  assert_int_equal(orca__peer_key_derive(secret, 32, &k1, &err), 0);
  /* A trailing newline (echo, editors) is not part of the secret. */
  char line[64];
  snprintf(line, sizeof line, "%s\n", secret);
  char name[64];
  snprintf(name, sizeof name, "orca-peer-key-%d", (int)getpid());
  const char *path = write_tmp(name, line, strlen(line), 0600);
  assert_int_equal(orca__peer_key_load(path, &k2, &err), 0);
  assert_memory_equal(k1.k, k2.k, sizeof k1.k);
  /* Another secret, another key; the key is not the secret itself. */
  assert_int_equal(orca__peer_key_derive("another secret, 32 bytes long...", 32, &k3, &err), 0);
  assert_memory_not_equal(k1.k, k3.k, sizeof k1.k);
  assert_memory_not_equal(k1.k, secret, sizeof k1.k);

  /* The configuration lookup: flag first, then the environment. */
  setenv("ORCA_CLUSTER_KEY_FILE", path, 1);
  assert_int_equal(orca__peer_key_from_config(NULL, &k3, &err), 1);
  assert_memory_equal(k1.k, k3.k, sizeof k1.k);
  setenv("ORCA_CLUSTER_KEY_FILE", "", 1);
  assert_int_equal(orca__peer_key_from_config(NULL, &k3, &err), 0);
  unsetenv("ORCA_CLUSTER_KEY_FILE");

  /* Too short: said so, with the file's name and not its bytes. */
  const char *short_path = write_tmp("orca-peer-key-short", "tiny-secret\n", 12, 0600);
  assert_int_equal(orca__peer_key_load(short_path, &k3, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, short_path));
  assert_non_null(strstr(err.msg, "at least 16"));
  assert_null(strstr(err.msg, "tiny-secret"));
  assert_int_equal(orca__peer_key_load("/nonexistent/orca.key", &k3, &err), ORCA_ENOTFOUND);
  assert_non_null(strstr(err.msg, "/nonexistent/orca.key"));
  /* Too long. */
  char *big = malloc(ORCA__PEER_KEY_FILE_MAX + 10);
  memset(big, 'x', ORCA__PEER_KEY_FILE_MAX + 10);
  const char *big_path = write_tmp("orca-peer-key-big", big, ORCA__PEER_KEY_FILE_MAX + 10, 0600);
  free(big);
  assert_int_equal(orca__peer_key_load(big_path, &k3, &err), ORCA_EINVAL);
  assert_non_null(strstr(err.msg, "larger than"));
  unlink(path);
  unlink(short_path);
  unlink(big_path);
}

/* ---- the envelope ---- */

static void test_seal(void **state) {
  (void)state;
  orca__peer_key k, other;
  orca__peer_key_derive("0123456789abcdef0123456789abcdef", 32, &k, NULL);
  orca__peer_key_derive("fedcba9876543210fedcba9876543210", 32, &other, NULL);
  const uint8_t msg[] = "a frame's bytes";
  uint8_t env[128], env2[128], out[128];
  const uint8_t *frame;
  size_t flen;
  size_t n = orca__seal(&k, msg, sizeof msg, env, sizeof env);
  assert_int_equal(n, sizeof msg + ORCA__SEAL_OVERHEAD);
  assert_int_equal(orca__seal_size(&k, sizeof msg), n);
  assert_int_equal(orca__unseal(&k, env, n, out, sizeof out, &frame, &flen), ORCA__DROP_NONE);
  assert_int_equal(flen, sizeof msg);
  assert_memory_equal(frame, msg, sizeof msg);
  /* Random nonces: the same frame seals differently every time. */
  assert_int_equal(orca__seal(&k, msg, sizeof msg, env2, sizeof env2), n);
  assert_memory_not_equal(env, env2, n);
  /* Every single bit flipped anywhere fails authentication. */
  for (size_t i = 1; i < n; i++) {
    env[i] ^= 1;
    assert_int_equal(orca__unseal(&k, env, n, out, sizeof out, &frame, &flen), ORCA__DROP_AUTH);
    env[i] ^= 1;
  }
  /* So does the header byte: it is authenticated data. */
  env[0] = ORCA__SEAL_PLAIN;
  assert_int_equal(orca__unseal(&k, env, n, out, sizeof out, &frame, &flen), ORCA__DROP_MODE);
  env[0] = ORCA__SEAL_SEALED;
  /* Truncated anywhere. */
  assert_int_equal(orca__unseal(&k, env, n - 1, out, sizeof out, &frame, &flen), ORCA__DROP_AUTH);
  assert_int_equal(orca__unseal(&k, env, 20, out, sizeof out, &frame, &flen), ORCA__DROP_TRUNCATED);
  assert_int_equal(orca__unseal(&k, env, 0, out, sizeof out, &frame, &flen), ORCA__DROP_TRUNCATED);
  /* Another key. */
  assert_int_equal(orca__unseal(&other, env, n, out, sizeof out, &frame, &flen), ORCA__DROP_AUTH);
  /* No key here: a sealed envelope is refused, a plain one passes in place. */
  assert_int_equal(orca__unseal(NULL, env, n, out, sizeof out, &frame, &flen), ORCA__DROP_MODE);
  size_t p = orca__seal(NULL, msg, sizeof msg, env2, sizeof env2);
  assert_int_equal(p, sizeof msg + 1);
  assert_int_equal(orca__unseal(NULL, env2, p, out, sizeof out, &frame, &flen), ORCA__DROP_NONE);
  assert_ptr_equal(frame, env2 + 1);
  assert_int_equal(orca__unseal(&k, env2, p, out, sizeof out, &frame, &flen), ORCA__DROP_MODE);
  env2[0] = 0x77;
  assert_int_equal(orca__unseal(NULL, env2, p, out, sizeof out, &frame, &flen),
                   ORCA__DROP_MALFORMED);
  /* Room is checked. */
  assert_int_equal(orca__seal(&k, msg, sizeof msg, env, sizeof msg + 10), 0);
}

/* ---- frames ---- */

static orca__pstr ps(const char *s) {
  return (orca__pstr){s, (uint32_t)strlen(s)};
}

static size_t build(uint8_t *buf, size_t cap, const orca__frame *f, const orca__update *u,
                    size_t nu) {
  orca__fw w;
  orca__fw_begin(&w, buf, cap, f);
  for (size_t i = 0; i < nu; i++) {
    uint8_t ub[700];
    size_t n = orca__update_encode(&u[i], ub, sizeof ub);
    assert_true(n > 0);
    assert_true(orca__fw_add(&w, ub, n));
  }
  return orca__fw_end(&w);
}

static orca__frame header(orca__msg type) {
  orca__frame f;
  memset(&f, 0, sizeof f);
  f.cluster = ps("prod");
  f.sender = ps("worker-1");
  f.inc = 7;
  f.ts = 1700000000123456;
  f.type = type;
  return f;
}

static void test_frame_roundtrip(void **state) {
  (void)state;
  uint8_t buf[4096];
  orca__update u[4];
  memset(u, 0, sizeof u);
  u[0].kind = ORCA__UPD_ALIVE;
  u[0].id = ps("worker-2");
  u[0].inc = 3;
  orca__peer_addr_parse("[::1]:7000", &u[0].addr, NULL);
  orca__peer_meta meta = {.concurrency = 8, .running = 5};
  strcpy(meta.queues, "payments:3,default:1");
  strcpy(meta.addrs, "metrics=127.0.0.1:9464");
  strcpy(meta.version, "0.1.0");
  orca__meta_view_of(&meta, &u[0].meta);
  u[1] = (orca__update){
      .kind = ORCA__UPD_SUSPECT, .id = ps("worker-3"), .inc = 1 << 20, .from = ps("worker-1")};
  u[2] =
      (orca__update){.kind = ORCA__UPD_DEAD, .id = ps("w4"), .inc = UINT64_MAX, .from = ps("w5")};
  u[3] = (orca__update){.kind = ORCA__UPD_LEFT, .id = ps("w6"), .inc = 0};

  orca__msg types[] = {ORCA__MSG_PING,   ORCA__MSG_PING_REQ, ORCA__MSG_ACK, ORCA__MSG_NACK,
                       ORCA__MSG_GOSSIP, ORCA__MSG_SYNC,     ORCA__MSG_USER};
  /* Odd types decode the updates into an array in one pass, even ones
   * again while iterating. */
  orca__update keep[4];
  for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
    orca__frame f = header(types[t]), g;
    f.seq = 4000000000u;
    f.target = ps("worker-9");
    orca__peer_addr_parse("10.0.0.9:7946", &f.target_addr, NULL);
    f.nack = true;
    f.flags = ORCA__SYNC_JOIN | ORCA__SYNC_REPLY;
    f.data = (const uint8_t *)"cancel 01J";
    f.data_len = 10;
    size_t n = build(buf, sizeof buf, &f, u, 4);
    assert_true(n > 0);
    assert_int_equal(orca__frame_decode(buf, n, &g, keep, t % 2 ? 4 : 3), ORCA__DROP_NONE);
    assert_ptr_equal(g.kept, t % 2 ? keep : NULL);
    assert_int_equal(g.version, ORCA__FRAME_VERSION);
    assert_int_equal(g.cluster.n, 4);
    assert_memory_equal(g.cluster.p, "prod", 4);
    assert_memory_equal(g.sender.p, "worker-1", 8);
    assert_int_equal(g.inc, 7);
    assert_int_equal(g.ts, 1700000000123456);
    assert_int_equal(g.type, types[t]);
    switch (types[t]) {
    case ORCA__MSG_PING_REQ:
      assert_true(orca__peer_addr_eq(&g.target_addr, &f.target_addr));
      assert_true(g.nack);
      /* fall through */
    case ORCA__MSG_PING:
      assert_memory_equal(g.target.p, "worker-9", 8);
      /* fall through */
    case ORCA__MSG_ACK:
    case ORCA__MSG_NACK:
      assert_int_equal(g.seq, 4000000000u);
      break;
    case ORCA__MSG_SYNC:
      assert_int_equal(g.flags, ORCA__SYNC_JOIN | ORCA__SYNC_REPLY);
      break;
    case ORCA__MSG_USER:
      assert_int_equal(g.data_len, 10);
      assert_memory_equal(g.data, "cancel 01J", 10);
      break;
    default:
      break;
    }
    assert_int_equal(g.n_updates, 4);
    orca__update_iter it;
    orca__update v;
    orca__frame_updates(&g, &it);
    assert_true(orca__update_next(&it, &v));
    assert_int_equal(v.kind, ORCA__UPD_ALIVE);
    assert_memory_equal(v.id.p, "worker-2", 8);
    assert_int_equal(v.inc, 3);
    assert_true(orca__peer_addr_eq(&v.addr, &u[0].addr));
    assert_true(orca__meta_view_eq(&v.meta, &meta));
    orca__peer_meta back;
    orca__meta_from_view(&v.meta, &back);
    assert_string_equal(back.queues, "payments:3,default:1");
    assert_string_equal(back.addrs, "metrics=127.0.0.1:9464");
    assert_string_equal(back.version, "0.1.0");
    assert_int_equal(back.concurrency, 8);
    assert_int_equal(back.running, 5);
    assert_true(orca__update_next(&it, &v));
    assert_int_equal(v.kind, ORCA__UPD_SUSPECT);
    assert_int_equal(v.inc, 1 << 20);
    assert_memory_equal(v.from.p, "worker-1", 8);
    assert_true(orca__update_next(&it, &v));
    assert_int_equal(v.kind, ORCA__UPD_DEAD);
    assert_int_equal(v.inc, UINT64_MAX);
    assert_true(orca__update_next(&it, &v));
    assert_int_equal(v.kind, ORCA__UPD_LEFT);
    assert_false(orca__update_next(&it, &v));
  }
}

/* A frame that does not fit reports 0; an update that does not fit is left
 * out and the frame stays valid. */
static void test_frame_room(void **state) {
  (void)state;
  uint8_t buf[80];
  orca__frame f = header(ORCA__MSG_GOSSIP), g;
  orca__fw w;
  orca__fw_begin(&w, buf, sizeof buf, &f);
  orca__update u = {.kind = ORCA__UPD_SUSPECT, .id = ps("worker-3"), .inc = 1, .from = ps("x")};
  uint8_t ub[64];
  size_t un = orca__update_encode(&u, ub, sizeof ub);
  int added = 0;
  while (orca__fw_add(&w, ub, un))
    added++;
  assert_true(added >= 1);
  size_t n = orca__fw_end(&w);
  assert_true(n > 0 && n <= sizeof buf);
  assert_int_equal(orca__frame_decode(buf, n, &g, NULL, 0), ORCA__DROP_NONE);
  assert_int_equal(g.n_updates, added);
  orca__fw_begin(&w, buf, 10, &f);
  assert_int_equal(orca__fw_end(&w), 0);
  assert_int_equal(orca__update_encode(&u, ub, 5), 0);
  /* An alive whose metadata came without strings (a frame may omit the
   * keys): empty views with no pointer encode as empty strings. */
  orca__update a = {.kind = ORCA__UPD_ALIVE, .id = ps("w"), .inc = 1};
  orca__peer_addr_parse("127.0.0.1:1", &a.addr, NULL);
  uint8_t ab[128];
  size_t an = orca__update_encode(&a, ab, sizeof ab);
  assert_true(an > 0);
  orca__update_iter it = {ab, ab + an, 1, NULL};
  orca__update back;
  assert_true(orca__update_next(&it, &back));
  assert_int_equal(back.meta.queues.n, 0);
}

/* Frames written by hand with msgpack-c: what the decoder refuses and what
 * it tolerates. */
static size_t hand(msgpack_sbuffer *sb, int version, int extra_top, const char *cluster,
                   const char *sender, int type, int body_len, int updates) {
  msgpack_sbuffer_clear(sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 8 + extra_top);
  msgpack_pack_int(&pk, version);
  msgpack_pack_str_with_body(&pk, cluster, strlen(cluster));
  msgpack_pack_str_with_body(&pk, sender, strlen(sender));
  msgpack_pack_uint64(&pk, 1);
  msgpack_pack_uint64(&pk, 2);
  msgpack_pack_int(&pk, type);
  msgpack_pack_array(&pk, body_len);
  for (int i = 0; i < body_len; i++)
    msgpack_pack_uint32(&pk, 9);
  msgpack_pack_array(&pk, updates);
  for (int i = 0; i < updates; i++) {
    msgpack_pack_array(&pk, 5); /* LEFT with two fields a later version added */
    msgpack_pack_int(&pk, ORCA__UPD_LEFT);
    msgpack_pack_str_with_body(&pk, "w", 1);
    msgpack_pack_int(&pk, 3);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
  }
  for (int i = 0; i < extra_top; i++)
    msgpack_pack_str_with_body(&pk, "later", 5);
  return sb->size;
}

static void test_frame_limits(void **state) {
  (void)state;
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  orca__frame f;
  /* Tolerated: extra top-level fields, extra body fields, extra update fields. */
  size_t n = hand(&sb, 1, 2, "c", "s", ORCA__MSG_ACK, 3, 2);
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n, &f, NULL, 0), ORCA__DROP_NONE);
  assert_int_equal(f.seq, 9);
  assert_int_equal(f.n_updates, 2);
  /* Every prefix is truncated (or, for the shortest, malformed). */
  for (size_t i = 0; i < n; i++) {
    int rc = orca__frame_decode((uint8_t *)sb.data, i, &f, NULL, 0);
    assert_true(rc == ORCA__DROP_TRUNCATED || rc == ORCA__DROP_MALFORMED);
  }
  /* Bytes after the frame. */
  msgpack_sbuffer_write(&sb, "x", 1);
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n + 1, &f, NULL, 0),
                   ORCA__DROP_MALFORMED);
  /* Another version, whatever follows. */
  n = hand(&sb, 2, 0, "c", "s", ORCA__MSG_ACK, 1, 0);
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n, &f, NULL, 0), ORCA__DROP_VERSION);
  /* Unknown message type; missing body field; empty or long names. */
  n = hand(&sb, 1, 0, "c", "s", 99, 1, 0);
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n, &f, NULL, 0), ORCA__DROP_MALFORMED);
  n = hand(&sb, 1, 0, "c", "s", ORCA__MSG_ACK, 0, 0);
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n, &f, NULL, 0), ORCA__DROP_MALFORMED);
  n = hand(&sb, 1, 0, "", "s", ORCA__MSG_ACK, 1, 0);
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n, &f, NULL, 0), ORCA__DROP_MALFORMED);
  char longname[200];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  n = hand(&sb, 1, 0, "c", longname, ORCA__MSG_ACK, 1, 0);
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n, &f, NULL, 0), ORCA__DROP_MALFORMED);
  longname[ORCA__PEER_ID_MAX] = '\0';
  n = hand(&sb, 1, 0, "c", longname, ORCA__MSG_ACK, 1, 0);
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n, &f, NULL, 0), ORCA__DROP_NONE);
  n = hand(&sb, 1, 0, "c\xff", "s", ORCA__MSG_ACK, 1, 0); /* not UTF-8 */
  assert_int_equal(orca__frame_decode((uint8_t *)sb.data, n, &f, NULL, 0), ORCA__DROP_MALFORMED);
  /* Not an array at all; an array header claiming more than the bytes. */
  static const uint8_t junk[] = {0xc1};
  assert_int_equal(orca__frame_decode(junk, 1, &f, NULL, 0), ORCA__DROP_MALFORMED);
  static const uint8_t huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
  assert_int_equal(orca__frame_decode(huge, sizeof huge, &f, NULL, 0), ORCA__DROP_TRUNCATED);
  msgpack_sbuffer_destroy(&sb);
}

/* ---- the id map ---- */

static void test_idmap(void **state) {
  (void)state;
  orca__idmap m;
  orca__idmap_init(&m);
  enum { N = 2000 };
  static char ids[N][16];
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "member-%d", i);
    assert_int_equal(orca__idmap_put(&m, ids[i], strlen(ids[i]), ids[i]), 0);
  }
  assert_int_equal(m.n, N);
  for (int i = 0; i < N; i += 2)
    orca__idmap_del(&m, ids[i], strlen(ids[i]));
  for (int i = 0; i < N; i++)
    assert_ptr_equal(orca__idmap_get(&m, ids[i], strlen(ids[i])), i % 2 ? ids[i] : NULL);
  assert_int_equal(orca__idmap_hash(&m, "a", 1), orca__idmap_hash(&m, "a", 1));
  assert_int_not_equal(orca__idmap_hash(&m, "a", 1), orca__idmap_hash(&m, "b", 1));
  orca__idmap_free(&m);
}

/* ---- the replay window ---- */

static void test_replay(void **state) {
  (void)state;
  orca__replay r;
  const int64_t W = 30000000, now = 1700000000000000;
  orca__replay_init(&r, 4, W);
  assert_int_equal(orca__replay_check(&r, "a", 1, now, now), ORCA__DROP_NONE);
  assert_int_equal(orca__replay_check(&r, "a", 1, now, now), ORCA__DROP_REPLAY);
  /* Same stamp, another sender: independent. */
  assert_int_equal(orca__replay_check(&r, "b", 1, now, now), ORCA__DROP_NONE);
  /* Reordered frames within the ring are fine, once each. */
  assert_int_equal(orca__replay_check(&r, "a", 1, now + 10, now), ORCA__DROP_NONE);
  assert_int_equal(orca__replay_check(&r, "a", 1, now + 5, now), ORCA__DROP_NONE);
  assert_int_equal(orca__replay_check(&r, "a", 1, now + 5, now), ORCA__DROP_REPLAY);
  /* Outside the window, either side. */
  assert_int_equal(orca__replay_check(&r, "a", 1, now - W - 1, now), ORCA__DROP_STALE);
  assert_int_equal(orca__replay_check(&r, "a", 1, now + W + 1, now), ORCA__DROP_STALE);
  /* Once the ring is full, older than everything held is a replay. */
  for (int i = 0; i < ORCA__REPLAY_RING; i++)
    assert_int_equal(orca__replay_check(&r, "c", 1, now + 100 + i, now), ORCA__DROP_NONE);
  assert_int_equal(orca__replay_check(&r, "c", 1, now + 99, now), ORCA__DROP_REPLAY);
  assert_int_equal(orca__replay_check(&r, "c", 1, now + 200, now), ORCA__DROP_NONE);
  assert_int_equal(orca__replay_check(&r, "c", 1, now + 100, now), ORCA__DROP_REPLAY);
  /* Capacity: four senders heard within the window; a fifth waits. */
  assert_int_equal(orca__replay_check(&r, "d", 1, now, now), ORCA__DROP_NONE);
  assert_int_equal(orca__replay_check(&r, "e", 1, now, now), ORCA__DROP_BUSY);
  /* Later, senders silent for a window are forgotten safely: their frames
   * are stale by then. */
  int64_t later = now + W + 1000;
  assert_int_equal(orca__replay_check(&r, "e", 1, later, later), ORCA__DROP_NONE);
  assert_int_equal(orca__replay_check(&r, "a", 1, now + 10, later), ORCA__DROP_STALE);
  orca__replay_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addr),       cmocka_unit_test(test_key),
      cmocka_unit_test(test_seal),       cmocka_unit_test(test_frame_roundtrip),
      cmocka_unit_test(test_frame_room), cmocka_unit_test(test_frame_limits),
      cmocka_unit_test(test_idmap),      cmocka_unit_test(test_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
