"""Quota: 1,000,000 GTINs (100 jobs of 10,000) against the quota-enforcing Wabi2b simulator.

The simulator enforces Wabi2b's per-seller quotas (750 calls / 5 min and 15,000 / 24 h over the bulk
download's POST and GET together) on a manual clock that moves only when the client sleeps on it (the
client's polling, its limiter and its retry backoff all sleep on the simulator's clock), so a simulated day
takes seconds. The client does what `Wabi2bClient.bulk_download` does minus the files (rendering and parsing
100 files of 6.8 MB would dominate): submit every chunk, then wait for each job in turn. Jobs last
JOB_SECONDS (a day and a bit) and are polled with `PollPolicy(interval=0.001)`, so the client always tries
to call far faster than the quota allows: it is quota-bound for the whole run, through both windows (the
daily 15,000 run out after 100 minutes; the next calls are possible a day after the first ones).

- `quota_429_count`: 429s the simulator's quota sent (its stats); goal 0.
- `quota_rate_fraction`: calls the simulator counted ÷ the most calls any client could have made under both
  windows, over the span in which the client was quota-bound: from its first call up to the status call
  that first saw a job complete (the jobs all complete together; after that the client needs only one
  call per remaining job, far below the allowance). The most possible is computed by replaying both
  windows greedily (every call as early as they allow, which maximises the calls in any prefix).
  `quota_rate_fraction_whole_run` is the same over the whole run, for reference: it also charges the
  client with the allowance it no longer needed at the end.
"""

from __future__ import annotations

import collections
import time

from bench._common import Goal, at_least, at_most

GTINS = 1_000_000
JOB_SECONDS = 86_550.0  # 24 h + 150 s: past the daily window, completing between two 5-minute bursts
INTERVAL = 0.001
EPSILON = 1e-4  # simulated seconds; float rounding of epoch-sized times is ~1e-7

GOALS: dict[str, Goal] = {"quota_429_count": at_most(0), "quota_rate_fraction": at_least(0.95)}


def max_calls(quotas: list[tuple[int, float]], span: float) -> int:
    """The most calls at times in [0, span) under sliding windows (limit, period), as the simulator counts.

    A call at t leaves a window at t + period (the simulator prunes `t <= now - period`).
    """
    windows = [collections.deque[float]() for _ in quotas]
    now, calls = 0.0, 0
    while True:
        wait_until = now
        for (limit, period), calls_in in zip(quotas, windows, strict=True):
            while calls_in and calls_in[0] <= now - period:
                calls_in.popleft()
            if len(calls_in) >= limit:
                wait_until = max(wait_until, calls_in[0] + period)
        if wait_until > now:
            now = wait_until
            continue
        if now >= span:
            return calls
        for calls_in in windows:
            calls_in.append(now)
        calls += 1


def run() -> dict[str, float]:
    from sellerkit._core.quota import shared_limiter
    from sellerkit._core.runtime import use_runtime
    from sellerkit.testing.framework import ScaledClock
    from sellerkit.testing.wabi2b import DOWNLOAD_PATH, Wabi2bSettings, Wabi2bSimulator
    from sellerkit.wabi2b import PollPolicy, Wabi2bClient
    from sellerkit.wabi2b._vendor import VENDOR

    gtins = [f"{10_000_000_000_000 + i * 13:014d}" for i in range(GTINS)]
    clock = ScaledClock.manual()
    settings = Wabi2bSettings(job_seconds=JOB_SECONDS)
    sim = Wabi2bSimulator(clock, settings)
    policy = PollPolicy(interval=INTERVAL, timeout=None)
    started = time.perf_counter()
    with sim.running():
        # the process-wide limiter of this (fresh) credential, on the simulator's clock
        limiter = shared_limiter(VENDOR.name, sim.api_key, VENDOR.quotas, clock=clock.now, sleep=clock.sleep)
        with use_runtime(clock=clock.now, wall_clock=clock.now, sleep=clock.sleep, limiter=limiter):
            # a simulated day of exports at the full quota: the 24-hour window is waited out, not refused
            client = Wabi2bClient(
                sim.mint_jwt(30 * 86_400), sim.api_key, base_url=sim.base_url, max_wait=86_400.0
            )
        with client:
            jobs = [client.submit(gtins[i : i + 10_000]) for i in range(0, GTINS, 10_000)]
            states = [job.wait(policy) for job in jobs]
    real = time.perf_counter() - started
    assert len(jobs) == 100 and all(state.succeeded for state in states)

    records = sim.requests.matching(route=DOWNLOAD_PATH)
    counted = [r.sim_time for r in records if r.status != 429]
    ready = min(sim.job(job.reference).ready_at for job in jobs)
    first, last = min(counted), max(counted)
    # the first status call at or after the completion: the end of the quota-bound span
    end = min(r.sim_time for r in records if r.method == "GET" and r.status == 200 and r.sim_time >= ready)
    made = sum(1 for t in counted if t < end)
    quotas = [(settings.quota_5min, 300.0), (settings.quota_24h, 86_400.0)]
    allowed = max_calls(quotas, end - first - EPSILON)
    allowed_whole_run = max_calls(quotas, last - first + EPSILON)
    return {
        "quota_429_count": sim.stats.throttled,
        "quota_rate_fraction": round(made / allowed, 4),
        "quota_rate_fraction_whole_run": round(len(counted) / allowed_whole_run, 4),
        "quota_calls_counted": len(counted),
        "quota_sim_hours": round((last - first) / 3600, 3),
        "quota_real_s": round(real, 1),
    }
