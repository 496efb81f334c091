/* bench_failover.c — how long a task of a worker killed with SIGKILL waits
 * before it runs on another worker, with real worker processes on any
 * backend and the public runtime API (handlers registered through the code
 * orcac generated from failover.orca): with the peer network (--peer 1),
 * the other worker declares the killed one dead and releases its lease;
 * without it, the lease has to run out.
 *
 * One round: two worker processes (same queue, same lease) connect and go
 * idle (with the peer network: and each has seen the other alive); the
 * parent enqueues one failover.hold task; the worker that starts
 * it (A) reports its start through a pipe and holds the task (its handler
 * blocks on a pipe only the parent can release, i.e. it works far longer
 * than the lease); the parent SIGKILLs A at once. The other worker (B) was
 * running and idle before the kill; when A's lease runs out (or the peer
 * network released it) it takes the task over, and its handler reports its start time
 * (CLOCK_MONOTONIC, shared by all processes on the machine). The parent then lets B finish, checks
 * the result through the client and stops B with SIGTERM. Nothing here waits by sleeping: the
 * parent blocks on the pipe (poll with a generous timeout as a guard against a hang) and waitpid.
 *
 * Usage: bench_failover --url URL [--lease DUR] [--rounds N] [--peer 0|1]
 *   --lease  the workers' lease (orca_worker_opts.lease_us); default: the
 *            worker default (0 = 15 s). A shorter one is for quick checks.
 *   --rounds scenarios to run one after another (default 1); each uses a
 *            queue of its own.
 *   --peer   run the workers' peer network (orca_worker_opts.run_peer;
 *            default 0)
 * Prints one line per round and `RESULT failover_s <max over rounds>`,
 * `RESULT failover_median_s <median>`, `RESULT failover_lease_s <lease>`.
 * Exit 0, or 1 when a round fails (the task did not move to the other
 * worker, or a worker misbehaved). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "failover.orca.h"

#define DEFAULT_LEASE_US (15LL * 1000000) /* what lease_us = 0 means (orca/worker.h) */

static const char *url;
static int64_t lease_us; /* 0 = the worker default */
static long rounds = 1;
static long peer; /* 1: the workers run the peer network */

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the worker processes ---------------------------------------------- */

/* What a worker process's handler needs (orca_ctx_user). */
typedef struct child_io {
  int report; /* write end of the shared report pipe */
  int hold;   /* read end of this worker's release pipe */
} child_io;

/* Write all of line to fd (lines are shorter than PIPE_BUF, so the two
 * workers' lines never interleave). Exits the process when the parent is gone. */
static void put_line(int fd, const char *line) {
  size_t len = strlen(line);
  if (write(fd, line, len) != (ssize_t)len)
    _exit(3);
}

/* failover.hold: report "start PID ATTEMPT T_NS", then hold the task until
 * the parent writes a byte to the release pipe (or is gone). */
static int hold(orca_ctx *ctx, const failover_hold_args *args, int64_t *result) {
  int64_t t = mono_ns();
  const child_io *io = orca_ctx_user(ctx);
  char line[96];
  snprintf(line, sizeof line, "start %ld %u %" PRId64 "\n", (long)getpid(), orca_ctx_attempt(ctx),
           t);
  put_line(io->report, line);
  char b;
  ssize_t k;
  while ((k = read(io->hold, &b, 1)) < 0 && errno == EINTR)
    ;
  if (k != 1)
    return orca_ctx_fail(ctx, "release pipe closed");
  *result = args->round;
  return 0;
}

static const failover_handlers handlers = {.hold = hold};

/* A worker process's log: "joined PID" on the report pipe when its peer
 * network sees the other worker alive; warnings and errors to stderr. */
static void on_log(void *ud, orca_log_level level, const char *msg) {
  const child_io *io = ud;
  if (strstr(msg, ": peer ") && strstr(msg, " is alive")) {
    char line[48];
    snprintf(line, sizeof line, "joined %ld\n", (long)getpid());
    put_line(io->report, line);
  } else if (level >= ORCA_LOG_WARN && !strstr(msg, " is dead") && !strstr(msg, " is suspect")) {
    fprintf(stderr, "bench_failover: worker %ld: %s\n", (long)getpid(), msg);
  }
}

/* Body of a worker process: connect, report "ready PID", run until SIGTERM.
 * Never returns. */
static void worker_main(const char *queue, int report, int hold_fd) {
  child_io io = {report, hold_fd};
  orca_log_set(on_log, &io, ORCA_LOG_INFO);
  orca_worker_opts o = {.backend = url,
                        .queues = queue,
                        .concurrency = 1,
                        .prefetch = 1,
                        .lease_us = lease_us,
                        .install_signals = true,
                        .run_peer = peer != 0,
                        .user = &io};
  orca_worker *w = NULL;
  orca_err err = {0};
  if (orca_worker_open(&o, &w, &err)) {
    fprintf(stderr, "bench_failover: worker: %s\n", err.msg);
    _exit(2);
  }
  if (failover_register(w, &handlers, &err)) {
    fprintf(stderr, "bench_failover: register: %s\n", err.msg);
    _exit(2);
  }
  char line[48];
  snprintf(line, sizeof line, "ready %ld\n", (long)getpid());
  put_line(report, line);
  int rc = orca_worker_run(w, &err);
  orca_worker_close(w);
  _exit(rc ? 1 : 0);
}

/* ---- the parent --------------------------------------------------------- */

/* Lines from the report pipe. */
typedef struct reader {
  int fd;
  char buf[1024];
  size_t len;
} reader;

/* Read the next line (without its newline) into out, waiting at most
 * timeout_ms. Returns true, or false on timeout, EOF or error. */
static bool next_line(reader *r, char *out, size_t cap, int timeout_ms) {
  int64_t end = mono_ns() + (int64_t)timeout_ms * 1000000;
  for (;;) {
    char *nl = memchr(r->buf, '\n', r->len);
    if (nl) {
      size_t n = (size_t)(nl - r->buf);
      snprintf(out, cap, "%.*s", (int)n, r->buf);
      r->len -= n + 1;
      memmove(r->buf, nl + 1, r->len);
      return true;
    }
    int64_t left = (end - mono_ns()) / 1000000;
    if (left <= 0 || r->len == sizeof r->buf)
      return false;
    struct pollfd p = {.fd = r->fd, .events = POLLIN};
    int pr = poll(&p, 1, (int)left);
    if (pr < 0 && errno == EINTR)
      continue;
    if (pr <= 0)
      return false;
    ssize_t k = read(r->fd, r->buf + r->len, sizeof r->buf - r->len);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return false;
    r->len += (size_t)k;
  }
}

/* Parse "start PID ATTEMPT T_NS". */
static bool parse_start(const char *line, long *pid, unsigned *attempt, int64_t *t) {
  long long tt = 0;
  if (sscanf(line, "start %ld %u %lld", pid, attempt, &tt) != 3)
    return false;
  *t = (int64_t)tt;
  return true;
}

/* Stop pid (SIGTERM, or SIGKILL when kill_it) and reap it; returns its status. */
static int reap(pid_t pid, bool kill_it) {
  int status = 0;
  kill(pid, kill_it ? SIGKILL : SIGTERM);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

/* One scenario; writes the failover time to *out_s. Returns 0 or -1 with a
 * message on stderr. All processes it starts are reaped before it returns. */
static int run_round(long round, double *out_s) {
  int64_t eff_lease = lease_us ? lease_us : DEFAULT_LEASE_US;
  int guard_ms = (int)(3 * eff_lease / 1000 + 30000); /* hang guard only */
  char queue[64];
  snprintf(queue, sizeof queue, "failover-%ld-%ld-%" PRId64, (long)getpid(), round, mono_ns());

  int rep[2], hold[2][2];
  if (pipe(rep) || pipe(hold[0]) || pipe(hold[1])) {
    perror("bench_failover: pipe");
    return -1;
  }
  fflush(NULL);
  pid_t pids[2];
  for (int i = 0; i < 2; i++) {
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("bench_failover: fork");
      if (i == 1)
        reap(pids[0], true);
      return -1;
    }
    if (pids[i] == 0) {
      close(rep[0]);
      close(hold[i][1]);
      close(hold[1 - i][0]);
      close(hold[1 - i][1]);
      worker_main(queue, rep[1], hold[i][0]);
    }
  }
  close(rep[1]);
  close(hold[0][0]);
  close(hold[1][0]);
  reader rd = {.fd = rep[0]};
  char line[128];
  int rc = -1, st = 0;
  orca_client *c = NULL;
  bool alive[2] = {true, true};
  orca_err err = {0};
  char id[ORCA_ID_MAX];
  long pid_a = 0, pid_b = 0;
  unsigned att_a = 0, att_b = 0;
  int64_t t_a = 0, t_b = 0;

  /* Both workers connected (their run loops start right after). */
  for (int k = 0; k < 2; k++)
    if (!next_line(&rd, line, sizeof line, 30000) || strncmp(line, "ready ", 6) != 0) {
      fprintf(stderr, "bench_failover: a worker did not start\n");
      goto out;
    }
  /* With the peer network: both have seen the other (so both know whom to
   * watch). */
  for (int k = 0; peer && k < 2; k++)
    if (!next_line(&rd, line, sizeof line, 30000) || strncmp(line, "joined ", 7) != 0) {
      fprintf(stderr, "bench_failover: the workers did not meet on the peer network\n");
      goto out;
    }

  orca_client_opts co = {.backend = url};
  if (orca_client_open(&co, &c, &err)) {
    fprintf(stderr, "bench_failover: client: %s\n", err.msg);
    goto out;
  }
  failover_hold_args args = {.round = round};
  orca_enqueue_opts eo = {.queue = queue};
  if (failover_hold_enqueue(c, &args, &eo, id, &err)) {
    fprintf(stderr, "bench_failover: enqueue: %s\n", err.msg);
    goto out;
  }

  /* A starts the task; kill it right away. */
  if (!next_line(&rd, line, sizeof line, guard_ms) || !parse_start(line, &pid_a, &att_a, &t_a)) {
    fprintf(stderr, "bench_failover: no worker started the task\n");
    goto out;
  }
  int a = pid_a == (long)pids[0] ? 0 : pid_a == (long)pids[1] ? 1 : -1;
  if (a < 0) {
    fprintf(stderr, "bench_failover: start from unknown pid %ld\n", pid_a);
    goto out;
  }
  int64_t t_kill = mono_ns();
  st = reap(pids[a], true);
  alive[a] = false;
  if (!WIFSIGNALED(st)) {
    fprintf(stderr, "bench_failover: worker A exited before the kill\n");
    goto out;
  }

  /* B reclaims it once A's lease runs out. */
  if (!next_line(&rd, line, sizeof line, guard_ms) || !parse_start(line, &pid_b, &att_b, &t_b)) {
    fprintf(stderr, "bench_failover: the task did not start on the other worker within %d s\n",
            guard_ms / 1000);
    goto out;
  }
  if (pid_b != (long)pids[1 - a]) {
    fprintf(stderr, "bench_failover: second start from pid %ld, not worker B\n", pid_b);
    goto out;
  }
  *out_s = (double)(t_b - t_kill) / 1e9;
  printf("# round %ld: A (pid %ld) started attempt %u, killed %.3f ms later; B (pid %ld) "
         "started attempt %u %.3f s after the kill (%.3f s after A's start), lease %.3f s\n",
         round, pid_a, att_a, (double)(t_kill - t_a) / 1e6, pid_b, att_b, *out_s,
         (double)(t_b - t_a) / 1e9, (double)eff_lease / 1e6);
  fflush(stdout);

  /* Let B finish and check the result reached the client. */
  if (write(hold[1 - a][1], "x", 1) != 1) {
    perror("bench_failover: release");
    goto out;
  }
  int64_t res = -1;
  int wr = failover_hold_result(c, id, 30 * 1000000LL, &res, NULL, &err);
  if (wr || res != round) {
    fprintf(stderr, "bench_failover: result after failover: rc %d, %s\n", wr, err.msg);
    goto out;
  }
  rc = 0;
out:
  if (c)
    orca_client_close(c);
  close(hold[0][1]);
  close(hold[1][1]);
  for (int i = 0; i < 2; i++)
    if (alive[i]) {
      st = reap(pids[i], rc != 0);
      if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        fprintf(stderr, "bench_failover: worker B did not stop cleanly (status %d)\n", st);
        rc = -1;
      }
    }
  close(rep[0]);
  return rc;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void usage(void) {
  fprintf(stderr, "usage: bench_failover --url URL [--lease DUR] [--rounds N] [--peer 0|1]\n");
  exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (i + 1 >= argc)
      usage();
    if (!strcmp(argv[i], "--url"))
      url = argv[++i];
    else if (!strcmp(argv[i], "--lease")) {
      if (orca_duration_parse(argv[++i], &lease_us) || lease_us <= 0)
        usage();
    } else if (!strcmp(argv[i], "--rounds"))
      rounds = atol(argv[++i]);
    else if (!strcmp(argv[i], "--peer"))
      peer = atol(argv[++i]);
    else
      usage();
  }
  if (!url || rounds < 1)
    usage();
  signal(SIGPIPE, SIG_IGN);
  double worst = 0, all[100];
  if (rounds > 100)
    usage();
  for (long r = 1; r <= rounds; r++) {
    double s = 0;
    if (run_round(r, &s))
      return 1;
    if (s > worst)
      worst = s;
    all[r - 1] = s;
  }
  qsort(all, (size_t)rounds, sizeof all[0], by_value);
  int64_t eff_lease = lease_us ? lease_us : DEFAULT_LEASE_US;
  printf("RESULT failover_s %.3f\n", worst);
  printf("RESULT failover_median_s %.3f\n", all[(rounds - 1) / 2]);
  printf("RESULT failover_lease_s %g\n", (double)eff_lease / 1e6);
  return 0;
}
