/* test_redis_cluster.c — the Redis backend with real processes on a real
 * redis-server (AOF on): 2 producer and 3 consumer processes move N = 100 000
 * tasks; one consumer is SIGKILLed while it holds a batch, and redis-server
 * is restarted mid-run. Every task must be completed at least once, none
 * lost, and every result stored: afterwards each task's record is read back
 * through state_get and must say SUCCEEDED with exactly the result bytes the
 * consumer completed it with (derived from the task id, so a swapped or
 * missing result fails).
 *
 * Synchronisation is by events only: consumers report each completed task
 * (and "I hold a batch" for the victim) through pipes that the parent
 * polls with a deadline; the parent stops consumers by closing a pipe. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "orca/log.h"
#include "redis_server.h"

#define N 100000
#define PRODUCERS 2
#define CONSUMERS 3
#define LEASE_US 1500000
#define BATCH 128
#define VICTIM_MARK (-1)
#define CHECKERS 4 /* processes reading the stored results back */

static orca_test_redis srv;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The result a consumer stores for task t<k>: text derived from k alone, so
 * every completion of the same task (a re-delivery) stores the same bytes and
 * any other task's bytes differ. Writes at most 48 bytes; returns the length. */
static size_t result_of(int k, char out[48]) {
  return (size_t)snprintf(out, 48, "result-of-t%d/%08x", k, (unsigned)k * 2654435761u);
}

static orca__backend *open_or_die(void) {
  orca__backend *b = NULL;
  orca_err err = {0};
  orca__backend_opts o = {.op_timeout_us = 10000000};
  if (orca__backend_open(srv.url, &o, &b, &err)) {
    fprintf(stderr, "child: open: %s\n", err.msg);
    _exit(2);
  }
  return b;
}

/* Producer p enqueues ids t<k> for k = p, p+PRODUCERS, …; a failed batch
 * (Redis restarting) is sent again, and EDUPLICATE of its own id counts as
 * stored. */
static void producer(int p) {
  orca__backend *b = open_or_die();
  static char ids[BATCH][32];
  orca__job jobs[BATCH];
  orca__enqueue_result res[BATCH];
  const char *payload = "0123456789012345678901234567890123456789012345678901234567890123";
  int k = p;
  while (k < N) {
    size_t n = 0;
    for (int j = k; j < N && n < BATCH; j += PRODUCERS, n++) {
      snprintf(ids[n], sizeof ids[n], "t%d", j);
      jobs[n] = (orca__job){.id = ids[n],
                            .task = "test.noop",
                            .queue = "work",
                            .payload = (const uint8_t *)payload,
                            .payload_len = 64};
    }
    int rc = b->ops->enqueue(b, jobs, n, res);
    if (rc)
      continue; /* redis away: resend the same batch */
    for (size_t i = 0; i < n; i++)
      if (res[i].status &&
          !(res[i].status == ORCA_EDUPLICATE && strcmp(res[i].existing_id, ids[i]) == 0)) {
        fprintf(stderr, "producer: %s: %s\n", ids[i], orca_strerror(res[i].status));
        _exit(3);
      }
    k += (int)n * PRODUCERS;
  }
  orca__backend_close(b);
  _exit(0);
}

static void write_all(int fd, const void *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      _exit(4);
    p = (const char *)p + w;
    n -= (size_t)w;
  }
}

static void consumer(int c, int report, int stop) {
  orca__backend *b = open_or_die();
  static orca__lease pool[BATCH];
  orca__lease *slots[BATCH];
  orca__completion done[BATCH];
  int32_t idx[BATCH];
  static char results[BATCH][48];
  for (int i = 0; i < BATCH; i++)
    slots[i] = &pool[i];
  char worker[32];
  snprintf(worker, sizeof worker, "consumer-%d", c);
  const char *qs[1] = {"work"};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = worker, .lease_us = LEASE_US, .wait_us = 100000};
  int batches = 0;
  for (;;) {
    struct pollfd pf = {.fd = stop, .events = POLLIN};
    if (poll(&pf, 1, 0) > 0)
      break; /* the parent closed the stop pipe */
    size_t got = 0;
    if (b->ops->fetch(b, &req, slots, BATCH, &got) || got == 0)
      continue;
    if (c == 0 && ++batches == 3) {
      int32_t mark = VICTIM_MARK;
      write_all(report, &mark, sizeof mark);
      pause(); /* hold the batch until SIGKILL */
    }
    for (size_t i = 0; i < got; i++) {
      idx[i] = atoi(slots[i]->id + 1);
      size_t rlen = result_of(idx[i], results[i]);
      done[i] = (orca__completion){.lease = slots[i],
                                   .outcome = ORCA__ACK,
                                   .state = ORCA_STATE_SUCCEEDED,
                                   .worker = worker,
                                   .attempt = 1,
                                   .result = (const uint8_t *)results[i],
                                   .result_len = rlen,
                                   .ttl_us = 3600000000LL};
    }
    while (b->ops->complete(b, done, got)) {
      /* redis away: the completion is resent (skipped if already applied) */
    }
    write_all(report, idx, got * sizeof idx[0]);
  }
  orca__backend_close(b);
  for (int i = 0; i < BATCH; i++)
    orca_buf_free(&pool[i].payload);
  _exit(0);
}

/* Read back through the backend's state_get the record of every task t<k>
 * with k = first, first + step, …: each must be SUCCEEDED with the result
 * bytes result_of() gave its consumer. Returns how many are not (the first
 * few are described on stderr); N if the backend cannot be opened. */
static int check_stored(int first, int step) {
  orca__backend *b = NULL;
  orca_err err = {0};
  orca__backend_opts o = {.op_timeout_us = 10000000};
  if (orca__backend_open(srv.url, &o, &b, &err)) {
    fprintf(stderr, "check: open: %s\n", err.msg);
    return N;
  }
  orca_task_info info = {0};
  int bad = 0;
  for (int k = first; k < N; k += step) {
    char id[32], want[48];
    snprintf(id, sizeof id, "t%d", k);
    size_t wlen = result_of(k, want);
    orca_buf_reset(&info.result);
    orca_buf_reset(&info.args);
    int rc = b->ops->state_get(b, id, &info);
    if (rc == 0 && info.state == ORCA_STATE_SUCCEEDED && info.result.len == wlen &&
        memcmp(info.result.data, want, wlen) == 0)
      continue;
    if (bad++ < 5)
      fprintf(stderr, "check: %s: rc %s, state %s, result \"%.*s\"\n", id,
              rc ? orca_strerror(rc) : "0", orca_state_name(info.state),
              (int)(info.result.len < 48 ? info.result.len : 48),
              info.result.data ? (const char *)info.result.data : "");
  }
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  orca__backend_close(b);
  return bad;
}

/* check_stored over all N tasks, split among CHECKERS child processes (one
 * round trip per state_get is what costs, so they run side by side). Each
 * child writes its count of bad records to a pipe. Returns the total. */
static int check_all_stored(void) {
  int fds[CHECKERS][2];
  pid_t pids[CHECKERS];
  for (int c = 0; c < CHECKERS; c++) {
    assert_int_equal(pipe2(fds[c], O_CLOEXEC), 0);
    pids[c] = fork();
    assert_true(pids[c] >= 0);
    if (pids[c] == 0) {
      close(fds[c][0]);
      int bad = check_stored(c, CHECKERS);
      write_all(fds[c][1], &bad, sizeof bad);
      _exit(0);
    }
    close(fds[c][1]);
  }
  int total = 0;
  for (int c = 0; c < CHECKERS; c++) {
    int bad = N;
    ssize_t r;
    do
      r = read(fds[c][0], &bad, sizeof bad);
    while (r < 0 && errno == EINTR);
    total += r == (ssize_t)sizeof bad ? bad : N;
    close(fds[c][0]);
    int st;
    waitpid(pids[c], &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  return total;
}

static void many_processes(void **state) {
  (void)state;
  static unsigned char seen[N];
  memset(seen, 0, sizeof seen);
  int stop[2];
  assert_int_equal(pipe2(stop, O_CLOEXEC), 0);
  int rep[CONSUMERS][2];
  pid_t cons[CONSUMERS], prods[PRODUCERS];
  for (int c = 0; c < CONSUMERS; c++) {
    assert_int_equal(pipe2(rep[c], O_CLOEXEC), 0);
    cons[c] = fork();
    assert_true(cons[c] >= 0);
    if (cons[c] == 0) {
      close(stop[1]);
      close(rep[c][0]);
      consumer(c, rep[c][1], stop[0]);
    }
    close(rep[c][1]);
    fcntl(rep[c][0], F_SETFL, O_NONBLOCK);
  }
  for (int p = 0; p < PRODUCERS; p++) {
    prods[p] = fork();
    assert_true(prods[p] >= 0);
    if (prods[p] == 0)
      producer(p);
  }
  int distinct = 0, total = 0;
  bool killed = false, restarted = false;
  int open_pipes = CONSUMERS;
  bool live[CONSUMERS] = {true, true, true};
  int64_t started = mono_ms(), deadline = started + 90000;
  while (distinct < N && open_pipes > 0 && mono_ms() < deadline) {
    struct pollfd pf[CONSUMERS];
    for (int c = 0; c < CONSUMERS; c++)
      pf[c] = (struct pollfd){.fd = live[c] ? rep[c][0] : -1, .events = POLLIN};
    if (poll(pf, CONSUMERS, 1000) <= 0)
      continue;
    for (int c = 0; c < CONSUMERS; c++) {
      if (!(pf[c].revents & (POLLIN | POLLHUP)))
        continue;
      int32_t buf[1024];
      ssize_t n = read(rep[c][0], buf, sizeof buf);
      if (n == 0) {
        live[c] = false;
        open_pipes--;
        continue;
      }
      for (ssize_t i = 0; i < n / 4; i++) {
        if (buf[i] == VICTIM_MARK) {
          kill(cons[c], SIGKILL);
          killed = true;
          continue;
        }
        assert_true(buf[i] >= 0 && buf[i] < N);
        total++;
        if (!seen[buf[i]]++)
          distinct++;
      }
    }
    if (!restarted && distinct >= N / 3) {
      assert_int_equal(orca_test_redis_restart(&srv), 0);
      restarted = true;
    }
  }
  close(stop[1]); /* consumers stop */
  if (!killed)
    kill(cons[0], SIGKILL);
  for (int c = 0; c < CONSUMERS; c++) {
    int st;
    waitpid(cons[c], &st, 0);
    close(rep[c][0]);
    if (c != 0)
      assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  for (int p = 0; p < PRODUCERS; p++) {
    int st;
    waitpid(prods[p], &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  close(stop[0]);
  fprintf(stderr,
          "tasks %d, completed %d distinct, %d completions, victim killed %d, "
          "redis restarted %d, in %lld ms\n",
          N, distinct, total, killed, restarted, (long long)(mono_ms() - started));
  assert_true(killed);
  assert_true(restarted);
  assert_int_equal(distinct, N);
  int64_t t0 = mono_ms();
  int bad = check_all_stored();
  fprintf(stderr, "checked %d stored results in %lld ms: %d wrong or missing\n", N,
          (long long)(mono_ms() - t0), bad);
  assert_int_equal(bad, 0);
}

/* Entries written by hand without our fields are dead-lettered with a
 * reason; the worker gets only the real task. */
static int count_dlq(void *ud, const orca_task_info *i) {
  int *n = ud;
  assert_int_equal(i->state, ORCA_STATE_DEAD);
  assert_non_null(strstr(i->error, "malformed stream entry"));
  (*n)++;
  return 0;
}

static void garbage_entries(void **state) {
  (void)state;
  orca__backend *b = NULL;
  orca_err err = {0};
  assert_int_equal(orca__backend_open(orca_test_redis_url(&srv, 3), NULL, &b, &err), 0);
  orca__job j = {
      .id = "real-1", .task = "t", .queue = "g", .payload = (const uint8_t *)"x", .payload_len = 1};
  orca__enqueue_result r;
  assert_int_equal(b->ops->enqueue(b, &j, 1, &r), 0);
  char cmd[256];
  snprintf(cmd, sizeof cmd,
           "redis-cli -p %d -n 3 XADD 'orca:{g}:p:0' '*' foo bar >/dev/null && "
           "redis-cli -p %d -n 3 XADD 'orca:{g}:p:0' '*' i only-id >/dev/null",
           srv.port, srv.port);
  assert_int_equal(system(cmd), 0);
  j.id = "real-2";
  assert_int_equal(b->ops->enqueue(b, &j, 1, &r), 0);
  orca__lease pool[8] = {0};
  orca__lease *slots[8];
  for (int i = 0; i < 8; i++)
    slots[i] = &pool[i];
  const char *qs[1] = {"g"};
  orca__fetch_req req = {.queues = qs, .nqueues = 1, .worker = "w", .lease_us = 30000000};
  size_t got = 0;
  assert_int_equal(b->ops->fetch(b, &req, slots, 8, &got), 0);
  assert_int_equal(got, 2);
  assert_string_equal(pool[0].id, "real-1");
  assert_string_equal(pool[1].id, "real-2");
  int n = 0;
  assert_int_equal(b->ops->dlq_list(b, "g", 0, 10, count_dlq, &n), 0);
  assert_int_equal(n, 2);
  for (int i = 0; i < 8; i++)
    orca_buf_free(&pool[i].payload);
  orca__backend_close(b);
}

static void bad_url_and_unreachable(void **state) {
  (void)state;
  orca__backend *b = NULL;
  orca_err err = {0};
  assert_int_equal(orca__backend_open("redis://localhost", NULL, &b, &err), ORCA_EURL);
  assert_non_null(strstr(err.msg, "PORT"));
  assert_int_equal(orca__backend_open("redis://h:99999", NULL, &b, &err), ORCA_EURL);
  assert_non_null(strstr(err.msg, "port"));
  assert_int_equal(orca__backend_open("redis://h:1/x", NULL, &b, &err), ORCA_EURL);
  assert_non_null(strstr(err.msg, "database"));
  assert_int_equal(orca__backend_open("redis://pw@h:1", NULL, &b, &err), ORCA_EURL);
  int port = orca_test_free_port();
  char url[64], where[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
  snprintf(where, sizeof where, "127.0.0.1:%d", port);
  orca__backend_opts o = {.op_timeout_us = 500000};
  assert_int_equal(orca__backend_open(url, &o, &b, &err), ORCA_ECONNECT);
  assert_non_null(strstr(err.msg, where));
  assert_null(b);
}

/* A server that stops answering (SIGSTOP) is detected by the round-trip
 * timeout: the call returns ORCA_ECONNECT instead of hanging, and the same
 * handle works again once the server answers. */
static void hung_server_times_out(void **state) {
  (void)state;
  orca__backend *b = NULL;
  orca_err err = {0};
  orca__backend_opts o = {.op_timeout_us = 300000};
  assert_int_equal(orca__backend_open(orca_test_redis_url(&srv, 4), &o, &b, &err), 0);
  orca__job j = {
      .id = "h1", .task = "t", .queue = "h", .payload = (const uint8_t *)"x", .payload_len = 1};
  orca__enqueue_result r;
  assert_int_equal(kill(srv.pid, SIGSTOP), 0);
  int rc = b->ops->enqueue(b, &j, 1, &r);
  assert_int_equal(kill(srv.pid, SIGCONT), 0);
  assert_int_equal(rc, ORCA_ECONNECT);
  j.id = "h2";
  assert_int_equal(b->ops->enqueue(b, &j, 1, &r), 0);
  assert_int_equal(r.status, 0);
  orca__backend_close(b);
}

int main(void) {
  if (!orca__redis_ops.open)
    return 1;
  orca_log_set(NULL, NULL, ORCA_LOG_ERROR);
  if (orca_test_redis_start(&srv, true))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bad_url_and_unreachable),
      cmocka_unit_test(garbage_entries),
      cmocka_unit_test(hung_server_times_out),
      cmocka_unit_test(many_processes),
  };
  int failed = cmocka_run_group_tests_name("redis/cluster", tests, NULL, NULL);
  orca_test_redis_stop(&srv);
  return failed ? 1 : 0;
}
