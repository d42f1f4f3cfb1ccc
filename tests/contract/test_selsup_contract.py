"""Contract: specs/selsup.yaml against the SelSup simulator over real HTTP (schemathesis), plus the responses
a fuzzer can't reach on its own (a task's whole lifecycle, the result download, 403, both 400 shapes, 500).

A failure here means the spec, the simulator or the docs disagree: fix the simulator when it breaks the docs,
report the spec when it contradicts them. The simulator reads the operations' parameters from the spec, so
the request side agrees by construction; the fuzzing mostly checks the responses (statuses, media types,
bodies) and that invalid input is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    CheckContext,
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.conftest import ROOT
from tests.simulators.framework import ScaledClock
from tests.simulators.selsup import SelsupSettings, SelsupSimulator

SPEC = ROOT / "specs" / "selsup.yaml"
FIND = "/api/task/findTask"
CANCEL = "/api/task/cancelTask"
FILES = "/api/files/file"
STOCKS = "/api/export/stocksFile"
PRODUCTS = "/api/export/getProductsFile"

# Explicit checks (the defaults include probes that don't apply to a file-backed spec, see toolchain notes §6)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def _neutralized(mutation: Any) -> bool:
    """A negative mutation the request doesn't carry or the API rightly ignores: the only header the spec has
    is Authorization, which every call here sets itself; undeclared query parameters are ignored (Spring)."""
    location = str(getattr(mutation.parameter_location, "value", mutation.parameter_location))
    if location == "header":
        return True
    return location in ("query", "cookie") and "additionalProperties" in mutation.keywords


def negative_data_rejection_for_spring(ctx: CheckContext, response: Any, case: Any) -> bool | None:
    """negative_data_rejection, except for cases whose every mutation is _neutralized."""
    meta = case.meta
    mutations = getattr(getattr(meta, "phase", None), "data", None)
    mutations = getattr(mutations, "mutations", ())
    if mutations and all(_neutralized(m) for m in mutations):
        return None
    result: bool | None = negative_data_rejection(ctx, response, case)
    return result


# positive_data_acceptance is left out on purpose: an unknown task id or file path is a valid value the
# simulator must still refuse (400).
FUZZ_CHECKS = [*CHECKS, negative_data_rejection_for_spring, unsupported_method]

schema = schemathesis.openapi.from_path(SPEC)
# the coverage phase enumerates every parameter of every operation (getOrderProduct has 80): too slow here
schema.config.phases.coverage.enabled = False
Case = schemathesis.Case[Any]


@pytest.fixture(scope="module")
def contract_sim() -> Iterator[SelsupSimulator]:
    """One simulator for the fuzzed cases (module-scoped: Hypothesis reruns the test body per example)."""
    sim = SelsupSimulator(ScaledClock.manual(), SelsupSettings(queue_seconds=0.5, task_seconds=1.0))
    with sim.running():
        yield sim


def _call(sim: SelsupSimulator, case: Case, checks: list[Any] = CHECKS) -> Any:
    sim.clock.advance(1.0)  # tasks move along between cases
    return case.call_and_validate(
        base_url=sim.base_url, headers=sim.auth_headers(), checks=checks, timeout=10
    )


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # fixed seed: the same cases on every run
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_spec_conforms(case: Case, contract_sim: SelsupSimulator) -> None:
    _call(contract_sim, case, FUZZ_CHECKS)


@schema.parametrize()
@settings(
    max_examples=3, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_auth_is_enforced(case: Case, contract_sim: SelsupSimulator) -> None:
    """ignored_auth: the same call without (or with a wrong) API key must be refused (403)."""
    _call(contract_sim, case, [*CHECKS, ignored_auth])


# ---- responses the fuzzer can't reach on its own, validated against the spec


def _case(method: str, path: str, **kwargs: Any) -> Case:
    return schema[path][method].Case(**kwargs)


def _validate(sim: SelsupSimulator, case: Case, headers: dict[str, str] | None = None) -> Any:
    response = case.call(
        base_url=sim.base_url, headers=sim.auth_headers() if headers is None else headers, timeout=10
    )
    case.validate_response(response, checks=CHECKS)
    return response


def _find(sim: SelsupSimulator, task_id: int) -> dict[str, Any]:
    body: dict[str, Any] = _validate(sim, _case("GET", FIND, query={"id": task_id})).json()
    return body


@pytest.mark.parametrize(
    "outcome", ["FINISHED", "ERROR", "EXCEPTION", "INTERRUPTED", "STOPPED", "RESTARTING"]
)
def test_task_lifecycle_conforms(make_selsup_sim: Any, outcome: str) -> None:
    sim = make_selsup_sim(outcome=outcome)
    task = _validate(sim, _case("POST", STOCKS, query={"warehouseId": 3, "byCell": "true"})).json()
    assert task["status"] == "CREATED"
    seen = set()
    for _ in range(16):
        sim.clock.advance(0.5)
        page = _find(sim, task["id"])
        assert page["total"] == 1
        seen.add(page["rows"][0]["status"])
    final = page["rows"][0]
    assert final["status"] == ("FINISHED" if outcome == "RESTARTING" else outcome)
    assert "RUNNING" in seen
    if final["status"] == "FINISHED":
        download = _validate(sim, _case("GET", FILES, query={"path": final["file"]}))
        assert download.content == sim.task_file(task["id"]).data
    else:
        assert final["url"] is None and final["message"]


def test_cancel_conforms(selsup_sim: SelsupSimulator) -> None:
    task = _validate(selsup_sim, _case("POST", PRODUCTS, body={"limit": 10}, media_type="application/json"))
    task_id = task.json()["id"]
    selsup_sim.clock.advance(2.0)
    assert _validate(selsup_sim, _case("POST", CANCEL, query={"taskId": task_id})).status_code == 200
    assert _find(selsup_sim, task_id)["rows"][0]["status"] == "INTERRUPTING"
    selsup_sim.clock.advance(selsup_sim.settings.interrupt_seconds)
    assert _find(selsup_sim, task_id)["rows"][0]["status"] == "INTERRUPTED"
    unknown = _validate(selsup_sim, _case("POST", CANCEL, query={"taskId": 1}))
    assert unknown.status_code == 400 and unknown.json()["error"] == "TASK_NOT_FOUND"


def test_unknown_task_is_an_empty_page(selsup_sim: SelsupSimulator) -> None:
    assert _find(selsup_sim, 42) == {"rows": [], "page": 1, "total": 0}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}], ids=["no-key", "wrong-key"])
def test_forbidden_conforms(selsup_sim: SelsupSimulator, headers: dict[str, str]) -> None:
    response = _validate(selsup_sim, _case("GET", FIND, query={"id": 1}), headers=headers)
    assert response.status_code == 403
    assert response.json() == {"error": "ACCESS_DENIED"}


@pytest.mark.parametrize("shape", ["current", "legacy"])
def test_bad_request_shapes_conform(make_selsup_sim: Any, shape: str) -> None:
    sim = make_selsup_sim(error_shape=shape)
    response = _validate(sim, _case("GET", "/api/export/wildberriesSpec", query={}))
    assert response.status_code == 400
    keys = {"error", "localMessage", "params"} if shape == "current" else {"message", "messageParams"}
    assert set(response.json()) == keys


def test_server_error_conforms(selsup_sim: SelsupSimulator) -> None:
    selsup_sim.faults.add("server_error")
    case = _case("GET", FIND, query={"id": 1})
    response = case.call(base_url=selsup_sim.base_url, headers=selsup_sim.auth_headers(), timeout=10)
    case.validate_response(
        response, checks=[status_code_conformance, content_type_conformance, response_schema_conformance]
    )
    assert response.status_code == 500
    assert set(response.json()) == {"error", "message", "system"}


def test_ozon_invoice_404_conforms(make_selsup_sim: Any) -> None:
    sim = make_selsup_sim(ozon_invoice_missing=(7,))
    response = _validate(sim, _case("GET", "/api/export/ozonInvoice", query={"orderId": 7}))
    assert response.status_code == 404


def test_plain_value_operations_conform(selsup_sim: SelsupSimulator) -> None:
    cards = _validate(selsup_sim, _case("POST", "/api/export/createCards", query={"orderId": 5}))
    assert cards.headers["content-type"][0].startswith("text/plain") and "5" in cards.text
    auth = _case(
        "POST",
        "/api/export/checkCommerceMlAuth",
        query={"url": "https://shop.test", "login": "a", "password": "b"},
    )
    assert _validate(selsup_sim, auth).json() is True
