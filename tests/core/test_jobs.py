"""The job handle over the toy Acme vendor (tests/core/acme.py): wait, failure, timeout, rebuild, cancel,
download, progress and repr, on the sync and the async client alike, on a manual clock."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError, JobFailedError, JobTimeoutError
from sellerkit._core.jobs import JobSpec
from sellerkit._core.polling import PollPolicy, Progress
from tests.core.acme import (
    FILE,
    MODES,
    VENDOR,
    Acme,
    AcmeClient,
    AcmeJobs,
    AsyncAcmeClient,
    RecordingClock,
    call,
    make,
)

pytestmark = pytest.mark.timeout(30)


def client_for(mode: str, acme: Acme, **kwargs: Any) -> Any:
    return make(mode, acme, clock=RecordingClock(), **kwargs)


def started(mode: str, acme: Acme) -> tuple[Any, Any]:
    client = client_for(mode, acme)
    return client, call(mode, lambda: client.export("stock"))


@pytest.mark.parametrize("mode", MODES)
def test_wait_returns_the_successful_state_and_updates_the_handle(mode: str) -> None:
    acme = Acme(finish_after=4)
    _, job = started(mode, acme)
    seen: list[Progress] = []
    state = call(mode, lambda: job.wait(on_progress=seen.append))
    assert state.status == job.status == "done" and state.succeeded and job.done
    assert job.state == state and job.result_url == "/files/j1?signature=SECRET"
    assert job.progress == Progress(1.0, 4, 4) and seen[-1] == job.progress
    assert [p.processed for p in seen] == [1, 2, 3, 4]  # each new progress once, in order
    assert acme.fetches("j1") == 4


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_job_raises_the_specs_error_with_details(mode: str) -> None:
    acme = Acme()
    _, job = started(mode, acme)
    acme.fail.add("j1")
    with pytest.raises(JobFailedError) as caught:
        call(mode, job.wait)
    error = caught.value
    assert (error.vendor, error.reference, error.status) == ("acme", "j1", "failed")
    assert error.vendor_message == "disk quota exceeded"
    assert error.details == ["row 17 rejected: no SKU"]  # fetched by the spec's failure() steps
    assert str(error).endswith("ended failed: disk quota exceeded\n  row 17 rejected: no SKU")


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_wait_leaves_the_handle_at_the_failed_state(mode: str, tmp_path: Path) -> None:
    acme = Acme()
    _, job = started(mode, acme)
    acme.fail.add("j1")
    with pytest.raises(JobFailedError):
        call(mode, job.wait)
    assert job.status == "failed" and job.done
    fetches = acme.fetches("j1")
    with pytest.raises(JobFailedError):  # the terminal state is remembered: no further status fetch
        call(mode, lambda: job.download(tmp_path / "unused.csv"))
    assert acme.fetches("j1") == fetches


@pytest.mark.parametrize("mode", MODES)
def test_timeout_carries_the_reference_and_the_job_can_be_rebuilt(mode: str) -> None:
    acme = Acme(finish_after=10**6)
    clock = RecordingClock()
    client = make(mode, acme, clock=clock)
    job = call(mode, lambda: client.export("stock"))
    with pytest.raises(JobTimeoutError) as caught:
        call(mode, lambda: job.wait(PollPolicy(timeout=60.0)))
    error = caught.value
    assert (error.reference, error.last_status) == ("j1", "running")
    assert clock.elapsed() == pytest.approx(60.0) and sum(clock.sleeps) == pytest.approx(60.0)
    assert "j1" in str(error) and "last status running" in str(error)
    # elsewhere (another process): only the reference survives
    rebuilt = client.job(error.reference)
    assert (rebuilt.reference, rebuilt.status, rebuilt.done, rebuilt.progress) == (
        "j1",
        "(not fetched)",
        False,
        None,
    )
    acme.finish_after = acme.jobs["j1"] + 1
    assert call(mode, rebuilt.wait).status == "done"


@pytest.mark.parametrize("mode", MODES)
def test_a_timed_out_wait_leaves_the_handle_at_the_last_status(mode: str) -> None:
    acme = Acme(finish_after=10**6)
    _, job = started(mode, acme)
    with pytest.raises(JobTimeoutError):
        call(mode, lambda: job.wait(PollPolicy(timeout=60.0)))
    assert job.status == "running"


@pytest.mark.parametrize("mode", MODES)
def test_refresh_fetches_once(mode: str) -> None:
    acme = Acme(finish_after=3)
    client, _ = started(mode, acme)
    job = client.job("j1")
    state = call(mode, job.refresh)
    assert state.status == job.status == "running" and acme.fetches("j1") == 1
    assert job.progress == Progress(None, 1, 3)


@pytest.mark.parametrize("mode", MODES)
def test_download_waits_first_then_streams_the_file(mode: str, tmp_path: Path) -> None:
    acme = Acme(finish_after=3)
    _, job = started(mode, acme)
    progress: list[tuple[int, int | None]] = []
    result: DownloadResult = call(
        mode, lambda: job.download(tmp_path / "out.csv", lambda d, t: progress.append((d, t)))
    )
    assert job.status == "done" and acme.fetches("j1") == 3
    assert result.path == tmp_path / "out.csv" and result.path.read_bytes() == FILE
    assert result.sha256 == hashlib.sha256(FILE).hexdigest() and result.size == len(FILE)
    assert progress[-1] == (len(FILE), len(FILE))
    (file_request,) = [r for r in acme.requests if r.url.path == "/files/j1"]
    assert file_request.url.params["signature"] == "SECRET"  # the link is used, only never shown


@pytest.mark.parametrize("mode", MODES)
def test_cancel_where_the_vendor_can(mode: str) -> None:
    acme = Acme(finish_after=100)
    _, job = started(mode, acme)
    call(mode, job.cancel)
    assert acme.cancelled == ["j1"]
    with pytest.raises(JobFailedError, match="ended cancelled"):
        call(mode, job.wait)


class RigidJobs(AcmeJobs):
    """Acme's jobs without cancel (the `JobSpec` default)."""

    cancel = JobSpec.cancel


RIGID = replace(VENDOR, jobs=RigidJobs())


class RigidAcmeClient(AcmeClient):
    vendor = RIGID


class AsyncRigidAcmeClient(AsyncAcmeClient):
    vendor = RIGID


@pytest.mark.parametrize("mode", MODES)
def test_cancel_where_the_vendor_cannot_names_the_vendor(mode: str) -> None:
    acme = Acme()
    client = make(mode, acme, clock=RecordingClock(), classes=(RigidAcmeClient, AsyncRigidAcmeClient))
    for reference, shown in [("j1", "j1"), ("https://acme.test/jobs/9?token=SECRET", "token=***")]:
        with pytest.raises(NotImplementedError, match="Acme export jobs cannot be cancelled") as caught:
            call(mode, client.job(reference).cancel)
        assert shown in str(caught.value) and "SECRET" not in str(caught.value)
    assert acme.requests == []


@pytest.mark.parametrize("mode", MODES)
def test_repr_shows_reference_status_and_progress_but_never_the_result_link(mode: str) -> None:
    acme = Acme(finish_after=4)
    _, job = started(mode, acme)
    cls = "Job" if mode == "sync" else "AsyncJob"
    assert repr(job) == f"<{cls} acme 'j1' status='(not fetched)'>"
    call(mode, job.refresh)
    assert repr(job) == f"<{cls} acme 'j1' status='running' processed=1/4>"
    call(mode, job.wait)
    assert repr(job) == f"<{cls} acme 'j1' status='done' progress=100%>"
    assert "SECRET" not in repr(job) and "SECRET" not in repr(job.state)


@pytest.mark.parametrize("mode", MODES)
def test_link_references_are_redacted_in_repr(mode: str) -> None:
    client = client_for(mode, Acme())
    job = client.job("https://acme.test/jobs/9?token=SECRET")
    assert "SECRET" not in repr(job) and "token=***" in repr(job)
    assert job.reference == "https://acme.test/jobs/9?token=SECRET"  # the handle keeps what it needs


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reference", ["", "  ", None, 42])
def test_reference_must_be_a_non_empty_string(mode: str, reference: Any) -> None:
    acme = Acme()
    client = client_for(mode, acme)
    with pytest.raises(ConfigurationError, match="a job reference is a non-empty string"):
        client.job(reference)
    assert acme.requests == []
