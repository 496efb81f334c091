"""Python and C on one backend: a Python producer with the C shop worker, the
C CLI as producer for a Python worker, and two releases of a schema."""

import datetime
import json
import os
import subprocess
import sys

import pytest

import orcastra
import pyt_orca
from conftest import python_env
import pyt_v2_orca
import shop_orca
from shop_orca import ChargeArgs, Item, Order, Receipt

ORCA = os.environ.get("ORCA_TEST_ORCA_CLI")
SHOP_WORKER = os.environ.get("ORCA_TEST_SHOP_WORKER")
SHOP_ORCA = os.environ.get("ORCA_TEST_SHOP_ORCA")
PRODUCER = os.path.join(os.environ["ORCA_SOURCE_DIR"], "examples", "shop", "producer.py")


@pytest.mark.skipif(not SHOP_WORKER, reason="the shop example is not built")
def test_python_producer_c_worker_typed_receipt(backend):
    """examples/shop/producer.py enqueues shop.charge, the C worker runs it,
    the producer prints the typed receipt."""
    worker = subprocess.Popen([SHOP_WORKER, "--backend", backend, "--max-tasks", "1",
                               "--no-schedules"], stderr=subprocess.PIPE, text=True)
    try:
        out = subprocess.run([sys.executable, PRODUCER, backend], capture_output=True, text=True,
                             timeout=60, env=python_env())
        assert out.returncode == 0, out.stderr
        assert worker.wait(timeout=60) == 0
    finally:
        worker.kill()
        worker.communicate()
    # 2 teas at the default 9.99 and a cake at 3.50, computed by the C handler.
    assert out.stdout.endswith(": charged 2348 cents for order py-1\n"), out.stdout
    with orcastra.Client(backend) as c:
        tid = out.stdout.split(":")[0]
        assert c.inspect(tid).state == "succeeded"
        receipt = shop_orca.charge.result(c, tid, timeout=5)
    assert isinstance(receipt, Receipt) and receipt == Receipt(order_id="py-1", cents=2348)


@pytest.mark.skipif(not ORCA, reason="the orca CLI is not built")
def test_c_producer_python_worker(backend, run_worker):
    got = []

    @shop_orca.charge.handler
    def charge(args: ChargeArgs) -> Receipt:
        got.append(args)
        return Receipt(order_id=args.order.id, cents=len(args.order.items))

    try:
        out = subprocess.run(
            [ORCA, "enqueue", "--backend", backend, "--schema", SHOP_ORCA, "shop.charge",
             json.dumps({"order": {"id": "B2", "items": [{"sku": "x"}], "tier": "PRO",
                                   "placed_at": "2024-05-01T10:00:00Z", "hold": "5s"}})],
            capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        tid = out.stdout.split()[-1]
        run_worker(backend, shop_orca.register)
        with orcastra.Client(backend) as c:
            assert shop_orca.charge.result(c, tid, timeout=30) == Receipt(order_id="B2", cents=1)
    finally:
        shop_orca.charge._handler = None
    order = got[0].order
    assert order.tier is shop_orca.Tier.PRO and order.items == [Item(sku="x", qty=1)]
    assert order.placed_at == datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.timezone.utc)
    assert order.hold == datetime.timedelta(seconds=5)


@pytest.mark.skipif(not SHOP_WORKER, reason="the shop example is not built")
def test_mixed_c_and_python_workers_on_one_queue(backend, run_worker):
    """A C worker and a Python worker take shop.charge from the same queue;
    every run ends with a receipt from one of them."""
    @shop_orca.charge.handler
    def charge(args: ChargeArgs) -> Receipt:
        return Receipt(order_id=args.order.id, cents=-1)  # marks a Python run

    n = 40
    worker = subprocess.Popen([SHOP_WORKER, "--backend", backend, "--no-schedules",
                               "--concurrency", "1"], stderr=subprocess.PIPE, text=True)
    try:
        run_worker(backend, shop_orca.register, concurrency=1)
        now = datetime.datetime.now(datetime.timezone.utc)
        with orcastra.Client(backend) as c:
            ids = shop_orca.charge.enqueue_many(
                c, [ChargeArgs(order=Order(id=f"m{i}", items=[Item(sku="x", price=1.0)],
                                           placed_at=now)) for i in range(n)])
            got = [shop_orca.charge.result(c, t, timeout=60) for t in ids]
            workers = {c.inspect(t).worker for t in ids}
    finally:
        shop_orca.charge._handler = None
        worker.terminate()
        worker.communicate(timeout=60)
    assert [r.order_id for r in got] == [f"m{i}" for i in range(n)]
    assert all(r.cents in (100, -1) for r in got)
    assert len(workers) in (1, 2) and "" not in workers


def test_schema_evolution_both_ways(backend, run_worker):
    """v2 adds a defaulted parameter: a v1 worker skips it, a v2 worker gives
    v1's tasks the default."""
    seen = []
    with orcastra.Client(backend) as c:
        w1 = run_worker(backend, lambda w: w.handle(pyt_orca.add, lambda a: a.a + a.b))
        t = pyt_v2_orca.add.enqueue(c, pyt_v2_orca.AddArgs(a=1, b=2, c=1000))
        assert pyt_v2_orca.add.result(c, t, timeout=30) == 3
        w1.stop()
        run_worker(backend, lambda w: w.handle(pyt_v2_orca.add,
                                               lambda a: seen.append(a) or a.a + a.b + a.c))
        t = pyt_orca.add.enqueue(c, pyt_orca.AddArgs(a=1, b=2))
        assert pyt_orca.add.result(c, t, timeout=30) == 103
    assert seen == [pyt_v2_orca.AddArgs(a=1, b=2, c=100)]


def test_corrupt_payloads_fail_the_task_not_the_process(backend, run_worker):
    """A worker whose schema disagrees with the producer's gets arguments it
    cannot decode: the task dies with the decoder's message."""
    bad = orcastra.Schema("pyt", structs=(
        ("pyt.add.args", None, 1, ((1, "a", "a", "string", False, None),)),),
        tasks=(("pyt.add", "pyt.add.args", "string", "default", (1, 0, 0, 0, False),
                0, 0, 0, 0, 0, 0, None),))
    with orcastra.Client(backend) as c:
        t = c.enqueue(bad.task("pyt.add"), {"a": "not a number"})
        run_worker(backend, lambda w: w.handle(pyt_orca.add, lambda a: 0))
        with pytest.raises(orcastra.TaskFailed, match="expected integer"):
            pyt_orca.add.result(c, t, timeout=30)
        # A result of the wrong shape raises Decode at the reader.
        t = pyt_orca.add.enqueue(c, pyt_orca.AddArgs(a=1, b=2))
        pyt_orca.add.wait(c, t, timeout=30)
        with pytest.raises(orcastra.Decode):
            c.result(bad.task("pyt.add"), t, timeout=5)
