"""Contract (targeted): the SelSup responses a fuzzer can't reach on its own (a task's whole lifecycle, the
result download, 403, both 400 shapes, 500), validated against specs/selsup.yaml; the fuzzing is
`test_contract.py` (row "selsup" of `harness.CONTRACTS`). The simulator reads the operations' parameters from
the spec, so the request side agrees by construction; the fuzzing mostly checks the responses (statuses, media
types, bodies) and that invalid input is refused.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sellerkit.testing.selsup import SelsupSimulator
from tests.contract.harness import case as vendor_case
from tests.contract.harness import validate

FIND = "/api/task/findTask"
CANCEL = "/api/task/cancelTask"
FILES = "/api/files/file"
STOCKS = "/api/export/stocksFile"
PRODUCTS = "/api/export/getProductsFile"

_case = partial(vendor_case, "selsup")


def _find(sim: SelsupSimulator, task_id: int) -> dict[str, Any]:
    body: dict[str, Any] = validate(sim, _case("GET", FIND, query={"id": task_id})).json()
    return body


@pytest.mark.parametrize(
    "outcome", ["FINISHED", "ERROR", "EXCEPTION", "INTERRUPTED", "STOPPED", "RESTARTING"]
)
def test_task_lifecycle_conforms(make_selsup_sim: Any, outcome: str) -> None:
    sim = make_selsup_sim(outcome=outcome)
    task = validate(sim, _case("POST", STOCKS, query={"warehouseId": 3, "byCell": "true"})).json()
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
        download = validate(sim, _case("GET", FILES, query={"path": final["file"]}))
        assert download.content == sim.task_file(task["id"]).data
    else:
        assert final["url"] is None and final["message"]


def test_cancel_conforms(selsup_sim: SelsupSimulator) -> None:
    task = validate(selsup_sim, _case("POST", PRODUCTS, body={"limit": 10}, media_type="application/json"))
    task_id = task.json()["id"]
    selsup_sim.clock.advance(2.0)
    assert validate(selsup_sim, _case("POST", CANCEL, query={"taskId": task_id})).status_code == 200
    assert _find(selsup_sim, task_id)["rows"][0]["status"] == "INTERRUPTING"
    selsup_sim.clock.advance(selsup_sim.settings.interrupt_seconds)
    assert _find(selsup_sim, task_id)["rows"][0]["status"] == "INTERRUPTED"
    unknown = validate(selsup_sim, _case("POST", CANCEL, query={"taskId": 1}))
    assert unknown.status_code == 400 and unknown.json()["error"] == "TASK_NOT_FOUND"


def test_unknown_task_is_an_empty_page(selsup_sim: SelsupSimulator) -> None:
    assert _find(selsup_sim, 42) == {"rows": [], "page": 1, "total": 0}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}], ids=["no-key", "wrong-key"])
def test_forbidden_conforms(selsup_sim: SelsupSimulator, headers: dict[str, str]) -> None:
    response = validate(selsup_sim, _case("GET", FIND, query={"id": 1}), headers=headers)
    assert response.status_code == 403
    assert response.json() == {"error": "ACCESS_DENIED"}


@pytest.mark.parametrize("shape", ["current", "legacy"])
def test_bad_request_shapes_conform(make_selsup_sim: Any, shape: str) -> None:
    sim = make_selsup_sim(error_shape=shape)
    response = validate(sim, _case("GET", "/api/export/wildberriesSpec", query={}))
    assert response.status_code == 400
    keys = {"error", "localMessage", "params"} if shape == "current" else {"message", "messageParams"}
    assert set(response.json()) == keys


def test_server_error_conforms(selsup_sim: SelsupSimulator) -> None:
    selsup_sim.faults.add("server_error")
    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    response = validate(selsup_sim, _case("GET", FIND, query={"id": 1}), checks=checks)
    assert response.status_code == 500
    assert set(response.json()) == {"error", "message", "system"}


def test_ozon_invoice_404_conforms(make_selsup_sim: Any) -> None:
    sim = make_selsup_sim(ozon_invoice_missing=(7,))
    response = validate(sim, _case("GET", "/api/export/ozonInvoice", query={"orderId": 7}))
    assert response.status_code == 404


def test_plain_value_operations_conform(selsup_sim: SelsupSimulator) -> None:
    cards = validate(selsup_sim, _case("POST", "/api/export/createCards", query={"orderId": 5}))
    assert cards.headers["content-type"][0].startswith("text/plain") and "5" in cards.text
    auth = _case(
        "POST",
        "/api/export/checkCommerceMlAuth",
        query={"url": "https://shop.test", "login": "a", "password": "b"},
    )
    assert validate(selsup_sim, auth).json() is True
