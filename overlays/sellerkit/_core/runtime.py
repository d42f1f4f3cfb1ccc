"""Clocks, sleeps and the per-call deadline: what tests replace and what every layer of one call shares.

Test hooks are not constructor parameters: `with use_runtime(clock=..., sleep=...)` around creating a client
gives it a manual clock, instant sleeps, a limiter or an inner transport. The deadline of a high-level call
(`deadline=` on a client) is a context variable, so the transport, the poller and the downloader of that
call all see the same remaining time and none of them can multiply it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

import httpx

from . import _aio
from .quota import QuotaLimiter
from .retry import RetryPolicy


@dataclass(frozen=True)
class Runtime:
    """What a client measures time with and waits with; replaceable only through `use_runtime`."""

    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    sleep: Callable[[float], object] = time.sleep
    async_sleep: Callable[[float], Awaitable[object]] = _aio.sleep
    limiter: QuotaLimiter | None = None
    inner_transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None
    retry: RetryPolicy | None = None
    """The base retry policy instead of the vendor's (tests: `jitter=False` for exact waits);
    `max_retries` / `max_wait` still apply on top."""


_RUNTIME: ContextVar[Runtime] = ContextVar("sellerkit_runtime", default=Runtime())  # noqa: B039 (frozen)


def current() -> Runtime:
    """The runtime a client created now would get."""
    return _RUNTIME.get()


@contextlib.contextmanager
def use_runtime(**hooks: Any) -> Iterator[Runtime]:
    """Clients created inside the block use these hooks (tests, benchmarks): clock, wall_clock, sleep,
    async_sleep, limiter, inner_transport, retry."""
    token = _RUNTIME.set(replace(_RUNTIME.get(), **hooks))
    try:
        yield _RUNTIME.get()
    finally:
        _RUNTIME.reset(token)


class Deadline:
    """The moment (on `clock`) by which a high-level call must end."""

    __slots__ = ("at", "clock", "seconds")

    def __init__(self, at: float, seconds: float, clock: Callable[[], float]) -> None:
        self.at, self.seconds, self.clock = at, seconds, clock

    def remaining(self) -> float:
        return self.at - self.clock()


_DEADLINE: ContextVar[Deadline | None] = ContextVar("sellerkit_deadline", default=None)


def deadline() -> Deadline | None:
    """The deadline of the call in progress, if it has one."""
    return _DEADLINE.get()


@contextlib.contextmanager
def deadline_scope(seconds: float | None, clock: Callable[[], float]) -> Iterator[None]:
    """Run a call under a deadline; nested calls keep the earlier one."""
    outer = _DEADLINE.get()
    if seconds is None:
        yield
        return
    mine = Deadline(clock() + seconds, seconds, clock)
    token = _DEADLINE.set(mine if outer is None or outer.at > mine.at else outer)
    try:
        yield
    finally:
        _DEADLINE.reset(token)
