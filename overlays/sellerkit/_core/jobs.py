"""A uniform handle for any vendor's export job, and the sans-I/O `JobSpec` a vendor declares its jobs with.

A vendor describes its jobs once (`JobSpec`: how to ask for a job's state and map it to a `JobState`, how
a failure reads, how to cancel, which request fetches the result); `Job` and `AsyncJob` are the two thin
drivers every vendor shares: `refresh()`, `wait()`, `download()`, `cancel()`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx

from .download import DownloadResult
from .errors import ConfigurationError, DownloadError, JobFailedError, SellerkitError
from .files import resolve
from .journal import Record
from .polling import PollPolicy, Progress
from .redact import redact_url
from .steps import ByteProgress, Download, Offload, Steps, Wait, public

if TYPE_CHECKING:
    from .files import Target
    from .kit import AsyncClient, ClientCore, SyncClient


@dataclass(frozen=True, init=False)
class JobState:
    """One observation of a job, in vendor-neutral terms (the vendor's `JobSpec` maps its statuses here)."""

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
    record: Record | None = field(default=None, repr=False, compare=False)
    """The journal record of the call that started (or adopted) the job."""

    def __init__(
        self,
        reference: str,
        status: str,
        terminal: bool,
        succeeded: bool,
        progress: Progress | None = None,
        result_url: str | None = None,
        message: str | None = None,
        poll_hint: float | None = None,
        raw: object = None,
        record: Record | None = None,
    ) -> None:
        # one per status poll: a frozen dataclass's own __init__ pays object.__setattr__ per field, this
        # one dict update (the instance stays frozen: assigning a field still raises)
        self.__dict__.update(
            reference=reference,
            status=status,
            terminal=terminal,
            succeeded=succeeded,
            progress=progress,
            result_url=result_url,
            message=message,
            poll_hint=poll_hint,
            raw=raw,
            record=record,
        )


class JobSpec:
    """How one vendor's export jobs work, without I/O: each method returns steps (see steps.py)."""

    policy: PollPolicy = PollPolicy()
    """The poll schedule `wait()` uses when the caller gives none."""

    def reference(self, value: object) -> str:
        """A user-given job reference, checked (`client.job(ref)`); a `ConfigurationError` names the fix."""
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(f"a job reference is a non-empty string, not {value!r}")
        return value.strip()

    def fetch(self, client: Any, reference: str) -> Steps[JobState]:
        """Ask for the job's state."""
        raise NotImplementedError

    def failure(self, client: Any, state: JobState) -> Steps[JobFailedError]:
        """The error for a failed terminal state (a vendor may fetch logs to attach)."""
        return JobFailedError(
            f"{client.vendor.title} job ended {state.status}",
            vendor=client.vendor.name,
            reference=state.reference,
            status=state.status,
            vendor_message=state.message,
        )
        yield  # a generator: the default needs no request

    def cancel(self, client: Any, reference: str) -> Steps[None]:
        """Cancel the job; `NotImplementedError` if the vendor can't."""
        raise NotImplementedError
        yield

    def pause(self, client: Any, reference: str) -> Steps[JobState]:
        """Pause the job and return its state; `NotImplementedError` if the vendor can't (most can't)."""
        raise NotImplementedError
        yield

    def resume(self, client: Any, reference: str) -> Steps[JobState]:
        """Resume a paused job and return its state; `NotImplementedError` if the vendor can't."""
        raise NotImplementedError
        yield

    def result(self, client: Any, state: JobState) -> httpx.Request:
        """The request that fetches a finished job's file."""
        if not state.result_url:
            raise DownloadError(
                f"{client.vendor.title} job {state.reference} finished without a file link",
                url=client.base_url,
            )
        request: httpx.Request = client._get(state.result_url)
        return request

    def download(
        self, client: Any, state: JobState, target: Target, on_progress: ByteProgress | None
    ) -> Steps[DownloadResult]:
        """Stream the finished job's file to `target`."""
        result: DownloadResult = yield Download(self.result(client, state), target, on_progress)
        return result


class _Handle:
    """State, accessors and the steps of `Job` and `AsyncJob` (no I/O here)."""

    _client: ClientCore

    def __init__(self, client: ClientCore, state: JobState) -> None:
        self._client, self._state = client, state
        self._spec = client._job_spec()

    @property
    def vendor(self) -> str:
        """The vendor whose job this is."""
        return self._client.vendor.name

    @property
    def reference(self) -> str:
        """The vendor's job id (or link): `client.job(reference)` rebuilds this handle anywhere."""
        return self._state.reference

    @property
    def state(self) -> JobState:
        """The last observed state."""
        return self._state

    @property
    def status(self) -> str:
        """The vendor's status text of the last observed state."""
        return self._state.status

    @property
    def progress(self) -> Progress | None:
        """The last reported progress, if the vendor reports any."""
        return self._state.progress

    @property
    def result_url(self) -> str | None:
        """The result link of the last observed state, if the vendor gives one."""
        return self._state.result_url

    @property
    def done(self) -> bool:
        """True once a terminal state (success or failure) has been observed."""
        return self._state.terminal

    def _record(self, state: JobState) -> JobState:
        kept = self._state.record
        self._state = state if state.record is not None or kept is None else replace(state, record=kept)
        return self._state

    def _refresh_steps(self) -> Steps[JobState]:
        return self._record((yield from self._spec.fetch(self._client, self.reference)))

    def _wait_steps(
        self, policy: PollPolicy | None, on_progress: Callable[[Progress], object] | None
    ) -> Steps[JobState]:
        state = self._state
        if state.terminal and state.succeeded:
            return state
        if state.terminal:
            raise (yield from self._spec.failure(self._client, state))
        return self._record((yield Wait(self.reference, state, policy, on_progress, self._record)))

    def _download_steps(
        self,
        dest: str | os.PathLike[str],
        on_progress: ByteProgress | None,
        policy: PollPolicy | None,
        overwrite: bool,
    ) -> Steps[DownloadResult]:
        target = resolve(dest, overwrite=overwrite)  # before any request: a bad dest costs nothing
        state = yield from self._wait_steps(policy, None)
        result = yield from self._spec.download(self._client, state, target, on_progress)
        record = state.record
        if record is not None:
            yield Offload(lambda: self._client.journal.finished(record))
        return result

    def _cancel_steps(self) -> Steps[None]:
        try:
            yield from self._spec.cancel(self._client, self.reference)
        except NotImplementedError:
            job = redact_url(self.reference)
            raise NotImplementedError(
                f"{self._client.vendor.title} export jobs cannot be cancelled (job {job})"
            ) from None

    def _control_steps(self, verb: str) -> Steps[JobState]:
        # pause/resume: one driver for both, like cancel; the spec's answer becomes the handle's state
        try:
            state = yield from getattr(self._spec, verb)(self._client, self.reference)
        except NotImplementedError:
            job = redact_url(self.reference)
            raise NotImplementedError(
                f"{self._client.vendor.title} export jobs cannot be {verb}d (job {job})"
            ) from None
        return self._record(state)

    def __repr__(self) -> str:
        # reference and status only: result links may be pre-signed, raw payloads may be large;
        # some vendors' references are links themselves, so they are redacted like URLs
        parts = [self.vendor, repr(redact_url(self.reference)), f"status={self.status!r}"]
        progress = self.progress
        if progress is not None and progress.fraction is not None:
            parts.append(f"progress={progress.fraction:.0%}")
        elif progress is not None and progress.processed is not None:
            parts.append(f"processed={progress.processed}/{progress.total if progress.total else '?'}")
        return f"<{type(self).__name__} {' '.join(parts)}>"


UNKNOWN = "(not fetched)"


def unknown(reference: str) -> JobState:
    """The state of a handle rebuilt from a reference, before its first fetch."""
    return JobState(reference, UNKNOWN, terminal=False, succeeded=False)


class Job(_Handle):
    """A vendor export job: `wait()` for it, `download()` its file, `cancel()` it where the vendor can."""

    _client: SyncClient

    def refresh(self) -> JobState:
        """Fetch and return the current state."""
        try:
            return self._client._run(self._refresh_steps())
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    def wait(
        self,
        policy: PollPolicy | None = None,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> JobState:
        """Poll until the job ends and return its state; `JobFailedError` if it failed, `JobTimeoutError`
        (with the reference, to resume later) if `policy.timeout` or the client's deadline passed first.

        Args:
            policy: the poll schedule (default: the vendor's; see `PollPolicy`).
            on_progress: called with each new `Progress` the vendor reports.
        """
        try:
            return self._client._run(self._wait_steps(policy, on_progress))
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    def download(
        self,
        dest: str | os.PathLike[str],
        on_progress: ByteProgress | None = None,
        *,
        policy: PollPolicy | None = None,
        overwrite: bool = False,
    ) -> DownloadResult:
        """Wait for the job if needed, then stream its file to `dest` and return path, size and sha256.

        Args:
            dest: a folder (ends with "/" or exists: created if needed, the vendor's file name inside, never
                replacing a file) or a file path (refused if it exists, unless `overwrite`).
            on_progress: called with (bytes done, total or None) as the file arrives.
            policy: the poll schedule while waiting.
            overwrite: replace an existing file at a file-path `dest`.
        """
        try:
            return self._client._run(self._download_steps(dest, on_progress, policy, overwrite))
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    def cancel(self) -> None:
        """Ask the vendor to cancel the job; `NotImplementedError` names the vendor if it cannot."""
        self._client._run(self._cancel_steps())

    def pause(self) -> JobState:
        """Pause the job (where the vendor can: `NotImplementedError` otherwise); its new state."""
        try:
            return self._client._run(self._control_steps("pause"))
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    def resume(self) -> JobState:
        """Resume a paused job (where the vendor can: `NotImplementedError` otherwise); its new state."""
        try:
            return self._client._run(self._control_steps("resume"))
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__


class AsyncJob(_Handle):
    """`Job` for asyncio: the same methods, awaited."""

    _client: AsyncClient

    async def refresh(self) -> JobState:
        """Fetch and return the current state."""
        try:
            return await self._client._run(self._refresh_steps())
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    async def wait(
        self,
        policy: PollPolicy | None = None,
        on_progress: Callable[[Progress], object] | None = None,
    ) -> JobState:
        """`Job.wait`, awaited."""
        try:
            return await self._client._run(self._wait_steps(policy, on_progress))
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    async def download(
        self,
        dest: str | os.PathLike[str],
        on_progress: ByteProgress | None = None,
        *,
        policy: PollPolicy | None = None,
        overwrite: bool = False,
    ) -> DownloadResult:
        """`Job.download`, awaited."""
        try:
            return await self._client._run(self._download_steps(dest, on_progress, policy, overwrite))
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    async def cancel(self) -> None:
        """`Job.cancel`, awaited."""
        await self._client._run(self._cancel_steps())

    async def pause(self) -> JobState:
        """`Job.pause`, awaited."""
        try:
            return await self._client._run(self._control_steps("pause"))
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__

    async def resume(self) -> JobState:
        """`Job.resume`, awaited."""
        try:
            return await self._client._run(self._control_steps("resume"))
        except SellerkitError as exc:
            raise public(exc) from exc.__cause__
