#!/bin/sh
# tests/compiler-diag/measure.sh ORCAC — how orcac's front end scales: checks
# generated files of 5,000, 10,000 and 20,000 declarations and prints the
# user CPU time and peak memory of each (use a Release build of orcac; the
# numbers are in docs/language.md, "Performance").
set -eu
orcac=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
printf '%-13s %-8s %-10s %s\n' declarations lines user_s max_rss_kb
for n in 5000 10000 20000; do
  python3 "$(dirname "$0")/gen_big.py" "$n" >"$tmp/big.orca"
  lines=$(wc -l <"$tmp/big.orca")
  /usr/bin/time -f "%U %M" -o "$tmp/t" "$orcac" --check "$tmp/big.orca"
  set -- $(cat "$tmp/t")
  printf '%-13s %-8s %-10s %s\n' "$n" "$lines" "$1" "$2"
done
