/* test_conformance_redis_cluster.c — the backend conformance suite against
 * the Redis backend on a private 6-node Redis Cluster
 * (redis+cluster://, 3 primaries and 3 replicas started for this run),
 * then the store cases on the cluster as a store (store=redis+cluster://).
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
  if (orca_test_cluster_flush(c)) {
    fprintf(stderr, "test_conformance_redis_cluster: FLUSHALL failed\n");
    abort();
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
  failed += orca_conformance_run_store("conformance/redis-cluster-store", &orca__redis_store_ops,
                                       make_url, &c);
  orca_test_cluster_stop(&c);
  return failed ? 1 : 0;
}
