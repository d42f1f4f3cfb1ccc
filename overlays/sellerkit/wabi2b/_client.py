"""`Wabi2bClient` / `AsyncWabi2bClient`: the bulk-download flow and typed rows, on the vendor kit.

What this adds to the generated `sellerkit.wabi2b_api` client: both headers on every call (the JWT may come
from a callable, asked on each request), the per-seller quotas, the callback-code polling as a uniform
`Job`, and `bulk_download()` over any number of GTINs. Timeouts, retries, typed errors, the journal,
options and the two drivers come from `sellerkit._core.kit`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal, Unpack

import httpx

from sellerkit._core.auth import HeaderAuth
from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError, JobFailedError
from sellerkit._core.files import Target, free_name
from sellerkit._core.jobs import UNKNOWN, JobState, unknown
from sellerkit._core.kit import AsyncClient, ClientCore, ClientOptions, SyncClient
from sellerkit._core.polling import PollPolicy
from sellerkit._core.steps import Emit, Emits, Offload, Send, Steps, Wait, iterates, starts_job
from sellerkit.wabi2b_api.api.product_bulk_download import submit_products_bulk_download
from sellerkit.wabi2b_api.models import CallBackCodeResponse, FileFormat, ProductsBulkDownloadRequest
from sellerkit.wabi2b_api.payloads.products import Product

from . import _facts
from ._plan import BulkState, check_format, chunk, validate_gtins
from ._rows import PayloadError, iter_rows
from ._vendor import VENDOR

Environment = Literal["sandbox", "production"]
JwtSource = str | Callable[[], str]
Format = Literal["json", "csv"]


Stage = Literal["submitted", "adopted", "waiting", "downloading", "downloaded", "reused"]
"""`adopted`: the job an earlier identical run started (the journal); `reused`: its file, already here."""


@dataclass(frozen=True)
class BulkProgress:
    """Where a bulk download is: which chunk, what stage, and the job's or the download's progress."""

    chunk: int
    chunks: int
    stage: Stage
    status: str | None = None
    bytes_done: int | None = None
    bytes_total: int | None = None
    path: Path | None = None


def _server(environment: str | None) -> str:
    environment = environment or os.environ.get(_facts.ENV_ENVIRONMENT) or "sandbox"
    if environment not in _facts.SERVERS:
        raise ConfigurationError(f"environment must be 'sandbox' or 'production', not {environment!r}")
    return _facts.SERVERS[environment]


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


def _folder(dest: str | os.PathLike[str] | None) -> Path:
    folder = Path(dest) if dest is not None else Path.cwd() / "wabi2b-bulk-download"
    if folder.exists() and not folder.is_dir():
        raise ConfigurationError(f"dest must be a folder for the downloaded files, {folder} is a file")
    return folder


class Wabi2bCore(ClientCore):
    """Wabi2b's verbs, written once for both clients."""

    vendor = VENDOR

    def __init__(
        self,
        jwt: JwtSource | None = None,
        api_key: str | None = None,
        *,
        environment: Environment | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """Args:
        jwt: the JWT from Wabi2b's Authenticate API (sent raw, no "Bearer "), or a callable returning a
            fresh one on every request; default `WABI2B_JWT`.
        api_key: the seller API key; default `WABI2B_API_KEY`.
        environment: "sandbox" (default, or `WABI2B_ENVIRONMENT`) or "production".
        **options: base_url, timeout, max_retries, max_wait, deadline, http_client, default_headers,
            quotas, journal (see `sellerkit.ClientOptions`).
        """
        super().__init__(
            {"jwt": jwt, "api_key": api_key}, default_base_url=lambda: _server(environment), **options
        )

    def _make_auth(self) -> httpx.Auth:
        jwt = self._credentials["jwt"]
        return HeaderAuth({"Authorization": jwt, "x-api-key": self._credentials["api_key"]})

    def _submit(self, gtins: list[str], file_format: str, fresh: bool) -> Steps[JobState]:
        body = {"body": ProductsBulkDownloadRequest(gtins=gtins), "format_": FileFormat(file_format)}

        def begin() -> Steps[JobState]:
            response = yield Send(self._request(submit_products_bulk_download, **body))
            parsed = self._parse(submit_products_bulk_download, response, CallBackCodeResponse)
            return unknown(_callback(parsed))

        params = {"gtins": gtins, "format": file_format}
        return (yield from self._start_job("submit", params, begin, fresh=fresh))

    @starts_job
    def submit(
        self, gtins: Iterable[str], *, format: Format = "json", fresh: bool = False
    ) -> Steps[JobState]:
        """Start one bulk download (at most 10,000 GTINs) and return its job handle.

        An identical earlier call's job is adopted instead of starting another (`fresh=True`: always new).
        """
        unique = validate_gtins(gtins)
        if len(unique) > _facts.MAX_GTINS_PER_REQUEST:
            raise ConfigurationError(
                f"{len(unique)} GTINs in one request; Wabi2b takes at most 10,000: use bulk_download()"
            )
        return (yield from self._submit(unique, check_format(format), fresh))

    @iterates
    def bulk_download(
        self,
        gtins: Iterable[str],
        *,
        format: Format = "json",
        dest: str | os.PathLike[str] | None = None,
        poll: PollPolicy | None = None,
        on_progress: Callable[[BulkProgress], object] | None = None,
        fresh: bool = False,
        chunk_size: int = _facts.MAX_GTINS_PER_REQUEST,
    ) -> Emits[Product]:
        """Rows for any number of GTINs: validated, split by 10,000, polled, downloaded, parsed as streamed.

        Files and a small state file go to `dest` (default `./wabi2b-bulk-download`); running the same call
        again after a crash reuses its jobs (the journal) and intact files instead of starting over.
        `chunk_size` (1 to 10,000 GTINs per job): smaller jobs finish and can be retried sooner, at the cost
        of more calls against the quota.
        """
        limit = _facts.MAX_GTINS_PER_REQUEST
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or not 1 <= chunk_size <= limit:
            raise ConfigurationError(
                f"chunk_size must be an int from 1 to {limit:,} GTINs, not {chunk_size!r}"
            )
        unique, file_format = validate_gtins(gtins), check_format(format)
        folder = _folder(dest)
        report = on_progress or (lambda _: None)
        yield Offload(lambda: folder.mkdir(parents=True, exist_ok=True))
        state = yield Offload(lambda: BulkState.load_or_create(folder, unique, file_format, chunk_size))
        pieces = chunk(unique, chunk_size)
        started: dict[int, JobState] = {}
        for i, piece in enumerate(pieces):  # all first: Wabi2b works on them meanwhile
            if (yield Offload(partial(state.done_file, i))) is None:
                started[i] = yield from self._submit(piece, file_format, fresh)
                state.chunks[i].reference = started[i].reference
                yield Offload(state.save)
                # a job adopted from the journal was fetched already; a new one has not been yet
                stage: Stage = "adopted" if started[i].status != UNKNOWN else "submitted"
                report(BulkProgress(i, len(pieces), stage))
        for i in range(len(pieces)):
            path = yield Offload(partial(state.done_file, i))
            if path is None:
                path = yield from self._fetch_chunk(state, i, started[i], poll, report)
            else:
                report(BulkProgress(i, len(pieces), "reused", path=path))
            try:
                for row in iter_rows(path, file_format):  # CPU work on a local file: nothing to await
                    yield Emit(row)
            except PayloadError:
                yield Offload(partial(state.forget_file, i))  # a corrupt file must not be reused
                raise

    def _fetch_chunk(
        self,
        state: BulkState,
        i: int,
        job: JobState,
        poll: PollPolicy | None,
        report: Callable[[BulkProgress], object],
    ) -> Steps[Path]:
        chunks = len(state.chunks)
        report(BulkProgress(i, chunks, "waiting"))
        waiting = lambda progress: report(BulkProgress(i, chunks, "waiting"))  # noqa: E731
        done = yield Wait(job.reference, job, poll, waiting)
        folder = state.path.parent
        target = Target(folder, free_name(folder, f"wabi2b-{done.reference}.{state.file_format}"))

        def downloading(got: int, total: int | None) -> None:
            report(BulkProgress(i, chunks, "downloading", None, got, total))

        result: DownloadResult = yield from self._job_spec().download(self, done, target, downloading)
        record = job.record
        if record is not None:
            yield Offload(lambda: self.journal.finished(record))
        entry = state.chunks[i]
        entry.file, entry.sha256, entry.size = result.path.name, result.sha256, result.size
        yield Offload(state.save)
        report(BulkProgress(i, chunks, "downloaded", bytes_done=result.size, path=result.path))
        return result.path


class Wabi2bClient(Wabi2bCore, SyncClient):
    """Synchronous Wabi2b client. `.api` is the generated client, sending through the same connection;
    `job(callback_code)` rebuilds a job handle in another process."""


class AsyncWabi2bClient(Wabi2bCore, AsyncClient):
    """Asynchronous Wabi2b client, the same as `Wabi2bClient` with `await` / `async for`."""


__all__ = ["AsyncWabi2bClient", "BulkProgress", "Environment", "Wabi2bClient"]
