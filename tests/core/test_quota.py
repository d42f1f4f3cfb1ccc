"""The client-side quota limiter: exact windows, full allowance, one limiter per credential."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from sellerkit._core.errors import ConfigurationError
from sellerkit._core.quota import Quota, QuotaCounter, QuotaLimiter, shared_limiter
from sellerkit._core.redact import Secret

WABI2B = (Quota(750, 300, "5 minutes"), Quota(15_000, 86_400, "day"))


class StepClock:
    """A fake clock that one caller drives: sleeping advances time by exactly the requested amount."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def limiter(self, *quotas: Quota) -> QuotaLimiter:
        return QuotaLimiter(quotas, clock=self, sleep=self.sleep, async_sleep=self.async_sleep)


class SimClock:
    """Discrete-event time for many threads and asyncio tasks at once."""

    # Time moves only when every participant is asleep, then jumps to the earliest wake-up: between a grant
    # and the caller reading the clock nothing can move time, so a recorded time is the grant time.

    def __init__(self, participants: int) -> None:
        self.now = 0.0
        self.running = participants
        self._sleepers: list[tuple[float, Callable[[], None]]] = []
        self._cond = threading.Condition()

    def __call__(self) -> float:
        return self.now

    def leave(self) -> None:
        with self._cond:
            self.running -= 1
            self._cond.notify_all()

    def _park(self, seconds: float, wake: Callable[[], None]) -> None:
        with self._cond:
            self._sleepers.append((self.now + seconds, wake))
            self.running -= 1
            self._cond.notify_all()

    def sleep(self, seconds: float) -> None:
        woken = threading.Event()
        self._park(seconds, woken.set)
        assert woken.wait(10), "simulated sleep never woke"

    async def async_sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(woken.set_result, None)

        self._park(seconds, wake)
        await asyncio.wait_for(woken, 10)

    def drive(self) -> None:
        """Advance time until every participant has left."""
        with self._cond:
            while True:
                assert self._cond.wait_for(lambda: self.running == 0, timeout=10), "a participant is stuck"
                if not self._sleepers:
                    return
                self.now = max(self.now, min(t for t, _ in self._sleepers))
                due = [wake for t, wake in self._sleepers if t <= self.now]
                self._sleepers = [(t, wake) for t, wake in self._sleepers if t > self.now]
                self.running += len(due)
                for wake in due:
                    wake()


def max_in_any_window(times: list[float], period: float) -> int:
    """The most grants inside any half-open window [t, t + period)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - period:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize(
    ("limit", "period"),
    [(0, 300), (-5, 300), (1.5, 300), (True, 300), (750, 0), (750, -1), (750, float("inf")), (750, "300")],
)
def test_bad_quota_is_a_configuration_error(limit: Any, period: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"limit|period_seconds"):
        Quota(limit, period)


def test_limiter_takes_only_quotas() -> None:
    with pytest.raises(ConfigurationError, match=r"Quota\(limit, period_seconds\)"):
        QuotaLimiter([(750, 300)])  # type: ignore[list-item]


def test_full_allowance_is_usable_at_once_then_waits_exactly() -> None:
    clock = StepClock()
    limiter = clock.limiter(Quota(750, 300))
    assert [limiter.acquire() for _ in range(750)] == [0.0] * 750
    assert limiter.acquire() == 300.0
    assert clock.sleeps == [300.0]


def test_window_slides_instead_of_resetting() -> None:
    clock = StepClock()
    limiter = clock.limiter(Quota(2, 10))
    limiter.acquire()
    clock.now = 4.0
    limiter.acquire()
    assert limiter.acquire() == 6.0  # the first grant leaves the window at t=10
    assert limiter.acquire() == 4.0  # the second one at t=14


def test_rounding_never_lets_a_full_window_through() -> None:
    clock = StepClock()
    limiter = clock.limiter(Quota(1, 300))
    clock.now = 1.6960706198407518
    limiter.acquire()
    clock.now += 300  # rounds so that now - 300 < the grant while grant + 300 - now == 0
    assert clock.now - 300 < 1.6960706198407518
    assert limiter.acquire() == 0.0  # the first call has just left the window
    assert limiter.acquire() == 300.0  # but this one has not


def test_every_quota_is_respected() -> None:
    clock = StepClock()
    limiter = clock.limiter(Quota(3, 10, "short"), Quota(5, 100, "long"))
    grants = []
    for _ in range(10):
        limiter.acquire()
        grants.append(clock.now)
    assert grants == [0, 0, 0, 10, 10, 100, 100, 100, 110, 110]


def test_wabi2b_daily_quota_is_fully_usable() -> None:
    clock = StepClock()
    limiter = clock.limiter(*WABI2B)
    grants = []
    for _ in range(15_001):
        limiter.acquire()
        grants.append(clock.now)
    assert sum(t < 86_400 for t in grants) == 15_000
    assert grants[-1] == 86_400.0
    assert max_in_any_window(grants, 300) == 750


def test_acquire_async_waits_without_blocking_the_loop() -> None:
    clock = StepClock()
    limiter = clock.limiter(Quota(1, 5))

    async def main() -> list[float]:
        return [await limiter.acquire_async() for _ in range(3)]

    assert asyncio.run(main()) == [0.0, 5.0, 5.0]


def test_no_quotas_means_no_waiting() -> None:
    clock = StepClock()
    limiter = clock.limiter()
    assert [limiter.acquire() for _ in range(1000)] == [0.0] * 1000


@pytest.mark.timeout(60)
def test_threads_and_tasks_sharing_one_limiter_stay_under_every_quota() -> None:
    threads, tasks, calls_each = 100, 100, 12
    quotas = (Quota(150, 300, "short"), Quota(1000, 3600, "long"))
    clock = SimClock(participants=threads + tasks)
    limiter = QuotaLimiter(quotas, clock=clock, sleep=clock.sleep, async_sleep=clock.async_sleep)
    grants: list[float] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(calls_each):
                limiter.acquire()
                grants.append(clock())
        except BaseException as exc:  # surfaced below: a failing thread must fail the test
            failures.append(exc)
        finally:
            clock.leave()

    async def task() -> None:
        try:
            for _ in range(calls_each):
                await limiter.acquire_async()
                grants.append(clock())
        finally:
            clock.leave()

    async def all_tasks() -> None:
        await asyncio.gather(*(task() for _ in range(tasks)))

    loop_thread = threading.Thread(target=lambda: asyncio.run(all_tasks()))
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in [*workers, loop_thread]:
        thread.start()
    clock.drive()
    for thread in [*workers, loop_thread]:
        thread.join(10)
    assert not failures
    assert len(grants) == (threads + tasks) * calls_each == 2400
    assert max_in_any_window(grants, 300) <= 150
    assert max_in_any_window(grants, 3600) <= 1000
    # the allowance is fully used: each hour, 150 per 5 minutes until that hour's 1000 are granted
    expected: list[float] = []
    for hour in (0.0, 3600.0, 7200.0):
        left, start = min(1000, 2400 - len(expected)), hour
        while left:
            expected += [start] * min(150, left)
            left, start = left - min(150, left), start + 300
    assert sorted(grants) == expected


def test_release_restarts_a_calls_window_when_its_response_arrived() -> None:
    clock = StepClock()
    limiter = clock.limiter(Quota(2, 10))
    first, second = limiter.hold(), limiter.hold()
    assert (first, second) == (0.0, 0.0)
    clock.now = 3.0
    limiter.release(first)  # the server may have counted it as late as t=3
    clock.now = 4.0
    limiter.release(second)
    assert limiter.acquire() == 9.0  # until t=13, not t=10
    assert limiter.acquire() == 1.0  # t=14
    limiter.release(99.0)  # an unknown grant only adds occupancy: never less safe
    assert limiter.acquire() == 10.0


@pytest.mark.timeout(60)
def test_calls_held_until_their_response_stay_under_the_limit_at_the_server() -> None:
    participants, calls_each, limit, period = 50, 12, 40, 300.0
    clock = SimClock(participants)
    limiter = QuotaLimiter(
        [Quota(limit, period)], clock=clock, sleep=clock.sleep, async_sleep=clock.async_sleep
    )
    received: list[float] = []  # when the server saw each call: somewhere between grant and response

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(calls_each):
                granted = limiter.hold()
                clock.sleep(
                    rng.randint(0, 10) / 2
                )  # request latency (coarse steps keep the simulation short)
                received.append(clock())
                clock.sleep(rng.randint(0, 10) / 2)  # response latency
                limiter.release(granted)
        finally:
            clock.leave()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(participants)]
    for thread in threads:
        thread.start()
    clock.drive()
    for thread in threads:
        thread.join(10)
    assert len(received) == participants * calls_each
    assert max_in_any_window(received, period) <= limit
    # 15 full windows; latency may stretch each by at most 10 s: at least 96% of the allowance is used
    assert 14 * period <= max(received) <= 14 * period + 15 * 10


def test_shared_limiter_is_one_per_vendor_and_credential() -> None:
    first = shared_limiter("test-vendor", "cred-a", WABI2B).counter
    assert shared_limiter("test-vendor", Secret("cred-a"), WABI2B).counter is first
    assert shared_limiter("test-vendor", "cred-b", WABI2B).counter is not first
    assert shared_limiter("other-vendor", "cred-a", WABI2B).counter is not first


def test_shared_limiter_refuses_conflicting_configuration() -> None:
    shared_limiter("test-vendor", "cred-c", WABI2B)
    with pytest.raises(ConfigurationError, match="same quotas"):
        shared_limiter("test-vendor", "cred-c", (Quota(10, 1),))
    with pytest.raises(ConfigurationError, match="same clock"):
        shared_limiter("test-vendor", "cred-c", WABI2B, clock=lambda: 0.0)
    with pytest.raises(ConfigurationError, match="credential"):
        shared_limiter("test-vendor", "", WABI2B)


def test_shared_limiter_is_shared_between_threads() -> None:
    seen: list[QuotaCounter] = []
    threads = [
        threading.Thread(target=lambda: seen.append(shared_limiter("test-vendor", "cred-d", WABI2B).counter))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(seen) == 20 and len({id(limiter) for limiter in seen}) == 1
