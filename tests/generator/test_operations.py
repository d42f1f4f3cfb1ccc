"""The generated operations tables (`sellerkit.<vendor>_api.operations`) against the specs they come from."""

from __future__ import annotations

import dataclasses
import importlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config import Vendor, load_table
from generator.pipeline import HTTP_METHODS, MANIFEST, GenerationError
from tests.conftest import ROOT
from tests.generator import tiny

TABLE = load_table()


def _spec_operations(spec: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """(operationId, METHOD, path, summary) of every operation, read from the spec itself."""
    return {
        (op["operationId"], method.upper(), path, op.get("summary", ""))
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    }


def _api_modules(package: Path) -> set[str]:
    """`<tag>.<module>` of every operation module the generator wrote."""
    return {f"{p.parent.name}.{p.stem}" for p in (package / "api").glob("*/*.py") if p.name != "__init__.py"}


@pytest.mark.parametrize("vendor", TABLE.vendors, ids=[v.name for v in TABLE.vendors])
def test_every_vendor_table_lists_each_spec_operation_once(vendor: Vendor) -> None:
    ops = importlib.import_module(f"sellerkit.{vendor.package}.operations")
    manifest = json.loads((vendor.output_dir / MANIFEST).read_text())
    assert len(ops.OPERATIONS) == manifest["operations"] > 0
    assert "operations.py" in manifest["files"]
    spec = yaml.safe_load(vendor.spec.read_text())
    listed = {(op.operation_id, op.method, op.path, op.summary) for op in ops.OPERATIONS}
    assert listed == _spec_operations(spec)
    assert {f"{op.tag}.{op.name}" for op in ops.OPERATIONS} == _api_modules(vendor.output_dir)
    for op in ops.OPERATIONS:
        assert op.module.__name__ == f"sellerkit.{vendor.package}.api.{op.tag}.{op.name}"
        assert callable(op.module._get_kwargs)
        assert op.module._get_kwargs.__module__ == op.module.__name__
    assert tuple(sorted(ops.OPERATIONS, key=lambda op: (op.tag, op.name))) == ops.OPERATIONS
    assert {op.operation_id: op for op in ops.OPERATIONS} == ops.BY_ID


@pytest.mark.parametrize("vendor", TABLE.vendors, ids=[v.name for v in TABLE.vendors])
def test_by_tag_and_the_tag_constants_hold_the_same_modules(vendor: Vendor) -> None:
    ops = importlib.import_module(f"sellerkit.{vendor.package}.operations")
    assert list(ops.BY_TAG) == sorted({op.tag for op in ops.OPERATIONS})
    for tag, modules in ops.BY_TAG.items():
        assert getattr(ops, tag.upper()) is modules
        assert modules == tuple(op.module for op in ops.OPERATIONS if op.tag == tag)
    assert [*sorted(set(ops.__all__) - {"Operation"}), "Operation"] == ops.__all__
    assert {name for name in ops.__all__ if name.isupper()} == {t.upper() for t in ops.BY_TAG} | {
        "BY_ID",
        "BY_TAG",
        "OPERATIONS",
    }


def test_the_tables_pass_the_repositorys_own_ruff_rules() -> None:
    # generated/ is excluded from `make lint`; hold the hand-designed tables to its rules anyway
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    tables = [str(v.output_dir / "operations.py") for v in TABLE.vendors]
    rules = ",".join(ruff["lint"]["select"])
    checked = subprocess.run(
        [
            str(Path(sys.executable).parent / "ruff"),
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            rules,
            "--line-length",
            str(ruff["line-length"]),
            "--target-version",
            ruff["target-version"],
            *tables,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout


def test_selsup_groups_match_the_hand_listed_exports_they_replace() -> None:
    # the 8 + 27 modules overlays/sellerkit/selsup/_operations.py listed by hand (issue 8)
    from sellerkit.selsup_api import operations

    assert len(operations.BACKGROUND_EXPORTS) == 8
    assert len(operations.FILE_EXPORTS) == 27
    assert {m.__name__.rsplit(".", 1)[-1] for m in operations.INTEGRATIONS} == {
        "check_commerce_ml_auth",
        "create_marketplace_cards",
    }


def test_sellerscommerce_table_has_the_51_endpoint_rows_and_the_token() -> None:
    from sellerkit.sellerscommerce_api import operations

    assert len(operations.OPERATIONS) == 52
    per_tag = {tag: len(modules) for tag, modules in operations.BY_TAG.items()}
    # the docs' eight endpoint tables (Product 9, Shopper 4, Return 3, Embellishments 2, Category 7,
    # Order 7, PortalAdmin 10, PortalLogin 9) and the token endpoint
    assert per_tag == {
        "authentication": 1,
        "categories": 7,
        "embellishments": 2,
        "orders": 7,
        "portal_admin": 10,
        "portal_login": 9,
        "products": 9,
        "returns": 3,
        "shoppers": 4,
    }
    admin = {op.method for op in operations.OPERATIONS if op.path == "/api/PortalAdmin/Admin"}
    assert admin == {"GET", "POST"}  # two rows share the route
    assert operations.BY_ID["createToken"].path == "/token"


TINY = """\
openapi: 3.0.3
info: {title: Tiny, version: 1.0.0}
tags:
  - {name: File Exports}
  - {name: jobs}
paths:
  /files/{name}:
    get:
      operationId: downloadFile
      tags: [File Exports]
      summary: 'Download a file: "quoted", a backslash \\\\ and ümlauts'
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content: {application/octet-stream: {schema: {type: string, format: binary}}}
  /files:
    post:
      operationId: AddFile
      tags: [File Exports, jobs]
      responses: {"204": {description: done}}
  /jobs/{id}:
    delete:
      operationId: cancelJob
      tags: [jobs]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: cancelled}}
  /health:
    get:
      operationId: ping
      summary: untagged
      responses: {"204": {description: up}}
"""

TINY_PROBE = """
import json
from tiny_api import operations as o
print(json.dumps({
    "rows": [[op.operation_id, op.name, op.tag, op.method, op.path, op.summary, op.module.__name__]
             for op in o.OPERATIONS],
    "by_tag": {tag: [m.__name__ for m in mods] for tag, mods in o.BY_TAG.items()},
    "constants": {name: [m.__name__ for m in getattr(o, name)] for name in o.__all__ if name.isupper()
                  and name not in ("BY_ID", "BY_TAG", "OPERATIONS")},
    "kwargs": o.BY_ID["downloadFile"].module._get_kwargs("a/b"),
}))
"""


def test_a_tiny_spec_becomes_the_table_its_spec_describes(tmp_path: Path) -> None:
    out, operations, _ = tiny.generate(tmp_path, TINY)
    assert operations == 4
    assert (
        (out / "operations.py").read_text().startswith("# Generated by `python -m generator` from tiny.yaml")
    )
    run = tiny.run(out, "-c", TINY_PROBE)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    summary = yaml.safe_load(TINY)["paths"]["/files/{name}"]["get"]["summary"]
    assert {'"', "\\", "ü"} <= set(summary)  # spec text is written as a literal, not pasted into code
    # sorted by tag folder, then module; the first tag only; untagged operations under "default"
    assert got["rows"] == [
        ["ping", "ping", "default", "GET", "/health", "untagged", "tiny_api.api.default.ping"],
        ["AddFile", "add_file", "file_exports", "POST", "/files", "", "tiny_api.api.file_exports.add_file"],
        [
            "downloadFile",
            "download_file",
            "file_exports",
            "GET",
            "/files/{name}",
            summary,
            "tiny_api.api.file_exports.download_file",
        ],
        ["cancelJob", "cancel_job", "jobs", "DELETE", "/jobs/{id}", "", "tiny_api.api.jobs.cancel_job"],
    ]
    assert got["by_tag"] == {
        "default": ["tiny_api.api.default.ping"],
        "file_exports": ["tiny_api.api.file_exports.add_file", "tiny_api.api.file_exports.download_file"],
        "jobs": ["tiny_api.api.jobs.cancel_job"],
    }
    assert got["constants"] == {
        "DEFAULT": got["by_tag"]["default"],
        "FILE_EXPORTS": got["by_tag"]["file_exports"],
        "JOBS": got["by_tag"]["jobs"],
    }
    assert got["kwargs"] == {"method": "get", "url": "/files/a%2Fb"}
    tiny.assert_mypy_strict(out, "tiny_api/operations.py")  # several tags, quotes: still --strict clean


def test_a_tag_that_would_shadow_the_tables_own_names_fails(tmp_path: Path) -> None:
    with pytest.raises(GenerationError, match="BY_TAG would shadow"):
        tiny.generate(tmp_path, TINY.replace("[jobs]", "[By Tag]"))


def test_one_module_under_several_tags_fails_rather_than_listing_it_twice(tmp_path: Path) -> None:
    everywhere = dataclasses.replace(TABLE, opc={**TABLE.opc, "generate_all_tags": True})
    with pytest.raises(GenerationError, match="more than once: add_file"):
        tiny.generate(tmp_path, TINY, everywhere)
