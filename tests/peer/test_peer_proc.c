/* test_peer_proc.c — five member processes (peer_node) on loopback with a
 * cluster key file: they form a cluster, one is SIGKILLed, and the four
 * others must declare it dead; the time they took is measured (each
 * process stamps its lines with CLOCK_MONOTONIC, shared by processes) and
 * printed, not asserted tightly. Then one leaves on SIGTERM and the others
 * see it as left. The test reads the children's output with poll(): it
 * waits for their lines, never for a fixed time. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define NPROC 5

typedef struct proc {
  pid_t pid;
  int fd;
  char buf[16384];
  size_t len;
  char addr[64];
  bool left;
  char state[NPROC][16];    /* what it believes of member nK */
  long long changed[NPROC]; /* its CLOCK_MONOTONIC µs of that change */
} proc;

static proc procs[NPROC];
static char key_path[256];

static long long mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void line(proc *p, char *s) {
  char id[32], state[16];
  long long at;
  if (sscanf(s, "ready %63s", p->addr) == 1)
    return;
  if (strcmp(s, "left") == 0) {
    p->left = true;
    return;
  }
  if (sscanf(s, "member %31s %15s %lld", id, state, &at) == 3 && id[0] == 'n') {
    int k = atoi(id + 1);
    if (k >= 0 && k < NPROC) {
      snprintf(p->state[k], sizeof p->state[k], "%s", state);
      p->changed[k] = at;
    }
  }
}

/* Read whatever the children wrote within ms; returns false on timeout. */
static bool pump(int ms) {
  struct pollfd fds[NPROC];
  int n = 0;
  for (int i = 0; i < NPROC; i++) {
    if (procs[i].fd >= 0) {
      fds[n].fd = procs[i].fd;
      fds[n].events = POLLIN;
      n++;
    }
  }
  int rc = poll(fds, (nfds_t)n, ms);
  if (rc <= 0)
    return false;
  for (int i = 0; i < NPROC; i++) {
    proc *p = &procs[i];
    if (p->fd < 0)
      continue;
    ssize_t r = read(p->fd, p->buf + p->len, sizeof p->buf - 1 - p->len);
    if (r < 0 && errno == EAGAIN)
      continue;
    if (r <= 0) {
      close(p->fd);
      p->fd = -1;
      continue;
    }
    p->len += (size_t)r;
    p->buf[p->len] = '\0';
    char *start = p->buf, *nl;
    while ((nl = strchr(start, '\n'))) {
      *nl = '\0';
      line(p, start);
      start = nl + 1;
    }
    p->len -= (size_t)(start - p->buf);
    memmove(p->buf, start, p->len);
  }
  return true;
}

/* Pump until pred holds or ms pass. */
static bool wait_for(bool (*pred)(void *), void *ud, long long ms) {
  long long end = mono_us() + ms * 1000;
  while (!pred(ud)) {
    long long left = (end - mono_us()) / 1000;
    if (left <= 0)
      return false;
    pump((int)left);
  }
  return true;
}

static void spawn(int i, const char *seed) {
  int fds[2];
  /* Close-on-exec: later children must not inherit earlier ones' pipes. */
  assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* stdin may be closed in the test: keep fd 0 taken, or libuv's first
     * descriptor would land there. */
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0)
      _exit(126);
    if (fds[1] == 1)
      fcntl(1, F_SETFD, 0);
    else if (dup2(fds[1], 1) < 0)
      _exit(126);
    char id[8];
    snprintf(id, sizeof id, "n%d", i);
    execl(PEER_NODE_PATH, "peer_node", id, key_path, seed, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  memset(&procs[i], 0, sizeof procs[i]);
  procs[i].pid = pid;
  procs[i].fd = fds[0];
}

static bool ready(void *ud) {
  return procs[*(int *)ud].addr[0] != '\0';
}

static bool all_see(int of, const char *state) {
  for (int i = 0; i < NPROC; i++)
    if (i != of && procs[i].pid > 0 && strcmp(procs[i].state[of], state) != 0)
      return false;
  return true;
}

static bool converged(void *ud) {
  (void)ud;
  for (int k = 0; k < NPROC; k++)
    if (!all_see(k, "alive"))
      return false;
  return true;
}

static bool n4_dead(void *ud) {
  (void)ud;
  return all_see(4, "dead");
}

static bool n3_left(void *ud) {
  (void)ud;
  return procs[3].left && all_see(3, "left");
}

static void reap(int i) {
  int status;
  waitpid(procs[i].pid, &status, 0);
  procs[i].pid = 0;
  if (procs[i].fd >= 0)
    close(procs[i].fd);
  procs[i].fd = -1;
}

static void test_processes(void **state) {
  (void)state;
  snprintf(key_path, sizeof key_path, "%s/orca-peer-proc-%d.key",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
  FILE *f = fopen(key_path, "w");
  assert_non_null(f);
  fputs("a secret shared by the five test processes\n", f);
  fclose(f);

  int zero = 0;
  spawn(0, NULL);
  assert_true(wait_for(ready, &zero, 10000));
  for (int i = 1; i < NPROC; i++)
    spawn(i, procs[0].addr);
  assert_true(wait_for(converged, NULL, 20000));

  long long t0 = mono_us();
  kill(procs[4].pid, SIGKILL);
  reap(4);
  bool detected = wait_for(n4_dead, NULL, 60000);
  long long worst = 0;
  for (int i = 0; i < 4; i++)
    if (strcmp(procs[i].state[4], "dead") == 0 && procs[i].changed[4] - t0 > worst)
      worst = procs[i].changed[4] - t0;
  printf("# 5 processes on loopback: n4 SIGKILLed, declared dead by all 4 others after %.3f s\n",
         worst / 1e6);
  assert_true(detected);

  kill(procs[3].pid, SIGTERM);
  assert_true(wait_for(n3_left, NULL, 10000));
  reap(3);
  for (int i = 0; i < 3; i++)
    kill(procs[i].pid, SIGTERM);
  for (int i = 0; i < 3; i++)
    reap(i);
  unlink(key_path);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_processes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
