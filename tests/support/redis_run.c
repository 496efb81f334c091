/* redis_run.c — orca_test_redis_run: the private redis-server fixture
 * (redis_server.h) for tests that are not C, such as the Python bindings'
 * pytest suite.
 *
 * Starts a server on a free loopback port, prints its URL
 * ("redis://127.0.0.1:PORT/0") on one line, then waits until its standard
 * input reaches end of file (the test closed the pipe, or died) and stops
 * the server, removing its data. Exit status 0, or 1 when the server could
 * not be started (the reason is on stderr). */
#include <stdio.h>
#include <unistd.h>

#include "redis_server.h"

int main(void) {
  orca_test_redis r;
  if (orca_test_redis_start(&r, false) != 0)
    return 1;
  printf("%s\n", orca_test_redis_url(&r, 0));
  fflush(stdout);
  char buf[256];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  orca_test_redis_stop(&r);
  return 0;
}
