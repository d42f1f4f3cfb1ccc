"""Many worker processes against one simulator and one Redis: start them together, collect their reports,
and read the quota's use off the simulator's request log (shared by the tests and `make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import DOWNLOAD_PATH, Wabi2bSimulator
from tests.core.test_quota import max_in_any_window
from tests.shared_store.worker import Report, Spec

ROOT = Path(__file__).resolve().parents[2]
PERIOD, LIMIT = 300.0, 750  # Wabi2b's 5-minute window, per seller


@dataclass
class Run:
    reports: list[Report]
    seconds: float  # real seconds from "go" to the last report


def run_workers(
    specs: list[Spec], *, timeout: float = 120.0, during: Callable[[], object] | None = None
) -> Run:
    """Start one process per spec, release them at once, wait (at most `timeout` real seconds) for their
    reports; `during` runs in this process meanwhile (e.g. restart Redis)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.shared_store.worker", json.dumps(asdict(spec))],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for spec in specs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(
                    f"a worker did not start: {line!r} {proc.communicate(timeout=10)[1][-2000:]}"
                )
        start = time.monotonic()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        side = threading.Thread(target=during, daemon=True) if during is not None else None
        if side is not None:
            side.start()
        reports = []
        for proc in procs:
            left = max(1.0, timeout - (time.monotonic() - start))
            out, err = proc.communicate(timeout=left)
            if proc.returncode != 0 or not out.strip():
                raise RuntimeError(f"a worker failed ({proc.returncode}): {err[-3000:]}")
            reports.append(json.loads(out.strip().splitlines()[-1]))
        seconds = time.monotonic() - start
        if side is not None:
            side.join(30)
        return Run(reports, seconds)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def counted_calls(sim: Wabi2bSimulator) -> list[float]:
    """Simulated times of the calls the seller's quota counted (submissions and status polls it accepted)."""
    return sorted(r.sim_time for r in sim.requests.matching(path=DOWNLOAD_PATH) if r.status not in (401, 429))


def rate_fraction(calls: list[float], busy_until: float) -> tuple[float, int]:
    """The share of the allowance used while every worker still had work: calls in the whole windows from
    the first call to `busy_until` (the first worker's finish), over what those windows allow; and how many
    windows that is."""
    if not calls:
        return 0.0, 0
    windows = int((busy_until - calls[0]) // PERIOD)
    if windows < 1:
        return 0.0, 0
    end = calls[0] + windows * PERIOD
    used = sum(1 for t in calls if t < end)
    return used / (windows * LIMIT), windows


def max_in_window(calls: list[float]) -> int:
    """The most counted calls in any half-open 5-minute window."""
    return max_in_any_window(calls, PERIOD)


def gtin_sets(workers: int, each: int) -> list[list[str]]:
    """Disjoint GTIN sets, one per worker."""
    return [[f"{w * 100_000 + i + 1:014d}" for i in range(each)] for w in range(workers)]


def specs(
    sim: Wabi2bSimulator,
    clock: ScaledClock,
    redis_url: str,
    folder: Path,
    sets: list[list[str]],
    chunk_size: int,
) -> list[Spec]:
    """One worker per GTIN set on the simulator and its clock, half sync and half async, all sharing one
    fresh namespace (a Redis used before keeps its windows)."""
    namespace = f"workers-{uuid.uuid4().hex[:8]}"
    jwt = sim.mint_jwt(ttl=30 * 86_400.0)
    return [
        Spec(
            base_url=sim.base_url,
            jwt=jwt,
            api_key=sim.api_key,
            redis_url=redis_url,
            namespace=namespace,
            clock=clock.origin,
            gtins=gtins,
            dest=str(folder / f"worker-{i}"),
            chunk_size=chunk_size,
            mode="sync" if i % 2 == 0 else "async",
        )
        for i, gtins in enumerate(sets)
    ]
