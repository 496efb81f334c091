/* redis_server.h — a private redis-server for tests: started on a free
 * loopback port in a temporary directory (AOF optional), ready when the
 * server says so (systemd-style READY=1 on a notify socket, so no polling),
 * restartable on the same port and data, stopped and cleaned up at the end.
 *
 * The server is a child of the test process and gets SIGTERM if the test
 * dies (PR_SET_PDEATHSIG), so a crashed test leaves no server behind. */
#ifndef ORCA_TEST_REDIS_SERVER_H
#define ORCA_TEST_REDIS_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct orca_test_redis {
  int port;
  pid_t pid; /* 0 while stopped */
  bool aof;  /* appendonly yes, appendfsync everysec */
  /* A Redis Cluster node (cluster-enabled, node timeout cluster_timeout_ms,
   * its bus on port + 10000): set by tests/support/redis_cluster.c. */
  bool cluster;
  int cluster_timeout_ms;
  char dir[64]; /* data directory (removed by stop) */
  char url[96]; /* "redis://127.0.0.1:PORT" + db, see orca_test_redis_url */
} orca_test_redis;

/* Start a server on a free port. Returns 0, or -1 with a message on stderr
 * (redis-server missing, did not become ready within 10 s). */
int orca_test_redis_start(orca_test_redis *r, bool aof);

/* Stop the server gracefully (SIGTERM: the AOF is flushed) and start it
 * again on the same port and directory. Returns 0 or -1. */
int orca_test_redis_restart(orca_test_redis *r);

/* Stop the server (SIGTERM, wait for it) without removing its data. */
void orca_test_redis_kill(orca_test_redis *r);

/* Start a server as set up in r (port, dir, aof, cluster) and wait for it to
 * be ready: what start and restart do after their set-up. Returns 0 or -1. */
int orca_test_redis_spawn(orca_test_redis *r);

/* Send sig to the server and reap it (SIGKILL: a crash, nothing flushed). */
void orca_test_redis_signal(orca_test_redis *r, int sig);

/* Stop the server and remove its directory. Safe to call twice. */
void orca_test_redis_stop(orca_test_redis *r);

/* "redis://127.0.0.1:PORT/DB" in r->url; returns r->url. */
const char *orca_test_redis_url(orca_test_redis *r, int db);

/* In a forked child about to exec a server or tool: close every
 * descriptor above stderr (a pipe end kept open by the child would hide an
 * EOF the test waits for) and send stdout and stderr to /dev/null. */
void orca_test_child_quiet(void);

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int orca_test_free_port(void);

#endif
