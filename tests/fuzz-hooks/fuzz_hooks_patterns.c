/* fuzz_hooks_patterns.c — arbitrary patterns and subjects through the
 * sandbox's string.find / match / gmatch / gsub. Whatever the bytes, the
 * call returns or fails with an error (malformed pattern, "pattern too
 * complex", the time limit), the process does not crash, and no input runs
 * far past the state's deadline: a pattern whose worst case the wrappers
 * underestimated would hold a handler thread, so that aborts (a hang
 * detector with a wide margin, not a speed check).
 *
 * Input: byte 0 picks the function, byte 1 how many times the subject is
 * repeated (1..256), byte 2 the pattern's length; then the pattern, then the
 * subject. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../hooks/fixture.h"

#define LIMIT_MS 300
#define ABORT_AFTER_S 5.0

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  orca__hooks *state =
      hk_fuzz_state("return { before_run = function(task)\n"
                    "  local h = task.headers\n"
                    "  local m, p, s = tonumber(h.m), h.p, h.s:rep(tonumber(h.k))\n"
                    "  if m == 0 then string.find(s, p)\n"
                    "  elseif m == 1 then string.find(s, p, 2, true)\n"
                    "  elseif m == 2 then string.match(s, p, -3)\n"
                    "  elseif m == 3 then for a, b in s:gmatch(p) do end\n"
                    "  else string.gsub(s, p, '<%0>') end\n"
                    "end }\n");
  orca__hooks_set_time_limit(state, LIMIT_MS);
  if (size < 3)
    return 0;
  char mode[2] = {(char)('0' + data[0] % 5), 0}, reps[4];
  snprintf(reps, sizeof reps, "%d", data[1] + 1);
  size_t plen = data[2];
  if (plen > size - 3)
    plen = size - 3;
  const char *pat = (const char *)data + 3, *subj = pat + plen;
  orca__header headers[4] = {
      {{"m", 1}, {mode, 1}},
      {{"k", 1}, {reps, strlen(reps)}},
      {{"p", 1}, {pat, plen}},
      {{"s", 1}, {subj, size - 3 - plen}},
  };
  orca__hook_task t = {
      .task = hk_order_task(NULL), .queue = {"default", 7}, .headers = headers, .nheaders = 4};
  double t0 = now_s();
  orca__hooks_before_run(state, &t);
  if (now_s() - t0 > ABORT_AFTER_S) {
    fprintf(stderr, "a hook call ran %.1f s with a %d ms limit\n", now_s() - t0, LIMIT_MS);
    abort();
  }
  return 0;
}
