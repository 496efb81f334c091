"""Python values through liborca and back: every field kind, defaults,
optional fields, and hostile values refused with a clear exception."""

import datetime

import pytest

import handlers
import orcastra
import pyt_orca
from pyt_orca import Color, Everything, Point

UTC = datetime.timezone.utc


def full() -> Everything:
    return Everything(
        b=True, i8v=-128, i16v=-32768, i32v=-2**31, i64v=-2**63, u8v=255, u16v=65535,
        u32v=2**32 - 1, u64v=2**64 - 1, f32v=1.5, f64v=-2.25, s="héllo ☃", raw=b"\x00\xff",
        at=datetime.datetime(2024, 2, 29, 12, 30, 1, 123456, tzinfo=UTC),
        took=datetime.timedelta(days=-1, microseconds=7), color=Color.BLUE, p=Point(x=1, y=-1),
        maybe=Point(x=3, y=4), maybe_int=0, points=[Point(x=i, y=i) for i in range(3)],
        counts={"a": 1, "": -5}, nested={7: ["x", "y"], 0: []}, from_="keyword")


def test_every_kind_round_trips(backend, run_worker):
    w = run_worker(backend, pyt_orca.register)
    with orcastra.Client(backend) as c:
        for value in (full(), Everything(p=Point())):
            tid = pyt_orca.echo.enqueue(c, pyt_orca.EchoArgs(value=value))
            assert pyt_orca.echo.result(c, tid, timeout=30) == value
    w.stop()


def test_dicts_take_defaults_and_come_back_as_dataclasses(sqlite_backend, run_worker):
    run_worker(sqlite_backend, pyt_orca.register)
    with orcastra.Client(sqlite_backend) as c:
        tid = c.enqueue(pyt_orca.echo, {"value": {"p": {"x": 2}, "from": "f"}})
        got = pyt_orca.echo.result(c, tid, timeout=30)
    assert got == Everything(p=Point(x=2, y=0), from_="f")
    assert got.s == "dflt" and got.color is Color.GREEN and got.maybe is None


def enqueue_error(client, value):
    with pytest.raises((TypeError, ValueError)) as e:
        pyt_orca.echo.enqueue(client, pyt_orca.EchoArgs(value=value))
    return str(e.value)


@pytest.mark.parametrize("change,message", [
    ({"i32v": "1"}, "pyt.echo.value.i32v: expected int, got str"),
    ({"i32v": True}, "value.i32v: expected int, got bool"),
    ({"i8v": 128}, "value.i8v: 128 is out of range for i8"),
    ({"u64v": -1}, "value.u64v: -1 is out of range for u64"),
    ({"u64v": 2**64}, "out of range for u64"),
    ({"f32v": 1e300}, "value.f32v: 1e+300 is out of range for f32"),
    ({"b": 1}, "value.b: expected bool, got int"),
    ({"s": b"x"}, "value.s: expected str, got bytes"),
    ({"s": "a\0b"}, "value.s: strings cannot hold a NUL character"),
    ({"s": "\ud800"}, "value.s:"),
    ({"raw": "x"}, "value.raw: expected bytes, got str"),
    ({"at": datetime.datetime(2024, 1, 1)}, "value.at: a naive datetime is ambiguous"),
    ({"took": 1.5}, "value.took: expected timedelta"),
    ({"color": 7}, "value.color: 7 is not a value of pyt.Color"),
    ({"color": "RED"}, "value.color: expected pyt.Color, got str"),
    ({"p": None}, "value.p: expected pyt.Point"),
    ({"p": Everything}, "value.p: expected pyt.Point"),
    ({"points": [Point(), 3]}, "value.points[1]: expected pyt.Point"),
    ({"points": "ab"}, "value.points: expected a list, got str"),
    ({"counts": {"a": "b"}}, "value.counts['a']: expected int, got str"),
    ({"counts": {1: 1}}, "value.counts{key}: expected str, got int"),
    ({"nested": {-1: []}}, "out of range for u32"),
    ({"p": {"x": 1, "z": 2}}, "value.p: unknown field 'z'"),
])
def test_wrong_values_raise_naming_the_field(sqlite_backend, change, message):
    value = full()
    with orcastra.Client(sqlite_backend) as c:
        for k, v in change.items():
            object.__setattr__(value, k, v)
        assert message in enqueue_error(c, value)
        assert c.queues() == [] or all(q["pending"] == 0 for q in c.queues())


def test_wrong_top_level_objects(sqlite_backend):
    with orcastra.Client(sqlite_backend) as c:
        with pytest.raises(TypeError, match="expected pyt.echo.args"):
            c.enqueue(pyt_orca.echo, 5)
        with pytest.raises(TypeError, match="expected an orcastra.Task, got str"):
            c.enqueue("pyt.echo", {})
        with pytest.raises(TypeError):
            c.enqueue(pyt_orca.echo)
        with pytest.raises(ValueError, match="priority: expected an int in 0..9"):
            c.enqueue(pyt_orca.ping, {}, priority=10)
        with pytest.raises(TypeError, match="delay: expected seconds"):
            c.enqueue(pyt_orca.ping, {}, delay="1s")
        with pytest.raises(TypeError, match="headers key: expected str"):
            c.enqueue(pyt_orca.ping, {}, headers={1: "x"})


def test_hand_made_schemas_are_checked():
    with pytest.raises(ValueError, match="unknown type 'nope'"):
        orcastra.Schema("x", structs=(("x.S", None, 1, ((1, "a", "a", "nope", False, None),)),))
    with pytest.raises(ValueError, match="x.S contains itself by value"):
        orcastra.Schema("x", structs=(("x.S", None, 1, ((1, "a", "a", "x.S", False, None),)),))
    with pytest.raises(ValueError, match="field id 2 used twice"):
        orcastra.Schema("x", structs=(("x.S", None, 1, ((2, "a", "a", "i32", False, None),
                                                        (2, "b", "b", "i32", False, None))),))
    with pytest.raises(TypeError):
        orcastra.Schema("x", structs=(("x.S",),))
