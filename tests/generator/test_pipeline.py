"""The generator: deterministic output, the drift gate, skipping unchanged vendors, a tiny spec end to end."""

from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from generator.config import Vendor, load_table, tool_versions
from generator.pipeline import MANIFEST, build, count_operations
from tests.conftest import ROOT
from tests.generator import tiny

TABLE = load_table()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """specs/, generator/ and generated/ copied aside, so tests can edit them freely."""
    root = tmp_path_factory.mktemp("repo")
    for part in ("specs", "generator", "generated"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _run_generator(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=root, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("vendor", TABLE.vendors, ids=[v.name for v in TABLE.vendors])
def test_two_regenerations_are_byte_identical(vendor: Vendor, tmp_path: Path) -> None:
    versions = tool_versions()
    build(TABLE, vendor, tmp_path / "a", versions)
    build(TABLE, vendor, tmp_path / "b", versions)
    first, second = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    # and identical to what is committed (the same thing `--check` verifies)
    assert not filecmp.dircmp(tmp_path / "a", vendor.output_dir).diff_files


@pytest.mark.parametrize("vendor", TABLE.vendors, ids=[v.name for v in TABLE.vendors])
def test_manifest_records_the_inputs(vendor: Vendor) -> None:
    manifest = json.loads((vendor.output_dir / MANIFEST).read_text())
    spec = yaml.safe_load(vendor.spec.read_text())
    assert manifest["spec_sha256"] == hashlib.sha256(vendor.spec.read_bytes()).hexdigest()
    assert manifest["operations"] == count_operations(spec) > 0
    assert manifest["tools"] == tool_versions()
    assert manifest["package"] == f"sellerkit.{vendor.package}"
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((vendor.output_dir / name).read_bytes()).hexdigest() == digest, name


def test_check_fails_naming_the_vendor_after_a_one_character_spec_edit(repo_copy: Path) -> None:
    clean = _run_generator(repo_copy, "--check")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    spec = repo_copy / "specs" / "wabi2b.yaml"
    original = spec.read_text()
    try:
        # one character: the first "summary: L…" gets a different first letter
        idx = original.index("summary: ") + len("summary: ")
        spec.write_text(original[:idx] + ("X" if original[idx] != "X" else "Y") + original[idx + 1 :])
        drift = _run_generator(repo_copy, "--check")
    finally:
        spec.write_text(original)
    assert drift.returncode == 1
    assert "DRIFT wabi2b" in drift.stdout
    assert "DRIFT sellercloud" not in drift.stdout
    assert "changed" in drift.stdout  # the summary lists the files that differ


def test_unchanged_vendors_are_skipped_and_edits_regenerated(repo_copy: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in (repo_copy / "generated").rglob("*") if p.is_file()}
    noop = _run_generator(repo_copy)
    assert noop.returncode == 0, noop.stderr
    assert noop.stdout.count("unchanged") == len(TABLE.vendors), noop.stdout
    assert {p: p.stat().st_mtime_ns for p in before} == before

    # a hand edit to a generated file is not "unchanged": the manifest's file hashes catch it
    victim = repo_copy / "generated" / "sellerkit" / "sellercloud_api" / "client.py"
    pristine = victim.read_bytes()
    victim.write_bytes(pristine + b"# hand edit\n")
    fixed = _run_generator(repo_copy, "--vendor", "sellercloud")
    assert fixed.returncode == 0, fixed.stderr
    assert "written" in fixed.stdout
    assert victim.read_bytes() == pristine


def test_unknown_vendor_is_a_clear_error(repo_copy: Path) -> None:
    proc = _run_generator(repo_copy, "--vendor", "amazon")
    assert proc.returncode == 2
    assert "unknown vendor amazon" in proc.stderr and "wabi2b" in proc.stderr


TINY = """\
openapi: 3.0.3
info: {title: Tiny, version: 1.0.0}
paths:
  /jobs/{id}:
    get:
      operationId: getJob
      security: [{key: []}]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Job"}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: x-api-key}
  schemas:
    Job:
      type: object
      required: [id, status, kind]
      properties:
        id: {type: string}
        status: {type: string, enum: [Running, Done]}
        kind: {type: integer, enum: [0, 1], x-enum-varnames: [PLAIN, FANCY]}
"""

TINY_USE = """
import httpx
from tiny_api import AuthenticatedClient
from tiny_api.api.default import get_job
from tiny_api.models import JobKind, JobStatus

def handler(request):
    assert request.headers["x-api-key"] == "k"
    status = {"7": "Archived"}.get(request.url.path.rsplit("/", 1)[-1], "Done")
    return httpx.Response(200, json={"id": "7", "status": status, "kind": 5})

client = AuthenticatedClient(
    base_url="https://api.tiny.invalid", token="k", prefix="", auth_header_name="x-api-key",
    httpx_args={"transport": httpx.MockTransport(handler)},
)
job = get_job.sync("7", client=client)
# values the vendor adds later are kept, not raised on
assert job.status == "Archived" and not job.status.is_known, job.status
assert job.kind == 5 and not job.kind.is_known, job.kind
assert JobStatus("Done") is JobStatus.DONE and JobStatus.DONE.is_known and JobKind(1) is JobKind.FANCY
assert job.to_dict() == {"id": "7", "status": "Archived", "kind": 5}
print("ok")
"""


def test_tiny_spec_generates_imports_and_runs(tmp_path: Path) -> None:
    out, operations, files = tiny.generate(tmp_path, TINY)
    assert operations == 1 and files > 5
    assert (out / "py.typed").exists()
    for source in out.rglob("*.py"):
        assert source.read_text().startswith("# Generated by `python -m generator` from tiny.yaml"), source
    run = tiny.run(out, "-c", TINY_USE)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
    tiny.assert_mypy_strict(out)
    assert httpx.__version__  # the generated client runs on the pinned httpx


def test_payload_models_decode_the_docs_example_and_keep_unknown_enum_values() -> None:
    import msgspec

    from sellerkit.wabi2b_api.payloads.products import MediaType, ProductBulkDownloadFile, PublishStatus

    schema = json.loads((ROOT / "specs" / "payloads" / "wabi2b-products.json").read_text())
    (rows,) = schema["examples"]
    rows[0]["publishStatus"] = "Archived"  # a value the docs don't list
    rows[0]["media"][0]["type"] = "Product Video"
    (product,) = msgspec.json.decode(json.dumps(rows), type=ProductBulkDownloadFile)
    assert product.product_name is None and product.brand == "Super Chips Co"
    assert product.publish_status == "Archived" and not product.publish_status.is_known
    assert isinstance(product.publish_status, PublishStatus)
    assert isinstance(product.media, list)
    assert product.media[0].type == "Product Video" and not product.media[0].type.is_known
    assert MediaType("Product Image") is MediaType.PRODUCT_IMAGE and MediaType.PRODUCT_IMAGE.is_known
