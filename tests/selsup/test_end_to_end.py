"""SelSup end to end on the simulator, sync and async as pairs. The operations are read from
specs/selsup.yaml (tests/selsup/conftest.py), so each of the 37 exports is exercised, none forgotten:
the 8 background exports as jobs (file sha256 against the simulator's), the 27 file exports to a folder and
into a stream (sha256 and name), the 2 plain-value operations."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

import sellerkit.selsup as selsup
from sellerkit.selsup import DownloadError, Progress, SellerkitError, SelsupClient
from sellerkit.testing.selsup import SelsupSimulator
from tests.selsup.conftest import (
    BACKGROUND,
    FILES,
    INTEGRATIONS,
    MODES,
    OPERATIONS,
    SpecOperation,
    aw,
    dual,
)

LEFTOVERS = ("*.sellerkit-part", "*.sellerkit-meta")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for pattern in LEFTOVERS for p in folder.rglob(pattern))


def test_the_spec_has_37_exports_and_the_client_knows_each_of_them() -> None:
    assert (len(BACKGROUND), len(FILES), len(INTEGRATIONS)) == (8, 27, 2)
    assert {op.module for op in BACKGROUND} == set(selsup.BACKGROUND_EXPORTS)
    assert {op.module for op in FILES} == set(selsup.FILE_EXPORTS)
    assert len(selsup.BACKGROUND_EXPORTS) == 8 and len(selsup.FILE_EXPORTS) == 27
    # the rest of the spec: findTask, cancelTask and downloadFile, used by the job handles
    assert sorted(op.operation_id for op in OPERATIONS if op.tag in ("Tasks", "Files")) == [
        "cancelTask",
        "downloadFile",
        "findTask",
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", BACKGROUND, ids=str)
def test_background_export_runs_as_a_job_and_its_file_arrives_intact(
    mode: str, op: SpecOperation, sim: SelsupSimulator, tmp_path: Path
) -> None:
    seen: list[Progress] = []

    async def script(client: Any) -> Any:
        job = await aw(client.start_export(op.module, **op.kwargs))
        assert job.status == "CREATED" and not job.done
        state = await aw(job.wait(on_progress=seen.append))
        assert state.succeeded and job.status == "FINISHED"
        if sim.task_file(int(job.reference)) is None:
            with pytest.raises(SellerkitError, match="finished without a file link"):
                await aw(job.download(tmp_path))
            return job.reference, None
        return job.reference, await aw(job.download(tmp_path))

    reference, result = dual(mode, sim, script)
    task = sim.task(int(reference))
    assert sim.requests.calls(method=op.method, path=op.path)
    expected = sim.task_file(int(reference))
    if expected is None:
        assert result is None and op.operation_id in ("uploadImagesToWildberries", "exportOrdersToMoySklad")
        assert task is not None
    else:
        assert result.sha256 == expected.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
        assert result.path.name == expected.filename and result.size == expected.size
    fractions = [p.fraction for p in seen if p.fraction is not None]
    assert fractions == sorted(fractions) and (not fractions or fractions[-1] == 1.0)
    assert not leftovers(tmp_path)


NO_FILE = [
    op for op in BACKGROUND if op.operation_id in ("uploadImagesToWildberries", "exportOrdersToMoySklad")
]


@pytest.mark.parametrize("mode", MODES)
def test_downloading_a_task_that_made_no_file_is_a_download_error(
    mode: str, sim: SelsupSimulator, tmp_path: Path
) -> None:
    for op in NO_FILE:

        async def script(client: Any, op: SpecOperation = op) -> Any:
            return await aw((await aw(client.start_export(op.module, **op.kwargs))).download(tmp_path))

        with pytest.raises(DownloadError):
            dual(mode, sim, script)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", FILES, ids=str)
def test_file_export_streams_to_a_folder_named_by_content_disposition(
    mode: str, op: SpecOperation, sim: SelsupSimulator, tmp_path: Path
) -> None:
    result = dual(mode, sim, lambda client: aw(client.download_file(op.module, tmp_path, **op.kwargs)))
    expected = sim.expected_file(op.operation_id, op.params)
    assert result.path == tmp_path / expected.filename
    assert result.sha256 == expected.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == [expected.filename]
    (call,) = sim.requests.matching(path=op.path)
    assert call.method == op.method and call.status == 200


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", FILES, ids=str)
def test_file_export_streams_into_a_writable_stream(
    mode: str, op: SpecOperation, sim: SelsupSimulator
) -> None:
    sink = io.BytesIO()
    progress: list[tuple[int, int | None]] = []
    result = dual(
        mode,
        sim,
        lambda client: aw(
            client.stream_file(op.module, sink, lambda d, t: progress.append((d, t)), **op.kwargs)
        ),
    )
    expected = sim.expected_file(op.operation_id, op.params)
    assert hashlib.sha256(sink.getvalue()).hexdigest() == result.sha256 == expected.sha256
    assert (result.name, result.size) == (expected.filename, expected.size)
    assert progress[-1] == (expected.size, expected.size)


@pytest.mark.parametrize("mode", MODES)
def test_a_file_export_to_an_exact_path(mode: str, sim: SelsupSimulator, tmp_path: Path) -> None:
    op = next(o for o in FILES if o.operation_id == "downloadEdoInvoice")
    target = tmp_path / "invoice.pdf"
    result = dual(
        mode, sim, lambda client: aw(client.download_file(op.module, target, order_id=7, format_="pdf"))
    )
    assert result.path == target
    assert result.sha256 == sim.file_sha256("downloadEdoInvoice", {"orderId": 7, "format": "pdf"})
    assert target.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("mode", MODES)
def test_download_files_fetches_every_parameterless_file_export(
    mode: str, sim: SelsupSimulator, tmp_path: Path
) -> None:
    results = dual(mode, sim, lambda client: aw(client.download_files(tmp_path)))
    parameterless = [op for op in FILES if not op.params]
    assert sorted(results) == sorted(op.module.__name__.rsplit(".", 1)[-1] for op in parameterless)
    for op in parameterless:
        result = results[op.module.__name__.rsplit(".", 1)[-1]]
        assert result.sha256 == sim.file_sha256(op.operation_id)


@pytest.mark.parametrize("mode", MODES)
def test_the_two_plain_value_operations(mode: str, sim: SelsupSimulator) -> None:
    async def script(client: Any) -> tuple[str, bool, bool]:
        text = await aw(client.create_marketplace_cards(42, service="OZON"))
        good = await aw(client.check_commerce_ml_auth("https://shop.example/1c", "admin", "pw-1"))
        bad = await aw(client.check_commerce_ml_auth("ftp://shop.example/1c", "admin", "pw-1"))
        return text, good, bad

    text, good, bad = dual(mode, sim, script)
    assert text == "Карточки для заказа 42 поставлены в очередь (OZON)"
    assert good is True and bad is False
    assert {op.operation_id for op in INTEGRATIONS} == {"createMarketplaceCards", "checkCommerceMlAuth"}


def test_sync_and_async_clients_are_the_same_surface() -> None:
    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")} - {"close", "aclose"}

    assert public(SelsupClient) == public(selsup.AsyncSelsupClient)
