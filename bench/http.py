"""Request overhead: one small JSON call through sellerkit vs raw httpx, same server, same connection pool.

The server (`bench._servers status`, a minimal Starlette app) runs in a child process. Both sides share one
`httpx.HTTPTransport` (one keep-alive pool) and send the same headers:

- raw: `httpx.Client.get(...)`, `raise_for_status()`, `.json()`;
- sellerkit: `Wabi2bClient.fetch(ref)` — generated request builder, header auth, logging hooks, the
  sellerkit transport (timeouts, retry bookkeeping, quota hold/release), the generated attrs model, `unwrap`
  and the `JobState` mapping — with the limiter ON: Wabi2b's real quotas (750/5 min, 15,000/24 h) on a
  clock running 10^6 times fast, so the window bookkeeping runs on every call but never makes one wait.
"""

from __future__ import annotations

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


def _batch(call: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU of this process) seconds per call over CALLS sequential calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(CALLS):
        call()
    return (time.perf_counter() - wall) / CALLS, (time.process_time() - cpu) / CALLS


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
        for i in range(REPEATS):  # interleaved, order alternating
            first, second = (raw_call, sellerkit_call) if i % 2 == 0 else (sellerkit_call, raw_call)
            for call in (first, second):
                wall, cpu = _batch(call)
                (raw_wall if call is raw_call else sk_wall).append(wall)
                (raw_cpu if call is raw_call else sk_cpu).append(cpu)
        client.close()
        raw.close()
    # one ratio per round (both sides measured back to back): the goal reads their median
    return {
        "request_raw_httpx_us": rounds((w * 1e6 for w in raw_wall), 1),
        "request_sellerkit_us": rounds((w * 1e6 for w in sk_wall), 1),
        "request_overhead_ratio": rounds(ratios(sk_wall, raw_wall)),
        "request_client_cpu_ratio": rounds(ratios(sk_cpu, raw_cpu)),
    }
