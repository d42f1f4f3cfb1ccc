"""Many processes, one Wabi2b seller key, one Redis: the quota is shared (no 429, the allowance used), an
export started by several processes at once is one job, and a Redis restart mid-run over-spends nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import Wabi2bSettings, Wabi2bSimulator
from tests.redis_server import RedisServer, running
from tests.shared_store.harness import (
    LIMIT,
    counted_calls,
    gtin_sets,
    max_in_window,
    rate_fraction,
    run_workers,
    specs,
)
from tests.shared_store.worker import Report

pytestmark = pytest.mark.timeout(240)


def _digest(gtins: list[str]) -> str:
    digest = hashlib.sha256()
    for gtin in gtins:
        digest.update(f"{gtin}\n".encode())
    return digest.hexdigest()


def _assert_delivered(reports: list[Report], sets: list[list[str]]) -> None:
    assert [r["error"] for r in reports] == [None] * len(sets)
    assert [r["rows"] for r in reports] == [len(s) for s in sets]
    assert [r["digest"] for r in reports] == [_digest(s) for s in sets]


def test_eight_workers_on_one_key_use_the_quota_without_a_429(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """8 processes (4 sync, 4 async), each bulk-downloading its own GTINs in 2-GTIN jobs: every row arrives,
    no call is refused, and while all of them have work they use >= 95 % of 750 calls per 5 minutes."""
    clock = ScaledClock(35.0)  # a 5-minute window is 8.6 real seconds
    sim = Wabi2bSimulator(clock, Wabi2bSettings(job_seconds=3.0, seed_docs_example=False))
    sets = gtin_sets(8, 240)
    with sim.running():
        run = run_workers(specs(sim, clock, redis_server.url, tmp_path, sets, 2))
    _assert_delivered(run.reports, sets)
    calls = counted_calls(sim)
    assert sim.stats.throttled == 0 and all(r.status != 429 for r in sim.requests)
    assert max_in_window(calls) <= LIMIT
    fraction, windows = rate_fraction(calls, min(r["finished"] for r in run.reports))
    used = f"{windows} windows at {fraction:.3f} of the allowance"
    print(f"\n8 workers: {len(calls)} calls, {used}, {run.seconds:.1f} s")
    assert windows >= 2
    assert fraction >= 0.95


def test_one_export_started_by_four_processes_is_one_job(redis_server: RedisServer, tmp_path: Path) -> None:
    """4 processes start one bulk download at once: the vendor sees 1 job, and every process gets its rows."""
    clock = ScaledClock(20.0)
    sim = Wabi2bSimulator(clock, Wabi2bSettings(job_seconds=30.0, seed_docs_example=False))
    gtins = gtin_sets(1, 40)[0]
    with sim.running():
        run = run_workers(specs(sim, clock, redis_server.url, tmp_path, [gtins] * 4, 10_000))
    _assert_delivered(run.reports, [gtins] * 4)
    assert sim.stats.jobs_created == 1
    assert len(sim.requests.matching(method="POST")) == 1


def test_a_redis_restart_mid_run_overspends_nothing(tmp_path: Path) -> None:
    """Redis restarts (down 0.5 s) while 8 workers share it: they ride it out, no call is refused, no 5-minute
    window holds more than 750 calls, and no job is started twice."""
    clock = ScaledClock(50.0)
    sim = Wabi2bSimulator(clock, Wabi2bSettings(job_seconds=3.0, seed_docs_example=False))
    sets = gtin_sets(8, 150)
    with running(tmp_path / "redis") as server, sim.running():
        restarted: list[float] = []

        def restart() -> None:
            import time

            time.sleep(4.0)
            server.restart(down_seconds=0.5)
            restarted.append(clock.now())

        run = run_workers(specs(sim, clock, server.url, tmp_path, sets, 2), during=restart)
    assert restarted, "Redis was restarted during the run"
    assert max(r["finished"] for r in run.reports) > restarted[0]
    _assert_delivered(run.reports, sets)
    calls = counted_calls(sim)
    assert sim.stats.throttled == 0 and max_in_window(calls) <= LIMIT
    assert sim.stats.jobs_created == sum(len(s) // 2 for s in sets)  # one job per 2-GTIN chunk, none twice
