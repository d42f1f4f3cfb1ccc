"""One polling engine for every vendor's export jobs: a sans-I/O core driven by `poll` and `poll_async`."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from . import _aio
from .errors import ConfigurationError, JobTimeoutError, ServerError
from .waits import LONG_WAIT, announce

log = logging.getLogger("sellerkit.poll")

DEFAULT_INITIAL = 0.5
"""The first wait; the next ones double until `short_interval` (a job done in a second is seen at once)."""
DEFAULT_SHORT_INTERVAL = 1.0
DEFAULT_LAG_FRACTION = 0.1
DEFAULT_MAX_INTERVAL = 60.0
MIN_INTERVAL = 0.05
"""Floor for server hints, so a hint of 0 cannot turn into a busy loop."""


@dataclass(frozen=True)
class Progress:
    """How far a job is, as far as the vendor says: a fraction in [0, 1] and/or processed of total items."""

    fraction: float | None = None
    processed: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class PollPolicy:
    """When to ask again. Lag first: a finished job is noticed within 10 % of the time it took.

    Without a hint the wait before the next status call, at `t` seconds since the wait began, is
    `min(max_interval, max(min(short_interval, initial * 2**n), lag_fraction * t))` (n: waits so far) —
    never more than `max(short_interval, lag_fraction * t)`: 0.5 s, then 1 s until t = 10 s, then
    10 % of t, at most 60 s. A fixed `interval` replaces all of it. A server hint (`poll_hint`) or the
    progress ETA (remaining fraction over the rate measured between the first sample that moved — the job
    left its queue — and the latest) may shorten that wait; once the job is measurably moving (two
    samples with rising progress after that) they may also lengthen it, never past `max_interval`. A
    failed status call is retried at the blind pace, never lengthened.

    Worst-case lag (no hint, no progress): a job ending between two calls at t_k < T <= t_k+1 is seen at
    t_k+1, so the lag is at most `t_k+1 - t_k <= max(short_interval, lag_fraction * t_k)`, i.e. at most
    `min(max_interval, max(1 s, 0.1 * T))` for any job length T. With progress, a lengthened wait ends
    at the ETA: a job that suddenly speeds up is seen at most `max_interval` late.

    Calls for a job of T seconds, first call at t = 0 (no hint, no progress): about T + 2 up to 10.5 s
    (calls at 0, 0.5, 1.5, 2.5, ... 10.5), then one per 10 % of growth, 12 + ln(T / 10.5) / ln 1.1
    = 12 + 10.5 ln(T / 10.5) up to T = 600 s (where 10 % reaches the 60 s cap), then (T - 600) / 60 more.
    Exactly (`schedule_stats`, checked by tests/core/test_polling.py):

    | T (s)  | calls | lag (s) | worst-case lag (s) |
    |-------:|------:|--------:|-------------------:|
    |      2 |     4 |    0.50 |               1.00 |
    |      8 |    10 |    0.50 |               1.00 |
    |     20 |    19 |    0.46 |               1.86 |
    |    200 |    43 |    1.54 |              18.32 |
    |    600 |    55 |   32.52 |              57.50 |
    |  3,600 |   105 |   32.52 |              60.00 |

    (The issue-13 call goal 12 ln(max(T, 10) / 10) + 13 holds up to T ≈ 1,700 s; past that the 60 s cap
    costs T / 60 calls an hour — 3600 s needs a `max_interval` of ~120 s or more to stay within it.)
    """

    interval: float | None = None
    initial: float = DEFAULT_INITIAL
    short_interval: float = DEFAULT_SHORT_INTERVAL
    """The longest blind wait while `lag_fraction` of the elapsed time is less than this."""
    lag_fraction: float = DEFAULT_LAG_FRACTION
    """The longest blind wait as a fraction of the time elapsed since the wait began (the lag bound)."""
    max_interval: float = DEFAULT_MAX_INTERVAL
    """No wait is longer, whatever the schedule, the progress or the server's hint says."""
    timeout: float | None = 3600.0
    max_fetch_failures: int = 3
    """Consecutive transient fetch failures (after the transport's own retries) tolerated before raising."""

    def __post_init__(self) -> None:
        problems = []
        if self.interval is not None and not self.interval > 0:
            problems.append(f"interval must be > 0 seconds or None, got {self.interval}")
        if not self.initial > 0:
            problems.append(f"initial must be > 0 seconds, got {self.initial}")
        if not self.short_interval >= self.initial:
            problems.append(f"short_interval ({self.short_interval}) must be >= initial ({self.initial})")
        if not 0 < self.lag_fraction <= 1:
            problems.append(f"lag_fraction must be in (0, 1], got {self.lag_fraction}")
        if not self.max_interval >= self.short_interval:
            problems.append(
                f"max_interval ({self.max_interval}) must be >= short_interval ({self.short_interval})"
            )
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


def blind_interval(policy: PollPolicy, step: int, elapsed: float) -> float:
    """The `step`-th (0-based) wait of the blind schedule, `elapsed` seconds after the wait began."""
    ramp = policy.initial * 2.0 ** min(step, 60)  # the exponent bounded: no overflow on hour-long waits
    return min(policy.max_interval, max(min(policy.short_interval, ramp), policy.lag_fraction * elapsed))


def blind_schedule(policy: PollPolicy, *, fetch_first: bool = True) -> Iterator[float]:
    """Seconds after the start at which the blind schedule fetches (endless; 0 first if `fetch_first`)."""
    elapsed = 0.0
    if fetch_first:
        yield elapsed
    step = 0
    while True:
        elapsed += blind_interval(policy, step, elapsed)
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


def eta_interval(first: tuple[float, float], latest: tuple[float, float]) -> float | None:
    """Seconds until the estimated completion from two `(time, fraction)` samples, or None if unknown."""
    (t0, f0), (t1, f1) = first, latest
    if not (t1 > t0 and f1 > f0 and 0 <= f1 < 1):
        return None
    return (1 - f1) * (t1 - t0) / (f1 - f0)


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
        self.started = now
        self.deadline = None if policy.timeout is None else now + policy.timeout
        self.last: Pollable | None = None
        self.reported: Progress | None = None
        # progress samples (time, fraction): the first seen, the first that moved past it (the job left its
        # queue: a rate measured from a queued 0 % predicts far too long a wait), and the latest
        self.first_sample: tuple[float, float] | None = None
        self.moved_sample: tuple[float, float] | None = None
        self.latest_sample: tuple[float, float] | None = None
        self.steps = 0
        self.failures = 0
        self.failed_last = False
        self.shortened = False  # the last wait was cut short by the ETA
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
        wait = self._interval(now)
        self.steps += 1
        wait = wait if self.deadline is None else min(wait, self.deadline - now)
        if not self.announced and wait >= LONG_WAIT:
            self.announced = True  # once per wait(): a long job is not a warning per poll
            announce(f"{self.vendor} job {self.reference}: {self._status()}, next status check", wait)
        return wait

    def _status(self) -> str:
        return "not fetched yet" if self.last is None else f"still {self.last.status}"

    @property
    def moving(self) -> bool:
        """Two samples with rising progress after the job left its queue: a rate worth extrapolating."""
        moved, latest = self.moved_sample, self.latest_sample
        return moved is not None and latest is not None and latest[1] > moved[1]

    def _interval(self, now: float) -> float:
        policy = self.policy
        if policy.interval is not None:
            return policy.interval
        blind = blind_interval(policy, self.steps, now - self.started)
        if self.failed_last:
            return blind  # a failed call is retried at the schedule's pace: it told us nothing new
        proposal: float | None = None
        if self.last is not None and self.last.poll_hint is not None:
            proposal = max(MIN_INTERVAL, self.last.poll_hint)
        elif self.moving and self.moved_sample is not None and self.latest_sample is not None:
            eta = eta_interval(self.moved_sample, self.latest_sample)
            if eta is not None and eta < blind and self.shortened:
                eta = None  # it said "almost" and was wrong: one blind wait before it may cut one short again
            proposal = None if eta is None else max(eta, min(blind, policy.initial))
            self.shortened = proposal is not None and proposal < blind
        if proposal is None:
            return blind
        if self.moving:
            return min(policy.max_interval, proposal)
        return min(blind, proposal)  # a hint for a job not yet moving may only shorten the wait

    def observe(self, state: Pollable, now: float) -> bool:
        """Record a fetched state; True when it is terminal."""
        self.last, self.failures, self.failed_last, self.last_error = state, 0, False, None
        progress = state.progress
        fraction = _fraction(progress)
        if fraction is not None:
            self._sample((now, fraction))
        log.debug("%s job %s: %s (progress %s)", self.vendor, self.reference, state.status, progress)
        if progress is not None and progress != self.reported and self.on_progress is not None:
            self.reported = progress
            self.on_progress(progress)
        return state.terminal

    def _sample(self, sample: tuple[float, float]) -> None:
        latest = self.latest_sample
        if self.first_sample is None or (latest is not None and sample[1] < latest[1]):
            # the first sample, or progress went back (a job restarted): measure the rate afresh
            self.first_sample, self.moved_sample = sample, None
        elif self.moved_sample is None and sample[1] > self.first_sample[1]:
            self.moved_sample = sample
        self.latest_sample = sample

    def tolerate(self, error: Exception) -> bool:
        """True if the wait goes on after this fetch failure; False: the caller re-raises it."""
        if not transient(error) or self.failures >= self.policy.max_fetch_failures:
            return False
        self.failures += 1
        self.failed_last = True
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
