"""`python -m bench` — measure, write bench/results.json (a flat object) and print a table.

Every figure is a ratio measured within this one run, so machine noise affects both sides alike.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
REPEATS = 3

# key -> (goal description, predicate on the measured value)
GOALS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "regen_full_ratio_vs_bare_opc": ("<= 1.2", lambda v: v <= 1.2),
    "regen_noop_ratio": ("<= 0.1", lambda v: v <= 0.1),
}


def _wall(cmd: list[str], cwd: Path = ROOT) -> float:
    # the venv's bin first: openapi-python-client silently skips its ruff hooks when ruff isn't on PATH
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _median(fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(REPEATS))


def regeneration() -> dict[str, float]:
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


def main() -> int:
    results: dict[str, float] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(regeneration())
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f"{'key':<34}{'value':>12}  {'goal':<10}met")
    for key, value in sorted(results.items()):
        goal, ok = GOALS.get(key, ("", lambda _: True))
        met = ("yes" if ok(value) else "NO") if key in GOALS else ""
        print(f"{key:<34}{value:>12}  {goal:<10}{met}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
