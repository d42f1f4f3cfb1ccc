"""One polling engine for every vendor's export jobs: a sans-I/O core driven by `poll` and `poll_async`."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from . import _aio
from .errors import ConfigurationError, JobTimeoutError, ServerError
from .waits import LONG_WAIT, announce

log = logging.getLogger("sellerkit.poll")

# Derivation (tests/core/test_polling.py prints the numbers): a blind geometric schedule makes about
# log_g(T) status calls, so the call goal 2*log2(T/0.5)+3 means g >= sqrt(2) in the long run, while a lag
# of 10% of T would need g <= 1.1 -- both cannot hold. 1.33 is the slowest growth that, together with the
# 37 s cap, stays one call under the goal for *every* job length up to 200 s (not just 2/20/200 s); the
# spare call absorbs timing noise. A lower cap would cut the lag of long jobs but break the call goal.
DEFAULT_GROWTH = 1.33
DEFAULT_MAX_INTERVAL = 37.0
MIN_INTERVAL = 0.05
"""Floor for server hints and ETA guesses, so a hint of 0 cannot turn into a busy loop."""


@dataclass(frozen=True)
class Progress:
    """How far a job is, as far as the vendor says: a fraction in [0, 1] and/or processed of total items."""

    fraction: float | None = None
    processed: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class PollPolicy:
    """When to ask again: fixed `interval`, else server hint, else progress ETA, else growing to a cap."""

    interval: float | None = None
    initial: float = 0.5
    growth: float = DEFAULT_GROWTH
    max_interval: float = DEFAULT_MAX_INTERVAL
    timeout: float | None = 3600.0
    max_fetch_failures: int = 3
    """Consecutive transient fetch failures (after the transport's own retries) tolerated before raising."""

    def __post_init__(self) -> None:
        problems = []
        if self.interval is not None and not self.interval > 0:
            problems.append(f"interval must be > 0 seconds or None, got {self.interval}")
        if not self.initial > 0:
            problems.append(f"initial must be > 0 seconds, got {self.initial}")
        if not self.growth >= 1:
            problems.append(f"growth must be >= 1, got {self.growth}")
        if not self.max_interval >= self.initial:
            problems.append(f"max_interval ({self.max_interval}) must be >= initial ({self.initial})")
        if self.timeout is not None and not self.timeout >= 0:
            problems.append(f"timeout must be >= 0 seconds or None, got {self.timeout}")
        if self.max_fetch_failures < 0:
            problems.append(f"max_fetch_failures must be >= 0, got {self.max_fetch_failures}")
        if problems:
            raise ConfigurationError("PollPolicy: " + "; ".join(problems))


class Pollable(Protocol):
    """What the engine reads from a job state (`sellerkit._core.jobs.JobState` has all of it)."""

    @property
    def reference(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def terminal(self) -> bool: ...

    @property
    def progress(self) -> Progress | None: ...

    @property
    def poll_hint(self) -> float | None: ...


S = TypeVar("S", bound=Pollable)


def transient(error: Exception) -> bool:
    """A fetch failure that does not end a wait until `max_fetch_failures` of them happen in a row: a status
    answer that could not be read (a `ServerError` below 500). Connection errors, timeouts, 5xx and 429 were
    already retried by the transport under the client's retry budget; tolerating them here again would
    multiply that budget (issue 8: one layer owns the attempts)."""
    return isinstance(error, ServerError) and (error.status_code or 0) < 500


def blind_interval(policy: PollPolicy, step: int) -> float:
    """The `step`-th (0-based) wait of the blind schedule: `initial * growth**step`, capped."""
    # log form: growth**step overflows a float long before a one-hour wait runs out of steps
    exponent = step * math.log(policy.growth) + math.log(policy.initial)
    return min(policy.max_interval, math.exp(min(exponent, 700.0)))


def blind_schedule(policy: PollPolicy, *, fetch_first: bool = True) -> Iterator[float]:
    """Seconds after the start at which the blind schedule fetches (endless; 0 first if `fetch_first`)."""
    elapsed = 0.0
    if fetch_first:
        yield elapsed
    step = 0
    while True:
        elapsed += blind_interval(policy, step)
        step += 1
        yield elapsed


@dataclass(frozen=True)
class ScheduleStats:
    """Status calls and detection lag of the blind schedule for a job that finishes `job_seconds` in."""

    calls: int
    lag: float
    """Seconds from completion to the fetch that sees it."""
    worst_lag: float
    """Longest lag for any completion between the previous fetch and that one (the gap's length)."""


def schedule_stats(policy: PollPolicy, job_seconds: float, *, fetch_first: bool = True) -> ScheduleStats:
    """Calls and lag of the blind schedule (no hint, no progress) for a job of `job_seconds`."""
    previous = 0.0
    for calls, at in enumerate(blind_schedule(policy, fetch_first=fetch_first), start=1):
        if at >= job_seconds:
            return ScheduleStats(calls=calls, lag=at - job_seconds, worst_lag=at - previous)
        previous = at
    raise AssertionError("unreachable: the schedule is endless")


def eta_interval(policy: PollPolicy, first: tuple[float, float], latest: tuple[float, float]) -> float | None:
    """Wait until the estimated completion from two `(time, fraction)` samples, or None if unknown."""
    (t0, f0), (t1, f1) = first, latest
    if not (t1 > t0 and f1 > f0 and 0 <= f1 < 1):
        return None
    remaining = (1 - f1) * (t1 - t0) / (f1 - f0)
    return min(policy.max_interval, max(policy.initial, remaining))


def _fraction(progress: Progress | None) -> float | None:
    """The reported fraction, else processed/total when the vendor counts items instead."""
    if progress is None:
        return None
    if progress.fraction is not None:
        return progress.fraction
    if progress.processed is not None and progress.total:
        return min(1.0, progress.processed / progress.total)
    return None


class _Poller:
    """The polling decisions for one wait, free of I/O; `poll` and `poll_async` only fetch and sleep."""

    def __init__(
        self,
        policy: PollPolicy,
        *,
        vendor: str,
        reference: str,
        state: Pollable | None,
        on_progress: Callable[[Progress], object] | None,
        now: float,
    ) -> None:
        self.policy, self.vendor, self.reference = policy, vendor, reference
        self.on_progress = on_progress
        self.deadline = None if policy.timeout is None else now + policy.timeout
        self.last: Pollable | None = None
        self.reported: Progress | None = None
        self.first_sample: tuple[float, float] | None = None
        self.latest_sample: tuple[float, float] | None = None
        self.steps = 0
        self.failures = 0
        self.last_error: Exception | None = None
        # a known state (e.g. from the submit call) makes an immediate fetch pointless: wait first
        self.fetch_now = state is None
        self.announced = False
        if state is not None:
            self.observe(state, now)

    @property
    def done(self) -> bool:
        """True once a terminal state has been seen."""
        return self.last is not None and self.last.terminal

    def delay(self, now: float) -> float:
        """Seconds to sleep before the next fetch; raises `JobTimeoutError` once the deadline has passed."""
        if self.fetch_now:
            self.fetch_now = False
            return 0.0
        if self.deadline is not None and now >= self.deadline:
            status = None if self.last is None else self.last.status
            raise JobTimeoutError(
                f"still {status or 'unknown'} after {self.policy.timeout:g} s",
                vendor=self.vendor,
                reference=self.reference,
                last_status=status,
            ) from self.last_error
        wait = self._interval()
        self.steps += 1
        wait = wait if self.deadline is None else min(wait, self.deadline - now)
        if not self.announced and wait >= LONG_WAIT:
            self.announced = True  # once per wait(): a long job is not a warning per poll
            announce(f"{self.vendor} job {self.reference}: {self._status()}, next status check", wait)
        return wait

    def _status(self) -> str:
        return "not fetched yet" if self.last is None else f"still {self.last.status}"

    def _interval(self) -> float:
        policy = self.policy
        if policy.interval is not None:
            return policy.interval
        if self.last is not None and self.last.poll_hint is not None:
            return max(MIN_INTERVAL, self.last.poll_hint)
        if self.first_sample is not None and self.latest_sample is not None:
            eta = eta_interval(policy, self.first_sample, self.latest_sample)
            if eta is not None:
                return max(MIN_INTERVAL, eta)
        return blind_interval(policy, self.steps)

    def observe(self, state: Pollable, now: float) -> bool:
        """Record a fetched state; True when it is terminal."""
        self.last, self.failures, self.last_error = state, 0, None
        progress = state.progress
        fraction = _fraction(progress)
        if fraction is not None:
            sample = (now, fraction)
            self.first_sample = self.first_sample or sample
            self.latest_sample = sample
        log.debug("%s job %s: %s (progress %s)", self.vendor, self.reference, state.status, progress)
        if progress is not None and progress != self.reported and self.on_progress is not None:
            self.reported = progress
            self.on_progress(progress)
        return state.terminal

    def tolerate(self, error: Exception) -> bool:
        """True if the wait goes on after this fetch failure; False: the caller re-raises it."""
        if not transient(error) or self.failures >= self.policy.max_fetch_failures:
            return False
        self.failures += 1
        self.last_error = error
        log.warning(
            "%s job %s: status fetch failed (%d of %d tolerated in a row): %s",
            self.vendor,
            self.reference,
            self.failures,
            self.policy.max_fetch_failures,
            error,
        )
        return True


def poll(
    fetch: Callable[[], S],
    *,
    vendor: str,
    reference: str,
    policy: PollPolicy | None = None,
    state: S | None = None,
    on_progress: Callable[[Progress], object] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
) -> S:
    """Call `fetch()` until the state is terminal and return it (failed jobs too: the caller decides)."""
    poller = _Poller(
        policy or PollPolicy(),
        vendor=vendor,
        reference=reference,
        state=state,
        on_progress=on_progress,
        now=clock(),
    )
    if state is not None and poller.done:
        return state
    while True:
        wait = poller.delay(clock())
        if wait > 0:
            sleep(wait)
        try:
            current = fetch()
        except Exception as exc:
            if poller.tolerate(exc):
                continue
            raise
        if poller.observe(current, clock()):
            return current


async def poll_async(
    fetch: Callable[[], Awaitable[S]],
    *,
    vendor: str,
    reference: str,
    policy: PollPolicy | None = None,
    state: S | None = None,
    on_progress: Callable[[Progress], object] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = _aio.sleep,
) -> S:
    """`poll` for an async `fetch`; sleeping never blocks the event loop."""
    poller = _Poller(
        policy or PollPolicy(),
        vendor=vendor,
        reference=reference,
        state=state,
        on_progress=on_progress,
        now=clock(),
    )
    if state is not None and poller.done:
        return state
    while True:
        wait = poller.delay(clock())
        if wait > 0:
            await sleep(wait)
        try:
            current = await fetch()
        except Exception as exc:
            if poller.tolerate(exc):
                continue
            raise
        if poller.observe(current, clock()):
            return current
