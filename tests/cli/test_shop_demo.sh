#!/usr/bin/env bash
# test_shop_demo.sh SHOP_DEMO — the README's example tells its whole story and
# ends by itself.
set -u
demo=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$demo" >out 2>err
rc=$?
cat out
fails=0 passes=0
check() { if grep -qE "$2" out; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL $1"; fi; }
[ $rc -eq 0 ] && passes=$((passes + 1)) || { fails=$((fails + 1)); echo "FAIL exit $rc: $(cat err)"; }
check "orders charged" "charged order-1001 .* after 1 attempt"
check "flaky retried" "charged flaky-1003 .* after 3 attempt"
check "deferred waited" "charged later-1004 .* [2-9]\.[0-9]+s"
check "cache hit" "answered from the cache"
check "dead-lettered" "bounce@shop.example: dead"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
