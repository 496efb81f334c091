#!/usr/bin/env bash
# with-kafka-mock.sh MOCK COMMAND [ARG...] — run COMMAND with
# ORCA_TEST_KAFKA set to the bootstrap list of a cluster started by MOCK
# (orca-kafka-mock), as a user would point the tests at a real cluster
# (docs/kafka.md). The cluster is stopped when COMMAND ends; COMMAND's exit
# status is this script's.
set -u
mock=$1
shift
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
mkfifo "$dir/out"
"$mock" >"$dir/out" &
pid=$!
if ! read -r -t 10 bootstrap <"$dir/out" || [ -z "$bootstrap" ]; then
  echo "with-kafka-mock: $mock printed no bootstrap list" >&2
  exit 1
fi
export ORCA_TEST_KAFKA=$bootstrap
"$@"
