"""Polling: status calls and detection lag of `Job.wait()` (default `PollPolicy`) for 2/20/200 s jobs.

Each job runs on a fresh Wabi2b simulator with a manual clock: simulated time moves only when the client
sleeps on it (`clock`/`sleep` of the client, the limiter and the retry sleeps all use the simulator's
clock), so the figures are exact and take no real time. Calls are the status GETs in the simulator's
request log; lag = simulated time of the GET that saw "Complete" minus the job's completion time.
"""

from __future__ import annotations

import math

from bench._common import Goal

DURATIONS = (2, 20, 200)


def call_goal(t: float) -> float:
    return 2 * math.log2(t / 0.5) + 3


def lag_goal(t: float) -> float:
    return max(1.0, 0.1 * t)


def _goal(limit: float) -> Goal:
    return Goal(f"<= {limit:.3g}", lambda v: v <= limit)


GOALS: dict[str, Goal] = {
    **{f"poll_calls_T{t}": _goal(call_goal(t)) for t in DURATIONS},
    **{f"poll_lag_s_T{t}": _goal(lag_goal(t)) for t in DURATIONS},
}


def measure(job_seconds: float) -> tuple[int, float]:
    """(status calls, lag in simulated seconds) for one job of `job_seconds` waited with the defaults."""
    from sellerkit._core.quota import QuotaLimiter
    from sellerkit._core.runtime import use_runtime
    from sellerkit.testing.framework import ScaledClock
    from sellerkit.testing.wabi2b import DOCS_EXAMPLE_GTIN, DOWNLOAD_PATH, Wabi2bSettings, Wabi2bSimulator
    from sellerkit.wabi2b import Wabi2bClient
    from sellerkit.wabi2b._vendor import VENDOR

    clock = ScaledClock.manual()
    sim = Wabi2bSimulator(clock, Wabi2bSettings(job_seconds=job_seconds))
    with sim.running():
        limiter = QuotaLimiter(VENDOR.quotas, clock=clock.now, sleep=clock.sleep)
        with use_runtime(clock=clock.now, wall_clock=clock.now, sleep=clock.sleep, limiter=limiter):
            client = Wabi2bClient(sim.mint_jwt(10 * 86_400), sim.api_key, base_url=sim.base_url)
        with client:
            job = client.submit([DOCS_EXAMPLE_GTIN])
            state = job.wait()
        assert state.succeeded, state
        statuses = sim.requests.matching("GET", route=DOWNLOAD_PATH)
        assert all(r.status == 200 for r in statuses), [r.status for r in statuses]
        ready = sim.job(job.reference).ready_at
        return len(statuses), statuses[-1].sim_time - ready


def run() -> dict[str, float]:
    results: dict[str, float] = {}
    for t in DURATIONS:
        calls, lag = measure(t)
        results[f"poll_calls_T{t}"] = calls
        results[f"poll_lag_s_T{t}"] = round(lag, 3)
    return results
