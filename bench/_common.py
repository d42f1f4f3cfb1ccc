"""What every bench section shares: goals, timing helpers, and loopback servers run in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
