#!/usr/bin/env bash
# test_cluster_cli.sh ORCA SHOP_WORKER SHOP_DEMO SHOP_ORCA REDIS_RUN —
# redis+cluster:// from a shell, with one URL, against the private 6-node
# Redis Cluster `REDIS_RUN --cluster` starts (it stops the cluster when
# its standard input closes): the shop demo tells its whole story; enqueue
# with `orca` → a shop-worker process → wait/inspect/stats/dlq; `orca
# cluster` lists a running worker found through the cluster (the peer
# network's advertisements); URL errors are one clear line without the
# password. About 15 s, most of it the cluster's start.
set -u
orca=$1 worker=$2 demo=$3 schema=$4 run=$5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
coproc RUN { "$run" --cluster 2>"$dir/run.err"; }
read -r -t 60 url <&"${RUN[0]}" || { echo "FAIL no cluster: $(cat "$dir/run.err")"; exit 1; }
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
cd "$dir"

shop_demo "shop demo on the cluster" "$demo" --backend "$url"

export ORCA_BACKEND="$url"
"$orca" stats --json | $py -c 'import json,sys; q={r["queue"]:r for r in map(json.loads,sys.stdin)}; assert q["default"]["dead"]==1, q' \
  && ok "stats of the demo" || bad "stats: $("$orca" stats --json)"
id=$("$orca" enqueue --schema "$schema" charge \
  '{"order":{"id":"c-1","items":[{"sku":"tea","qty":2,"price":1.5}],"tier":"PRO"}}')
dead_id=$("$orca" enqueue --schema "$schema" shop.notify '{"to":"bounce@x.test","body":"hi"}')
[ -n "$id" ] && [ -n "$dead_id" ] && ok "enqueue" || bad "enqueue"
"$orca" inspect "$id" --json | grep -q '"state":"pending"' && ok "inspect pending" || bad "inspect pending"

# A worker with the peer network: `orca cluster` finds it through the
# cluster, then it runs the two tasks.
"$worker" --concurrency 2 --no-schedules --id cl-w1 >"$dir/worker.log" 2>&1 &
wpid=$!
wait_advertised "$dir/worker.log"
out=$("$orca" cluster 2>&1)
echo "$out" | grep -qE '^cl-w1 +alive +127\.0\.0\.1:[0-9]+ ' && ok "cluster lists the worker" ||
  bad "cluster: $out $(tail -3 "$dir/worker.log")"
out=$("$orca" wait "$id" --timeout 20s --schema "$schema" --json)
echo "$out" | $py -c 'import json,sys; r=json.load(sys.stdin); assert r["state"]=="succeeded", r; assert r["result"]["cents"]==270, r' \
  && ok "wait returns the typed result" || bad "wait: $out"
"$orca" wait "$dead_id" --timeout 20s >/dev/null 2>&1
[ $? -eq 1 ] && ok "wait on a dead task exits 1" || bad "wait on a dead task exits 1"
kill -TERM $wpid
wait $wpid && ok "worker stopped" || bad "worker: $(tail -3 "$dir/worker.log")"
"$orca" dlq list --json | grep -q "$dead_id" && ok "dlq list" || bad "dlq list"
"$orca" dlq requeue default "$dead_id" | grep -q "requeued 1" && ok "dlq requeue" || bad "dlq requeue"
"$orca" stats --json | $py -c 'import json,sys; q={r["queue"]:r for r in map(json.loads,sys.stdin)}; assert q["default"]["dead"]==1 and q["default"]["pending"]==1, q' \
  && ok "stats after the run" || bad "stats: $("$orca" stats --json)"

# URL errors: one line, exit 2, no password.
"$orca" stats --backend "${url/cluster:\/\//cluster://:S3cr3t@}/1" >out 2>&1
[ $? -eq 2 ] && grep -q "a Redis Cluster has one database; drop '/1'" out && ! grep -q S3cr3t out &&
  ok "a database in a cluster URL" || bad "database: $(cat out)"
"$orca" stats --backend "redis+cluster://:S3cr3t@127.0.0.1:1" >out 2>&1
[ $? -eq 1 ] && grep -q "127.0.0.1:1" out && ! grep -q S3cr3t out &&
  ok "an unreachable cluster" || bad "unreachable: $(cat out)"

exec {RUN[1]}>&- # the cluster stops
wait
summary
