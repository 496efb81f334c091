#!/usr/bin/env bash
# test_kafka_cli.sh ORCA SHOP_WORKER SHOP_DEMO SHOP_ORCA KAFKA_MOCK — kafka://
# from a shell, against the cluster orca-kafka-mock starts: the shop demo
# tells its whole story; enqueue with `orca` → a shop-worker process →
# wait/inspect/stats/dlq; the worker refuses the shop's @priority task
# unless the URL says priorities=ignore; a bad URL gets a clear error that
# never shows a password. About 25 s (group joins).
set -u
orca=$1 worker=$2 demo=$3 schema=$4 mock=$5
dir=$(mktemp -d)
mock_pid=""
trap '[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkfifo "$dir/boot"
"$mock" >"$dir/boot" &
mock_pid=$!
read -r -t 10 boot <"$dir/boot" || { echo "FAIL orca-kafka-mock printed nothing"; exit 1; }
. "$(dirname "$0")/lib.sh"
base="kafka://$boot?session.timeout.ms=6000"
cd "$dir"

# The demo, on Kafka with its SQLite store.
shop_demo "shop demo on kafka" "$demo" --backend "$base&priorities=ignore&store=sqlite:$dir/demo.db"

export ORCA_BACKEND="$base&prefix=cli.&store=sqlite:$dir/orca.db"
"$worker" --max-tasks 1 --no-schedules >out 2>&1
[ $? -ne 0 ] && grep -q "task shop.notify has @priority(7) but queue default is on kafka" out &&
  ok "worker refuses @priority on kafka" || bad "priority refusal: $(cat out)"

id=$("$orca" enqueue --schema "$schema" charge \
  '{"order":{"id":"k-1","items":[{"sku":"tea","qty":2,"price":1.5}],"tier":"PRO"}}')
dead_id=$("$orca" enqueue --schema "$schema" shop.notify '{"to":"bounce@x.test","body":"hi"}')
[ -n "$id" ] && [ -n "$dead_id" ] && ok "enqueue on kafka" || bad "enqueue on kafka"
ORCA_BACKEND="$ORCA_BACKEND&priorities=ignore" "$worker" --concurrency 2 --max-tasks 2 \
  --no-schedules >"$dir/worker.log" 2>&1
[ $? -eq 0 ] && ok "worker ran and stopped" || bad "worker: $(tail -3 "$dir/worker.log")"
out=$("$orca" wait "$id" --timeout 10s --schema "$schema" --json)
echo "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["state"]=="succeeded", r; assert r["result"]["cents"]==270, r' \
  && ok "wait returns the result" || bad "wait: $out"
"$orca" dlq list --json | grep -q "$dead_id" && ok "dlq list" || bad "dlq list"
"$orca" stats --json | python3 -c 'import json,sys; q={r["queue"]:r for r in map(json.loads,sys.stdin)}; assert q["default"]["dead"]==1, q' \
  && ok "stats" || bad "stats: $("$orca" stats --json)"

# Bad URLs: one clear line, no password.
"$orca" stats --backend "kafka://nohost?sasl.password=S3cr3t" >out 2>&1
[ $? -eq 2 ] && grep -q "broker 'nohost' is not HOST:PORT" out && ! grep -q S3cr3t out &&
  ok "bad broker" || bad "bad broker: $(cat out)"
"$orca" stats --backend "kafka://$boot?sasl.pasword=S3cr3t&store=sqlite:$dir/x.db" >out 2>&1
[ $? -ne 0 ] && grep -q "kafka property 'sasl.pasword' (from the URL): no such librdkafka property" out &&
  ! grep -q S3cr3t out && ok "unknown property" || bad "unknown property: $(cat out)"

# --kafka-conf FILE: librdkafka properties from a file, errors at FILE:LINE.
printf '# test\nsasl.pasword=S3cr3t\n' >"$dir/k.properties"
"$orca" stats --kafka-conf "$dir/k.properties" >out 2>&1
[ $? -ne 0 ] && grep -q "kafka property 'sasl.pasword' (from $dir/k.properties:2)" out &&
  ! grep -q S3cr3t out && ok "orca --kafka-conf" || bad "orca --kafka-conf: $(cat out)"
"$worker" --kafka-conf "$dir/nope.properties" >out 2>&1
[ $? -eq 2 ] && grep -q -- "--kafka-conf: '$dir/nope.properties' cannot be read" out &&
  ok "worker --kafka-conf missing file" || bad "worker --kafka-conf: $(cat out)"

summary
