/* test_conformance_redis_cluster.c — the backend conformance suite against
 * the Redis backend on a private 6-node Redis Cluster
 * (redis+cluster://, 3 primaries and 3 replicas started for this run).
 * Each case starts on empty primaries (FLUSHALL on each). */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "conformance.h"
#include "redis_cluster.h"

static const char *make_url(void *ud) {
  orca_test_cluster *c = ud;
  for (int i = 0; i < ORCA_TEST_CLUSTER_NODES; i++) {
    redisContext *rc = orca_test_cluster_connect(c, i);
    if (!rc) {
      fprintf(stderr, "test_conformance_redis_cluster: cannot reach node %d\n", i);
      abort();
    }
    redisReply *rep = redisCommand(rc, "ROLE");
    bool primary = rep && rep->type == REDIS_REPLY_ARRAY && !strcmp(rep->element[0]->str, "master");
    if (rep)
      freeReplyObject(rep);
    if (primary) {
      rep = redisCommand(rc, "FLUSHALL");
      if (rep)
        freeReplyObject(rep);
    }
    redisFree(rc);
  }
  return c->url;
}

int main(void) {
  static orca_test_cluster c;
  /* liborca is a static archive and the registry refers to backends weakly:
   * a strong reference pulls the Redis backend into this program. */
  if (!orca__redis_ops.open)
    return 1;
  if (orca_test_cluster_start(&c))
    return 1;
  int failed = orca_conformance_run("conformance/redis-cluster", make_url, &c);
  orca_test_cluster_stop(&c);
  return failed ? 1 : 0;
}
