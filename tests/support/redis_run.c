/* redis_run.c — orca_test_redis_run [--cluster]: the private redis-server
 * fixture (redis_server.h), or with --cluster the private 6-node Redis
 * Cluster (redis_cluster.h), for tests that are not C, such as the Python
 * bindings' pytest suite and the CLI's shell tests.
 *
 * Starts the server (or the cluster) on free loopback ports, prints its URL
 * ("redis://127.0.0.1:PORT/0", or "redis+cluster://127.0.0.1:P1,...") on
 * one line, then waits until its standard input reaches end of file (the
 * test closed the pipe, or died) and stops what it started, removing its
 * data. Exit status 0, 1 when it could not be started (the reason is on
 * stderr), 2 for an unknown argument. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "redis_cluster.h"
#include "redis_server.h"

/* Block until standard input reaches end of file. */
static void wait_for_eof(void) {
  char buf[256];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 2 || (argc == 2 && strcmp(argv[1], "--cluster") != 0)) {
    fprintf(stderr, "usage: orca_test_redis_run [--cluster]\n");
    return 2;
  }
  if (argc == 2) {
    static orca_test_cluster c;
    if (orca_test_cluster_start(&c) != 0)
      return 1;
    printf("%s\n", c.url);
    fflush(stdout);
    wait_for_eof();
    orca_test_cluster_stop(&c);
    return 0;
  }
  orca_test_redis r;
  if (orca_test_redis_start(&r, false) != 0)
    return 1;
  printf("%s\n", orca_test_redis_url(&r, 0));
  fflush(stdout);
  wait_for_eof();
  orca_test_redis_stop(&r);
  return 0;
}
