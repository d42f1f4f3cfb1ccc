"""Wabi2b quotas end to end: under 750 calls per 5 minutes, alone and with other clients of its key."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sellerkit._core.errors import RateLimitedError
from sellerkit._core.polling import PollPolicy
from sellerkit._core.quota import QuotaLimiter, shared_limiter
from sellerkit.testing.fixtures import MakeWabi2bSim
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import DOWNLOAD_PATH, Wabi2bSimulator
from sellerkit.wabi2b import AsyncWabi2bClient, Product, Wabi2bClient
from sellerkit.wabi2b._vendor import VENDOR
from tests.clients import make_client
from tests.wabi2b.conftest import bulk_rows, client_kwargs, created_jobs, sha256_of

QUOTA = 750
# a poll every 0.1 s for a 100 s job wants ~1,000 status calls: more than one 5-minute window allows
EAGER = PollPolicy(interval=0.1, timeout=None)
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
pytestmark = pytest.mark.timeout(60)  # a limiter on the real clock would wait 5 real minutes


def _api_calls(sim: Wabi2bSimulator) -> int:
    return len(sim.requests.matching(path=DOWNLOAD_PATH))


def _assert_never_throttled(sim: Wabi2bSimulator) -> None:
    assert sim.stats.throttled == 0
    assert all(r.status != 429 for r in sim.requests)
    assert sim.stats.max_calls_in_window <= QUOTA


@MODES
def test_eager_polling_stays_under_the_quota(
    mode: str,
    make_wabi2b_sim: MakeWabi2bSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """More than 750 calls for one job: the limiter spreads them, the simulator never answers 429; the
    long quota wait is announced at WARNING (Wabi2b's default `max_wait` waits out the whole window)."""
    caplog.set_level(logging.WARNING, logger="sellerkit")
    sim = make_wabi2b_sim(clock=sim_clock, job_seconds=100.0)
    gtins = [f"{i:014d}" for i in range(1, 11)]
    start = sim_clock.now()
    rows = bulk_rows(mode, sim, sim_clock, gtins, dest=tmp_path, poll=EAGER)
    assert [r.product for r in rows] == gtins
    assert _api_calls(sim) > QUOTA
    assert sim.stats.max_calls_in_window == QUOTA  # the full allowance was used, not more
    assert sim_clock.now() - start >= 300.0  # the 751st call waited for the first to leave the window
    _assert_never_throttled(sim)
    assert "750 calls per 5 minutes" in caplog.text and "waiting" in caplog.text


@MODES
def test_a_quota_wait_beyond_max_wait_is_a_rate_limited_error(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A `max_wait` (120 s) shorter than the wait for the 751st call: `RateLimitedError` with `retry_after`
    instead of a wait of minutes; the simulator never had to answer 429. (Wabi2b's default, 330 s, waits
    out a whole 5-minute window: the other tests here.)"""
    sim = make_wabi2b_sim(clock=sim_clock, job_seconds=100.0)
    gtins = [f"{i:014d}" for i in range(1, 11)]
    with pytest.raises(RateLimitedError) as caught:
        bulk_rows(mode, sim, sim_clock, gtins, client={"max_wait": 120.0}, dest=tmp_path, poll=EAGER)
    retry_after = caught.value.retry_after
    assert retry_after is not None and 120.0 < retry_after <= 300.0
    assert "max_wait" in str(caught.value)
    assert _api_calls(sim) == QUOTA
    _assert_never_throttled(sim)


def _shared_setup(sim: Wabi2bSimulator, clock: ScaledClock) -> tuple[QuotaLimiter, dict[str, Any]]:
    """The process-wide limiter of the simulator's key, on its clock; `make_client` arguments that give the
    clients the clock but no limiter of their own, so each asks `shared_limiter()` for its key."""
    limiter = shared_limiter(
        VENDOR.name, sim.api_key, VENDOR.quotas, clock=clock.now, sleep=clock.sleep, async_sleep=clock.asleep
    )
    hooks = {"clock": clock.now, "wall_clock": clock.now, "sleep": clock.sleep, "async_sleep": clock.asleep}
    return limiter, {"hooks": hooks, **client_kwargs(sim)}


@MODES
def test_two_clients_of_one_key_share_the_quota(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Two clients with the same API key (threads, or asyncio tasks) stay under 750 calls together."""
    sim = make_wabi2b_sim(clock=sim_clock, job_seconds=100.0)
    limiter, kwargs = _shared_setup(sim, sim_clock)
    batches = [[f"{i:014d}" for i in range(1, 11)], [f"{i:014d}" for i in range(11, 21)]]
    folders = [tmp_path / "a", tmp_path / "b"]

    if mode == "sync":
        clients = [make_client(Wabi2bClient, **kwargs) for _ in batches]

        def run(i: int) -> list[Product]:
            with clients[i] as client:
                return list(client.bulk_download(batches[i], dest=folders[i], poll=EAGER))

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(run, range(2)))
    else:

        async def run_async(client: AsyncWabi2bClient, i: int) -> list[Product]:
            async with client:
                return [r async for r in client.bulk_download(batches[i], dest=folders[i], poll=EAGER)]

        async def main() -> list[list[Product]]:
            clients = [make_client(AsyncWabi2bClient, **kwargs) for _ in batches]
            return list(await asyncio.gather(*(run_async(c, i) for i, c in enumerate(clients))))

        results = asyncio.run(main())
    assert [[r.product for r in rows] for rows in results] == batches
    assert limiter.counter is shared_limiter(VENDOR.name, sim.api_key, VENDOR.quotas).counter
    assert _api_calls(sim) > QUOTA
    _assert_never_throttled(sim)
    jobs = {job.gtins: job.code for job in created_jobs(sim)}
    for batch, folder in zip(batches, folders, strict=True):
        (file,) = folder.glob("wabi2b-*.json")
        assert sha256_of(file) == sim.file_sha256(jobs[tuple(batch)])


@MODES
def test_one_export_started_twice_at_once_is_one_job(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Two threads (or tasks) start the same bulk download at once with the file journal: one starts the job,
    the other waits for its record and adopts it; both get every row."""
    sim = make_wabi2b_sim(clock=sim_clock, job_seconds=20.0)
    _, kwargs = _shared_setup(sim, sim_clock)
    gtins = [f"{i:014d}" for i in range(1, 31)]
    folders = [tmp_path / "a", tmp_path / "b"]
    if mode == "sync":
        clients = [make_client(Wabi2bClient, **kwargs) for _ in folders]

        def run(i: int) -> list[Product]:
            with clients[i] as client:
                return list(client.bulk_download(gtins, dest=folders[i], poll=EAGER))

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(run, range(2)))
    else:

        async def run_async(client: AsyncWabi2bClient, i: int) -> list[Product]:
            async with client:
                return [r async for r in client.bulk_download(gtins, dest=folders[i], poll=EAGER)]

        async def main() -> list[list[Product]]:
            clients = [make_client(AsyncWabi2bClient, **kwargs) for _ in folders]
            return list(await asyncio.gather(*(run_async(c, i) for i, c in enumerate(clients))))

        results = asyncio.run(main())
    assert [[r.product for r in rows] for rows in results] == [gtins, gtins]
    assert sim.stats.jobs_created == 1
