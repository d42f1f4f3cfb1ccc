"""A small spec generated into a scratch folder as package `tiny_api`, and checks run next to it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from generator.config import Table, Vendor, load_table, tool_versions
from generator.pipeline import build

PACKAGE = "tiny_api"


def generate(tmp_path: Path, spec: str, table: Table | None = None) -> tuple[Path, int, int]:
    """`spec` generated into `tmp_path/out/tiny_api`; returns (package folder, operations, files)."""
    (tmp_path / "tiny.yaml").write_text(spec)
    out = tmp_path / "out" / PACKAGE
    vendor = Vendor(name="tiny", spec=tmp_path / "tiny.yaml", package=PACKAGE, payloads=())
    operations, files = build(table or load_table(), vendor, out, tool_versions())
    return out, operations, files


def run(out: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python *args` in the folder that holds the package, so `import tiny_api` finds it."""
    return subprocess.run(
        [sys.executable, *args], cwd=out.parent, capture_output=True, text=True, timeout=timeout
    )


def assert_mypy_strict(out: Path, target: str = PACKAGE) -> None:
    typed = run(out, "-m", "mypy", "--strict", "--no-incremental", target, timeout=300)
    assert typed.returncode == 0, typed.stdout
