#!/usr/bin/env bash
# test_cli.sh ORCA SHOP_WORKER SHOP_ORCA — the `orca` command as an operator
# uses it: clear one-line errors for bad URLs and bad JSON, enqueue → a real
# worker process → wait/inspect, cancel, stats, and the dead-letter queue.
set -u
orca=$1 worker=$2 schema=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export ORCA_BACKEND="sqlite:$dir/orca.db"
. "$(dirname "$0")/lib.sh"

# expect_rc RC NAME PATTERN CMD... : exit RC, exactly one line on stderr
# matching PATTERN (grep -E), nothing on stdout
expect_rc() {
  local want=$1 name=$2 pat=$3
  shift 3
  "$@" >"$dir/out" 2>"$dir/err" </dev/null
  local rc=$?
  if [ $rc -eq "$want" ] && [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -qE -- "$pat" "$dir/err" &&
    [ ! -s "$dir/out" ]; then
    ok "$name"
  else
    bad "$name (rc=$rc, want $want): $(cat "$dir/err" "$dir/out")"
  fi
}
# expect_err: a failure at run time (exit 1); expect_usage: a bad flag,
# value or URL (exit 2)
expect_err() { expect_rc 1 "$@"; }
expect_usage() { expect_rc 2 "$@"; }

expect_usage "unknown scheme" "--backend: unknown scheme 'mysql'" "$orca" stats --backend mysql://x
expect_err "missing directory" "/no/such/dir" "$orca" stats --backend sqlite:/no/such/dir/x.db
expect_err "unreachable redis" "127.0.0.1:1" "$orca" stats --backend redis://127.0.0.1:1
expect_usage "bad redis port" "port 'notaport'" "$orca" stats --backend redis://localhost:notaport

# A password never shows: every URL error path, for the URL from --backend,
# --backend-file, ORCA_BACKEND and ORCA_BACKEND_FILE, in orca and the worker.
secret=S3cr3t
urlfile=$dir/url
for url in "redis://:$secret@localhost:notaport" "redis://:$secret@localhost:0" \
  "redis://:$secret@localhost" "redis://:$secret@:6379" "redis://:$secret@h:1/x" \
  "redis://$secret@h:1" "redis:/:$secret@h:1" "rediss://:$secret@h:1" "mysql://root:$secret@db" \
  "root:$secret@db" ":$secret@db" "sqlite://u:$secret@host/x.db" "redis://:$secret@127.0.0.1:1"; do
  printf '%s\n' "$url" >"$urlfile"
  chmod 600 "$urlfile"
  for how in flag file env envfile worker workerfile; do
    case $how in
    flag) "$orca" stats --backend "$url" ;;
    file) "$orca" stats --backend-file "$urlfile" ;;
    env) ORCA_BACKEND=$url "$orca" stats ;;
    envfile) env -u ORCA_BACKEND ORCA_BACKEND_FILE="$urlfile" "$orca" stats ;;
    worker) "$worker" --backend "$url" --max-tasks 1 ;;
    workerfile) "$worker" --backend-file "$urlfile" --max-tasks 1 ;;
    esac >"$dir/out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] || grep -q "$secret" "$dir/out" || ! grep -qE "\*\*\*|127.0.0.1:1" "$dir/out"; then
      bad "password hidden: $how $url (rc=$rc): $(cat "$dir/out")"
    else
      passes=$((passes + 1))
    fi
  done
done
ok "no URL error shows the password ($((6 * 13)) cases)"
printf 'redis://:%s@127.0.0.1:1\n' "$secret" >"$urlfile"
chmod 644 "$urlfile"
"$orca" stats --backend-file "$urlfile" >"$dir/out" 2>&1
grep -q "readable by every user (chmod 600 it)" "$dir/out" && ! grep -q "$secret" "$dir/out" &&
  ok "a world-readable password file is warned about" || bad "world-readable warning: $(cat "$dir/out")"
printf 'sqlite:%s/orca.db\n' "$dir" >"$urlfile"
env -u ORCA_BACKEND "$orca" stats --backend-file "$urlfile" >/dev/null &&
  env -u ORCA_BACKEND ORCA_BACKEND_FILE="$urlfile" "$orca" stats >/dev/null &&
  ok "--backend-file and ORCA_BACKEND_FILE" || bad "--backend-file and ORCA_BACKEND_FILE"

# Every bad flag value: exit 2, one line naming the flag and the value.
long=$(printf 'x%.0s' $(seq 200))
expect_usage "empty --backend" "--backend '': the URL is empty" "$orca" stats --backend ''
expect_usage "--backend without value" "--backend needs a value" "$orca" stats --backend
expect_usage "both backend options" "--backend or --backend-file, not both" \
  "$orca" stats --backend sqlite:x.db --backend-file "$urlfile"
expect_usage "missing --backend-file" "--backend-file '/no/such/file'" \
  "$orca" stats --backend-file /no/such/file
expect_usage "both backend variables" "both ORCA_BACKEND and ORCA_BACKEND_FILE" \
  env ORCA_BACKEND_FILE="$urlfile" "$orca" stats
expect_usage "empty --schema" "--schema ''" "$orca" enqueue --schema '' shop.price '{}'
expect_usage "empty -I" "-I ''" "$orca" enqueue -I '' --schema "$schema" shop.price '{}'
expect_usage "empty --queue" "--queue ''" "$orca" enqueue --schema "$schema" shop.price '{}' --queue ''
expect_usage "long --queue" "--queue '$long'" \
  "$orca" enqueue --schema "$schema" shop.price '{}' --queue "$long"
expect_usage "empty --id" "--id ''" "$orca" enqueue --schema "$schema" shop.price '{}' --id ''
expect_usage "long --id" "--id '$long'" "$orca" enqueue --schema "$schema" shop.price '{}' --id "$long"
expect_usage "bad --in" "--in 'soon'" "$orca" enqueue --schema "$schema" shop.price '{"sku":"x"}' --in soon
expect_usage "bad --at" "--at 'never'" "$orca" enqueue --schema "$schema" shop.price '{}' --at never
expect_usage "--in and --at" "--in '5s' or --at '1700000000', not both" \
  "$orca" enqueue --schema "$schema" shop.price '{}' --in 5s --at 1700000000
expect_usage "bad --priority" "--priority .*'10'" "$orca" enqueue --schema "$schema" shop.price '{}' --priority 10
expect_usage "unknown option" "unknown option '--bogus'" "$orca" enqueue --schema "$schema" shop.price '{}' --bogus 1
expect_usage "bad --timeout" "--timeout 'forever'" "$orca" wait some-id --timeout forever
expect_usage "zero --limit" "--limit .*'0'" "$orca" dlq list --limit 0
expect_usage "huge --limit" "--limit .*'99999999999999999999'" "$orca" dlq list --limit 99999999999999999999
expect_usage "missing --args-file" "--args-file '/no/such/args.json'" \
  "$orca" enqueue --schema "$schema" shop.price --args-file /no/such/args.json
expect_usage "--args-file and JSON" "only the TASK" \
  "$orca" enqueue --schema "$schema" shop.price '{}' --args-file "$urlfile"
truncate -s 65M "$dir/huge.json"
expect_usage "--args-file over the limit" "--args-file '$dir/huge.json': more than 64 MiB" \
  "$orca" enqueue --schema "$schema" shop.price --args-file "$dir/huge.json"
rm -f "$dir/huge.json"
head -c 67108865 /dev/zero | "$orca" enqueue --schema "$schema" shop.price --args-file - >"$dir/out" 2>"$dir/err"
[ $? -eq 2 ] && grep -q -- "--args-file '-': more than 64 MiB" "$dir/err" &&
  ok "stdin over the limit" || bad "stdin over the limit: $(cat "$dir/err")"
expect_err "json wrong type" "order.items\[0\].qty" \
  "$orca" enqueue --schema "$schema" shop.charge '{"order":{"id":"A","items":[{"sku":"t","qty":"two"}]}}'
expect_err "json unknown field" "nope" "$orca" enqueue --schema "$schema" shop.price '{"nope":1}'
expect_err "json malformed" "offset|column|expected" "$orca" enqueue --schema "$schema" shop.price '{"sku":'
expect_err "unknown task" "no task 'shop.refund'" "$orca" enqueue --schema "$schema" shop.refund '{}'
expect_err "unknown id" "no task" "$orca" inspect does-not-exist

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

# orca cluster: a stopped worker took its advertisement with it; a running
# one is listed (text and JSON) through the peer network.
expect_err "cluster without workers" "no worker of this backend runs the peer network" \
  "$orca" cluster
expect_usage "cluster takes no arguments" "takes no arguments" "$orca" cluster extra
"$worker" --concurrency 3 --no-schedules --id cli-w1 >"$dir/peer.log" 2>&1 &
peer_pid=$!
wait_advertised "$dir/peer.log"
out=$("$orca" cluster 2>&1)
echo "$out" | grep -qE '^cli-w1 +alive +127\.0\.0\.1:[0-9]+ +0/3 ' && ok "cluster lists the worker" ||
  bad "cluster: $out"
out=$("$orca" cluster --json 2>&1)
echo "$out" | python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); assert r["id"]=="cli-w1" and r["state"]=="alive" and r["concurrency"]==3, r' \
  && ok "cluster --json" || bad "cluster --json: $out"
kill -TERM $peer_pid
wait $peer_pid && ok "peer worker stopped" || bad "peer worker: $(tail -3 "$dir/peer.log")"

out=$("$orca" wait "$id" --timeout 10s --schema "$schema" --json)
echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["state"]=="succeeded", r; assert r["result"]["order_id"]=="cli-1", r; assert r["result"]["cents"]==270, r' \
  && ok "wait returns the typed result" || bad "wait: $out"
"$orca" inspect "$id" | grep -q "^delivered 1 time$" && ok "inspect shows deliveries" \
  || bad "inspect deliveries: $("$orca" inspect "$id")"
"$orca" wait "$dead_id" --timeout 10s >/dev/null 2>&1
[ $? -eq 1 ] && ok "wait on a dead task exits 1" || bad "wait on a dead task exits 1"

# inspect's text form prints each time in its own place
"$orca" inspect "$id" >"$dir/out"
enq=$(sed -n 's/^enqueued  //p' "$dir/out") start=$(sed -n 's/^started   //p' "$dir/out")
exp=$(sed -n 's/^expires   //p' "$dir/out")
[ -n "$enq" ] && [ -n "$exp" ] && [ "$enq" != "$exp" ] && [[ ! "$enq" > "$start" ]] &&
  ok "inspect shows enqueued and expires apart" || bad "inspect times: $(cat "$dir/out")"

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

# JSON arguments from a file (10 MiB, far beyond a command line's limit) and
# from stdin, through a real worker: shop.price sums the bytes of its sku.
python3 -c 'import json,sys; json.dump({"sku": "a" * (10 << 20)}, sys.stdout)' >"$dir/big.json"
big_id=$("$orca" enqueue --schema "$schema" shop.price --args-file "$dir/big.json" --queue big)
small_id=$(printf '{"sku": "tea"}' | "$orca" enqueue --schema "$schema" shop.price --args-file - --queue big)
[ -n "$big_id" ] && [ -n "$small_id" ] && ok "enqueue --args-file FILE and -" || bad "enqueue --args-file"
"$worker" --queues big --max-tasks 2 --no-schedules >"$dir/worker.log" 2>&1 ||
  bad "worker on big: $(tail -3 "$dir/worker.log")"
# result_is ID VALUE: the task succeeded with this number as result
result_is() {
  "$orca" wait "$1" --timeout 30s --json |
    python3 -c 'import json,sys; r=json.load(sys.stdin); assert float(r["result"]) == float(sys.argv[1]), r["result"]' "$2"
}
result_is "$big_id" 101711872 && ok "a 10 MiB argument arrives whole" || bad "10 MiB argument"
result_is "$small_id" 31.4 && ok "arguments from stdin" || bad "arguments from stdin"

summary
