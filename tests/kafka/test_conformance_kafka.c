/* test_conformance_kafka.c — the conformance suite on the Kafka log
 * (librdkafka's mock cluster, or ORCA_TEST_KAFKA), each case with its own
 * topic prefix and consumer group.
 *
 * Without an argument: the log cases on the Kafka log alone. Cases that
 * need leases or release_worker are skipped (Kafka has neither, see log.h);
 * order is checked as a set (ORCA__LOG_ORDERED is absent). About 20 s:
 * every case joins a consumer group.
 *
 * `sqlite` or `redis`: the backend cases on the Kafka log composed with a
 * SQLite store (a file per case in a temporary directory) or with the Redis
 * store (a private redis-server, a flushed database per case), the pairings
 * of docs/kafka.md. Cases a log without leases or order cannot pass skip
 * themselves (fixture.h, cf_log_caps). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "conformance.h"
#include "kafka_cluster.h"
#include "redis_server.h"

static orca_test_kafka cluster;
static char base[sizeof cluster.prefix];
static int cases;

typedef struct store_ctx {
  bool redis;
  orca_test_redis srv;
  char dir[64]; /* the SQLite stores' directory */
} store_ctx;

/* Empty Redis database db of the fixture server; aborts when unreachable. */
static void flush_db(orca_test_redis *srv, int db) {
  redisContext *rc = redisConnect("127.0.0.1", srv->port);
  if (!rc || rc->err) {
    fprintf(stderr, "test_conformance_kafka: cannot reach the fixture server\n");
    abort();
  }
  freeReplyObject(redisCommand(rc, "SELECT %d", db));
  freeReplyObject(redisCommand(rc, "FLUSHDB"));
  redisFree(rc);
}

/* A topic prefix and a group per case, so no case sees another's tasks;
 * with a store context, a fresh store of its kind in the URL. */
static const char *make_url(void *ud) {
  store_ctx *s = ud;
  char group[32], extra[400];
  snprintf(group, sizeof group, "conf%d", cases);
  snprintf(cluster.prefix, sizeof cluster.prefix, "%.30sc%d.", base, cases);
  if (!s)
    snprintf(extra, sizeof extra, "session.timeout.ms=6000");
  else if (s->redis) {
    int db = cases % 16;
    flush_db(&s->srv, db);
    snprintf(extra, sizeof extra, "session.timeout.ms=6000&store=%s",
             orca_test_redis_url(&s->srv, db));
  } else
    snprintf(extra, sizeof extra, "session.timeout.ms=6000&store=sqlite:%s/store%d.db", s->dir,
             cases);
  cases++;
  return orca_test_kafka_url(&cluster, group, extra);
}

static void remove_stores(const store_ctx *s) {
  for (int i = 0; i < cases; i++) {
    static const char *const ext[] = {"", "-wal", "-shm"};
    for (size_t k = 0; k < 3; k++) {
      char p[128];
      snprintf(p, sizeof p, "%s/store%d.db%s", s->dir, i, ext[k]);
      unlink(p);
    }
  }
  rmdir(s->dir);
}

static int run_composed(bool redis) {
  static store_ctx s;
  s.redis = redis;
  if (redis) {
    if (orca_test_redis_start(&s.srv, false))
      return 1;
    int failed = orca_conformance_run("conformance/kafka+redis", make_url, &s);
    orca_test_redis_stop(&s.srv);
    return failed;
  }
  snprintf(s.dir, sizeof s.dir, "/tmp/orca-conf-XXXXXX");
  if (!mkdtemp(s.dir)) {
    perror("mkdtemp");
    return 1;
  }
  int failed = orca_conformance_run("conformance/kafka+sqlite", make_url, &s);
  remove_stores(&s);
  return failed;
}

int main(int argc, char **argv) {
  if (orca_test_kafka_disabled())
    return 0;
  const char *mode = argc > 1 ? argv[1] : "log";
  if (strcmp(mode, "log") && strcmp(mode, "sqlite") && strcmp(mode, "redis")) {
    fprintf(stderr, "usage: %s [log|sqlite|redis]\n", argv[0]);
    return 2;
  }
  /* strong references: the registry names backends weakly */
  if (!orca__sqlite_ops.open || !orca__redis_ops.open)
    return 1;
  if (orca_test_kafka_start(&cluster))
    return 1;
  memcpy(base, cluster.prefix, sizeof base);
  int failed;
  if (!strcmp(mode, "log"))
    failed =
        orca_conformance_run_log("conformance/kafka-log", &orca__kafka_log_ops, make_url, NULL);
  else
    failed = run_composed(!strcmp(mode, "redis"));
  orca_test_kafka_stop(&cluster);
  return failed ? 1 : 0;
}
