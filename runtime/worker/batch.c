/* batch.c — the worker's prefetch window (batch.h says how it is sized and
 * why). */
#include "worker/batch.h"

#include <math.h>

#include "orca/worker.h"

#define K_REFILL 4.0 /* round trips of work kept leased ahead */
#define EWMA_WEIGHT 0.125

static unsigned adaptive_cap(unsigned concurrency) {
  unsigned cap = concurrency * 4 > ORCA__BATCH_CAP ? concurrency * 4 : ORCA__BATCH_CAP;
  return cap > ORCA_WORKER_MAX_PREFETCH ? ORCA_WORKER_MAX_PREFETCH : cap;
}

size_t orca__batch_slots(unsigned concurrency, unsigned prefetch) {
  return (size_t)concurrency + (prefetch ? prefetch : adaptive_cap(concurrency));
}

void orca__batch_init(orca__batch *b, unsigned concurrency, unsigned prefetch) {
  *b = (orca__batch){.fixed = prefetch != 0,
                     .conc = concurrency,
                     .cap = prefetch ? prefetch : adaptive_cap(concurrency),
                     .window = prefetch};
  b->peak = b->window;
}

static double ewma(double avg, double sample) {
  return avg <= 0 ? sample : avg + EWMA_WEIGHT * (sample - avg);
}

/* Size the window from the averages (batch.h). With no round trip measured
 * yet a task is compared with 100 µs, a typical local round trip. */
static void resize(orca__batch *b) {
  if (b->fixed || b->task_us <= 0)
    return;
  double rtt = b->rtt_us > 0 ? b->rtt_us : 100.0;
  double task = b->task_us > 0.5 ? b->task_us : 0.5;
  double w = floor(K_REFILL * (double)b->conc * rtt / task + 0.5);
  unsigned win = w >= (double)b->cap ? b->cap : (unsigned)w;
  if (win != b->window) {
    b->window = win;
    b->resized++;
    if (win > b->peak)
      b->peak = win;
  }
}

void orca__batch_task(orca__batch *b, int64_t run_us) {
  b->task_us = ewma(b->task_us, run_us > 0 ? (double)run_us : 0.0);
  if (b->task_us <= 0)
    b->task_us = 0.01; /* a sample was taken: tasks are (very) short */
  resize(b);
}

void orca__batch_rtt(orca__batch *b, int64_t call_us) {
  b->rtt_us = ewma(b->rtt_us, call_us > 0 ? (double)call_us : 1.0);
  resize(b);
}

size_t orca__batch_excess(const orca__batch *b, size_t ready) {
  size_t keep = (size_t)b->conc + b->window;
  if (b->fixed || ready <= keep || b->task_us <= 0)
    return 0;
  if ((double)ready * b->task_us / (double)b->conc <= ORCA__BATCH_HOARD_US)
    return 0;
  return ready - keep;
}

size_t orca__batch_fetch_want(const orca__batch *b, size_t held, size_t nfree, bool ready_empty) {
  size_t target = (size_t)b->conc + b->window;
  if (held >= target)
    return 0;
  size_t want = target - held;
  if (want > nfree)
    want = nfree;
  /* Refill when the threads are about to run dry, or when half the target
   * is free: while tasks still wait, fetching a few at a time would only
   * cost round trips. */
  if (!ready_empty && want * 2 < target)
    return 0;
  return want;
}
