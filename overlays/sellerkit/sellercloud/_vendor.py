"""Sellercloud declared for the kit: credentials, the per-IP quota and throttle body, and its queued jobs."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError, JobFailedError, SellerkitError
from sellerkit._core.files import Target
from sellerkit._core.jobs import JobSpec, JobState
from sellerkit._core.paging import numbered_pages
from sellerkit._core.polling import Progress
from sellerkit._core.quota import Quota
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.steps import ByteProgress, Download, Offload, Send, Steps
from sellerkit._core.vendor import Credential, Vendor
from sellerkit.sellercloud_api import AuthenticatedClient
from sellerkit.sellercloud_api.api.queued_jobs import (
    cancel_queued_job,
    get_queued_job,
    get_queued_job_logs,
    get_queued_job_output_file,
)
from sellerkit.sellercloud_api.models import FileContent, QueuedJob, QueuedJobLogEntry, QueuedJobLogPage

from . import _facts
from ._output import finalize, write_inline

INLINE = "inline:"
MAX_LOG_PAGES = 10  # a failed job's error log attached to its exception: bounded


def job_id(link: str) -> str:
    """The job id of a queued job link (`...?id=2206923`), or a bare id."""
    if not isinstance(link, str):
        raise ConfigurationError(f"a Sellercloud job reference is an id or a queued job link, not {link!r}")
    if link.strip().isdigit():
        return link.strip()
    query = parse_qs(urlsplit(link).query)
    ids = query.get("id") or query.get("ID")
    if not ids or not ids[0].isdigit():
        raise SellerkitError(f"Sellercloud answered with a queued job link without an id: {link[:200]!r}")
    return ids[0]


def job_state(reference: str, job: QueuedJob) -> JobState:
    """A queued job as a `JobState` (pure): status, record counters as progress, error message."""
    status = int(job.basic.status)
    total = job.total_records if isinstance(job.total_records, int) else None
    done = job.total_processed if isinstance(job.total_processed, int) else None
    fraction = done / total if done is not None and total else None
    message = job.basic.error_message if isinstance(job.basic.error_message, str) else None
    return JobState(
        reference=reference,
        status=job.basic.status.name,
        terminal=status in _facts.SUCCEEDED or status in _facts.FAILED,
        succeeded=status in _facts.SUCCEEDED,
        progress=Progress(fraction=fraction, processed=done, total=total),
        message=message,
        raw=job,
    )


def inline_state(content: FileContent) -> JobState:
    """An export answered with the file itself: a job that is already done, its file in `raw`."""
    return JobState(INLINE + content.file_name, "Completed", terminal=True, succeeded=True, raw=content)


def log_entries(
    client: Any, reference: str, max_pages: int = MAX_LOG_PAGES
) -> Steps[list[QueuedJobLogEntry]]:
    """A queued job's log entries, 50 per request, at most `max_pages` pages."""

    def page(number: int) -> Steps[list[QueuedJobLogEntry]]:
        response = yield Send(
            client._request(
                get_queued_job_logs,
                id=int(job_id(reference)),
                page_number=number,
                page_size=_facts.LOG_PAGE_SIZE,
            )
        )
        items = client._parse(get_queued_job_logs, response, QueuedJobLogPage).items
        return list(items) if isinstance(items, list) else []

    return (yield from numbered_pages(page, page_size=_facts.LOG_PAGE_SIZE, max_pages=max_pages))


def _queued(reference: str) -> None:
    if reference.startswith(INLINE):
        raise ConfigurationError(
            "this export came back with its file inline: it has no queued job to refresh or cancel; "
            "download() writes the file"
        )


class QueuedJobs(JobSpec):
    """Sellercloud's queued jobs: status with record counters, error logs on failure, cancel, output file."""

    def reference(self, value: object) -> str:
        if isinstance(value, str) and value.startswith(INLINE):
            raise ConfigurationError("an inline export has no queued job to look up")
        return job_id(value)  # type: ignore[arg-type]

    def fetch(self, client: Any, reference: str) -> Steps[JobState]:
        _queued(reference)
        response = yield Send(client._request(get_queued_job, id=int(reference)))
        return job_state(reference, client._parse(get_queued_job, response, QueuedJob))

    def failure(self, client: Any, state: JobState) -> Steps[JobFailedError]:
        log: list[QueuedJobLogEntry] = []
        with contextlib.suppress(SellerkitError):  # the failure is the news; a missing log must not hide it
            log = yield from log_entries(client, state.reference)
        details = [
            f"{e.log_time}: {e.message}" for e in log if e.is_error is True and isinstance(e.message, str)
        ]
        return JobFailedError(
            f"queued job {state.status}",
            vendor=_facts.VENDOR,
            reference=state.reference,
            status=state.status,
            vendor_message=state.message,
            details=details,
        )

    def cancel(self, client: Any, reference: str) -> Steps[None]:
        _queued(reference)
        # the response body is undocumented; errors were already raised by the transport
        yield Send(client._request(cancel_queued_job, id=int(reference)))

    def download(
        self, client: Any, state: JobState, target: Target, on_progress: ByteProgress | None
    ) -> Steps[DownloadResult]:
        raw = state.raw
        if isinstance(raw, FileContent):
            inline: DownloadResult = yield Offload(
                lambda: write_inline(raw.content, raw.file_name, target, "inline export")
            )
            return inline
        staging = Target(target.folder / f".sellerkit-sellercloud-job-{state.reference}", None)
        yield Offload(lambda: staging.folder.mkdir(exist_ok=True))
        request = client._request(get_queued_job_output_file, id=int(state.reference))
        source = f"/api/QueuedJobs/OutputFile?id={state.reference}"
        try:
            body: DownloadResult = yield Download(request, staging, on_progress)
            final: DownloadResult = yield Offload(
                lambda: finalize(body, target, f"sellercloud-job-{state.reference}", source)
            )
            return final
        finally:
            with contextlib.suppress(OSError):  # kept only while it holds a part file to resume
                staging.folder.rmdir()


VENDOR = Vendor(
    name=_facts.VENDOR,
    title="Sellercloud",
    credentials=(
        Credential("username", _facts.ENV_USERNAME, "your Sellercloud user name"),
        Credential("password", _facts.ENV_PASSWORD, "that user's password"),
    ),
    errors=ErrorFacts(
        _facts.VENDOR, hints={401: "check SELLERCLOUD_USERNAME / SELLERCLOUD_PASSWORD and the server id"}
    ),
    throttle_reset_key=_facts.THROTTLE_RESET_KEY,
    quotas=(Quota(*_facts.RATE),),
    quota_scope="base_url",  # per client IP: every client of this process and server shares one limiter
    # waits until the documented throttle body's reset time instead of giving up after the default 2 minutes
    retry=RetryPolicy(max_total_wait=_facts.MAX_THROTTLE_WAIT),
    max_wait=_facts.MAX_THROTTLE_WAIT,
    throttle_on_success=True,  # the docs give the throttle body no status
    jobs=QueuedJobs(),
    generated=AuthenticatedClient,
)
JOBS = VENDOR.jobs
