"""Request overhead: one small JSON call through sellerkit vs raw httpx, same server, same connection pool.

The server (`bench._servers status`, a minimal Starlette app) runs in a child process. Both sides share one
`httpx.HTTPTransport` (one keep-alive pool) and send the same headers:

- raw: `httpx.Client.get(...)`, `raise_for_status()`, `.json()`;
- sellerkit: `Wabi2bClient.fetch(ref)` — generated request builder, header auth, logging hooks, the
  sellerkit transport (timeouts, retry bookkeeping, quota hold/release), the generated attrs model, `unwrap`
  and the `JobState` mapping — with the limiter ON: Wabi2b's real quotas (750/5 min, 15,000/24 h) on a
  clock running 10^6 times fast, so the window bookkeeping runs on every call but never makes one wait.

Each of REPEATS rounds times CALLS pairs call by call, the order alternating within the pair; a round's
figure is the ratio of the two sides' median call (wall, and this thread's CPU), the reported figure the
median of the rounds (min and max beside it in results.json).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import httpx

from bench._common import Figure, Goal, at_most, child_server, ratios, rounds

CALLS = 400
REPEATS = 9
WARMUP = 300
CLOCK_SPEEDUP = 1e6
REFERENCE = "bf41e1a4656ff069512249b5bac13c17d702d7e0"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTSUQtMDAwMSJ9.c2lnbmF0dXJl"
API_KEY = "bench-api-key"

GOALS: dict[str, Goal] = {"request_overhead_ratio": at_most(1.10)}


def _round(raw_call: Callable[[], object], sk_call: Callable[[], object]) -> tuple[list[float], ...]:
    """One round: CALLS pairs, each side timed call by call (wall and this process's CPU), the order
    alternating pair by pair, so the two sides see the same moments of a shared, noisy machine."""
    wall: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for i in range(CALLS):
        for is_sk in (False, True) if i % 2 == 0 else (True, False):
            call = sk_call if is_sk else raw_call
            w, c = time.perf_counter(), time.thread_time()
            call()
            cpu[is_sk].append(time.thread_time() - c)
            wall[is_sk].append(time.perf_counter() - w)
    return wall[False], wall[True], cpu[False], cpu[True]


def run() -> dict[str, Figure]:
    from sellerkit._core.quota import QuotaLimiter
    from sellerkit._core.runtime import use_runtime
    from sellerkit._core.transport import DEFAULT_TIMEOUT
    from sellerkit.wabi2b import Wabi2bClient
    from sellerkit.wabi2b._vendor import VENDOR

    with child_server("status") as origin:
        inner = httpx.HTTPTransport()  # one pool for both sides
        raw = httpx.Client(
            base_url=f"{origin}/v1",
            transport=inner,
            timeout=DEFAULT_TIMEOUT,
            headers={"Authorization": JWT, "x-api-key": API_KEY},
        )
        limiter = QuotaLimiter(VENDOR.quotas, clock=lambda: time.monotonic() * CLOCK_SPEEDUP)
        with use_runtime(inner_transport=inner, limiter=limiter):
            client = Wabi2bClient(JWT, API_KEY, base_url=f"{origin}/v1")
        job = client.job(REFERENCE)

        def raw_call() -> object:
            response = raw.get("/listProductsBulkDownload", params={"callBackCode": REFERENCE})
            response.raise_for_status()
            return response.json()

        def sellerkit_call() -> object:
            return job.refresh()

        assert job.refresh().status == "In Progress"
        for _ in range(WARMUP):
            raw_call()
            sellerkit_call()
        raw_wall: list[float] = []
        sk_wall: list[float] = []
        raw_cpu: list[float] = []
        sk_cpu: list[float] = []
        for _ in range(REPEATS):
            # per round the median call of each side: a call that another process preempted is an outlier
            # the median ignores, where a batch mean would carry it into the ratio
            rw, sw, rc, sc = _round(raw_call, sellerkit_call)
            raw_wall.append(statistics.median(rw))
            sk_wall.append(statistics.median(sw))
            raw_cpu.append(statistics.median(rc))
            sk_cpu.append(statistics.median(sc))
        client.close()
        raw.close()
    # one ratio per round (both sides measured back to back): the goal reads their median
    return {
        "request_raw_httpx_us": rounds((w * 1e6 for w in raw_wall), 1),
        "request_sellerkit_us": rounds((w * 1e6 for w in sk_wall), 1),
        "request_overhead_ratio": rounds(ratios(sk_wall, raw_wall)),
        "request_client_cpu_ratio": rounds(ratios(sk_cpu, raw_cpu)),
    }
