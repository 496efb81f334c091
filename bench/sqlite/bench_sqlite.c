/* bench_sqlite.c — throughput of the SQLite backend at the backend level,
 * in one process: enqueue N no-op tasks (~64-byte payloads) in batches, then
 * process them (fetch 256, complete the batch as succeeded with its state
 * record kept) until the queue is empty. Durability as shipped (WAL,
 * synchronous=NORMAL) unless --url says otherwise.
 *
 * Usage: bench_sqlite [--n N] [--batch B] [--ttl-s S] --url sqlite:PATH
 * Prints `RESULT sqlite_enqueue_per_s X` and `RESULT sqlite_process_per_s Y`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "backend/backend.h"

#define FETCH 256

/* CPU seconds used by this process so far (user + system): steadier than
 * wall time on a shared machine, printed next to it. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double secs(int64_t a, int64_t b) {
  return (double)(b - a) / 1e6;
}

static void die(const char *what, int rc) {
  fprintf(stderr, "bench_sqlite: %s: %s\n", what, orca_strerror(rc));
  exit(1);
}

int main(int argc, char **argv) {
  size_t n = 100000, batch = 500;
  int64_t ttl_s = 3600;
  const char *url = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--n") == 0)
      n = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--batch") == 0)
      batch = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--ttl-s") == 0)
      ttl_s = strtoll(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--url") == 0)
      url = argv[i + 1];
  }
  if (!url || !batch || !n) {
    fprintf(stderr, "usage: bench_sqlite [--n N] [--batch B] [--ttl-s S] --url sqlite:PATH\n");
    return 2;
  }
  /* Static liborca + weak registry entries: reference the backend so the
   * linker keeps it. */
  if (!orca__sqlite_ops.open)
    return 1;
  orca__backend *b;
  orca_err err = {0};
  int rc = orca__backend_open(url, NULL, &b, &err);
  if (rc) {
    fprintf(stderr, "bench_sqlite: %s\n", err.msg);
    return 1;
  }
  /* ~64 bytes, like a small msgpack envelope of a no-op task. */
  static const char payload[] = "\x8a\x01\x01\x02\xb0"
                                "0123456789abcdef"
                                "\x03\xa8noop.run"
                                "\x05\xa7"
                                "default"
                                "\x0a\xc4\x10"
                                "argsargsargsargs";
  orca__job *jobs = calloc(batch, sizeof *jobs);
  orca__enqueue_result *res = calloc(batch, sizeof *res);
  char(*ids)[32] = calloc(batch, sizeof *ids);
  if (!jobs || !res || !ids)
    die("alloc", ORCA_ENOMEM);

  double c0 = cpu_s();
  int64_t t0 = orca_monotonic_us();
  for (size_t done = 0; done < n;) {
    size_t k = n - done < batch ? n - done : batch;
    for (size_t i = 0; i < k; i++) {
      snprintf(ids[i], sizeof ids[i], "bench-%010zu", done + i);
      jobs[i] = (orca__job){.id = ids[i],
                            .task = "noop.run",
                            .queue = "default",
                            .payload = (const uint8_t *)payload,
                            .payload_len = sizeof payload - 1,
                            .state_ttl_us = ttl_s * 1000000};
    }
    if ((rc = b->ops->enqueue(b, jobs, k, res)))
      die("enqueue", rc);
    for (size_t i = 0; i < k; i++)
      if (res[i].status)
        die("enqueue status", res[i].status);
    done += k;
  }
  int64_t t1 = orca_monotonic_us();
  double c1 = cpu_s();

  static orca__lease leases[FETCH];
  orca__lease *slots[FETCH];
  orca__completion comp[FETCH];
  for (size_t i = 0; i < FETCH; i++)
    slots[i] = &leases[i];
  const char *queues[1] = {"default"};
  orca__fetch_req req = {.queues = queues,
                         .nqueues = 1,
                         .worker = "bench-worker",
                         .lease_us = 60 * 1000000LL,
                         .wait_us = 0};
  size_t processed = 0;
  int64_t fetch_us = 0, complete_us = 0;
  int64_t t2 = orca_monotonic_us();
  for (;;) {
    size_t got = 0;
    int64_t f0 = orca_monotonic_us();
    if ((rc = b->ops->fetch(b, &req, slots, FETCH, &got)))
      die("fetch", rc);
    if (got == 0)
      break;
    for (size_t i = 0; i < got; i++)
      comp[i] = (orca__completion){.lease = slots[i],
                                   .outcome = ORCA__ACK,
                                   .state = ORCA_STATE_SUCCEEDED,
                                   .worker = "bench-worker",
                                   .attempt = 1,
                                   .ttl_us = ttl_s * 1000000};
    int64_t f1 = orca_monotonic_us();
    if ((rc = b->ops->complete(b, comp, got)))
      die("complete", rc);
    fetch_us += f1 - f0;
    complete_us += orca_monotonic_us() - f1;
    processed += got;
  }
  int64_t t3 = orca_monotonic_us();
  double c3 = cpu_s();
  if (processed != n) {
    fprintf(stderr, "bench_sqlite: processed %zu of %zu tasks\n", processed, n);
    return 1;
  }
  double enq = (double)n / secs(t0, t1), proc = (double)n / secs(t2, t3);
  printf("sqlite  tasks=%zu  enqueue batch=%zu: %.2f s  process (fetch %d + complete): %.2f s"
         "  state records kept %llds\n",
         n, batch, secs(t0, t1), FETCH, secs(t2, t3), (long long)ttl_s);
  printf("        fetch %.2f s, complete %.2f s; cpu: enqueue %.2f s, process %.2f s\n",
         fetch_us / 1e6, complete_us / 1e6, c1 - c0, c3 - c1);
  printf("RESULT sqlite_enqueue_per_s %.0f\n", enq);
  printf("RESULT sqlite_process_per_s %.0f\n", proc);
  for (size_t i = 0; i < FETCH; i++)
    orca_buf_free(&leases[i].payload);
  free(jobs);
  free(res);
  free(ids);
  orca__backend_close(b);
  return 0;
}
