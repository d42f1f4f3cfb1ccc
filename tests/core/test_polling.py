"""The polling engine: schedule, hints, ETA, deadline, progress, tolerated fetch failures (sync and async)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

import pytest

from sellerkit._core.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    JobTimeoutError,
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


@pytest.mark.parametrize("mode", MODES)
def test_a_few_transient_fetch_failures_are_tolerated(mode: str) -> None:
    clock = FakeClock()
    blips: list[Exception] = [
        ServerError("bad gateway", vendor="acme", status=502),
        APIConnectionError("could not connect", vendor="acme", method="GET", url="https://h/j", attempts=5),
        ServerError("unavailable", vendor="acme", status=503),
    ]
    job = FakeJob(clock, 5.0, failures=blips)
    assert run(mode, clock, job.fetch).status == "Done"


@pytest.mark.parametrize("mode", MODES)
def test_too_many_transient_failures_in_a_row_re_raise(mode: str) -> None:
    clock = FakeClock()
    blips: list[Exception] = [ServerError(f"down {n}", vendor="acme", status=503) for n in range(3)]
    job = FakeJob(clock, 5.0, failures=[*blips, ServerError("still down", vendor="acme", status=503)])
    with pytest.raises(ServerError, match="still down"):
        run(mode, clock, job.fetch, policy=PollPolicy(max_fetch_failures=3))
    assert len(job.calls) == 4


@pytest.mark.parametrize("mode", MODES)
def test_non_transient_errors_are_raised_at_once(mode: str) -> None:
    clock = FakeClock()
    job = FakeJob(clock, 5.0, failures=[AuthenticationError("expired", vendor="acme", status=401)])
    with pytest.raises(AuthenticationError):
        run(mode, clock, job.fetch)
    assert len(job.calls) == 1


@pytest.mark.parametrize("mode", MODES)
def test_timeout_during_failures_chains_the_last_failure(mode: str) -> None:
    clock = FakeClock()
    slow = APITimeoutError(
        "acme did not answer in time", vendor="acme", method="GET", url="https://h/j", attempts=5
    )
    job = FakeJob(clock, 1e9, failures=[slow] * 3)
    with pytest.raises(JobTimeoutError) as caught:
        run(mode, clock, job.fetch, policy=PollPolicy(timeout=1.0))
    assert isinstance(caught.value.__cause__, APITimeoutError)
    assert caught.value.last_status is None
