/* cmd_schedules_next.c — `orca schedules next EXPR [--tz ZONE] [-n N]
 * [--after TIME]`: preview the fire times of a cron expression or an
 * every(DUR) interval, computed by the TimeKeeper's own evaluator (DST
 * policy, 400-year search, interval alignment), without a backend. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timekeeper/timekeeper.h"

#define NEXT_DEFAULT 5
#define NEXT_MAX 1000

/* Write instant us as RFC 3339 with the UTC offset off (seconds east):
 * "2024-03-31T03:00:00+02:00", "…Z" when utc, ".ffffff" for sub-seconds. */
static void format_at(int64_t us, int32_t off, bool utc, char *out, size_t cap) {
  int64_t secs = us / 1000000 - (us % 1000000 < 0), frac = us - secs * 1000000;
  int64_t local = secs + off;
  int64_t days = local / 86400 - (local % 86400 < 0), y;
  int sod = (int)(local - days * 86400), m, d;
  orca__civil_from_days(days, &y, &m, &d);
  char f[16] = "", z[16] = "Z";
  if (frac)
    snprintf(f, sizeof f, ".%06lld", (long long)frac);
  if (!utc) {
    int32_t a = off < 0 ? -off : off;
    snprintf(z, sizeof z, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
  }
  snprintf(out, cap, "%04lld-%02d-%02dT%02d:%02d:%02d%s%s", (long long)y, m, d, sod / 3600,
           sod / 60 % 60, sod % 60, f, z);
}

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
  orca__schedule_spec spec = {.kind = ORCA_SCHEDULE_CRON};
  orca_cron cron = {0};
  orca_err err = {0};
  int rc = parse_every(expr, &spec.every_us);
  if (rc == ORCA_EINVAL || (rc == 0 && spec.every_us < 1000))
    return cli_fail(c, CLI_FAIL,
                    "'%s': write every(DUR) with a duration of at least 1ms, "
                    "e.g. every(5m)",
                    expr);
  if (rc == 0)
    spec.kind = ORCA_SCHEDULE_EVERY;
  else if (orca_cron_parse(expr, &cron, &err))
    return cli_fail(c, CLI_FAIL, "%s", err.msg);
  orca_tz *tz = NULL;
  if (tzname && orca_tz_load(tzname, &tz, &err))
    return cli_fail(c, CLI_FAIL, "%s", err.msg);
  int64_t t = from;
  for (long i = 0; i < want; i++) {
    if ((rc = orca__schedule_next(&spec, &cron, tz, t, &t))) {
      orca_tz_free(tz);
      return i ? CLI_OK : cli_fail(c, CLI_FAIL, "'%s' has no fire time after that", expr);
    }
    char utc[48], local[48];
    format_at(t, 0, true, utc, sizeof utc);
    int64_t secs = t / 1000000 - (t % 1000000 < 0);
    format_at(t, orca__tz_offset(tz, secs), false, local, sizeof local);
    if (c->json && tz)
      printf("{\"fire_us\":%lld,\"utc\":\"%s\",\"local\":\"%s\"}\n", (long long)t, utc, local);
    else if (c->json)
      printf("{\"fire_us\":%lld,\"utc\":\"%s\"}\n", (long long)t, utc);
    else if (tz)
      printf("%s  %s\n", utc, local);
    else
      printf("%s\n", utc);
  }
  orca_tz_free(tz);
  return CLI_OK;
}
