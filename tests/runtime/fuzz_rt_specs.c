/* fuzz_rt_specs.c — libFuzzer target for the runtime's parsers of operator
 * input: queue specs (--queues, ORCA_QUEUES) and durations (--lease,
 * --grace). Any bytes must give 0 or ORCA_EINVAL with a message, never a
 * crash; accepted specs must satisfy the parser's promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "worker/queues.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  orca__queues q;
  orca_err err = {0};
  if (orca__queues_parse(s, &q, &err) == 0) {
    if (q.n == 0 || q.n > ORCA__MAX_QUEUES)
      abort();
    for (size_t i = 0; i < q.n; i++)
      if (!q.q[i].name[0] || q.q[i].weight == 0)
        abort();
    uint64_t rng = 1;
    const char *order[ORCA__MAX_QUEUES];
    orca__queues_order(&q, &rng, order);
  } else if (!err.msg[0]) {
    abort();
  }
  int64_t us;
  memset(&err, 0, sizeof err);
  if (orca__duration_parse("fuzz", s, &us, &err) == 0) {
    if (us < 0)
      abort();
  } else if (!err.msg[0]) {
    abort();
  }
  free(s);
  return 0;
}
