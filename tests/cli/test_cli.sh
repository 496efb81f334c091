#!/usr/bin/env bash
# test_cli.sh ORCA SHOP_WORKER SHOP_ORCA — the `orca` command as an operator
# uses it: clear one-line errors for bad URLs and bad JSON, enqueue → a real
# worker process → wait/inspect, cancel, stats, and the dead-letter queue.
set -u
orca=$1 worker=$2 schema=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export ORCA_BACKEND="sqlite:$dir/orca.db"
fails=0 passes=0
ok() { passes=$((passes + 1)); echo "ok   $1"; }
bad() { fails=$((fails + 1)); echo "FAIL $1"; }

# expect_err NAME PATTERN CMD... : exit 1, exactly one line on stderr matching PATTERN
expect_err() {
  local name=$1 pat=$2
  shift 2
  "$@" >"$dir/out" 2>"$dir/err"
  local rc=$?
  if [ $rc -eq 1 ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -qE "$pat" "$dir/err"; then
    ok "$name"
  else
    bad "$name (rc=$rc): $(cat "$dir/err")"
  fi
}

expect_err "unknown scheme" "unknown scheme 'mysql'" "$orca" stats --backend mysql://x
expect_err "missing directory" "/no/such/dir" "$orca" stats --backend sqlite:/no/such/dir/x.db
expect_err "unreachable redis" "127.0.0.1:1" "$orca" stats --backend redis://127.0.0.1:1
expect_err "bad redis port" "port" "$orca" stats --backend redis://localhost:notaport
expect_err "json wrong type" "order.items\[0\].qty" \
  "$orca" enqueue --schema "$schema" shop.charge '{"order":{"id":"A","items":[{"sku":"t","qty":"two"}]}}'
expect_err "json unknown field" "nope" "$orca" enqueue --schema "$schema" shop.price '{"nope":1}'
expect_err "json malformed" "offset|column|expected" "$orca" enqueue --schema "$schema" shop.price '{"sku":'
expect_err "unknown task" "no task 'shop.refund'" "$orca" enqueue --schema "$schema" shop.refund '{}'
expect_err "unknown id" "no task" "$orca" inspect does-not-exist
"$orca" enqueue --schema "$schema" shop.price '{"sku":"x"}' --in soon >/dev/null 2>&1
[ $? -eq 2 ] && ok "bad --in is a usage error" || bad "bad --in is a usage error"

# enqueue → worker → result
id=$("$orca" enqueue --schema "$schema" charge \
  '{"order":{"id":"cli-1","items":[{"sku":"tea","qty":2,"price":1.5}],"tier":"PRO"}}')
[ -n "$id" ] && ok "enqueue prints an id" || bad "enqueue prints an id"
"$orca" inspect "$id" --json | grep -q '"state":"pending"' && ok "inspect pending" || bad "inspect pending"
out=$("$orca" inspect "$id" --json --schema "$schema")
echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["args"]["order"]["id"]=="cli-1", r; assert r["deliveries"]==0, r' \
  && ok "inspect shows the arguments" || bad "inspect args: $out"
cancel_id=$("$orca" enqueue --schema "$schema" shop.price '{"sku":"gone"}' --in 1h)
"$orca" cancel "$cancel_id" >/dev/null && ok "cancel deferred" || bad "cancel deferred"
"$orca" inspect "$cancel_id" --json | grep -q '"state":"cancelled"' && ok "cancelled state" || bad "cancelled state"
dead_id=$("$orca" enqueue --schema "$schema" shop.notify '{"to":"bounce@x.test","body":"hi"}')

"$worker" --concurrency 2 --max-tasks 2 --no-schedules >"$dir/worker.log" 2>&1
[ $? -eq 0 ] && ok "worker ran and stopped" || bad "worker: $(tail -3 "$dir/worker.log")"

out=$("$orca" wait "$id" --timeout 10s --schema "$schema" --json)
echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["state"]=="succeeded", r; assert r["result"]["order_id"]=="cli-1", r; assert r["result"]["cents"]==270, r' \
  && ok "wait returns the typed result" || bad "wait: $out"
"$orca" inspect "$id" | grep -q "^delivered 1 time$" && ok "inspect shows deliveries" \
  || bad "inspect deliveries: $("$orca" inspect "$id")"
"$orca" wait "$dead_id" --timeout 10s >/dev/null 2>&1
[ $? -eq 1 ] && ok "wait on a dead task exits 1" || bad "wait on a dead task exits 1"

"$orca" dlq list --json | grep -q "$dead_id" && ok "dlq list" || bad "dlq list"
"$orca" stats --json | python3 -c 'import json,sys; q={r["queue"]:r for r in map(json.loads,sys.stdin)}; assert q["default"]["dead"]==1, q' \
  && ok "stats counts the dead task" || bad "stats: $("$orca" stats --json)"
"$orca" dlq requeue default "$dead_id" | grep -q "requeued 1" && ok "dlq requeue" || bad "dlq requeue"
"$orca" inspect "$dead_id" --json | grep -q '"state":"pending"' && ok "requeued is pending" || bad "requeued is pending"
expect_err "requeue unknown" "no dead task" "$orca" dlq requeue default nope
"$orca" dlq purge default --all >/dev/null && ok "dlq purge" || bad "dlq purge"

# run-time schedules
"$orca" schedules add nightly-report shop.price --schema "$schema" --cron "0 3 * * *" \
  --tz Europe/Paris --args '{"sku":"report"}' | grep -q "nightly-report" && ok "schedules add" || bad "schedules add"
expect_err "schedules bad cron" "minute|column" "$orca" schedules add broken shop.price \
  --schema "$schema" --cron "61 * * * *"
expect_err "schedules bad zone" "Mars/Olympus" "$orca" schedules add broken shop.price \
  --schema "$schema" --cron "0 * * * *" --tz Mars/Olympus
"$orca" schedules pause nightly-report >/dev/null && "$orca" schedules list | grep -q "(paused)" \
  && ok "schedules pause" || bad "schedules pause"
"$orca" schedules remove nightly-report >/dev/null && [ -z "$("$orca" schedules list)" ] \
  && ok "schedules remove" || bad "schedules remove"
expect_err "schedules remove unknown" "no schedule" "$orca" schedules remove nightly-report

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
