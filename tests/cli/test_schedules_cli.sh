#!/usr/bin/env bash
# test_schedules_cli.sh ORCA SHOP_ORCA — `orca schedules next` (fire-time
# preview: cron with zones and DST, every(DUR), rare dates, refusals) and the
# fields of `orca schedules list --json`, driven from a shell.
set -u
orca=$1 schema=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export ORCA_BACKEND="sqlite:$dir/orca.db"
fails=0 passes=0

# same NAME WANT CMD... : CMD exits 0 and prints exactly WANT on stdout
same() {
  local name=$1 want=$2
  shift 2
  local got
  got=$("$@" 2>"$dir/err")
  local rc=$?
  if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
    passes=$((passes + 1)); echo "ok   $name"
  else
    fails=$((fails + 1)); echo "FAIL $name (rc=$rc)"; echo "  got:  $got"; echo "  want: $want"
    cat "$dir/err"
  fi
}

# refused NAME RC PATTERN CMD... : CMD exits RC with one stderr line matching PATTERN
refused() {
  local name=$1 want_rc=$2 pat=$3
  shift 3
  "$@" >/dev/null 2>"$dir/err"
  local rc=$?
  if [ $rc -eq "$want_rc" ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -qE -- "$pat" "$dir/err"; then
    passes=$((passes + 1)); echo "ok   $name"
  else
    fails=$((fails + 1)); echo "FAIL $name (rc=$rc): $(cat "$dir/err")"
  fi
}

# 29 February after 2096 is in 2104: the search spans the 400-year cycle.
same "next: 29 February across 2100" "2104-02-29T00:00:00Z
2108-02-29T00:00:00Z
2112-02-29T00:00:00Z" "$orca" schedules next "0 0 29 2 *" --after 2096-03-01T00:00:00Z -n 3

# DST in Paris: the skipped 02:30 of 31 March fires at 03:00 CEST.
same "next: zone and DST gap" "2024-03-30T01:30:00Z  2024-03-30T02:30:00+01:00
2024-03-31T01:00:00Z  2024-03-31T03:00:00+02:00
2024-04-01T00:30:00Z  2024-04-01T02:30:00+02:00" \
  "$orca" schedules next "30 2 * * *" --tz Europe/Paris --after 2024-03-30T00:00:00Z -n 3

# A day field starting with * restricts by its step and is ANDed: odd-day Mondays.
same "next: */2 in day-of-month ANDed with day-of-week" "2024-03-11T00:00:00Z
2024-03-25T00:00:00Z
2024-04-01T00:00:00Z" "$orca" schedules next "0 0 */2 * MON" --after 2024-02-28T12:00:00Z -n 3

same "next: every(DUR) at multiples of the interval, JSON" \
  '{"fire_us":1767225600250000,"utc":"2026-01-01T00:00:00.250000Z"}
{"fire_us":1767225600500000,"utc":"2026-01-01T00:00:00.500000Z"}' \
  "$orca" schedules next "every(250ms)" --after 2026-01-01T00:00:00Z -n 2 --json

same "next: JSON with a zone" \
  '{"fire_us":50400000000,"utc":"1970-01-01T14:00:00Z","local":"1970-01-01T09:00:00-05:00"}' \
  "$orca" schedules next "0 9 * * *" --tz America/New_York --after @0 -n 1 --json

[ "$("$orca" schedules next @hourly | wc -l)" -eq 5 ] && { passes=$((passes + 1)); echo "ok   next: 5 by default"; } \
  || { fails=$((fails + 1)); echo "FAIL next: 5 by default"; }

refused "next: never fires" 1 "column 5: .*never fires" "$orca" schedules next "0 0 30 2 *"
refused "next: bad cron" 1 "minute field, column 1: 61 is out of range" "$orca" schedules next "61 * * * *"
refused "next: bad interval" 1 "every\(DUR\)" "$orca" schedules next "every 5m"
refused "next: interval under 1ms" 1 "at least 1ms" "$orca" schedules next "every(10us)"
refused "next: unknown zone" 1 "Mars/Olympus" "$orca" schedules next "0 * * * *" --tz Mars/Olympus
refused "next: bad -n" 2 "-n '0' must be a whole number from 1 to 1000" "$orca" schedules next "* * * * *" -n 0
refused "next: bad --after" 2 "--after 'soon' is not a time" "$orca" schedules next "* * * * *" --after soon
refused "next: no expression" 2 "next needs one EXPR" "$orca" schedules next

# schedules list --json: one object per schedule with the fields of docs/cli.md.
"$orca" schedules add nightly shop.price --schema "$schema" --cron "0 3 * * *" --tz Europe/Paris \
  --args '{"sku":"report"}' --catchup all:5 >/dev/null &&
  "$orca" schedules add tick shop.price --schema "$schema" --every 90s --args '{"sku":"t"}' >/dev/null
"$orca" schedules list --json >"$dir/list.json"
if python3 - "$dir/list.json" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
keys = ["name", "task", "queue", "when", "tz", "every_us", "catchup", "catchup_max", "priority",
        "next_fire_us", "paused"]
assert [list(r) for r in rows] == [keys, keys], rows
n, t = rows
assert (n["name"], n["task"], n["when"], n["tz"], n["every_us"]) == \
    ("nightly", "shop.price", "0 3 * * *", "Europe/Paris", 0), n
assert (n["catchup"], n["catchup_max"], n["paused"]) == ("all", 5, False), n
assert (t["when"], t["tz"], t["every_us"], t["catchup"]) == ("every(90000ms)", "", 90000000, "skip"), t
assert t["next_fire_us"] % 90000000 == 0, t
EOF
then passes=$((passes + 1)); echo "ok   list --json fields"
else fails=$((fails + 1)); echo "FAIL list --json fields: $(cat "$dir/list.json")"; fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
