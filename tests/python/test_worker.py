"""Python handlers on liborca's worker threads: results, failures and
retries, cancellation, graceful stops by signal, the GIL, and memory."""

import os
import resource
import signal
import subprocess
import sys
import textwrap
import threading
import tracemalloc

import pytest

import handlers
import orcastra
from conftest import PRELOAD, python_env
import pyt_orca
from pyt_orca import AddArgs, FlakyArgs


def test_handler_exceptions_retry_then_fail_with_the_traceback(backend, run_worker):
    run_worker(backend, pyt_orca.register)
    with orcastra.Client(backend) as c:
        ok = pyt_orca.flaky.enqueue(c, FlakyArgs(succeed_on=3))
        dead = pyt_orca.flaky.enqueue(c, FlakyArgs(succeed_on=4))
        assert pyt_orca.flaky.result(c, ok, timeout=30) == 3
        with pytest.raises(orcastra.TaskFailed) as e:
            pyt_orca.flaky.result(c, dead, timeout=30)
        info = c.inspect(dead)
    assert info.state == "dead" and info.attempt == 3
    assert info.error.startswith("RuntimeError: attempt 3 fails on purpose")
    assert "Traceback (most recent call last)" in info.error
    assert "handlers.py" in info.error and "in flaky" in info.error
    assert "RuntimeError: attempt 3 fails on purpose" in str(e.value)


def test_error_texts_cut_inside_a_character_still_read(sqlite_backend, run_worker):
    """liborca truncates error texts by bytes; a cut through a UTF-8
    sequence must not turn into a UnicodeDecodeError."""
    def fail(args):
        raise ValueError("x" + "\u2603" * 400)

    run_worker(sqlite_backend, lambda w: w.handle(pyt_orca.add, fail))
    with orcastra.Client(sqlite_backend) as c:
        t = pyt_orca.add.enqueue(c, AddArgs(a=1, b=2))
        with pytest.raises(orcastra.TaskFailed, match="ValueError: x\u2603\u2603"):
            pyt_orca.add.result(c, t, timeout=30)
        assert c.inspect(t).error.startswith("ValueError: x\u2603\u2603")


def test_wrong_result_fails_the_attempt_not_the_worker(sqlite_backend, run_worker):
    def register(w):
        w.handle(pyt_orca.add, lambda args: "not an int")
        w.handle(pyt_orca.echo, lambda args: None)

    run_worker(sqlite_backend, register)
    with orcastra.Client(sqlite_backend) as c:
        a = pyt_orca.add.enqueue(c, AddArgs(a=1, b=2))
        with pytest.raises(orcastra.TaskFailed, match="return value: TypeError: result: expected int, got str"):
            pyt_orca.add.result(c, a, timeout=30)
        e = pyt_orca.echo.enqueue(c, {"value": {"p": {}}})
        with pytest.raises(orcastra.TaskFailed, match="expected pyt.Everything"):
            pyt_orca.echo.result(c, e, timeout=30)


def test_registration_errors(sqlite_backend):
    with orcastra.Worker(sqlite_backend) as w:
        w.handle(pyt_orca.add, handlers.add)
        with pytest.raises(orcastra.Duplicate):
            w.handle(pyt_orca.add, handlers.add)
        with pytest.raises(TypeError, match="must be callable"):
            w.handle(pyt_orca.ping, 3)
        with pytest.raises(TypeError, match="expected an orcastra.Task"):
            w.handle(None, handlers.add)
    with pytest.raises(RuntimeError, match="not inside an orcastra task handler"):
        orcastra.task_id()


def test_handlers_share_python_state_under_the_gil(backend, run_worker):
    seen = []
    lock = threading.Lock()

    def add(args):
        with lock:
            seen.append((orcastra.task_id(), threading.get_ident()))
        return args.a + args.b

    run_worker(backend, lambda w: w.handle(pyt_orca.add, add), concurrency=4)
    with orcastra.Client(backend) as c:
        ids = pyt_orca.add.enqueue_many(c, [AddArgs(a=i, b=1) for i in range(200)])
        assert [pyt_orca.add.result(c, t, timeout=60) for t in ids] == [i + 1 for i in range(200)]
    assert sorted(t for t, _ in seen) == sorted(ids)
    assert threading.get_ident() not in {th for _, th in seen}


def test_schedules_fire_in_a_python_worker(sqlite_backend, run_worker):
    fired = threading.Event()
    run_worker(sqlite_backend, lambda w: (w.handle(pyt_orca.ping, lambda a: fired.set()),
                                          w.add_schema(pyt_orca._schema._c)),
               run_schedules=True)
    assert fired.wait(30)
    assert pyt_orca.tick.name == "pyt.tick"


def test_cancel_reaches_a_running_handler(backend, run_worker):
    run_worker(backend, pyt_orca.register, lease=1.5)  # cancels are seen at lease renewals
    started, _ = handlers.gate("cancel-me")
    with orcastra.Client(backend) as c:
        tid = pyt_orca.block.enqueue(c, pyt_orca.BlockArgs(key="cancel-me"))
        assert started.wait(30)
        c.cancel(tid)
        with pytest.raises(orcastra.Cancelled):
            pyt_orca.block.result(c, tid, timeout=30)


def test_no_leaks_over_many_tasks(redis_server):
    """Arguments and results of 10k tasks (ORCA_TEST_PY_LEAK_BATCHES x 1000)
    cross both ways, and as many workers open and close; Python's traced
    memory and the reference counts of the objects involved stay flat."""
    batches = int(os.environ.get("ORCA_TEST_PY_LEAK_BATCHES", "10"))
    url = f"{redis_server[0]}/15"
    value = pyt_orca.EchoArgs(value=pyt_orca.Everything(p=pyt_orca.Point(x=1), s="leak?",
                                                         points=[pyt_orca.Point()] * 3))
    with orcastra.Client(url) as c:
        def batch(n):
            ids = pyt_orca.echo.enqueue_many(c, [value] * n)
            w = orcastra.Worker(url, concurrency=2, max_tasks=n)
            pyt_orca.register(w)
            w.run()  # returns once the n tasks are done
            w.close()
            for t in ids:
                assert pyt_orca.echo.result(c, t, timeout=0) == value.value

        batch(1000)  # warm up caches, interned names, the allocator
        refs = (sys.getrefcount(value), sys.getrefcount(pyt_orca.Point),
                sys.getrefcount(value.value.s), sys.getrefcount(pyt_orca.echo))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB; C memory too
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(batches):
            batch(1000)
        grown = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert (sys.getrefcount(value), sys.getrefcount(pyt_orca.Point),
                sys.getrefcount(value.value.s), sys.getrefcount(pyt_orca.echo)) == refs
    rss_grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
    print(f"over {batches * 1000} tasks: traced memory +{grown} B, peak RSS +{rss_grown} KiB")
    assert grown < 64 * 1024
    if not PRELOAD:  # ASan keeps freed memory in quarantine: RSS says nothing there
        assert rss_grown < 16 * 1024  # a C leak of 2 KiB a task would pass 20 MiB


WORKER_SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    import orcastra, pyt_orca

    @pyt_orca.block.handler
    def block(args):
        print("started", flush=True)
        while not orcastra.cancelled():  # set when the grace period ends
            time.sleep(0.01)
        raise orcastra.Cancelled("the worker stops")

    if sys.argv[1] == "main":
        sys.exit(pyt_orca.main(["pyt-worker", "--backend", sys.argv[2], "--grace", "200ms",
                                "--no-schedules"]))
    w = orcastra.Worker(sys.argv[2], concurrency=1, grace=0.2)
    pyt_orca.register(w)
    w.run()
    w.close()
    print("run returned", flush=True)
    try:
        os.kill(os.getpid(), signal.SIGINT)  # Python's own handler is back
        time.sleep(5)
    except KeyboardInterrupt:
        print("KeyboardInterrupt after run", flush=True)
""")


@pytest.mark.parametrize("how,sig", [("main", signal.SIGTERM), ("run", signal.SIGINT)])
def test_signals_stop_a_python_worker_gracefully(sqlite_backend, how, sig):
    with orcastra.Client(sqlite_backend) as c:
        tid = pyt_orca.block.enqueue(c, pyt_orca.BlockArgs(key=how))
        p = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, how, sqlite_backend],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=python_env())
        try:
            assert p.stdout.readline() == "started\n"
            p.send_signal(sig)
            out, err = p.communicate(timeout=60)
        finally:
            p.kill()
            p.wait()
        assert p.returncode == 0, err
        assert "stopping" in err
        if how == "run":
            assert out == "run returned\nKeyboardInterrupt after run\n"
        # The task that was running went back to its queue, not lost.
        assert c.inspect(tid).state == "pending"
