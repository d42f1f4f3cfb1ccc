"""Behaviour of the SelSup simulator the spec can't express: task lifecycles (every failure status, restart,
cancel), real files of the right kind from every file export and task, deterministic bytes and their sha256,
large-file streaming with ranges, both error shapes and the vendor faults."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from typing import Any

import httpx
import pytest

from sellerkit.testing.selsup import (
    FAILURE_STATUSES,
    FILE_OPERATIONS,
    OPERATIONS,
    TASK_OPERATIONS,
    Operation,
    SelsupSimulator,
    large_file_sha256,
    render_file,
)

FIND = "/api/task/findTask"
CANCEL = "/api/task/cancelTask"
FILES = "/api/files/file"


def _required_params(op: Operation) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for param in op.params:
        if not param.required:
            continue
        if param.enum:
            value: Any = param.enum[1] if len(param.enum) > 1 else param.enum[0]
        elif param.type == "integer":
            value = 7
        elif param.type == "boolean":
            value = True
        elif param.name == "url":
            value = "https://shop.test/exchange"
        else:
            value = "x"
        params[param.name] = value
    return params


def _wire(params: dict[str, Any]) -> dict[str, Any]:
    return {k: ("true" if v is True else "false" if v is False else v) for k, v in params.items()}


def _call(sim: SelsupSimulator, operation_id: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
    op = OPERATIONS[operation_id]
    if params is None:
        params = _required_params(op)
    if op.body is not None and "json" not in kw:
        kw["json"] = {}
    headers = kw.pop("headers", sim.auth_headers())
    return httpx.request(
        op.method, sim.base_url + op.path, params=_wire(params), headers=headers, timeout=10, **kw
    )


def _task(sim: SelsupSimulator, task_id: int) -> dict[str, Any]:
    page = httpx.get(sim.base_url + FIND, params={"id": task_id}, headers=sim.auth_headers(), timeout=10)
    assert page.status_code == 200
    row: dict[str, Any] = page.json()["rows"][0]
    return row


def _start(sim: SelsupSimulator, operation_id: str = "exportStocksFile") -> int:
    response = _call(sim, operation_id)
    assert response.status_code == 200, response.text
    task_id: int = response.json()["id"]
    return task_id


def _check_kind(kind: str, data: bytes) -> None:
    if kind in ("xlsx", "zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
            if kind == "xlsx":
                assert "xl/worksheets/sheet1.xml" in names and "[Content_Types].xml" in names
            else:
                assert names and all(name.endswith(".png") for name in names)
                assert all(archive.read(name).startswith(b"\x89PNG\r\n\x1a\n") for name in names)
    elif kind == "pdf":
        assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
        startxref = int(data.rsplit(b"startxref", 1)[1].split()[0])
        assert data[startxref:].startswith(b"xref")
    else:
        assert kind == "xml" and data.startswith(b"<?xml")


# ---- tasks


def test_task_runs_created_running_finished(selsup_sim: SelsupSimulator) -> None:
    task_id = _start(selsup_sim)
    assert _task(selsup_sim, task_id)["status"] == "CREATED"
    selsup_sim.clock.advance(selsup_sim.settings.queue_seconds)
    progress = []
    for _ in range(3):
        row = _task(selsup_sim, task_id)
        assert row["status"] == "RUNNING" and row["startDate"] and row["url"] is None
        progress.append(row["progress"])
        selsup_sim.clock.advance(0.9)
    assert progress == sorted(progress) and progress[0] < progress[-1] < 100
    selsup_sim.clock.advance(1.0)
    done = _task(selsup_sim, task_id)
    assert done["status"] == "FINISHED" and done["progress"] == 100 and done["finishDate"]
    assert done["file"] == f"export/{task_id}/stocksFile_{task_id}.xlsx"
    assert done["url"] == f"{selsup_sim.origin}{FILES}?path={done['file']}"


@pytest.mark.parametrize("status", sorted(FAILURE_STATUSES))
def test_failure_outcome_setting(make_selsup_sim: Any, status: str) -> None:
    sim = make_selsup_sim(outcome=status, error_message="boom")
    task_id = _start(sim)
    sim.clock.advance(sim.settings.queue_seconds + sim.settings.task_seconds / 2)
    row = _task(sim, task_id)
    assert row["status"] == status and row["url"] is None and row["file"] is None
    assert row["message"] == "boom"
    assert row["progress"] == 50


def test_per_task_controls(selsup_sim: SelsupSimulator) -> None:
    failed, finished, stuck, restarted = (_start(selsup_sim) for _ in range(4))
    selsup_sim.fail(failed, "EXCEPTION", "no stock")
    selsup_sim.complete(finished)
    selsup_sim.stall(stuck)
    selsup_sim.set_outcome(restarted, "RESTARTING")
    assert _task(selsup_sim, failed)["status"] == "EXCEPTION"
    assert _task(selsup_sim, failed)["message"] == "no stock"
    assert _task(selsup_sim, finished)["status"] == "FINISHED"
    selsup_sim.complete(failed)  # terminal: no-op
    assert selsup_sim.task_status(failed) == "EXCEPTION"
    selsup_sim.clock.advance(2.5)  # halfway
    assert _task(selsup_sim, restarted)["status"] == "RESTARTING"
    assert _task(selsup_sim, restarted)["retryNumber"] == 1
    selsup_sim.clock.advance(1000)
    assert _task(selsup_sim, stuck)["status"] == "RUNNING" and _task(selsup_sim, stuck)["progress"] == 50
    assert _task(selsup_sim, restarted)["status"] == "FINISHED"


def test_cancel_interrupts_then_no_op(selsup_sim: SelsupSimulator) -> None:
    task_id = _start(selsup_sim)
    selsup_sim.clock.advance(2.0)
    response = httpx.post(
        selsup_sim.base_url + CANCEL, params={"taskId": task_id}, headers=selsup_sim.auth_headers()
    )
    assert response.status_code == 200
    row = _task(selsup_sim, task_id)
    assert row["status"] == "INTERRUPTING" and row["progress"] == 33
    selsup_sim.clock.advance(1.0)
    assert _task(selsup_sim, task_id)["status"] == "INTERRUPTED"
    assert _task(selsup_sim, task_id)["message"] == "Задача прервана пользователем"
    assert selsup_sim.stats.cancels == 1
    finished = _start(selsup_sim)
    selsup_sim.complete(finished)
    assert selsup_sim.cancel(finished) == "FINISHED"


@pytest.mark.parametrize("operation_id", sorted(TASK_OPERATIONS))
def test_task_result_files(selsup_sim: SelsupSimulator, operation_id: str) -> None:
    response = _call(selsup_sim, operation_id)
    task_id = response.json()["id"]
    assert response.json()["type"] == TASK_OPERATIONS[operation_id][0]
    selsup_sim.complete(task_id)
    row = _task(selsup_sim, task_id)
    expected = selsup_sim.task_file(task_id)
    if expected is None:
        assert TASK_OPERATIONS[operation_id][1] is None
        assert row["url"] is None and row["file"] is None
        return
    by_url = httpx.get(row["url"], headers=selsup_sim.auth_headers())
    by_path = httpx.get(
        selsup_sim.base_url + FILES, params={"path": row["file"]}, headers=selsup_sim.auth_headers()
    )
    for download in (by_url, by_path):
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == selsup_sim.task_file_sha256(task_id)
        assert download.headers["content-type"] == "application/octet-stream"
        assert f'filename="{expected.filename}"' in download.headers["content-disposition"]
    _check_kind("xlsx", by_url.content)


def test_unfinished_or_unknown_file_is_400(selsup_sim: SelsupSimulator) -> None:
    task_id = _start(selsup_sim)
    path = f"export/{task_id}/stocksFile_{task_id}.xlsx"
    for candidate in (path, "export/1/nope.xlsx", "../etc/passwd"):
        response = httpx.get(
            selsup_sim.base_url + FILES, params={"path": candidate}, headers=selsup_sim.auth_headers()
        )
        assert response.status_code == 400 and response.json()["error"] == "FILE_NOT_FOUND"


def test_direct_url_style(make_selsup_sim: Any) -> None:
    sim = make_selsup_sim(url_style="direct")
    task_id = _start(sim, "exportModelsFile")
    sim.complete(task_id)
    row = _task(sim, task_id)
    assert row["url"] == f"{sim.origin}/files/{row['file']}"
    download = httpx.get(row["url"])  # a plain link: no API key needed
    assert download.status_code == 200 and download.content == sim.task_file(task_id).data


# ---- file exports


@pytest.mark.parametrize("operation_id", FILE_OPERATIONS)
def test_file_exports_serve_real_files(selsup_sim: SelsupSimulator, operation_id: str) -> None:
    params = _required_params(OPERATIONS[operation_id])
    response = _call(selsup_sim, operation_id, params)
    assert response.status_code == 200, response.text
    expected = selsup_sim.expected_file(operation_id, params)
    assert response.content == expected.data
    assert hashlib.sha256(response.content).hexdigest() == selsup_sim.file_sha256(operation_id, params)
    assert int(response.headers["content-length"]) == expected.size
    assert re.fullmatch(r'attachment; filename="[\w.]+"', response.headers["content-disposition"])
    assert response.headers["content-disposition"].endswith(f'.{expected.kind}"')
    binary = OPERATIONS[operation_id].kind == "binary"
    assert response.headers["content-type"] == ("application/octet-stream" if binary else expected.media_type)
    _check_kind(expected.kind, response.content)


def test_files_are_deterministic_per_parameters() -> None:
    one = render_file("downloadWildberriesSpecification", {"orderId": 1})
    assert render_file("downloadWildberriesSpecification", {"orderId": 1}).data == one.data
    assert render_file("downloadWildberriesSpecification", {"orderId": 2}).sha256 != one.sha256
    assert render_file("downloadEdoInvoice", {"orderId": 1, "format": "pdf"}).kind == "pdf"


def test_octet_stream_setting(make_selsup_sim: Any) -> None:
    sim = make_selsup_sim(specific_media_types=False)
    response = _call(sim, "downloadOzonContainerLabels")
    assert response.headers["content-type"] == "application/octet-stream"


def test_large_file_mode_streams_and_ranges(make_selsup_sim: Any) -> None:
    size = 3 * (1 << 20) + 12345
    sim = make_selsup_sim(large_file_bytes=size)
    params = {"orderId": 9}
    digest = hashlib.sha256()
    received = 0
    with httpx.stream(
        "GET", sim.base_url + "/api/export/wildberriesSpec", params=params, headers=sim.auth_headers()
    ) as response:
        assert int(response.headers["content-length"]) == size
        for chunk in response.iter_bytes():
            digest.update(chunk)
            received += len(chunk)
    assert received == size
    assert digest.hexdigest() == large_file_sha256("downloadWildberriesSpecification", params, size=size)
    assert digest.hexdigest() == sim.file_sha256("downloadWildberriesSpecification", params)
    partial = httpx.get(
        sim.base_url + "/api/export/wildberriesSpec",
        params=params,
        headers={**sim.auth_headers(), "Range": f"bytes={size - 100}-"},
    )
    assert partial.status_code == 206 and len(partial.content) == 100
    assert partial.headers["content-range"] == f"bytes {size - 100}-{size - 1}/{size}"
    whole = b"".join(sim.expected_file("downloadWildberriesSpecification", params).chunks())
    assert partial.content == whole[-100:]


# ---- errors and faults


def test_every_route_needs_the_key(selsup_sim: SelsupSimulator) -> None:
    for operation_id in ("findTask", "exportStocksFile", "downloadBrandsImportTemplate", "downloadFile"):
        for headers in ({}, {"Authorization": f"Bearer {selsup_sim.api_key}"}):
            response = _call(selsup_sim, operation_id, headers=headers)
            assert response.status_code == 403 and response.json() == {"error": "ACCESS_DENIED"}


@pytest.mark.parametrize(
    ("operation_id", "params", "error"),
    [
        ("downloadWildberriesSpecification", {}, "MISSING_PARAMETER"),
        ("downloadWildberriesSpecification", {"orderId": "1.5"}, "INVALID_PARAMETER"),
        (
            "downloadMarketplaceStocksUpdateFile",
            {"organizationId": 1, "service": "MARS"},
            "INVALID_ENUM_VALUE",
        ),
        ("downloadIncomeProductsFile", {"limit": 501}, "VALUE_TOO_LARGE"),
        ("downloadIncomeProductsFile", {"page": 0}, "VALUE_TOO_SMALL"),
        ("downloadOrderBoxBarcodes", {"orderId": 1, "pallet": "yes"}, "INVALID_PARAMETER"),
    ],
)
def test_bad_requests(
    selsup_sim: SelsupSimulator, operation_id: str, params: dict[str, Any], error: str
) -> None:
    response = _call(selsup_sim, operation_id, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error and body["localMessage"] and isinstance(body["params"], dict)


@pytest.mark.parametrize("payload", [{"limit": 501}, {"page": 0}, {"groupIds": ["a"]}, [1], "nope"])
def test_bad_product_filter(selsup_sim: SelsupSimulator, payload: Any) -> None:
    response = _call(selsup_sim, "exportProductsFile", {}, json=payload)
    assert response.status_code == 400


def test_legacy_error_shape_setting_and_fault(make_selsup_sim: Any) -> None:
    sim = make_selsup_sim(error_shape="legacy")
    body = _call(sim, "downloadWildberriesSpecification", {}).json()
    assert set(body) == {"message", "messageParams"} and "orderId" in body["message"]
    sim.settings.error_shape = "current"
    sim.faults.add("legacy_error")
    assert set(_call(sim, "findTask", headers={}).json()) == {"message", "messageParams"}
    assert _call(sim, "findTask", headers={}).json() == {"error": "ACCESS_DENIED"}


def test_server_error_fault_both_shapes(selsup_sim: SelsupSimulator) -> None:
    selsup_sim.faults.add("server_error", path=FIND, system="db down")
    response = _call(selsup_sim, "findTask")
    assert response.status_code == 500
    assert response.json() == {
        "error": "INTERNAL_SERVER_ERROR",
        "message": "Внутренняя ошибка сервера (simulated)",
        "system": "db down",
    }
    selsup_sim.faults.add("server_error", status=503)
    selsup_sim.faults.add("legacy_error")
    legacy = _call(selsup_sim, "findTask")
    assert legacy.status_code == 503 and set(legacy.json()) == {"message", "messageParams"}


def test_unknown_enum_and_malformed_json_on_find_task(selsup_sim: SelsupSimulator) -> None:
    task_id = _start(selsup_sim)
    selsup_sim.faults.add("unknown_enum", path=FIND)
    assert _task(selsup_sim, task_id)["status"] == "PAUSED"
    assert _task(selsup_sim, task_id)["status"] == "CREATED"
    selsup_sim.faults.add("malformed_json", path=FIND, mode="garbage")
    response = httpx.get(
        selsup_sim.base_url + FIND, params={"id": task_id}, headers=selsup_sim.auth_headers()
    )
    with pytest.raises(ValueError):
        response.json()
    assert selsup_sim.requests.per_route()[f"GET {FIND}"] == 3


def test_generic_faults_on_file_download(selsup_sim: SelsupSimulator) -> None:
    selsup_sim.faults.add("truncate", path="/api/export/brandsFile", after_bytes=10)
    with pytest.raises(httpx.HTTPError):
        _call(selsup_sim, "downloadBrandsImportTemplate")
    selsup_sim.faults.add("rate_limit", retry_after=2)
    throttled = _call(selsup_sim, "downloadBrandsImportTemplate")
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "2"
