"""sellerkit clients on a simulator's clock: polls, retries, quotas and token expiry in simulated time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sellerkit._core.quota import Quota, QuotaLimiter
from sellerkit._core.registry import client_class
from sellerkit._core.runtime import use_runtime

if TYPE_CHECKING:
    from sellerkit._core.vendor import Vendor

    from .framework import ScaledClock, Simulator

C = TypeVar("C")

__all__ = ["client_for", "make_client"]


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


def client_for(sim: Simulator[Any, Any], *, asynchronous: bool = False, **options: Any) -> Any:
    """The vendor's client pointed at a running simulator: its base URL, its credentials (each credential
    the vendor declares, read from the simulator's attribute of that name; a method is called) and its
    clock. `options` (client options, or other credentials) win."""
    cls = client_class(sim.name, asynchronous)
    kwargs: dict[str, Any] = {"base_url": sim.base_url}
    for credential in cls.vendor.credentials:
        value = getattr(sim, credential.name, None)
        value = value() if callable(value) else value
        if value is not None:
            kwargs[credential.name] = value
    return make_client(cls, sim.clock, **{**kwargs, **options})
