/* bench_redis.c — Orcastra's Redis Streams backend at the backend level:
 * enqueue rate (batches), processing rate with the queue pre-filled (fetch
 * up to 256, complete the batch with a result, state records kept for an
 * hour: acks and state tracking on), and enqueue->start latency of a steady
 * stream at a given rate.
 *
 * Usage: bench_redis --url URL [--n N] [--batch B] [--workers W]
 *                    [--rate R] [--secs S] [--mode all|throughput|latency|fill|drain]
 *                    [--queues Q1,Q2,...]
 * (--queues: batches go round-robin to these queues, default "bench", and
 * worker w serves queue w modulo their number: on a Redis Cluster, queues
 * whose slots live on different primaries spread the load over them)
 * (fill and drain run only the enqueue or only the processing half, to
 * profile each with INFO commandstats or perf)
 * Prints a table and `RESULT orca_redis_<what> <value>` lines. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"

#define FETCH_MAX 256

static const char *url;
static long n_tasks = 100000, batch = 256, workers = 2, rate = 0;
static double secs = 3;
static const char *mode = "all";
#define MAX_QUEUES 16
static const char *queues[MAX_QUEUES] = {"bench"};
static size_t nqueues = 1;
/* Consumers that have connected and loaded their scripts. The latency run
 * starts its stream only once all are up, so connection setup (tens of ms)
 * is not counted as enqueue->start latency of the first tasks. */
static atomic_int ready;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static orca__backend *open_or_die(void) {
  orca__backend *b = NULL;
  orca_err err = {0};
  if (orca__backend_open(url, NULL, &b, &err)) {
    fprintf(stderr, "bench_redis: %s\n", err.msg);
    exit(1);
  }
  return b;
}

/* Enqueue n tasks named PREFIX<k> in batches; payload is 64 bytes whose
 * first 8 hold the enqueue time (ns) for the latency run. */
static void enqueue_range(orca__backend *b, const char *prefix, long from, long n, long bsz) {
  orca__job *jobs = calloc((size_t)bsz, sizeof *jobs);
  orca__enqueue_result *res = calloc((size_t)bsz, sizeof *res);
  char(*ids)[32] = calloc((size_t)bsz, sizeof *ids);
  uint8_t(*pay)[64] = calloc((size_t)bsz, sizeof *pay);
  for (long k = from; k < from + n;) {
    long m = 0;
    int64_t t = wall_ns();
    const char *queue = queues[(size_t)(k / bsz) % nqueues]; /* one queue per batch */
    for (; m < bsz && k < from + n; m++, k++) {
      snprintf(ids[m], sizeof ids[m], "%s%ld", prefix, k);
      memset(pay[m], 'x', 64);
      memcpy(pay[m], &t, sizeof t);
      jobs[m] = (orca__job){.id = ids[m],
                            .task = "bench.noop",
                            .queue = queue,
                            .payload = pay[m],
                            .payload_len = 64,
                            .state_ttl_us = 3600000000LL};
    }
    if (b->ops->enqueue(b, jobs, (size_t)m, res)) {
      fprintf(stderr, "bench_redis: enqueue failed\n");
      exit(1);
    }
  }
  free(jobs);
  free(res);
  free(ids);
  free(pay);
}

typedef struct consumer {
  pthread_t th;
  int id;
  atomic_long *done;
  long target;
  int64_t *lat; /* latency samples (ns) or NULL */
  atomic_long *nlat;
  long latcap;
} consumer;

static void *consume(void *arg) {
  consumer *c = arg;
  orca__backend *b = open_or_die();
  atomic_fetch_add(&ready, 1);
  static _Thread_local orca__lease pool[FETCH_MAX];
  orca__lease *slots[FETCH_MAX];
  orca__completion done[FETCH_MAX];
  for (int i = 0; i < FETCH_MAX; i++)
    slots[i] = &pool[i];
  char worker[32];
  snprintf(worker, sizeof worker, "bench-%d", c->id);
  const char *qs[1] = {queues[(size_t)c->id % nqueues]};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = worker, .lease_us = 30000000, .wait_us = 50000};
  while (atomic_load(c->done) < c->target) {
    size_t got = 0;
    if (b->ops->fetch(b, &req, slots, FETCH_MAX, &got) || got == 0)
      continue;
    int64_t t = wall_ns();
    for (size_t i = 0; i < got; i++) {
      if (c->lat && slots[i]->payload.len >= 8) {
        int64_t t0;
        memcpy(&t0, slots[i]->payload.data, sizeof t0);
        long k = atomic_fetch_add(c->nlat, 1);
        if (k < c->latcap)
          c->lat[k] = t - t0;
      }
      done[i] = (orca__completion){.lease = slots[i],
                                   .outcome = ORCA__ACK,
                                   .state = ORCA_STATE_SUCCEEDED,
                                   .worker = worker,
                                   .attempt = 1,
                                   .started_us = t / 1000,
                                   .result = (const uint8_t *)"\xc0",
                                   .result_len = 1,
                                   .ttl_us = 3600000000LL};
    }
    if (b->ops->complete(b, done, got)) {
      fprintf(stderr, "bench_redis: complete failed\n");
      exit(1);
    }
    atomic_fetch_add(c->done, (long)got);
  }
  for (int i = 0; i < FETCH_MAX; i++)
    orca_buf_free(&pool[i].payload);
  orca__backend_close(b);
  return NULL;
}

static void run_consumers(consumer *cs, long target, atomic_long *done, int64_t *lat,
                          atomic_long *nlat, long latcap) {
  for (long w = 0; w < workers; w++) {
    cs[w] = (consumer){
        .id = (int)w, .done = done, .target = target, .lat = lat, .nlat = nlat, .latcap = latcap};
    pthread_create(&cs[w].th, NULL, consume, &cs[w]);
  }
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--url"))
      url = argv[i + 1];
    else if (!strcmp(argv[i], "--n"))
      n_tasks = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--batch"))
      batch = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--workers"))
      workers = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--rate"))
      rate = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--secs"))
      secs = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--mode"))
      mode = argv[i + 1];
    else if (!strcmp(argv[i], "--queues")) {
      nqueues = 0;
      for (char *q = strtok(argv[i + 1], ","); q && nqueues < MAX_QUEUES; q = strtok(NULL, ","))
        queues[nqueues++] = q;
    }
  }
  if (!url || n_tasks <= 0 || batch <= 0 || workers <= 0 || workers > 64 || nqueues == 0) {
    fprintf(stderr, "usage: bench_redis --url URL [--n N] [--batch B] [--workers W] "
                    "[--rate R] [--secs S] [--mode all|throughput|latency|fill|drain] "
                    "[--queues Q1,Q2,...]\n");
    return 2;
  }
  if (!orca__redis_ops.open)
    return 1;
  orca__backend *b = open_or_die();
  double proc_rate = 0;
  if (!strcmp(mode, "fill") || !strcmp(mode, "drain")) {
    /* Profiling aids: only the enqueue half, or only the processing half of
     * a throughput run (after a fill of the same N). */
    double t0 = now_s();
    if (!strcmp(mode, "fill")) {
      enqueue_range(b, "t", 0, n_tasks, batch);
    } else {
      atomic_long done = 0;
      consumer cs[64];
      run_consumers(cs, n_tasks, &done, NULL, NULL, 0);
      for (long w = 0; w < workers; w++)
        pthread_join(cs[w].th, NULL);
    }
    printf("RESULT orca_redis_%s_per_s %.0f\n", mode, n_tasks / (now_s() - t0));
  } else if (strcmp(mode, "latency")) {
    double t0 = now_s();
    enqueue_range(b, "t", 0, n_tasks, batch);
    double enq = n_tasks / (now_s() - t0);
    atomic_long done = 0;
    consumer cs[64];
    t0 = now_s();
    run_consumers(cs, n_tasks, &done, NULL, NULL, 0);
    for (long w = 0; w < workers; w++)
      pthread_join(cs[w].th, NULL);
    proc_rate = n_tasks / (now_s() - t0);
    printf("orca redis: %ld tasks, enqueue batch %ld: %.0f/s; process (%ld workers, fetch %d, "
           "acks+state): %.0f/s\n",
           n_tasks, batch, enq, workers, FETCH_MAX, proc_rate);
    printf("RESULT orca_redis_enqueue_per_s %.0f\n", enq);
    printf("RESULT orca_redis_process_per_s %.0f\n", proc_rate);
  }
  if (!strcmp(mode, "all") || !strcmp(mode, "latency")) {
    long r = rate > 0 ? rate : (long)(proc_rate / 2);
    if (r <= 0)
      r = 10000;
    long total = (long)(r * secs);
    long cap = total + 1024;
    int64_t *lat = calloc((size_t)cap, sizeof *lat);
    atomic_long done = 0, nlat = 0;
    consumer cs[64];
    atomic_store(&ready, 0);
    run_consumers(cs, total, &done, lat, &nlat, cap);
    while (atomic_load(&ready) < workers) {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
    /* A steady stream: every millisecond, the tasks due by then. */
    double start = now_s();
    long sent = 0;
    while (sent < total) {
      double el = now_s() - start;
      long due = (long)(el * r);
      if (due > total)
        due = total;
      if (due > sent) {
        enqueue_range(b, "l", sent, due - sent, batch);
        sent = due;
      } else {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
      }
    }
    for (long w = 0; w < workers; w++)
      pthread_join(cs[w].th, NULL);
    long m = atomic_load(&nlat);
    if (m > cap)
      m = cap;
    qsort(lat, (size_t)m, sizeof *lat, cmp64);
    double p50 = m ? lat[m / 2] / 1e6 : 0, p99 = m ? lat[m * 99 / 100] / 1e6 : 0,
           mx = m ? lat[m - 1] / 1e6 : 0;
    printf("orca redis latency at %ld/s for %.1fs (%ld tasks): enqueue->start p50 %.3f ms, "
           "p99 %.3f ms, max %.3f ms\n",
           r, secs, m, p50, p99, mx);
    printf("RESULT orca_redis_latency_rate_per_s %ld\n", r);
    printf("RESULT orca_redis_latency_p50_ms %.3f\n", p50);
    printf("RESULT orca_redis_latency_p99_ms %.3f\n", p99);
    free(lat);
  }
  orca__backend_close(b);
  return 0;
}
