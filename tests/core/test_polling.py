"""The polling engine: schedule, hints, ETA, deadline, progress, tolerated fetch failures (sync and async)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from sellerkit._core.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    JobTimeoutError,
    RateLimitedError,
    ServerError,
)
from sellerkit._core.jobs import JobState
from sellerkit._core.polling import (
    PollPolicy,
    Progress,
    blind_interval,
    blind_schedule,
    eta_interval,
    poll,
    poll_async,
    schedule_stats,
    transient,
)

pytestmark = pytest.mark.timeout(30)
MODES = ["sync", "async"]


def call_budget(seconds: float) -> int:
    """The benchmark's goal for status calls on a job of `seconds`."""
    return math.floor(2 * math.log2(seconds / 0.5) + 3)


def lag_goal(seconds: float) -> float:
    """The benchmark's goal for completion-to-detection lag."""
    return max(1.0, 0.1 * seconds)


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class FakeJob:
    """A job that finishes `duration` seconds after t=0, optionally reporting progress and a hint."""

    def __init__(
        self,
        clock: FakeClock,
        duration: float,
        *,
        fraction: bool = False,
        hint: float | None = None,
        failures: list[Exception] | None = None,
    ) -> None:
        self.clock, self.duration, self.fraction, self.hint = clock, duration, fraction, hint
        self.failures = list(failures or [])
        self.calls: list[float] = []

    def fetch(self) -> JobState:
        self.calls.append(self.clock.now)
        if self.failures:
            raise self.failures.pop(0)
        done = self.clock.now >= self.duration
        progress = Progress(fraction=min(1.0, self.clock.now / self.duration)) if self.fraction else None
        return JobState(
            reference="job-1",
            status="Done" if done else "Running",
            terminal=done,
            succeeded=done,
            progress=progress,
            poll_hint=self.hint,
        )


def run(mode: str, clock: FakeClock, fetch: Callable[[], JobState], **kwargs: Any) -> JobState:
    """`poll` or `poll_async` over the same fetch function and fake clock."""
    kwargs = {"vendor": "acme", "reference": "job-1"} | kwargs
    state: JobState
    if mode == "sync":
        state = poll(fetch, clock=clock.time, sleep=clock.sleep, **kwargs)
        return state

    async def afetch() -> JobState:
        return fetch()

    async def asleep(seconds: float) -> None:
        clock.sleep(seconds)

    state = asyncio.run(poll_async(afetch, clock=clock.time, sleep=asleep, **kwargs))
    return state


# --- the blind schedule (pure) ----------------------------------------------------------------------


def test_default_schedule_numbers_for_the_benchmark_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    policy = PollPolicy()
    rows = {t: schedule_stats(policy, t) for t in (2.0, 20.0, 200.0)}
    with capsys.disabled():
        print(f"\nblind schedule growth={policy.growth} cap={policy.max_interval}s (first fetch at t=0)")
        for t, s in rows.items():
            print(
                f"  T={t:>5g}s calls={s.calls:>2} (goal <= {call_budget(t)}) "
                f"lag={s.lag:5.2f}s worst-case lag={s.worst_lag:5.2f}s (goal <= {lag_goal(t):g}s)"
            )
    assert {t: s.calls for t, s in rows.items()} == {2.0: 4, 20.0: 11, 200.0: 19}
    assert [round(s.worst_lag, 2) for s in rows.values()] == [0.88, 6.51, 37.0]
    assert all(s.calls <= call_budget(t) - 1 for t, s in rows.items())


def test_default_schedule_keeps_a_spare_call_for_every_job_up_to_200_seconds() -> None:
    policy = PollPolicy()
    lengths = [1.0 * 1.002**i for i in range(0, 2700) if 1.0 * 1.002**i <= 200.0]
    assert all(schedule_stats(policy, t).calls <= call_budget(t) - 1 for t in lengths)


def test_blind_schedule_grows_by_the_factor_to_the_cap() -> None:
    policy = PollPolicy(initial=0.5, growth=2.0, max_interval=3.0)
    assert [blind_interval(policy, n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    times = blind_schedule(policy)
    assert [next(times) for _ in range(5)] == [0.0, 0.5, 1.5, 3.5, 6.5]
    assert next(blind_schedule(policy, fetch_first=False)) == 0.5
    assert blind_interval(PollPolicy(), 10**6) == PollPolicy().max_interval  # no overflow


def test_eta_interval() -> None:
    policy = PollPolicy(initial=0.5, max_interval=30.0)
    assert eta_interval(policy, (0.0, 0.0), (10.0, 0.5)) == 10.0
    assert eta_interval(policy, (0.0, 0.0), (1.0, 0.01)) == 30.0  # capped
    assert eta_interval(policy, (0.0, 0.0), (10.0, 0.999)) == 0.5  # floored at `initial`
    assert eta_interval(policy, (0.0, 0.2), (10.0, 0.2)) is None  # no movement: unknown
    assert eta_interval(policy, (5.0, 0.2), (5.0, 0.3)) is None
    assert eta_interval(policy, (0.0, 0.0), (10.0, 1.0)) is None  # finalising: fall back to the schedule


@pytest.mark.parametrize(
    "fields",
    [
        {"interval": 0},
        {"interval": float("nan")},
        {"initial": 0},
        {"growth": 0.9},
        {"max_interval": 0.1},
        {"timeout": -1},
        {"max_fetch_failures": -1},
    ],
)
def test_bad_policy_is_a_configuration_error(fields: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(fields))):
        PollPolicy(**fields)


# --- the engine (sync and async) --------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("duration", [2.0, 20.0, 200.0])
def test_blind_polling_matches_the_schedule(mode: str, duration: float) -> None:
    clock = FakeClock()
    job = FakeJob(clock, duration)
    state = run(mode, clock, job.fetch)
    expected = schedule_stats(PollPolicy(), duration)
    assert state.terminal and state.status == "Done"
    assert len(job.calls) == expected.calls
    assert clock.now - duration == pytest.approx(expected.lag)


@pytest.mark.parametrize("mode", MODES)
def test_caller_interval_wins_over_hint_and_progress(mode: str) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 10.0, fraction=True, hint=7.0)
    run(mode, clock, job.fetch, policy=PollPolicy(interval=2.0))
    assert clock.sleeps == [2.0] * 5


@pytest.mark.parametrize("mode", MODES)
def test_server_hint_wins_over_progress_and_schedule(mode: str) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 10.0, fraction=True, hint=4.0)
    run(mode, clock, job.fetch)
    assert clock.sleeps == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("mode", MODES)
def test_progress_fraction_drives_an_eta_guess(mode: str) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 100.0, fraction=True)
    run(mode, clock, job.fetch)
    # blind 0.5 s to get a rate, then ETA-sized waits (capped): far fewer calls and less lag than blind
    assert len(job.calls) <= 6 < schedule_stats(PollPolicy(), 100.0).calls
    assert clock.now - 100.0 < 1.0


@pytest.mark.parametrize("mode", MODES)
def test_item_counts_drive_the_eta_guess_too(mode: str) -> None:
    clock = FakeClock()

    def fetch() -> JobState:
        done = clock.now >= 100.0
        counted = Progress(processed=min(5000, int(50 * clock.now)), total=5000)
        return JobState("job-1", "Done" if done else "Running", done, done, counted)

    calls = 0

    def counting_fetch() -> JobState:
        nonlocal calls
        calls += 1
        return fetch()

    run(mode, clock, counting_fetch)
    assert calls <= 6 and clock.now - 100.0 < 1.0


@pytest.mark.parametrize("mode", MODES)
def test_progress_callback_fires_only_on_change(mode: str) -> None:
    clock = FakeClock()
    states = iter(
        [
            JobState("job-1", "Queued", False, False),
            JobState("job-1", "Running", False, False, Progress(processed=10, total=40)),
            JobState("job-1", "Running", False, False, Progress(processed=10, total=40)),
            JobState("job-1", "Running", False, False, Progress(processed=30, total=40)),
            JobState("job-1", "Done", True, True, Progress(fraction=1.0, processed=40, total=40)),
        ]
    )
    seen: list[Progress] = []
    state = run(mode, clock, lambda: next(states), on_progress=seen.append)
    assert state.status == "Done"
    assert [(p.processed, p.fraction) for p in seen] == [(10, None), (30, None), (40, 1.0)]


@pytest.mark.parametrize("mode", MODES)
def test_deadline_raises_a_timeout_carrying_reference_and_last_status(mode: str) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 1e9)
    with pytest.raises(JobTimeoutError) as caught:
        run(mode, clock, job.fetch, policy=PollPolicy(timeout=10.0))
    error = caught.value
    assert (error.vendor, error.reference, error.last_status) == ("acme", "job-1", "Running")
    assert clock.now == 10.0 and job.calls[-1] == 10.0  # a last look exactly at the deadline, no oversleep
    assert "job-1" in str(error) and "Running" in str(error)


@pytest.mark.parametrize("mode", MODES)
def test_known_running_state_waits_before_the_first_fetch(mode: str) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 2.0)
    known = JobState("job-1", "Queued", False, False)
    run(mode, clock, job.fetch, state=known)
    assert job.calls[0] == PollPolicy().initial
    assert len(job.calls) == schedule_stats(PollPolicy(), 2.0, fetch_first=False).calls


@pytest.mark.parametrize("mode", MODES)
def test_known_terminal_state_needs_no_fetch(mode: str) -> None:
    clock = FakeClock()
    done = JobState("job-1", "Failed", True, False)
    assert run(mode, clock, FakeJob(clock, 1.0).fetch, state=done) is done
    assert clock.now == 0.0


def unreadable(n: int = 0) -> ServerError:
    """What `calls.readable` makes of a status answer that could not be parsed (a 2xx with a broken body)."""
    return ServerError(f"acme sent an unreadable job status ({n})", vendor="acme", status=200)


@pytest.mark.parametrize("mode", MODES)
def test_a_few_unreadable_status_answers_are_tolerated(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 5.0, failures=[unreadable(n) for n in range(3)])
    assert run(mode, clock, job.fetch).status == "Done"
    tolerated = [r for r in caplog.records if "status fetch failed" in r.getMessage()]
    assert [r.levelname for r in tolerated] == ["WARNING"] * 3
    assert "(3 of 3 tolerated in a row)" in tolerated[-1].getMessage()


@pytest.mark.parametrize("mode", MODES)
def test_too_many_unreadable_answers_in_a_row_re_raise(mode: str) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 5.0, failures=[*(unreadable(n) for n in range(3)), unreadable(99)])
    with pytest.raises(ServerError, match=r"unreadable job status \(99\)"):
        run(mode, clock, job.fetch, policy=PollPolicy(max_fetch_failures=3))
    assert len(job.calls) == 4


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "error",
    [
        APIConnectionError("could not connect", vendor="acme", method="GET", url="https://h/j", attempts=5),
        APITimeoutError("no answer in time", vendor="acme", method="GET", url="https://h/j", attempts=5),
        ServerError("bad gateway", vendor="acme", status=502),
        ServerError("unavailable", vendor="acme", status=503),
        ServerError("internal error", vendor="acme", status=500),
        RateLimitedError("slow down", vendor="acme", status=429, retry_after=600),
        AuthenticationError("expired", vendor="acme", status=401),
    ],
    ids=lambda e: type(e).__name__ + str(getattr(e, "status_code", "")),
)
def test_errors_the_transport_already_retried_end_the_wait_at_once(mode: str, error: Exception) -> None:
    # the transport spent the client's retry budget on these: tolerating them here would multiply it
    clock = FakeClock()
    job = FakeJob(clock, 5.0, failures=[error])
    with pytest.raises(type(error)) as caught:
        run(mode, clock, job.fetch)
    assert caught.value is error and len(job.calls) == 1 and clock.now == 0.0


def test_transient_is_only_an_unreadable_answer() -> None:
    assert transient(unreadable())
    assert not transient(ServerError("down", vendor="acme", status=500))
    assert not transient(APIConnectionError("x", vendor="acme", method="GET", url="https://h", attempts=1))
    assert not transient(ValueError("not a sellerkit error"))


@pytest.mark.parametrize("mode", MODES)
def test_timeout_during_failures_chains_the_last_failure(mode: str) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 1e9, failures=[unreadable(n) for n in range(3)])
    with pytest.raises(JobTimeoutError) as caught:
        run(mode, clock, job.fetch, policy=PollPolicy(timeout=1.0))
    assert isinstance(caught.value.__cause__, ServerError) and "(2)" in str(caught.value.__cause__)
    assert caught.value.last_status is None


def long_waits(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sellerkit" and r.levelno == logging.WARNING]


@pytest.mark.parametrize("mode", MODES)
def test_a_long_poll_wait_is_announced_once_per_wait(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 50.0)
    before = time.time()
    run(mode, clock, job.fetch, policy=PollPolicy(interval=10.0))
    after = time.time()
    assert clock.sleeps == [10.0] * 5
    (message,) = long_waits(caplog)  # five 10 s waits, one warning
    assert message.startswith("acme job job-1: still Running, next status check: waiting 10 s, until ")
    until = datetime.strptime(message.rsplit("until ", 1)[1], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
    assert int(before + 10) - 1 <= until.timestamp() <= after + 10
    job.duration = clock.now + 20.0
    run(mode, clock, job.fetch, policy=PollPolicy(interval=10.0))
    assert len(long_waits(caplog)) == 2  # a second wait() call announces its own long wait


@pytest.mark.parametrize("mode", MODES)
def test_short_poll_waits_are_not_announced(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    run(mode, clock, FakeJob(clock, 20.0).fetch, policy=PollPolicy(interval=4.9))
    assert len(clock.sleeps) == 5 and long_waits(caplog) == []
