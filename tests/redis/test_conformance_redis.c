/* test_conformance_redis.c — the backend conformance suite against the Redis
 * Streams backend, on a private redis-server started for this run. Each case
 * gets the next database number (0..15), flushed first. Built twice: fused
 * (redis://HOST:PORT/DB), also running the store cases on the Redis store,
 * and, with CF_SPLIT, as a SQLite log in a temporary file composed with the
 * Redis store (sqlite:DIR/log.db?store=redis://HOST:PORT/DB), the pairing a
 * cluster of workers on one shared store uses. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "conformance.h"
#include "redis_server.h"

typedef struct ctx {
  orca_test_redis srv;
  int next_db;
  char dir[64]; /* CF_SPLIT: the log files' directory */
  int nlogs;
  char url[256];
} ctx;

static const char *make_url(void *ud) {
  ctx *c = ud;
  int db = c->next_db++ % 16;
  redisContext *rc = redisConnect("127.0.0.1", c->srv.port);
  if (!rc || rc->err) {
    fprintf(stderr, "test_conformance_redis: cannot reach the fixture server\n");
    abort();
  }
  redisReply *rep = redisCommand(rc, "SELECT %d", db);
  freeReplyObject(rep);
  rep = redisCommand(rc, "FLUSHDB");
  freeReplyObject(rep);
  redisFree(rc);
#ifdef CF_SPLIT
  snprintf(c->url, sizeof c->url, "sqlite:%s/log%d.db?store=%s", c->dir, c->nlogs++,
           orca_test_redis_url(&c->srv, db));
  return c->url;
#else
  return orca_test_redis_url(&c->srv, db);
#endif
}

int main(void) {
  static ctx c;
  /* liborca is a static archive and the registry refers to backends weakly:
   * a strong reference pulls the Redis backend into this program. */
  if (!orca__redis_ops.open)
    return 1;
  if (orca_test_redis_start(&c.srv, false))
    return 1;
#ifdef CF_SPLIT
  snprintf(c.dir, sizeof c.dir, "/tmp/orca-conf-XXXXXX");
  if (!mkdtemp(c.dir)) {
    perror("mkdtemp");
    return 1;
  }
  int failed = orca_conformance_run("conformance/sqlite+redis", make_url, &c);
  for (int i = 0; i < c.nlogs; i++) {
    char p[128];
    static const char *const ext[] = {"", "-wal", "-shm"};
    for (size_t k = 0; k < 3; k++) {
      snprintf(p, sizeof p, "%s/log%d.db%s", c.dir, i, ext[k]);
      unlink(p);
    }
  }
  rmdir(c.dir);
#else
  int failed = orca_conformance_run("conformance/redis", make_url, &c);
  failed +=
      orca_conformance_run_store("conformance/redis-store", &orca__redis_store_ops, make_url, &c);
#endif
  orca_test_redis_stop(&c.srv);
  return failed ? 1 : 0;
}
