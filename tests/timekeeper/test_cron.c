/* test_cron.c — the cron parser and evaluator against the oracle table
 * (cron_cases.txt, produced by gen_cron_cases.py from zoneinfo and
 * croniter), exact parse-error messages, hand-checked DST cases and the TZif
 * reader's handling of bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "orca/cron.h"
#include "orca/error.h"
#include "timekeeper/timekeeper.h"

static FILE *open_source(const char *rel) {
  const char *src = getenv("ORCA_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", src ? src : "../..", rel);
  return fopen(path, "r");
}

/* Every line of the oracle table: parse, load the zone, three next fires. */
static void test_oracle_table(void **state) {
  (void)state;
  FILE *f = open_source("tests/timekeeper/cron_cases.txt");
  assert_non_null(f);
  char line[512], last_zone[64] = "";
  orca_tz *tz = NULL;
  int cases = 0, failures = 0;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n')
      continue;
    char *expr = strtok(line, "|"), *zone = strtok(NULL, "|"), *start = strtok(NULL, "|"),
         *nexts = strtok(NULL, "|\n");
    assert_non_null(nexts);
    if (strcmp(zone, last_zone) != 0) {
      orca_tz_close(tz);
      tz = NULL;
      orca_err err = {0};
      assert_int_equal(orca_tz_open(zone, &tz, &err), 0);
      snprintf(last_zone, sizeof last_zone, "%s", zone);
    }
    orca_cron c;
    orca_err err = {0};
    if (orca_cron_parse(expr, &c, &err) != 0) {
      print_error("parse %s: %s\n", expr, err.msg);
      failures++;
      continue;
    }
    int64_t t = strtoll(start, NULL, 10);
    char *p = nexts;
    for (int k = 0; k < 3; k++) {
      int64_t want = strtoll(p, &p, 10), got = 0;
      int rc = orca_cron_next(&c, tz, t, &got);
      if (rc != 0 || got != want) {
        print_error("%s in %s after %lld: fire %d got %lld (rc %d) want %lld\n", expr, zone,
                    (long long)t, k + 1, (long long)got, rc, (long long)want);
        failures++;
        break;
      }
      t = got;
    }
    cases++;
  }
  fclose(f);
  orca_tz_close(tz);
  assert_true(cases > 1000);
  assert_int_equal(failures, 0);
}

static const struct {
  const char *expr, *msg;
} bad[] = {
    {"", "cron column 1: 0 fields, expected 5 (minute hour day-of-month month day-of-week) or 6 "
         "with seconds first"},
    {"* * * *", "cron column 8: 4 fields, expected 5 (minute hour day-of-month month "
                "day-of-week) or 6 with seconds first"},
    {"* * * * * * *", "cron column 13: too many fields (expected 5, or 6 with seconds)"},
    {"60 * * * *", "cron minute field, column 1: 60 is out of range 0-59"},
    {"* 24 * * *", "cron hour field, column 3: 24 is out of range 0-23"},
    {"* * 0 * *", "cron day-of-month field, column 5: 0 is out of range 1-31"},
    {"* * * 13 *", "cron month field, column 7: 13 is out of range 1-12"},
    {"* * * * 8", "cron day-of-week field, column 9: 8 is out of range 0-7"},
    {"5-1 * * * *", "cron minute field, column 1: range 5-1 goes backwards"},
    {"*/0 * * * *", "cron minute field, column 3: step 0 is out of range 1-60"},
    {"*/ * * * *", "cron minute field, column 3: step expected after '/'"},
    {"1,,2 * * * *", "cron minute field, column 3: empty list item"},
    {"* * * FOO *", "cron month field, column 7: unknown month name"},
    {"* * * * FUN", "cron day-of-week field, column 9: unknown weekday name"},
    {"? * * * *", "cron minute field, column 1: '?' is only allowed in the day-of-month and "
                  "day-of-week fields"},
    {"* * L-31 * *", "cron day-of-month field, column 7: offset after 'L-' must be 1-30"},
    {"* * LX * *", "cron day-of-month field, column 6: 'L', 'L-n' or 'LW' expected"},
    {"* * 32W * *", "cron day-of-month field, column 5: 32 is out of range 1-31"},
    {"* * * * 5#6", "cron day-of-week field, column 11: number after '#' must be 1-5"},
    {"* * * * 5#", "cron day-of-week field, column 11: number 1-5 expected after '#'"},
    {"1x * * * *", "cron minute field, column 2: unexpected character 'x'"},
    {"@often", "cron column 1: unknown macro '@often' (expected @yearly, @annually, @monthly, "
               "@weekly, @daily, @midnight or @hourly)"},
    {"@daily 5", "cron column 8: unexpected text after @daily"},
    {"0 0 24 * * *", "cron hour field, column 5: 24 is out of range 0-23"},
    {"99999 * * * *", "cron minute field, column 1: number too large"},
};

static void test_parse_errors(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    orca_cron c;
    orca_err err = {0};
    int rc = orca_cron_parse(bad[i].expr, &c, &err);
    if (rc != ORCA_EINVAL || strcmp(err.msg, bad[i].msg) != 0)
      print_error("'%s': rc %d msg \"%s\"\n  want \"%s\"\n", bad[i].expr, rc, err.msg, bad[i].msg);
    assert_int_equal(rc, ORCA_EINVAL);
    assert_string_equal(err.msg, bad[i].msg);
  }
}

/* The parsed struct for a few expressions, bit by bit. */
static void test_parse_fields(void **state) {
  (void)state;
  orca_cron c;
  assert_int_equal(orca_cron_parse("  10,20-22 */6 L * sun,5L  ", &c, NULL), 0);
  assert_true(c.sec == 1);
  assert_true(c.min == ((1ull << 10) | (7ull << 20)));
  assert_int_equal(c.hour, (1u << 0) | (1u << 6) | (1u << 12) | (1u << 18));
  assert_int_equal(c.flags & ORCA_CRON_DOM_LAST, ORCA_CRON_DOM_LAST);
  assert_int_equal(c.dow, 1);
  assert_int_equal(c.dow_last, 1 << 5);
  assert_int_equal(c.flags & (ORCA_CRON_DOM_STAR | ORCA_CRON_DOW_STAR), 0);
  assert_int_equal(orca_cron_parse("0 0 * * 7", &c, NULL), 0);
  assert_int_equal(c.dow, 1);
  assert_int_equal(orca_cron_parse("0 0 ? * 2#1,4#5", &c, NULL), 0);
  assert_int_equal(c.flags & ORCA_CRON_DOM_STAR, ORCA_CRON_DOM_STAR);
  assert_int_equal(c.dow_nth[2], 1 << 1);
  assert_int_equal(c.dow_nth[4], 1 << 5);
  assert_int_equal(orca_cron_parse("0 0 0 LW,15W * *", &c, NULL), 0);
  assert_int_equal(c.dom_w, 1u << 15);
  assert_int_equal(c.flags & ORCA_CRON_DOM_LASTW, ORCA_CRON_DOM_LASTW);
}

static int64_t at(const char *zone, int64_t utc_s) {
  (void)zone;
  return utc_s * 1000000;
}

/* DST policy, checked by hand against the zone tables:
 * Paris 2024-03-31 01:00Z jumps 02:00 -> 03:00 local; 2024-10-27 01:00Z
 * falls 03:00 -> 02:00. Lord Howe 2024-10-06 02:00 -> 02:30 (15:30Z the
 * day before), 2024-04-07 02:00 -> 01:30 (15:00Z the day before). */
static void test_dst_policy(void **state) {
  (void)state;
  orca_tz *paris, *lh;
  orca_cron c;
  int64_t n;
  assert_int_equal(orca_tz_open("Europe/Paris", &paris, NULL), 0);
  assert_int_equal(orca_tz_open("Australia/Lord_Howe", &lh, NULL), 0);
  /* Skipped 02:30 fires at 03:00 CEST = 01:00Z, once. */
  assert_int_equal(orca_cron_parse("30 2 * * *", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, paris, at("", 1711843200), &n), 0); /* 03-31 00:00Z */
  assert_int_equal(n, at("", 1711846800));                                /* 01:00Z */
  assert_int_equal(orca_cron_next(&c, paris, n, &n), 0);
  assert_int_equal(n, at("", 1711931400)); /* 04-01 02:30 CEST = 00:30Z */
  /* Every 10 minutes across the gap: 01:50 CET, then 03:00 CEST (the
   * skipped 02:00..02:50 collapse onto it), then 03:10. */
  assert_int_equal(orca_cron_parse("*/10 * * * *", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, paris, at("", 1711846200 - 1), &n), 0);
  assert_int_equal(n, at("", 1711846200)); /* 00:50Z = 01:50 CET */
  assert_int_equal(orca_cron_next(&c, paris, n, &n), 0);
  assert_int_equal(n, at("", 1711846800)); /* 01:00Z = 03:00 CEST */
  assert_int_equal(orca_cron_next(&c, paris, n, &n), 0);
  assert_int_equal(n, at("", 1711847400)); /* 03:10 CEST */
  /* Repeated 02:30 fires once, at its first occurrence (CEST, 00:30Z). */
  assert_int_equal(orca_cron_parse("30 2 * * *", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, paris, at("", 1729987200), &n), 0); /* 10-27 00:00Z */
  assert_int_equal(n, at("", 1729989000));
  assert_int_equal(orca_cron_next(&c, paris, n, &n), 0);
  assert_int_equal(n, at("", 1729989000 + 86400 + 3600)); /* next day 02:30 CET */
  /* Lord Howe: skipped 02:15 fires at 02:30 (+11) = 15:30Z on 10-05. */
  assert_int_equal(orca_cron_parse("15 2 * * *", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, lh, at("", 1728136800), &n), 0); /* 10-05 14:00Z */
  assert_int_equal(n, at("", 1728142200));
  /* Lord Howe: repeated 01:45 fires once at the first (+11) = 14:45Z 04-06. */
  assert_int_equal(orca_cron_parse("45 1 * * *", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, lh, at("", 1712408400), &n), 0); /* 04-06 13:00Z */
  assert_int_equal(n, at("", 1712414700));
  assert_int_equal(orca_cron_next(&c, lh, n, &n), 0);
  assert_int_equal(n, at("", 1712414700 + 86400 + 1800));
  orca_tz_close(paris);
  orca_tz_close(lh);
}

static void test_not_found_and_bounds(void **state) {
  (void)state;
  orca_cron c;
  int64_t n;
  /* 29 February after 2096 is in 2104 (2100 is not a leap year): the
   * search spans a whole 400-year Gregorian cycle, not a few years. */
  assert_int_equal(orca_cron_parse("0 0 29 2 *", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, NULL, 4081276800000000LL /* 2099-05-01 */, &n), 0);
  assert_int_equal(n, 4233686400000000LL); /* 2104-02-29T00:00:00Z */
  /* The fifth Monday of February: only when 29 February is a Monday,
   * 2044 then 2072 (28 years), then 2112 (40 years across 2100). */
  assert_int_equal(orca_cron_parse("0 0 ? 2 1#5", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, NULL, 3224793600000000LL /* 2072-03-10 */, &n), 0);
  assert_int_equal(n, 4486147200000000LL); /* 2112-02-29T00:00:00Z */
  /* An all-zero struct (never matches) ends with ENOTFOUND, not a hang;
   * orca_cron_parse refuses such expressions (test_never_fires). */
  memset(&c, 0, sizeof c);
  assert_int_equal(orca_cron_next(&c, NULL, 0, &n), ORCA_ENOTFOUND);
  /* A fire that would not fit in int64 µs is not found, not wrapped. */
  assert_int_equal(orca_cron_parse("0 0 1 1 *", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, NULL, INT64_MAX - 1, &n), ORCA_ENOTFOUND);
  /* Strictly after: a fire exactly at `after` is not returned; sub-second
   * starts round up to the next whole second. */
  assert_int_equal(orca_cron_parse("* * * * * *", &c, NULL), 0);
  assert_int_equal(orca_cron_next(&c, NULL, 5000000, &n), 0);
  assert_int_equal(n, 6000000);
  assert_int_equal(orca_cron_next(&c, NULL, 5500000, &n), 0);
  assert_int_equal(n, 6000000);
  assert_int_equal(orca_cron_next(&c, NULL, -1, &n), 0);
  assert_int_equal(n, 0);
}

/* Expressions that match no date in a 400-year cycle are refused by the
 * parser (so by orcac and schedule add too), with the day-of-month column. */
static void test_never_fires(void **state) {
  (void)state;
  static const char *const never[] = {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30W 2 *",
                                      "0 0 L-30 2 *", "0 0 0 30 2 *"};
  for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
    orca_cron c;
    orca_err err = {0};
    assert_int_equal(orca_cron_parse(never[i], &c, &err), ORCA_EINVAL);
    assert_non_null(strstr(err.msg, "the expression never fires"));
  }
  orca_cron c;
  orca_err err = {0};
  assert_int_equal(orca_cron_parse("0 0 30 FEB ?", &c, &err), ORCA_EINVAL);
  assert_string_equal(err.msg, "cron column 5: no date matches the day-of-month, month and "
                               "day-of-week fields (like 30 February): the expression never fires");
  /* Rare is not never: 31 in months that have it, 29 February, ORed fields. */
  assert_int_equal(orca_cron_parse("0 0 31 2,3 *", &c, NULL), 0);
  assert_int_equal(orca_cron_parse("0 0 29 2 *", &c, NULL), 0);
  assert_int_equal(orca_cron_parse("0 0 30 2 MON", &c, NULL), 0);
  int64_t n;
  assert_int_equal(orca_cron_next(&c, NULL, 0, &n), 0);
  assert_int_equal(n, 86400000000LL * 32); /* Monday 1970-02-02 */
}

static void test_tz_errors(void **state) {
  (void)state;
  orca_tz *tz = NULL;
  orca_err err = {0};
  assert_int_equal(orca_tz_open("Mars/Olympus", &tz, &err), ORCA_ENOTFOUND);
  assert_non_null(strstr(err.msg, "Mars/Olympus"));
  assert_int_equal(orca_tz_open("../etc/passwd", &tz, &err), ORCA_ENOTFOUND);
  assert_string_equal(err.msg, "time zone '../etc/passwd': not a valid zone name");
  assert_int_equal(orca_tz_open("/etc/passwd", &tz, &err), ORCA_ENOTFOUND);
  static const uint8_t junk[] = "TZif2 not really";
  assert_int_equal(orca__tz_parse(junk, sizeof junk, "junk", &tz, &err), ORCA_EDECODE);
  assert_string_equal(err.msg, "zone 'junk': not a TZif file (bad header at byte 0)");
  /* A real file cut short anywhere is refused, never read past. */
  FILE *f = fopen("/usr/share/zoneinfo/Europe/Paris", "rb");
  if (!f)
    skip();
  uint8_t buf[8192];
  size_t len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  for (size_t cut = 0; cut < len; cut += 7) {
    uint8_t *copy = malloc(cut + 1);
    memcpy(copy, buf, cut);
    int rc = orca__tz_parse(copy, cut, "cut", &tz, &err);
    if (rc == 0)
      orca_tz_close(tz);
    else
      assert_int_equal(rc, ORCA_EDECODE);
    free(copy);
  }
  assert_int_equal(orca__tz_parse(buf, len, "Europe/Paris", &tz, &err), 0);
  assert_int_equal(orca__tz_offset(tz, 1719792000), 7200); /* 2024-07-01 */
  assert_int_equal(orca__tz_offset(tz, 4102444800), 3600); /* 2100-01-01: footer rule */
  assert_int_equal(orca__tz_offset(tz, 4118083200), 7200); /* 2100-07-01 */
  orca_tz_close(tz);
}

/* orca_every_next: multiples of the interval since the epoch, before the
 * epoch too; no fire for a non-positive interval. */
static void test_every_next(void **state) {
  (void)state;
  int64_t t = 0;
  assert_int_equal(orca_every_next(250000, 1000, &t), 0);
  assert_int_equal(t, 250000);
  assert_int_equal(orca_every_next(250000, 250000, &t), 0); /* strictly after */
  assert_int_equal(t, 500000);
  assert_int_equal(orca_every_next(250000, -1, &t), 0);
  assert_int_equal(t, 0);
  assert_int_equal(orca_every_next(250000, -250001, &t), 0);
  assert_int_equal(t, -250000);
  assert_int_equal(orca_every_next(0, 5, &t), ORCA_ENOTFOUND);
}

/* orca_tz_format: RFC 3339 with the zone's offset, Z for UTC, microseconds
 * only when not on a whole second, instants before the epoch. */
static void test_tz_format(void **state) {
  (void)state;
  char out[ORCA_TIME_MAX];
  orca_tz *paris = NULL, *ny = NULL;
  assert_int_equal(orca_tz_open("Europe/Paris", &paris, NULL), 0);
  assert_int_equal(orca_tz_open("America/New_York", &ny, NULL), 0);
  int64_t t = 1711846800LL * 1000000; /* 2024-03-31T01:00:00Z, 03:00 CEST */
  assert_string_equal(orca_tz_format(NULL, t, out, sizeof out), "2024-03-31T01:00:00Z");
  assert_string_equal(orca_tz_format(paris, t, out, sizeof out), "2024-03-31T03:00:00+02:00");
  assert_string_equal(orca_tz_format(ny, t + 250000, out, sizeof out),
                      "2024-03-30T21:00:00.250000-04:00");
  assert_string_equal(orca_tz_format(NULL, -1, out, sizeof out), "1969-12-31T23:59:59.999999Z");
  char small[8];
  assert_string_equal(orca_tz_format(NULL, 0, small, sizeof small), "1970-01");
  orca_tz_close(paris);
  orca_tz_close(ny);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_next),
      cmocka_unit_test(test_tz_format),
      cmocka_unit_test(test_oracle_table),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_parse_fields),
      cmocka_unit_test(test_dst_policy),
      cmocka_unit_test(test_not_found_and_bounds),
      cmocka_unit_test(test_never_fires),
      cmocka_unit_test(test_tz_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
