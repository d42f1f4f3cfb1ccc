"""WEBSALE end to end on the simulator, sync and async as pairs: every report operation of the spec x every
service, the 16 x formats matrix, the lifecycle (progress, pause/resume/cancel), start-while-running with and
without `replace_running`, and the file's sha256."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest

import sellerkit.websale as websale
from sellerkit.testing.websale import SERVICES as SIM_SERVICES
from sellerkit.testing.websale import WebsaleSimulator
from sellerkit.websale import (
    ConfigurationError,
    ExportRunningError,
    ExportStateError,
    JobFailedError,
    Progress,
)
from tests.websale.conftest import FORMATS, MODES, REPORT_OPERATIONS, SERVICE_FORMATS, SERVICES, aw, dual


def test_the_format_table_is_the_same_in_the_spec_the_client_and_the_simulator() -> None:
    assert len(SERVICES) == 16 and sorted(SERVICE_FORMATS) == sorted(SERVICES)
    assert {s: list(f) for s, f in websale.SERVICE_FORMATS.items()} == SERVICE_FORMATS
    assert {s: list(f) for s, f in SIM_SERVICES.items()} == SERVICE_FORMATS
    assert sorted(s.value for s in websale.Service) == sorted(SERVICES)  # the generator sorts members


# each report operation of the spec, driven through the client: a start (the status read first), then the
# operation; the simulator's log shows the operation's own request went out
async def _status(client: Any, service: str) -> Any:
    return await aw(client.job(service).refresh())


async def _start(client: Any, service: str) -> Any:
    job = await aw(client.start_export(service, fresh=True))
    return job.state


async def _pause(client: Any, service: str) -> Any:
    job = await aw(client.start_export(service, fresh=True))
    return await aw(job.pause())


async def _resume(client: Any, service: str) -> Any:
    job = await aw(client.start_export(service, fresh=True))
    await aw(job.pause())
    return await aw(job.resume())


async def _cancel(client: Any, service: str) -> Any:
    job = await aw(client.start_export(service, fresh=True))
    await aw(job.cancel())
    return await aw(job.refresh())


ACTIONS = {
    "getReportStatus": (_status, "Ready"),
    "startReport": (_start, "Starting"),
    "pauseReport": (_pause, "Paused"),
    "resumeReport": (_resume, "Starting"),
    "cancelReport": (_cancel, "Canceled"),
}


def test_every_report_operation_of_the_spec_has_a_client_action() -> None:
    assert sorted(op for op, _, _ in REPORT_OPERATIONS) == sorted(ACTIONS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(
    ("operation", "method", "path"), REPORT_OPERATIONS, ids=[o for o, _, _ in REPORT_OPERATIONS]
)
def test_every_operation_on_every_service(
    mode: str, service: str, operation: str, method: str, path: str, sim: WebsaleSimulator
) -> None:
    action, status = ACTIONS[operation]

    async def script(client: Any) -> Any:
        return await action(client, service)

    state = dual(mode, sim, script)
    assert state.status == status and state.reference == service
    target = sim.api_prefix + path.replace("{service}", service)
    assert sim.requests.calls(method=method, path=target) >= 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("service", SERVICES)
def test_the_formats_matrix(mode: str, service: str, sim: WebsaleSimulator) -> None:
    """Every supported format starts an export in that format; every other one is refused before any request,
    naming the formats the service supports."""

    async def script(client: Any) -> None:
        for fmt in FORMATS:
            before = len(sim.requests)
            if fmt in SERVICE_FORMATS[service]:
                job = await aw(client.start_export(service, format=fmt, replace_running=True))
                assert job.status == "Starting" and sim.export(service).format == fmt
            else:
                with pytest.raises(ConfigurationError) as caught:
                    await aw(client.start_export(service, format=fmt))
                assert f"supports: {', '.join(SERVICE_FORMATS[service])}" in str(caught.value)
                assert len(sim.requests) == before  # nothing sent

    dual(mode, sim, script)


@pytest.mark.parametrize("mode", MODES)
def test_unknown_service_and_bad_subshop_are_refused_locally(mode: str, sim: WebsaleSimulator) -> None:
    async def script(client: Any) -> None:
        with pytest.raises(ConfigurationError, match=r"no service 'products'.*adminUser"):
            await aw(client.start_export("products"))
        with pytest.raises(ConfigurationError, match=r"subshop_id"):
            await aw(client.start_export("product", subshop_id=""))

    dual(mode, sim, script)
    assert len(sim.requests) == 0


@pytest.mark.parametrize("mode", MODES)
def test_lifecycle_progress_pause_resume_and_a_file_intact(
    mode: str, sim: WebsaleSimulator, tmp_path: Path
) -> None:
    seen: list[Progress] = []

    async def script(client: Any) -> Any:
        job = await aw(client.start_export("inquiry", format="xml", subshop_id="de"))
        assert job.reference == "inquiry@de"
        sim.clock.advance(2.5)  # 1 s Starting + 1.5 of 3 s Running
        state = await aw(job.pause())
        assert state.status == "Paused" and state.progress.fraction == pytest.approx(0.5)
        sim.clock.advance(100.0)  # paused time does not count
        assert (await aw(job.refresh())).progress.fraction == pytest.approx(0.5)
        with pytest.raises(ExportStateError, match=r"not running|not been paused"):
            await aw(client.job("inquiry").resume())  # no subshop: another export, never started
        assert (await aw(job.resume())).status == "Running"
        final = await aw(job.wait(on_progress=seen.append))
        assert final.status == "Finished" and final.succeeded
        return await aw(job.download(f"{tmp_path}/out/"))

    result = dual(mode, sim, script)
    expected = sim.file_bytes("inquiry", "de")
    assert result.path.read_bytes() == expected
    assert result.sha256 == hashlib.sha256(expected).hexdigest() == sim.file_sha256("inquiry", "de")
    assert result.path.name == "inquiry-1.xml"
    assert seen and seen[-1].fraction == 1.0 and seen[-1].processed == sim.settings.entries
    assert all(p.processed is not None for p in seen)


@pytest.mark.parametrize("mode", MODES)
def test_pause_and_resume_in_the_wrong_state_are_typed_errors(mode: str, sim: WebsaleSimulator) -> None:
    async def script(client: Any) -> None:
        idle = client.job("voucher")
        with pytest.raises(ExportStateError, match=r"cannot pause .*not running") as caught:
            await aw(idle.pause())
        assert caught.value.reference == "voucher"
        with pytest.raises(ExportStateError, match=r"cannot resume .*not been paused"):
            await aw(idle.resume())
        with pytest.raises(ExportStateError, match=r"cannot cancel"):
            await aw(idle.cancel())
        job = await aw(client.start_export("voucher"))
        with pytest.raises(ExportStateError, match=r"not been paused"):
            await aw(job.resume())  # running, not paused

    dual(mode, sim, script)


@pytest.mark.parametrize("mode", MODES)
def test_a_cancelled_export_fails_its_wait(mode: str, sim: WebsaleSimulator) -> None:
    async def script(client: Any) -> None:
        job = await aw(client.start_export("order", format="xml"))
        await aw(job.cancel())
        with pytest.raises(JobFailedError, match=r"Canceled"):
            await aw(job.wait())

    dual(mode, sim, script)


@pytest.mark.parametrize("mode", MODES)
def test_an_export_that_errors_fails_its_wait(mode: str, make_sim: Any) -> None:
    sim = make_sim(outcome="error")

    async def script(client: Any) -> None:
        job = await aw(client.start_export("product"))
        with pytest.raises(JobFailedError, match=r"Error"):
            await aw(job.wait())

    dual(mode, sim, script)


@pytest.mark.parametrize("mode", MODES)
def test_start_while_running_is_refused_unless_replace_running(
    mode: str, sim: WebsaleSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    async def script(client: Any) -> None:
        await aw(client.start_export("product", format="csv"))
        sim.clock.advance(2.0)
        with pytest.raises(
            ExportRunningError, match=r"product export is Running \(33% done\).*replace_running"
        ):
            await aw(client.start_export("product", format="json"))
        assert sim.stats.starts == 1 and sim.export("product").format == "csv"
        with caplog.at_level(logging.WARNING, logger="sellerkit"):
            job = await aw(client.start_export("product", format="json", replace_running=True))
        assert job.status == "Starting" and sim.export("product").format == "json"

    dual(mode, sim, script)
    assert sim.stats.cancelled_by_start == 1 and sim.history[0].canceled_status == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cancelling the running WEBSALE product export" in warnings[0].getMessage()


@pytest.mark.parametrize("mode", MODES)
def test_an_identical_start_adopts_the_running_export_and_a_reference_resumes_it(
    mode: str, sim: WebsaleSimulator, tmp_path: Path
) -> None:
    async def first(client: Any) -> str:
        job = await aw(client.start_export("category", format="csv"))
        again = await aw(client.start_export("category", format="csv"))  # the journal: the same export
        assert again.reference == job.reference
        return str(job.reference)

    reference = dual(mode, sim, first, journal=tmp_path / "journal")
    assert sim.stats.starts == 1

    async def elsewhere(client: Any) -> Any:  # another process: a new client, the reference only
        return await aw(client.job(reference).download(f"{tmp_path}/files/"))

    result = dual(mode, sim, elsewhere, api_key=sim.api_key)
    assert result.sha256 == sim.file_sha256("category")
