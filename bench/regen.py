"""Regeneration: `python -m generator --force` and a no-change run vs bare openapi-python-client."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bench._common import ROOT, Goal, at_most, child_env

REPEATS = 3

GOALS: dict[str, Goal] = {
    "regen_full_ratio_vs_bare_opc": at_most(1.2),
    "regen_noop_ratio": at_most(0.1),
}


def _wall(cmd: list[str], cwd: Path = ROOT) -> float:
    # the venv's bin first on PATH: openapi-python-client silently skips its ruff hooks without ruff
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=child_env(importable=False), check=True, capture_output=True)
    return time.perf_counter() - start


def _median(fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(REPEATS))


def run() -> dict[str, float]:
    from generator.config import load_table

    table = load_table()
    bin_dir = Path(sys.executable).parent

    def bare() -> float:
        # plain openapi-python-client on the same specs, one after the other, with the same ruff hooks
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "config.yaml"
            config.write_text(yaml.safe_dump({"post_hooks": table.opc["post_hooks"]}))
            return sum(
                _wall(
                    [
                        str(bin_dir / "openapi-python-client"),
                        "generate",
                        "--path",
                        str(v.spec),
                        "--meta",
                        "none",
                        "--output-path",
                        str(Path(tmp) / v.package),
                        "--config",
                        str(config),
                    ],
                    cwd=Path(tmp),
                )
                for v in table.vendors
            )

    forced = _median(lambda: _wall([sys.executable, "-m", "generator", "--force"]))
    noop = _median(lambda: _wall([sys.executable, "-m", "generator"]))
    bare_opc = _median(bare)
    return {
        "regen_full_s": round(forced, 3),
        "regen_noop_s": round(noop, 3),
        "regen_bare_opc_s": round(bare_opc, 3),
        "regen_full_ratio_vs_bare_opc": round(forced / bare_opc, 3),
        "regen_noop_ratio": round(noop / forced, 3),
    }
