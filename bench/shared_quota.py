"""Shared quota: 8 worker processes on one Wabi2b seller key, their quotas and journal in one Redis.

The simulator (on a clock 35 times real time) enforces Wabi2b's per-seller quotas, 750 calls per 5 minutes and
15,000 per 24 hours over the bulk download's POST and GET; each worker (4 sync, 4 async clients) runs
`bulk_download` over its own 240 GTINs in 2-GTIN jobs (120 submissions, 120 status calls, 120 files), so
together they want far more than the quota allows. A real redis-server (Debian's) holds the counters.

- `shared_quota_429_count`: 429s the simulator's quota sent; goal 0.
- `shared_quota_rate_fraction`: calls the simulator counted in the whole 5-minute windows from the first
  call until the first worker finished (while all 8 had work) ÷ 750 per window; goal >= 0.95.
- `shared_quota_max_in_window`: the most counted calls in any 5-minute window (<= 750 is never over-spent).
- `local_quota_429_count`: the same 8 workers with per-process quotas (no shared store, as before), for
  comparison: each believes it may make 750 calls per 5 minutes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench._common import Goal, SectionSkipped, at_least, at_most

GOALS: dict[str, Goal] = {"shared_quota_429_count": at_most(0), "shared_quota_rate_fraction": at_least(0.95)}
WORKERS, GTINS_EACH, CHUNK, SCALE = 8, 240, 2, 35.0


def _run(redis_url: str, folder: Path) -> dict[str, Any]:
    from sellerkit.testing.framework import ScaledClock
    from sellerkit.testing.wabi2b import Wabi2bSettings, Wabi2bSimulator
    from tests.shared_store.harness import (
        counted_calls,
        gtin_sets,
        max_in_window,
        rate_fraction,
        run_workers,
        specs,
    )

    clock = ScaledClock(SCALE)
    sim = Wabi2bSimulator(clock, Wabi2bSettings(job_seconds=3.0, seed_docs_example=False))
    sets = gtin_sets(WORKERS, GTINS_EACH)
    with sim.running():
        run = run_workers(specs(sim, clock, redis_url, folder, sets, CHUNK), timeout=300.0)
    calls = counted_calls(sim)
    delivered = sum(r["rows"] for r in run.reports)
    fraction, windows = rate_fraction(calls, min(r["finished"] for r in run.reports))
    return {
        "429": sim.stats.throttled,
        "fraction": round(fraction, 4),
        "windows": windows,
        "max_in_window": max_in_window(calls),
        "calls": len(calls),
        "rows_missing": WORKERS * GTINS_EACH - delivered,
        "errors": sum(r["error"] is not None for r in run.reports),
        "first_error": next((r["error"] for r in run.reports if r["error"]), None),
        "real_s": round(run.seconds, 1),
    }


def run() -> dict[str, float]:
    from tests.redis_server import HINT, running

    if shutil.which("redis-server") is None:
        raise SectionSkipped(HINT)
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "redis") as server:
        shared = _run(server.url, Path(tmp) / "shared")
        local = _run("", Path(tmp) / "local")
    if shared["rows_missing"] or shared["errors"]:
        raise RuntimeError(f"the shared-store run lost rows or failed: {shared}")
    return {
        "shared_quota_429_count": shared["429"],
        "shared_quota_rate_fraction": shared["fraction"],
        "shared_quota_windows": shared["windows"],
        "shared_quota_max_in_window": shared["max_in_window"],
        "shared_quota_calls": shared["calls"],
        "shared_quota_real_s": shared["real_s"],
        "local_quota_429_count": local["429"],
        "local_quota_max_in_window": local["max_in_window"],
        "local_quota_worker_errors": local["errors"],
    }
