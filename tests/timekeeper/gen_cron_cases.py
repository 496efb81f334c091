#!/usr/bin/python3
"""gen_cron_cases.py - the oracle for the cron evaluator tests.

Writes tests/timekeeper/cron_cases.txt, one case per line:

    EXPR|ZONE|START_US|NEXT1 NEXT2 NEXT3

NEXTk is the k-th fire strictly after START_US (µs since the epoch, UTC),
each computed from the previous one. Regenerate with

    /usr/bin/python3 tests/timekeeper/gen_cron_cases.py > tests/timekeeper/cron_cases.txt

How expected values are computed, and why not simply with croniter:
  * The matcher below is a brute-force reading of the dialect in
    docs/timekeeper.md written in Python with `datetime` (independent of the C
    code): it walks local calendar days one by one and, in matching days,
    the hours/minutes/seconds in order.
  * Local times are turned into instants with `zoneinfo` (the same IANA data,
    a different reader) under our documented DST policy: a local time that a
    jump forward skips fires at the transition instant (the first instant
    after the gap); a local time repeated by a fall-back fires once, at its
    first occurrence (fold=0).
  * python3-croniter (1.3.5 in Debian 12) is used as a second oracle where it
    is reliable: for every UTC case whose expression croniter understands
    (no W, LW, L-n, nL), the script asserts croniter gives the same fires and
    counts the agreements on stderr. It is NOT used for DST zones: croniter
    1.3.5 fires a skipped 02:30 at 03:30 (we fire at 03:00, as Vixie cron
    runs jobs of the skipped hour right after the jump) and after a gap it
    returns wrong instants (e.g. "30 2 * * *" from 2024-03-31 01:00 Paris
    gives 2024-04-01 01:30+02:00 as its second fire).
  * croniter reads a 6-field expression with seconds last; ours has seconds
    first (as Quartz and Spring), so 6-field expressions are not cross-checked.
  * Day-of-month and day-of-week combine with OR when both fields are
    restricted and neither starts with `*` or is `?` (Vixie cron; croniter
    1.3.5 treats `*/2` differently, so such expressions are not cross-checked).
"""
import calendar
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

try:
    from croniter import croniter
except ImportError:  # the oracle still works; only the cross-check is lost
    croniter = None

UTC = timezone.utc
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DOWS = "SUN MON TUE WED THU FRI SAT".split()
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
          "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
          "@hourly": "0 * * * *"}


def val(tok, names, base):
    if tok.isdigit():
        return int(tok)
    return names.index(tok.upper()) + base


def expand(field, lo, hi, names=None, base=0, dow=False):
    """Plain items of a field -> set of values; specials returned apart."""
    vals, specials = set(), []
    for item in field.split(","):
        if item in ("*", "?"):
            vals |= set(range(lo, hi + 1))
            continue
        if any(c in item for c in "LW#") and not (names and item.isalpha()):
            specials.append(item)
            continue
        rng, _, step = item.partition("/")
        step = int(step) if step else 1
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            a, b = (val(x, names, base) for x in rng.split("-"))
        else:
            a = val(rng, names, base)
            b = hi if step != 1 or "/" in item else a
        for v in range(a, b + 1, step):
            vals.add(0 if dow and v == 7 else v)
    return vals, specials


class Cron:
    def __init__(self, expr):
        expr = MACROS.get(expr, expr)
        f = expr.split()
        if len(f) == 5:
            f = ["0"] + f
        self.sec, _ = expand(f[0], 0, 59)
        self.min, _ = expand(f[1], 0, 59)
        self.hour, _ = expand(f[2], 0, 23)
        self.dom, self.dom_sp = expand(f[3], 1, 31)
        self.mon, _ = expand(f[4], 1, 12, MONTHS, 1)
        self.dow, self.dow_sp = expand(f[5], 0, 7, DOWS, 0, dow=True)
        self.dom_star = f[3][0] in "*?"
        self.dow_star = f[5][0] in "*?"

    def day_ok(self, d):
        dim = calendar.monthrange(d.year, d.month)[1]
        wd = (d.weekday() + 1) % 7  # Sunday = 0
        dom = d.day in self.dom
        for sp in self.dom_sp:
            if sp == "L":
                dom |= d.day == dim
            elif sp.startswith("L-"):
                dom |= d.day == dim - int(sp[2:])
            elif sp == "LW":
                last = d.replace(day=dim)
                while last.weekday() >= 5:
                    last -= timedelta(days=1)
                dom |= d == last
            elif sp.endswith("W"):
                t = int(sp[:-1])
                if t <= dim:
                    td = d.replace(day=t)
                    if td.weekday() == 5:
                        td = td + timedelta(days=2) if t == 1 else td - timedelta(days=1)
                    elif td.weekday() == 6:
                        td = td - timedelta(days=2) if t == dim else td + timedelta(days=1)
                    dom |= td == d
        dow = wd in self.dow
        for sp in self.dow_sp:
            if sp.endswith("L"):
                dow |= wd == val(sp[:-1], DOWS, 0) % 7 and d.day + 7 > dim
            else:
                w, k = sp.split("#")
                dow |= wd == val(w, DOWS, 0) % 7 and (d.day - 1) // 7 + 1 == int(k)
        if self.dom_star or self.dow_star:
            return dom and dow
        return dom or dow


def to_instant(naive, tz):
    """Local time -> instant under our DST policy."""
    if tz is None:
        return naive.replace(tzinfo=UTC)
    a = naive.replace(tzinfo=tz, fold=0)
    ua = a.astimezone(UTC)
    if ua.astimezone(tz).replace(tzinfo=None) == naive:
        return ua  # exists; fold=0 is the first occurrence when repeated
    # In a gap: find the first instant whose local time is past `naive`.
    lo = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp()) - 1
    hi = int(ua.timestamp()) + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        loc = datetime.fromtimestamp(mid, UTC).astimezone(tz).replace(tzinfo=None)
        if loc > naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def next_fire(cron, tz, after):
    """First fire strictly after instant `after` (aware, UTC)."""
    start = after.astimezone(tz) if tz else after
    day = start.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(146097 + 366):  # a whole 400-year Gregorian cycle
        if day.month in cron.mon and cron.day_ok(day):
            for h in sorted(cron.hour):
                for m in sorted(cron.min):
                    for s in sorted(cron.sec):
                        inst = to_instant(day.replace(hour=h, minute=m, second=s), tz)
                        if inst > after:
                            return inst
        day += timedelta(days=1)
    return None


EXPRS = [
    "* * * * *", "*/15 * * * *", "0 * * * *", "30 2 * * *", "0 2 * * *", "15,45 1-3 * * *",
    "0 0 * * *", "0 12 * * MON-FRI", "0 9 * * 1", "0 0 1 * *", "0 0 L * *", "0 0 L-2 * *",
    "0 0 LW * *", "0 0 15W * *", "0 0 1W * *", "0 0 31W * *", "0 0 * * 5L", "0 0 * * 0#2",
    "0 18 * * FRI#3", "0 0 29 2 *", "0 0 28-31 * *", "0 0 13 * 5", "0 6 1,15 * 3",
    "30 4 1 JAN,JUL *", "0 0 1 1 *", "@hourly", "@daily", "@weekly", "@monthly", "@yearly",
    "*/20 * * * * *", "0 30 1-3 * * *", "5/20 * * * *", "0 0 ? * SUN", "0 0 10 * ?",
    "0 */2 * * *", "45 1 * * *", "0 1,2,3 * * 0", "59 23 31 12 *", "0 0 * * 7",
    "0 22 * * 1-5", "0 0 1-7 * 1", "*/7 2 * * *", "30 1 * * *",
    # Rare dates: 29 February across the non-leap 2100 (2096 -> 2104), and the
    # fifth Monday of February (29 February on a Monday: 2072, then 2112).
    "0 0 * 2 1#5", "0 12 29 FEB *",
    # A day field starting with "*" restricts by its step and is ANDed with the
    # other (Vixie cron); the same days written as a range are ORed.
    "0 0 */2 * MON", "0 0 1-31/2 * MON",
]

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"]


def transitions(tzname, year):
    """Instants (UTC) where the zone's offset changes in `year`, found by scan."""
    tz = ZoneInfo(tzname)
    out, t = [], datetime(year, 1, 1, tzinfo=UTC)
    prev = t.astimezone(tz).utcoffset()
    while t.year == year:
        nt = t + timedelta(hours=1)
        off = nt.astimezone(tz).utcoffset()
        if off != prev:
            lo, hi = t, nt
            while (hi - lo) > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            prev = off
        t = nt
    return out


def starts(tzname):
    base = [datetime(2024, 2, 28, 12, 0, 0, tzinfo=UTC), datetime(2023, 2, 27, 23, 59, 30, tzinfo=UTC),
            datetime(2024, 12, 31, 23, 0, 0, tzinfo=UTC), datetime(2025, 6, 14, 7, 31, 12, tzinfo=UTC),
            datetime(2100, 2, 27, 0, 0, 0, tzinfo=UTC), datetime(2096, 3, 1, 0, 0, 0, tzinfo=UTC),
            datetime(2072, 3, 10, 6, 0, 0, tzinfo=UTC)]
    if tzname != "UTC":
        for tr in transitions(tzname, 2024) + transitions(tzname, 2025)[:1]:
            base.append(tr - timedelta(hours=2, minutes=7, seconds=30))
            base.append(tr - timedelta(seconds=1))
            base.append(tr + timedelta(minutes=10))
    return base


def us(dt):
    return int(dt.timestamp()) * 1000000 + dt.microsecond


def croniter_ok(expr):
    # croniter puts seconds LAST in 6-field expressions; ours go first.
    return croniter is not None and (expr.startswith("@") or len(expr.split()) == 5) and not any(x in expr for x in ("W", "L-", "5L", "?")) and \
        not (expr.split()[2:3] and "*/" in expr.split()[-3])


def main():
    agreed = 0
    print("# generated by: /usr/bin/python3 tests/timekeeper/gen_cron_cases.py "
          "> tests/timekeeper/cron_cases.txt")
    print("# EXPR|ZONE|START_US|NEXT1 NEXT2 NEXT3 (µs since the epoch, UTC)")
    for zone in ZONES:
        tz = None if zone == "UTC" else ZoneInfo(zone)
        for expr in EXPRS:
            cron = Cron(expr)
            for st in starts(zone):
                fires, t = [], st
                for _ in range(3):
                    t = next_fire(cron, tz, t)
                    if t is None:
                        break
                    fires.append(t)
                if len(fires) < 3:
                    continue
                if zone == "UTC" and croniter_ok(expr) and (st.year < 2100 or "#5" in expr or " 29 " in expr):
                    it = croniter(expr, st.replace(tzinfo=UTC))
                    got = [it.get_next(datetime) for _ in range(3)]
                    if [us(g) for g in got] != [us(f) for f in fires]:
                        sys.exit("croniter disagrees on %r from %s: %s vs %s" % (expr, st, got, fires))
                    agreed += 1
                print("%s|%s|%d|%s" % (expr, zone, us(st), " ".join(str(us(f)) for f in fires)))
    print("cross-checked %d UTC cases with croniter" % agreed, file=sys.stderr)


if __name__ == "__main__":
    main()
