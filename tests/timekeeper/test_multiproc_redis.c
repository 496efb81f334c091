/* test_multiproc_redis.c — three processes run the TimeKeeper on one Redis
 * with the same schedule; each fire must become exactly one task.
 *
 * The scenario, scaled: a schedule fires every PERIOD (100 ms by
 * default; ORCA_TK_MP_PERIOD_MS=1000 gives the one second, 30 fires
 * = 30 s). After 8 fires one process is SIGKILLed: fires continue. After 15,
 * another is SIGSTOPped for 4 periods (past its turn) and resumed: nothing is
 * doubled. The parent drains the queue with blocking fetches (no polling)
 * until 30 fires, then stops the children. Checks:
 *   - the ids received are SCHEDULE@F for consecutive fire times, no gap,
 *     none twice;
 *   - the fires the engines report having made (through a pipe, after each
 *     successful compare-and-set) add up to the tasks received (a double
 *     fire would count twice and be deduplicated by id, so reported would
 *     exceed received), allowing one lost report for the SIGKILLed child
 *     dying between its fire and its report. The others end with SIGTERM,
 *     which lets a cycle in flight finish and report. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "redis_server.h"
#include "timekeeper/timekeeper.h"

const orca__backend_ops *const force_redis = &orca__redis_ops; /* see test_engine.c */

#define NPROC 3
#define FIRES 30

static int report_fd = -1;

static void on_cycle(void *ud, int fired) {
  (void)ud;
  if (fired > 0 && write(report_fd, &fired, sizeof fired) != sizeof fired)
    _exit(3);
}

static const orca_task_desc task = {.name = "mp.tick", .queue = "mp"};
static const uint8_t args[] = {0x80};

static orca__timekeeper *child_tk;

/* SIGTERM: close the engine (a cycle in flight finishes and reports), so the
 * loop ends and the child exits cleanly. */
static void on_term(uv_signal_t *s, int sig) {
  (void)sig;
  orca__timekeeper_close(child_tk);
  uv_close((uv_handle_t *)s, NULL);
}

/* A child: one engine on its own loop until SIGTERM (or SIGKILL). */
static void child(const char *url, int idx, int64_t period_us) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  uv_loop_t loop;
  uv_loop_init(&loop);
  char node[32];
  snprintf(node, sizeof node, "node-%d", idx);
  orca__timekeeper *tk;
  orca_err err = {0};
  if (orca__timekeeper_open(&loop, url, NULL, node, &tk, &err)) {
    fprintf(stderr, "child %d: %s\n", idx, err.msg);
    _exit(2);
  }
  orca__timekeeper_opts o = {.on_cycle = on_cycle, .refresh_us = 200000};
  orca__timekeeper_set_opts(tk, &o);
  orca_schedule_desc d = {.name = "mp.sched",
                          .task = &task,
                          .kind = ORCA_SCHEDULE_EVERY,
                          .every_us = period_us,
                          .catchup = ORCA_CATCHUP_ALL,
                          .catchup_max = 1000,
                          .args = args,
                          .args_len = sizeof args};
  if (orca__timekeeper_add(tk, &d, &err) || orca__timekeeper_start(tk))
    _exit(2);
  child_tk = tk;
  uv_signal_t term;
  uv_signal_init(&loop, &term);
  uv_signal_start(&term, on_term, SIGTERM);
  uv_run(&loop, UV_RUN_DEFAULT);
  _exit(0);
}

static void test_three_processes_exactly_once(void **state) {
  (void)state;
  orca_test_redis redis;
  if (orca_test_redis_start(&redis, false))
    skip();
  const char *url = orca_test_redis_url(&redis, 0);
  const char *p = getenv("ORCA_TK_MP_PERIOD_MS");
  int64_t period_us = (p ? atoll(p) : 100) * 1000;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pids[NPROC];
  for (int i = 0; i < NPROC; i++) {
    pids[i] = fork();
    assert_true(pids[i] >= 0);
    if (pids[i] == 0) {
      close(fds[0]);
      report_fd = fds[1];
      child(url, i, period_us);
    }
  }
  close(fds[1]);

  orca__backend *be;
  orca_err err = {0};
  assert_int_equal(orca__backend_open(url, NULL, &be, &err), 0);
  static const char *queues[] = {"mp"};
  orca__lease pool[16];
  orca__lease *slots[16];
  memset(pool, 0, sizeof pool);
  for (int i = 0; i < 16; i++)
    slots[i] = &pool[i];
  char ids[FIRES + 32][ORCA_ID_MAX];
  int got_total = 0, stopped = -1;
  bool killed = false;
  while (got_total < FIRES) {
    orca__fetch_req req = {queues, 1, "parent", 60000000, 5000000 + 4 * period_us};
    size_t got = 0;
    assert_int_equal(be->ops->fetch(be, &req, slots, 16, &got), 0);
    assert_true(got > 0); /* fires stopped: a failure, not a hang */
    orca__completion c[16];
    for (size_t i = 0; i < got; i++) {
      if (got_total < FIRES + 32)
        memcpy(ids[got_total], pool[i].id, ORCA_ID_MAX);
      got_total++;
      c[i] = (orca__completion){.lease = &pool[i],
                                .outcome = ORCA__ACK,
                                .state = ORCA_STATE_SUCCEEDED,
                                .worker = "parent",
                                .attempt = 1};
    }
    assert_int_equal(be->ops->complete(be, c, got), 0);
    if (!killed && got_total >= 8) {
      kill(pids[0], SIGKILL);
      waitpid(pids[0], NULL, 0);
      killed = true;
    }
    if (stopped < 0 && got_total >= 15) {
      kill(pids[1], SIGSTOP);
      stopped = got_total;
    }
    if (stopped > 0 && got_total >= stopped + 4) {
      kill(pids[1], SIGCONT);
      stopped = 0;
    }
  }
  if (stopped > 0)
    kill(pids[1], SIGCONT);
  /* Let the resumed process run a few more periods, then stop everyone. */
  orca__fetch_req req = {queues, 1, "parent", 60000000, 3 * period_us};
  size_t more = 0;
  assert_int_equal(be->ops->fetch(be, &req, slots, 16, &more), 0);
  for (size_t i = 0; i < more && got_total < FIRES + 32; i++)
    memcpy(ids[got_total++], pool[i].id, ORCA_ID_MAX);
  for (int i = 1; i < NPROC; i++) {
    int st = 0;
    kill(pids[i], SIGTERM);
    waitpid(pids[i], &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  /* Whatever was fired before the kill is in the queue: drain it. */
  for (;;) {
    orca__fetch_req r0 = {queues, 1, "parent", 60000000, 0};
    size_t n = 0;
    assert_int_equal(be->ops->fetch(be, &r0, slots, 16, &n), 0);
    if (!n)
      break;
    for (size_t i = 0; i < n && got_total < FIRES + 32; i++)
      memcpy(ids[got_total++], pool[i].id, ORCA_ID_MAX);
  }
  int reported = 0, v;
  while (read(fds[0], &v, sizeof v) == sizeof v)
    reported += v;
  close(fds[0]);

  /* Ids: consecutive fire times ending at the last fire made (the stored
   * next fire minus one period), each once. Both lists sorted as text. */
  qsort(ids, (size_t)got_total, ORCA_ID_MAX, (int (*)(const void *, const void *))strcmp);
  for (int i = 1; i < got_total; i++) {
    if (strcmp(ids[i - 1], ids[i]) == 0)
      fail_msg("fired twice: %s", ids[i]);
  }
  orca__schedule_rec rec = {0};
  assert_int_equal(be->ops->schedule_get(be, "mp.sched", &rec), 0);
  orca_buf_free(&rec.spec);
  int64_t last = rec.next_fire_us - period_us;
  static char want[FIRES + 32][ORCA_ID_MAX];
  for (int i = 0; i < got_total; i++)
    assert_int_equal(
        orca__schedule_fire_id("mp.sched", last - (int64_t)i * period_us, want[i], ORCA_ID_MAX), 0);
  qsort(want, (size_t)got_total, ORCA_ID_MAX, (int (*)(const void *, const void *))strcmp);
  for (int i = 0; i < got_total; i++)
    if (strcmp(ids[i], want[i]) != 0)
      fail_msg("gap or stray fire: %s, expected %s", ids[i], want[i]);
  print_message("fires received %d, reported by engines %d\n", got_total, reported);
  assert_true(reported <= got_total);
  assert_true(reported >= got_total - 1);
  for (int i = 0; i < 16; i++)
    orca_buf_free(&pool[i].payload);
  orca__backend_close(be);
  orca_test_redis_stop(&redis);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_three_processes_exactly_once)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
