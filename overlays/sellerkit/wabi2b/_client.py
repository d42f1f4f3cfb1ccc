"""`Wabi2bClient` / `AsyncWabi2bClient`: credentials, quotas, the bulk-download job flow and typed rows.

What this adds to the generated `sellerkit.wabi2b_api` client: both headers on every call (the JWT may come
from a callable, asked on each request), timeouts, retries, the per-seller quotas, typed errors, the
callback-code polling as a uniform `Job`, streaming downloads, and `bulk_download()` over any number of GTINs.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import httpx

from sellerkit._core.auth.header import HeaderAuth
from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.calls import generated_client, readable, unwrap
from sellerkit._core.client import AsyncClosing, SyncClosing, async_http, sync_http
from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError, JobFailedError
from sellerkit._core.jobs import AsyncJob, Job, JobState
from sellerkit._core.polling import PollPolicy, Progress
from sellerkit._core.quota import Quota, QuotaLimiter, shared_limiter
from sellerkit._core.redact import Secret
from sellerkit._core.transport import HttpSettings, VendorFacts
from sellerkit.wabi2b_api import AuthenticatedClient
from sellerkit.wabi2b_api.api.product_bulk_download import (
    get_products_bulk_download_status,
    submit_products_bulk_download,
)
from sellerkit.wabi2b_api.models import (
    CallBackCodeResponse,
    FileFormat,
    ProductsBulkDownloadRequest,
    ProductsBulkDownloadStatus,
)
from sellerkit.wabi2b_api.payloads.products import Product

from . import _facts
from ._plan import BulkState, check_format, chunk, validate_gtins
from ._rows import PayloadError, iter_rows

Environment = Literal["sandbox", "production"]
JwtSource = str | Callable[[], str]

FACTS = VendorFacts(
    name=_facts.VENDOR,
    errors=ErrorFacts(_facts.VENDOR),
    quotas=tuple(Quota(limit, period, name) for limit, period, name in _facts.QUOTAS),
)


@dataclass(frozen=True)
class BulkProgress:
    """Where a bulk download is: which chunk, what stage, and the job's or the download's progress."""

    chunk: int
    chunks: int
    stage: Literal["submitted", "waiting", "downloading", "downloaded", "reused"]
    status: str | None = None
    bytes_done: int | None = None
    bytes_total: int | None = None
    path: Path | None = None


def _credentials(jwt: JwtSource | None, api_key: str | None) -> tuple[Callable[[], str], Secret]:
    jwt = jwt if jwt is not None else os.environ.get(_facts.ENV_JWT)
    api_key = api_key if api_key is not None else os.environ.get(_facts.ENV_API_KEY)
    missing = [
        f"{name} (or {env})"
        for name, value, env in (("jwt", jwt, _facts.ENV_JWT), ("api_key", api_key, _facts.ENV_API_KEY))
        if not value
    ]
    if missing:
        raise ConfigurationError(
            f"Wabi2b needs {' and '.join(missing)}: pass them to the client or set the environment "
            "variable(s); the JWT comes from Wabi2b's Authenticate API, the key from onboarding"
        )
    assert jwt is not None and api_key is not None
    if isinstance(jwt, str):
        token = Secret(jwt)
        return token.get, Secret(api_key)
    if not callable(jwt):
        raise ConfigurationError("jwt must be the JWT string or a callable returning a fresh one")
    return jwt, Secret(api_key)


def _base_url(environment: str | None, base_url: str | None) -> str:
    if base_url:
        return base_url.rstrip("/")
    environment = environment or os.environ.get(_facts.ENV_ENVIRONMENT) or "sandbox"
    if environment not in _facts.SERVERS:
        raise ConfigurationError(f"environment must be 'sandbox' or 'production', not {environment!r}")
    return _facts.SERVERS[environment]


def _state(reference: str, status: ProductsBulkDownloadStatus) -> JobState:
    text = str(status.status)
    complete = text == _facts.STATUS_COMPLETE
    failed = not complete and bool(_facts.FAILURE_STATUS.search(text))
    path = status.path if isinstance(status.path, str) else None
    return JobState(
        reference=reference,
        status=text,
        terminal=complete or failed,
        succeeded=complete and path is not None,
        result_url=path,
        message=None if complete or text == _facts.STATUS_IN_PROGRESS else f"status {text!r}",
        raw=status,
    )


def _failure(state: JobState) -> JobFailedError:
    reason = "the job finished without a file path" if state.status == _facts.STATUS_COMPLETE else "failed"
    return JobFailedError(
        f"bulk download {reason}", vendor=_facts.VENDOR, reference=state.reference, status=state.status
    )


def _callback(parsed: CallBackCodeResponse) -> str:
    code = parsed.call_back_code
    if not isinstance(code, str) or not code:
        raise JobFailedError(
            "Wabi2b accepted the request but returned no callBackCode",
            vendor=_facts.VENDOR,
            reference="(none)",
            status="no callback code",
        )
    return code


class _Base:
    """Settings shared by the sync and async clients."""

    def __init__(
        self,
        jwt: JwtSource | None,
        api_key: str | None,
        environment: Environment | None,
        base_url: str | None,
        http: HttpSettings | None,
        limiter: QuotaLimiter | None,
        clock: Callable[[], float],
    ) -> None:
        self._jwt, self._api_key = _credentials(jwt, api_key)
        self.base_url = _base_url(environment, base_url)
        self._clock = clock
        self._limiter = limiter or shared_limiter(_facts.VENDOR, self._api_key, FACTS.quotas)
        self._http = http or HttpSettings()
        if self._http.limiter is None:
            self._http = replace(self._http, limiter=self._limiter)
        # raw JWT (no Bearer) and the key, the JWT asked fresh on each request
        self._auth = HeaderAuth({"Authorization": self._jwt, "x-api-key": self._api_key})

    def _bulk_plan(
        self, gtins: Iterable[str], file_format: str, dest: str | os.PathLike[str] | None
    ) -> tuple[list[str], BulkState]:
        unique = validate_gtins(gtins)
        check_format(file_format)
        folder = Path(dest) if dest is not None else Path.cwd() / "wabi2b-bulk-download"
        if folder.exists() and not folder.is_dir():
            raise ConfigurationError(f"dest must be a folder for the downloaded files, {folder} is a file")
        state = BulkState.load_or_create(folder, unique, file_format)
        return unique, state

    @staticmethod
    def _submit_kwargs(gtins: Iterable[str], file_format: str) -> dict[str, Any]:
        unique = validate_gtins(gtins)
        if len(unique) > _facts.MAX_GTINS_PER_REQUEST:
            raise ConfigurationError(
                f"{len(unique)} GTINs in one request; Wabi2b takes at most 10,000: use bulk_download()"
            )
        return {
            "body": ProductsBulkDownloadRequest(gtins=unique),
            "format_": FileFormat(check_format(file_format)),
        }

    @staticmethod
    def _unsubmitted(state: BulkState, gtins: list[str]) -> Iterator[tuple[int, list[str]]]:
        """Chunks with neither a job nor an intact file: the ones a (re)run still has to submit."""
        for i, piece in enumerate(chunk(gtins)):
            if state.chunks[i].reference is None and state.done_file(i) is None:
                yield i, piece

    @staticmethod
    def _chunk_job(state: BulkState, i: int, report: Callable[[BulkProgress], object]) -> _ChunkJob:
        reference = state.chunks[i].reference
        assert reference is not None
        report(BulkProgress(i, len(state.chunks), "waiting"))
        return _ChunkJob(state, i, reference, report)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} jwt=*** api_key=***>"


@dataclass(frozen=True)
class _ChunkJob:
    """One chunk between submit and file: its target path, progress reports, and the state-file update."""

    state: BulkState
    index: int
    reference: str
    report: Callable[[BulkProgress], object]

    @property
    def target(self) -> Path:
        return self.state.path.parent / f"wabi2b-{self.reference}.{self.state.file_format}"

    def waiting(self, progress: Progress) -> None:
        self.report(BulkProgress(self.index, len(self.state.chunks), "waiting"))

    def downloading(self, done: int, total: int | None) -> None:
        self.report(BulkProgress(self.index, len(self.state.chunks), "downloading", None, done, total))

    def downloaded(self, result: DownloadResult) -> Path:
        entry = self.state.chunks[self.index]
        entry.file, entry.sha256, entry.size = result.path.name, result.sha256, result.size
        self.state.save()
        self.report(
            BulkProgress(
                self.index, len(self.state.chunks), "downloaded", bytes_done=result.size, path=result.path
            )
        )
        return result.path


class Wabi2bClient(SyncClosing, _Base):
    """Synchronous Wabi2b client. `.api` is the generated client for anything not wrapped here."""

    def __init__(
        self,
        jwt: JwtSource | None = None,
        api_key: str | None = None,
        *,
        environment: Environment | None = None,
        base_url: str | None = None,
        http: HttpSettings | None = None,
        limiter: QuotaLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        super().__init__(jwt, api_key, environment, base_url, http, limiter, clock)
        self._sleep = sleep
        self._httpx = sync_http(self.base_url, self._auth, FACTS, self._http)
        self.api = generated_client(AuthenticatedClient, self.base_url, self._httpx)

    @classmethod
    def from_env(cls, **kwargs: Any) -> Wabi2bClient:
        """Credentials from `WABI2B_JWT` and `WABI2B_API_KEY` (and `WABI2B_ENVIRONMENT`)."""
        return cls(**kwargs)

    # the JobBackend protocol, so Job can drive Wabi2b's callback codes
    vendor = _facts.VENDOR

    def fetch(self, reference: str) -> JobState:
        with readable(_facts.VENDOR, "status response"):
            detailed = get_products_bulk_download_status.sync_detailed(
                client=self.api, call_back_code=reference
            )
        return _state(reference, unwrap(detailed, ProductsBulkDownloadStatus, errors=FACTS.errors))

    def cancel(self, reference: str) -> None:
        raise NotImplementedError("Wabi2b documents no way to cancel a bulk download")

    def failure(self, state: JobState) -> JobFailedError:
        return _failure(state)

    def open_download(self, state: JobState) -> tuple[httpx.Client, httpx.Request]:
        assert state.result_url is not None
        return self._httpx, self._httpx.build_request("GET", state.result_url)

    def submit(self, gtins: Iterable[str], *, format: Literal["json", "csv"] = "json") -> Job:
        """Start one bulk download (at most 10,000 GTINs) and return its job handle."""
        kwargs = self._submit_kwargs(gtins, format)
        with readable(_facts.VENDOR, "submit response (the job may exist)"):
            detailed = submit_products_bulk_download.sync_detailed(client=self.api, **kwargs)
        return self.job(_callback(unwrap(detailed, CallBackCodeResponse, errors=FACTS.errors)))

    def job(self, reference: str) -> Job:
        """The handle of a bulk download started earlier (its callback code), e.g. in another process."""
        return Job.from_reference(self, reference, clock=self._clock, sleep=self._sleep)

    def bulk_download(
        self,
        gtins: Iterable[str],
        *,
        format: Literal["json", "csv"] = "json",
        dest: str | os.PathLike[str] | None = None,
        poll: PollPolicy | None = None,
        on_progress: Callable[[BulkProgress], object] | None = None,
    ) -> Iterator[Product]:
        """Rows for any number of GTINs: validated, split by 10,000, polled, downloaded, parsed as streamed.

        Files and a small state file go to `dest` (default `./wabi2b-bulk-download`); running the same call
        again after a crash reuses submitted jobs and intact files instead of starting over.
        """
        unique, state = self._bulk_plan(gtins, format, dest)
        return self._bulk(unique, state, poll, on_progress or (lambda _: None))

    def _bulk(
        self,
        gtins: list[str],
        state: BulkState,
        poll: PollPolicy | None,
        report: Callable[[BulkProgress], object],
    ) -> Iterator[Product]:
        for i, piece in self._unsubmitted(state, gtins):  # all first: Wabi2b works on them meanwhile
            state.chunks[i].reference = self.submit(piece, format=state.file_format).reference  # type: ignore[arg-type]
            state.save()
            report(BulkProgress(i, len(state.chunks), "submitted"))
        for i in range(len(state.chunks)):
            path = state.done_file(i)
            if path is None:
                chunk_job = self._chunk_job(state, i, report)
                job = self.job(chunk_job.reference)
                job.wait(poll, on_progress=chunk_job.waiting)
                path = chunk_job.downloaded(job.download(chunk_job.target, chunk_job.downloading))
            else:
                report(BulkProgress(i, len(state.chunks), "reused", path=path))
            try:
                yield from iter_rows(path, state.file_format)
            except PayloadError:
                state.forget_file(i)  # a corrupt file must not be reused by the next run
                raise


class AsyncWabi2bClient(AsyncClosing, _Base):
    """Asynchronous Wabi2b client, the same as `Wabi2bClient` with `await`/`async for`."""

    def __init__(
        self,
        jwt: JwtSource | None = None,
        api_key: str | None = None,
        *,
        environment: Environment | None = None,
        base_url: str | None = None,
        http: HttpSettings | None = None,
        limiter: QuotaLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        super().__init__(jwt, api_key, environment, base_url, http, limiter, clock)
        self._sleep = sleep
        self._httpx = async_http(self.base_url, self._auth, FACTS, self._http)
        self.api = generated_client(AuthenticatedClient, self.base_url, self._httpx)

    @classmethod
    def from_env(cls, **kwargs: Any) -> AsyncWabi2bClient:
        """Credentials from `WABI2B_JWT` and `WABI2B_API_KEY` (and `WABI2B_ENVIRONMENT`)."""
        return cls(**kwargs)

    vendor = _facts.VENDOR

    async def fetch(self, reference: str) -> JobState:
        with readable(_facts.VENDOR, "status response"):
            detailed = await get_products_bulk_download_status.asyncio_detailed(
                client=self.api, call_back_code=reference
            )
        return _state(reference, unwrap(detailed, ProductsBulkDownloadStatus, errors=FACTS.errors))

    async def cancel(self, reference: str) -> None:
        raise NotImplementedError("Wabi2b documents no way to cancel a bulk download")

    async def failure(self, state: JobState) -> JobFailedError:
        return _failure(state)

    async def open_download(self, state: JobState) -> tuple[httpx.AsyncClient, httpx.Request]:
        assert state.result_url is not None
        return self._httpx, self._httpx.build_request("GET", state.result_url)

    async def submit(self, gtins: Iterable[str], *, format: Literal["json", "csv"] = "json") -> AsyncJob:
        """Start one bulk download (at most 10,000 GTINs) and return its job handle."""
        kwargs = self._submit_kwargs(gtins, format)
        with readable(_facts.VENDOR, "submit response (the job may exist)"):
            detailed = await submit_products_bulk_download.asyncio_detailed(client=self.api, **kwargs)
        return self.job(_callback(unwrap(detailed, CallBackCodeResponse, errors=FACTS.errors)))

    def job(self, reference: str) -> AsyncJob:
        """The handle of a bulk download started earlier (its callback code), e.g. in another process."""
        kwargs: dict[str, Any] = {"clock": self._clock}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        return AsyncJob.from_reference(self, reference, **kwargs)

    def bulk_download(
        self,
        gtins: Iterable[str],
        *,
        format: Literal["json", "csv"] = "json",
        dest: str | os.PathLike[str] | None = None,
        poll: PollPolicy | None = None,
        on_progress: Callable[[BulkProgress], object] | None = None,
    ) -> AsyncIterator[Product]:
        """`Wabi2bClient.bulk_download` for `async for`; input is validated before anything is sent."""
        unique, state = self._bulk_plan(gtins, format, dest)
        return self._bulk(unique, state, poll, on_progress or (lambda _: None))

    async def _bulk(
        self,
        gtins: list[str],
        state: BulkState,
        poll: PollPolicy | None,
        report: Callable[[BulkProgress], object],
    ) -> AsyncIterator[Product]:
        for i, piece in self._unsubmitted(state, gtins):  # all first: Wabi2b works on them meanwhile
            state.chunks[i].reference = (await self.submit(piece, format=state.file_format)).reference  # type: ignore[arg-type]
            state.save()
            report(BulkProgress(i, len(state.chunks), "submitted"))
        for i in range(len(state.chunks)):
            path = state.done_file(i)
            if path is None:
                chunk_job = self._chunk_job(state, i, report)
                job = self.job(chunk_job.reference)
                await job.wait(poll, on_progress=chunk_job.waiting)
                path = chunk_job.downloaded(await job.download(chunk_job.target, chunk_job.downloading))
            else:
                report(BulkProgress(i, len(state.chunks), "reused", path=path))
            # parsing a local file is CPU work on bytes already on disk: no I/O to await
            try:
                for row in iter_rows(path, state.file_format):
                    yield row
            except PayloadError:
                state.forget_file(i)
                raise
