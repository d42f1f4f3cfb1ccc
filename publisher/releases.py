"""Releases of a spec and the breaking-change gate.

A release of a spec is a committed snapshot `specs/releases/<vendor>/<info.version>.json`: the published JSON
bundle at the moment of release, whose `x-generated-from` records the source path, the commit and the
source's sha256. A fresh clone of main therefore finds every release in its own tree (no tags or remote
state needed). The last release is the highest version there. The gate diffs the current spec against it
with optic (`optic diff base head --check`, the breaking-changes standard) and refuses:

- any change without a version bump (the canonical JSON differs but `info.version` does not);
- a version lower than the last release;
- a breaking change without a major bump.
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from generator.config import canonical_json

from .tools import PROVENANCE_KEY, RELEASES, PublishError, node

_FINDING = re.compile(r"^\s*x \[(?P<rule>[^\]]+)\] (?P<message>.+?)(?: This is a breaking change\.)?\s*$")
_OPERATION = re.compile(
    r"^[x✔]\s+(?P<op>(?:GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS|TRACE) \S+?):\s*(?P<change>added|removed)?\s*$"
)


@dataclass(frozen=True)
class Release:
    vendor: str
    version: Version
    path: Path

    def spec(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return data


@dataclass
class Diff:
    breaking: list[str] = field(default_factory=list)  # "<operation>: <optic finding> [rule]"
    changes: list[str] = field(default_factory=list)  # "<operation>: added/removed/changed"


@dataclass
class Verdict:
    vendor: str
    version: str
    release: Release | None
    changed: bool
    diff: Diff
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_version(text: str, where: str) -> Version:
    if not re.fullmatch(r"\d+\.\d+\.\d+", text):
        raise PublishError(f"{where}: info.version {text!r} is not MAJOR.MINOR.PATCH")
    try:
        return Version(text)
    except InvalidVersion as exc:  # unreachable after the pattern; kept for the type checker's sake
        raise PublishError(f"{where}: {exc}") from exc


def releases(vendor: str, root: Path = RELEASES) -> list[Release]:
    folder = root / vendor
    found = [Release(vendor, parse_version(p.stem, str(p)), p) for p in folder.glob("*.json")]
    return sorted(found, key=lambda r: r.version)


def last_release(vendor: str, root: Path = RELEASES) -> Release | None:
    found = releases(vendor, root)
    return found[-1] if found else None


def comparable(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without its provenance block (a new commit alone is not a change)."""
    return {k: v for k, v in spec.items() if k != PROVENANCE_KEY}


def optic_diff(base: dict[str, Any], head: dict[str, Any]) -> Diff:
    """optic's classification of every change from `base` to `head`."""
    # optic waives its breaking-change rules when info.version's major grows; the same version on both
    # sides makes it classify every change, and `judge` applies the version rule itself
    head_same = comparable(head) | {"info": head.get("info", {}) | {"version": base["info"]["version"]}}
    return _optic_diff(json.dumps(comparable(base), sort_keys=True), json.dumps(head_same, sort_keys=True))


@functools.lru_cache(maxsize=64)
def _optic_diff(base_text: str, head_text: str) -> Diff:
    """One `optic diff --check` run, parsed from its text report: the JSON report (`--json`) lists changed
    operations but not the checks' findings. Cached: a pure function of the two documents."""
    with tempfile.TemporaryDirectory(prefix="sellerkit-optic-") as tmp:
        base_file, head_file = Path(tmp) / "base.json", Path(tmp) / "head.json"
        base_file.write_text(base_text, encoding="utf-8")
        head_file.write_text(head_text, encoding="utf-8")
        proc = node("optic", "diff", str(base_file), str(head_file), "--check", cwd=Path(tmp), check=False)
    diff = Diff()
    operation = "(spec)"
    context: list[tuple[int, str]] = []  # (indent, "response 200") of the nested "- ...:" lines above
    for line in proc.stdout.splitlines():
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        if m := _OPERATION.match(line):
            operation, context = m.group("op"), []
            if m.group("change"):
                diff.changes.append(f"{operation}: {m.group('change')}")
        elif m := _FINDING.match(line):
            diff.breaking.append(f"{operation}: {m.group('message')} [{m.group('rule')}]")
        elif text.startswith("- "):
            context = [(i, c) for i, c in context if i < indent]
            item = text[2:]
            if item.endswith(":"):
                context.append((indent, item.rstrip(":").strip()))
            elif item.endswith((" added", " removed", " changed", ": added", ": removed", ": changed")):
                where = " ".join(c for _, c in context)
                diff.changes.append(f"{operation}: {where + ' ' if where else ''}{item}")
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not diff.breaking):
        raise PublishError(f"optic diff failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return diff


def judge(vendor: str, head: dict[str, Any], release: Release | None) -> Verdict:
    """The gate's verdict on the current bundle `head` against the last release."""
    version_text = str(head.get("info", {}).get("version", ""))
    version = parse_version(version_text, vendor)
    if release is None:
        return Verdict(vendor, version_text, None, True, Diff(), [])
    base = release.spec()
    changed = canonical_json(comparable(base)) != canonical_json(comparable(head))
    diff = optic_diff(base, head) if changed else Diff()
    problems: list[str] = []
    if version < release.version:
        problems.append(f"{vendor}: info.version {version} is lower than the last release {release.version}")
    elif changed and version == release.version:
        problems.append(
            f"{vendor}: the spec changed since release {release.version} but info.version did not"
        )
    if diff.breaking and version.major <= release.version.major:
        problems.append(
            f"{vendor}: {len(diff.breaking)} breaking change(s) since {release.version} need a major bump "
            f"(to {release.version.major + 1}.0.0), info.version is {version}:\n    "
            + "\n    ".join(diff.breaking)
        )
    return Verdict(vendor, version_text, release, changed, diff, problems)


def changelog(verdicts: list[Verdict]) -> str:
    """dist/CHANGELOG.md: per spec, what changed since its last release, breaking or not."""
    out = ["# Changelog of the published specs", ""]
    out += ["Per spec: what changed since its last release (`specs/releases/`), as classified by optic.", ""]
    for v in verdicts:
        out.append(f"## {v.vendor} {v.version}")
        out.append("")
        if v.release is None:
            out += ["Not released yet: every operation is new.", ""]
            continue
        commit = v.release.spec().get(PROVENANCE_KEY, {}).get("commit", "unknown")
        out += [f"Last release: {v.release.version} (commit {commit}).", ""]
        if not v.changed:
            out += ["No change since that release.", ""]
            continue
        # optic reports each change once as a change and, when a check fails on it, once as a finding;
        # operations with a finding are listed under Breaking only
        breaking_ops = {line.split(": ", 1)[0] for line in v.diff.breaking}
        additive = [c for c in v.diff.changes if c.split(": ", 1)[0] not in breaking_ops]
        out += ["### Breaking", ""]
        out += [f"- {line}" for line in v.diff.breaking] or ["- none"]
        out += ["", "### Non-breaking", ""]
        out += [f"- {line}" for line in additive] or ["- none at operation level (descriptions, metadata)"]
        if v.problems:
            out += ["", "### Gate", ""] + [f"- {p.splitlines()[0]}" for p in v.problems]
        out.append("")
    return "\n".join(out)


def record(vendor: str, bundle_: dict[str, Any], root: Path = RELEASES) -> Path:
    """Writes the release snapshot of `bundle_` (refused if this version was already released)."""
    version = parse_version(str(bundle_["info"]["version"]), vendor)
    path = root / vendor / f"{version}.json"
    if path.exists():
        raise PublishError(f"{vendor} {version} is already released ({path}); bump info.version first")
    commit = str(bundle_.get(PROVENANCE_KEY, {}).get("commit", "unknown"))
    if commit == "unknown" or commit.endswith("+dirty"):
        raise PublishError(
            f"{vendor}: commit the spec first (a release is a version at a commit; got {commit})"
        )
    verdict = judge(vendor, bundle_, last_release(vendor, root))
    if not verdict.ok:
        raise PublishError("\n".join(verdict.problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle_, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
