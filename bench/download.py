"""Download: 1 GiB from a loopback server through `sellerkit._core.download.download` vs curl.

One server (`bench._servers file`: `http.server` sending a deterministic tape with `sendall` in 4 MiB
slices) in its own process serves both. curl (`curl -s -o FILE URL`, its own `time_total`) and sellerkit
alternate, REPEATS each; sellerkit runs in a fresh interpreter each time (`python -m bench.download URL
DEST`), through the same path a Wabi2b job download takes (`Wabi2bClient.open_download` → the client with
the sellerkit transport → `download()`: streaming, SHA-256 while writing, size check, fsync, rename), and
reports its time around `download()` only, the fsync's share of it, and its peak RSS growth: VmHWM after
the download minus VmRSS before it, with the high-water mark reset just before (`/proc/self/clear_refs`).
Files go to a temporary folder (same disk as the system temp dir) and are deleted after each run.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench._common import (
    Goal,
    SectionSkipped,
    at_least,
    at_most,
    child_figures,
    child_server,
)

if TYPE_CHECKING:
    from _typeshed import HasFileno

SIZE = 1 << 30
REPEATS = 3
MIN_FREE = 3 << 30
MIB = 1 << 20

GOALS: dict[str, Goal] = {
    "download_throughput_ratio_vs_curl": at_least(0.90),
    "download_peak_rss_growth_mib": at_most(32),
}


def _curl(url: str, dest: Path) -> float:
    out = subprocess.run(
        ["curl", "-s", "-S", "--fail", "-o", str(dest), "-w", "%{time_total} %{size_download}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    seconds, size = float(out[0]), int(float(out[1]))
    if size != SIZE or dest.stat().st_size != SIZE:
        raise RuntimeError(f"curl downloaded {size} bytes, expected {SIZE}")
    return seconds


def _sellerkit(url: str, dest: Path, sha256: str) -> dict[str, float]:
    return child_figures("bench.download", url, str(dest), sha256)


def run() -> dict[str, float]:
    from bench._servers import sha256_of

    if shutil.which("curl") is None:
        raise SectionSkipped("curl is not on PATH (apt-get install curl)")
    tmp_root = Path(tempfile.gettempdir())
    free = shutil.disk_usage(tmp_root).free
    if free < MIN_FREE:
        raise SectionSkipped(
            f"only {free / (1 << 30):.1f} GiB free in {tmp_root}; the download bench needs 3 GiB"
        )
    expected = sha256_of(SIZE)
    curl_s: list[float] = []
    runs: list[dict[str, float]] = []
    with child_server("file") as origin, tempfile.TemporaryDirectory(prefix="sellerkit-bench-dl-") as tmp:
        url = f"{origin}/file/{SIZE}"
        for i in range(REPEATS):  # alternating, order flipping each round
            for side in ("curl", "sellerkit") if i % 2 == 0 else ("sellerkit", "curl"):
                dest = Path(tmp) / f"{side}-{i}.bin"
                try:
                    if side == "curl":
                        curl_s.append(_curl(url, dest))
                    else:
                        figures = _sellerkit(url, dest, expected)
                        if figures["sha256_ok"] != 1:
                            raise RuntimeError("sellerkit's download has the wrong SHA-256")
                        runs.append(figures)
                finally:
                    dest.unlink(missing_ok=True)
    sk_s = [r["seconds"] for r in runs]
    ratios = [c / s for c, s in zip(curl_s, sk_s, strict=True)]  # throughput ratio = inverse time ratio
    ratios_excl_fsync = [c / (s - r["fsync_s"]) for c, s, r in zip(curl_s, sk_s, runs, strict=True)]
    return {
        "download_curl_mib_s": round(SIZE / MIB / statistics.median(curl_s), 1),
        "download_sellerkit_mib_s": round(SIZE / MIB / statistics.median(sk_s), 1),
        "download_throughput_ratio_vs_curl": round(statistics.median(ratios), 3),
        "download_ratio_vs_curl_excl_fsync": round(statistics.median(ratios_excl_fsync), 3),
        "download_fsync_s": round(statistics.median(r["fsync_s"] for r in runs), 3),
        "download_peak_rss_growth_mib": round(max(r["rss_growth_mib"] for r in runs), 1),
    }


# --- the child: one sellerkit download in a fresh interpreter ----------------------------------------------


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _child(url: str, dest: Path, sha256: str) -> None:
    import gc

    from sellerkit._core import download as core_download
    from sellerkit.wabi2b import Wabi2bClient

    fsync_s = 0.0
    real_fsync = os.fsync

    def timed_fsync(fd: int | HasFileno) -> None:  # instrumentation only: the real fsync, timed
        nonlocal fsync_s
        start = time.perf_counter()
        real_fsync(fd)
        fsync_s += time.perf_counter() - start

    origin = url.split("/file/", 1)[0]
    client = Wabi2bClient("bench.jwt.token", "bench-key", base_url=f"{origin}/v1")
    # the downloader through the client's own httpx client and request builder, as a job's file would go
    http, request = client._http, client._get(url)
    gc.collect()
    reset = _reset_peak()
    rss_before = _status_kib("VmRSS")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    os.fsync = timed_fsync
    start = time.perf_counter()
    result = core_download.download(http, request, dest)
    seconds = time.perf_counter() - start
    os.fsync = real_fsync
    if reset:
        growth_kib = _status_kib("VmHWM") - rss_before
    else:  # peak over the process's life: growth only if the download set a new peak
        growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - maxrss_before
    client.close()
    if result.size != SIZE:
        raise SystemExit(f"downloaded {result.size} bytes, expected {SIZE}")
    figures = {
        "seconds": seconds,
        "fsync_s": fsync_s,
        "rss_growth_mib": growth_kib / 1024,
        "sha256_ok": 1 if result.sha256 == sha256 else 0,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
