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


class QuotaLimiter:
    """An exact sliding-window limiter over several quotas, safe across threads and asyncio tasks at once."""

    def __init__(
        self,
        quotas: Iterable[Quota],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = _aio.sleep,
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
        # grant times still inside each quota's window, oldest first; at most `limit` each
        self._grants: list[deque[float]] = [deque() for _ in self.quotas]
        # held only for the bookkeeping below, never across a sleep or an await
        self._lock = threading.Lock()

    def _try_grant(self) -> tuple[float, float, Quota | None]:
        """(0, grant time, None) after recording a call if every quota has room, else (wait, 0, the quota)."""
        with self._lock:
            now = self.clock()
            wait, full = 0.0, None
            for quota, grants in zip(self.quotas, self._grants, strict=True):
                # one expression for "leaves the window" in both places: (float) x > now implies x - now > 0
                while grants and grants[0] + quota.period_seconds <= now:
                    grants.popleft()
                if len(grants) >= quota.limit and (
                    full is None or grants[0] + quota.period_seconds - now > wait
                ):
                    wait, full = grants[0] + quota.period_seconds - now, quota
            if full is None:
                for grants in self._grants:
                    grants.append(now)
                return 0.0, now, None
        log.debug("%s is used up: waiting %.3f s", full, wait)
        return wait, 0.0, full

    def _before_wait(
        self, wait: float, full: Quota | None, max_wait: float | None, vendor: str, first: bool
    ) -> None:
        if max_wait is not None and wait > max_wait:
            raise RateLimitedError(
                f"the quota {full} is used up for {wait:.0f} s more, longer than max_wait {max_wait:g} s",
                vendor=vendor or "sellerkit",
                status=429,
                retry_after=wait,
            )
        if first:
            announce(f"{vendor} quota {full} used up".strip(), wait)

    def hold(self, *, max_wait: float | None = None, vendor: str = "") -> float:
        """Block until every quota has room, record the call, and return its grant time (for `release`).

        A wait longer than `max_wait` raises `RateLimitedError(retry_after=...)` instead."""
        first = True
        while True:
            wait, granted, full = self._try_grant()
            if wait <= 0:
                return granted
            self._before_wait(wait, full, max_wait, vendor, first)
            first = False
            self._sleep(wait)

    async def hold_async(self, *, max_wait: float | None = None, vendor: str = "") -> float:
        """`hold()` without blocking the event loop."""
        first = True
        while True:
            wait, granted, full = self._try_grant()
            if wait <= 0:
                return granted
            self._before_wait(wait, full, max_wait, vendor, first)
            first = False
            await self._async_sleep(wait)

    def release(self, granted: float) -> None:
        """Restart the window of the call granted at `granted` now, when it has surely reached the server."""
        # A server counts a call when it receives it, somewhere between our grant and the response;
        # counting it from the response on keeps that server under its limit whatever the latency.
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

    def acquire(self) -> float:
        """Block until every quota has room, record the call, and return the seconds waited."""
        start = self.clock()
        return self.hold() - start

    async def acquire_async(self) -> float:
        """`acquire()` without blocking the event loop."""
        start = self.clock()
        return await self.hold_async() - start


_shared: dict[tuple[str, str], QuotaLimiter] = {}
_shared_lock = threading.Lock()


def _shape(quotas: Iterable[Quota]) -> list[tuple[int, float]]:
    return sorted((q.limit, q.period_seconds) for q in quotas)


def shared_limiter(
    vendor: str,
    credential: str | Secret,
    quotas: Iterable[Quota],
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], object] | None = None,
    async_sleep: Callable[[float], Awaitable[object]] | None = None,
) -> QuotaLimiter:
    """The process-wide limiter for (vendor, credential): every client of one credential shares it."""
    value = credential.get() if isinstance(credential, Secret) else credential
    if not isinstance(value, str) or not value:
        raise ConfigurationError("shared_limiter needs the non-empty credential the vendor counts calls by")
    quotas = tuple(quotas)
    # only a digest is kept: the registry must not become a place where credentials live
    key = (vendor, hashlib.sha256(value.encode()).hexdigest())
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = QuotaLimiter(
                quotas,
                clock=clock or time.monotonic,
                sleep=sleep or time.sleep,
                async_sleep=async_sleep or _aio.sleep,
            )
        elif _shape(limiter.quotas) != _shape(quotas):
            raise ConfigurationError(
                f"{vendor}: this credential already has a limiter with quotas "
                f"{', '.join(map(str, limiter.quotas))}; "
                "pass the same quotas for every client of one credential"
            )
        elif clock is not None and clock is not limiter.clock:
            raise ConfigurationError(
                f"{vendor}: this credential's shared limiter already runs on another clock; "
                "pass the same clock (or none) for every client of one credential"
            )
    return limiter
