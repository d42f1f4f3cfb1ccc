"""SelSup client logic on an httpx.MockTransport: settings, the task mapping, error bodies, result links,
input checks, streaming and the plain-value answers — sync and async as pairs where there is I/O."""

from __future__ import annotations

import io
import os
import re
from typing import Any

import httpx
import pytest

from sellerkit.selsup import (
    ApiError,
    AsyncSelsupClient,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DownloadError,
    JobFailedError,
    Marketplace,
    NotFoundError,
    ProductFilter,
    SelsupClient,
    ServerError,
    Task,
    TaskStatus,
    required_filters,
    task_state,
)
from sellerkit.selsup_api.api.background_exports import (
    export_contractor_settlement_structure,
    export_product_sets_file,
    export_products_file,
    export_stocks_file,
)
from sellerkit.selsup_api.api.file_exports import (
    download_customers_file,
    download_income_products_file,
    download_marketplace_stocks_update_file,
)
from sellerkit.selsup_api.api.tasks import find_task
from sellerkit.selsup_api.models import AnalyticsField
from tests.selsup.conftest import KEY, MODES, aw, dual_mock

Handler = Any
VENDOR_FAILURE = "Не удалось сформировать файл"  # noqa: RUF001 (Cyrillic, as SelSup writes it)


def _task(**fields: Any) -> dict[str, Any]:
    return {"id": 5, "status": "RUNNING", **fields}


def _tasks(
    *answers: dict[str, Any], started: dict[str, Any] | None = None, files: bytes = b"xlsx-bytes"
) -> Any:
    """A handler: the export starts task 5, findTask answers `answers` in turn (the last one repeats)."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.startswith("/api/export/"):
            return httpx.Response(200, json=started or _task(status="CREATED"))
        if request.url.path == "/api/task/findTask":
            row = queue.pop(0) if len(queue) > 1 else queue[0]
            return httpx.Response(200, json={"rows": [row], "page": 1, "total": 1})
        if request.url.path == "/api/task/cancelTask":
            return httpx.Response(200)
        return httpx.Response(
            200, content=files, headers={"content-disposition": 'attachment; filename="r.xlsx"'}
        )

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


# ---------------------------------------------------------------- settings


def test_the_key_comes_from_the_argument_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SELSUP_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SELSUP_API_KEY"):
        SelsupClient()
    with pytest.raises(ConfigurationError, match="SELSUP_API_KEY"):
        AsyncSelsupClient("  ")
    monkeypatch.setenv("SELSUP_API_KEY", KEY)
    with SelsupClient() as client:
        assert client.base_url == "https://api.selsup.ru"
        assert KEY not in repr(client) and "api_key=***" in repr(client)
    with pytest.raises(ConfigurationError, match=r"base_url must be an absolute http\(s\) URL"):
        SelsupClient(base_url="api.selsup.ru")
    assert os.environ["SELSUP_API_KEY"] == KEY


@pytest.mark.parametrize("cls", [SelsupClient, AsyncSelsupClient])
@pytest.mark.parametrize(
    ("api_key", "match"),
    [
        (42, "api_key must be a str, not int"),
        (b"key", "api_key must be a str, not bytes"),
        ("Bearer " + KEY, "without 'Bearer '"),
        ("a\nb", "line break"),
    ],
)
def test_a_key_of_the_wrong_type_or_shape_is_a_configuration_error_naming_api_key(
    cls: type[Any], api_key: Any, match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 8 A6: the fix is named before anything is sent (not a bare TypeError)
    monkeypatch.delenv("SELSUP_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match=match) as info:
        cls(api_key)
    assert "api_key" in str(info.value)
    assert KEY not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
def test_the_key_is_sent_raw_in_authorization_to_the_base_url(mode: str) -> None:
    handler = _tasks(_task(status="FINISHED", url="/f"))

    async def script(client: Any) -> None:
        await aw(client.start_export(export_stocks_file, warehouse_id=1, by_cell=False))

    dual_mock(mode, handler, script, base_url="https://selsup.test/")
    (request,) = handler.seen
    assert request.headers["authorization"] == KEY
    assert str(request.url) == "https://selsup.test/api/export/stocksFile?warehouseId=1&byCell=false"


# ---------------------------------------------------------------- the task mapping


@pytest.mark.parametrize(
    ("status", "terminal", "succeeded"),
    [
        ("CREATED", False, False),
        ("RUNNING", False, False),
        ("RESTARTING", False, False),
        ("INTERRUPTING", False, False),
        ("FINISHED", True, True),
        ("ERROR", True, False),
        ("EXCEPTION", True, False),
        ("INTERRUPTED", True, False),
        ("STOPPED", True, False),
        ("PAUSED", False, False),  # a status the docs don't list: keep polling
    ],
)
def test_statuses_map_to_terminal_and_succeeded(status: str, terminal: bool, succeeded: bool) -> None:
    state = task_state(Task.from_dict({"id": 9, "status": status}))
    assert (state.reference, state.status, state.terminal, state.succeeded) == (
        "9",
        status,
        terminal,
        succeeded,
    )
    assert set(TaskStatus) - {
        TaskStatus(s) for s in ("CREATED", "RUNNING", "RESTARTING", "INTERRUPTING")
    } == {TaskStatus(s) for s in ("FINISHED", "ERROR", "EXCEPTION", "INTERRUPTED", "STOPPED")}


def test_progress_link_and_message() -> None:
    state = task_state(
        Task.from_dict(
            {
                "id": 1,
                "status": "RUNNING",
                "progress": 140,
                "processedQuantity": 12,
                "message": "идёт",
                "file": "a/b",
            }
        )
    )
    assert state.progress is not None
    assert (state.progress.fraction, state.progress.processed) == (1.0, 12)
    assert (state.result_url, state.message) == ("a/b", "идёт")
    bare = task_state(Task.from_dict({"id": 1}))
    assert bare.status == "UNKNOWN" and not bare.terminal and bare.progress is not None
    assert bare.progress.fraction is None and bare.result_url is None
    both = task_state(Task.from_dict({"id": 1, "status": "FINISHED", "url": "https://x/f", "file": "p"}))
    assert both.result_url == "https://x/f"


@pytest.mark.parametrize("mode", MODES)
def test_wait_polls_until_finished_then_downloads_the_url(mode: str, tmp_path: Any) -> None:
    handler = _tasks(
        _task(status="RUNNING", progress=10),
        _task(status="PAUSED", progress=50),
        _task(status="FINISHED", progress=100, url="https://api.selsup.ru/r/1.xlsx"),
    )
    fractions: list[float | None] = []

    async def script(client: Any) -> Any:
        job = await aw(client.start_export(export_product_sets_file, organization_id=3))
        await aw(job.wait(on_progress=lambda p: fractions.append(p.fraction)))
        return await aw(job.download(tmp_path))

    result = dual_mock(mode, handler, script)
    assert fractions == [None, 0.1, 0.5, 1.0]  # the started task has no progress yet
    assert result.path.read_bytes() == b"xlsx-bytes"
    last = handler.seen[-1]
    assert str(last.url) == "https://api.selsup.ru/r/1.xlsx"
    assert last.headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("mode", MODES)
def test_a_task_with_only_a_file_path_is_fetched_through_downloadFile(mode: str, tmp_path: Any) -> None:
    handler = _tasks(_task(status="FINISHED", file="export/5/r 1.xlsx"))

    async def script(client: Any) -> Any:
        job = await aw(client.start_export(export_stocks_file))
        return await aw(job.download(tmp_path / "out.xlsx"))

    result = dual_mock(mode, handler, script)
    assert result.path.name == "out.xlsx"
    last = handler.seen[-1]
    assert last.url.path == "/api/files/file" and last.url.params["path"] == "export/5/r 1.xlsx"
    assert last.headers["authorization"] == KEY


@pytest.mark.parametrize("mode", MODES)
def test_failure_cancel_and_rebuild(mode: str) -> None:
    handler = _tasks(_task(status="EXCEPTION", message=VENDOR_FAILURE))

    async def script(client: Any) -> JobFailedError:
        job = client.job("5")
        await aw(job.cancel())
        with pytest.raises(JobFailedError) as info:
            await aw(job.wait())
        for bad in (0, -1, "abc", True, 1.5):
            with pytest.raises(ConfigurationError):
                client.job(bad)
        return info.value

    error = dual_mock(mode, handler, script)
    assert (error.status, error.vendor_message, error.reference) == (
        "EXCEPTION",
        VENDOR_FAILURE,
        "5",
    )
    cancel = handler.seen[0]
    assert (cancel.method, cancel.url.path, cancel.url.params["taskId"]) == (
        "POST",
        "/api/task/cancelTask",
        "5",
    )


@pytest.mark.parametrize("mode", MODES)
def test_find_task_without_rows_is_not_found(mode: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"rows": [], "page": 1, "total": 0})

    async def script(client: Any) -> None:
        with pytest.raises(NotFoundError, match="no task 77"):
            await aw(client.job(77).wait())

    dual_mock(mode, handler, script)


@pytest.mark.parametrize("mode", MODES)
def test_a_started_task_without_an_id_is_a_server_error(mode: str) -> None:
    handler = _tasks(_task(), started={"status": "CREATED"})

    async def script(client: Any) -> None:
        with pytest.raises(ServerError, match="no task id"):
            await aw(client.start_export(export_stocks_file))

    dual_mock(mode, handler, script)


# ---------------------------------------------------------------- error bodies


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("status", "body", "kind", "message", "code"),
    [
        (
            400,
            {"error": "BAD_PARAM", "localMessage": "Неверный склад", "params": {"id": 1}},
            BadRequestError,
            "Неверный склад",
            "BAD_PARAM",
        ),
        (403, {"error": "ACCESS_DENIED"}, AuthenticationError, "ACCESS_DENIED", None),
        (500, {"error": "INTERNAL", "message": "Ошибка", "system": "NPE"}, ServerError, "Ошибка", "INTERNAL"),
        (500, {"error": "INTERNAL", "system": "NPE"}, ServerError, "NPE", "INTERNAL"),
        (400, {"message": "Старая ошибка", "messageParams": ["x"]}, BadRequestError, "Старая ошибка", None),
        (404, "<html><title>Not Found</title></html>", NotFoundError, "Not Found", None),
    ],
)
def test_error_bodies_become_typed_errors(
    mode: str, status: int, body: Any, kind: type[ApiError], message: str, code: str | None, tmp_path: Any
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers={"content-type": "text/html"})
        return httpx.Response(status, json=body)

    async def script(client: Any) -> list[ApiError]:
        errors = []
        with pytest.raises(kind) as started:
            await aw(client.start_export(export_products_file, body=ProductFilter(limit=10)))
        errors.append(started.value)
        with pytest.raises(kind) as downloaded:
            await aw(client.download_file(download_customers_file, tmp_path))
        errors.append(downloaded.value)
        with pytest.raises(kind) as to_a_path:
            await aw(client.download_file(download_customers_file, tmp_path / "customers.xlsx"))
        errors.append(to_a_path.value)
        sink = io.BytesIO()
        with pytest.raises(kind) as streamed:
            await aw(client.stream_file(download_customers_file, sink))
        errors.append(streamed.value)
        assert sink.getvalue() == b""
        return errors

    for error in dual_mock(mode, handler, script):
        assert (error.status, error.vendor_message, error.code) == (status, message, code)
        assert KEY not in str(error) and KEY not in repr(error)
        # a 403 is about the key (issue 8 A6): the message says which setting to check
        assert ("SELSUP_API_KEY" in str(error)) == (status == 403)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_task_start_by_get_is_not_resent_after_a_5xx(mode: str) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(503, json={"error": "UNAVAILABLE"})

    async def script(client: Any) -> None:
        with pytest.raises(ServerError):
            await aw(client.start_export(export_product_sets_file, organization_id=1))
        with pytest.raises(ServerError):
            await aw(client.job(5).refresh())

    dual_mock(mode, handler, script)
    assert calls.count("/api/export/getProductSetsFile") == 1
    assert calls.count("/api/task/findTask") == 5  # a GET that starts nothing: retried


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize("mode", MODES)
def test_filters_are_checked_and_enums_coerced(mode: str, tmp_path: Any) -> None:
    handler = _tasks(_task())
    folder = tmp_path / "exports"

    async def script(client: Any) -> None:
        await aw(
            client.start_export(
                export_contractor_settlement_structure,
                analytics_field="BRAND",  # a plain value is accepted at run time
                warehouses=(1, 2),
                margin_from=5,
                limit=500,
                page=1,
            )
        )
        await aw(
            client.download_file(
                download_marketplace_stocks_update_file,
                f"{folder}/",  # a folder that doesn't exist yet: created
                organization_id=2,
                service="OZON",  # a plain value is accepted at run time
            )
        )

    dual_mock(mode, handler, script)
    start, download = handler.seen
    assert start.url.params["analyticsField"] == AnalyticsField.BRAND.value
    assert start.url.params.get_list("warehouses") == ["1", "2"]
    assert start.url.params["marginFrom"] == "5.0"
    assert download.url.params["service"] == Marketplace.OZON.value
    assert [p.name for p in folder.iterdir()] == [download.url.path.rsplit("/", 1)[-1]]  # no disposition


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("operation", "filters", "match"),
    [
        (export_contractor_settlement_structure, {"limit": 501}, "limit must be between 1 and 500"),
        (export_contractor_settlement_structure, {"page": 0}, "page counts from 1"),
        (export_contractor_settlement_structure, {"analytics_field": "BRANDS"}, "AnalyticsField('BRANDS')"),
        (export_contractor_settlement_structure, {"warehouses": "1,2"}, "a list of int"),
        (export_contractor_settlement_structure, {"with_duplicate": 1}, "with_duplicate must be bool"),
        (export_products_file, {"body": ProductFilter(limit=1000)}, "body.limit must be between 1 and 500"),
        (export_products_file, {"body": {"limit": 1}}, "body must be ProductFilter"),
        (export_stocks_file, {"warehouse_id": True}, "warehouse_id must be int"),
        (download_customers_file, {}, "not an operation start_export() takes"),
        (download_customers_file, {}, "use download_file() for it"),
        (find_task, {"id": 1}, "not an operation start_export() takes"),
    ],
)
def test_bad_filters_are_refused_before_any_request(
    mode: str, operation: Any, filters: dict[str, Any], match: str, tmp_path: Any
) -> None:
    handler = _tasks(_task())
    (tmp_path / "taken.xlsx").write_bytes(b"mine")

    async def script(client: Any) -> None:
        with pytest.raises(ConfigurationError, match=re.escape(match)):
            await aw(client.start_export(operation, **filters))
        with pytest.raises(ConfigurationError, match="limit must be between 1 and 500"):
            await aw(client.stream_file(download_income_products_file, io.BytesIO(), limit=0))
        with pytest.raises(ConfigurationError, match="limit must be between 1 and 500"):
            await aw(client.download_file(download_income_products_file, tmp_path, limit=0))
        with pytest.raises(ConfigurationError, match="writable binary stream"):
            await aw(client.stream_file(download_customers_file, object()))
        with pytest.raises(ConfigurationError, match="dest must be a file path or a folder path"):
            await aw(client.download_file(download_customers_file, io.BytesIO()))
        with pytest.raises(ConfigurationError, match="already exists: pass overwrite=True"):
            await aw(client.download_file(download_customers_file, tmp_path / "taken.xlsx"))
        with pytest.raises(ConfigurationError, match="needs non-empty login"):
            await aw(client.check_commerce_ml_auth("https://x", "", "p"))
        with pytest.raises(ConfigurationError, match="Marketplace"):
            await aw(client.create_marketplace_cards(1, service="OZONE"))

    dual_mock(mode, handler, script)
    assert handler.seen == []
    assert [p.name for p in tmp_path.iterdir()] == ["taken.xlsx"]
    assert (tmp_path / "taken.xlsx").read_bytes() == b"mine"


@pytest.mark.parametrize("mode", MODES)
def test_a_wrong_kind_of_operation_names_the_table_of_the_right_ones(mode: str, tmp_path: Any) -> None:
    handler = _tasks(_task())

    async def script(client: Any) -> list[str]:
        with pytest.raises(ConfigurationError) as started:
            await aw(client.start_export(download_customers_file))
        with pytest.raises(ConfigurationError) as downloaded:
            await aw(client.download_file(export_stocks_file, tmp_path))
        return [str(started.value), str(downloaded.value)]

    named = [
        re.findall(r"sellerkit\.selsup_api\.operations\.([A-Z_]+)", message)
        for message in dual_mock(mode, handler, script)
    ]
    assert named == [["BACKGROUND_EXPORTS"], ["FILE_EXPORTS"]]
    assert handler.seen == []


def test_required_filters_come_from_the_generated_builders() -> None:
    assert required_filters(download_marketplace_stocks_update_file) == ("organization_id", "service")
    assert required_filters(download_customers_file) == ()


# ---------------------------------------------------------------- streams and plain values


def _short_body(seen: list[httpx.Request]) -> Handler:
    """A handler whose file body always ends 7 bytes short of its Content-Length."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"abc", headers={"content-length": "10"})

    return handler


@pytest.mark.parametrize("mode", MODES)
def test_a_short_body_is_restarted_then_a_download_error(mode: str, tmp_path: Any) -> None:
    seen: list[httpx.Request] = []

    async def script(client: Any) -> int:
        with pytest.raises(DownloadError, match="gave up after 3 failed attempts"):
            await aw(client.download_file(download_customers_file, tmp_path))
        return int(client.max_retries)

    assert dual_mock(mode, _short_body(seen), script, max_retries=2) == 2
    assert len(seen) == 3  # one attempt + max_retries restarts, never multiplied by transport retries
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_short_stream_is_restarted_then_a_download_error(mode: str) -> None:
    seen: list[httpx.Request] = []

    async def script(client: Any) -> None:
        with pytest.raises(DownloadError, match="gave up after 3 failed attempts"):
            await aw(client.stream_file(download_customers_file, io.BytesIO()))

    dual_mock(mode, _short_body(seen), script, max_retries=2)
    assert len(seen) == 3


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [("text/plain; charset=utf-8", "ok: 3 cards", "ok: 3 cards"), ("application/json", '"queued"', "queued")],
)
def test_plain_values(mode: str, content_type: str, body: str, expected: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createCards"):
            return httpx.Response(200, content=body.encode(), headers={"content-type": content_type})
        return httpx.Response(200, json=False)

    async def script(client: Any) -> tuple[str, bool]:
        return (
            await aw(client.create_marketplace_cards(3, service=Marketplace.WILDBERRIES)),
            await aw(client.check_commerce_ml_auth("https://x", "l", "p")),
        )

    assert dual_mock(mode, handler, script) == (expected, False)


@pytest.mark.parametrize("mode", MODES)
def test_api_is_the_generated_client_on_the_same_connection(mode: str) -> None:
    handler = _tasks(_task(status="FINISHED", url="/f"))

    async def script(client: Any) -> Any:
        if mode == "sync":
            return find_task.sync(client=client.api, id=5)
        return await find_task.asyncio(client=client.api, id=5)

    page = dual_mock(mode, handler, script)
    assert page.rows[0].id == 5
    (request,) = handler.seen
    assert request.headers["authorization"] == KEY  # the client's auth, on the client's transport
    assert request.headers["user-agent"].endswith("(selsup)")
