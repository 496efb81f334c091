# Shared by bench/*/run: build Orcastra in Release into build-bench once, and
# start/stop a private redis-server on a free port.
# Usage: source "$(dirname "$0")/../common.sh"
ORCA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${ORCA_BENCH_BUILD:-$ORCA_ROOT/build-bench}

bench_build() { # bench_build TARGET...
  cmake -S "$ORCA_ROOT" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DORCA_BUILD_TESTS=OFF \
    -DORCA_SANITIZE=OFF -DORCA_FUZZ=OFF >/dev/null
  cmake --build "$BENCH_BUILD" -j"$(nproc)" --target "$@" >/dev/null
}

bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_redis_start() { # sets REDIS_PORT, REDIS_DIR
  REDIS_PORT=$(bench_free_port)
  REDIS_DIR=$(mktemp -d)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --save "" \
    --appendonly no --daemonize yes --pidfile "$REDIS_DIR/redis.pid" >/dev/null
  for _ in $(seq 100); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "bench: redis-server did not start" >&2
  return 1
}

bench_redis_stop() {
  [ -n "${REDIS_PORT:-}" ] && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  [ -n "${REDIS_DIR:-}" ] && rm -rf "$REDIS_DIR"
}

bench_ratio() { # bench_ratio NAME ORCA PEER  (higher-is-better rates)
  python3 -c "import sys; o,p=float(sys.argv[2]),float(sys.argv[3]); print('RATIO %s %.2f' % (sys.argv[1], o/p if p else 0))" "$@"
}
