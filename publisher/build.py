"""`make publish`: dist/ from specs/ (bundles, HTML reference, TypeScript, wheel + sdist, changelog)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import docs, releases, typescript
from .tools import (
    DIST,
    PROVENANCE_KEY,
    ROOT,
    PublishError,
    Spec,
    bundle,
    git,
    node,
    operations,
    provenance,
    rel,
    specs,
    write_json,
)

STEPS = ("specs", "docs", "typescript", "python", "changelog")


def published_bundle(spec: Spec) -> dict[str, Any]:
    data = bundle(spec.source)
    # provenance first after the version fields, so a reader sees it at the top of the file
    return {"openapi": data["openapi"], PROVENANCE_KEY: provenance(spec.source)} | data


def build_specs(spec: Spec, data: dict[str, Any], out: Path) -> None:
    json_path = out / "specs" / f"{spec.vendor}.json"
    write_json(json_path, data)
    # YAML written by Redocly (js-yaml quotes strings like '00025000040290' that PyYAML would leave bare)
    node("redocly", "bundle", str(json_path), "-o", str(out / "specs" / f"{spec.vendor}.yaml"))


def build_python(out: Path) -> None:
    """Wheel and sdist with the venv's pinned hatchling (no isolation: no download at publish time);
    SOURCE_DATE_EPOCH from the commit makes both archives reproducible."""
    target = out / "python"
    shutil.rmtree(target, ignore_errors=True)
    env = dict(os.environ, SOURCE_DATE_EPOCH=git("log", "-1", "--format=%ct") or "315532800")
    cmd = [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(target)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PublishError(f"python -m build failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    artefacts = sorted(str(p) for p in target.iterdir())
    proc = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *artefacts], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise PublishError(f"twine check failed:\n{proc.stdout}{proc.stderr}")


def publish(out: Path = DIST, steps: tuple[str, ...] = STEPS) -> list[str]:
    """Builds the requested steps into `out`; returns one summary line per artefact family."""
    if set(steps) == set(STEPS):
        shutil.rmtree(out, ignore_errors=True)  # a full build leaves nothing stale (e.g. a renamed vendor)
    out.mkdir(parents=True, exist_ok=True)
    summary: list[str] = []
    rows: list[dict[str, Any]] = []
    verdicts: list[releases.Verdict] = []
    for spec in specs():
        data = published_bundle(spec)
        info = data["info"]
        n_ops = len(operations(data))
        rows.append(
            {"vendor": spec.vendor, "title": info["title"], "version": info["version"], "operations": n_ops}
        )
        if "specs" in steps or "docs" in steps or "typescript" in steps:
            build_specs(spec, data, out)
        if "docs" in steps:
            page = out / "docs" / f"{spec.vendor}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            docs.build(out / "specs" / f"{spec.vendor}.yaml", page, f"{info['title']} {info['version']}")
            docs.check_offline(page, data)
        if "typescript" in steps:
            typescript.build(
                spec.vendor,
                data,
                out / "specs" / f"{spec.vendor}.json",
                out / "typescript" / spec.vendor,
                rel(spec.source),
            )
        if "changelog" in steps:
            verdicts.append(releases.judge(spec.vendor, data, releases.last_release(spec.vendor)))
        summary.append(f"{spec.vendor} {info['version']}: {n_ops} operations")
    if "docs" in steps:
        (out / "docs" / "index.html").write_text(docs.index_page(rows), encoding="utf-8")
    if "typescript" in steps:
        typescript.typecheck(out / "typescript")
        summary.append("typescript: tsc --noEmit --strict clean")
    if "python" in steps:
        build_python(out)
        summary.append(
            "python: "
            + ", ".join(p.name for p in sorted((out / "python").iterdir()))
            + " (twine check clean)"
        )
    if "changelog" in steps:
        (out / "CHANGELOG.md").write_text(releases.changelog(verdicts), encoding="utf-8")
    return summary
