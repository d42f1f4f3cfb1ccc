"""The spec gates as tests: each failure names the gate, the rule and the location."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import gates

SPECS = gates.spec_files()
PAYLOADS = gates.payload_files()


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _assert_clean(findings: list[gates.Finding]) -> None:
    assert not findings, "\n" + "\n".join(map(str, findings))


def test_every_vendor_spec_is_present() -> None:
    assert {p.name for p in SPECS} >= {"wabi2b.yaml", "sellercloud.yaml"}
    assert {p.name for p in PAYLOADS} >= {"wabi2b-products.json"}


@pytest.mark.parametrize("spec", SPECS, ids=_ids(SPECS))
def test_openapi_spec_validator(spec: Path) -> None:
    _assert_clean(gates.openapi_findings(spec))


@pytest.mark.parametrize("spec", SPECS, ids=_ids(SPECS))
def test_spec_examples_match_schemas(spec: Path) -> None:
    _assert_clean(gates.spec_example_findings(spec))


@pytest.mark.parametrize("payload", PAYLOADS, ids=_ids(PAYLOADS))
def test_payload_schema_examples_match(payload: Path) -> None:
    _assert_clean(gates.payload_example_findings(payload))


def test_spectral() -> None:
    _assert_clean(gates.spectral_findings(SPECS))


def test_redocly() -> None:
    _assert_clean(gates.redocly_findings(SPECS))


BROKEN = """\
openapi: 3.0.3
info: {title: Broken, version: 1.0.0, description: a spec that breaks every convention}
servers: [{url: "https://api.vendor.invalid/v1"}]
tags: [{name: jobs, description: jobs}]
paths:
  /jobs:
    get:
      operationId: list_jobs
      tags: [jobs]
      description: no summary, no security, no x-source, no error response
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: integer, enum: [0, 1], x-inferred: true}
              example: "not an integer"
"""


def test_gates_catch_a_spec_breaking_the_conventions(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(BROKEN)
    rules = {f.rule for f in gates.spectral_findings([spec])}
    assert {
        "sk-operation-id-camel-case",
        "sk-operation-summary",
        "sk-operation-security",
        "sk-operation-source",
        "sk-operation-error-response",
        "sk-int-enum-varnames",
        "sk-x-inferred-is-a-reason",
    } <= rules
    assert any(f.rule == "example-matches-schema" for f in gates.spec_example_findings(spec))
    assert {"operation-4xx-response", "operation-summary"} <= {f.rule for f in gates.redocly_findings([spec])}
