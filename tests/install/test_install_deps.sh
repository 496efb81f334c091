#!/usr/bin/env bash
# test_install_deps.sh INSTALL_DEPS — tools/install-deps against stand-ins
# for dpkg-query, apt-get and sudo: node and npm on PATH from outside Debian
# (whose apt packages would conflict) are left alone, what is really missing
# is installed, and nothing is installed when nothing is missing.
set -u
script=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { fails=$((fails + 1)); echo "FAIL $1"; }

stub() { # stub NAME BODY
  printf '#!/bin/sh\n%s\n' "$2" >"$dir/bin/$1"
  chmod +x "$dir/bin/$1"
}
mkdir -p "$dir/bin" "$dir/outside"
# Every package is installed but those listed in $dir/absent.
stub dpkg-query 'grep -qx "$3" "'"$dir"'/absent" || printf "install ok installed"'
# apt-get logs its arguments; like Debian's npm next to nodesource's node, it
# refuses nodejs and npm.
stub apt-get 'echo "$@" >>"'"$dir"'/apt.log"
case " $* " in *" nodejs "* | *" npm "*) echo "npm : Depends: node-gyp but it is not going to be installed" >&2; exit 100 ;; esac'
stub sudo 'exec "$@"'
printf '#!/bin/sh\necho v20.0.0\n' >"$dir/outside/node"
printf '#!/bin/sh\necho 10.0.0\n' >"$dir/outside/npm"
chmod +x "$dir/outside/node" "$dir/outside/npm"
# Only the stand-ins, the node and npm "from outside" and the shell's basics.
# Names not on it: protoc-c and friends are then "missing" and looked up.
path="$dir/bin:$dir/outside:/usr/bin:/bin"

printf 'nodejs\nnpm\nlibprotobuf-c-dev\n' >"$dir/absent"
PATH=$path "$script" --bench >"$dir/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "install.*libprotobuf-c-dev" "$dir/apt.log" &&
  ! grep -qE "(^| )(nodejs|npm)( |$)" "$dir/apt.log"; then
  ok "node and npm on PATH are not installed again"
else
  bad "node and npm on PATH (rc=$rc): $(cat "$dir/out" "$dir/apt.log" 2>/dev/null)"
fi

rm -f "$dir/apt.log"
: >"$dir/absent"
PATH=$path "$script" --bench >"$dir/out" 2>&1
if [ $? -eq 0 ] && [ ! -e "$dir/apt.log" ]; then
  ok "nothing missing: apt-get is not run"
else
  bad "nothing missing: $(cat "$dir/out" "$dir/apt.log" 2>/dev/null)"
fi
[ $fails -eq 0 ]
