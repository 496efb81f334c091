/* crash_helper.c — a small program the SQLite process tests run (and kill)
 * as a real separate process sharing the database file.
 *
 *   crash_helper consume URL MAX LEASE_MS   fetch one batch, print each id,
 *                                           then "READY" and wait to be killed
 *   crash_helper produce URL BATCH PREFIX   enqueue batches forever; after
 *                                           each commit print its ids
 *   crash_helper work URL WORKER            fetch (blocking) and ack forever
 *   crash_helper enqueue URL N PREFIX       enqueue N tasks in batches of 100
 *
 * Output goes to stdout, one line per id, flushed after each batch, so the
 * parent reading the pipe knows exactly what was acknowledged. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"

static orca__backend *open_or_die(const char *url) {
  if (!orca__sqlite_ops.open) /* keep the backend linked (static liborca) */
    exit(3);
  orca__backend *b;
  orca_err err = {0};
  if (orca__backend_open(url, NULL, &b, &err)) {
    fprintf(stderr, "crash_helper: %s\n", err.msg);
    exit(2);
  }
  return b;
}

static const char payload[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static orca__job job(const char *id) {
  return (orca__job){.id = id,
                     .task = "t",
                     .queue = "crash",
                     .payload = (const uint8_t *)payload,
                     .payload_len = sizeof payload - 1,
                     .state_ttl_us = 3600 * 1000000LL};
}

static int consume(const char *url, size_t max, int64_t lease_ms) {
  orca__backend *b = open_or_die(url);
  orca__lease *leases = calloc(max, sizeof *leases);
  orca__lease **slots = calloc(max, sizeof *slots);
  for (size_t i = 0; i < max; i++)
    slots[i] = &leases[i];
  const char *qs[1] = {"crash"};
  orca__fetch_req req = {
      .queues = qs, .nqueues = 1, .worker = "doomed", .lease_us = lease_ms * 1000, .wait_us = 0};
  size_t got = 0;
  if (b->ops->fetch(b, &req, slots, max, &got))
    return 1;
  for (size_t i = 0; i < got; i++)
    printf("%s\n", leases[i].id);
  printf("READY\n");
  fflush(stdout);
  for (;;)
    pause();
}

static int produce(const char *url, size_t batch, const char *prefix) {
  orca__backend *b = open_or_die(url);
  orca__job *jobs = calloc(batch, sizeof *jobs);
  orca__enqueue_result *res = calloc(batch, sizeof *res);
  char(*ids)[64] = calloc(batch, sizeof *ids);
  for (unsigned long k = 0;; k++) {
    for (size_t i = 0; i < batch; i++) {
      snprintf(ids[i], sizeof ids[i], "%s-%lu-%zu", prefix, k, i);
      jobs[i] = job(ids[i]);
    }
    if (b->ops->enqueue(b, jobs, batch, res))
      return 1;
    for (size_t i = 0; i < batch; i++)
      if (res[i].status == 0)
        printf("%s\n", ids[i]);
    fflush(stdout);
  }
}

static int enqueue_n(const char *url, size_t n, const char *prefix) {
  orca__backend *b = open_or_die(url);
  orca__job jobs[100];
  orca__enqueue_result res[100];
  char ids[100][64];
  for (size_t done = 0; done < n;) {
    size_t k = n - done < 100 ? n - done : 100;
    for (size_t i = 0; i < k; i++) {
      snprintf(ids[i], sizeof ids[i], "%s-%zu", prefix, done + i);
      jobs[i] = job(ids[i]);
    }
    if (b->ops->enqueue(b, jobs, k, res))
      return 1;
    done += k;
  }
  orca__backend_close(b);
  return 0;
}

static int work(const char *url, const char *worker) {
  orca__backend *b = open_or_die(url);
  static orca__lease leases[64];
  orca__lease *slots[64];
  orca__completion c[64];
  for (size_t i = 0; i < 64; i++)
    slots[i] = &leases[i];
  const char *qs[1] = {"crash"};
  orca__fetch_req req = {.queues = qs,
                         .nqueues = 1,
                         .worker = worker,
                         .lease_us = 60 * 1000000LL,
                         .wait_us = 10 * 1000000LL};
  for (;;) {
    size_t got = 0;
    if (b->ops->fetch(b, &req, slots, 64, &got))
      return 1;
    for (size_t i = 0; i < got; i++)
      c[i] = (orca__completion){.lease = slots[i],
                                .outcome = ORCA__ACK,
                                .state = ORCA_STATE_SUCCEEDED,
                                .worker = worker,
                                .attempt = 1,
                                .ttl_us = 3600 * 1000000LL};
    if (b->ops->complete(b, c, got))
      return 1;
  }
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "consume") == 0)
    return consume(argv[2], strtoul(argv[3], NULL, 10), strtoll(argv[4], NULL, 10));
  if (argc == 5 && strcmp(argv[1], "produce") == 0)
    return produce(argv[2], strtoul(argv[3], NULL, 10), argv[4]);
  if (argc == 5 && strcmp(argv[1], "enqueue") == 0)
    return enqueue_n(argv[2], strtoul(argv[3], NULL, 10), argv[4]);
  if (argc == 4 && strcmp(argv[1], "work") == 0)
    return work(argv[2], argv[3]);
  fprintf(stderr, "usage: crash_helper consume|produce|enqueue|work URL ...\n");
  return 2;
}
