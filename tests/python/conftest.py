"""Fixtures of the Python bindings' tests: a backend URL per test, on a
SQLite file and on a private redis-server (tests/support's fixture, started
once per session on a free port), and worker threads that are always
stopped."""

import os
import subprocess
import threading

import pytest
import redis as redis_py

import orcastra

# Under the sanitizers ctest preloads their runtime for this interpreter; the
# C programs the tests start carry their own and must not get it twice.
PRELOAD = os.environ.pop("LD_PRELOAD", None)


def python_env(**extra):
    """The environment for a Python child process that imports orcastra."""
    env = dict(os.environ, **extra)
    if PRELOAD:
        env["LD_PRELOAD"] = PRELOAD
    return env


@pytest.fixture(scope="session")
def redis_server():
    """(url_prefix, port) of a private redis-server for the session."""
    p = subprocess.Popen([os.environ["ORCA_TEST_REDIS_RUN"]], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    url = p.stdout.readline().strip()
    assert url.startswith("redis://"), "the redis fixture did not start"
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    yield url.rsplit("/", 1)[0], port
    p.stdin.close()
    p.wait(timeout=30)


_db = iter(range(1, 1 << 30))


@pytest.fixture(params=["sqlite", "redis"])
def backend(request, tmp_path):
    """A fresh, empty backend URL of each kind."""
    if request.param == "sqlite":
        return f"sqlite:{tmp_path}/orca.db"
    prefix, port = request.getfixturevalue("redis_server")
    db = next(_db) % 16
    redis_py.Redis(port=port, db=db).flushdb()
    return f"{prefix}/{db}"


@pytest.fixture
def sqlite_backend(tmp_path):
    return f"sqlite:{tmp_path}/orca.db"


class Running:
    """A Worker running on a thread; stop() and join on exit."""

    def __init__(self, worker):
        self.worker = worker
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.worker.run()
        except BaseException as e:  # reported by stop()
            self.error = e

    def stop(self):
        self.worker.stop()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the worker did not stop"
        self.worker.close()
        if self.error:
            raise self.error


@pytest.fixture
def run_worker():
    """run_worker(backend, register, **opts) -> Running: a Worker with the
    handlers `register` installs, running until the test ends."""
    running = []

    def start(url, register, **opts):
        opts.setdefault("concurrency", 2)
        opts.setdefault("install_signals", False)  # several may run at once
        opts.setdefault("grace", 5)
        w = orcastra.Worker(url, **opts)
        register(w)
        r = Running(w)
        running.append(r)
        return r

    yield start
    for r in running:
        if r.thread.is_alive():
            r.stop()
