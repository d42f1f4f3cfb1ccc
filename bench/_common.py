"""What every bench section shares: goals, timing helpers, and loopback servers run in a child process."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# a timed figure (every ratio) is the median of at least this many interleaved rounds
MIN_ROUNDS = 5


@dataclass(frozen=True)
class Rounds:
    """A figure measured once per round; results.json keeps its min, median and max, goals read the median.

    A section returns one for every timed figure; a plain float is an exact figure (a count, a simulated
    time) that does not vary between runs.
    """

    values: tuple[float, ...]
    digits: int = 3

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("a figure needs at least one round")

    @property
    def median(self) -> float:
        return round(statistics.median(self.values), self.digits)

    def summary(self) -> dict[str, float]:
        """The figure as results.json records it."""
        return {
            "median": self.median,
            "min": round(min(self.values), self.digits),
            "max": round(max(self.values), self.digits),
            "rounds": len(self.values),
        }


Figure = float | Rounds


def rounds(values: Iterable[float], digits: int = 3) -> Rounds:
    return Rounds(tuple(values), digits)


def exact(value: float) -> dict[str, float]:
    """An exact figure in results.json's shape: one round, min = median = max."""
    return {"median": value, "min": value, "max": value, "rounds": 1}


def summary(figure: Figure) -> dict[str, float]:
    return figure.summary() if isinstance(figure, Rounds) else exact(figure)


def interleaved(sides: Mapping[str, Callable[[], float]], count: int = MIN_ROUNDS) -> dict[str, list[float]]:
    """Run every side once per round for `count` rounds, the order rotating each round; each side's values.

    Rotation puts every side first, middle and last equally often, so machine drift (another process
    taking a core, the page cache filling, thermal limits) hits every side alike; a ratio is then taken
    per round (`per_round`), between values measured seconds apart.
    """
    names = list(sides)
    values: dict[str, list[float]] = {name: [] for name in names}
    for i in range(count):
        shift = i % len(names)
        order = names[shift:] + names[:shift]
        for name in order if i % 2 == 0 else reversed(order):
            values[name].append(sides[name]())
    return values


def per_round(fn: Callable[..., float], *series: list[float]) -> list[float]:
    """`fn` applied round by round to values measured in the same rounds."""
    return [fn(*values) for values in zip(*series, strict=True)]


def ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    """Round-by-round ratios of two sides measured in the same rounds."""
    return per_round(lambda a, b: a / b, numerators, denominators)


@dataclass(frozen=True)
class Goal:
    """A figure's goal: how it is written in the table, and whether a measured value meets it."""

    text: str
    met: Callable[[float], bool]


def at_most(limit: float) -> Goal:
    return Goal(f"<= {limit:g}", lambda v: v <= limit)


def at_least(limit: float) -> Goal:
    return Goal(f">= {limit:g}", lambda v: v >= limit)


class SectionSkipped(Exception):
    """A section cannot run on this machine (e.g. too little free disk); the message says why."""


def child_env(*, importable: bool = True) -> dict[str, str]:
    """The environment for child processes: the venv's bin first on PATH (and the repository importable)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if importable:
        path = os.environ.get("PYTHONPATH", "")
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)
    return env


@contextmanager
def child_lines(module: str, *args: str, count: int = 1) -> Iterator[list[str]]:
    """Run `python -m MODULE ARGS` and yield the first `count` lines it prints; it exits when stdin closes.

    A server gets its own process (and core), so its CPU time never lands in the measuring process.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(count)]
        if not lines[0].startswith("http://") or not all(lines):
            raise RuntimeError(f"`python -m {module}` did not start (exit code {proc.poll()})")
        yield lines
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the child's signal to stop
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()  # only this child, by its handle
            proc.wait(10)


@contextmanager
def child_server(kind: str) -> Iterator[str]:
    """Run `python -m bench._servers KIND` and yield its base URL."""
    with child_lines("bench._servers", kind) as (url,):
        yield url


def child_figures(module: str, *args: str, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run `python -m MODULE ARGS` to completion; its last output line is a JSON object of figures."""
    out = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env or child_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
