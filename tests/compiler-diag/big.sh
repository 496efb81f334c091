#!/bin/sh
# tests/compiler-diag/big.sh ORCAC — orcac checks a generated file of 5,000
# declarations and must finish cleanly (ctest's timeout catches a hang).
set -eu
orcac=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$(dirname "$0")/gen_big.py" 5000 >"$tmp/big.orca"
"$orcac" --check "$tmp/big.orca"
