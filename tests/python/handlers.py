"""Handlers of pyt.orca's tasks for the tests (registered on import), and
the events block() waits for."""

import threading

import orcastra
import pyt_orca
from pyt_orca import Everything

releases: dict[str, threading.Event] = {}
started: dict[str, threading.Event] = {}


def gate(key: str) -> tuple[threading.Event, threading.Event]:
    """(started, release) events of block(key)."""
    return started.setdefault(key, threading.Event()), releases.setdefault(key, threading.Event())


@pyt_orca.echo.handler
def echo(args: pyt_orca.EchoArgs) -> Everything:
    return args.value


@pyt_orca.add.handler
def add(args: pyt_orca.AddArgs) -> int:
    return args.a + args.b


@pyt_orca.flaky.handler
def flaky(args: pyt_orca.FlakyArgs) -> int:
    if orcastra.attempt() < args.succeed_on:
        raise RuntimeError(f"attempt {orcastra.attempt()} fails on purpose")
    return orcastra.attempt()


@pyt_orca.block.handler
def block(args: pyt_orca.BlockArgs) -> bool:
    s, r = gate(args.key)
    s.set()
    while not r.wait(0.01):
        if orcastra.cancelled():
            raise orcastra.Cancelled("given up")
    return True


@pyt_orca.guarded.handler
def guarded(args: pyt_orca.GuardedArgs) -> int:
    return args.amount


@pyt_orca.ping.handler
def ping(args: pyt_orca.PingArgs) -> None:
    return None


@pyt_orca.once.handler
def once(args: pyt_orca.OnceArgs) -> None:
    return None
