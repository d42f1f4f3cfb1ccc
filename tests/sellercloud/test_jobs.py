"""Sellercloud queued jobs end to end: progress, PartialSuccess, failures, timeouts and resuming by reference
in another client, cancelling, job links — over real sockets, sync and async as pairs, in simulated time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sellerkit.sellercloud import JobFailedError, JobTimeoutError, PollPolicy
from sellerkit.sellercloud_api.models import QueuedJob
from sellerkit.testing.fixtures import MakeSellercloudSim
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import JobStatus, SellercloudSimulator
from tests.sellercloud.conftest import (
    JOB_ROUTE,
    MODES,
    OUTPUT_PATH,
    PLUGIN,
    SKUS,
    TOKEN_PATH,
    assert_downloaded,
    aw,
    dual,
)

CANCEL_PATH = "/rest/api/QueuedJobs/Cancel"
RESTARTED = "The job was cancelled: the service was restarted."  # the simulator's ErrorMessage texts
ABORTED = "The job was aborted: it took too much time."


@pytest.mark.parametrize("mode", MODES)
def test_progress_callback_grows_to_the_total(
    mode: str, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock
) -> None:
    """`wait(on_progress=...)` reports the record counters: fraction and count never go back, end at total."""
    sim = make_sellercloud_sim(clock=sim_clock, job_seconds=60.0)
    skus = [f"SKU-{i}" for i in range(20)]
    seen: list[Any] = []

    async def script(client: Any) -> Any:
        job = await aw(client.export_via_plugin(skus, plugin=PLUGIN))
        state = await aw(job.wait(on_progress=seen.append))
        return job, state

    job, state = dual(mode, sim, sim_clock, script)
    assert state.succeeded and state.status == "COMPLETED" and job.status == "COMPLETED"
    counted = [p for p in seen if p.total]  # before processing starts TotalRecords is 0 (no fraction)
    assert counted, seen
    processed = [p.processed for p in counted]
    fractions = [p.fraction for p in counted]
    assert processed == sorted(processed) and fractions == sorted(fractions)
    assert all(p.total == len(skus) and p.fraction == p.processed / len(skus) for p in counted)
    assert any(0 < p.processed < len(skus) for p in counted), "an intermediate count was reported"
    assert (seen[-1].fraction, seen[-1].processed, seen[-1].total) == (1.0, len(skus), len(skus))
    assert job.progress == seen[-1]
    assert "progress=100%" in repr(job)


@pytest.mark.parametrize("mode", MODES)
def test_partial_success_is_a_success_whose_file_lacks_the_failed_products(
    mode: str, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """PartialSuccess (5) ends the wait without an error, keeps the status visible and downloads the file,
    which leaves out the products that failed."""
    sim = make_sellercloud_sim(clock=sim_clock, outcome="partial", partial_failures=2)
    skus = [f"SKU-{i}" for i in range(6)]

    async def script(client: Any) -> Any:
        job = await aw(client.export_via_plugin(skus, plugin=PLUGIN))
        state = await aw(job.wait())
        return job, state, await aw(job.download(tmp_path))

    job, state, result = dual(mode, sim, sim_clock, script)
    assert state.terminal and state.succeeded
    assert state.status == job.status == "PARTIAL_SUCCESS"
    assert isinstance(state.raw, QueuedJob)
    assert (state.raw.total_records, state.raw.total_succeeded, state.raw.total_failure) == (6, 4, 2)
    assert_downloaded(sim, tmp_path, job.reference, result)
    assert result.sha256 != sim.expected_export(skus, 1).sha256
    rows = result.path.read_bytes().decode("utf-8").split("\r\n")
    assert [row.split(",")[0] for row in rows[1:] if row] == skus[:4]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        ("failed", "FAILED", "Plugin crashed on SKU-2"),
        ("cancelled", "CANCELLED", None),
        ("service_restarted", "CANCELLED_SERVICE_RESTARTED", RESTARTED),
        ("aborted", "ABORTED_TOO_MUCH_TIME_CONSUMED", ABORTED),
    ],
)
def test_failed_outcomes_raise_job_failed_error_with_message_and_log(
    mode: str,
    outcome: str,
    status: str,
    message: str | None,
    make_sellercloud_sim: MakeSellercloudSim,
    sim_clock: ScaledClock,
) -> None:
    """Each failed final status is a `JobFailedError` naming it, with the vendor message and the error-log
    entries; no output file is asked for."""
    sim = make_sellercloud_sim(clock=sim_clock, outcome=outcome, error_message="Plugin crashed on SKU-2")

    async def script(client: Any) -> Any:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        with pytest.raises(JobFailedError) as caught:
            await aw(job.wait())
        return job, caught.value

    job, error = dual(mode, sim, sim_clock, script)
    assert error.status == status == job.status
    assert error.reference == job.reference and error.vendor == "sellercloud"
    assert error.vendor_message == message
    if message is None:  # cancelled before it started: the log has no error entry
        assert error.details == []
    else:
        assert error.details and all(message in d for d in error.details)
        assert message in str(error)
    assert status in str(error)
    assert sim.requests.calls(method="GET", route=f"{JOB_ROUTE}/Logs") == 1
    assert sim.requests.calls(path=OUTPUT_PATH) == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("outcome", "last_status"), [("stuck", "PROCESSING"), ("on_hold", "ON_HOLD")])
def test_job_that_never_ends_times_out_and_is_resumed_by_reference_in_another_client(
    mode: str,
    outcome: str,
    last_status: str,
    make_sellercloud_sim: MakeSellercloudSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """`PollPolicy(timeout=...)` ends the wait with `JobTimeoutError`; its `.reference` rebuilds the job in a
    new client (another process: its own login) that downloads the file once the job is done."""
    sim = make_sellercloud_sim(clock=sim_clock, outcome=outcome)

    async def first(client: Any) -> JobTimeoutError:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        with pytest.raises(JobTimeoutError) as caught:
            await aw(job.wait(PollPolicy(timeout=60.0)))
        return caught.value

    start = sim_clock.now()
    error = dual(mode, sim, sim_clock, first)
    assert 60.0 <= sim_clock.now() - start <= 61.0  # the last fetch lands on the deadline
    assert error.last_status == last_status and error.vendor == "sellercloud"
    reference = error.reference
    still = JobStatus.PROCESSING if outcome == "stuck" else JobStatus.ON_HOLD
    assert sim.job_status(int(reference)) == still
    sim.complete(int(reference))

    async def second(client: Any) -> Any:
        job = client.job(reference)
        assert job.reference == reference and job.status == "(not fetched)" and not job.done
        return await aw(job.download(tmp_path))

    result = dual(mode, sim, sim_clock, second)
    assert_downloaded(sim, tmp_path, reference, result)
    assert sim.stats.tokens_issued == 2 and sim.stats.jobs_created == 1
    assert sim.requests.calls(method="POST", path=TOKEN_PATH) == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("after", "status"), [(0.0, "CANCELLED"), (10.0, "CANCELLED_WHILE_RUNNING")], ids=["queued", "running"]
)
def test_cancel_ends_the_job_and_wait_raises(
    mode: str,
    after: float,
    status: str,
    make_sellercloud_sim: MakeSellercloudSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """`job.cancel()` cancels on the server (Submitted → 7, Processing → 10); the next `wait()` raises."""
    sim = make_sellercloud_sim(clock=sim_clock, queue_seconds=1.0, job_seconds=100.0)

    async def script(client: Any) -> Any:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        sim_clock.advance(after)
        before = await aw(job.refresh())
        await aw(job.cancel())
        with pytest.raises(JobFailedError) as caught:
            await aw(job.wait())
        return job, before, caught.value

    job, before, error = dual(mode, sim, sim_clock, script)
    assert before.status == ("SUBMITTED" if after == 0 else "PROCESSING") and not before.terminal
    assert sim.job_status(int(job.reference)).name == status
    assert sim.stats.cancels == 1
    (put,) = sim.requests.matching(method="PUT", path=CANCEL_PATH)
    assert put.query == f"id={job.reference}" and put.status == 200
    assert error.status == status == job.status and error.reference == job.reference
    assert sim.requests.calls(path=OUTPUT_PATH) == 0
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("mode", MODES)
def test_job_accepts_a_queued_job_link(
    mode: str, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """`client.job()` takes a queued job link (as the export answers, also as a bare JSON string) or an id."""
    sim = make_sellercloud_sim(clock=sim_clock, link_shape="string")

    async def script(client: Any) -> Any:
        exported = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        ref = exported.reference
        by_link = client.job(f"https://host/queued-job-details.aspx?id={ref}")
        by_sim_link = client.job(sim.job_link(int(ref)))
        by_id = client.job(ref)
        assert [by_link.reference, by_sim_link.reference, by_id.reference] == [ref, ref, ref]
        await aw(by_sim_link.wait())
        return ref, await aw(by_link.download(tmp_path))

    ref, result = dual(mode, sim, sim_clock, script)
    assert ref == str(sim.settings.first_job_id)
    assert_downloaded(sim, tmp_path, ref, result)


@pytest.mark.parametrize("mode", MODES)
def test_new_client_resumes_a_finished_job_without_exporting_again(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A job finished while nobody waited: another client's handle downloads it with one status fetch."""

    async def first(client: Any) -> str:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        return str(job.reference)

    ref = dual(mode, sellercloud_sim, sim_clock, first)
    sim_clock.advance(3600.0)

    async def second(client: Any) -> Any:
        return await aw(client.job(ref).download(tmp_path))

    result = dual(mode, sellercloud_sim, sim_clock, second)
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)
    assert sellercloud_sim.requests.calls(method="GET", route=JOB_ROUTE) == 1
    assert sellercloud_sim.stats.jobs_created == 1 and sellercloud_sim.stats.tokens_issued == 2
