"""Sellers Commerce: a 100k-order paged export (`SellersCommerceClient.export`) against the simulator.

The simulator runs in its own process (`python -m bench.sellerscommerce serve`: `SellersCommerceSimulator`
with 100,000 orders — 40 seeded plus generated ones, built on demand from their number; prints its origin
and credentials, serves until its stdin closes). Each run is a fresh interpreter (`python -m
bench.sellerscommerce export ...`) that logs in (password grant) and calls `export("orders", <file>)`
with the default page size (500): every page fetched, its envelope checked, its rows appended to one
JSON-lines file, a checkpoint per page, the file fsynced and placed. The child reports its time around
`export()` only, the rows it wrote (checked against the file), and its peak RSS growth, measured as in
bench/download.py: VmHWM after the export minus VmRSS before it, with the high-water mark reset just before
(`/proc/self/clear_refs`; else ru_maxrss growth). Each figure is the median
(min - max in results.json) of `ROUNDS` exports. 20,000-order exports are measured the same way, so the
growth can be compared across row counts (it should not depend on them). The rate includes the
simulator's own time per page: it is a figure for this client against this simulator on this machine.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench._common import MIN_ROUNDS, Figure, Goal, at_most, child_env, child_figures, child_lines, rounds
from bench.download import _reset_peak, _status_kib

ORDERS = 100_000
SMALL = 20_000
SEEDED = 40  # the simulator's seed orders
ROUNDS = MIN_ROUNDS  # each a fresh interpreter: rows/s and RSS growth are the median (min, max) of these
MIB = 1 << 20
ENV = "SELLERKIT_BENCH_SELLERSCOMMERCE"  # "access key\nshared secret" of the simulator, for the child

GOALS: dict[str, Goal] = {
    "sellerscommerce_export_peak_rss_growth_mib": at_most(32),
}


def _export(origin: str, credentials: str, dest: Path) -> dict[str, float]:
    return child_figures(
        "bench.sellerscommerce", "export", origin, str(dest), env=dict(child_env(), **{ENV: credentials})
    )


def _runs(total: int, count: int) -> list[dict[str, float]]:
    """`count` exports of `total` orders, each in a fresh interpreter, against one simulator process."""
    runs = []
    with (
        child_lines("bench.sellerscommerce", "serve", str(total - SEEDED), count=3) as (origin, key, secret),
        tempfile.TemporaryDirectory(prefix="sellerkit-bench-sellerscommerce-") as tmp,
    ):
        for i in range(count):
            dest = Path(tmp) / f"run-{i}" / "orders.jsonl"
            try:
                figures = _export(origin, f"{key}\n{secret}", dest)
            finally:
                if dest.exists():
                    dest.unlink()
            if figures["rows"] != total:
                raise RuntimeError(f"the export wrote {figures['rows']:.0f} rows, expected {total}")
            runs.append(figures)
    return runs


def run() -> dict[str, Figure]:
    large = _runs(ORDERS, ROUNDS)
    small = _runs(SMALL, ROUNDS)
    return {
        "sellerscommerce_export_rows_per_s": rounds((ORDERS / r["seconds"] for r in large), 0),
        "sellerscommerce_export_peak_rss_growth_mib": rounds((r["rss_growth_mib"] for r in large), 1),
        "sellerscommerce_export_20k_peak_rss_growth_mib": rounds((r["rss_growth_mib"] for r in small), 1),
    }


# --- the children: the simulator, and one export in a fresh interpreter ------------------------------------


def _serve(extra: int) -> None:
    from sellerkit.testing.framework import ScaledClock
    from sellerkit.testing.sellerscommerce import SellersCommerceSettings, SellersCommerceSimulator

    sim = SellersCommerceSimulator(ScaledClock(), SellersCommerceSettings(extra_orders=extra))
    with sim.running():
        print(sim.base_url, flush=True)
        print(sim.access_key, flush=True)
        print(sim.shared_secret, flush=True)
        sys.stdin.read()


def _child(origin: str, dest: Path) -> None:
    import gc

    from sellerkit.sellerscommerce import SellersCommerceClient

    key, secret = os.environ[ENV].split("\n")
    with tempfile.TemporaryDirectory(prefix="sellerkit-bench-state-") as state:
        os.environ["SELLERKIT_STATE_DIR"] = state  # its journal checkpoints, not the user's
        client = SellersCommerceClient(key, secret, base_url=origin, token_store=False)
        gc.collect()
        reset = _reset_peak()
        rss_before = _status_kib("VmRSS")
        maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = client.export("orders", dest)
        seconds = time.perf_counter() - start
        if reset:
            growth_kib = _status_kib("VmHWM") - rss_before
        else:  # peak over the process's life: growth only if the export set a new peak
            growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before
        client.close()
    with open(result.path, "rb") as fh:
        lines = sum(1 for _ in fh)
    if lines != result.rows:
        raise SystemExit(f"the file has {lines} lines, the export reported {result.rows} rows")
    print(json.dumps({"seconds": seconds, "rows": result.rows, "rss_growth_mib": growth_kib / 1024}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"] and len(sys.argv) == 3:
        _serve(int(sys.argv[2]))
    elif sys.argv[1:2] == ["export"] and len(sys.argv) == 4:
        _child(sys.argv[2], Path(sys.argv[3]))
    else:
        sys.exit("usage: python -m bench.sellerscommerce serve EXTRA_ORDERS | export ORIGIN FILE")
