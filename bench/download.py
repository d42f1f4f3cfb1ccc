"""Download: 1 GiB from a loopback server through `sellerkit._core.download.download` vs curl.

One server (`bench._servers file`: `http.server` sending a deterministic tape with `sendall` in 4 MiB
slices) in its own process serves every side. Three sides, ROUNDS interleaved rounds (the order rotating):

- curl: `curl -s -o FILE URL`, its own `time_total`;
- curl hashing: `curl -s URL | tee FILE | openssl dgst -sha256` — the work sellerkit does (write + SHA-256)
  minus the fsync and rename, wall time of the whole pipeline;
- sellerkit: a fresh interpreter each time (`python -m bench.download URL DEST`), through the same path a
  Wabi2b job download takes (`Wabi2bClient.open_download` → the client with the sellerkit transport →
  `download()`: streaming, SHA-256 while writing, size check, fsync, rename); it reports its time around
  `download()` only, the time spent in fsync/fdatasync, and its peak RSS growth: VmHWM after the download
  minus VmRSS before it, with the high-water mark reset just before (`/proc/self/clear_refs`).

Each ratio is a throughput ratio (the inverse time ratio) taken per round; the figure is its median.
Files go to a temporary folder (same disk as the system temp dir). Each side deletes the previous side's
file just before its transfer starts (the sellerkit child after its imports), so every side writes into
page-cache memory freed a moment before: on a VM that hands free memory back to its host (free page
reporting), memory left free for half a second costs a host fault per page when touched again — measured
here at up to 2 s of system time per GiB, against 0.25 s for memory freed just before. Deleting after each
run instead charged that to whichever side started slowest (the fresh interpreter).
sellerkit writes whole blocks with O_DIRECT (see `sellerkit._core.download._Sink`), so that page-cache
effect now falls on the curl sides only: curl's own time varies up to 2x between rounds with it, sellerkit's
by about 10 %.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bench._common import (
    MIN_ROUNDS,
    Figure,
    Goal,
    SectionSkipped,
    at_least,
    at_most,
    child_figures,
    child_server,
    interleaved,
    per_round,
    ratios,
    rounds,
)

if TYPE_CHECKING:
    from _typeshed import HasFileno

SIZE = 1 << 30
# curl alone varies 2x between rounds here (page-cache faults): two more rounds steady the median
ROUNDS = MIN_ROUNDS + 2
MIN_FREE = 3 << 30
MIB = 1 << 20

GOALS: dict[str, Goal] = {
    "download_throughput_ratio_vs_curl": at_least(0.90),
    "download_ratio_vs_curl_hashing": at_least(1.2),
    "download_peak_rss_growth_mib": at_most(32),
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _curl(url: str, dest: Path, cpu: list[float]) -> float:
    dest.unlink(missing_ok=True)  # the previous side's file, freed just now (see the module docstring)
    before = _children_cpu()
    out = subprocess.run(
        ["curl", "-s", "-S", "--fail", "-o", str(dest), "-w", "%{time_total} %{size_download}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    cpu.append(_children_cpu() - before)
    seconds, size = float(out[0]), int(float(out[1]))
    if size != SIZE or dest.stat().st_size != SIZE:
        raise RuntimeError(f"curl downloaded {size} bytes, expected {SIZE}")
    return seconds


def _curl_hashing(url: str, dest: Path, sha256: str, cpu: list[float]) -> float:
    script = 'set -o pipefail; curl -s -S --fail "$1" | tee "$2" | openssl dgst -sha256 -r'
    dest.unlink(missing_ok=True)
    before = _children_cpu()
    start = time.perf_counter()
    out = subprocess.run(
        ["bash", "-c", script, "bash", url, str(dest)], check=True, capture_output=True, text=True
    ).stdout
    seconds = time.perf_counter() - start
    cpu.append(_children_cpu() - before)  # bash and the pipeline it waited for
    if out.split()[0] != sha256 or dest.stat().st_size != SIZE:
        raise RuntimeError(f"curl | tee | openssl gave {out.strip()!r}, {dest.stat().st_size} bytes")
    return seconds


def _mib_s(seconds: Iterable[float]) -> Figure:
    return rounds((SIZE / MIB / s for s in seconds), 1)


def run() -> dict[str, Figure]:
    from bench._servers import sha256_of

    for tool in ("curl", "openssl", "tee", "bash"):
        if shutil.which(tool) is None:
            raise SectionSkipped(f"{tool} is not on PATH (apt-get install {tool})")
    tmp_root = Path(tempfile.gettempdir())
    free = shutil.disk_usage(tmp_root).free
    if free < MIN_FREE:
        raise SectionSkipped(
            f"only {free / (1 << 30):.1f} GiB free in {tmp_root}; the download bench needs 3 GiB"
        )
    expected = sha256_of(SIZE)
    runs: list[dict[str, float]] = []
    curl_cpu: list[float] = []
    hashing_cpu: list[float] = []
    with child_server("file") as origin, tempfile.TemporaryDirectory(prefix="sellerkit-bench-dl-") as tmp:
        url = f"{origin}/file/{SIZE}"
        dest = Path(tmp) / "file.bin"

        def sellerkit() -> float:
            figures = child_figures("bench.download", url, str(dest), expected)
            if figures["sha256_ok"] != 1:
                raise RuntimeError("sellerkit's download has the wrong SHA-256")
            runs.append(figures)
            return figures["seconds"]

        seconds = interleaved(
            {
                "curl": lambda: _curl(url, dest, curl_cpu),
                "curl_hashing": lambda: _curl_hashing(url, dest, expected, hashing_cpu),
                "sellerkit": sellerkit,
            },
            ROUNDS,
        )
    sk = seconds["sellerkit"]
    fsync = [r["fsync_s"] for r in runs]
    return {
        "download_curl_mib_s": _mib_s(seconds["curl"]),
        "download_curl_hashing_mib_s": _mib_s(seconds["curl_hashing"]),
        "download_sellerkit_mib_s": _mib_s(sk),
        # throughput ratio = inverse time ratio
        "download_throughput_ratio_vs_curl": rounds(ratios(seconds["curl"], sk)),
        "download_ratio_vs_curl_hashing": rounds(ratios(seconds["curl_hashing"], sk)),
        "download_ratio_vs_curl_excl_fsync": rounds(
            per_round(lambda c, s, f: c / (s - f), seconds["curl"], sk, fsync)
        ),
        "download_fsync_s": rounds(fsync),
        # CPU seconds (user + system, every thread) of the client side: curl's process, sellerkit's download()
        "download_curl_cpu_s": rounds(curl_cpu),
        "download_curl_hashing_cpu_s": rounds(hashing_cpu),
        "download_sellerkit_cpu_s": rounds(r["cpu_s"] for r in runs),
        "download_peak_rss_growth_mib": rounds((r["rss_growth_mib"] for r in runs), 1),
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
    dest.unlink(missing_ok=True)  # the previous side's file (see the module docstring)
    reset = _reset_peak()
    rss_before = _status_kib("VmRSS")
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    os.fsync = timed_fsync
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    result = core_download.download(http, request, dest)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
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
        "cpu_s": after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime,
        "rss_growth_mib": growth_kib / 1024,
        "sha256_ok": 1 if result.sha256 == sha256 else 0,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
