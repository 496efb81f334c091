/* rt_support.c — shared fixtures of the runtime tests (see rt_support.h). */
#include "rt_support.h"

#include "kafka_cluster.h"
#include "redis_cluster.h"
#include "redis_server.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/backend.h"

/* liborca is a static library and registry.c names the backends through weak
 * references, which do not pull archive members in; this strong reference
 * makes sure the SQLite backend is linked into the tests. */
const orca__backend_ops *const rt_force_sqlite = &orca__sqlite_ops;

/* ORCA_RT_BACKEND=redis runs the same tests on a private redis-server
 * (started on first use, one database per environment, stopped at exit by
 * the process that started it); ORCA_RT_BACKEND=split on a SQLite log and a
 * SQLite store in two files, composed (runtime/backend/compose.c);
 * ORCA_RT_BACKEND=sqlite_redis on a SQLite log composed with a Redis store
 * (a database of the same private server); ORCA_RT_BACKEND=redis_sqlite on
 * the Redis log half composed with a SQLite store in the temp dir. */
static orca_test_redis rt_redis;
static pid_t rt_redis_owner;
static int rt_redis_db;

/* ORCA_RT_BACKEND=kafka runs them on the Kafka log (librdkafka's mock
 * cluster started in this process, or ORCA_TEST_KAFKA) with a SQLite store
 * in the temp dir; kafka-redis with the store on the private redis-server.
 * Each environment has its own topic prefix and consumer group. */
static orca_test_kafka rt_kafka;
static pid_t rt_kafka_owner;
static int rt_kafka_envs;

static void rt_kafka_stop(void) {
  if (getpid() == rt_kafka_owner)
    orca_test_kafka_stop(&rt_kafka);
}

static void rt_redis_stop(void) {
  if (getpid() == rt_redis_owner)
    orca_test_redis_stop(&rt_redis);
}

/* ORCA_RT_BACKEND=redis-cluster: a private 6-node Redis Cluster (started
 * on first use, stopped at exit); each environment starts on empty
 * primaries (FLUSHALL), so environments must not overlap in time.
 * sqlite_redis-cluster and kafka-redis-cluster put the store there, beside
 * a SQLite log in the temp dir or the Kafka log. */
static orca_test_cluster rt_cluster;
static pid_t rt_cluster_owner;

static void rt_cluster_stop(void) {
  if (getpid() == rt_cluster_owner)
    orca_test_cluster_stop(&rt_cluster);
}

/* The cluster's URL, its primaries flushed for a new environment. */
static const char *rt_cluster_url(void) {
  if (!rt_cluster_owner) {
    assert_int_equal(orca_test_cluster_start(&rt_cluster), 0);
    rt_cluster_owner = getpid();
    atexit(rt_cluster_stop);
  }
  assert_int_equal(orca_test_cluster_flush(&rt_cluster), 0);
  return rt_cluster.url;
}

bool rt_on_kafka(void) {
  const char *be = getenv("ORCA_RT_BACKEND");
  return be && !strncmp(be, "kafka", 5);
}

void rt_env_init(rt_env *e) {
  snprintf(e->dir, sizeof e->dir, "/tmp/orca-rt-XXXXXX");
  assert_non_null(mkdtemp(e->dir));
  const char *be = getenv("ORCA_RT_BACKEND");
  if (be && !strcmp(be, "redis-cluster")) {
    snprintf(e->url, sizeof e->url, "%s", rt_cluster_url());
    return;
  }
  if (be && !strncmp(be, "kafka", 5)) {
    if (!rt_kafka_owner) {
      assert_int_equal(orca_test_kafka_start(&rt_kafka), 0);
      rt_kafka_owner = getpid();
      atexit(rt_kafka_stop);
    }
    char group[32], store[300], extra[400];
    snprintf(group, sizeof group, "rt%d", ++rt_kafka_envs);
    if (!strcmp(be, "kafka-redis-cluster")) {
      snprintf(store, sizeof store, "%s", rt_cluster_url());
    } else if (!strcmp(be, "kafka-redis")) {
      if (!rt_redis_owner) {
        assert_int_equal(orca_test_redis_start(&rt_redis, false), 0);
        rt_redis_owner = getpid();
        atexit(rt_redis_stop);
      }
      assert_true(rt_redis_db < 15);
      snprintf(store, sizeof store, "%s", orca_test_redis_url(&rt_redis, ++rt_redis_db));
    } else {
      int k = snprintf(store, sizeof store, "sqlite:%s/store.db", e->dir);
      assert_true(k > 0 && (size_t)k < sizeof store);
    }
    /* a short session: a killed worker's partitions move within seconds */
    int k = snprintf(extra, sizeof extra,
                     "session.timeout.ms=6000&heartbeat.interval.ms=500&store=%s", store);
    assert_true(k > 0 && (size_t)k < sizeof extra);
    char prefix[sizeof rt_kafka.prefix];
    memcpy(prefix, rt_kafka.prefix, sizeof prefix);
    snprintf(rt_kafka.prefix, sizeof rt_kafka.prefix, "%.30se%d.", prefix, rt_kafka_envs);
    k = snprintf(e->url, sizeof e->url, "%s", orca_test_kafka_url(&rt_kafka, group, extra));
    assert_true(k > 0 && (size_t)k < sizeof e->url);
    memcpy(rt_kafka.prefix, prefix, sizeof prefix);
    return;
  }
  if (be && !strcmp(be, "sqlite_redis-cluster")) {
    int k = snprintf(e->url, sizeof e->url, "sqlite:%s/log.db?store=%s", e->dir, rt_cluster_url());
    assert_true(k > 0 && (size_t)k < sizeof e->url);
    return;
  }
  bool on_redis = be && !strcmp(be, "redis"), redis_store = be && !strcmp(be, "sqlite_redis");
  bool redis_log = be && !strcmp(be, "redis_sqlite");
  if (on_redis || redis_store || redis_log) {
    if (!rt_redis_owner) {
      assert_int_equal(orca_test_redis_start(&rt_redis, false), 0);
      rt_redis_owner = getpid();
      atexit(rt_redis_stop);
    }
    assert_true(rt_redis_db < 15); /* databases 1..15, one per environment */
    const char *ru = orca_test_redis_url(&rt_redis, ++rt_redis_db);
    int k = on_redis    ? snprintf(e->url, sizeof e->url, "%s", ru)
            : redis_log ? snprintf(e->url, sizeof e->url, "%s?store=sqlite:%s/store.db", ru, e->dir)
                        : snprintf(e->url, sizeof e->url, "sqlite:%s/log.db?store=%s", e->dir, ru);
    assert_true(k > 0 && (size_t)k < sizeof e->url);
    return;
  }
  if (be && !strcmp(be, "split")) {
    int k = snprintf(e->url, sizeof e->url, "sqlite:%s/log.db?store=sqlite:%s/store.db", e->dir,
                     e->dir);
    assert_true(k > 0 && (size_t)k < sizeof e->url);
  } else {
    snprintf(e->url, sizeof e->url, "sqlite:%s/orca.db", e->dir);
  }
}

void rt_env_done(rt_env *e) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", e->dir);
}

static int64_t rt_clock_now(void *ctx) {
  return atomic_load(&((rt_clock *)ctx)->now);
}

void rt_clock_init(rt_clock *c, int64_t start_us) {
  c->clock.now_us = rt_clock_now;
  c->clock.ctx = c;
  atomic_store(&c->now, start_us);
}

void rt_clock_advance(rt_clock *c, int64_t us) {
  atomic_fetch_add(&c->now, us);
}

static void note_run(int64_t v);

static void *run_thread(void *arg) {
  rt_worker *rw = arg;
  rw->rc = orca_worker_run(rw->w, NULL);
  return NULL;
}

void rt_worker_start(rt_worker *rw, const orca_worker_opts *opts) {
  orca_err err = {0};
  int rc = orca_worker_open(opts, &rw->w, &err);
  if (rc)
    fprintf(stderr, "orca_worker_open: %s\n", err.msg);
  assert_int_equal(rc, 0);
  assert_int_equal(rt_register_all(rw->w, NULL, NULL), 0);
  assert_int_equal(pthread_create(&rw->tid, NULL, run_thread, rw), 0);
}

void rt_worker_run_async(rt_worker *rw) {
  assert_int_equal(pthread_create(&rw->tid, NULL, run_thread, rw), 0);
}

int rt_enqueue_note(int64_t v) {
  note_run(v);
  return 0;
}

int rt_worker_join(rt_worker *rw) {
  pthread_join(rw->tid, NULL);
  orca_worker_close(rw->w);
  rw->w = NULL;
  return rw->rc;
}

/* ---- task descriptors, written as orcac would emit them ---- */

static const orca_field rt_fields[] = {
    {"n", 1, 0, offsetof(rt_args, n), -1, &orca_type_i64, NULL, NULL},
    {"s", 2, 0, offsetof(rt_args, s), -1, &orca_type_string, NULL, NULL},
};
const orca_struct_desc rt_args_desc = {"t.args", "rt_args", sizeof(rt_args), _Alignof(rt_args),
                                       2,        rt_fields, 0x5eed0001u,     NULL};
const orca_type rt_args_type = {
    ORCA_KIND_STRUCT, sizeof(rt_args), _Alignof(rt_args), &rt_args_desc, NULL, NULL, NULL,
    "t.args"};

typedef int (*rt_handler_fn)(orca_ctx *ctx, const rt_args *args, int64_t *result);

int rt_invoke(orca_fn fn, orca_ctx *ctx, const void *args, void *result) {
  return ((rt_handler_fn)fn)(ctx, args, result);
}

static pthread_mutex_t ev_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ev_cv = PTHREAD_COND_INITIALIZER;
static int ev_started, ev_calls, ev_nruns, ev_saw_cancel;
static bool ev_gate;
static int64_t ev_runs[256];

void rt_events_reset(void) {
  pthread_mutex_lock(&ev_mu);
  ev_started = ev_calls = ev_nruns = ev_saw_cancel = 0;
  ev_gate = false;
  pthread_mutex_unlock(&ev_mu);
}

void rt_gate_open(void) {
  pthread_mutex_lock(&ev_mu);
  ev_gate = true;
  pthread_cond_broadcast(&ev_cv);
  pthread_mutex_unlock(&ev_mu);
}

void rt_wait_started(int k) {
  pthread_mutex_lock(&ev_mu);
  while (ev_started < k)
    pthread_cond_wait(&ev_cv, &ev_mu);
  pthread_mutex_unlock(&ev_mu);
}

int rt_runs(int64_t *out, int max) {
  pthread_mutex_lock(&ev_mu);
  int n = ev_nruns < max ? ev_nruns : max;
  memcpy(out, ev_runs, (size_t)n * sizeof *out);
  pthread_mutex_unlock(&ev_mu);
  return n;
}

int rt_calls(void) {
  pthread_mutex_lock(&ev_mu);
  int n = ev_calls;
  pthread_mutex_unlock(&ev_mu);
  return n;
}

int rt_block_saw_cancel(void) {
  pthread_mutex_lock(&ev_mu);
  int n = ev_saw_cancel;
  pthread_mutex_unlock(&ev_mu);
  return n;
}

static void note_run(int64_t v) {
  pthread_mutex_lock(&ev_mu);
  ev_calls++;
  if (ev_nruns < 256)
    ev_runs[ev_nruns++] = v;
  pthread_cond_broadcast(&ev_cv);
  pthread_mutex_unlock(&ev_mu);
}

static const char *const hdr_keys[] = {"trace", "tenant", "from_hook", "missing"};
static char hdr_vals[4][64];

const char *rt_last_header(const char *key) {
  for (int i = 0; i < 4; i++)
    if (strcmp(key, hdr_keys[i]) == 0)
      return hdr_vals[i];
  return "(unknown key)";
}

static int h_add(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  pthread_mutex_lock(&ev_mu);
  for (int i = 0; i < 4; i++) {
    const char *v = orca_ctx_header(ctx, hdr_keys[i]);
    snprintf(hdr_vals[i], sizeof hdr_vals[i], "%s", v ? v : "(null)");
  }
  pthread_mutex_unlock(&ev_mu);
  note_run(a->n);
  *r = a->n + (int64_t)(a->s ? strlen(a->s) : 0);
  return 0;
}

static int h_flaky(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  uint32_t at = orca_ctx_attempt(ctx);
  note_run(at);
  if (at <= (uint32_t)a->n)
    return orca_ctx_fail(ctx, "boom %u", at);
  *r = at;
  return 0;
}

static int h_block(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  pthread_mutex_lock(&ev_mu);
  ev_started++;
  ev_calls++;
  pthread_cond_broadcast(&ev_cv);
  int rc = 0;
  while (!ev_gate) {
    if (orca_ctx_cancelled(ctx)) {
      ev_saw_cancel = 1;
      rc = ORCA_ECANCELLED;
      break;
    }
    /* The cancelled flag has no wake-up of its own (it is a flag a handler
     * polls, by contract), so re-check it every few milliseconds. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 2000000;
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&ev_cv, &ev_mu, &ts);
  }
  pthread_mutex_unlock(&ev_mu);
  *r = a->n;
  return rc;
}

static int h_record(orca_ctx *ctx, const rt_args *a, int64_t *r) {
  (void)ctx;
  note_run(a->n);
  *r = a->n;
  return 0;
}

#define TASK(var, cv, NAME) cv orca_task_desc var = RT_TASK_DESC(NAME)

TASK(rt_task_add, const, "t.add");
TASK(rt_task_flaky, , "t.flaky");
TASK(rt_task_block, , "t.block");
TASK(rt_task_record, , "t.record");
orca_task_desc rt_task_cached = {.name = "t.cached",
                                 .queue = "default",
                                 .args = &rt_args_desc,
                                 .args_type = &rt_args_type,
                                 .result = &orca_type_i64,
                                 .invoke = rt_invoke,
                                 .retry = {1, ORCA_BACKOFF_NONE, 0, 0, false},
                                 .cache_ttl_us = 600LL * 1000000};
orca_task_desc rt_task_unique = {.name = "t.unique",
                                 .queue = "default",
                                 .args = &rt_args_desc,
                                 .args_type = &rt_args_type,
                                 .result = &orca_type_i64,
                                 .invoke = rt_invoke,
                                 .retry = {1, ORCA_BACKOFF_NONE, 0, 0, false},
                                 .unique_ttl_us = 3600LL * 1000000};

int rt_register_all(orca_worker *w, void *ud, orca_err *err) {
  (void)ud;
  int rc = 0;
  rc |= orca_worker_handle(w, &rt_task_add, (orca_fn)h_add, err);
  rc |= orca_worker_handle(w, &rt_task_flaky, (orca_fn)h_flaky, err);
  rc |= orca_worker_handle(w, &rt_task_block, (orca_fn)h_block, err);
  rc |= orca_worker_handle(w, &rt_task_record, (orca_fn)h_record, err);
  rc |= orca_worker_handle(w, &rt_task_cached, (orca_fn)h_record, err);
  rc |= orca_worker_handle(w, &rt_task_unique, (orca_fn)h_record, err);
  return rc;
}

/* ---- log capture ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t log_cv = PTHREAD_COND_INITIALIZER;
static char log_lines[512][300];
static int log_n;

static void log_sink(void *ud, orca_log_level level, const char *msg) {
  (void)ud;
  if (level >= ORCA_LOG_WARN || getenv("RT_VERBOSE"))
    fprintf(stderr, "log: %s\n", msg);
  pthread_mutex_lock(&log_mu);
  if (log_n < 512)
    snprintf(log_lines[log_n++], sizeof log_lines[0], "%s", msg);
  pthread_cond_broadcast(&log_cv);
  pthread_mutex_unlock(&log_mu);
}

void rt_log_capture(void) {
  pthread_mutex_lock(&log_mu);
  log_n = 0;
  pthread_mutex_unlock(&log_mu);
  orca_log_set(log_sink, NULL, ORCA_LOG_DEBUG);
}

static int count_locked(const char *needle) {
  int k = 0;
  for (int i = 0; i < log_n; i++)
    if (strstr(log_lines[i], needle))
      k++;
  return k;
}

int rt_log_count(const char *needle) {
  pthread_mutex_lock(&log_mu);
  int k = count_locked(needle);
  pthread_mutex_unlock(&log_mu);
  return k;
}

void rt_log_wait(const char *needle, int k) {
  pthread_mutex_lock(&log_mu);
  while (count_locked(needle) < k)
    pthread_cond_wait(&log_cv, &log_mu);
  pthread_mutex_unlock(&log_mu);
}

int rt_enqueue(orca_client *c, const orca_task_desc *t, int64_t n, const char *s,
               const orca_enqueue_opts *o, char *id_out) {
  rt_args a = {n, (char *)s};
  orca_err err = {0};
  int rc = orca_enqueue(c, t, &a, o, id_out, &err);
  if (rc && rc != ORCA_EDUPLICATE)
    fprintf(stderr, "enqueue: %s\n", err.msg);
  return rc;
}

int rt_fork_children(int n, pid_t *pids, void (*child)(int fd, int i, void *ud), void *ud) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  for (int i = 0; i < n; i++) {
    pids[i] = fork();
    assert_true(pids[i] >= 0);
    if (pids[i] == 0) {
      close(fds[0]);
      child(fds[1], i, ud);
      _exit(5); /* child() must not return */
    }
  }
  close(fds[1]);
  return fds[0];
}

bool rt_read_lines(int fd, rt_lines *l, int timeout_ms, void (*line)(void *ud, char *text),
                   void *ud) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int pr;
  while ((pr = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
    ;
  if (pr != 1)
    fail_msg("nothing arrived on the children's pipe for %d ms", timeout_ms);
  ssize_t k = read(fd, l->buf + l->len, sizeof l->buf - 1 - l->len);
  assert_true(k >= 0);
  if (k == 0)
    return false;
  l->len += (size_t)k;
  l->buf[l->len] = '\0';
  char *text = l->buf, *nl;
  while ((nl = strchr(text, '\n'))) {
    *nl = '\0';
    line(ud, text);
    text = nl + 1;
  }
  l->len = strlen(text);
  memmove(l->buf, text, l->len);
  return true;
}

double rt_seconds_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

orca_client *rt_client(const rt_env *e, const orca_clock *clock) {
  orca_client_opts o = {.backend = e->url, .clock = clock};
  orca_client *c = NULL;
  orca_err err = {0};
  int rc = orca_client_open(&o, &c, &err);
  if (rc)
    fprintf(stderr, "client: %s\n", err.msg);
  assert_int_equal(rc, 0);
  return c;
}

int rt_setup(void **st) {
  rt_env *e = calloc(1, sizeof *e);
  rt_env_init(e);
  rt_events_reset();
  rt_log_capture();
  *st = e;
  return 0;
}

int rt_teardown(void **st) {
  rt_env_done(*st);
  free(*st);
  return 0;
}

void rt_inspect(orca_client *c, const char *id, orca_task_info *info) {
  memset(info, 0, sizeof *info);
  orca_err err = {0};
  assert_int_equal(orca_inspect(c, id, info, &err), 0);
  orca_buf_free(&info->result);
  orca_buf_free(&info->args);
}
