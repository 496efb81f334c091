/* test_multiproc_sqlite.c — three processes run the TimeKeeper and a
 * consumer on one SQLite file while processes are frozen with SIGSTOP; no
 * fire may be lost and none doubled.
 *
 * Each node is a child process with an engine on its own loop (schedules
 * "mp.slow" every 1 s and "mp.fast" every 200 ms, catch-up `skip`) and a
 * consumer thread that fetches and acks the fired tasks like a worker's
 * pump, so fires wake every node's fetch as in production. The parent:
 *
 *   A. forks a process that takes the write lock (BEGIN IMMEDIATE) and
 *      stops itself inside the transaction, and keeps it stopped for
 *      longer than the busy timeout (5 s): every node's writes wait and
 *      then time out, so nothing can fire until it is resumed. This is the
 *      worst case of a node SIGSTOPped inside a write transaction.
 *   B. SIGSTOPs node 1 for 5 s right after a fire (the scenario).
 *   C. SIGSTOPs node 2 four times for 0.6 s, each right after a fire.
 *
 * Then it stops the nodes with SIGTERM and checks in the store that every
 * fire time of both schedules, from the first to the last made, has its
 * task (`skip` must not drop fires that were late only because the store
 * was busy), and that the fires the engines report having made (through a
 * pipe, after each successful compare-and-set) equal the tasks stored (a
 * double fire would be refused by id and make the reports exceed them).
 * The consumers report each task's lateness (fetch time - fire time); the
 * worst per phase is printed, not asserted (no wall-clock assertions). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "codec/envelope.h"
#include "timekeeper/timekeeper.h"

const orca__backend_ops *const force_sqlite = &orca__sqlite_ops; /* see test_engine.c */

#define NPROC 3
#define SEC 1000000LL
#define SLOW_US SEC
#define FAST_US (SEC / 5)

static int report_fd = -1, late_fd = -1;

static void on_cycle(void *ud, int fired) {
  (void)ud;
  if (fired > 0 && write(report_fd, &fired, sizeof fired) != sizeof fired)
    _exit(3);
}

static const orca_task_desc task = {.name = "mp.tick", .queue = "mp"};
static const uint8_t args[] = {0x80};

static orca__timekeeper *child_tk;
static orca__backend *child_be;
static atomic_bool child_stop;

/* A lateness report: the fire time, how late a consumer fetched it, and the
 * consumer's node. */
typedef struct late_rec {
  int64_t fire_us, late_us;
  int node;
} late_rec;

static int child_idx;

/* The consumer: fetch and ack like a worker's pump; a busy store makes
 * fetch or complete time out, which is retried. */
static void *consume(void *arg) {
  (void)arg;
  static const char *queues[] = {"mp"};
  orca__lease pool[16];
  orca__lease *slots[16];
  memset(pool, 0, sizeof pool);
  for (int i = 0; i < 16; i++)
    slots[i] = &pool[i];
  while (!atomic_load(&child_stop)) {
    orca__fetch_req req = {queues, 1, "consumer", 60 * SEC, SEC / 2};
    size_t got = 0;
    if (child_be->ops->fetch(child_be, &req, slots, 16, &got) || got == 0)
      continue;
    int64_t now = orca_clock_now(&orca_clock_real);
    orca__completion c[16];
    for (size_t i = 0; i < got; i++) {
      orca__envelope e;
      if (orca__envelope_decode(pool[i].payload.data, pool[i].payload.len, &e, NULL) == 0) {
        late_rec r = {e.eta_us, now - e.eta_us, child_idx};
        if (write(late_fd, &r, sizeof r) != sizeof r)
          _exit(3);
      }
      c[i] = (orca__completion){.lease = &pool[i],
                                .outcome = ORCA__ACK,
                                .state = ORCA_STATE_SUCCEEDED,
                                .worker = "consumer",
                                .attempt = 1,
                                .ttl_us = 3600 * SEC};
    }
    while (child_be->ops->complete(child_be, c, got) == ORCA_ETIMEDOUT)
      ;
  }
  for (int i = 0; i < 16; i++)
    orca_buf_free(&pool[i].payload);
  return NULL;
}

/* SIGTERM: close the engine (a cycle in flight finishes and reports) and
 * end the consumer, so the loop ends and the child exits cleanly. */
static void on_term(uv_signal_t *s, int sig) {
  (void)sig;
  atomic_store(&child_stop, true);
  child_be->ops->interrupt(child_be);
  orca__timekeeper_close(child_tk);
  uv_close((uv_handle_t *)s, NULL);
}

static orca_schedule_desc every(const char *name, int64_t us) {
  return (orca_schedule_desc){.name = name,
                              .task = &task,
                              .kind = ORCA_SCHEDULE_EVERY,
                              .every_us = us,
                              .catchup = ORCA_CATCHUP_SKIP,
                              .args = args,
                              .args_len = sizeof args};
}

/* A node: engine on its own loop plus a consumer thread, until SIGTERM. */
static void child(const char *url, int idx) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  child_idx = idx;
  uv_loop_t loop;
  uv_loop_init(&loop);
  char node[32];
  snprintf(node, sizeof node, "node-%d", idx);
  orca_err err = {0};
  if (orca__timekeeper_open(&loop, url, NULL, node, &child_tk, &err) ||
      orca__backend_open(url, NULL, &child_be, &err)) {
    fprintf(stderr, "child %d: %s\n", idx, err.msg);
    _exit(2);
  }
  orca__timekeeper_opts o = {.on_cycle = on_cycle, .refresh_us = SEC / 5};
  orca__timekeeper_set_opts(child_tk, &o);
  orca_schedule_desc slow = every("mp.slow", SLOW_US), fast = every("mp.fast", FAST_US);
  if (orca__timekeeper_add(child_tk, &slow, &err) || orca__timekeeper_add(child_tk, &fast, &err) ||
      orca__timekeeper_start(child_tk))
    _exit(2);
  pthread_t th;
  if (pthread_create(&th, NULL, consume, NULL))
    _exit(2);
  uv_signal_t term;
  uv_signal_init(&loop, &term);
  uv_signal_start(&term, on_term, SIGTERM);
  uv_run(&loop, UV_RUN_DEFAULT);
  pthread_join(th, NULL);
  uv_loop_close(&loop);
  orca__backend_close(child_be);
  _exit(0);
}

/* A process that stops itself inside a write transaction on path. */
static void lock_holder(const char *path) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK)
    _exit(2);
  sqlite3_busy_timeout(db, 10000);
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    _exit(2);
  raise(SIGSTOP);
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(db);
  _exit(0);
}

static int reported;

/* Wait for n more fire reports from the nodes (fail if none comes for 15
 * s: fires stopped). */
static void await_fires(int fd, int n) {
  for (int got = 0; got < n;) {
    struct pollfd p = {fd, POLLIN, 0};
    int rc = poll(&p, 1, 15000);
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0)
      fail_msg("no fire reported for 15 s");
    int v;
    assert_int_equal(read(fd, &v, sizeof v), sizeof v);
    reported += v;
    got++;
  }
}

static void sleep_us(int64_t us) {
  struct timespec ts = {(time_t)(us / SEC), (long)(us % SEC) * 1000};
  while (nanosleep(&ts, &ts) && errno == EINTR)
    ;
}

/* Freeze pid for us (the scenario's freeze, not a synchronization). */
static void freeze(pid_t pid, int64_t us) {
  kill(pid, SIGSTOP);
  sleep_us(us);
  kill(pid, SIGCONT);
}

/* Check that every fire of name from the first one stored to the one
 * before its stored next fire is a task; returns how many. */
static int check_fires(orca__backend *be, const char *name, int64_t period, int64_t t_start) {
  orca__schedule_rec rec = {0};
  assert_int_equal(be->ops->schedule_get(be, name, &rec), 0);
  orca_buf_free(&rec.spec);
  int64_t last = rec.next_fire_us - period;
  int64_t f = (t_start / period + 1) * period;
  char id[ORCA_ID_MAX];
  orca_task_info info;
  memset(&info, 0, sizeof info);
  /* The first node to store the schedule chose its first fire: find it. */
  for (;; f += period) {
    assert_true(f <= last);
    assert_int_equal(orca__schedule_fire_id(name, f, id, sizeof id), 0);
    if (be->ops->state_get(be, id, &info) == 0)
      break;
  }
  int n = 0, missing = 0;
  for (; f <= last; f += period, n++) {
    assert_int_equal(orca__schedule_fire_id(name, f, id, sizeof id), 0);
    orca_buf_reset(&info.result);
    orca_buf_reset(&info.args);
    if (be->ops->state_get(be, id, &info) != 0) {
      print_error("lost fire: %s\n", id);
      missing++;
    }
  }
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  print_message("%s: %d fires, %d lost\n", name, n, missing);
  assert_int_equal(missing, 0);
  return n;
}

static void test_three_processes_frozen(void **state) {
  (void)state;
  char dir[] = "/tmp/orca-tkmp-XXXXXX", path[128], url[160];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/orca.db", dir);
  snprintf(url, sizeof url, "sqlite:%s", path);
  orca__backend *be;
  orca_err err = {0};
  assert_int_equal(orca__backend_open(url, NULL, &be, &err), 0); /* creates the schema */
  int64_t t_start = orca_clock_now(&orca_clock_real);
  int rep[2], late[2];
  assert_int_equal(pipe(rep), 0);
  assert_int_equal(pipe(late), 0);
  pid_t pids[NPROC];
  for (int i = 0; i < NPROC; i++) {
    pids[i] = fork();
    assert_true(pids[i] >= 0);
    if (pids[i] == 0) {
      close(rep[0]);
      close(late[0]);
      report_fd = rep[1];
      late_fd = late[1];
      child(url, i);
    }
  }
  close(rep[1]);
  close(late[1]); /* lateness reports (16 bytes a task) are read at the end */

  await_fires(rep[0], 5);
  int64_t phase[4];
  phase[0] = orca_clock_now(&orca_clock_real);
  pid_t holder = fork();
  assert_true(holder >= 0);
  if (holder == 0)
    lock_holder(path);
  int st = 0;
  assert_int_equal(waitpid(holder, &st, WUNTRACED), holder);
  assert_true(WIFSTOPPED(st));
  sleep_us(5500000); /* past the 5 s busy timeout */
  kill(holder, SIGCONT);
  assert_int_equal(waitpid(holder, &st, 0), holder);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

  await_fires(rep[0], 5);
  phase[1] = orca_clock_now(&orca_clock_real);
  await_fires(rep[0], 1);
  freeze(pids[1], 5 * SEC);

  await_fires(rep[0], 5);
  phase[2] = orca_clock_now(&orca_clock_real);
  for (int i = 0; i < 4; i++) {
    await_fires(rep[0], 1);
    freeze(pids[2], 600000);
  }
  await_fires(rep[0], 5);
  phase[3] = orca_clock_now(&orca_clock_real);

  for (int i = 0; i < NPROC; i++) {
    kill(pids[i], SIGTERM);
    assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  int v;
  while (read(rep[0], &v, sizeof v) == sizeof v)
    reported += v;
  close(rep[0]);
  /* The worst lateness per phase, leaving out the frozen node's consumer
   * (a fetch that returns just before its freeze reads the clock after). */
  late_rec r;
  int64_t worst[4] = {0};
  while (read(late[0], &r, sizeof r) == sizeof r) {
    int k = r.fire_us < phase[0] ? 0 : r.fire_us < phase[1] ? 1 : r.fire_us < phase[2] ? 2 : 3;
    if ((k == 2 && r.node == 1) || (k == 3 && r.node == 2))
      continue;
    if (r.late_us > worst[k])
      worst[k] = r.late_us;
  }
  close(late[0]);
  print_message("worst lateness seen by the consumers: before %lld ms, lock holder frozen "
                "5.5 s %lld ms, node frozen 5 s %lld ms, node frozen 4 x 0.6 s %lld ms\n",
                (long long)worst[0] / 1000, (long long)worst[1] / 1000, (long long)worst[2] / 1000,
                (long long)worst[3] / 1000);

  int fires =
      check_fires(be, "mp.slow", SLOW_US, t_start) + check_fires(be, "mp.fast", FAST_US, t_start);
  print_message("fires stored %d, reported by engines %d\n", fires, reported);
  assert_int_equal(reported, fires);
  orca__backend_close(be);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_three_processes_frozen)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
