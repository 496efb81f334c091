/* suspicion.c — the dynamic suspicion timeout (suspicion.h). */
#include "peer/suspicion.h"

#include <math.h>
#include <stddef.h>

void orca__suspicion_bounds(int64_t probe_interval_us, int suspicion_mult, int max_mult, size_t n,
                            int64_t *min, int64_t *max) {
  double scale = n > 10 ? log10((double)n) : 1.0;
  *min = (int64_t)((double)suspicion_mult * scale * (double)probe_interval_us);
  *max = *min * max_mult;
}

uint32_t orca__suspicion_k(int suspicion_mult, size_t n) {
  int k = suspicion_mult - 2;
  if (k < 0 || n < 2 || n - 2 < (size_t)k)
    return 0;
  return k > ORCA__SUSPICION_CONFIRMERS ? ORCA__SUSPICION_CONFIRMERS : (uint32_t)k;
}

void orca__suspicion_start(orca__suspicion *s, int64_t now, uint32_t k, int64_t min, int64_t max,
                           uint64_t from) {
  s->start = now;
  s->min = min;
  s->max = max < min ? min : max;
  s->k = k > ORCA__SUSPICION_CONFIRMERS ? ORCA__SUSPICION_CONFIRMERS : k;
  s->c = 0;
  s->from[0] = from;
}

bool orca__suspicion_confirm(orca__suspicion *s, uint64_t from) {
  if (s->c >= s->k)
    return false;
  for (uint32_t i = 0; i <= s->c; i++)
    if (s->from[i] == from)
      return false;
  s->from[++s->c] = from;
  return true;
}

int64_t orca__suspicion_timeout(int64_t min, int64_t max, uint32_t k, uint32_t c) {
  if (c >= k) /* also k == 0: nobody could confirm, so waiting longer gains nothing */
    return min;
  double frac = log((double)c + 1.0) / log((double)k + 1.0);
  int64_t t = max - (int64_t)(frac * (double)(max - min));
  return t < min ? min : t;
}

int64_t orca__suspicion_deadline(const orca__suspicion *s) {
  return s->start + orca__suspicion_timeout(s->min, s->max, s->k, s->c);
}
