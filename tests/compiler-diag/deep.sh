#!/bin/sh
# tests/compiler-diag/deep.sh ORCAC — inputs that once crashed orcac with a
# stack overflow or made it run forever (gen_deep.py writes them): every one
# must end with exit 0, or exit 1 and the exact first message below. ctest's
# timeout catches a hang; a crash is an exit status above 1.
set -u
orcac=$1
gen="python3 $(dirname "$0")/gen_deep.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect KIND N RC [FIRST-LINE]: check the generated input KIND N.
expect() {
  $gen "$1" "$2" >"$tmp/in.orca"
  "$orcac" --check "$tmp/in.orca" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  first=$(head -n 1 "$tmp/err" | sed "s|$tmp/||")
  if [ $rc -ne "$3" ] || [ "$first" != "${4:-}" ]; then
    echo "FAIL $1 $2: exit $rc, expected $3"
    echo "  got:  $first"
    echo "  want: ${4:-}"
    fail=1
  fi
}

expect chain 10000 1 "in.orca:9937:8: error: struct 'S9935': every value nests 65 levels of structs, lists and maps (S9935.next -> S9936.next -> S9937.next -> ... -> S9997.next -> S9998.next); liborca decodes at most 64, so make a field on the way optional"
expect chain 64 0
expect cycle 20000 1 "in.orca:20001:23: error: struct 'S0' contains itself by value (S0.next -> S1.next -> S2.next -> S3.next -> ... -> S19998.next -> S19999.next -> S0, a cycle of 20000 structs); make a field of the cycle optional or a list"
expect optcycle 20000 0
expect listchain 10000 0
expect diamond 40 0
expect types 20000 1 "in.orca:2:334: error: brackets nested more than 64 deep"
expect types 63 0
expect literal 20000 1 "in.orca:4:347: error: brackets nested more than 64 deep"
expect literal 62 0
expect parens 20000 1 "in.orca:3:19: error: ')' expected (to close '(' at line 3) before '('"

# 66,000 fields on one 1.2 MB line: the 465 ids over 65535 are errors, and
# each message shows only a window of the line (printing the whole line 200
# times took minutes).
$gen oneline 66000 >"$tmp/in.orca"
"$orcac" --check "$tmp/in.orca" >"$tmp/out" 2>"$tmp/err"
rc=$?
size=$(wc -c <"$tmp/err")
if [ $rc -ne 1 ] || [ "$size" -gt 100000 ]; then
  echo "FAIL oneline 66000: exit $rc, $size bytes of messages"; fail=1
fi

# Wide inputs that took minutes or gigabytes (lookups by name were linear,
# duplicate checks quadratic): valid, so exit 0.
expect wide 60000 0
expect enumlist 60000 0
expect args 60000 0
expect annots 100000 1 "in.orca:2:1: error: unknown annotation @a0"
mkdir "$tmp/same"
$gen sameimport 100000 "$tmp/same" >"$tmp/same/in.orca"
if ! "$orcac" --check "$tmp/same/in.orca"; then
  echo "FAIL sameimport 100000"; fail=1
fi

# A chain of 2,000 imports stops at the 64th file.
mkdir "$tmp/imports"
$gen import 2000 "$tmp/imports"
"$orcac" --check "$tmp/imports/f0.orca" >"$tmp/out" 2>"$tmp/err"
rc=$?
first=$(head -n 1 "$tmp/err" | sed "s|$tmp/imports/||")
want="f63.orca:2:8: error: imports are nested more than 64 files deep"
if [ $rc -ne 1 ] || [ "$first" != "$want" ]; then
  echo "FAIL import chain: exit $rc"; echo "  got:  $first"; echo "  want: $want"; fail=1
fi
[ $fail -eq 0 ] && echo "all deep inputs passed"
exit $fail
