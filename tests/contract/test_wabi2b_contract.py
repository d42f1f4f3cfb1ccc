"""Contract (targeted): the Wabi2b responses a fuzzer can't reach on its own (401, 429, 5XX, In Progress →
Complete), validated against specs/wabi2b.yaml; the fuzzing is `test_contract.py` (row "wabi2b" of
`harness.CONTRACTS`).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sellerkit.testing.wabi2b import DOCS_CALLBACK_CODE, Wabi2bSimulator
from tests.conftest import ROOT
from tests.contract.harness import Case, validate
from tests.contract.harness import case as vendor_case

DOWNLOAD = "/listProductsBulkDownload"
UPLOAD = "/offerProductsForSaleBulkUpload"
_case = partial(vendor_case, "wabi2b")


def _submit_case(file_format: str, gtins: list[str]) -> Case:
    return _case(
        "POST",
        DOWNLOAD,
        headers={"Format": file_format},
        body={"gtins": gtins},
        media_type="application/json",
    )


def _status_case(code: str) -> Case:
    return _case("GET", DOWNLOAD, query={"callBackCode": code})


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_job_lifecycle_conforms(wabi2b_sim: Wabi2bSimulator, file_format: str) -> None:
    submitted = validate(wabi2b_sim, _submit_case(file_format, ["00025000040295", "07501055300075"]))
    code = submitted.json()["callBackCode"]
    waiting = validate(wabi2b_sim, _status_case(code))
    assert waiting.json() == {"seller": "SID-0001", "format": file_format, "status": "In Progress"}
    wabi2b_sim.clock.advance(wabi2b_sim.settings.job_seconds)
    done = validate(wabi2b_sim, _status_case(code)).json()
    assert done["status"] == "Complete"
    assert done["path"].endswith("." + file_format)


def test_docs_example_job_conforms(wabi2b_sim: Wabi2bSimulator) -> None:
    body = validate(wabi2b_sim, _status_case(DOCS_CALLBACK_CODE)).json()
    assert body["path"].endswith(
        "/tmp/short/productDownload/2022-8/23/17/e4c457c01b940ee99a4c4a2e913eb2d9be327dbb.json"
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "nope"}, {"Authorization": "not-a-jwt"}],
    ids=["no-credentials", "bad-key-no-jwt", "bad-jwt-no-key"],
)
def test_unauthorized_conforms(wabi2b_sim: Wabi2bSimulator, headers: dict[str, str]) -> None:
    case = _submit_case("json", ["00025000040295"])
    for name in ("Authorization", "x-api-key"):
        case.headers.pop(name, None)
    response = validate(wabi2b_sim, case, headers=headers)
    assert response.status_code == 401
    assert isinstance(response.json()["message"], str)


def test_quota_429_conforms(make_wabi2b_sim: Any) -> None:
    sim = make_wabi2b_sim(quota_5min=3)
    for _ in range(3):
        assert validate(sim, _status_case(DOCS_CALLBACK_CODE)).status_code == 200
    throttled = validate(sim, _status_case(DOCS_CALLBACK_CODE))
    assert throttled.status_code == 429
    assert "retry-after" not in throttled.headers  # the docs document no Retry-After


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_conform(wabi2b_sim: Wabi2bSimulator, status: int) -> None:
    wabi2b_sim.faults.add("status", status=status)
    # every check but not_a_server_error (the 5XX is the point) and the headers one
    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    response = validate(wabi2b_sim, _status_case(DOCS_CALLBACK_CODE), checks=checks)
    assert response.status_code == status


def test_upload_conforms(wabi2b_sim: Wabi2bSimulator) -> None:
    case = _case("POST", UPLOAD, headers={"format": "json"}, body=[{"gtin": "00025000040295"}] * 3)
    assert validate(wabi2b_sim, case).json()["callBackCode"]
    too_many = _case("POST", UPLOAD, headers={"format": "json"}, body=[{}] * 1001)
    assert validate(wabi2b_sim, too_many).status_code == 400


def test_result_file_matches_payload_schema(wabi2b_sim: Wabi2bSimulator) -> None:
    """The JSON file validates against specs/payloads/wabi2b-products.json (the docs' quirks included)."""
    import jsonschema

    gtins = [f"{7_501_000_000_000 + i:014d}" for i in range(300)] + ["00025000040295"]
    rows = wabi2b_sim.expected_file(gtins, "json").rows()
    payload_schema = json.loads((ROOT / "specs" / "payloads" / "wabi2b-products.json").read_text())
    jsonschema.Draft202012Validator.check_schema(payload_schema)
    errors = list(jsonschema.Draft202012Validator(payload_schema).iter_errors(rows))
    assert errors == []
