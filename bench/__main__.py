"""`python -m bench [--only SECTION,...]` — measure, merge into bench/results.json, print a table.

Every figure is measured in this run; where the goal is a ratio, both sides are measured in this run,
interleaved, round by round, so machine noise affects both alike, and the figure is the median of at least
`MIN_ROUNDS` rounds' ratios. results.json maps each figure to `{"median", "min", "max", "rounds"}` (an
exact figure — a count, a simulated time — has one round); goals and the table read the median, the table
also shows the spread. Sections (one module each): imports, http, download, parse, polling, quota,
shared_quota, regen, selsup, sellerscommerce. `--only` re-measures some sections and keeps the others'
figures from earlier runs in results.json (the table shows only what this run measured).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from types import ModuleType

from bench._common import MIN_ROUNDS, ROOT, Figure, Goal, Rounds, SectionSkipped, summary

RESULTS = ROOT / "bench" / "results.json"
SECTIONS = (
    "imports",
    "http",
    "download",
    "parse",
    "polling",
    "quota",
    "shared_quota",
    "regen",
    "selsup",
    "sellerscommerce",
)

Summary = dict[str, float]


def _section(name: str) -> ModuleType:
    return importlib.import_module(f"bench.{name}")


def _load() -> dict[str, Summary]:
    if not RESULTS.exists():
        return {}
    loaded = json.loads(RESULTS.read_text())
    # a figure in the older flat shape (a bare number) has no spread: it is dropped, not passed off as one
    return {key: value for key, value in loaded.items() if isinstance(value, dict) and "median" in value}


def _number(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"


def _table(results: dict[str, Summary], goals: dict[str, Goal]) -> None:
    print(f"\n{'key':<46}{'median':>11}  {'min - max (rounds)':<28}{'goal':<10}met")
    for key in sorted(results):
        fig = results[key]
        goal = goals.get(key)
        met = "" if goal is None else "yes" if goal.met(fig["median"]) else "NO"
        spread = f"{_number(fig['min'])} - {_number(fig['max'])} ({fig['rounds']:g})"
        spread = "" if fig["rounds"] == 1 else spread
        print(f"{key:<46}{_number(fig['median']):>11}  {spread:<28}{goal.text if goal else '':<10}{met}")


def _unfit(figures: dict[str, Figure], goals: dict[str, Goal]) -> list[str]:
    """Goal figures measured too few times to be judged (a timed one must come from >= MIN_ROUNDS rounds)."""
    return sorted(
        key
        for key, fig in figures.items()
        if key in goals and isinstance(fig, Rounds) and len(fig.values) < MIN_ROUNDS
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated sections ({', '.join(SECTIONS)})"
    )
    args = parser.parse_args(argv)
    # the sections' job journals and token stores go to a folder of this run, never the user's state folder
    # (`sellerkit jobs` would list thousands of benchmark chunks)
    with tempfile.TemporaryDirectory(prefix="sellerkit-bench-state-") as state:
        os.environ["SELLERKIT_STATE_DIR"] = state
        return _run(parser, args)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown or not chosen:
        parser.error(
            f"unknown section(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(SECTIONS)}"
        )

    results = _load()
    measured: dict[str, Summary] = {}
    goals: dict[str, Goal] = {}
    failed: list[str] = []
    start = time.perf_counter()
    for name in chosen:
        module = _section(name)
        section_goals: dict[str, Goal] = module.GOALS
        goals.update(section_goals)
        began = time.perf_counter()
        print(f"[{name}] ...", flush=True)
        try:
            figures: dict[str, Figure] = module.run()
        except SectionSkipped as exc:
            print(f"[{name}] SKIPPED: {exc}", file=sys.stderr, flush=True)
            failed.append(name)
            figures = {}
        except Exception:
            traceback.print_exc()
            print(f"[{name}] FAILED (traceback above)", file=sys.stderr, flush=True)
            failed.append(name)
            figures = {}
        if not figures:
            # a stale figure must not pass for this run's: drop the section's goal figures
            for key in section_goals:
                results.pop(key, None)
        missing = sorted(set(section_goals) - set(figures))
        if figures and missing:
            print(f"[{name}] did not produce {', '.join(missing)}", file=sys.stderr)
            failed.append(name)
        unfit = _unfit(figures, section_goals)
        if unfit:
            print(f"[{name}] fewer than {MIN_ROUNDS} rounds for {', '.join(unfit)}", file=sys.stderr)
            failed.append(name)
        measured.update({key: summary(fig) for key, fig in figures.items()})
        print(f"[{name}] done in {time.perf_counter() - began:.1f} s", flush=True)
    total = time.perf_counter() - start
    results.update(measured)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    _table(measured, goals)
    print(f"\n{len(measured)} figures measured in {total:.0f} s, merged into {RESULTS.relative_to(ROOT)}")
    if failed:
        print(f"sections not measured: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
