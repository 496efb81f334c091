# lib.sh — what the CLI's shell tests share (sourced, not run): the pass and
# fail counters, the shop demo's story, and the wait for a worker's peer
# advertisement.
fails=0 passes=0
ok() { passes=$((passes + 1)); echo "ok   $1"; }
bad() { fails=$((fails + 1)); echo "FAIL $1"; }

# shop_demo NAME DEMO ARGS...: run the shop demo (in the current folder,
# output in ./out and ./err) and check it told its whole story.
shop_demo() {
  local name=$1
  shift
  "$@" >out 2>err
  [ $? -eq 0 ] && ok "$name" || bad "$name: $(tail -3 err)"
  for want in "charged order-1001 .* after 1 attempt" "charged flaky-1003 .* after 3 attempt" \
    "charged later-1004 .* [2-9]\.[0-9]+s" "answered from the cache" "bounce@shop.example: dead"; do
    grep -qE "$want" out && ok "demo: $want" || bad "demo: $want not in: $(cat out)"
  done
}

# wait_advertised LOG: wait (at most 10 s) until the worker logging to LOG
# says its peer advertisement is stored in the backend.
wait_advertised() {
  for _ in $(seq 200); do
    grep -q "advertised in the backend" "$1" && return 0
    sleep 0.05
  done
  return 1
}

# summary: the counts; the exit status says whether everything passed.
summary() {
  echo "$passes passed, $fails failed"
  [ $fails -eq 0 ]
}
