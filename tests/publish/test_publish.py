"""`make publish` artefacts, built into a scratch folder: bundles, the offline reference, the wheel/sdist."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from publisher import build, docs
from publisher.tools import PROVENANCE_KEY, ROOT, git, operations, specs

VENDORS = [s.vendor for s in specs()]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build.publish(out, ("specs", "docs", "python", "changelog"))
    return out


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


@pytest.mark.parametrize("vendor", VENDORS)
def test_bundles_are_self_contained_with_provenance(dist: Path, vendor: str) -> None:
    data = json.loads((dist / "specs" / f"{vendor}.json").read_text(encoding="utf-8"))
    source = ROOT / "specs" / f"{vendor}.yaml"
    original = yaml.safe_load(source.read_text(encoding="utf-8"))
    assert data["info"]["version"] == original["info"]["version"]
    provenance = data[PROVENANCE_KEY]
    assert provenance["source"] == f"specs/{vendor}.yaml"
    assert provenance["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert provenance["commit"].removesuffix("+dirty") == git("rev-parse", "HEAD")
    assert all(ref.startswith("#/") for ref in _refs(data)), "a bundle has no external $ref"
    # the YAML bundle is the same document (strings such as GTINs stay strings)
    assert yaml.safe_load((dist / "specs" / f"{vendor}.yaml").read_text(encoding="utf-8")) == data
    assert len(operations(data)) == len(operations(original))


@pytest.mark.parametrize("vendor", VENDORS)
def test_reference_pages_reference_no_remote_resource(dist: Path, vendor: str) -> None:
    text = (dist / "docs" / f"{vendor}.html").read_text(encoding="utf-8")
    spec = json.loads((dist / "specs" / f"{vendor}.json").read_text(encoding="utf-8"))
    assert docs.remote_references(text, docs.spec_strings(spec)) == []
    for host in docs.NEUTRALISED_HOSTS:
        assert host not in text
    assert spec["info"]["title"] in text  # the spec itself is inlined, not fetched


@pytest.mark.parametrize(
    "planted",
    [
        '<script src="https://unpkg.com/redoc/bundle.js"></script>',
        '<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Roboto">',
        "<img src='https://cdn.redoc.ly/redoc/logo-mini.svg'>",
        "<style>body { background: url(https://example.net/bg.png) }</style>",
        "<style>@import 'theme.css';</style>",
        "<script>fetch(`https://telemetry.example.net/v1/traces`)</script>",
    ],
)
def test_the_offline_check_catches_a_planted_remote_resource(dist: Path, planted: str) -> None:
    text = (dist / "docs" / "wabi2b.html").read_text(encoding="utf-8")
    spec = json.loads((dist / "specs" / "wabi2b.json").read_text(encoding="utf-8"))
    head, tag, tail = text.rpartition("</body>")  # the page's own closing tag (scripts mention it too)
    assert docs.remote_references(head + planted + tag + tail, docs.spec_strings(spec))


def test_index_lists_every_vendor_version_and_operation_count(dist: Path) -> None:
    index = (dist / "docs" / "index.html").read_text(encoding="utf-8")
    assert docs.remote_references(index, []) == []
    for vendor in VENDORS:
        spec = json.loads((dist / "specs" / f"{vendor}.json").read_text(encoding="utf-8"))
        row = f"<td>{vendor}</td><td>{spec['info']['version']}</td><td>{len(operations(spec))}</td>"
        assert row in index
        assert f'href="{vendor}.html"' in index


def test_changelog_has_a_section_per_spec(dist: Path) -> None:
    changelog = (dist / "CHANGELOG.md").read_text(encoding="utf-8")
    for vendor in VENDORS:
        assert f"## {vendor} " in changelog


def test_publishing_is_deterministic(dist: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build.publish(again, ("specs", "docs", "python", "changelog"))
    assert _tree(again) == _tree(dist)


def test_wheel_and_sdist_merge_both_namespace_halves(dist: Path) -> None:
    wheel = next((dist / "python").glob("sellerkit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for vendor in VENDORS:
        assert f"sellerkit/{vendor}_api/py.typed" in names  # generated half
        assert f"sellerkit/{vendor}/py.typed" in names  # overlay half
        assert f"sellerkit/{vendor}/__init__.py" in names
    sdist = next((dist / "python").glob("sellerkit-*.tar.gz"))
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {"generated/sellerkit/wabi2b_api/py.typed", "overlays/sellerkit/wabi2b/py.typed"} <= members
    assert not any(m.startswith(("tests/", "publisher/")) for m in members)
    # of specs/ only the vendor specs, which the wheel ships for the simulators (sellerkit.testing)
    assert {m for m in members if m.startswith("specs/")} == {f"specs/{v}.yaml" for v in VENDORS}
    assert {f"sellerkit/testing/specs/{v}.yaml" for v in VENDORS} <= names


def test_wheel_installs_into_a_fresh_venv_where_every_vendor_imports(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    wheel = next((dist / "python").glob("sellerkit-*.whl"))
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    modules = [m for v in VENDORS for m in (f"sellerkit.{v}", f"sellerkit.{v}_api")]
    script = (
        "import importlib, json, pathlib\n"
        f"mods = [importlib.import_module(m) for m in {modules!r}]\n"
        "typed = {m.__name__: (pathlib.Path(m.__file__).parent / 'py.typed').exists() for m in mods}\n"
        "print(json.dumps(typed))\n"
    )
    # run outside the repository so nothing resolves to the source tree
    proc = subprocess.run(
        [str(python), "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    found = json.loads(proc.stdout)
    assert found == dict.fromkeys(modules, True)
    location = subprocess.run(
        [str(python), "-c", "import sellerkit.wabi2b as m; print(m.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(venv) in location
