"""Shared plumbing: the vendor list, the pinned node tools, git provenance, bundling."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.config import ROOT as ROOT
from generator.config import load_table, sha256_file

NODE_BIN = ROOT / "node_modules" / ".bin"
DIST = ROOT / "dist"
RELEASES = ROOT / "specs" / "releases"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# the provenance block added to every bundle; ignored when a bundle is compared with a release
PROVENANCE_KEY = "x-generated-from"


class PublishError(Exception):
    """A publishing step failed; the message says which and why."""


@dataclass(frozen=True)
class Spec:
    vendor: str
    source: Path  # specs/<vendor>.yaml


def specs() -> list[Spec]:
    """Every vendor of generator/vendors.toml: a later vendor joins publishing by being listed there."""
    return [Spec(v.name, v.spec) for v in load_table().vendors]


def node_env() -> dict[str, str]:
    return dict(
        os.environ,
        REDOCLY_TELEMETRY="off",
        REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
        OPTIC_TELEMETRY_LEVEL="off",
        NO_COLOR="1",
        npm_config_loglevel="error",
    )


def node(tool: str, *args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    exe = NODE_BIN / tool
    if not exe.exists():
        raise PublishError(f"{exe} is missing: run `make setup` (npm ci) first")
    proc = subprocess.run([str(exe), *args], cwd=cwd, env=node_env(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise PublishError(f"{tool} {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc


def git(*args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return proc.stdout.strip()


def source_commit(source: Path) -> str:
    """HEAD, marked `+dirty` when the source differs from it (the sha256 then is the only exact reference)."""
    head = git("rev-parse", "HEAD")
    if head is None:
        return "unknown"
    dirty = git("status", "--porcelain", "--", rel(source))
    return f"{head}+dirty" if dirty else head


def rel(path: Path) -> str:
    return path.resolve().relative_to(ROOT).as_posix()


def bundle(source: Path) -> dict[str, Any]:
    """The self-contained JSON bundle of a spec, as Redocly writes it (our specs have no external refs)."""
    with tempfile.TemporaryDirectory(prefix="sellerkit-bundle-") as tmp:
        out = Path(tmp) / f"{source.stem}.json"
        node("redocly", "bundle", str(source), "--ext", "json", "-o", str(out))
        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def provenance(source: Path) -> dict[str, str]:
    return {"source": rel(source), "commit": source_commit(source), "sha256": sha256_file(source)}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation, in spec order."""
    return [
        (method.upper(), path, op)
        for path, item in spec.get("paths", {}).items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
