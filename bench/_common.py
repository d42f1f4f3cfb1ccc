"""What every bench section shares: goals, timing helpers, and loopback servers run in a child process."""

from __future__ import annotations

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
def child_server(kind: str) -> Iterator[str]:
    """Run `python -m bench._servers KIND ...` and yield its base URL; the child exits when stdin closes.

    The server gets its own process (and core), so its CPU time never lands in the measuring process.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench._servers", kind],
        cwd=ROOT,
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"bench server {kind!r} did not start (exit code {proc.poll()})")
        yield url
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the server's signal to stop
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()  # only this child, by its handle
            proc.wait(10)


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
