#!/usr/bin/env bash
# tests/python/check_install.sh BUILD_DIR PYTHON WORK_DIR SITE_DIR SHOP_ORCA [PRELOAD]
# `cmake --install` puts orcastra where Debian's python3 looks (SITE_DIR,
# relative to the prefix, is on its sys.path for the default prefix
# /usr/local), and an installed tree works: its orcac generates a module that
# the installed package imports and runs. PRELOAD: the sanitizer runtime for
# the interpreter in sanitized builds (only there; orcac carries its own).
set -euo pipefail
build=$1 py=$2 work=$3 site=$4 shop=$5 preload=${6:-}
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/$site/orcastra/__init__.py"
ls "$work/prefix/$site"/orcastra/_core.*.so >/dev/null
"$py" -c "import sys; p = '/usr/local/$site'; assert p in sys.path, (p, sys.path)"
"$work/prefix/bin/orcac" --lang python -o "$work" "$shop"
cd "$work"
out=$(env ${preload:+LD_PRELOAD=$preload} PYTHONPATH="$work/prefix/$site:$work" "$py" -c "
import orcastra, shop_orca
with orcastra.Client('sqlite:$work/orca.db') as c:
    t = shop_orca.ping.enqueue(c, shop_orca.PingArgs())
    print(c.inspect(t).state, orcastra.__file__)")
case "$out" in
"pending $work/prefix/$site/orcastra/__init__.py") echo "ok: $out" ;;
*) echo "unexpected: $out" >&2; exit 1 ;;
esac
