"""The job handle over an in-memory fake backend: wait, failure, timeout, rebuild, cancel, download, repr."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError, JobFailedError, JobTimeoutError
from sellerkit._core.jobs import AsyncJob, Job, JobState
from sellerkit._core.polling import PollPolicy, Progress

pytestmark = pytest.mark.timeout(30)
MODES = ["sync", "async"]
FILE = b"sku;qty\n" + b"A-1;3\n" * 1000
SIGNED = "https://files.acme.example/out.csv?X-Amz-Signature=SECRET"


class FakeClock:
    """Moves only when slept on."""

    def __init__(self) -> None:
        self.now = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.now += seconds


class FakeBackend:
    """An in-memory vendor: jobs finish (or fail) a number of seconds after creation on the fake clock."""

    vendor = "acme"

    def __init__(self, clock: FakeClock, *, can_cancel: bool = True) -> None:
        self.clock, self.can_cancel = clock, can_cancel
        self.jobs: dict[str, tuple[float, bool]] = {}
        self.cancelled: list[str] = []
        self.fetches = 0

    def submit(self, reference: str, seconds: float, *, succeeds: bool = True) -> JobState:
        self.jobs[reference] = (self.clock.now + seconds, succeeds)
        return JobState(reference, "Queued", terminal=False, succeeded=False)

    def fetch(self, reference: str) -> JobState:
        self.fetches += 1
        ends, succeeds = self.jobs[reference]
        if reference in self.cancelled:
            return JobState(reference, "Cancelled", terminal=True, succeeded=False)
        if self.clock.now < ends:
            done = int(100 * self.clock.now / ends)
            return JobState(reference, "Running", False, False, Progress(processed=done, total=100))
        if not succeeds:
            return JobState(reference, "Failed", True, False, message="disk quota exceeded")
        return JobState(reference, "Completed", True, True, Progress(1.0, 100, 100), result_url=SIGNED)

    def cancel(self, reference: str) -> None:
        if not self.can_cancel:
            raise NotImplementedError
        self.cancelled.append(reference)

    def failure(self, state: JobState) -> JobFailedError:
        return JobFailedError(
            "export failed",
            vendor=self.vendor,
            reference=state.reference,
            status=state.status,
            vendor_message=state.message,
            details=["log: row 17 rejected"],
        )

    def request(self) -> httpx.Request:
        return httpx.Request("GET", "https://api.acme.example/jobs/out.csv")

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(lambda request: httpx.Response(200, content=FILE))

    def open_download(self, state: JobState) -> tuple[httpx.Client, httpx.Request]:
        client = httpx.Client(base_url="https://api.acme.example", transport=self.transport())
        return client, client.build_request("GET", "/jobs/out.csv")


class AsyncFakeBackend:
    """The same vendor behind the async protocol."""

    vendor = "acme"

    def __init__(self, sync: FakeBackend) -> None:
        self.sync = sync

    async def fetch(self, reference: str) -> JobState:
        return self.sync.fetch(reference)

    async def cancel(self, reference: str) -> None:
        self.sync.cancel(reference)

    async def failure(self, state: JobState) -> JobFailedError:
        return self.sync.failure(state)

    async def open_download(self, state: JobState) -> tuple[httpx.AsyncClient, httpx.Request]:
        client = httpx.AsyncClient(base_url="https://api.acme.example", transport=self.sync.transport())
        return client, client.build_request("GET", "/jobs/out.csv")


class Handle:
    """Drives `Job` or `AsyncJob` through one sync-looking interface, so every test runs in both modes."""

    def __init__(
        self, mode: str, backend: FakeBackend, reference: str, state: JobState | None = None
    ) -> None:
        self.mode, self.backend = mode, backend
        clock = backend.clock
        self.job: Job | AsyncJob = (
            Job(backend, reference, state, clock=clock.time, sleep=clock.sleep)
            if mode == "sync"
            else AsyncJob(AsyncFakeBackend(backend), reference, state, clock=clock.time, sleep=clock.asleep)
        )

    @classmethod
    def rebuilt(cls, mode: str, backend: FakeBackend, reference: str) -> Handle:
        handle = cls(mode, backend, "placeholder")
        clock = backend.clock
        handle.job = (
            Job.from_reference(backend, reference, clock=clock.time, sleep=clock.sleep)
            if mode == "sync"
            else AsyncJob.from_reference(
                AsyncFakeBackend(backend), reference, clock=clock.time, sleep=clock.asleep
            )
        )
        return handle

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self.job, Job):
            return getattr(self.job, name)(*args, **kwargs)
        return asyncio.run(getattr(self.job, name)(*args, **kwargs))


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend(FakeClock())


@pytest.mark.parametrize("mode", MODES)
def test_wait_returns_the_successful_state_and_updates_the_handle(mode: str, backend: FakeBackend) -> None:
    handle = Handle(mode, backend, "r-1", backend.submit("r-1", 12.0))
    seen: list[Progress] = []
    state = handle.call("wait", on_progress=seen.append)
    job = handle.job
    assert state.status == job.status == "Completed" and job.done
    assert job.state is state and job.result_url == SIGNED
    assert job.progress == Progress(1.0, 100, 100) and seen[-1] == job.progress
    assert [p.processed for p in seen] == sorted(p.processed or 0 for p in seen)


@pytest.mark.parametrize("mode", MODES)
def test_failed_job_raises_the_backends_error(mode: str, backend: FakeBackend) -> None:
    handle = Handle(mode, backend, "r-2", backend.submit("r-2", 3.0, succeeds=False))
    with pytest.raises(JobFailedError) as caught:
        handle.call("wait")
    error = caught.value
    assert (error.reference, error.status, error.vendor_message) == ("r-2", "Failed", "disk quota exceeded")
    assert error.details == ["log: row 17 rejected"]
    fetches = backend.fetches
    with pytest.raises(JobFailedError):  # the terminal state is remembered: no further fetch needed
        handle.call("download", Path("unused"))
    assert backend.fetches == fetches


@pytest.mark.parametrize("mode", MODES)
def test_timeout_carries_the_reference_and_the_job_can_be_rebuilt(mode: str, backend: FakeBackend) -> None:
    handle = Handle(mode, backend, "r-3", backend.submit("r-3", 600.0))
    with pytest.raises(JobTimeoutError) as caught:
        handle.call("wait", PollPolicy(timeout=60.0))
    assert caught.value.reference == "r-3" and caught.value.last_status == "Running"
    assert handle.job.status == "Running"
    # elsewhere (another process): only the reference survives
    rebuilt = Handle.rebuilt(mode, backend, caught.value.reference)
    assert rebuilt.job.state is None and rebuilt.job.reference == "r-3"
    assert rebuilt.call("wait").status == "Completed"


@pytest.mark.parametrize("mode", MODES)
def test_refresh_fetches_once(mode: str, backend: FakeBackend) -> None:
    backend.submit("r-4", 10.0)
    handle = Handle.rebuilt(mode, backend, "r-4")
    assert handle.call("refresh").status == "Running" and backend.fetches == 1


@pytest.mark.parametrize("mode", MODES)
def test_download_waits_first_then_streams_the_file(mode: str, backend: FakeBackend, tmp_path: Path) -> None:
    handle = Handle(mode, backend, "r-5", backend.submit("r-5", 5.0))
    result: DownloadResult = handle.call("download", tmp_path / "out.csv")
    assert handle.job.status == "Completed" and backend.clock.now >= 5.0
    assert result.path.read_bytes() == FILE
    assert result.sha256 == hashlib.sha256(FILE).hexdigest() and result.size == len(FILE)


@pytest.mark.parametrize("mode", MODES)
def test_cancel_where_the_vendor_can(mode: str, backend: FakeBackend) -> None:
    handle = Handle(mode, backend, "r-6", backend.submit("r-6", 100.0))
    handle.call("cancel")
    assert backend.cancelled == ["r-6"]
    with pytest.raises(JobFailedError, match="Cancelled"):
        handle.call("wait")


@pytest.mark.parametrize("mode", MODES)
def test_cancel_where_the_vendor_cannot_names_the_vendor(mode: str) -> None:
    backend = FakeBackend(FakeClock(), can_cancel=False)
    handle = Handle(mode, backend, "r-7", backend.submit("r-7", 100.0))
    with pytest.raises(NotImplementedError, match=r"acme export jobs cannot be cancelled \(job r-7\)"):
        handle.call("cancel")


@pytest.mark.parametrize("mode", MODES)
def test_repr_shows_reference_and_status_but_never_the_result_link(mode: str, backend: FakeBackend) -> None:
    handle = Handle(mode, backend, "r-8", backend.submit("r-8", 1.0))
    cls = "Job" if mode == "sync" else "AsyncJob"
    assert repr(handle.job) == f"<{cls} acme 'r-8' status='Queued'>"
    backend.clock.now = 0.5
    handle.call("refresh")
    assert repr(handle.job) == f"<{cls} acme 'r-8' status='Running' processed=50/100>"
    handle.call("wait")
    assert repr(handle.job) == f"<{cls} acme 'r-8' status='Completed' progress=100%>"
    assert "SECRET" not in repr(handle.job) and "SECRET" not in repr(handle.job.state)


@pytest.mark.parametrize("mode", MODES)
def test_link_references_are_redacted_in_repr(mode: str, backend: FakeBackend) -> None:
    link = "https://api.acme.example/jobs/9?token=SECRET"
    handle = Handle(mode, backend, link, backend.submit(link, 1.0))
    assert "SECRET" not in repr(handle.job) and "token=***" in repr(handle.job)


@pytest.mark.parametrize("reference", ["", None, 42])
def test_reference_must_be_a_non_empty_string(backend: FakeBackend, reference: Any) -> None:
    with pytest.raises(ConfigurationError, match="reference"):
        Job(backend, reference)
    with pytest.raises(ConfigurationError, match="reference"):
        AsyncJob(AsyncFakeBackend(backend), reference)
