"""Vendor clients for tests: public options only, the simulator's clock through the runtime hooks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sellerkit._core.quota import Quota, QuotaLimiter
from sellerkit._core.runtime import use_runtime
from sellerkit._core.vendor import Vendor
from tests.simulators.framework import ScaledClock

C = TypeVar("C")


def make_client(
    cls: type[C],
    clock: ScaledClock | None = None,
    *,
    limiter: QuotaLimiter | None = None,
    hooks: dict[str, Any] | None = None,
    **kwargs: Any,
) -> C:
    """`cls(**kwargs)` created on `clock` (polls, retries, quotas and token expiry in simulated time).

    The quota limiter is a fresh one on the same clock (the vendor's documented quotas, or `quotas=`), so
    tests never share the process-wide limiter of a real credential.
    """
    runtime: dict[str, Any] = {}
    if clock is not None:
        runtime.update(clock=clock.now, wall_clock=clock.now, sleep=clock.sleep, async_sleep=clock.asleep)
        if limiter is None:
            vendor: Vendor = getattr(cls, "vendor")  # noqa: B009 (C is any client class)
            quotas: tuple[Quota, ...] = tuple(kwargs.get("quotas") or vendor.quotas)
            limiter = QuotaLimiter(quotas, clock=clock.now, sleep=clock.sleep, async_sleep=clock.asleep)
    runtime.update(hooks or {})  # a hook wins over the clock's (e.g. a wall clock that is off by a second)
    if limiter is not None:
        runtime["limiter"] = limiter
    with use_runtime(**runtime):
        return cls(**kwargs)


def call(mode: str, fn: Callable[[], Any]) -> Any:
    """Run one client call in either mode: an async call's coroutine is awaited on a fresh event loop."""
    result = fn()
    if mode == "async" and asyncio.iscoroutine(result):
        return asyncio.run(_awaited(result))
    return result


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
