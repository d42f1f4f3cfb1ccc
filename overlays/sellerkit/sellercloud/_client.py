"""`SellercloudClient` / `AsyncSellercloudClient`: token login, exports as queued jobs, output files.

What this adds to the generated `sellerkit.sellercloud_api` client: the bearer-token login (renewed early
from `expires_in`, re-done once on a 401), timeouts, retries, the per-IP quota and the documented throttle
body, typed errors, queued jobs as uniform `Job` handles (progress from the record counters, failures with
the job's error log), and the output file decoded from whichever of its three documented shapes arrives.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from os import PathLike
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

import httpx

from sellerkit._core import _aio
from sellerkit._core.auth.token import Credentials, TokenAuth, TokenEndpoint
from sellerkit._core.bodies import ErrorFacts, reset_time_throttle
from sellerkit._core.calls import generated_client, readable, unwrap
from sellerkit._core.client import AsyncClosing, SyncClosing, async_http, sync_http
from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError, JobFailedError, SellerkitError
from sellerkit._core.jobs import AsyncJob, Job, JobState
from sellerkit._core.polling import PollPolicy, Progress
from sellerkit._core.quota import Quota, QuotaLimiter, shared_limiter
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.transport import HttpSettings, VendorFacts
from sellerkit.sellercloud_api import AuthenticatedClient
from sellerkit.sellercloud_api.api.catalog_exports import (
    export_catalog_basic,
    export_catalog_custom,
    export_via_plugin,
    export_via_plugin_documented_path,
    get_export_via_plugin_metadata,
)
from sellerkit.sellercloud_api.api.queued_jobs import (
    cancel_queued_job,
    get_queued_job,
    get_queued_job_logs,
    get_queued_job_output_file,
)
from sellerkit.sellercloud_api.models import (
    BasicExportRequest,
    CustomExportRequest,
    ExportViaPluginRequest,
    FileContent,
    FileFormat,
    PluginInfo,
    PluginMetadata,
    QueuedJob,
    QueuedJobLinkResponse,
    QueuedJobLogEntry,
    QueuedJobLogPage,
    StandardExportKind,
)

from . import _facts
from ._output import finalize, write_inline

ExportPath = Literal["exports", "documented"]
FileFormatName = Literal["tab", "csv", "excel"]
INLINE = "inline:"
MAX_LOG_PAGES = 10  # a failed job's error log attached to its exception: bounded


def _facts_for(wall_clock: Callable[[], float]) -> VendorFacts:
    throttle = reset_time_throttle(_facts.THROTTLE_RESET_KEY, clock=wall_clock)
    return VendorFacts(
        name=_facts.VENDOR,
        errors=ErrorFacts(_facts.VENDOR, throttle=throttle),
        quotas=(Quota(*_facts.RATE),),
        throttle_on_success=True,  # the docs give the throttle body no status
    )


FACTS = _facts_for(time.time)
# waits until the documented throttle body's reset time instead of giving up after the default 2 minutes
DEFAULT_RETRY = RetryPolicy(max_total_wait=_facts.MAX_THROTTLE_WAIT)


def _base_url(server: str | None, base_url: str | None) -> str:
    server = base_url or server or os.environ.get(_facts.ENV_SERVER)
    if not server:
        raise ConfigurationError(
            f"Sellercloud needs your server id (or base URL): pass server_id= or set {_facts.ENV_SERVER}"
        )
    if "://" in server:
        return server.rstrip("/")
    if not server.replace("-", "").isalnum():
        raise ConfigurationError(
            f"server id {server!r} is not a subdomain name; pass base_url= for a full URL"
        )
    return _facts.SERVER_URL.format(server_id=server)


def _login(base_url: str) -> Callable[[Credentials], httpx.Request]:
    def login(credentials: Credentials) -> httpx.Request:
        body = {"Username": credentials.username.get(), "Password": credentials.password.get()}
        return httpx.Request("POST", f"{base_url}/api/token", json=body)

    return login


def _file_format(value: FileFormat | FileFormatName | int) -> FileFormat:
    if isinstance(value, str):
        number = _facts.FILE_FORMATS.get(value.lower())
        if number is None:
            raise ConfigurationError(f"file_format must be 'tab', 'csv' or 'excel' (or 0/1/2), not {value!r}")
        return FileFormat(number)
    if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1, 2):
        raise ConfigurationError(f"file_format must be 'tab', 'csv' or 'excel' (or 0/1/2), not {value!r}")
    return FileFormat(value)


def _product_ids(product_ids: Iterable[str]) -> list[str]:
    if isinstance(product_ids, str | bytes):
        raise ConfigurationError("product_ids must be a list of SKU strings, not a single string")
    ids = list(product_ids)
    bad = [repr(p) for p in ids if not isinstance(p, str) or not p.strip()]
    if bad:
        raise ConfigurationError(f"product_ids must be non-empty SKU strings; got {', '.join(bad[:5])}")
    if not ids:
        raise ConfigurationError("no product_ids given: pass at least one SKU")
    return ids


def job_id(link: str) -> str:
    """The job id of a queued job link (`...?id=2206923`), or a bare id."""
    if link.strip().isdigit():
        return link.strip()
    ids = parse_qs(urlsplit(link).query).get("id") or parse_qs(urlsplit(link).query).get("ID")
    if not ids or not ids[0].isdigit():
        raise SellerkitError(f"Sellercloud answered with a queued job link without an id: {link[:200]!r}")
    return ids[0]


def _reference(parsed: object) -> str:
    """A job reference from an export answer: a queued job link (string or object) or an inline file."""
    if isinstance(parsed, QueuedJobLinkResponse):
        return job_id(parsed.queued_job_link)
    if isinstance(parsed, str):
        return job_id(parsed)
    raise SellerkitError(f"unexpected export answer {type(parsed).__name__}")


def _state(reference: str, job: QueuedJob) -> JobState:
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


def _failure(state: JobState, log: list[QueuedJobLogEntry]) -> JobFailedError:
    details = [f"{e.log_time}: {e.message}" for e in log if e.is_error is True and isinstance(e.message, str)]
    return JobFailedError(
        f"queued job {state.status}",
        vendor=_facts.VENDOR,
        reference=state.reference,
        status=state.status,
        vendor_message=state.message,
        details=details,
    )


def _inline_state(content: FileContent) -> JobState:
    # an export answered with the file itself: a job that is already done, its file in `raw`
    return JobState(INLINE + content.file_name, "Completed", terminal=True, succeeded=True, raw=content)


def _output_url(reference: str) -> str:
    return f"/api/QueuedJobs/OutputFile?id={reference}"


def _targets(dest: str | PathLike[str]) -> tuple[Path | None, Path]:
    path = Path(dest)
    return (None, path) if path.is_dir() else (path, path.parent)


class _Base:
    """Settings shared by the sync and async clients."""

    def __init__(
        self,
        server_id: str | None,
        username: str | None,
        password: str | None,
        *,
        base_url: str | None,
        export_path: ExportPath | None,
        http: HttpSettings | None,
        limiter: QuotaLimiter | None,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
    ) -> None:
        self.base_url = _base_url(server_id, base_url)
        username = username if username is not None else os.environ.get(_facts.ENV_USERNAME)
        password = password if password is not None else os.environ.get(_facts.ENV_PASSWORD)
        missing = [
            f"{name} (or {env})"
            for name, value, env in (
                ("username", username, _facts.ENV_USERNAME),
                ("password", password, _facts.ENV_PASSWORD),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(f"Sellercloud needs {' and '.join(missing)}")
        path = export_path or os.environ.get(_facts.ENV_EXPORT_PATH) or "exports"
        if path not in ("exports", "documented"):
            raise ConfigurationError(f"export_path must be 'exports' or 'documented', not {path!r}")
        # the spec's primary path (/api/Catalog/Exports/ViaPlugin) or the prose one (/api/Catalog/ViaPlugin)
        self._plugin_op = export_via_plugin if path == "exports" else export_via_plugin_documented_path
        self._clock = clock
        self._facts = FACTS if wall_clock is time.time else _facts_for(wall_clock)
        # the quota is per client IP: every client of this process and server shares one limiter
        self._limiter = limiter or shared_limiter(_facts.VENDOR, self.base_url, self._facts.quotas)
        settings = http or HttpSettings(retry=DEFAULT_RETRY)
        self._http = settings if settings.limiter else replace(settings, limiter=self._limiter)
        self._auth = TokenAuth(
            TokenEndpoint(login=_login(self.base_url)),
            vendor=_facts.VENDOR,
            username=username,
            password=password,
            scheme="Bearer",
            clock=wall_clock,
        )

    def _plugin_body(
        self, product_ids: Iterable[str], plugin: str, file_format: FileFormat | FileFormatName | int
    ) -> ExportViaPluginRequest:
        if not isinstance(plugin, str) or not plugin:
            raise ConfigurationError("plugin must be a plugin Key from plugins() (PluginProfileKey)")
        return ExportViaPluginRequest(
            plugin_profile_key=plugin,
            product_ids=_product_ids(product_ids),
            file_format=_file_format(file_format),
        )

    @staticmethod
    def _basic_body(product_ids: Iterable[str], kind: StandardExportKind | int) -> BasicExportRequest:
        if isinstance(kind, bool) or not isinstance(kind, int) or not 0 <= kind <= 14:
            raise ConfigurationError(f"kind must be a StandardExportKind 0-14, not {kind!r}")
        return BasicExportRequest(
            standard_export_kind=StandardExportKind(kind), product_ids=_product_ids(product_ids)
        )

    @staticmethod
    def _custom_body(
        product_ids: Iterable[str], columns: list[str] | None, file_format: FileFormatName | int | None
    ) -> CustomExportRequest:
        body = CustomExportRequest(product_ids=_product_ids(product_ids))
        if columns is not None:
            body.columns = list(columns)
        if file_format is not None:
            body.file_format = _file_format(file_format)
        return body

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} username=*** password=***>"


class SellercloudJob(Job):
    """A queued job; `download()` decodes whichever documented body shape the output file arrives in."""

    def download(
        self,
        dest: str | PathLike[str],
        on_progress: Callable[[int, int | None], object] | None = None,
        *,
        policy: PollPolicy | None = None,
    ) -> DownloadResult:
        target, folder = _targets(dest)
        state = self.state
        if state is not None and isinstance(state.raw, FileContent):
            return write_inline(state.raw.content, state.raw.file_name, target, folder, "inline export")
        staging = folder / f".sellerkit-sellercloud-job-{self.reference}"
        staging.mkdir(exist_ok=True)
        try:
            raw = super().download(staging, on_progress, policy=policy)
            try:
                return finalize(
                    raw, target, folder, f"sellercloud-job-{self.reference}", _output_url(self.reference)
                )
            finally:
                raw.path.unlink(missing_ok=True)  # moved on success; an undecodable body is dropped
        finally:
            with contextlib.suppress(OSError):  # kept only while it holds a part file to resume
                staging.rmdir()


class AsyncSellercloudJob(AsyncJob):
    """`SellercloudJob` for the async client."""

    async def download(
        self,
        dest: str | PathLike[str],
        on_progress: Callable[[int, int | None], object] | None = None,
        *,
        policy: PollPolicy | None = None,
    ) -> DownloadResult:
        target, folder = _targets(dest)
        state = self.state
        if state is not None and isinstance(state.raw, FileContent):
            return await _aio.to_thread(
                write_inline, state.raw.content, state.raw.file_name, target, folder, "inline export"
            )
        staging = folder / f".sellerkit-sellercloud-job-{self.reference}"
        staging.mkdir(exist_ok=True)
        try:
            raw = await super().download(staging, on_progress, policy=policy)
            try:
                return await _aio.to_thread(
                    finalize,
                    raw,
                    target,
                    folder,
                    f"sellercloud-job-{self.reference}",
                    _output_url(self.reference),
                )
            finally:
                raw.path.unlink(missing_ok=True)
        finally:
            with contextlib.suppress(OSError):
                staging.rmdir()


class SellercloudClient(SyncClosing, _Base):
    """Synchronous Sellercloud client. `.api` is the generated client for anything not wrapped here."""

    vendor = _facts.VENDOR

    def __init__(
        self,
        server_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        base_url: str | None = None,
        export_path: ExportPath | None = None,
        http: HttpSettings | None = None,
        limiter: QuotaLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            server_id,
            username,
            password,
            base_url=base_url,
            export_path=export_path,
            http=http,
            limiter=limiter,
            clock=clock,
            wall_clock=wall_clock,
        )
        self._sleep = sleep
        self._httpx = sync_http(self.base_url, self._auth, self._facts, self._http)
        self.api = generated_client(AuthenticatedClient, self.base_url, self._httpx)

    @classmethod
    def from_env(cls, **kwargs: Any) -> Self:
        """Settings from `SELLERCLOUD_SERVER`, `SELLERCLOUD_USERNAME`, `SELLERCLOUD_PASSWORD`."""
        return cls(**kwargs)

    def plugins(self) -> list[PluginInfo]:
        """The export plugins available to the user; a plugin's `key` is what `export_via_plugin` takes."""
        with readable(_facts.VENDOR, "plugin list"):
            detailed = get_export_via_plugin_metadata.sync_detailed(client=self.api)
        metadata = unwrap(detailed, PluginMetadata)
        return list(metadata.plugins) if isinstance(metadata.plugins, list) else []

    def export_via_plugin(
        self, product_ids: Iterable[str], *, plugin: str, file_format: FileFormatName | int = "csv"
    ) -> SellercloudJob:
        """Queue a product export through a plugin; returns the queued job's handle."""
        body = self._plugin_body(product_ids, plugin, file_format)
        with readable(_facts.VENDOR, "export answer (the job may exist)"):
            detailed = self._plugin_op.sync_detailed(client=self.api, body=body)
        return self.job(_reference(unwrap(detailed)))

    def export_basic(self, product_ids: Iterable[str], *, kind: StandardExportKind | int) -> SellercloudJob:
        """A standard export (kind 0-14): a queued job, or a job already done when the file comes inline."""
        body = self._basic_body(product_ids, kind)
        with readable(_facts.VENDOR, "export answer (the job may exist)"):
            detailed = export_catalog_basic.sync_detailed(client=self.api, body=body)
        return self._export_answer(unwrap(detailed))

    def export_custom(
        self,
        product_ids: Iterable[str],
        *,
        columns: list[str] | None = None,
        file_format: FileFormatName | int | None = None,
    ) -> SellercloudJob:
        """A custom export: a queued job, or a job already done when the file comes inline."""
        body = self._custom_body(product_ids, columns, file_format)
        with readable(_facts.VENDOR, "export answer (the job may exist)"):
            detailed = export_catalog_custom.sync_detailed(client=self.api, body=body)
        return self._export_answer(unwrap(detailed))

    def _export_answer(self, parsed: object) -> SellercloudJob:
        if isinstance(parsed, FileContent):
            state = _inline_state(parsed)
            return SellercloudJob(self, state.reference, state, clock=self._clock, sleep=self._sleep)
        return self.job(_reference(parsed))

    def job(self, reference: str) -> SellercloudJob:
        """The handle of a queued job by id or queued job link, e.g. from another process."""
        return SellercloudJob.from_reference(self, job_id(reference), clock=self._clock, sleep=self._sleep)

    def logs(self, reference: str, *, max_pages: int = MAX_LOG_PAGES) -> list[QueuedJobLogEntry]:
        """A queued job's log entries, 50 per request, at most `max_pages` pages."""
        entries: list[QueuedJobLogEntry] = []
        for page in range(1, max_pages + 1):
            with readable(_facts.VENDOR, "job log page"):
                detailed = get_queued_job_logs.sync_detailed(
                    int(job_id(reference)), client=self.api, page_number=page, page_size=_facts.LOG_PAGE_SIZE
                )
            items = unwrap(detailed, QueuedJobLogPage).items
            batch = items if isinstance(items, list) else []
            entries += batch
            if len(batch) < _facts.LOG_PAGE_SIZE:
                break
        return entries

    # the JobBackend protocol, so Job can drive queued jobs
    def fetch(self, reference: str) -> JobState:
        with readable(_facts.VENDOR, "queued job"):
            detailed = get_queued_job.sync_detailed(int(reference), client=self.api)
        return _state(reference, unwrap(detailed, QueuedJob))

    def cancel(self, reference: str) -> None:
        # the response body is undocumented; errors were already raised by the transport
        cancel_queued_job.sync_detailed(client=self.api, id=int(reference))

    def failure(self, state: JobState) -> JobFailedError:
        try:
            log = self.logs(state.reference)
        except SellerkitError:  # the failure is the news; a log we can't fetch must not hide it
            log = []
        return _failure(state, log)

    def open_download(self, state: JobState) -> tuple[httpx.Client, httpx.Request]:
        kwargs = get_queued_job_output_file._get_kwargs(id=int(state.reference))
        return self._httpx, self._httpx.build_request(
            kwargs["method"], kwargs["url"], params=kwargs.get("params")
        )


class AsyncSellercloudClient(AsyncClosing, _Base):
    """Asynchronous Sellercloud client, the same as `SellercloudClient` with `await`."""

    vendor = _facts.VENDOR

    def __init__(
        self,
        server_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        base_url: str | None = None,
        export_path: ExportPath | None = None,
        http: HttpSettings | None = None,
        limiter: QuotaLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            server_id,
            username,
            password,
            base_url=base_url,
            export_path=export_path,
            http=http,
            limiter=limiter,
            clock=clock,
            wall_clock=wall_clock,
        )
        self._sleep = sleep
        self._httpx = async_http(self.base_url, self._auth, self._facts, self._http)
        self.api = generated_client(AuthenticatedClient, self.base_url, self._httpx)

    @classmethod
    def from_env(cls, **kwargs: Any) -> Self:
        """Settings from `SELLERCLOUD_SERVER`, `SELLERCLOUD_USERNAME`, `SELLERCLOUD_PASSWORD`."""
        return cls(**kwargs)

    def _handle(self, reference: str, state: JobState | None = None) -> AsyncSellercloudJob:
        kwargs: dict[str, Any] = {"clock": self._clock}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        return AsyncSellercloudJob(self, reference, state, **kwargs)

    async def plugins(self) -> list[PluginInfo]:
        """The export plugins available to the user; a plugin's `key` is what `export_via_plugin` takes."""
        with readable(_facts.VENDOR, "plugin list"):
            detailed = await get_export_via_plugin_metadata.asyncio_detailed(client=self.api)
        metadata = unwrap(detailed, PluginMetadata)
        return list(metadata.plugins) if isinstance(metadata.plugins, list) else []

    async def export_via_plugin(
        self, product_ids: Iterable[str], *, plugin: str, file_format: FileFormatName | int = "csv"
    ) -> AsyncSellercloudJob:
        """Queue a product export through a plugin; returns the queued job's handle."""
        body = self._plugin_body(product_ids, plugin, file_format)
        with readable(_facts.VENDOR, "export answer (the job may exist)"):
            detailed = await self._plugin_op.asyncio_detailed(client=self.api, body=body)
        return self.job(_reference(unwrap(detailed)))

    async def export_basic(
        self, product_ids: Iterable[str], *, kind: StandardExportKind | int
    ) -> AsyncSellercloudJob:
        """A standard export (kind 0-14): a queued job, or a job already done when the file comes inline."""
        body = self._basic_body(product_ids, kind)
        with readable(_facts.VENDOR, "export answer (the job may exist)"):
            detailed = await export_catalog_basic.asyncio_detailed(client=self.api, body=body)
        return self._export_answer(unwrap(detailed))

    async def export_custom(
        self,
        product_ids: Iterable[str],
        *,
        columns: list[str] | None = None,
        file_format: FileFormatName | int | None = None,
    ) -> AsyncSellercloudJob:
        """A custom export: a queued job, or a job already done when the file comes inline."""
        body = self._custom_body(product_ids, columns, file_format)
        with readable(_facts.VENDOR, "export answer (the job may exist)"):
            detailed = await export_catalog_custom.asyncio_detailed(client=self.api, body=body)
        return self._export_answer(unwrap(detailed))

    def _export_answer(self, parsed: object) -> AsyncSellercloudJob:
        if isinstance(parsed, FileContent):
            state = _inline_state(parsed)
            return self._handle(state.reference, state)
        return self.job(_reference(parsed))

    def job(self, reference: str) -> AsyncSellercloudJob:
        """The handle of a queued job by id or queued job link, e.g. from another process."""
        return self._handle(job_id(reference))

    async def logs(self, reference: str, *, max_pages: int = MAX_LOG_PAGES) -> list[QueuedJobLogEntry]:
        """A queued job's log entries, 50 per request, at most `max_pages` pages."""
        entries: list[QueuedJobLogEntry] = []
        for page in range(1, max_pages + 1):
            with readable(_facts.VENDOR, "job log page"):
                detailed = await get_queued_job_logs.asyncio_detailed(
                    int(job_id(reference)), client=self.api, page_number=page, page_size=_facts.LOG_PAGE_SIZE
                )
            items = unwrap(detailed, QueuedJobLogPage).items
            batch = items if isinstance(items, list) else []
            entries += batch
            if len(batch) < _facts.LOG_PAGE_SIZE:
                break
        return entries

    async def fetch(self, reference: str) -> JobState:
        with readable(_facts.VENDOR, "queued job"):
            detailed = await get_queued_job.asyncio_detailed(int(reference), client=self.api)
        return _state(reference, unwrap(detailed, QueuedJob))

    async def cancel(self, reference: str) -> None:
        await cancel_queued_job.asyncio_detailed(client=self.api, id=int(reference))

    async def failure(self, state: JobState) -> JobFailedError:
        try:
            log = await self.logs(state.reference)
        except SellerkitError:  # the failure is the news; a log we can't fetch must not hide it
            log = []
        return _failure(state, log)

    async def open_download(self, state: JobState) -> tuple[httpx.AsyncClient, httpx.Request]:
        kwargs = get_queued_job_output_file._get_kwargs(id=int(state.reference))
        return self._httpx, self._httpx.build_request(
            kwargs["method"], kwargs["url"], params=kwargs.get("params")
        )
