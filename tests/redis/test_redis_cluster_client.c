/* test_redis_cluster_client.c — the Redis Cluster client of the backend
 * (runtime/backend/redis/redis_cluster.c) against a real 6-node cluster
 * started once for the binary (tests/support/redis_cluster.c): the key
 * slot against CLUSTER KEYSLOT, the key position of commands, the node
 * list's errors, a pipeline spread over every primary, MOVED after a stale
 * map, ASK and MOVED during a slot migration, and a SIGKILLed primary whose
 * replica takes over while a command waits (with WAIT, nothing written
 * before the kill is lost). */
#include <hiredis/hiredis.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/redis/redis_cluster.h"
#include "redis_cluster.h"

static orca_test_cluster g_cluster;

static int setup(void **state) {
  (void)state;
  return orca_test_cluster_start(&g_cluster);
}

static int teardown(void **state) {
  (void)state;
  orca_test_cluster_stop(&g_cluster);
  return 0;
}

/* The seeds of the fixture's URL ("127.0.0.1:P1,..."). */
static const char *seeds(void) {
  return g_cluster.url + strlen("redis+cluster://");
}

static void open_client(orca__rcluster *cl, int64_t timeout_us) {
  orca_err err = {0};
  assert_int_equal(orca__rcluster_init(cl, seeds(), timeout_us, NULL, &err), 0);
}

static void test_key_slot(void **state) {
  (void)state;
  /* The specification's check value and its hash-tag examples. */
  assert_int_equal(orca__redis_key_slot("123456789", 9), 0x31C3);
  assert_int_equal(orca__redis_key_slot("{user1000}.following", 20),
                   orca__redis_key_slot("user1000", 8));
  assert_int_equal(orca__redis_key_slot("foo{{bar}}zap", 13), orca__redis_key_slot("{bar", 4));
  assert_int_equal(orca__redis_key_slot("foo{bar}{zap}", 13), orca__redis_key_slot("bar", 3));

  /* And the server's own answer for 2000 keys of every shape. */
  redisContext *c = orca_test_cluster_connect(&g_cluster, 0);
  assert_non_null(c);
  char keys[2000][64];
  size_t lens[2000];
  for (int i = 0; i < 2000; i++) {
    int n = 0;
    switch (i % 10) {
    case 0:
      n = snprintf(keys[i], sizeof keys[i], "orca:{q%d}:p:0", i);
      break;
    case 1:
      n = snprintf(keys[i], sizeof keys[i], "k%d", i);
      break;
    case 2:
      n = snprintf(keys[i], sizeof keys[i], "{%d}", i);
      break;
    case 3:
      n = snprintf(keys[i], sizeof keys[i], "{}x%d", i);
      break;
    case 4:
      n = snprintf(keys[i], sizeof keys[i], "a{b%d", i);
      break;
    case 5:
      n = snprintf(keys[i], sizeof keys[i], "a}b{%d}", i);
      break;
    case 6:
      n = snprintf(keys[i], sizeof keys[i], "{{%d}}", i);
      break;
    case 7:
      n = snprintf(keys[i], sizeof keys[i], "x{%d}{y}", i);
      break;
    case 8:
      n = 0;
      keys[i][0] = '\0';
      break;
    default:
      n = snprintf(keys[i], sizeof keys[i], "\xff{%d}\x01", i);
      break;
    }
    lens[i] = (size_t)n;
    const char *argv[] = {"CLUSTER", "KEYSLOT", keys[i]};
    size_t len[] = {7, 7, lens[i]};
    redisAppendCommandArgv(c, 3, argv, len);
  }
  for (int i = 0; i < 2000; i++) {
    void *p = NULL;
    assert_int_equal(redisGetReply(c, &p), REDIS_OK);
    redisReply *r = p;
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    if ((long long)orca__redis_key_slot(keys[i], lens[i]) != r->integer)
      fail_msg("key '%s': slot %u, server says %lld", keys[i],
               orca__redis_key_slot(keys[i], lens[i]), r->integer);
    freeReplyObject(r);
  }
  redisFree(c);
}

static int key_of(const char *const *argv) {
  size_t len[16];
  size_t argc = 0;
  for (; argv[argc]; argc++)
    len[argc] = strlen(argv[argc]);
  return orca__redis_cmd_key(argc, argv, len);
}

static void test_cmd_key(void **state) {
  (void)state;
  assert_int_equal(key_of((const char *[]){"SET", "k", "v", NULL}), 1);
  assert_int_equal(key_of((const char *[]){"fcall", "f", "2", "a", "b", "x", NULL}), 3);
  assert_int_equal(key_of((const char *[]){"FCALL", "f", "0", "x", NULL}), -1);
  assert_int_equal(key_of((const char *[]){"XREADGROUP", "GROUP", "g", "c", "COUNT", "5", "BLOCK",
                                           "10", "STREAMS", "s", ">", NULL}),
                   9);
  assert_int_equal(key_of((const char *[]){"XINFO", "CONSUMERS", "s", "g", NULL}), 2);
  assert_int_equal(key_of((const char *[]){"XGROUP", "CREATE", "s", "g", "0", NULL}), 2);
  assert_int_equal(key_of((const char *[]){"INFO", "server", NULL}), -1);
  assert_int_equal(key_of((const char *[]){"FUNCTION", "LOAD", "x", NULL}), -1);
  assert_int_equal(key_of((const char *[]){"PING", NULL}), -1);
}

static void expect_url_error(const char *list, const char *part) {
  orca__rcluster cl;
  orca_err err = {0};
  assert_int_equal(orca__rcluster_init(&cl, list, 1000000, NULL, &err), ORCA_EURL);
  if (!strstr(err.msg, part))
    fail_msg("'%s': error '%s' does not name '%s'", list, err.msg, part);
}

static void test_seed_errors(void **state) {
  (void)state;
  expect_url_error("", "empty HOST:PORT");
  expect_url_error("h:1,,h:2", "empty HOST:PORT");
  expect_url_error("h", "node 'h': want HOST:PORT");
  expect_url_error(":80", "node ':80': want HOST:PORT");
  expect_url_error("h:0", "port '0'");
  expect_url_error("h:1,g:70000", "port '70000'");
  expect_url_error("h:x1", "port 'x1'");
}

/* Queue n SET (or GET) commands of keys "{tagI}k" into a. */
static void add_cmds(orca__rargs *a, int n, bool set) {
  for (int i = 0; i < n; i++) {
    char key[32], val[32];
    snprintf(key, sizeof key, "{tag%d}k", i);
    snprintf(val, sizeof val, "v%d", i);
    orca__rargs_cmd(a, -1);
    orca__rargs_str(a, set ? "SET" : "GET");
    orca__rargs_str(a, key);
    if (set)
      orca__rargs_str(a, val);
  }
}

static void check_gets(redisReply **rep, int n) {
  for (int i = 0; i < n; i++) {
    char val[32];
    snprintf(val, sizeof val, "v%d", i);
    assert_non_null(rep[i]);
    if (rep[i]->type != REDIS_REPLY_STRING || strcmp(rep[i]->str, val) != 0)
      fail_msg("GET {tag%d}k: type %d '%s'", i, rep[i]->type,
               rep[i]->type == REDIS_REPLY_ERROR ? rep[i]->str : "");
  }
}

#define N 300

static void test_pipeline_routed(void **state) {
  (void)state;
  orca__rcluster cl;
  open_client(&cl, 5000000);
  orca__rargs a = {0};
  redisReply *rep[N];
  add_cmds(&a, N, true);
  assert_int_equal(orca__rcluster_exec(&cl, &a, rep, 0), 0);
  for (int i = 0; i < N; i++)
    assert_int_equal(rep[i]->type, REDIS_REPLY_STATUS);
  orca__redis_free_replies(rep, N);
  assert_int_equal(cl.nmoved, 0);

  /* Each key is on the primary the cluster says owns its slot. */
  for (int i = 0; i < N; i += 37) {
    char key[32];
    snprintf(key, sizeof key, "{tag%d}k", i);
    int owner = orca_test_cluster_owner(&g_cluster, (int)orca__redis_key_slot(key, strlen(key)));
    assert_true(owner >= 0);
    redisContext *c = orca_test_cluster_connect(&g_cluster, owner);
    redisReply *r = redisCommand(c, "GET %s", key);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    freeReplyObject(r);
    redisFree(c);
  }

  orca__rargs_reset(&a);
  add_cmds(&a, N, false);
  assert_int_equal(orca__rcluster_exec(&cl, &a, rep, 0), 0);
  check_gets(rep, N);
  orca__redis_free_replies(rep, N);
  orca__rargs_free(&a);
  orca__rcluster_free(&cl);
}

static void test_moved(void **state) {
  (void)state;
  orca__rcluster cl;
  open_client(&cl, 5000000);
  assert_int_equal(orca__rcluster_refresh(&cl, NULL), 0);
  /* A stale map: every slot on the node that owns slot 0. */
  int16_t first = cl.slot[0];
  for (int s = 0; s < ORCA__REDIS_SLOTS; s++)
    cl.slot[s] = first;
  orca__rargs a = {0};
  redisReply *rep[N];
  add_cmds(&a, N, false);
  assert_int_equal(orca__rcluster_exec(&cl, &a, rep, 0), 0);
  check_gets(rep, N);
  orca__redis_free_replies(rep, N);
  assert_true(cl.nmoved > 0);
  /* The map was refreshed: the same pipeline now goes straight. */
  uint64_t moved = cl.nmoved;
  assert_int_equal(orca__rcluster_exec(&cl, &a, rep, 0), 0);
  check_gets(rep, N);
  orca__redis_free_replies(rep, N);
  assert_int_equal(cl.nmoved, moved);
  orca__rargs_free(&a);
  orca__rcluster_free(&cl);
}

/* CLUSTER SETSLOT slot WHAT node_id on node i (must succeed). */
static void setslot(int i, int slot, const char *what, const char *node_id) {
  char sl[16];
  snprintf(sl, sizeof sl, "%d", slot);
  const char *argv[] = {"CLUSTER", "SETSLOT", sl, what, node_id};
  assert_int_equal(orca_test_cluster_ok(&g_cluster, i, 5, argv), 0);
}

/* One command through the client; returns its reply (caller frees). */
static redisReply *one(orca__rcluster *cl, const char *cmd, const char *key, const char *val) {
  orca__rargs a = {0};
  orca__rargs_cmd(&a, -1);
  orca__rargs_str(&a, cmd);
  orca__rargs_str(&a, key);
  if (val)
    orca__rargs_str(&a, val);
  redisReply *rep[1];
  assert_int_equal(orca__rcluster_exec(cl, &a, rep, 0), 0);
  orca__rargs_free(&a);
  return rep[0];
}

static void test_migration(void **state) {
  (void)state;
  orca__rcluster cl;
  open_client(&cl, 5000000);
  const char *key = "{mig}old";
  int slot = (int)orca__redis_key_slot(key, strlen(key));
  redisReply *r = one(&cl, "SET", key, "before");
  freeReplyObject(r);
  int src = orca_test_cluster_owner(&g_cluster, slot), dst = -1;
  for (int s = 0; s < ORCA__REDIS_SLOTS && dst < 0; s += 512) {
    int o = orca_test_cluster_owner(&g_cluster, s);
    if (o >= 0 && o != src)
      dst = o;
  }
  assert_true(src >= 0 && dst >= 0);
  char src_id[64], dst_id[64];
  assert_int_equal(orca_test_cluster_node_id(&g_cluster, src, src_id, sizeof src_id), 0);
  assert_int_equal(orca_test_cluster_node_id(&g_cluster, dst, dst_id, sizeof dst_id), 0);
  setslot(dst, slot, "IMPORTING", src_id);
  setslot(src, slot, "MIGRATING", dst_id);
  char port[16];
  snprintf(port, sizeof port, "%d", g_cluster.node[dst].port);
  const char *migrate[] = {"MIGRATE", "127.0.0.1", port, "", "0", "5000", "KEYS", key};
  assert_int_equal(orca_test_cluster_ok(&g_cluster, src, 8, migrate), 0);

  /* The key moved, the slot did not: ASK, then ASKING + GET on dst. */
  r = one(&cl, "GET", key, NULL);
  assert_int_equal(r->type, REDIS_REPLY_STRING);
  assert_string_equal(r->str, "before");
  freeReplyObject(r);
  assert_true(cl.nask >= 1);
  /* A new key of a migrating slot is created on the importing node. */
  r = one(&cl, "SET", "{mig}new", "during");
  assert_int_equal(r->type, REDIS_REPLY_STATUS);
  freeReplyObject(r);
  assert_true(cl.nask >= 2);
  assert_int_equal(cl.nmoved, 0);

  /* A script does not follow ASK: its declared key says nothing about
   * where the keys it builds are, so it waits for the migration to end
   * (here: until a 300 ms op timeout). */
  orca__rcluster quick;
  open_client(&quick, 300000);
  orca__rargs a = {0};
  orca__rargs_cmd(&a, -1);
  orca__rargs_str(&a, "EVAL");
  orca__rargs_str(&a, "return redis.call('GET', KEYS[1])");
  orca__rargs_str(&a, "1");
  orca__rargs_str(&a, key);
  redisReply *rep[1];
  assert_int_equal(orca__rcluster_exec(&quick, &a, rep, 0), ORCA_ECONNECT);
  assert_true(quick.nask >= 1);
  orca__rargs_free(&a);
  orca__rcluster_free(&quick);

  /* The slot is handed over: the client's map is stale, MOVED corrects it. */
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++)
    if (orca_test_cluster_is_primary(&g_cluster, i))
      setslot(i, slot, "NODE", dst_id);
  r = one(&cl, "GET", "{mig}new", NULL);
  assert_int_equal(r->type, REDIS_REPLY_STRING);
  assert_string_equal(r->str, "during");
  freeReplyObject(r);
  assert_true(cl.nmoved >= 1);
  assert_int_equal(cl.node[cl.slot[slot]]->port, g_cluster.node[dst].port);
  orca__rcluster_free(&cl);
  assert_int_equal(orca_test_cluster_wait_ok(&g_cluster, 20000), 0);
}

static void test_failover(void **state) {
  (void)state;
  orca__rcluster cl;
  open_client(&cl, 30000000);
  cl.wait_replicas = 1;
  cl.wait_ms = 2000;
  assert_int_equal(orca__rcluster_refresh(&cl, NULL), 0);
  orca__rargs a = {0};
  redisReply *rep[N];
  add_cmds(&a, N, true);
  assert_int_equal(orca__rcluster_exec(&cl, &a, rep, 0), 0);
  orca__redis_free_replies(rep, N);
  assert_int_equal(cl.nwait_short, 0);

  /* Kill the primary of {tag0}; its replica has every acknowledged write. */
  int victim = orca_test_cluster_owner(&g_cluster, (int)orca__redis_key_slot("tag0", 4));
  assert_true(victim >= 0);
  orca_test_cluster_kill(&g_cluster, victim);
  orca__rargs_reset(&a);
  add_cmds(&a, N, false);
  assert_int_equal(orca__rcluster_exec(&cl, &a, rep, 0), 0);
  check_gets(rep, N);
  orca__redis_free_replies(rep, N);
  assert_true(cl.nretry > 0);
  assert_int_equal(orca_test_cluster_wait_ok(&g_cluster, 30000), 0);
  orca__rargs_free(&a);
  orca__rcluster_free(&cl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_slot),    cmocka_unit_test(test_cmd_key),
      cmocka_unit_test(test_seed_errors), cmocka_unit_test(test_pipeline_routed),
      cmocka_unit_test(test_moved),       cmocka_unit_test(test_migration),
      cmocka_unit_test(test_failover),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
