/* redis_server.c — see redis_server.h. Readiness uses redis-server's
 * `--supervised systemd` mode: the server sends "READY=1" to the datagram
 * socket named by NOTIFY_SOCKET once it accepts connections, and the test
 * waits for that datagram with poll() and a deadline. */
#define _GNU_SOURCE
#include "redis_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int orca_test_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int port = -1;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void orca_test_child_quiet(void) {
  for (int i = 3; i < 1024; i++)
    close(i);
  int devnull = open("/dev/null", O_WRONLY);
  if (devnull >= 0) {
    dup2(devnull, 1);
    dup2(devnull, 2);
  }
}

int orca_test_redis_spawn(orca_test_redis *r) {
  char sock[128];
  snprintf(sock, sizeof sock, "%s/notify.sock", r->dir);
  unlink(sock);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock) >= (int)sizeof sa.sun_path) {
    fprintf(stderr, "redis fixture: socket path too long: %s\n", sock);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    perror("redis fixture: notify socket");
    if (fd >= 0)
      close(fd);
    return -1;
  }
  char port[16];
  snprintf(port, sizeof port, "%d", r->port);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(fd);
    return -1;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(1);
    setenv("NOTIFY_SOCKET", sock, 1);
    orca_test_child_quiet();
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d",
             r->cluster_timeout_ms > 0 ? r->cluster_timeout_ms : 1000);
    if (r->cluster)
      execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", r->dir,
             "--save", "", "--appendonly", r->aof ? "yes" : "no", "--appendfsync", "everysec",
             "--supervised", "systemd", "--daemonize", "no", "--cluster-enabled", "yes",
             "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", timeout,
             (char *)NULL);
    else
      execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", r->dir,
             "--save", "", "--appendonly", r->aof ? "yes" : "no", "--appendfsync", "everysec",
             "--supervised", "systemd", "--daemonize", "no", (char *)NULL);
    _exit(127);
  }
  r->pid = pid;
  int64_t deadline = mono_ms() + 10000;
  int rc = -1;
  for (;;) {
    int64_t left = deadline - mono_ms();
    if (left <= 0)
      break;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)left) <= 0)
      break;
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
      continue;
    buf[n] = '\0';
    if (strstr(buf, "READY=1")) {
      rc = 0;
      break;
    }
  }
  close(fd);
  if (rc) {
    fprintf(stderr, "redis fixture: redis-server on port %d did not become ready\n", r->port);
    orca_test_redis_kill(r);
  }
  return rc;
}

int orca_test_redis_start(orca_test_redis *r, bool aof) {
  memset(r, 0, sizeof *r);
  r->aof = aof;
  snprintf(r->dir, sizeof r->dir, "/tmp/orca-redis-XXXXXX");
  if (!mkdtemp(r->dir)) {
    perror("redis fixture: mkdtemp");
    return -1;
  }
  r->port = orca_test_free_port();
  if (r->port <= 0)
    return -1;
  orca_test_redis_url(r, 0);
  return orca_test_redis_spawn(r);
}

void orca_test_redis_kill(orca_test_redis *r) {
  orca_test_redis_signal(r, SIGTERM);
}

void orca_test_redis_signal(orca_test_redis *r, int sig) {
  if (r->pid <= 0)
    return;
  kill(r->pid, sig);
  int st;
  while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR) {
  }
  r->pid = 0;
}

int orca_test_redis_restart(orca_test_redis *r) {
  orca_test_redis_kill(r);
  return orca_test_redis_spawn(r);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void orca_test_redis_stop(orca_test_redis *r) {
  orca_test_redis_kill(r);
  if (r->dir[0])
    nftw(r->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  r->dir[0] = '\0';
}

const char *orca_test_redis_url(orca_test_redis *r, int db) {
  snprintf(r->url, sizeof r->url, "redis://127.0.0.1:%d/%d", r->port, db);
  return r->url;
}
