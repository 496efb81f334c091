#!/usr/bin/python3
"""bench/peers/celery_bench.py — Celery 5.2 (Debian's python3-celery) on a
Redis broker and Redis result backend, with the workload of the Orcastra
Redis benchmark: no-op tasks with 64-byte args, state (results) kept.

  /usr/bin/python3 bench/peers/celery_bench.py --port P --n N [--concurrency C]

enqueue: apply_async one by one (Celery has no bulk publish). process: a
worker (threads pool, C threads, default 8) started as a subprocess drains
the pre-filled queue; the time is to the last stored result (counted by
polling the result keys every 20 ms: this is a benchmark, not a test).
Prints `RESULT celery_enqueue_per_s X` and `RESULT celery_process_per_s Y`."""
import argparse
import os
import subprocess
import sys
import time

import redis
from celery import Celery

PORT = int(os.environ.get("CELERY_BENCH_PORT", "6379"))
app = Celery("celery_bench", broker=f"redis://127.0.0.1:{PORT}/1",
             backend=f"redis://127.0.0.1:{PORT}/1")
app.conf.update(result_expires=3600, worker_prefetch_multiplier=64, task_acks_late=True)


@app.task(name="noop")
def noop(p):
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=8)
    a = ap.parse_args()
    if a.port != PORT:  # re-run with the port in the environment the app reads
        env = dict(os.environ, CELERY_BENCH_PORT=str(a.port))
        sys.exit(subprocess.call([sys.executable, __file__] + sys.argv[1:], env=env))
    r = redis.Redis(port=a.port, db=1)
    r.flushdb()
    payload = "x" * 64
    t0 = time.monotonic()
    for _ in range(a.n):
        noop.apply_async(args=(payload,))
    enq = a.n / (time.monotonic() - t0)
    print(f"celery: {a.n} tasks apply_async: {enq:.0f}/s")
    print(f"RESULT celery_enqueue_per_s {enq:.0f}")
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, CELERY_BENCH_PORT=str(a.port), PYTHONPATH=here)
    t0 = time.monotonic()
    w = subprocess.Popen([sys.executable, "-m", "celery", "-A", "celery_bench", "worker",
                          "--pool=threads", "-c", str(a.concurrency), "--without-gossip",
                          "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
                         env=env, cwd=here, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = 0
    deadline = t0 + 600
    while time.monotonic() < deadline:
        done = sum(1 for _ in r.scan_iter(match="celery-task-meta-*", count=5000))
        if done >= a.n:
            break
        time.sleep(0.02)
    el = time.monotonic() - t0
    w.terminate()
    w.wait()
    proc = done / el
    print(f"celery: processed {done} (threads x{a.concurrency}, results kept): {proc:.0f}/s")
    print(f"RESULT celery_process_per_s {proc:.0f}")
    r.flushdb()


if __name__ == "__main__":
    main()
