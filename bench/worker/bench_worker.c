/* bench_worker.c — the worker-level benchmark: the full runtime on one
 * backend, through the public API only. The producer enqueues N
 * benchworker.noop tasks (one i64 argument) with orca_enqueue_many in
 * batches; then one orca_worker (concurrency C, prefetch P) in this process
 * runs them all: envelope decode, pump thread, handler threads, batched
 * acks and state records. The worker stops itself after N finished tasks
 * (orca_worker_opts.max_tasks). With --procs W, W worker processes (forked
 * after the enqueue) share the queue and stop when all N ran. With --rate R
 * the producer sends a steady stream of R tasks/s for --secs S beside the
 * running worker and the handler measures enqueue->start latency.
 *
 * Checks, so a fast wrong run is not reported as a fast run: every seq
 * 0..N-1 ran exactly once (a bitmap the handler fills), the worker stopped
 * by max_tasks and not by an error, a sample of the tasks is in state
 * succeeded, and no WARN/ERROR line came from liborca. A watchdog stops the
 * worker when no task finishes for --stall seconds (a hang guard; the run
 * then fails and says how far it got).
 *
 * Usage: bench_worker --url URL [--n N] [--concurrency C] [--prefetch P]
 *                     [--batch B] [--live 0|1] [--stall SECS] [--metrics HOST:PORT]
 *   --n            tasks (default 50000)
 *   --concurrency  handler threads (default 4)
 *   --prefetch     orca_worker_opts.prefetch (default 0: the worker default)
 *   --batch        tasks per orca_enqueue_many call (default 1000)
 *   --live 1       enqueue from a second thread while the worker runs (the
 *                  worker starts on an empty queue; its rate is then end to
 *                  end); default 0: enqueue everything first
 *   --stall        watchdog: seconds without a finished task (default 30)
 *   --metrics      orca_worker_opts.metrics: record and serve Prometheus
 *                  metrics (what they cost per task; default off)
 *   --procs W      W worker processes share the queue (default 1)
 *   --rate R       latency mode: R tasks/s for --secs S (default 3) beside
 *                  the worker, every millisecond the tasks due by then;
 *                  prints enqueue->start p50/p99/max (N becomes R * S)
 *   --hold 1       after enqueueing print "# held" and wait for a line on
 *                  stdin before the worker starts (lets a script reset and
 *                  read the backend's statistics for the processing half)
 * Prints `# ...` detail lines, then `RESULT worker_<backend>_enqueue_per_s X`
 * and `RESULT worker_<backend>_process_per_s Y` (backend from the URL
 * scheme), `RESULT worker_<backend>_process_active_per_s Z` (from the first
 * handler call to the last: a Kafka group join or a start-up not counted),
 * in latency mode `RESULT worker_<backend>_latency_{p50,p99,max}_ms` (task 0
 * goes alone first, and the steady stream starts once it ran).
 * Exit 0, 1 when a check failed, 2 on usage errors. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "worker.orca.h"

static const char *url;
static const char *metrics; /* --metrics HOST:PORT, NULL = off */
static long n_tasks = 50000;
static long concurrency = 4;
static long prefetch;
static long batch = 1000;
static long stall_s = 30;
static long live;      /* 1: enqueue beside the running worker */
static long hold;      /* 1: wait for a line on stdin between enqueue and worker */
static long procs = 1; /* worker processes */
static long rate;      /* latency mode: tasks per second, 0 = off */
static double secs = 3;

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- what the handlers and the log callback share ------------------------ */

/* Shared with the worker processes of --procs (MAP_SHARED memory; the
 * atomics are lock-free, so they work across processes). */
typedef struct run_state {
  atomic_long done;      /* handler calls */
  atomic_long bad_seq;   /* seq out of 0..N-1 */
  atomic_long repeats;   /* calls for a seq that had already run */
  atomic_llong last_ns;  /* mono_ns() at the latest handler call */
  atomic_llong first_ns; /* mono_ns() at the first handler call */
  atomic_long log_warns; /* WARN and ERROR lines from liborca */
} run_state;

static run_state *stp;
#define st (*stp)
static atomic_uchar *seen;   /* seen[seq]: times seq ran (saturates at 255); shared */
static _Atomic int64_t *enq; /* latency mode: mono_ns() before seq's enqueue call */
static int64_t *lat;         /* latency mode: start - enqueue of seq, ns */

/* Zeroed memory the forked worker processes share; exits on failure. */
static void *shared_alloc(size_t n) {
  void *p = mmap(NULL, n ? n : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    fprintf(stderr, "bench_worker: out of memory\n");
    exit(1);
  }
  return p;
}

/* benchworker.noop: record that seq ran; returns seq. Never fails. */
static int noop(orca_ctx *ctx, const benchworker_noop_args *args, int64_t *result) {
  (void)ctx;
  int64_t seq = args->seq, now = mono_ns();
  if (seq < 0 || seq >= n_tasks) {
    atomic_fetch_add(&st.bad_seq, 1);
  } else {
    unsigned char prev = atomic_fetch_add(&seen[seq], 1);
    if (prev != 0)
      atomic_fetch_add(&st.repeats, 1);
    if (prev == 255)
      atomic_store(&seen[seq], 255);
    if (lat && prev == 0)
      lat[seq] = now - atomic_load(&enq[seq]);
  }
  long long zero = 0;
  atomic_compare_exchange_strong(&st.first_ns, &zero, (long long)now);
  atomic_store(&st.last_ns, now);
  atomic_fetch_add(&st.done, 1);
  *result = seq;
  return 0;
}

static const benchworker_handlers handlers = {.noop = noop};

/* liborca's log lines: WARN and above are counted (a clean run has none) and
 * echoed to stderr, the first 20 only. */
static void on_log(void *ud, orca_log_level level, const char *msg) {
  (void)ud;
  if (level < ORCA_LOG_WARN)
    return;
  long k = atomic_fetch_add(&st.log_warns, 1);
  if (k < 20)
    fprintf(stderr, "bench_worker: orca %s: %s\n", level == ORCA_LOG_WARN ? "WARN" : "ERROR", msg);
}

/* ---- the watchdog ---------------------------------------------------------- */

typedef struct watchdog {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool finished; /* orca_worker_run returned */
  bool fired;    /* the watchdog stopped the worker */
  orca_worker *w;
} watchdog;

/* Wait for the run to finish; stop the worker when no task finished for
 * stall_s seconds (a guard against a hang, not a synchronization). */
static void *watch(void *arg) {
  watchdog *wd = arg;
  pthread_mutex_lock(&wd->mu);
  long last_done = -1;
  int64_t last_change = mono_ns();
  while (!wd->finished) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    if (procs > 1) { /* poll the shared count every 2 ms */
      until.tv_sec -= 1;
      until.tv_nsec += 2000000;
      if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
      }
    }
    pthread_cond_timedwait(&wd->cv, &wd->mu, &until);
    if (wd->finished)
      break;
    long d = atomic_load(&st.done);
    if (procs > 1 && d >= n_tasks) {
      orca_worker_stop(wd->w); /* all ran, across the processes */
      break;
    }
    if (d != last_done) {
      last_done = d;
      last_change = mono_ns();
    } else if (mono_ns() - last_change > (int64_t)stall_s * 1000000000) {
      fprintf(stderr, "bench_worker: no task finished for %ld s (%ld of %ld ran); stopping\n",
              stall_s, d, n_tasks);
      wd->fired = true;
      orca_worker_stop(wd->w);
      break;
    }
  }
  pthread_mutex_unlock(&wd->mu);
  return NULL;
}

/* ---- the producer ---------------------------------------------------------- */

/* The enqueue side: its client (used by one thread at a time), batch
 * scratch, the ids of a sample of the tasks (every stride-th) and the
 * outcome. */
enum { SAMPLES = 64 };
typedef struct producer_state {
  orca_client *c;
  benchworker_noop_args *args;
  const void **argp;
  int *status;
  char *ids;
  char (*sample)[ORCA_ID_MAX];
  size_t nsample;
  long enq_failed;
  int rc;         /* orca_enqueue_many's error that stopped it, 0 = none */
  int64_t t0, t1; /* mono_ns() around the enqueues */
} producer_state;

/* Enqueue tasks 0..N-1 in batches of `batch` with orca_enqueue_many. Never
 * fails as a whole: a per-task status is counted in enq_failed, a batch error
 * stops it with rc set. Returns NULL (a thread body). */
static void *producer(void *arg) {
  producer_state *p = arg;
  orca_err err = {0};
  long stride = n_tasks / SAMPLES + 1;
  p->t0 = mono_ns();
  bool warmed = false;
  for (long base = 0; base < n_tasks;) {
    size_t k = (size_t)(n_tasks - base < batch ? n_tasks - base : batch);
    if (rate && base == 0) /* task 0 alone, a warm-up: the worker is up (a Kafka */
      k = 1;               /* group joined) when the steady stream starts */
    if (rate && base == 1 && !warmed) {
      warmed = true;
      while (atomic_load(&st.done) == 0 && !atomic_load(&st.log_warns)) {
        struct timespec ts = {0, 1000000}; /* pacing a bench, not a test */
        nanosleep(&ts, NULL);
      }
      p->t0 = mono_ns() - (int64_t)(1e9 / (double)rate);
    }
    if (rate && base > 0) { /* a steady stream: every millisecond, the tasks due by then */
      long due = (long)((double)(mono_ns() - p->t0) / 1e9 * (double)rate);
      if (due <= base) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
        continue;
      }
      if ((long)k > due - base)
        k = (size_t)(due - base);
    }
    int64_t sent_ns = mono_ns();
    for (size_t j = 0; j < k; j++) {
      p->args[j].seq = base + (long)j;
      p->argp[j] = &p->args[j];
      if (enq)
        atomic_store(&enq[base + (long)j], sent_ns);
    }
    int rc =
        orca_enqueue_many(p->c, &benchworker_noop__task, p->argp, k, NULL, p->ids, p->status, &err);
    if (rc) {
      fprintf(stderr, "bench_worker: enqueue_many at %ld: %s\n", base, err.msg);
      p->rc = rc;
      break;
    }
    for (size_t j = 0; j < k; j++) {
      if (p->status[j]) {
        if (p->enq_failed++ < 5)
          fprintf(stderr, "bench_worker: task %ld not enqueued: %s\n", base + (long)j,
                  orca_strerror(p->status[j]));
      } else if ((base + (long)j) % stride == 0 && p->nsample <= SAMPLES) {
        memcpy(p->sample[p->nsample++], p->ids + j * ORCA_ID_MAX, ORCA_ID_MAX);
      }
    }
    base += (long)k;
  }
  p->t1 = mono_ns();
  return NULL;
}

/* Print the enqueue line; returns 1 when the producer failed, else 0. */
static int report_enqueue(const producer_state *p, const char *backend) {
  double enq_s = (double)(p->t1 - p->t0) / 1e9;
  printf("# %s: enqueued %ld in %.3f s (orca_enqueue_many, batches of %ld%s): %.0f/s\n", backend,
         n_tasks, enq_s, batch, live ? ", beside the running worker" : "", (double)n_tasks / enq_s);
  if (p->rc || p->enq_failed) {
    fprintf(stderr, "bench_worker: %ld tasks not enqueued%s\n", p->enq_failed,
            p->rc ? ", and a batch failed" : "");
    return 1;
  }
  return 0;
}

/* ---- main ------------------------------------------------------------------ */

static int usage(void) {
  fprintf(stderr, "usage: bench_worker --url URL [--n N] [--concurrency C] [--prefetch P] "
                  "[--batch B] [--live 0|1] [--stall SECS] [--hold 0|1] [--procs W] [--rate R] "
                  "[--secs S] [--metrics HOST:PORT]\n");
  return 2;
}

/* Parse a non-negative integer option value into *out; false when it is not one. */
static bool parse_long(const char *s, long min, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < min)
    return false;
  *out = v;
  return true;
}

/* Open one worker, run it to the end (max_tasks in one process; with
 * --procs, until the shared count reaches N) with the watchdog, close it.
 * With a live producer, it runs beside the worker. Sets *t2, *t3 (mono_ns
 * around orca_worker_run). Returns 0, or 1 when something failed. */
static int run_worker(producer_state *pr, const char *backend, int64_t *t2, int64_t *t3) {
  orca_err err = {0};
  orca_worker_opts wo = {.backend = url,
                         .concurrency = (unsigned)concurrency,
                         .prefetch = (unsigned)prefetch,
                         .max_tasks = procs > 1 ? 0 : (unsigned)n_tasks,
                         .metrics = metrics};
  orca_worker *w = NULL;
  if (orca_worker_open(&wo, &w, &err)) {
    fprintf(stderr, "bench_worker: worker: %s\n", err.msg);
    return 1;
  }
  if (benchworker_register(w, &handlers, &err)) {
    fprintf(stderr, "bench_worker: register: %s\n", err.msg);
    return 1;
  }
  watchdog wd = {.w = w};
  pthread_mutex_init(&wd.mu, NULL);
  pthread_cond_init(&wd.cv, NULL);
  pthread_t wt;
  if (pthread_create(&wt, NULL, watch, &wd)) {
    fprintf(stderr, "bench_worker: watchdog thread\n");
    return 1;
  }
  *t2 = mono_ns();
  pthread_t pt;
  if (live && pthread_create(&pt, NULL, producer, pr)) {
    fprintf(stderr, "bench_worker: producer thread\n");
    return 1;
  }
  int run_rc = orca_worker_run(w, &err);
  *t3 = mono_ns();
  int failed = 0;
  if (live) {
    pthread_join(pt, NULL);
    failed |= report_enqueue(pr, backend);
  }
  pthread_mutex_lock(&wd.mu);
  wd.finished = true;
  pthread_cond_signal(&wd.cv);
  pthread_mutex_unlock(&wd.mu);
  pthread_join(wt, NULL);
  orca_worker_close(w);
  if (run_rc) {
    fprintf(stderr, "bench_worker: orca_worker_run returned %s\n", orca_strerror(run_rc));
    failed = 1;
  }
  return failed || wd.fired;
}

/* Fork `procs` worker processes and wait for all; *t2, *t3 as run_worker.
 * Returns 0, or 1 when one failed. */
static int run_procs(producer_state *pr, const char *backend, int64_t *t2, int64_t *t3) {
  pid_t pids[64];
  fflush(stdout);
  fflush(stderr);
  *t2 = mono_ns();
  for (long i = 0; i < procs; i++) {
    pids[i] = fork();
    if (pids[i] < 0) {
      fprintf(stderr, "bench_worker: fork failed\n");
      return 1;
    }
    if (pids[i] == 0) {
      int64_t a, b;
      int rc = run_worker(pr, backend, &a, &b);
      fflush(stdout);
      fflush(stderr);
      _exit(rc); /* the parent's client stays the parent's */
    }
  }
  int failed = 0;
  for (long i = 0; i < procs; i++) {
    int status = 0;
    if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      failed = 1;
  }
  *t3 = mono_ns();
  return failed;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Latency mode: print enqueue->start p50/p99/max over the tasks that ran. */
static void report_latency(const char *backend) {
  int64_t *v = malloc((size_t)n_tasks * sizeof *v);
  long m = 0;
  for (long i = 0; v && i < n_tasks; i++)
    if (atomic_load(&seen[i]))
      v[m++] = lat[i];
  if (!m) {
    free(v);
    return;
  }
  qsort(v, (size_t)m, sizeof *v, cmp_i64);
  double p50 = (double)v[m / 2] / 1e6, p99 = (double)v[m * 99 / 100] / 1e6,
         mx = (double)v[m - 1] / 1e6;
  printf("# %s: latency at %ld/s for %.1f s (%ld tasks): enqueue->start p50 %.3f ms, p99 %.3f ms, "
         "max %.3f ms\n",
         backend, rate, secs, m, p50, p99, mx);
  printf("RESULT worker_%s_latency_p50_ms %.3f\n", backend, p50);
  printf("RESULT worker_%s_latency_p99_ms %.3f\n", backend, p99);
  printf("RESULT worker_%s_latency_max_ms %.3f\n", backend, mx);
  free(v);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc)
      return usage();
    const char *v = argv[++i];
    bool ok = true;
    if (!strcmp(a, "--url"))
      url = v;
    else if (!strcmp(a, "--n"))
      ok = parse_long(v, 1, &n_tasks) && n_tasks <= 100000000;
    else if (!strcmp(a, "--concurrency"))
      ok = parse_long(v, 1, &concurrency) && concurrency <= 1024;
    else if (!strcmp(a, "--prefetch"))
      ok = parse_long(v, 0, &prefetch) && prefetch <= 100000;
    else if (!strcmp(a, "--batch"))
      ok = parse_long(v, 1, &batch) && batch <= 100000;
    else if (!strcmp(a, "--live"))
      ok = parse_long(v, 0, &live) && live <= 1;
    else if (!strcmp(a, "--hold"))
      ok = parse_long(v, 0, &hold) && hold <= 1;
    else if (!strcmp(a, "--stall"))
      ok = parse_long(v, 1, &stall_s);
    else if (!strcmp(a, "--metrics"))
      metrics = v;
    else if (!strcmp(a, "--procs"))
      ok = parse_long(v, 1, &procs) && procs <= 64;
    else if (!strcmp(a, "--rate"))
      ok = parse_long(v, 1, &rate) && rate <= 10000000;
    else if (!strcmp(a, "--secs"))
      ok = (secs = atof(v)) > 0 && secs <= 600;
    else
      ok = false;
    if (!ok)
      return usage();
  }
  if (!url)
    return usage();
  if (rate) {
    live = 1;
    n_tasks = (long)((double)rate * secs);
    if (n_tasks < 1)
      n_tasks = 1;
  }
  if (procs > 1 && live) {
    fprintf(stderr, "bench_worker: --procs takes a pre-filled queue (no --live or --rate)\n");
    return 2;
  }
  const char *backend = !strncmp(url, "redis", 5)   ? "redis"
                        : !strncmp(url, "kafka", 5) ? "kafka"
                                                    : "sqlite";

  orca_log_set(on_log, NULL, ORCA_LOG_WARN);
  stp = shared_alloc(sizeof *stp);
  seen = shared_alloc((size_t)n_tasks);
  if (rate) {
    enq = calloc((size_t)n_tasks, sizeof *enq);
    lat = calloc((size_t)n_tasks, sizeof *lat);
  }
  producer_state pr = {.args = calloc((size_t)batch, sizeof *pr.args),
                       .argp = calloc((size_t)batch, sizeof *pr.argp),
                       .status = calloc((size_t)batch, sizeof *pr.status),
                       .ids = calloc((size_t)batch, ORCA_ID_MAX),
                       .sample = calloc(SAMPLES + 1, ORCA_ID_MAX)};
  if (!pr.args || !pr.argp || !pr.status || !pr.ids || !pr.sample || (rate && (!enq || !lat))) {
    fprintf(stderr, "bench_worker: out of memory\n");
    return 1;
  }

  /* 1. Enqueue N tasks in batches (with --live: in step 2, beside the worker). */
  orca_client *c = NULL;
  orca_err err = {0};
  orca_client_opts co = {.backend = url};
  if (orca_client_open(&co, &c, &err)) {
    fprintf(stderr, "bench_worker: client: %s\n", err.msg);
    return 1;
  }
  pr.c = c;
  if (!live) {
    producer(&pr);
    if (report_enqueue(&pr, backend))
      return 1;
    if (hold) {
      printf("# held\n");
      fflush(stdout);
      char line[16];
      if (!fgets(line, sizeof line, stdin))
        return 1;
    }
  }

  /* 2. The worker(s) run them all and stop after N. */
  int64_t t2 = 0, t3 = 0;
  int failed = procs > 1 ? run_procs(&pr, backend, &t2, &t3) : run_worker(&pr, backend, &t2, &t3);

  long done = atomic_load(&st.done);
  int64_t last = atomic_load(&st.last_ns);
  double run_s = (double)(t3 - t2) / 1e9;
  double last_s = last > t2 ? (double)(last - t2) / 1e9 : 0;
  printf("# %s: %ld worker process(es) (concurrency %ld, prefetch %ld%s) ran %ld in %.3f s: "
         "%.0f/s (last handler call at %.3f s, stop took %.3f s)\n",
         backend, procs, concurrency, prefetch, prefetch ? "" : " = default", done, run_s,
         (double)done / run_s, last_s, run_s - last_s);

  /* 3. Checks. */
  long missing = 0;
  for (long i = 0; i < n_tasks; i++)
    if (atomic_load(&seen[i]) == 0 && missing++ < 5)
      fprintf(stderr, "bench_worker: seq %ld never ran\n", i);
  long repeats = atomic_load(&st.repeats), bad = atomic_load(&st.bad_seq);
  if (missing || repeats || bad) {
    fprintf(stderr, "bench_worker: %ld of %ld never ran, %ld ran again, %ld unknown seq\n", missing,
            n_tasks, repeats, bad);
    failed = 1;
  }
  long not_ok = 0;
  for (size_t i = 0; i < pr.nsample; i++) {
    orca_task_info info = {0};
    int rc = orca_inspect(c, pr.sample[i], &info, &err);
    if (rc || info.state != ORCA_STATE_SUCCEEDED) {
      if (not_ok++ < 5)
        fprintf(stderr, "bench_worker: task %s: %s\n", pr.sample[i],
                rc ? orca_strerror(rc) : orca_state_name(info.state));
    }
    orca_buf_free(&info.result);
    orca_buf_free(&info.args);
  }
  if (not_ok) {
    fprintf(stderr, "bench_worker: %ld of %zu sampled tasks not succeeded\n", not_ok, pr.nsample);
    failed = 1;
  }
  long warns = atomic_load(&st.log_warns);
  if (warns) {
    fprintf(stderr, "bench_worker: %ld WARN/ERROR log lines from liborca\n", warns);
    failed = 1;
  }
  orca_client_close(c);
  printf("# %s: checks %s (%ld/%ld ran once, %zu sampled states, %ld log warnings)\n", backend,
         failed ? "FAILED" : "ok", n_tasks - missing, n_tasks, pr.nsample, warns);

  printf("RESULT worker_%s_enqueue_per_s %.0f\n", backend,
         (double)n_tasks * 1e9 / (double)(pr.t1 - pr.t0));
  printf("RESULT worker_%s_process_per_s %.0f\n", backend, (double)done / run_s);
  int64_t first = atomic_load(&st.first_ns), lastc = atomic_load(&st.last_ns);
  if (lastc > first && first) /* from the first handler call: a group join not counted */
    printf("RESULT worker_%s_process_active_per_s %.0f\n", backend,
           (double)done * 1e9 / (double)(lastc - first));
  if (rate)
    report_latency(backend);
  free(enq);
  free(lat);
  free(pr.args);
  free(pr.argp);
  free(pr.status);
  free(pr.ids);
  free(pr.sample);
  return failed;
}
