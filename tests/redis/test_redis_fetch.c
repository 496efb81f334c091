/* test_redis_fetch.c — the Redis backend's fetch under the real clock: the
 * fast path (a plain XREADGROUP once the fetch script has seen a queue with
 * one priority stream), the wake-ups that drop it (a new priority stream,
 * an earlier deferred task), garbage read by it, its recovery from a
 * FLUSHALL, the recovery of entries whose delivery interrupt() cut off, and
 * the dead-consumer rule (a consumer silent for half the lease loses its
 * entries before the lease ends; one that renews keeps them), and the record
 * a plain ack leaves (compact, and read back whole). Each case uses its own database of
 * one private redis-server. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "backend/backend.h"
#include "orca/log.h"
#include "redis_server.h"

static orca_test_redis srv;
static int next_db = 1;

typedef struct fx {
  orca__backend *b;
  int db;
  orca__lease pool[8];
  orca__lease *slots[8];
} fx;

static orca__backend *open_db(int db) {
  orca__backend *b = NULL;
  orca_err err = {0};
  assert_int_equal(orca__backend_open(orca_test_redis_url(&srv, db), NULL, &b, &err), 0);
  return b;
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->db = next_db++;
  f->b = open_db(f->db);
  for (int i = 0; i < 8; i++)
    f->slots[i] = &f->pool[i];
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  for (int i = 0; i < 8; i++)
    orca_buf_free(&f->pool[i].payload);
  orca__backend_close(f->b);
  free(f);
  return 0;
}

/* Run a redis-cli command on the case's database; its output's first line
 * as a number. */
static long cli(const fx *f, const char *args) {
  char cmd[512], line[256] = "";
  snprintf(cmd, sizeof cmd, "redis-cli -p %d -n %d %s", srv.port, f->db, args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  if (!fgets(line, sizeof line, p))
    line[0] = '\0';
  assert_int_equal(pclose(p), 0);
  return atol(line);
}

/* Calls of one command so far, from INFO commandstats ("fcall", …). */
static long calls(const char *name) {
  char cmd[256], line[512];
  snprintf(cmd, sizeof cmd, "redis-cli -p %d INFO commandstats", srv.port);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  long n = 0;
  size_t len = strlen(name);
  while (fgets(line, sizeof line, p))
    if (!strncmp(line, "cmdstat_", 8) && !strncmp(line + 8, name, len) && line[8 + len] == ':')
      n = atol(strstr(line, "calls=") + 6);
  assert_int_equal(pclose(p), 0);
  return n;
}

static void put(fx *f, const char *id, const char *queue, int32_t prio, int64_t eta_us) {
  orca__job j = {.id = id,
                 .task = "t",
                 .queue = queue,
                 .priority = prio,
                 .eta_us = eta_us,
                 .payload = (const uint8_t *)"pay",
                 .payload_len = 3};
  orca__enqueue_result r;
  assert_int_equal(f->b->ops->enqueue(f->b, &j, 1, &r), 0);
  assert_int_equal(r.status, 0);
}

static size_t take(fx *f, orca__backend *b, const char *queue, const char *worker, size_t max,
                   int64_t lease_us, int64_t wait_us) {
  const char *qs[1] = {queue};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = worker, .lease_us = lease_us, .wait_us = wait_us};
  size_t got = 0;
  assert_int_equal(b->ops->fetch(b, &req, f->slots, max, &got), 0);
  return got;
}

static void ack(fx *f, orca__backend *b, size_t n, const char *worker) {
  orca__completion c[8];
  for (size_t i = 0; i < n; i++)
    c[i] = (orca__completion){.lease = f->slots[i],
                              .outcome = ORCA__ACK,
                              .state = ORCA_STATE_SUCCEEDED,
                              .worker = worker,
                              .attempt = 1,
                              .ttl_us = 60000000};
  assert_int_equal(b->ops->complete(b, c, n), 0);
}

#define LEASE (30 * 1000000LL)

/* Run one task of a new queue through worker "w", so the handle knows the
 * queue's one stream and fetches it on the fast path from now on. */
static void learn_fast_path(fx *f, const char *queue) {
  char id[64];
  snprintf(id, sizeof id, "%s-first", queue);
  put(f, id, queue, 0, 0);
  assert_int_equal(take(f, f->b, queue, "w", 8, LEASE, 0), 1);
  ack(f, f->b, 1, "w");
}

/* After one fetch script call a one-stream queue is fetched with plain
 * XREADGROUP: further fetches run no script at all. */
static void fast_path_runs_no_script(void **state) {
  fx *f = *state;
  learn_fast_path(f, "q");
  put(f, "a2", "q", 0, 0);
  put(f, "a3", "q", 0, 0);
  long before = calls("fcall"), reads = calls("xreadgroup");
  assert_int_equal(take(f, f->b, "q", "w", 8, LEASE, 0), 2);
  assert_string_equal(f->pool[0].id, "a2");
  assert_string_equal(f->pool[1].id, "a3");
  assert_int_equal(f->pool[0].deliveries, 1);
  assert_int_equal(take(f, f->b, "q", "w", 8, LEASE, 0), 0);
  assert_int_equal(calls("fcall"), before);
  assert_int_equal(calls("xreadgroup"), reads + 2);
}

/* Garbage read by the fast path is dead-lettered with its reason; the real
 * tasks around it are delivered. */
static int count_dead(void *ud, const orca_task_info *i) {
  assert_int_equal(i->state, ORCA_STATE_DEAD);
  assert_non_null(strstr(i->error, "no payload field p"));
  (*(int *)ud)++;
  return 0;
}

static void fast_path_buries_garbage(void **state) {
  fx *f = *state;
  learn_fast_path(f, "g");
  cli(f, "XADD 'orca:{g}:p:0' '*' i only-an-id");
  put(f, "b2", "g", 0, 0);
  assert_int_equal(take(f, f->b, "g", "w", 8, LEASE, 0), 1);
  assert_string_equal(f->pool[0].id, "b2");
  int n = 0;
  assert_int_equal(f->b->ops->dlq_list(f->b, "g", 0, 10, count_dead, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(cli(f, "XLEN 'orca:{g}:p:0'"), 1); /* b2, still pending */
}

/* A task of a new priority reaches a worker that is on the fast path of the
 * old stream: the new stream's creation signals it. */
static void new_priority_is_seen(void **state) {
  fx *f = *state;
  learn_fast_path(f, "p");
  put(f, "hi1", "p", 5, 0);
  put(f, "lo1", "p", 0, 0);
  char seen[2][ORCA_ID_MAX];
  for (int k = 0; k < 2; k++) {
    assert_int_equal(take(f, f->b, "p", "w", 1, LEASE, 0), 1);
    snprintf(seen[k], sizeof seen[k], "%s", f->pool[0].id);
    ack(f, f->b, 1, "w");
  }
  assert_true((!strcmp(seen[0], "hi1") && !strcmp(seen[1], "lo1")) ||
              (!strcmp(seen[0], "lo1") && !strcmp(seen[1], "hi1")));
  /* Both streams known now: priority order holds. */
  put(f, "lo2", "p", 0, 0);
  put(f, "hi2", "p", 5, 0);
  assert_int_equal(take(f, f->b, "p", "w", 1, LEASE, 0), 1);
  assert_string_equal(f->pool[0].id, "hi2");
}

/* A deferred task due earlier than every other one signals the queue, and a
 * waiting fetch delivers it once due. */
static void earlier_deferred_task_signals(void **state) {
  fx *f = *state;
  learn_fast_path(f, "d");
  long sig = cli(f, "XLEN 'orca:{d}:sig'");
  put(f, "late", "d", 0, orca_clock_now(&orca_clock_real) + 3600 * 1000000LL);
  assert_int_equal(cli(f, "XLEN 'orca:{d}:sig'"), sig + 1);
  put(f, "later", "d", 0, orca_clock_now(&orca_clock_real) + 7200 * 1000000LL);
  assert_int_equal(cli(f, "XLEN 'orca:{d}:sig'"), sig + 1); /* not the earliest: no signal */
  put(f, "soon", "d", 0, orca_clock_now(&orca_clock_real) + 100000);
  assert_int_equal(cli(f, "XLEN 'orca:{d}:sig'"), sig + 2);
  assert_int_equal(take(f, f->b, "d", "w", 8, LEASE, 10 * 1000000LL), 1);
  assert_string_equal(f->pool[0].id, "soon");
}

/* FLUSHALL under a worker on the fast path: its XREADGROUP fails, it goes
 * back to the fetch script and sees the new stream. */
static void fast_path_survives_flush(void **state) {
  fx *f = *state;
  learn_fast_path(f, "f");
  cli(f, "FLUSHDB");
  put(f, "e2", "f", 0, 0);
  assert_int_equal(take(f, f->b, "f", "w", 8, LEASE, 0), 1);
  assert_string_equal(f->pool[0].id, "e2");
}

/* A server that lost the Lua library (FUNCTION FLUSH; or a restart without
 * persistence) gets it again on the next call that needs it. */
static void library_reloaded_when_lost(void **state) {
  fx *f = *state;
  cli(f, "FUNCTION FLUSH");
  assert_int_equal(cli(f, "FUNCTION LIST LIBRARYNAME 'orca_*' | grep -c library_name; true"), 0);
  put(f, "l1", "l", 0, 0);
  assert_int_equal(take(f, f->b, "l", "w", 8, LEASE, 0), 1);
  assert_string_equal(f->pool[0].id, "l1");
  ack(f, f->b, 1, "w");
  assert_int_equal(cli(f, "FUNCTION LIST LIBRARYNAME 'orca_*' | grep -c library_name; true"), 1);
}

/* A consumer that holds entries and says nothing for half the lease is
 * presumed dead: another consumer gets its entries (second delivery)
 * before the lease would have run out, but not before the lease end the
 * holder was told (lease_until_us: half the lease, so a stopped worker
 * knows not to start them). */
static void dead_consumer_loses_entries_early(void **state) {
  fx *f = *state;
  const int64_t lease = 4000000;
  orca__backend *a = open_db(f->db);
  put(f, "k1", "k", 0, 0);
  put(f, "k2", "k", 0, 0);
  int64_t t0 = orca_clock_now(&orca_clock_real);
  assert_int_equal(take(f, a, "k", "dies", 8, lease, 0), 2);
  int64_t until = f->pool[0].lease_until_us;
  assert_true(until >= t0 + lease / 2 && until < t0 + lease);
  orca__backend_close(a); /* says nothing from now on */
  size_t got = 0;
  while (got == 0)
    got = take(f, f->b, "k", "lives", 8, lease, 10 * 1000000LL);
  int64_t at = orca_clock_now(&orca_clock_real);
  assert_int_equal(got, 2);
  assert_int_equal(f->pool[0].deliveries, 2);
  assert_true(at < t0 + lease);
  assert_true(at + 2000 >= until); /* Redis counts idle time in whole ms */
}

/* A consumer that renews its leases keeps them however long it works,
 * while another one keeps fetching. */
#define RENEW_LEASE 2000000 /* dead after 1 s of silence; renewed every 0.3 s */
typedef struct renewer {
  fx *f;
  orca__backend *b;
  orca__lease lease;
  int renewals;
  int failed; /* renewals that failed or found the lease lost (checked by the test) */
} renewer;

static void *renew(void *arg) {
  renewer *r = arg;
  orca__lease *l = &r->lease;
  for (int i = 0; i < r->renewals; i++) {
    struct timespec ts = {0, 300 * 1000000L}; /* the handler's work between renewals */
    nanosleep(&ts, NULL);
    int status = -1;
    if (r->b->ops->extend(r->b, &l, 1, "busy", RENEW_LEASE, &status) || status != 0)
      r->failed++;
  }
  return NULL;
}

static void renewing_consumer_keeps_entries(void **state) {
  fx *f = *state;
  renewer r = {.f = f, .b = open_db(f->db), .renewals = 10};
  put(f, "m1", "m", 0, 0);
  assert_int_equal(take(f, r.b, "m", "busy", 1, RENEW_LEASE, 0), 1);
  r.lease = f->pool[0];
  memset(&f->pool[0].payload, 0, sizeof f->pool[0].payload); /* r owns the buffer now */
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, renew, &r), 0);
  /* Fetch while the renewer works (3 s, one and a half leases). */
  int64_t end = orca_monotonic_us() + 3 * RENEW_LEASE / 2;
  while (orca_monotonic_us() < end)
    assert_int_equal(take(f, f->b, "m", "other", 8, RENEW_LEASE, 200000), 0);
  pthread_join(th, NULL);
  assert_int_equal(r.failed, 0);
  orca__lease *lp = &r.lease;
  orca__completion c = {.lease = lp,
                        .outcome = ORCA__ACK,
                        .state = ORCA_STATE_SUCCEEDED,
                        .worker = "busy",
                        .attempt = 1,
                        .ttl_us = 60000000};
  assert_int_equal(r.b->ops->complete(r.b, &c, 1), 0);
  orca_task_info info = {0};
  assert_int_equal(f->b->ops->state_get(f->b, "m1", &info), 0);
  assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
  assert_string_equal(info.worker, "busy");
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
  orca_buf_free(&r.lease.payload);
  orca__backend_close(r.b);
}

/* interrupt() cuts a blocked XREADGROUP by shutting the socket down; a
 * reply the server sent just then is lost, and the entries it delivered sit
 * in this consumer's pending list. The next fetch hands out exactly those
 * (here: x2, claimed by hand for the consumer as a lost reply would), not
 * the ones the handle already handed out (h1). */
typedef struct blocked_fetch {
  fx *f;
  orca__backend *b; /* NULL: the case's handle */
  const char *queue;
  orca__lease pool[8];
  orca__lease *slots[8];
  size_t got;
  int rc;
} blocked_fetch;

static void *fetch_blocking(void *arg) {
  blocked_fetch *bf = arg;
  const char *qs[1] = {bf->queue};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = "w", .lease_us = LEASE, .wait_us = 20000000};
  for (int i = 0; i < 8; i++)
    bf->slots[i] = &bf->pool[i];
  orca__backend *b = bf->b ? bf->b : bf->f->b;
  bf->rc = b->ops->fetch(b, &req, bf->slots, 8, &bf->got);
  return NULL;
}

/* Wait until redis-server lists a client blocked in XREADGROUP. The server
 * offers no notification for this, so the list is read every millisecond
 * (for at most 10 s). */
static void await_blocked_reader(void) {
  char cmd[256];
  snprintf(cmd, sizeof cmd, "redis-cli -p %d CLIENT LIST | grep -c 'flags=b.*cmd=xreadgroup'",
           srv.port);
  for (int i = 0; i < 10000; i++) {
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[32] = "";
    if (!fgets(line, sizeof line, p))
      line[0] = '\0';
    pclose(p);
    if (atoi(line) > 0)
      return;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  fail_msg("no client blocked in XREADGROUP");
}

static void cut_delivery_is_recovered(void **state) {
  fx *f = *state;
  learn_fast_path(f, "c");
  put(f, "h1", "c", 0, 0);
  assert_int_equal(take(f, f->b, "c", "w", 1, LEASE, 0), 1); /* h1: held, not acked */
  orca__lease h1 = f->pool[0];
  memset(&f->pool[0].payload, 0, sizeof f->pool[0].payload);
  put(f, "x2", "c", 0, 0);
  cli(f, "XREADGROUP GROUP orca w COUNT 1 STREAMS 'orca:{c}:p:0' '>'"); /* the lost reply */
  blocked_fetch bf = {.f = f, .queue = "c"};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, fetch_blocking, &bf), 0);
  await_blocked_reader();
  f->b->ops->interrupt(f->b);
  pthread_join(th, NULL);
  assert_int_equal(bf.rc, 0);
  assert_int_equal(bf.got, 0);
  assert_int_equal(take(f, f->b, "c", "w", 8, LEASE, 0), 1);
  assert_string_equal(f->pool[0].id, "x2");
  assert_int_equal(take(f, f->b, "c", "w", 8, LEASE, 0), 0); /* recovered once */
  orca__completion c[2] = {{.lease = &h1,
                            .outcome = ORCA__ACK,
                            .state = ORCA_STATE_SUCCEEDED,
                            .worker = "w",
                            .attempt = 1,
                            .ttl_us = 60000000},
                           {.lease = f->slots[0],
                            .outcome = ORCA__ACK,
                            .state = ORCA_STATE_SUCCEEDED,
                            .worker = "w",
                            .attempt = 1,
                            .ttl_us = 60000000}};
  assert_int_equal(f->b->ops->complete(f->b, c, 2), 0);
  assert_int_equal(cli(f, "XLEN 'orca:{c}:p:0'"), 0);
  orca_buf_free(&h1.payload);
  for (int i = 0; i < 8; i++)
    orca_buf_free(&bf.pool[i].payload);
}

/* Log lines that mention NOGROUP (a fetch that failed on a missing group). */
static atomic_int nogroup_logged;
static void count_nogroup(void *ud, orca_log_level lvl, const char *msg) {
  (void)ud;
  (void)lvl;
  if (strstr(msg, "NOGROUP"))
    atomic_fetch_add(&nogroup_logged, 1);
  fprintf(stderr, "orca: %s\n", msg);
}

static size_t take2(fx *f, const char *q1, const char *q2) {
  const char *qs[2] = {q1, q2};
  orca__fetch_req req = {.queues = qs, .nqueues = 2, .worker = "w", .lease_us = LEASE};
  size_t got = 0;
  assert_int_equal(f->b->ops->fetch(f->b, &req, f->slots, 8, &got), 0);
  return got;
}

/* Someone deleted a queue's stream (and its consumer group with it) while
 * the queue's priority set still names it; the next enqueue's XADD makes a
 * new stream without the group. A fetch that meets NOGROUP creates the
 * group again and goes on, on the fast path (a plain XREADGROUP, which
 * hands over to the fetch script) as on the script path, and logs nothing:
 * new tasks are delivered at once instead of staying pending forever. */
static void deleted_stream_gets_its_group_back(void **state) {
  fx *f = *state;
  atomic_store(&nogroup_logged, 0);
  orca_log_set(count_nogroup, NULL, ORCA_LOG_INFO);
  /* Fast path: the handle knows the queue's one stream. */
  learn_fast_path(f, "ds");
  cli(f, "DEL 'orca:{ds}:p:0'");
  assert_int_equal(take(f, f->b, "ds", "w", 8, LEASE, 0), 0); /* gone, nothing to do */
  cli(f, "DEL 'orca:{ds}:p:0'");
  put(f, "n1", "ds", 0, 0);
  assert_int_equal(cli(f, "XINFO GROUPS 'orca:{ds}:p:0' | grep -c orca; true"), 0);
  assert_int_equal(take(f, f->b, "ds", "w", 8, LEASE, 0), 1);
  assert_string_equal(f->pool[0].id, "n1");
  ack(f, f->b, 1, "w");
  put(f, "n2", "ds", 0, 0);
  long before = calls("fcall");
  assert_int_equal(take(f, f->b, "ds", "w", 8, LEASE, 0), 1); /* fast again */
  assert_string_equal(f->pool[0].id, "n2");
  assert_int_equal(calls("fcall"), before);
  ack(f, f->b, 1, "w");

  /* A worker waiting in XREADGROUP BLOCK on the fast path when the stream
   * goes: the task enqueued next reaches it (a 20 s wait bounds the test).
   * It has its own handle, on the fast path after one fetch. */
  orca__backend *b2 = open_db(f->db);
  assert_int_equal(take(f, b2, "ds", "w2", 8, LEASE, 0), 0);
  blocked_fetch bf = {.f = f, .b = b2, .queue = "ds"};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, fetch_blocking, &bf), 0);
  await_blocked_reader();
  cli(f, "DEL 'orca:{ds}:p:0'");
  put(f, "n3", "ds", 0, 0);
  pthread_join(th, NULL);
  assert_int_equal(bf.rc, 0);
  assert_int_equal(bf.got, 1);
  assert_string_equal(bf.pool[0].id, "n3");
  for (int i = 0; i < 8; i++)
    orca_buf_free(&bf.pool[i].payload);
  orca__backend_close(b2);

  /* Script path: two queues per fetch never take the fast path. */
  put(f, "m1", "dt", 0, 0);
  assert_int_equal(take2(f, "dt", "ds"), 1);
  ack(f, f->b, 1, "w");
  cli(f, "DEL 'orca:{dt}:p:0'");
  assert_int_equal(take2(f, "dt", "ds"), 0);
  cli(f, "DEL 'orca:{dt}:p:0'");
  put(f, "m2", "dt", 0, 0);
  assert_int_equal(take2(f, "dt", "ds"), 1);
  assert_string_equal(f->pool[0].id, "m2");
  ack(f, f->b, 1, "w");
  orca_log_set(NULL, NULL, ORCA_LOG_INFO);
  assert_int_equal(atomic_load(&nogroup_logged), 0);
}

/* Interrupts at random moments while tasks trickle in: no task is stranded
 * in the consumer's pending list (each would come back only after the 60 s
 * lease, past the test's deadline) and none runs twice. SIGPIPE is put back
 * to its default, so a write to a socket interrupt() shut down would kill
 * the test. */
#define STORM 1500
typedef struct storm {
  fx *f;
  atomic_int done, stop;
  unsigned char seen[STORM];
} storm;

static void *storm_consumer(void *arg) {
  storm *st = arg;
  orca__lease pool[16] = {0};
  orca__lease *slots[16];
  for (int i = 0; i < 16; i++)
    slots[i] = &pool[i];
  const char *qs[1] = {"s"};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = "w", .lease_us = 60000000, .wait_us = 1000000};
  int64_t deadline = orca_monotonic_us() + 50000000;
  while (atomic_load(&st->done) < STORM && orca_monotonic_us() < deadline) {
    size_t got = 0;
    if (st->f->b->ops->fetch(st->f->b, &req, slots, 16, &got))
      continue;
    orca__completion c[16];
    for (size_t i = 0; i < got; i++) {
      int k = atoi(pool[i].id + 1);
      if (k >= 0 && k < STORM)
        st->seen[k]++;
      c[i] = (orca__completion){.lease = slots[i],
                                .outcome = ORCA__ACK,
                                .state = ORCA_STATE_SUCCEEDED,
                                .worker = "w",
                                .attempt = 1,
                                .ttl_us = 60000000};
    }
    if (got && st->f->b->ops->complete(st->f->b, c, got) == 0)
      atomic_fetch_add(&st->done, (int)got);
  }
  for (int i = 0; i < 16; i++)
    orca_buf_free(&pool[i].payload);
  return NULL;
}

static void *storm_interrupter(void *arg) {
  storm *st = arg;
  for (unsigned i = 0; !atomic_load(&st->stop); i++) {
    st->f->b->ops->interrupt(st->f->b);
    struct timespec ts = {0, (long)(20000 + (i * 7919) % 300000)}; /* pacing, 20-320 us */
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static void interrupt_storm(void **state) {
  fx *f = *state;
  signal(SIGPIPE, SIG_DFL);
  learn_fast_path(f, "s");
  orca__backend *prod = open_db(f->db);
  storm *st = calloc(1, sizeof *st);
  st->f = f;
  pthread_t c, i;
  assert_int_equal(pthread_create(&c, NULL, storm_consumer, st), 0);
  assert_int_equal(pthread_create(&i, NULL, storm_interrupter, st), 0);
  for (int k = 0; k < STORM; k++) {
    char id[16];
    snprintf(id, sizeof id, "s%d", k);
    orca__job j = {
        .id = id, .task = "t", .queue = "s", .payload = (const uint8_t *)"p", .payload_len = 1};
    orca__enqueue_result r;
    assert_int_equal(prod->ops->enqueue(prod, &j, 1, &r), 0);
  }
  pthread_join(c, NULL);
  atomic_store(&st->stop, 1);
  pthread_join(i, NULL);
  assert_int_equal(atomic_load(&st->done), STORM);
  for (int k = 0; k < STORM; k++)
    assert_int_equal(st->seen[k], 1);
  free(st);
  orca__backend_close(prod);
}

/* The first line of a redis-cli command's output on the case's database. */
static void cli_str(const fx *f, const char *args, char *out, size_t outlen) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "redis-cli -p %d -n %d %s", srv.port, f->db, args);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  if (!fgets(out, (int)outlen, p))
    out[0] = '\0';
  out[strcspn(out, "\r\n")] = '\0';
  assert_int_equal(pclose(p), 0);
}

/* A plain ack of task id by worker, started at started_us, kept ttl_us. */
static void ack_one(fx *f, const char *worker, int64_t started_us, int64_t ttl_us) {
  orca__completion c = {.lease = f->slots[0],
                        .outcome = ORCA__ACK,
                        .state = ORCA_STATE_SUCCEEDED,
                        .worker = worker,
                        .attempt = 1,
                        .started_us = started_us,
                        .ttl_us = ttl_us};
  assert_int_equal(f->b->ops->complete(f->b, &c, 1), 0);
}

/* A plain ack's record stays a listpack at the server's default
 * hash-max-listpack-value (64 bytes): a typical worker id goes into the packed
 * c field with it, a long one into the w field. state_get reads back the
 * worker, start, finish and expiry; the record is gone once it expired. */
static void plain_ack_record_stays_compact(void **state) {
  fx *f = *state;
  static const char *const workers[] = {
      "build-host-17:123456:9f3a",
      "a-rather-long-worker-name-given-by-the-operator-0123456789abcdef"};
  char id[32], args[128], enc[64];
  for (int k = 0; k < 2; k++) {
    snprintf(id, sizeof id, "rec%d", k);
    put(f, id, "rec", 0, 0);
    assert_int_equal(take(f, f->b, "rec", workers[k], 1, LEASE, 0), 1);
    int64_t t0 = orca_clock_now(&orca_clock_real) - 1500;
    ack_one(f, workers[k], t0, 3600 * 1000000LL);
    snprintf(args, sizeof args, "OBJECT ENCODING orca:{rec}:t:%s", id);
    cli_str(f, args, enc, sizeof enc);
    assert_string_equal(enc, "listpack");
    orca_task_info info = {0};
    assert_int_equal(f->b->ops->state_get(f->b, id, &info), 0);
    assert_int_equal(info.state, ORCA_STATE_SUCCEEDED);
    assert_string_equal(info.worker, workers[k]);
    assert_true(info.started_us == t0);
    assert_true(info.finished_us >= t0 + 1500);
    assert_true(info.finished_us < t0 + 60 * 1000000LL);
    assert_true(info.expires_us == info.finished_us + 3600 * 1000000LL);
    orca_buf_free(&info.result);
    orca_buf_free(&info.args);
  }
  /* Expiry from the packed field: a record kept 1 ms is gone after it. */
  put(f, "short", "rec", 0, 0);
  assert_int_equal(take(f, f->b, "rec", workers[0], 1, LEASE, 0), 1);
  ack_one(f, workers[0], orca_clock_now(&orca_clock_real), 1000);
  int64_t until = orca_clock_now(&orca_clock_real) + 1000;
  while (orca_clock_now(&orca_clock_real) <= until) {
    struct timespec ts = {0, 200000}; /* waiting for time itself to pass */
    nanosleep(&ts, NULL);
  }
  orca_task_info info = {0};
  assert_int_equal(f->b->ops->state_get(f->b, "short", &info), ORCA_ENOTFOUND);
  orca_buf_free(&info.result);
  orca_buf_free(&info.args);
}

int main(void) {
  if (!orca__redis_ops.open)
    return 1;
  if (orca_test_redis_start(&srv, false))
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(fast_path_runs_no_script, setup, teardown),
      cmocka_unit_test_setup_teardown(fast_path_buries_garbage, setup, teardown),
      cmocka_unit_test_setup_teardown(new_priority_is_seen, setup, teardown),
      cmocka_unit_test_setup_teardown(earlier_deferred_task_signals, setup, teardown),
      cmocka_unit_test_setup_teardown(fast_path_survives_flush, setup, teardown),
      cmocka_unit_test_setup_teardown(library_reloaded_when_lost, setup, teardown),
      cmocka_unit_test_setup_teardown(deleted_stream_gets_its_group_back, setup, teardown),
      cmocka_unit_test_setup_teardown(dead_consumer_loses_entries_early, setup, teardown),
      cmocka_unit_test_setup_teardown(renewing_consumer_keeps_entries, setup, teardown),
      cmocka_unit_test_setup_teardown(cut_delivery_is_recovered, setup, teardown),
      cmocka_unit_test_setup_teardown(interrupt_storm, setup, teardown),
      cmocka_unit_test_setup_teardown(plain_ack_record_stays_compact, setup, teardown),
  };
  int failed = cmocka_run_group_tests_name("redis/fetch", tests, NULL, NULL);
  orca_test_redis_stop(&srv);
  return failed ? 1 : 0;
}
