"""SelSup: 1 GiB through a SelSup file endpoint (`SelsupClient.download_file`) against the simulator.

The SelSup simulator runs in its own process (`python -m bench.selsup serve`: `SelsupSimulator` in
large-file mode, `large_file_bytes` = 1 GiB sent in 1 MiB chunks; prints its origin and API key, serves
until its stdin closes). Each run is a fresh interpreter (`python -m bench.selsup download ...`) calling
`SelsupClient.download_file(download_wildberries_specification, <folder>, order_id=...)` — the export's one
required filter — so the file gets its Content-Disposition name in the folder: streaming, SHA-256 while
writing, size check, fsync, rename. The child reports its time around `download_file()` only, whether the
file's SHA-256 matches the simulator's own (`large_file_sha256`, computed in the parent) and its peak RSS
growth, measured as in bench/download.py: VmHWM after the download minus VmRSS before it, with the
high-water mark reset just before (`/proc/self/clear_refs`; else ru_maxrss growth). Files go to a temporary
folder (same disk as the system temp dir) and are deleted after each run; 3 GiB free are required.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._common import (
    MIN_ROUNDS,
    Figure,
    Goal,
    SectionSkipped,
    at_most,
    child_env,
    child_figures,
    child_lines,
    rounds,
)
from bench.download import _reset_peak, _status_kib

SIZE = 1 << 30
CHUNK = 1 << 20
REPEATS = MIN_ROUNDS
MIN_FREE = 3 << 30
MIB = 1 << 20
OPERATION_ID = "downloadWildberriesSpecification"  # the simulator's name for the module below
ORDER_ID = 424242
KEY_ENV = "SELLERKIT_BENCH_SELSUP_KEY"  # the simulator-only API key, handed to the download child

GOALS: dict[str, Goal] = {
    "selsup_file_download_peak_rss_growth_mib": at_most(32),
}


@contextmanager
def _simulator() -> Iterator[tuple[str, str]]:
    """Run the SelSup simulator in a child process; yield (origin, API key). It exits when stdin closes."""
    with child_lines("bench.selsup", "serve", count=2) as (origin, key):
        yield origin, key


def _download(origin: str, key: str, folder: Path, sha256: str) -> dict[str, float]:
    return child_figures(
        "bench.selsup", "download", origin, str(folder), sha256, env=dict(child_env(), **{KEY_ENV: key})
    )


def run() -> dict[str, Figure]:
    from sellerkit.testing.selsup import large_file_sha256

    tmp_root = Path(tempfile.gettempdir())
    free = shutil.disk_usage(tmp_root).free
    if free < MIN_FREE:
        raise SectionSkipped(
            f"only {free / (1 << 30):.1f} GiB free in {tmp_root}; the selsup bench needs 3 GiB"
        )
    runs: list[dict[str, float]] = []
    with _simulator() as (origin, key), tempfile.TemporaryDirectory(prefix="sellerkit-bench-selsup-") as tmp:
        expected = large_file_sha256(OPERATION_ID, {"orderId": ORDER_ID}, size=SIZE)
        for i in range(REPEATS):
            folder = Path(tmp) / f"run-{i}"
            folder.mkdir()
            try:
                runs.append(_download(origin, key, folder, expected))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    sha256_ok = min(r["sha256_ok"] for r in runs)
    if sha256_ok != 1:
        print("[selsup] a download's SHA-256 differs from the simulator's file", file=sys.stderr)
    return {
        "selsup_file_download_peak_rss_growth_mib": rounds((r["rss_growth_mib"] for r in runs), 1),
        "selsup_file_download_sha256_ok": sha256_ok,
        "selsup_file_download_mib_s": rounds((SIZE / MIB / r["seconds"] for r in runs), 1),
    }


# --- the children: the simulator, and one download in a fresh interpreter ----------------------------------


def _serve() -> None:
    from sellerkit.testing.framework import ScaledClock
    from sellerkit.testing.selsup import SelsupSettings, SelsupSimulator

    settings = SelsupSettings(large_file_bytes=SIZE, chunk_size=CHUNK)
    sim = SelsupSimulator(ScaledClock(), settings)
    with sim.running():
        print(sim.base_url, flush=True)
        print(sim.api_key, flush=True)
        sys.stdin.read()


def _child(origin: str, folder: Path, sha256: str) -> None:
    import gc

    from sellerkit.selsup import SelsupClient
    from sellerkit.selsup_api.api.file_exports import download_wildberries_specification

    client = SelsupClient(os.environ[KEY_ENV], base_url=origin)
    gc.collect()
    reset = _reset_peak()
    rss_before = _status_kib("VmRSS")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = client.download_file(download_wildberries_specification, folder, order_id=ORDER_ID)
    seconds = time.perf_counter() - start
    if reset:
        growth_kib = _status_kib("VmHWM") - rss_before
    else:  # peak over the process's life: growth only if the download set a new peak
        growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before
    client.close()
    if result.size != SIZE or result.path.stat().st_size != SIZE:
        raise SystemExit(f"downloaded {result.size} bytes, expected {SIZE}")
    figures = {
        "seconds": seconds,
        "rss_growth_mib": growth_kib / 1024,
        "sha256_ok": 1 if result.sha256 == sha256 else 0,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        _serve()
    elif sys.argv[1:2] == ["download"] and len(sys.argv) == 5:
        _child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: python -m bench.selsup serve | download ORIGIN FOLDER SHA256")
