"""Client calls and how liborca's errors reach Python, on both backends."""

import datetime
import threading
import time

import pytest

import handlers
import orcastra
import pyt_orca
from pyt_orca import AddArgs


def test_errors_are_named_after_their_codes(sqlite_backend):
    assert issubclass(orcastra.Duplicate, orcastra.Error)
    assert issubclass(orcastra.Timeout, TimeoutError)
    assert issubclass(orcastra.NotFound, LookupError)
    with pytest.raises(orcastra.BadURL) as e:
        orcastra.Client("mysql://root:S3cr3t@db/x")
    assert e.value.code == -10 and e.value.name == "ORCA_EURL"
    assert "S3cr3t" not in str(e.value)
    with pytest.raises(orcastra.ConnectError):
        orcastra.Client("redis://127.0.0.1:1/0")
    with pytest.raises(orcastra.Closed):
        c = orcastra.Client(sqlite_backend)
        c.close()
        c.cancel("x")


def test_enqueue_inspect_cancel_wait(backend):
    with orcastra.Client(backend) as c:
        tid = pyt_orca.add.enqueue(c, AddArgs(a=1, b=2), priority=3, delay=datetime.timedelta(hours=1),
                                   headers={"k": "v"})
        info = c.inspect(tid)
        assert (info.id, info.task, info.state, info.priority) == (tid, "pyt.add", "scheduled", 3)
        assert info.eta > datetime.datetime.now(datetime.timezone.utc)
        with pytest.raises(orcastra.Timeout):
            pyt_orca.add.result(c, tid, timeout=0.05)
        c.cancel(tid)
        assert c.inspect(tid).state == "cancelled"
        with pytest.raises(orcastra.Cancelled):
            pyt_orca.add.wait(c, tid, timeout=5)
        with pytest.raises(orcastra.NotFound):
            c.inspect("no-such-task")
        with pytest.raises(orcastra.NotFound):
            c.cancel("no-such-task")


def test_ids_unique_and_rejections(backend):
    with orcastra.Client(backend) as c:
        a = pyt_orca.add.enqueue(c, AddArgs(a=1, b=1), id="mine-1")
        assert a == "mine-1"
        with pytest.raises(orcastra.Duplicate) as e:
            pyt_orca.add.enqueue(c, AddArgs(a=2, b=2), id="mine-1")
        assert e.value.task_id == "mine-1"
        first = pyt_orca.once.enqueue(c, pyt_orca.OnceArgs(key="k"))
        with pytest.raises(orcastra.Duplicate) as e:
            pyt_orca.once.enqueue(c, pyt_orca.OnceArgs(key="k"))
        assert e.value.task_id == first
        # The task's @hook runs unchanged under Python.
        pyt_orca.guarded.enqueue(c, pyt_orca.GuardedArgs(amount=100))
        with pytest.raises(orcastra.Rejected, match="amount above 100"):
            pyt_orca.guarded.enqueue(c, pyt_orca.GuardedArgs(amount=101))


def test_enqueue_many(backend, run_worker):
    run_worker(backend, pyt_orca.register)
    with orcastra.Client(backend) as c:
        ids = pyt_orca.add.enqueue_many(c, [AddArgs(a=i, b=i) for i in range(50)])
        assert len(set(ids)) == 50
        assert [pyt_orca.add.result(c, t, timeout=30) for t in ids] == [2 * i for i in range(50)]
        got = pyt_orca.once.enqueue_many(c, [pyt_orca.OnceArgs(key="x")] * 2)
        assert isinstance(got[0], str) and isinstance(got[1], orcastra.Duplicate)
        assert got[1].task_id == got[0]
        assert c.enqueue_many(pyt_orca.add, []) == []
        with pytest.raises(TypeError, match=r"pyt.add args\[1\].a: expected int"):
            c.enqueue_many(pyt_orca.add, [AddArgs(a=1, b=1), AddArgs(a="x", b=1)])
        counts = {q["queue"]: q for q in c.queues()}
        assert counts["default"]["succeeded"] >= 50


def test_waiting_releases_the_gil(sqlite_backend):
    """While one thread waits for a result, others run Python code."""
    with orcastra.Client(sqlite_backend) as c:
        tid = pyt_orca.add.enqueue(c, AddArgs(a=1, b=1))
        outcome = []

        def waiter():
            try:
                pyt_orca.add.result(c, tid, timeout=20)
            except BaseException as e:
                outcome.append(e)

        t = threading.Thread(target=waiter)
        t.start()
        n = 0
        for _ in range(200000):  # pure Python: needs the GIL
            n += 1
        # Had the waiter kept the GIL, this loop could only have run after
        # its 20 s timeout; the waiter is still waiting now.
        assert t.is_alive()
        c2 = orcastra.Client(sqlite_backend)
        c2.cancel(tid)
        c2.close()
        t.join(30)
        assert not t.is_alive()
        assert [type(e) for e in outcome] == [orcastra.Cancelled]
