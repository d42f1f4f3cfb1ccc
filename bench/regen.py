"""Regeneration: `python -m generator --force` and a no-change run vs bare openapi-python-client.

The three runs interleave over ROUNDS rounds; each ratio is taken per round, its median reported.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench._common import MIN_ROUNDS, ROOT, Figure, Goal, at_most, child_env, interleaved, ratios, rounds

ROUNDS = MIN_ROUNDS

GOALS: dict[str, Goal] = {
    "regen_full_ratio_vs_bare_opc": at_most(1.2),
    "regen_noop_ratio": at_most(0.1),
}


def _wall(cmd: list[str], cwd: Path = ROOT) -> float:
    # the venv's bin first on PATH: openapi-python-client silently skips its ruff hooks without ruff
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=child_env(importable=False), check=True, capture_output=True)
    return time.perf_counter() - start


def run() -> dict[str, Figure]:
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

    t = interleaved(
        {
            "forced": lambda: _wall([sys.executable, "-m", "generator", "--force"]),
            "noop": lambda: _wall([sys.executable, "-m", "generator"]),
            "bare": bare,
        },
        ROUNDS,
    )
    return {
        "regen_full_s": rounds(t["forced"]),
        "regen_noop_s": rounds(t["noop"]),
        "regen_bare_opc_s": rounds(t["bare"]),
        "regen_full_ratio_vs_bare_opc": rounds(ratios(t["forced"], t["bare"])),
        "regen_noop_ratio": rounds(ratios(t["noop"], t["forced"])),
    }
