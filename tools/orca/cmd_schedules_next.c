/* cmd_schedules_next.c — `orca schedules next EXPR [--tz ZONE] [-n N]
 * [--after TIME]`: preview the fire times of a cron expression or an
 * every(DUR) interval, computed by the TimeKeeper's own evaluator (DST
 * policy, 400-year search, interval alignment), without a backend. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NEXT_DEFAULT 5
#define NEXT_MAX 1000

/* Parse "every(DUR)" into *us. Returns 0, 1 when expr does not start with
 * "every" (so it is cron), or ORCA_EINVAL for another shape or a bad
 * duration. */
static int parse_every(const char *expr, int64_t *us) {
  size_t n = strlen(expr);
  if (strncmp(expr, "every", 5) != 0)
    return 1;
  if (strncmp(expr, "every(", 6) != 0 || n < 8 || expr[n - 1] != ')')
    return ORCA_EINVAL;
  char dur[64];
  if (n - 7 >= sizeof dur)
    return ORCA_EINVAL;
  memcpy(dur, expr + 6, n - 7);
  dur[n - 7] = '\0';
  return orca_duration_parse(dur, us) ? ORCA_EINVAL : 0;
}

int cmd_schedules_next(cli *c, int argc, char **argv) {
  const char *tzname = NULL, *count = NULL, *after = NULL;
  cli_opt opts[] = {{"--tz", &tzname}, {"-n", &count}, {"--after", &after}};
  int n = cli_take_opts(c, argc, argv, opts, sizeof opts / sizeof opts[0]);
  if (n < 0)
    return CLI_USAGE;
  if (n != 1)
    return cli_fail(c, CLI_USAGE, "next needs one EXPR: a cron expression or every(DUR)");
  long want = NEXT_DEFAULT;
  if (count) {
    char *end;
    errno = 0;
    want = strtol(count, &end, 10);
    if (!*count || *end || errno || want < 1 || want > NEXT_MAX)
      return cli_fail(c, CLI_USAGE, "-n '%s' must be a whole number from 1 to %d", count, NEXT_MAX);
  }
  int64_t from = orca_clock_now(&orca_clock_real);
  if (after && orca_time_parse(after, &from))
    return cli_fail(c, CLI_USAGE, "--after '%s' is not a time (RFC 3339 or epoch seconds)", after);
  const char *expr = argv[1];
  int64_t every_us = 0; /* 0: a cron expression */
  orca_cron cron = {0};
  orca_err err = {0};
  int rc = parse_every(expr, &every_us);
  if (rc == ORCA_EINVAL || (rc == 0 && every_us < 1000))
    return cli_fail(c, CLI_FAIL,
                    "'%s': write every(DUR) with a duration of at least 1ms, "
                    "e.g. every(5m)",
                    expr);
  if (rc != 0 && orca_cron_parse(expr, &cron, &err))
    return cli_fail(c, CLI_FAIL, "%s", err.msg);
  orca_tz *tz = NULL;
  if (tzname && orca_tz_open(tzname, &tz, &err))
    return cli_fail(c, CLI_FAIL, "%s", err.msg);
  int64_t t = from;
  for (long i = 0; i < want; i++) {
    rc = every_us ? orca_every_next(every_us, t, &t) : orca_cron_next(&cron, tz, t, &t);
    if (rc) {
      orca_tz_close(tz);
      return i ? CLI_OK : cli_fail(c, CLI_FAIL, "'%s' has no fire time after that", expr);
    }
    char utc[ORCA_TIME_MAX], local[ORCA_TIME_MAX];
    orca_tz_format(NULL, t, utc, sizeof utc);
    orca_tz_format(tz, t, local, sizeof local);
    if (c->json && tz)
      printf("{\"fire_us\":%lld,\"utc\":\"%s\",\"local\":\"%s\"}\n", (long long)t, utc, local);
    else if (c->json)
      printf("{\"fire_us\":%lld,\"utc\":\"%s\"}\n", (long long)t, utc);
    else if (tz)
      printf("%s  %s\n", utc, local);
    else
      printf("%s\n", utc);
  }
  orca_tz_close(tz);
  return CLI_OK;
}
