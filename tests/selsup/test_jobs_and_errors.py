"""SelSup task lifecycle, typed errors, input checks and key hygiene on the simulator, sync and async."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from sellerkit.selsup import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DownloadError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    PollPolicy,
    ServerError,
)
from sellerkit.selsup_api.api.background_exports import export_stocks_file
from sellerkit.selsup_api.api.file_exports import (
    download_customers_file,
    download_edo_invoice,
    download_ozon_invoice,
)
from sellerkit.testing.selsup import SelsupSimulator
from tests.selsup.conftest import MODES, MakeSim, aw, dual

FAILURES = ["ERROR", "EXCEPTION", "INTERRUPTED", "STOPPED"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", FAILURES)
def test_a_failed_task_raises_job_failed_with_its_message(
    mode: str, status: str, sim: SelsupSimulator, tmp_path: Path
) -> None:
    async def script(client: Any) -> None:
        job = await aw(client.start_export(export_stocks_file, warehouse_id=3))
        sim.fail(int(job.reference), status, message=f"склад недоступен ({status})")
        with pytest.raises(JobFailedError) as info:
            await aw(job.wait())
        assert info.value.status == status and info.value.reference == job.reference
        assert info.value.vendor_message == f"склад недоступен ({status})"
        with pytest.raises(JobFailedError):
            await aw(job.download(tmp_path / "unused.xlsx"))

    dual(mode, sim, script)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_restarting_task_keeps_being_polled_until_it_finishes(mode: str, make_sim: MakeSim) -> None:
    sim = make_sim(outcome="RESTARTING")

    async def script(client: Any) -> list[str]:
        job = await aw(client.start_export(export_stocks_file))
        statuses: list[str] = []
        await aw(job.wait(PollPolicy(interval=0.25), on_progress=lambda _p: statuses.append(job.status)))
        return statuses

    statuses = dual(mode, sim, script)
    assert "RESTARTING" in statuses and statuses[-1] == "FINISHED"


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_status_keeps_polling(mode: str, sim: SelsupSimulator) -> None:
    sim.faults.add("unknown_enum", path="/api/task/findTask", times=3, field="status", value="PAUSED")

    async def script(client: Any) -> str:
        job = await aw(client.start_export(export_stocks_file))
        await aw(job.wait())
        return str(job.status)

    assert dual(mode, sim, script) == "FINISHED"
    assert sim.requests.calls(path="/api/task/findTask") >= 4


@pytest.mark.parametrize("mode", MODES)
def test_cancel_interrupts_the_task(mode: str, sim: SelsupSimulator) -> None:
    async def script(client: Any) -> str:
        job = await aw(client.start_export(export_stocks_file))
        await aw(job.cancel())
        with pytest.raises(JobFailedError) as info:
            await aw(job.wait())
        return info.value.status

    assert dual(mode, sim, script) == "INTERRUPTED"
    assert sim.stats.cancels == 1
    assert sim.requests.calls(method="POST", path="/api/task/cancelTask") == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_timed_out_wait_can_be_resumed_from_the_reference(
    mode: str, sim: SelsupSimulator, tmp_path: Path
) -> None:
    async def script(client: Any) -> tuple[str, Any]:
        job = await aw(client.start_export(export_stocks_file))
        sim.stall(int(job.reference))
        with pytest.raises(JobTimeoutError) as info:
            await aw(job.wait(PollPolicy(timeout=30)))
        sim.complete(int(info.value.reference))
        again = client.job(info.value.reference)
        return again.reference, await aw(again.download(tmp_path))

    reference, result = dual(mode, sim, script)
    assert result.sha256 == sim.task_file_sha256(int(reference))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("url_style", ["files_api", "direct"])
def test_the_result_link_of_either_style_is_downloaded(
    mode: str, url_style: str, make_sim: MakeSim, tmp_path: Path
) -> None:
    sim = make_sim(url_style=url_style)

    async def script(client: Any) -> tuple[str, Any]:
        job = await aw(client.start_export(export_stocks_file, by_cell=True))
        return job.reference, await aw(job.download(tmp_path))

    reference, result = dual(mode, sim, script)
    assert result.sha256 == sim.task_file_sha256(int(reference))


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_task_is_not_found(mode: str, sim: SelsupSimulator) -> None:
    async def script(client: Any) -> None:
        with pytest.raises(NotFoundError, match="no task 987654"):
            await aw(client.job(987654).wait())
        with pytest.raises(BadRequestError):  # cancelTask answers 400 for an unknown id
            await aw(client.job(987654).cancel())

    dual(mode, sim, script)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", ["current", "legacy"])
def test_both_error_shapes_become_typed_errors_with_the_vendor_message(
    mode: str, shape: str, make_sim: MakeSim, tmp_path: Path
) -> None:
    sim = make_sim(error_shape=shape)

    async def script(client: Any) -> BadRequestError:
        with pytest.raises(BadRequestError) as info:
            await aw(client.job(424242).cancel())
        return info.value

    error = dual(mode, sim, script)
    assert error.status == 400 and error.vendor == "selsup" and error.vendor_message
    if shape == "current":
        assert error.code  # {error, localMessage, params}: the code is `error`
    body = sim.requests.matching(path="/api/task/cancelTask")
    assert body and body[0].status == 400


@pytest.mark.parametrize("mode", MODES)
def test_a_file_exports_own_error_is_typed_and_leaves_no_file(
    mode: str, make_sim: MakeSim, tmp_path: Path
) -> None:
    sim = make_sim(ozon_invoice_missing=(5,))

    async def script(client: Any) -> None:
        with pytest.raises(NotFoundError, match="не найден"):
            await aw(client.download_file(download_ozon_invoice, tmp_path, order_id=5))

    dual(mode, sim, script)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("check", ["typed", "retried"])
def test_a_file_exports_server_error(
    mode: str, status: int, check: str, sim: SelsupSimulator, tmp_path: Path
) -> None:
    sim.faults.add("server_error", path="/api/export/customersFile", times=None, status=status)

    async def script(client: Any) -> ServerError:
        with pytest.raises(ServerError) as info:
            await aw(client.download_file(download_customers_file, tmp_path))
        return info.value

    error = dual(mode, sim, script)
    if check == "typed":  # its ApiError subclass with SelSup's message, and no file left
        assert error.status_code == status
        assert error.vendor_message == "Внутренняя ошибка сервера (simulated)"
        assert list(tmp_path.iterdir()) == []
    else:  # re-sent like any GET: max_retries (4) + 1 attempts
        assert sim.requests.calls(path="/api/export/customersFile") == 5


@pytest.mark.parametrize("mode", MODES)
def test_a_wrong_key_is_an_authentication_error_naming_the_variable(
    mode: str, sim: SelsupSimulator, tmp_path: Path
) -> None:
    # issue 8 A6: SelSup answers a wrong key with 403, which is about the key, not a permission
    async def script(client: Any) -> list[AuthenticationError]:
        errors = []
        with pytest.raises(AuthenticationError) as started:
            await aw(client.start_export(export_stocks_file))
        errors.append(started.value)
        with pytest.raises(AuthenticationError) as downloaded:
            await aw(client.download_file(download_customers_file, tmp_path))
        errors.append(downloaded.value)
        return errors

    for error in dual(mode, sim, script, api_key="not-the-key"):
        assert error.status_code == 403 and not isinstance(error, PermissionDeniedError)
        assert "SELSUP_API_KEY" in str(error)
        assert "not-the-key" not in str(error) and sim.api_key not in str(error)
    assert sim.stats.auth_refusals == 2 and sim.stats.tasks_created == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("operation", "filters", "match"),
    [
        (download_edo_invoice, {}, "missing a required argument: 'order_id'"),
        (download_edo_invoice, {"order_id": "7"}, "order_id must be int, not str"),
        (download_edo_invoice, {"order_id": 7, "nope": 1}, "unexpected keyword argument 'nope'"),
        (export_stocks_file, {}, "not an operation download_file() takes"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    mode: str, operation: Any, filters: dict[str, Any], match: str, sim: SelsupSimulator, tmp_path: Path
) -> None:
    async def script(client: Any) -> None:
        with pytest.raises(ConfigurationError, match=re.escape(match)):
            await aw(client.download_file(operation, tmp_path, **filters))

    dual(mode, sim, script)
    assert len(sim.requests) == 0


# ---------------------------------------------------------------- the key


@pytest.mark.parametrize("mode", MODES)
def test_the_api_key_never_shows_in_logs_reprs_or_errors(
    mode: str, sim: SelsupSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sellerkit")
    texts: list[str] = []

    async def script(client: Any) -> None:
        texts.append(repr(client))
        job = await aw(client.start_export(export_stocks_file))
        texts.append(repr(job))
        await aw(job.download(tmp_path))
        try:
            await aw(client.job(31337).cancel())
        except BadRequestError as exc:
            texts.extend([str(exc), repr(exc)])
        try:
            await aw(client.check_commerce_ml_auth("https://x.example", "login", "pw-SECRET-9"))
        except Exception as exc:  # pragma: no cover - the simulator answers true
            texts.append(str(exc))

    dual(mode, sim, script)
    assert sim.requests.matching(path="/api/export/stocksFile")[0].has("authorization")
    everything = "\n".join([*texts, caplog.text])
    assert sim.api_key not in everything
    assert "pw-SECRET-9" not in caplog.text
    assert "api_key=***" in texts[0]


# ---------------------------------------------------------------- stream_file: resume and restart


class _OneWay:
    """A writable stream that cannot seek (a pipe, a socket file): what was written is gone."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("sink", ["seekable", "one-way"])
def test_a_dropped_stream_resumes_where_it_stopped_when_the_server_allows_ranges(
    mode: str, sink: str, sim: SelsupSimulator
) -> None:
    sim.faults.add("truncate", path="/api/export/customersFile", times=1, after_bytes=100)
    stream: Any = io.BytesIO() if sink == "seekable" else _OneWay()
    result = dual(mode, sim, lambda client: aw(client.stream_file(download_customers_file, stream)))
    expected = sim.expected_file("downloadCustomersFile")
    data = stream.getvalue() if sink == "seekable" else bytes(stream.data)
    assert hashlib.sha256(data).hexdigest() == result.sha256 == expected.sha256
    first, second = sim.requests.matching(path="/api/export/customersFile")
    assert not first.has("range")
    assert second.header("range") == "bytes=100-" and second.header("if-range")  # the rest only


@pytest.mark.parametrize("mode", MODES)
def test_without_ranges_a_dropped_stream_restarts_into_a_seekable_stream(
    mode: str, make_sim: MakeSim
) -> None:
    sim = make_sim(accept_ranges=False)
    sim.faults.add("truncate", path="/api/export/customersFile", times=1, after_bytes=100)
    sink = io.BytesIO(b"kept: ")
    sink.seek(0, io.SEEK_END)
    result = dual(mode, sim, lambda client: aw(client.stream_file(download_customers_file, sink)))
    expected = sim.expected_file("downloadCustomersFile")
    body = sink.getvalue().removeprefix(b"kept: ")
    assert hashlib.sha256(body).hexdigest() == result.sha256 == expected.sha256  # rewound, not doubled
    assert sim.requests.calls(path="/api/export/customersFile") == 2


@pytest.mark.parametrize("mode", MODES)
def test_without_ranges_a_dropped_one_way_stream_is_a_download_error(mode: str, make_sim: MakeSim) -> None:
    sim = make_sim(accept_ranges=False)
    sim.faults.add("truncate", path="/api/export/customersFile", times=1, after_bytes=100)
    sink = _OneWay()

    async def script(client: Any) -> None:
        with pytest.raises(DownloadError, match="cannot seek back"):
            await aw(client.stream_file(download_customers_file, sink))

    dual(mode, sim, script)
    assert len(sink.data) == 100  # what was handed over stays; nothing is written twice
    assert sim.requests.calls(path="/api/export/customersFile") == 2
