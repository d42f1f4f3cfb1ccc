"""Client-side quotas: stay under a vendor's published request limits instead of discovering them via 429s."""

# Hand-rolled on purpose. pyrate-limiter 4.5.1 takes a clock, but sleeps with module-level time.sleep /
# asyncio.sleep (a simulated clock cannot drive it), keeps its asyncio lock per thread and runs a
# background leak thread; an exact sliding-window log is a few lines and lets the full allowance through.

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from . import _aio
from .errors import ConfigurationError, RateLimitedError
from .redact import Secret
from .waits import announce

log = logging.getLogger("sellerkit.quota")


@dataclass(frozen=True)
class Quota:
    """At most `limit` calls in any `period_seconds` long window."""

    limit: int
    period_seconds: float
    name: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise ConfigurationError(
                f"Quota.limit must be an int >= 1 (calls per window), got {self.limit!r}"
            )
        period = self.period_seconds
        if not isinstance(period, int | float) or not math.isfinite(period) or period <= 0:
            raise ConfigurationError(f"Quota.period_seconds must be a finite number > 0, got {period!r}")

    def __str__(self) -> str:
        return f"{self.name or 'quota'} ({self.limit} per {self.period_seconds:g} s)"


Ticket = float | str
"""What a grant is known by until `release`: its time (the in-process counter) or a token (a shared store)."""


class QuotaCounter(Protocol):
    """The bookkeeping behind a `QuotaLimiter`: the grants of one credential's quotas, wherever they live.

    `take` records a call if every quota has room and returns (0, its ticket, None), else (the seconds until
    the fullest quota has room, None, that quota) and records nothing. `restart` moves a granted call's
    window start to now (its response arrived). Both are atomic: no two callers get the last slot."""

    quotas: tuple[Quota, ...]

    def take(self) -> tuple[float, Ticket | None, Quota | None]: ...

    async def take_async(self) -> tuple[float, Ticket | None, Quota | None]: ...

    def restart(self, ticket: Ticket) -> None: ...

    async def restart_async(self, ticket: Ticket) -> None: ...


class LocalCounter:
    """The in-process counter: an exact sliding-window log per quota, safe across threads and tasks."""

    def __init__(self, quotas: tuple[Quota, ...], clock: Callable[[], float]) -> None:
        self.quotas, self.clock = quotas, clock
        # grant times still inside each quota's window, oldest first; at most `limit` each
        self._grants: list[deque[float]] = [deque() for _ in quotas]
        # held only for the bookkeeping below, never across a sleep or an await
        self._lock = threading.Lock()

    def take(self) -> tuple[float, Ticket | None, Quota | None]:
        with self._lock:
            now = self.clock()
            wait, full = 0.0, None
            for quota, grants in zip(self.quotas, self._grants, strict=True):
                # one expression for "leaves the window" in both places: (float) x > now implies x - now > 0
                while grants and grants[0] + quota.period_seconds <= now:
                    grants.popleft()
                if len(grants) >= quota.limit:
                    # a call restarted after it had left the window counts again: above the limit, room comes
                    # when all but limit - 1 of the calls have left
                    leaves = grants[len(grants) - quota.limit] + quota.period_seconds - now
                    if full is None or leaves > wait:
                        wait, full = leaves, quota
            if full is None:
                for grants in self._grants:
                    grants.append(now)
                return 0.0, now, None
        return wait, None, full

    async def take_async(self) -> tuple[float, Ticket | None, Quota | None]:
        return self.take()

    def restart(self, ticket: Ticket) -> None:
        granted = float(ticket)
        with self._lock:
            now = self.clock()
            for grants in self._grants:
                if grants and grants[-1] == granted:
                    grants[-1] = now  # the usual case, one call at a time: the newest grant moves in place
                    continue
                for index in range(len(grants) - 1, -1, -1):  # a held call is among the newest
                    if grants[index] <= granted:
                        if grants[index] == granted:
                            del grants[index]
                        break
                grants.append(now)

    async def restart_async(self, ticket: Ticket) -> None:
        self.restart(ticket)


class QuotaLimiter:
    """Waits for room in several quotas at once (sync or async), over an in-process or shared counter."""

    def __init__(
        self,
        quotas: Iterable[Quota],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = _aio.sleep,
        counter: QuotaCounter | None = None,
    ) -> None:
        self.quotas = tuple(quotas)
        wrong = [q for q in self.quotas if not isinstance(q, Quota)]
        if wrong:
            raise ConfigurationError(
                f"QuotaLimiter takes Quota(limit, period_seconds) objects, got {wrong!r}"
            )
        self.clock = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self.counter: QuotaCounter = counter if counter is not None else LocalCounter(self.quotas, clock)

    def _before_wait(
        self, wait: float, full: Quota | None, max_wait: float | None, vendor: str, first: bool
    ) -> None:
        log.debug("%s is used up: waiting %.3f s", full, wait)
        if max_wait is not None and wait > max_wait:
            raise RateLimitedError(
                f"the quota {full} is used up for {wait:.0f} s more, longer than max_wait {max_wait:g} s",
                vendor=vendor or "sellerkit",
                status=429,
                retry_after=wait,
            )
        if first:
            announce(f"{vendor} quota {full} used up".strip(), wait)

    def hold(self, *, max_wait: float | None = None, vendor: str = "") -> Ticket:
        """Block until every quota has room, record the call, and return its ticket (for `release`).

        A wait longer than `max_wait` raises `RateLimitedError(retry_after=...)` instead."""
        first = True
        while True:
            wait, ticket, full = self.counter.take()
            if ticket is not None:
                return ticket
            self._before_wait(wait, full, max_wait, vendor, first)
            first = False
            self._sleep(wait)

    async def hold_async(self, *, max_wait: float | None = None, vendor: str = "") -> Ticket:
        """`hold()` without blocking the event loop."""
        first = True
        while True:
            wait, ticket, full = await self.counter.take_async()
            if ticket is not None:
                return ticket
            self._before_wait(wait, full, max_wait, vendor, first)
            first = False
            await self._async_sleep(wait)

    def release(self, ticket: Ticket) -> None:
        """Restart the window of the call granted as `ticket` now, when it has surely reached the server."""
        # A server counts a call when it receives it, somewhere between our grant and the response;
        # counting it from the response on keeps that server under its limit whatever the latency.
        self.counter.restart(ticket)

    async def release_async(self, ticket: Ticket) -> None:
        """`release()` without blocking the event loop."""
        await self.counter.restart_async(ticket)

    def acquire(self) -> float:
        """Block until every quota has room, record the call, and return the seconds waited."""
        start = self.clock()
        ticket = self.hold()
        return (ticket if isinstance(ticket, float) else self.clock()) - start

    async def acquire_async(self) -> float:
        """`acquire()` without blocking the event loop."""
        start = self.clock()
        ticket = await self.hold_async()
        return (ticket if isinstance(ticket, float) else self.clock()) - start


class QuotaStore(Protocol):
    """Where the quota counters of every client live: this process (`LocalQuotaStore`, the default) or a
    store shared by many processes and machines (`sellerkit.RedisStore`)."""

    def counter(
        self, vendor: str, credential: str, quotas: tuple[Quota, ...], clock: Callable[[], float] | None
    ) -> QuotaCounter:
        """The counter of (vendor, credential): every client of one credential on one store shares it.
        `clock`: the client's injected clock (tests), or None for the store's own time."""
        ...


def _shape(quotas: Iterable[Quota]) -> list[tuple[int, float]]:
    return sorted((q.limit, q.period_seconds) for q in quotas)


def credential_value(credential: str | Secret) -> str:
    value = credential.get() if isinstance(credential, Secret) else credential
    if not isinstance(value, str) or not value:
        raise ConfigurationError("a quota counter needs the non-empty credential the vendor counts calls by")
    return value


class LocalQuotaStore:
    """Counters in this process: every client of one credential in the process shares one."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str], LocalCounter] = {}
        self._lock = threading.Lock()

    def counter(
        self, vendor: str, credential: str, quotas: tuple[Quota, ...], clock: Callable[[], float] | None
    ) -> LocalCounter:
        # only a digest is kept: the registry must not become a place where credentials live
        key = (vendor, hashlib.sha256(credential_value(credential).encode()).hexdigest())
        with self._lock:
            counter = self._counters.get(key)
            if counter is None:
                counter = self._counters[key] = LocalCounter(quotas, clock or time.monotonic)
            elif _shape(counter.quotas) != _shape(quotas):
                raise ConfigurationError(
                    f"{vendor}: this credential already has a limiter with quotas "
                    f"{', '.join(map(str, counter.quotas))}; "
                    "pass the same quotas for every client of one credential"
                )
            elif clock is not None and clock is not counter.clock:
                raise ConfigurationError(
                    f"{vendor}: this credential's shared limiter already runs on another clock; "
                    "pass the same clock (or none) for every client of one credential"
                )
        return counter

    def __repr__(self) -> str:
        return "LocalQuotaStore()"


LOCAL_QUOTAS = LocalQuotaStore()
"""The process-wide in-process store (the default)."""


def shared_limiter(
    vendor: str,
    credential: str | Secret,
    quotas: Iterable[Quota],
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], object] | None = None,
    async_sleep: Callable[[float], Awaitable[object]] | None = None,
    store: QuotaStore | None = None,
) -> QuotaLimiter:
    """A limiter over the counter of (vendor, credential) in `store` (default: this process's)."""
    quotas = tuple(quotas)
    counter = (store or LOCAL_QUOTAS).counter(vendor, credential_value(credential), quotas, clock)
    return QuotaLimiter(
        quotas,
        clock=clock or time.monotonic,
        sleep=sleep or time.sleep,
        async_sleep=async_sleep or _aio.sleep,
        counter=counter,
    )
