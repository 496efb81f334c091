/* test_conformance_redis.c — the backend conformance suite against the Redis
 * Streams backend, on a private redis-server started for this run. Each case
 * gets the next database number (0..15), flushed first. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/backend.h"
#include "conformance.h"
#include "redis_server.h"

typedef struct ctx {
  orca_test_redis srv;
  int next_db;
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
  return orca_test_redis_url(&c->srv, db);
}

int main(void) {
  static ctx c;
  /* liborca is a static archive and the registry refers to backends weakly:
   * a strong reference pulls the Redis backend into this program. */
  if (!orca__redis_ops.open)
    return 1;
  if (orca_test_redis_start(&c.srv, false))
    return 1;
  int failed = orca_conformance_run("conformance/redis", make_url, &c);
  orca_test_redis_stop(&c.srv);
  return failed ? 1 : 0;
}
