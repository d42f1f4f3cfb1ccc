"""A uniform handle for any vendor's export job: status, wait, download, cancel, rebuild by reference."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from os import PathLike
from typing import Protocol, Self

import httpx

from . import _aio
from .download import DownloadResult, download, download_async
from .errors import ConfigurationError, JobFailedError
from .polling import PollPolicy, Progress, poll, poll_async
from .redact import redact_url

ByteProgress = Callable[[int, int | None], object]


@dataclass(frozen=True)
class JobState:
    """One observation of a job, in vendor-neutral terms (the vendor overlay maps its statuses here)."""

    reference: str
    status: str
    terminal: bool
    succeeded: bool
    progress: Progress | None = None
    # result links are often pre-signed: keep them out of reprs and logs
    result_url: str | None = field(default=None, repr=False)
    message: str | None = None
    poll_hint: float | None = None
    raw: object = field(default=None, repr=False, compare=False)


class JobBackend(Protocol):
    """What a vendor overlay implements so `Job` can drive its export jobs (sync)."""

    @property
    def vendor(self) -> str: ...

    def fetch(self, reference: str) -> JobState:
        """Ask the vendor for the job's current state."""
        ...

    def cancel(self, reference: str) -> None:
        """Cancel the job; raise `NotImplementedError` if the vendor cannot."""
        ...

    def failure(self, state: JobState) -> JobFailedError:
        """The error for a failed terminal state (may fetch job logs to attach)."""
        ...

    def open_download(self, state: JobState) -> tuple[httpx.Client, httpx.Request]:
        """The API client (still owned by the backend) and the request that fetches the result file."""
        ...


class AsyncJobBackend(Protocol):
    """`JobBackend` with coroutines and `httpx.AsyncClient`."""

    @property
    def vendor(self) -> str: ...

    async def fetch(self, reference: str) -> JobState:
        """Ask the vendor for the job's current state."""
        ...

    async def cancel(self, reference: str) -> None:
        """Cancel the job; raise `NotImplementedError` if the vendor cannot."""
        ...

    async def failure(self, state: JobState) -> JobFailedError:
        """The error for a failed terminal state (may fetch job logs to attach)."""
        ...

    async def open_download(self, state: JobState) -> tuple[httpx.AsyncClient, httpx.Request]:
        """The API client (still owned by the backend) and the request that fetches the result file."""
        ...


class _Handle:
    """State and accessors shared by `Job` and `AsyncJob` (no I/O here)."""

    def __init__(self, vendor: str, reference: str, state: JobState | None) -> None:
        if not isinstance(reference, str) or not reference:
            raise ConfigurationError(f"a job reference must be a non-empty str, got {reference!r}")
        self._vendor, self._reference, self._state = vendor, reference, state

    @property
    def vendor(self) -> str:
        """The vendor whose job this is."""
        return self._vendor

    @property
    def reference(self) -> str:
        """The vendor's job id (or link): enough to rebuild this handle with `from_reference`."""
        return self._reference

    @property
    def state(self) -> JobState | None:
        """The last observed state, or None before the first fetch."""
        return self._state

    @property
    def status(self) -> str | None:
        """The vendor's status text of the last observed state."""
        return None if self._state is None else self._state.status

    @property
    def progress(self) -> Progress | None:
        """The last reported progress, if the vendor reports any."""
        return None if self._state is None else self._state.progress

    @property
    def result_url(self) -> str | None:
        """The result link of the last observed state, if the vendor gives one."""
        return None if self._state is None else self._state.result_url

    @property
    def done(self) -> bool:
        """True once a terminal state (success or failure) has been observed."""
        return self._state is not None and self._state.terminal

    def _record(self, state: JobState) -> JobState:
        self._state = state
        return state

    def _cannot_cancel(self) -> NotImplementedError:
        job = redact_url(self._reference)
        return NotImplementedError(f"{self._vendor} export jobs cannot be cancelled (job {job})")

    def __repr__(self) -> str:
        # reference and status only: result links may be pre-signed, raw payloads may be large;
        # some vendors' references are links themselves, so they are redacted like URLs
        parts = [self._vendor, repr(redact_url(self._reference)), f"status={self.status!r}"]
        progress = self.progress
        if progress is not None and progress.fraction is not None:
            parts.append(f"progress={progress.fraction:.0%}")
        elif progress is not None and progress.processed is not None:
            parts.append(f"processed={progress.processed}/{progress.total if progress.total else '?'}")
        return f"<{type(self).__name__} {' '.join(parts)}>"


class Job(_Handle):
    """A vendor export job: `wait()` for it, `download()` its file, `cancel()` it where the vendor can."""

    def __init__(
        self,
        backend: JobBackend,
        reference: str,
        state: JobState | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        super().__init__(backend.vendor, reference, state)
        # what wait() polls with: injectable so tests and benchmarks need not really wait
        self._backend, self._clock, self._sleep = backend, clock, sleep

    @classmethod
    def from_reference(
        cls,
        backend: JobBackend,
        reference: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> Self:
        """Rebuild a handle from a reference saved elsewhere (e.g. `JobTimeoutError.reference`)."""
        return cls(backend, reference, clock=clock, sleep=sleep)

    def refresh(self) -> JobState:
        """Fetch and return the current state."""
        return self._record(self._backend.fetch(self._reference))

    def wait(
        self,
        policy: PollPolicy | None = None,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> JobState:
        """Poll until the job ends; return its state, or raise `JobFailedError` / `JobTimeoutError`."""
        state = poll(
            self.refresh,
            vendor=self._vendor,
            reference=self._reference,
            policy=policy,
            state=self._state,
            on_progress=on_progress,
            clock=self._clock,
            sleep=self._sleep,
        )
        if not state.succeeded:
            raise self._backend.failure(state)
        return state

    def download(
        self,
        dest: str | PathLike[str],
        on_progress: ByteProgress | None = None,
        *,
        policy: PollPolicy | None = None,
    ) -> DownloadResult:
        """Wait for the job if needed, then stream its result file to `dest` (a file path or a folder)."""
        state = self._state if self._state is not None and self._state.terminal else self.wait(policy)
        if not state.succeeded:
            raise self._backend.failure(state)
        client, request = self._backend.open_download(state)
        return download(client, request, dest, on_progress=on_progress)

    def cancel(self) -> None:
        """Ask the vendor to cancel the job; `NotImplementedError` names the vendor if it cannot."""
        try:
            self._backend.cancel(self._reference)
        except NotImplementedError as exc:
            raise self._cannot_cancel() from exc


class AsyncJob(_Handle):
    """`Job` for async code: the same methods, awaited."""

    def __init__(
        self,
        backend: AsyncJobBackend,
        reference: str,
        state: JobState | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = _aio.sleep,
    ) -> None:
        super().__init__(backend.vendor, reference, state)
        # what wait() polls with: injectable so tests and benchmarks need not really wait
        self._backend, self._clock, self._sleep = backend, clock, sleep

    @classmethod
    def from_reference(
        cls,
        backend: AsyncJobBackend,
        reference: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = _aio.sleep,
    ) -> Self:
        """Rebuild a handle from a reference saved elsewhere (e.g. `JobTimeoutError.reference`)."""
        return cls(backend, reference, clock=clock, sleep=sleep)

    async def refresh(self) -> JobState:
        """Fetch and return the current state."""
        return self._record(await self._backend.fetch(self._reference))

    async def wait(
        self,
        policy: PollPolicy | None = None,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> JobState:
        """Poll until the job ends; return its state, or raise `JobFailedError` / `JobTimeoutError`."""
        state = await poll_async(
            self.refresh,
            vendor=self._vendor,
            reference=self._reference,
            policy=policy,
            state=self._state,
            on_progress=on_progress,
            clock=self._clock,
            sleep=self._sleep,
        )
        if not state.succeeded:
            raise await self._backend.failure(state)
        return state

    async def download(
        self,
        dest: str | PathLike[str],
        on_progress: ByteProgress | None = None,
        *,
        policy: PollPolicy | None = None,
    ) -> DownloadResult:
        """Wait for the job if needed, then stream its result file to `dest` (a file path or a folder)."""
        state = self._state if self._state is not None and self._state.terminal else await self.wait(policy)
        if not state.succeeded:
            raise await self._backend.failure(state)
        client, request = await self._backend.open_download(state)
        return await download_async(client, request, dest, on_progress=on_progress)

    async def cancel(self) -> None:
        """Ask the vendor to cancel the job; `NotImplementedError` names the vendor if it cannot."""
        try:
            await self._backend.cancel(self._reference)
        except NotImplementedError as exc:
            raise self._cannot_cancel() from exc
