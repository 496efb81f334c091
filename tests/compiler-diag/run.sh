#!/bin/sh
# tests/compiler-diag/run.sh ORCAC [--regen]
#
# Diagnostics tests of orcac. Every bad/NAME.orca must make `orcac --check`
# exit 1 and print exactly bad/NAME.expected on stderr (nothing on stdout).
# Every good/*.orca must compile with exit 0 and no output at all, once with
# --check and once generating into a temporary directory. Runs from this
# directory so the paths in messages are stable. With --regen, rewrite the
# .expected files from the current output (then review the diff).
set -u
orcac=$1
regen=${2:-}
cd "$(dirname "$0")"
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in bad/*.orca; do
  exp=${f%.orca}.expected
  "$orcac" --check "$f" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$regen" = "--regen" ]; then
    cp "$tmp/err" "$exp"
    continue
  fi
  if [ $rc -ne 1 ]; then
    echo "FAIL $f: exit $rc, expected 1"; fail=1
  fi
  if [ -s "$tmp/out" ]; then
    echo "FAIL $f: wrote to stdout"; fail=1
  fi
  if ! diff -u "$exp" "$tmp/err"; then
    echo "FAIL $f: diagnostics differ"; fail=1
  fi
done
for f in good/*.orca; do
  for mode in check gen; do
    if [ $mode = check ]; then
      "$orcac" --check -I good/include "$f" >"$tmp/out" 2>&1
    else
      mkdir -p "$tmp/gen"
      "$orcac" -I good/include -o "$tmp/gen" --depfile "$tmp/gen/x.d" "$f" >"$tmp/out" 2>&1
    fi
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$tmp/out" ]; then
      echo "FAIL $f ($mode): exit $rc"; cat "$tmp/out"; fail=1
    fi
  done
done
# The depfile names both outputs and every file read, imports included.
"$orcac" -I good/include -o "$tmp/gen" --depfile "$tmp/dep.d" good/everything.orca
for want in "$tmp/gen/everything.orca.h" "$tmp/gen/everything.orca.c:" good/everything.orca \
            good/common.orca good/include/units.orca; do
  if ! grep -q "$want" "$tmp/dep.d"; then
    echo "FAIL depfile lacks $want:"; cat "$tmp/dep.d"; fail=1
  fi
done
# Inputs that are not regular files are refused by name, never read (a
# device like /dev/zero would never end).
for input in /dev/zero good; do
  what="it is not a regular file"
  [ -d "$input" ] && what="it is a directory"
  "$orcac" --check "$input" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ $rc -ne 1 ] || [ "$(cat "$tmp/err")" != "$input: error: cannot read '$input': $what" ]; then
    echo "FAIL --check $input: exit $rc"; cat "$tmp/err"; fail=1
  fi
done
[ $fail -eq 0 ] && echo "all diagnostics tests passed"
exit $fail
