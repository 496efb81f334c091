"""opslib.py: what the operations tests share: temp dirs, processes that are
always stopped, free ports, waiting for a condition, HTTP calls."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

# Calls to 127.0.0.1 must not go through a proxy from the environment.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def wait_for(what, fn, timeout=20.0, every=0.05):
    """Call fn until it returns something true; return it. Fail after
    timeout seconds, naming what was awaited."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            v = fn()
            if v:
                return v
        except (OSError, ValueError, KeyError, IndexError) as e:
            last = e
        time.sleep(every)
    raise Fail(f"timed out waiting for {what}" + (f" (last error: {last})" if last else ""))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, body=None, headers=None, method=None, timeout=10):
    """(status, decoded body) of one request; a JSON body is sent as JSON."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with _opener.open(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Procs:
    """Processes started by a test, stopped (SIGTERM, then SIGKILL) at exit."""

    def __init__(self):
        self.procs = []
        self.tmp = tempfile.TemporaryDirectory(prefix="orca-ops-")
        self.dir = self.tmp.name

    def start(self, args, env=None, stdout=None, stderr=None):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.Popen(args, env=e, cwd=self.dir, stdout=stdout or subprocess.PIPE,
                             stderr=stderr or subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=15):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Fail(f"{p.args[0]} did not stop on SIGTERM")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.tmp.cleanup()
        return False


def run(args, cwd=None, env=None, check_rc=True):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(args, cwd=cwd, env=e, capture_output=True, text=True, timeout=60)
    if check_rc and r.returncode != 0:
        raise Fail(f"{' '.join(args)} exited {r.returncode}: {r.stderr.strip()}")
    return r


def read_line(stream, what, timeout=10.0):
    """The next line of a child's pipe, within timeout."""
    import select
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([stream], [], [], max(0.0, end - time.monotonic()))
        if r:
            line = stream.readline()
            if not line:
                raise Fail(f"{what}: the process closed its output")
            return line
    raise Fail(f"timed out waiting for {what}")


def main(tests):
    """Run each (name, fn) in order; print PASS/FAIL; exit 1 on a failure."""
    import sys
    import traceback
    failed = 0
    for name, fn in tests:
        t0 = time.monotonic()
        try:
            fn()
            print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        except Exception:  # a test's failure of any kind is reported, not raised
            failed += 1
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
    sys.exit(1 if failed else 0)
