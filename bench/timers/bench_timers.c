/* bench_timers.c — the TimeKeeper's local costs: one million timers through
 * the 4-ary heap (insert, cancel a tenth, pop all) with the memory they take,
 * and the next-fire computation of cron expressions in UTC and DST zones.
 * Prints a table and RESULT lines (see bench/timers/run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/timerheap.h"
#include "orca/cron.h"
#include "timekeeper/timekeeper.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0)
      kb = strtol(line + 6, NULL, 10);
  if (f)
    fclose(f);
  return kb;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
  uint64_t rng = 0x9e3779b97f4a7c15ull;
  long rss0 = rss_kb();
  orca__timer *t = calloc(n, sizeof *t);
  orca__timerheap h = ORCA__TIMERHEAP_INIT;
  double a = now_s();
  for (size_t i = 0; i < n; i++) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    orca__timerheap_add(&h, &t[i], (int64_t)(rng % (3600ull * 1000000)));
  }
  double b = now_s();
  long rss1 = rss_kb();
  for (size_t i = 0; i < n; i += 10)
    orca__timerheap_remove(&h, &t[i]);
  double c = now_s();
  size_t popped = 0;
  int64_t last = -1;
  orca__timer *p;
  while ((p = orca__timerheap_pop_due(&h, INT64_MAX))) {
    if (p->due_us < last)
      return fprintf(stderr, "order broken\n"), 1;
    last = p->due_us;
    popped++;
  }
  double d = now_s();
  size_t cancelled = (n + 9) / 10;
  double ins_ns = (b - a) * 1e9 / n, can_ns = (c - b) * 1e9 / cancelled,
         pop_ns = (d - c) * 1e9 / popped;
  double bytes = (double)(rss1 - rss0) * 1024 / n;
  printf("%-34s %12s\n", "timer heap (n = pending timers)", "");
  printf("%-34s %12zu\n", "  timers", n);
  printf("%-34s %12.1f\n", "  insert ns/op", ins_ns);
  printf("%-34s %12.1f\n", "  cancel ns/op (10%)", can_ns);
  printf("%-34s %12.1f\n", "  pop ns/op", pop_ns);
  printf("%-34s %12.1f\n", "  memory bytes/timer (RSS)", bytes);
  printf("%-34s %12.1f\n", "  memory MB total (RSS)", (rss1 - rss0) / 1024.0);
  orca__timerheap_free(&h);
  free(t);

  static const struct {
    const char *expr, *zone;
  } cases[] = {
      {"*/15 * * * *", NULL},         {"0 9 * * MON-FRI", "Europe/Paris"},
      {"30 2 * * *", "Europe/Paris"}, {"0 0 L * *", "America/New_York"},
      {"0 0 15W * *", "UTC"},         {"0 18 * * FRI#3", "Australia/Lord_Howe"},
      {"0 0 29 2 *", NULL},           {"*/20 * * * * *", "America/New_York"},
  };
  printf("\n%-40s %12s\n", "cron next fire (chained, 100k calls)", "µs/call");
  double worst = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    orca_cron cr;
    orca_tz *tz = NULL;
    orca_cron_parse(cases[i].expr, &cr, NULL);
    if (cases[i].zone)
      orca_tz_open(cases[i].zone, &tz, NULL);
    int64_t at = 1711800000000000LL; /* 2024-03-30, before the Paris jump */
    int iters = 100000;
    double s = now_s();
    for (int k = 0; k < iters; k++) {
      if (orca_cron_next(&cr, tz, at, &at))
        at = 1711800000000000LL;
      if (at > 4000000000000000LL)
        at = 1711800000000000LL;
    }
    double us = (now_s() - s) * 1e6 / iters;
    if (us > worst)
      worst = us;
    char label[80];
    snprintf(label, sizeof label, "  %s (%s)", cases[i].expr,
             cases[i].zone ? cases[i].zone : "UTC");
    printf("%-40s %12.3f\n", label, us);
    orca_tz_close(tz);
  }
  printf("\nRESULT timers_heap_insert_ns %.1f\n", ins_ns);
  printf("RESULT timers_heap_pop_ns %.1f\n", pop_ns);
  printf("RESULT timers_heap_cancel_ns %.1f\n", can_ns);
  printf("RESULT timers_heap_1m_bytes_per_timer %.1f\n", bytes);
  printf("RESULT timers_cron_next_worst_us %.3f\n", worst);
  return 0;
}
