/* test_sqlite_process.c — the SQLite backend with real processes sharing one
 * database file (crash_helper): a consumer killed with SIGKILL holding a
 * batch, a producer killed mid-stream, and several producers and workers at
 * once; plus a fetch woken by a deferred task's eta on the real clock.
 * Waiting is always on the backend's own wake-ups (fetch wait_us,
 * state_wait), never on sleeps. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"

#ifndef CRASH_HELPER
#error "CRASH_HELPER must name the helper program"
#endif

#define SEC 1000000LL

/* Start the helper with args; its stdout is returned as a FILE*. */
static pid_t spawn(const char *const *args, FILE **out) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execv(CRASH_HELPER, (char *const *)args);
    _exit(127);
  }
  close(fds[1]);
  if (out)
    *out = fdopen(fds[0], "r");
  else
    close(fds[0]);
  return pid;
}

static void kill_and_reap(pid_t pid, int sig) {
  kill(pid, sig);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

static int exit_code(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A growable set of ids read from a helper. */
typedef struct idset {
  size_t n, cap;
  char (*id)[64];
} idset;

static void idset_add(idset *s, const char *id) {
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 256;
    s->id = realloc(s->id, s->cap * sizeof *s->id);
    assert_non_null(s->id);
  }
  snprintf(s->id[s->n++], sizeof s->id[0], "%s", id);
}

static int idset_has(const idset *s, const char *id) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->id[i], id) == 0)
      return 1;
  return 0;
}

/* Read one complete line (without the newline); 0 at EOF or on a line cut
 * short by the writer's death. */
static int read_line(FILE *in, char *buf, size_t cap) {
  if (!fgets(buf, (int)cap, in))
    return 0;
  size_t len = strlen(buf);
  if (len == 0 || buf[len - 1] != '\n')
    return 0;
  buf[len - 1] = '\0';
  return 1;
}

static void ack_all(orca__backend *b, orca__lease *const *slots, size_t n) {
  orca__completion c[128];
  assert_true(n <= 128);
  for (size_t i = 0; i < n; i++)
    c[i] = (orca__completion){.lease = slots[i],
                              .outcome = ORCA__ACK,
                              .state = ORCA_STATE_SUCCEEDED,
                              .worker = "survivor",
                              .attempt = 1,
                              .ttl_us = 3600 * SEC};
  assert_int_equal(b->ops->complete(b, c, n), 0);
}

static void consumer_killed(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  orca__backend *b = sq_open(s.url, NULL);
  enum { N = 100, TAKEN = 40 };
  char ids[N][16];
  orca__job jobs[N];
  orca__enqueue_result res[N];
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "c-%03d", i);
    jobs[i] = (orca__job){.id = ids[i],
                          .task = "t",
                          .queue = "crash",
                          .payload = (const uint8_t *)"x",
                          .payload_len = 1,
                          .state_ttl_us = 3600 * SEC};
  }
  assert_int_equal(b->ops->enqueue(b, jobs, N, res), 0);

  FILE *out;
  const char *args[] = {CRASH_HELPER, "consume", s.url, "40", "3000", NULL};
  pid_t pid = spawn(args, &out);
  idset taken = {0};
  char line[128];
  while (read_line(out, line, sizeof line) && strcmp(line, "READY") != 0)
    idset_add(&taken, line);
  kill_and_reap(pid, SIGKILL);
  fclose(out);
  assert_int_equal(taken.n, TAKEN);

  static orca__lease leases[128];
  orca__lease *slots[128];
  for (int i = 0; i < 128; i++)
    slots[i] = &leases[i];
  const char *qs[1] = {"crash"};
  /* What the dead consumer did not hold is ready at once, first delivery. */
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = "survivor", .lease_us = 60 * SEC, .wait_us = 0};
  size_t got = 0;
  assert_int_equal(b->ops->fetch(b, &req, slots, 128, &got), 0);
  assert_int_equal(got, N - TAKEN);
  for (size_t i = 0; i < got; i++) {
    assert_false(idset_has(&taken, leases[i].id));
    assert_int_equal(leases[i].deliveries, 1);
  }
  ack_all(b, slots, got);

  /* The rest comes back when the dead consumer's leases run out: the fetch
   * sleeps until the earliest lease expiry, no polling by the test. */
  req.wait_us = 60 * SEC;
  size_t back = 0;
  while (back < TAKEN) {
    assert_int_equal(b->ops->fetch(b, &req, slots, 128, &got), 0);
    assert_true(got > 0);
    for (size_t i = 0; i < got; i++) {
      assert_true(idset_has(&taken, leases[i].id));
      assert_int_equal(leases[i].deliveries, 2);
    }
    ack_all(b, slots, got);
    back += got;
  }
  assert_int_equal(back, TAKEN);
  orca_queue_stats st[2];
  size_t n = 0;
  assert_int_equal(b->ops->stats(b, st, 2, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(st[0].succeeded, N);
  assert_int_equal(st[0].pending + st[0].running + st[0].scheduled + st[0].dead, 0);

  for (int i = 0; i < 128; i++)
    orca_buf_free(&leases[i].payload);
  free(taken.id);
  orca__backend_close(b);
  sq_scratch_remove(&s);
}

static void producer_killed(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  orca__backend *b = sq_open(s.url, NULL); /* creates the schema */
  FILE *out;
  const char *args[] = {CRASH_HELPER, "produce", s.url, "50", "p", NULL};
  pid_t pid = spawn(args, &out);
  idset acked = {0};
  char line[128];
  while (acked.n < 1000 && read_line(out, line, sizeof line))
    idset_add(&acked, line);
  kill_and_reap(pid, SIGKILL);
  /* Lines already in the pipe were acknowledged before the kill too. */
  while (read_line(out, line, sizeof line))
    idset_add(&acked, line);
  fclose(out);
  assert_true(acked.n >= 1000);
  orca_task_info info;
  for (size_t i = 0; i < acked.n; i++) {
    memset(&info, 0, sizeof info);
    int rc = b->ops->state_get(b, acked.id[i], &info);
    if (rc)
      fail_msg("acknowledged %s is missing: %s", acked.id[i], orca_err_name(rc));
    assert_int_equal(info.state, ORCA_STATE_PENDING);
    orca_buf_free(&info.args);
    orca_buf_free(&info.result);
  }
  free(acked.id);
  orca__backend_close(b);
  sq_scratch_remove(&s);
}

static void many_processes(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  orca__backend *b = sq_open(s.url, NULL);
  enum { PER = 1500 };
  const char *w1[] = {CRASH_HELPER, "work", s.url, "w1", NULL};
  const char *w2[] = {CRASH_HELPER, "work", s.url, "w2", NULL};
  const char *pa[] = {CRASH_HELPER, "enqueue", s.url, "1500", "pa", NULL};
  const char *pb[] = {CRASH_HELPER, "enqueue", s.url, "1500", "pb", NULL};
  pid_t workers[2] = {spawn(w1, NULL), spawn(w2, NULL)};
  pid_t producers[2] = {spawn(pa, NULL), spawn(pb, NULL)};
  assert_int_equal(exit_code(producers[0]), 0);
  assert_int_equal(exit_code(producers[1]), 0);
  char id[64];
  orca_task_info info;
  for (int p = 0; p < 2; p++) {
    for (int i = 0; i < PER; i++) {
      snprintf(id, sizeof id, "%s-%d", p ? "pb" : "pa", i);
      memset(&info, 0, sizeof info);
      int rc = b->ops->state_wait(b, id, 60 * SEC, &info);
      if (rc)
        fail_msg("%s: %s", id, orca_err_name(rc));
      assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
      assert_int_equal(info.attempt, 1);
      orca_buf_free(&info.args);
      orca_buf_free(&info.result);
    }
  }
  kill_and_reap(workers[0], SIGTERM);
  kill_and_reap(workers[1], SIGTERM);
  orca_queue_stats st[2];
  size_t n = 0;
  assert_int_equal(b->ops->stats(b, st, 2, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(st[0].succeeded, 2 * PER); /* each exactly once: no lease ran out */
  orca__backend_close(b);
  sq_scratch_remove(&s);
}

/* A fetch blocked for an hour with only a deferred task in the database
 * must wake at its eta (the timer side of the wake-up); a broken timer would
 * hang until ctest's timeout fails the test. Real clock. */
static void deferred_wakes_fetch(void **state) {
  (void)state;
  sq_scratch s;
  sq_scratch_make(&s);
  orca__backend *b = sq_open(s.url, NULL);
  int64_t eta = orca_clock_now(NULL) + 100000; /* 100 ms */
  orca__job j = {.id = "later",
                 .task = "t",
                 .queue = "timed",
                 .eta_us = eta,
                 .payload = (const uint8_t *)"x",
                 .payload_len = 1};
  orca__enqueue_result r;
  assert_int_equal(b->ops->enqueue(b, &j, 1, &r), 0);
  assert_int_equal(r.status, 0);
  static orca__lease lease;
  orca__lease *slot = &lease;
  const char *qs[1] = {"timed"};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = "w", .lease_us = 60 * SEC, .wait_us = 3600 * SEC};
  size_t got = 0;
  assert_int_equal(b->ops->fetch(b, &req, &slot, 1, &got), 0);
  assert_int_equal(got, 1);
  assert_string_equal(lease.id, "later");
  assert_true(orca_clock_now(NULL) >= eta); /* not handed out early */
  orca_buf_free(&lease.payload);
  orca__backend_close(b);
  sq_scratch_remove(&s);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(consumer_killed),
      cmocka_unit_test(producer_killed),
      cmocka_unit_test(many_processes),
      cmocka_unit_test(deferred_wakes_fetch),
  };
  return cmocka_run_group_tests_name("sqlite/process", tests, NULL, NULL);
}
