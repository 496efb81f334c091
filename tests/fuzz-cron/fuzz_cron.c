/* fuzz_cron.c — libFuzzer target for the two parsers of untrusted text and
 * bytes in the TimeKeeper: the first input byte picks one.
 *   0..127   orca_cron_parse on the rest as a string, then orca_cron_next
 *            from a few instants in UTC and in a DST zone (the evaluator must
 *            terminate and never read out of bounds on any parsed struct);
 *   128..255 orca__tz_parse on the rest as a TZif image, then offsets at a
 *            spread of instants (footer rule included), and orca_cron_next in
 *            the parsed zone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "orca/cron.h"
#include "orca/error.h"
#include "timekeeper/timekeeper.h"

static orca_tz *paris;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  if (!paris)
    orca_tz_open("Europe/Paris", &paris, NULL);
  static const int64_t starts[] = {0, 1711846799000000LL, 1729990000000000LL, -86400000000LL,
                                   4102444800000000LL};
  orca_cron c;
  orca_err err;
  int64_t n;
  if (data[0] < 128) {
    char *s = malloc(size);
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    if (orca_cron_parse(s, &c, &err) == 0) {
      for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        orca_cron_next(&c, NULL, starts[i], &n);
        orca_cron_next(&c, paris, starts[i], &n);
      }
    }
    free(s);
    return 0;
  }
  orca_tz *tz = NULL;
  if (orca__tz_parse(data + 1, size - 1, "fuzz", &tz, &err) == 0) {
    for (int64_t t = -4000000000LL; t < 8000000000LL; t += 97654321)
      orca__tz_offset(tz, t);
    orca_cron_parse("*/7 1-3 * * *", &c, NULL);
    orca_cron_next(&c, tz, starts[1], &n);
    orca_tz_close(tz);
  }
  return 0;
}
