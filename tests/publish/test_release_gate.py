"""The breaking-change gate: each kind of change planted in a scratch copy of a released spec.

The base is the committed Sellercloud release; every test edits a deep copy and asks the gate
(`publisher.releases.judge`, which runs optic) for its verdict at a given `info.version`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from publisher import releases
from publisher.tools import RELEASES, PublishError

Spec = dict[str, Any]
VENDOR = "sellercloud"


def _release(tmp_path: Path, version: str = "0.2.0") -> releases.Release:
    """The committed release, copied into a scratch release folder (the repository's is never written)."""
    committed = releases.last_release(VENDOR, RELEASES)
    assert committed is not None, "specs/releases/sellercloud/ has no release"
    folder = tmp_path / VENDOR
    folder.mkdir(parents=True, exist_ok=True)
    spec = committed.spec()
    spec["info"]["version"] = version
    (folder / f"{version}.json").write_text(json.dumps(spec), encoding="utf-8")
    found = releases.last_release(VENDOR, tmp_path)
    assert found is not None
    return found


def _variant(release: releases.Release, version: str, change: Callable[[Spec], None]) -> Spec:
    spec = copy.deepcopy(release.spec())
    change(spec)
    spec["info"]["version"] = version
    return spec


def _schemas(spec: Spec) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def remove_operation(spec: Spec) -> None:
    del spec["paths"]["/api/QueuedJobs/Cancel"]


def remove_response_field(spec: Spec) -> None:
    del _schemas(spec)["QueuedJob"]["properties"]["OutputFile"]


def add_required_parameter(spec: Spec) -> None:
    spec["paths"]["/api/QueuedJobs/{id}"]["get"].setdefault("parameters", []).append(
        {"name": "warehouseId", "in": "query", "required": True, "schema": {"type": "integer"}}
    )


def narrow_enum(spec: Spec) -> None:
    file_format = _schemas(spec)["FileFormat"]
    file_format["enum"] = [0, 1]
    file_format["x-enum-varnames"] = file_format["x-enum-varnames"][:2]


def change_type(spec: Spec) -> None:
    _schemas(spec)["QueuedJobBasic"]["properties"]["ID"] = {"type": "string", "description": "The job id."}


def change_response_shape(spec: Spec) -> None:
    content = spec["paths"]["/api/QueuedJobs/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    content["schema"] = {"type": "array", "items": content["schema"]}


def add_operation(spec: Spec) -> None:
    item = copy.deepcopy(spec["paths"]["/api/QueuedJobs/{id}"])
    item["get"]["operationId"] = "getQueuedJobAgain"
    spec["paths"]["/api/QueuedJobs/{id}/Again"] = item


def add_optional_response_field(spec: Spec) -> None:
    _schemas(spec)["QueuedJob"]["properties"]["Note"] = {"type": "string", "description": "A note."}


def add_optional_parameter(spec: Spec) -> None:
    spec["paths"]["/api/QueuedJobs/{id}"]["get"].setdefault("parameters", []).append(
        {"name": "verbose", "in": "query", "required": False, "schema": {"type": "boolean"}}
    )


def edit_description(spec: Spec) -> None:
    spec["info"]["description"] += "\nOne more sentence."


BREAKING = [
    remove_operation,
    remove_response_field,
    add_required_parameter,
    narrow_enum,
    change_type,
    change_response_shape,
]
ADDITIVE = [add_operation, add_optional_response_field, add_optional_parameter, edit_description]


@pytest.mark.parametrize("change", BREAKING, ids=lambda f: f.__name__)
def test_a_breaking_change_needs_a_major_bump(tmp_path: Path, change: Callable[[Spec], None]) -> None:
    release = _release(tmp_path)
    minor = releases.judge(VENDOR, _variant(release, "0.3.0", change), release)
    assert minor.diff.breaking, f"optic found nothing breaking in {change.__name__}"
    assert not minor.ok
    assert any("need a major bump" in p for p in minor.problems), minor.problems
    major = releases.judge(VENDOR, _variant(release, "1.0.0", change), release)
    assert major.ok, major.problems
    assert major.diff.breaking  # still reported (the changelog lists it), just allowed


@pytest.mark.parametrize("change", ADDITIVE, ids=lambda f: f.__name__)
def test_an_additive_change_passes_with_a_minor_bump(tmp_path: Path, change: Callable[[Spec], None]) -> None:
    release = _release(tmp_path)
    verdict = releases.judge(VENDOR, _variant(release, "0.3.0", change), release)
    assert verdict.changed
    assert verdict.diff.breaking == []
    assert verdict.ok, verdict.problems


@pytest.mark.parametrize(
    "change", [remove_operation, add_operation, edit_description], ids=lambda f: f.__name__
)
def test_any_change_needs_a_bump(tmp_path: Path, change: Callable[[Spec], None]) -> None:
    release = _release(tmp_path)
    verdict = releases.judge(VENDOR, _variant(release, "0.2.0", change), release)
    assert any("info.version did not" in p for p in verdict.problems), verdict.problems


def test_unchanged_passes_and_a_lower_version_fails(tmp_path: Path) -> None:
    release = _release(tmp_path)
    assert releases.judge(VENDOR, _variant(release, "0.2.0", lambda _: None), release).ok
    lower = releases.judge(VENDOR, _variant(release, "0.1.9", lambda _: None), release)
    assert any("lower than the last release" in p for p in lower.problems)


def test_the_last_release_is_the_highest_version(tmp_path: Path) -> None:
    _release(tmp_path, "0.10.0")
    _release(tmp_path, "0.9.1")
    last = releases.last_release(VENDOR, tmp_path)
    assert last is not None and str(last.version) == "0.10.0"


def test_record_refuses_a_released_version_and_a_breaking_minor(tmp_path: Path) -> None:
    release = _release(tmp_path)
    same = _variant(release, "0.2.0", lambda _: None)
    with pytest.raises(PublishError, match="already released"):
        releases.record(VENDOR, same, tmp_path)
    broken = _variant(release, "0.3.0", remove_operation)
    with pytest.raises(PublishError, match="major bump"):
        releases.record(VENDOR, broken, tmp_path)
    assert not (tmp_path / VENDOR / "0.3.0.json").exists()
    additive = _variant(release, "0.3.0", add_operation)
    assert releases.record(VENDOR, additive, tmp_path) == tmp_path / VENDOR / "0.3.0.json"
    last = releases.last_release(VENDOR, tmp_path)
    assert last is not None and str(last.version) == "0.3.0"


def test_the_committed_specs_pass_the_gate_against_their_releases() -> None:
    """What `make release-gate` checks, here with a verdict per vendor (a vendor that joins later passes
    as unreleased until its first `make release`)."""
    from publisher.build import published_bundle
    from publisher.tools import specs

    for spec in specs():
        verdict = releases.judge(spec.vendor, published_bundle(spec), releases.last_release(spec.vendor))
        assert verdict.ok, verdict.problems


def test_the_changelog_classifies_changes(tmp_path: Path) -> None:
    release = _release(tmp_path)

    def remove_and_add(spec: Spec) -> None:
        remove_operation(spec)
        add_operation(spec)

    head = _variant(release, "1.0.0", remove_and_add)
    text = releases.changelog([releases.judge(VENDOR, head, release)])
    breaking, additive = text.split("### Breaking", 1)[1].split("### Non-breaking", 1)
    assert "PUT /api/QueuedJobs/Cancel" in breaking and "cannot remove an operation" in breaking
    assert "GET /api/QueuedJobs/{id}/Again: added" in additive
