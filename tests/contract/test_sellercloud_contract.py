"""Contract (targeted): the Sellercloud responses a fuzzer can't reach on its own (a job's whole lifecycle,
every output-file shape, 400, 401, 404, 429, 500), validated against specs/sellercloud.yaml; the fuzzing is
`test_contract.py` (row "sellercloud" of `harness.CONTRACTS`).

Statuses the simulator sends on purpose that the spec does not declare yet go into
`harness.SELLERCLOUD_SPEC_GAPS` (empty since spec 0.2.0 declared the 400s and 404s).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from sellerkit.testing.sellercloud import OUTCOMES, SellercloudSimulator, job_id_from_link
from tests.contract import sellercloud_paths as paths
from tests.contract.harness import CONTRACTS, RESPONSE_CHECKS, Case, declared, validate
from tests.contract.harness import case as vendor_case

PLUGIN = "ProductExportDefault"

_case = partial(vendor_case, "sellercloud")
_declared = partial(declared, CONTRACTS["sellercloud"].schema)


def _export_case(path: str = paths.EXPORT, ids: list[str] | None = None, file_format: int = 1) -> Case:
    body = {"PluginProfileKey": PLUGIN, "FileFormat": file_format, "ProductIds": ids or ["SKU-1", "SKU-2"]}
    return _case("POST", path, body=body, media_type="application/json")


def _job_case(job_id: int) -> Case:
    return _case("GET", paths.JOB, path_parameters={"id": job_id})


def _queue(sim: SellercloudSimulator, ids: list[str] | None = None, file_format: int = 1) -> int:
    body = validate(sim, _export_case(ids=ids, file_format=file_format)).json()
    return job_id_from_link(body if isinstance(body, str) else body["QueuedJobLink"])


def test_token_conforms(sellercloud_sim: SellercloudSimulator) -> None:
    case = _case("POST", paths.TOKEN, body=sellercloud_sim.credentials, media_type="application/json")
    granted = validate(sellercloud_sim, case, headers={}).json()
    assert granted["expires_in"] == 1800 and granted["token_type"] == "Bearer"
    wrong = _case(
        "POST", paths.TOKEN, body={"Username": "someone", "Password": "nope"}, media_type="application/json"
    )
    assert validate(sellercloud_sim, wrong, headers={}).status_code == 401


def test_metadata_conforms(sellercloud_sim: SellercloudSimulator) -> None:
    assert (
        validate(sellercloud_sim, _case("GET", paths.PLUGIN_METADATA)).json()["Plugins"][0]["Key"] == PLUGIN
    )
    assert validate(sellercloud_sim, _case("GET", paths.CUSTOM_METADATA)).json()["Columns"]


@pytest.mark.parametrize("link_shape", ["object", "string"])
@pytest.mark.parametrize("path", [paths.EXPORT, paths.EXPORT_DOCS_PATH])
def test_exports_conform_at_both_paths(make_sellercloud_sim: Any, path: str, link_shape: str) -> None:
    sim = make_sellercloud_sim(link_shape=link_shape)
    body = validate(sim, _export_case(path)).json()
    link = body if link_shape == "string" else body["QueuedJobLink"]
    assert job_id_from_link(link) == sim.settings.first_job_id


def test_job_lifecycle_conforms(sellercloud_sim: SellercloudSimulator) -> None:
    job_id = _queue(sellercloud_sim, [f"SKU-{i}" for i in range(4)])
    statuses = []
    for _ in range(6):
        statuses.append(validate(sellercloud_sim, _job_case(job_id)).json()["Basic"]["Status"])
        sellercloud_sim.clock.advance(1.0)
    assert statuses == [0, 1, 1, 1, 3, 3]
    logs = _case("GET", paths.LOGS, path_parameters={"id": job_id}, query={"pageNumber": 1, "pageSize": 50})
    assert validate(sellercloud_sim, logs).json()["TotalResults"] == 7


@pytest.mark.parametrize("outcome", [o for o in OUTCOMES if o != "completed"])
def test_other_outcomes_conform(sellercloud_sim: SellercloudSimulator, outcome: str) -> None:
    job_id = _queue(sellercloud_sim)
    sellercloud_sim.set_outcome(job_id, outcome)
    sellercloud_sim.clock.advance(10.0)
    assert validate(sellercloud_sim, _job_case(job_id)).json()["Basic"]["Status"] in range(11)


@pytest.mark.parametrize("running", [False, True])
def test_cancel_conforms(sellercloud_sim: SellercloudSimulator, running: bool) -> None:
    job_id = _queue(sellercloud_sim)
    sellercloud_sim.clock.advance(1.5 if running else 0.0)
    assert validate(sellercloud_sim, _case("PUT", paths.CANCEL, query={"id": job_id})).status_code == 200
    assert validate(sellercloud_sim, _job_case(job_id)).json()["Basic"]["Status"] == (10 if running else 7)


@pytest.mark.parametrize("file_format", [0, 1, 2])
@pytest.mark.parametrize("shape", ["base64_json", "file_content", "raw"])
def test_output_file_shapes_conform(make_sellercloud_sim: Any, shape: str, file_format: int) -> None:
    sim = make_sellercloud_sim(output_shape=shape)
    job_id = _queue(sim, file_format=file_format)
    sim.clock.advance(4.0)
    response = validate(sim, _case("GET", paths.OUTPUT, query={"id": job_id}))
    assert response.status_code == 200 and response.content


@pytest.mark.parametrize("answer", ["job", "file"])
def test_basic_and_custom_exports_conform(make_sellercloud_sim: Any, answer: str) -> None:
    sim = make_sellercloud_sim(basic_response=answer, custom_response=answer)
    basic = _case(
        "POST",
        paths.BASIC,
        body={"StandardExportKind": 14, "ProductIds": ["A"]},
        media_type="application/json",
    )
    custom_body = {"ProductIds": ["A"], "Columns": ["ProductID", "UPC"], "FileFormat": 2}
    custom = _case("POST", paths.CUSTOM, body=custom_body, media_type="application/json")
    for case in (basic, custom):
        body = validate(sim, case).json()
        assert ("Content" in body) == (answer == "file")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", paths.PLUGIN_METADATA, {}),
        ("POST", paths.EXPORT, {"body": {"PluginProfileKey": PLUGIN, "ProductIds": ["A"]}}),
        ("GET", paths.JOB, {"path_parameters": {"id": 2206923}}),
        ("GET", paths.OUTPUT, {"query": {"id": 2206923}}),
        ("PUT", paths.CANCEL, {"query": {"id": 2206923}}),
    ],
)
@pytest.mark.parametrize("auth", ["none", "garbage", "expired"])
def test_unauthorized_conforms(
    sellercloud_sim: SellercloudSimulator, method: str, path: str, kwargs: dict[str, Any], auth: str
) -> None:
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "expired": sellercloud_sim.auth_headers(sellercloud_sim.token(ttl=0)),
    }[auth]
    media = {"media_type": "application/json"} if "body" in kwargs else {}
    response = validate(sellercloud_sim, _case(method, path, **kwargs, **media), headers=headers)
    assert response.status_code == 401


def test_rate_limit_conforms(make_sellercloud_sim: Any) -> None:
    sim = make_sellercloud_sim(rate_limit=2)
    headers = sim.auth_headers()
    for _ in range(2):
        assert validate(sim, _case("GET", paths.PLUGIN_METADATA), headers).status_code == 200
    throttled = validate(sim, _case("GET", paths.PLUGIN_METADATA), headers)
    assert throttled.status_code == 429 and throttled.json()["Error"] == "Too many requests."
    token = _case("POST", paths.TOKEN, body=sim.credentials, media_type="application/json")
    assert validate(sim, token, headers={}).status_code == 429  # every endpoint, the token one included


def test_throttle_fault_conforms(sellercloud_sim: SellercloudSimulator) -> None:
    sellercloud_sim.faults.add("throttle", reset_in=30)
    assert validate(sellercloud_sim, _job_case(2206923)).status_code == 429


def test_server_error_conforms(sellercloud_sim: SellercloudSimulator) -> None:
    sellercloud_sim.faults.add("status", status=500, body={"Message": "An error has occurred."})
    case = _case("GET", paths.PLUGIN_METADATA)
    # every check but not_a_server_error: the 500 is the point
    response = validate(sellercloud_sim, case, checks=RESPONSE_CHECKS[1:])
    assert response.status_code == 500


# ---- error statuses the docs don't name (400, 404): declared as inferred in the spec since 0.2.0


def _error_cases(sim: SellercloudSimulator) -> dict[tuple[str, str, int], tuple[Case, dict[str, str]]]:
    """One request per inferred 400/404, as a case of the operation it goes to (with its headers)."""
    job_id = _queue(sim)  # queued, not finished: it has no output file yet
    auth = sim.auth_headers()
    bad_body = {"PluginProfileKey": "no-such-plugin", "ProductIds": ["A"]}
    json_body = {"media_type": "application/json"}
    return {
        ("POST", paths.TOKEN, 400): (_case("POST", paths.TOKEN, body={"Username": 1}, **json_body), {}),
        ("POST", paths.EXPORT, 400): (_case("POST", paths.EXPORT, body=bad_body, **json_body), auth),
        ("POST", paths.EXPORT_DOCS_PATH, 400): (
            _case("POST", paths.EXPORT_DOCS_PATH, body={**bad_body, "ProductIds": []}, **json_body),
            auth,
        ),
        ("POST", paths.BASIC, 400): (
            _case("POST", paths.BASIC, body={"StandardExportKind": 15, "ProductIds": ["A"]}, **json_body),
            auth,
        ),
        ("POST", paths.CUSTOM, 400): (
            _case("POST", paths.CUSTOM, body={"ProductIds": ["A"], "Columns": ["Nope"]}, **json_body),
            auth,
        ),
        ("GET", paths.JOB, 404): (_job_case(1), auth),
        ("GET", paths.LOGS, 400): (
            _case("GET", paths.LOGS, path_parameters={"id": job_id}, query={"pageSize": 51}),
            auth,
        ),
        ("GET", paths.LOGS, 404): (_case("GET", paths.LOGS, path_parameters={"id": 1}), auth),
        ("GET", paths.OUTPUT, 400): (_case("GET", paths.OUTPUT, query={}), auth),
        ("GET", paths.OUTPUT, 404): (_case("GET", paths.OUTPUT, query={"id": job_id}), auth),
        ("PUT", paths.CANCEL, 400): (_case("PUT", paths.CANCEL, query={"id": "x"}), auth),
        ("PUT", paths.CANCEL, 404): (_case("PUT", paths.CANCEL, query={"id": 1}), auth),
    }


def test_error_statuses_conform(sellercloud_sim: SellercloudSimulator) -> None:
    """Every 400/404 the simulator sends is declared on its operation, with an ApiError body."""
    for (method, path, status), (case, headers) in _error_cases(sellercloud_sim).items():
        assert str(status) in _declared(method, path), (method, path, status)
        response = validate(sellercloud_sim, case, headers=headers)
        assert response.status_code == status, (method, path)
        assert isinstance(response.json()["Message"], str)


@pytest.mark.parametrize("outcome", ["failed", "cancelled", "on_hold"])
def test_output_file_of_a_job_without_one_conforms(
    sellercloud_sim: SellercloudSimulator, outcome: str
) -> None:
    """Only Completed (3) and PartialSuccess (5) jobs have an output file; the others answer 404."""
    job_id = _queue(sellercloud_sim)
    sellercloud_sim.set_outcome(job_id, outcome)
    sellercloud_sim.clock.advance(10.0)
    status = validate(sellercloud_sim, _job_case(job_id)).json()["Basic"]["Status"]
    assert status not in (3, 5)
    assert validate(sellercloud_sim, _case("GET", paths.OUTPUT, query={"id": job_id})).status_code == 404


def test_spec_declares_unquoted_base64_output(make_sellercloud_sim: Any) -> None:
    """Shape (a)'s other reading: unquoted base64 sent as text/plain (declared after the JSON body)."""
    sim = make_sellercloud_sim(output_shape="base64_text")
    job_id = _queue(sim)
    sim.clock.advance(4.0)
    response = validate(sim, _case("GET", paths.OUTPUT, query={"id": job_id}))
    assert response.status_code == 200
    assert response.headers["content-type"][0].startswith("text/plain")  # schemathesis: one list per header
