"""`SelsupClient` / `AsyncSelsupClient`: SelSup's export API — background tasks and file exports.

What this adds to the generated `sellerkit.selsup_api` client: the raw-key `Authorization` header, timeouts,
retries, typed errors from SelSup's error bodies (both shapes), background exports as uniform `Job`
handles (poll `findTask`, download the task's `url` or `file`, `cancelTask`), and the 27 file exports
streamed to disk or into a writable stream without buffering, all behind one typed generic method each.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from types import ModuleType
from typing import Any, ParamSpec, Protocol, overload

import httpx

from sellerkit._core.auth.header import HeaderAuth
from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.calls import generated_client, readable, unwrap
from sellerkit._core.client import AsyncClosing, SyncClosing, async_http, sync_http
from sellerkit._core.download import DownloadResult, download, download_async, filename_for
from sellerkit._core.errors import (
    ApiError,
    ConfigurationError,
    DownloadError,
    JobFailedError,
    NotFoundError,
    ServerError,
)
from sellerkit._core.jobs import AsyncJob, Job, JobState
from sellerkit._core.polling import Progress
from sellerkit._core.redact import Secret
from sellerkit._core.transport import HttpSettings, VendorFacts
from sellerkit.selsup_api import AuthenticatedClient
from sellerkit.selsup_api.api.files import download_file as files_download_file
from sellerkit.selsup_api.api.integrations import check_commerce_ml_auth, create_marketplace_cards
from sellerkit.selsup_api.api.tasks import cancel_task, find_task
from sellerkit.selsup_api.models import Marketplace, Task, TaskPage, TaskStatus
from sellerkit.selsup_api.types import Response, Unset

from . import _facts
from ._operations import FILE_EXPORTS, Operation, name_of, prepare, required_filters

P = ParamSpec("P")
ByteProgress = Callable[[int, int | None], object]


class Writable(Protocol):
    """A writable binary stream (an open file, `io.BytesIO`, a socket file, ...)."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class StreamedFile:
    """A file export streamed into a writable stream: its name (Content-Disposition), size, SHA-256, type."""

    name: str
    size: int
    sha256: str
    content_type: str | None


def _is_job_creating(request: httpx.Request) -> bool:
    # POSTs (the default), plus the one background export started with a GET: never re-sent after a 5xx
    return request.method == "POST" or request.url.path in _facts.GET_STARTS_TASK


FACTS = VendorFacts(
    name=_facts.VENDOR,
    errors=ErrorFacts(
        _facts.VENDOR,
        message_keys=(
            *(key for key in ErrorFacts.message_keys if key not in _facts.CODE_KEYS),
            *_facts.MESSAGE_KEYS_BEFORE_CODE,
            *_facts.CODE_KEYS,
        ),
    ),
    is_job_creating=_is_job_creating,
)


def _api_key(api_key: str | Secret | None) -> Secret:
    value = api_key if api_key is not None else os.environ.get(_facts.ENV_API_KEY)
    if isinstance(value, Secret):
        value = value.get()
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"SelSup needs an API key: pass api_key= or set {_facts.ENV_API_KEY}")
    return Secret(value.strip())


def _set(value: object) -> Any:
    """None for the generated models' UNSET / None."""
    return None if isinstance(value, Unset) else value


def task_state(task: Task, reference: str | None = None) -> JobState:
    """A SelSup task as a vendor-neutral `JobState` (pure: the status mapping, progress and result link)."""
    status = _set(task.status)
    text = str(status) if status is not None else "UNKNOWN"
    progress = _set(task.progress)
    processed = _set(task.processed_quantity)
    fraction = None
    if isinstance(progress, int | float) and not isinstance(progress, bool):
        fraction = min(max(progress / 100.0, 0.0), 1.0)
    url, file = _set(task.url), _set(task.file)
    message = _set(task.message)
    ref = reference if reference is not None else str(_set(task.id))
    return JobState(
        reference=ref,
        status=text,
        terminal=text in _facts.SUCCEEDED or text in _facts.FAILED,
        succeeded=text in _facts.SUCCEEDED,
        progress=Progress(fraction=fraction, processed=processed if isinstance(processed, int) else None),
        result_url=next((link for link in (url, file) if isinstance(link, str) and link), None),
        message=message if isinstance(message, str) and message else None,
        raw=task,
    )


def _failure(state: JobState) -> JobFailedError:
    return JobFailedError(
        f"SelSup task ended {state.status}",
        vendor=_facts.VENDOR,
        reference=state.reference,
        status=state.status,
        vendor_message=state.message,
    )


def _task_id(reference: int | str) -> str:
    ok = isinstance(reference, int | str) and not isinstance(reference, bool)
    text = str(reference).strip() if ok else ""
    if not text.isdigit() or int(text) <= 0:
        raise ConfigurationError(f"a SelSup task id is a positive integer, not {reference!r}")
    return str(int(text))


def _started(task: Task) -> JobState:
    task_id = _set(task.id)
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise ServerError("SelSup started a task but sent no task id", vendor=_facts.VENDOR, status=200)
    return task_state(task, str(task_id))


def _pick(page: TaskPage, reference: str) -> Task:
    rows: list[Task] = page.rows if isinstance(page.rows, list) else []
    for row in rows:
        if str(_set(row.id)) == reference:
            return row
    if len(rows) == 1 and _set(rows[0].id) is None:
        return rows[0]  # a row without its id: the only task findTask was asked for
    raise NotFoundError(
        f"SelSup has no task {reference}",
        vendor=_facts.VENDOR,
        status=404,
        method="GET",
        url=f"/api/task/findTask?id={reference}",
    )


def _string_result(detailed: Response[Any]) -> str:
    """`createMarketplaceCards`' string: text/plain as is, a JSON string unquoted (the docs give no type)."""
    parsed = unwrap(detailed, str, errors=FACTS.errors)
    if "json" not in detailed.headers.get("content-type", ""):
        return parsed
    try:
        decoded = json.loads(parsed)
    except json.JSONDecodeError:
        return parsed
    return decoded if isinstance(decoded, str) else parsed


def _is_path(dest: object) -> bool:
    return isinstance(dest, str | PathLike)


class _Base:
    """Settings and checks shared by the sync and async clients (no I/O here)."""

    vendor = _facts.VENDOR

    def __init__(
        self,
        api_key: str | Secret | None,
        *,
        base_url: str | None,
        http: HttpSettings | None,
        clock: Callable[[], float],
    ) -> None:
        self._api_key = _api_key(api_key)
        url = base_url or _facts.BASE_URL
        if not isinstance(url, str) or "://" not in url:
            raise ConfigurationError(f"base_url must be an absolute URL, e.g. {_facts.BASE_URL}")
        self.base_url = url.rstrip("/")
        self._http = http or HttpSettings()
        self._auth = HeaderAuth({_facts.AUTH_HEADER: self._api_key})
        self._clock = clock

    @staticmethod
    def _start_kwargs(operation: object, filters: dict[str, Any]) -> dict[str, Any]:
        return prepare(operation, "background", filters)

    @staticmethod
    def _file_kwargs(operation: object, filters: dict[str, Any]) -> dict[str, Any]:
        return prepare(operation, "file", filters)

    @staticmethod
    def _request_kwargs(operation: object, checked: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = operation._get_kwargs(**checked)  # type: ignore[attr-defined]
        return kwargs

    @staticmethod
    def _cards_kwargs(order_id: int, service: Marketplace | str | None) -> dict[str, Any]:
        return prepare(create_marketplace_cards, "integration", {"order_id": order_id, "service": service})

    @staticmethod
    def _auth_check_kwargs(url: str, login: str, password: str) -> dict[str, Any]:
        filters = {"url_query": url, "login": login, "password": password}
        checked = prepare(check_commerce_ml_auth, "integration", filters)
        missing = [name for name in ("url_query", "login", "password") if not checked.get(name)]
        if missing:
            raise ConfigurationError(
                "check_commerce_ml_auth needs non-empty "
                + ", ".join(m.removesuffix("_query") for m in missing)
            )
        return checked

    @staticmethod
    def _batch(
        operations: Iterable[ModuleType | tuple[ModuleType, Mapping[str, Any]]] | None,
    ) -> list[tuple[ModuleType, dict[str, Any]]]:
        if operations is None:
            return [(op, {}) for op in FILE_EXPORTS if not required_filters(op)]
        batch = []
        for item in operations:
            op, filters = (item[0], dict(item[1])) if isinstance(item, tuple) else (item, {})
            batch.append((op, prepare(op, "file", filters)))  # every one checked before the first request
        return batch

    def _file_path(self, state: JobState) -> str:
        task = state.raw
        url = _set(task.url) if isinstance(task, Task) else None
        if isinstance(url, str) and url:
            return url
        file = _set(task.file) if isinstance(task, Task) else None
        if isinstance(file, str) and file:
            kwargs = files_download_file._get_kwargs(path=file)
            return str(httpx.URL(kwargs["url"], params=kwargs["params"]))
        raise DownloadError(
            f"SelSup task {state.reference} is FINISHED but names no result file (neither url nor file)",
            url=f"{self.base_url}/api/task/findTask?id={state.reference}",
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} api_key=***>"


def _streamed(name: str, size: int, hasher: Any, response: httpx.Response, url: httpx.URL) -> StreamedFile:
    total = response.headers.get("content-length")
    encoded = "content-encoding" in response.headers
    if total is not None and total.isdigit() and not encoded and size != int(total):
        raise DownloadError(f"the file ended after {size} of {total} bytes", url=str(url))
    return StreamedFile(
        name=name, size=size, sha256=hasher.hexdigest(), content_type=response.headers.get("content-type")
    )


def _typed(exc: DownloadError) -> BaseException:
    """A file export's own API error (400, 403, 500 ...) as its typed error, not wrapped as a download."""
    cause = exc.__cause__
    return cause if isinstance(cause, ApiError) else exc


_STREAM_HEADERS = {"Accept-Encoding": "identity"}
_REDIRECTED = "the file export answered with a redirect; download it to a path instead"


def _broken(size: int, exc: Exception, url: httpx.URL) -> DownloadError:
    return DownloadError(f"the file broke off after {size} bytes: {type(exc).__name__}: {exc}", url=str(url))


class SelsupClient(SyncClosing, _Base):
    """Synchronous SelSup client; `.api` is the generated client sending through the same connection."""

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        base_url: str | None = None,
        http: HttpSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        super().__init__(api_key, base_url=base_url, http=http, clock=clock)
        self._sleep = sleep
        self._httpx = sync_http(self.base_url, self._auth, FACTS, self._http)
        self.api = generated_client(AuthenticatedClient, self.base_url, self._httpx)

    # ------------------------------------------------------------------ background exports

    def start_export(self, operation: Operation[P], /, *args: P.args, **filters: P.kwargs) -> Job:
        """Start a background export (a module of `BACKGROUND_EXPORTS`) and return its task as a `Job`."""
        kwargs = self._request_kwargs(operation, self._start_kwargs(operation, dict(filters)))
        response = self._httpx.request(**kwargs)
        with readable(_facts.VENDOR, "task (the task may exist)"):
            task = Task.from_dict(response.json())
        state = _started(task)
        return self._handle(state.reference, state)

    def job(self, task_id: int | str) -> Job:
        """The handle of a task by id, e.g. from another process or `JobTimeoutError.reference`."""
        return self._handle(_task_id(task_id))

    def _handle(self, reference: str, state: JobState | None = None) -> Job:
        kwargs: dict[str, Any] = {"clock": self._clock}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        return Job(self, reference, state, **kwargs)

    def task(self, task_id: int | str) -> Task:
        """The task as SelSup reports it (`findTask`)."""
        reference = _task_id(task_id)
        with readable(_facts.VENDOR, "task page"):
            detailed = find_task.sync_detailed(client=self.api, id=int(reference))
        return _pick(unwrap(detailed, TaskPage, errors=FACTS.errors), reference)

    # the JobBackend protocol, so Job can drive SelSup tasks
    def fetch(self, reference: str) -> JobState:
        return task_state(self.task(reference), reference)

    def cancel(self, reference: str) -> None:
        # the answer's body is undocumented; errors were already raised by the transport
        cancel_task.sync_detailed(client=self.api, task_id=int(_task_id(reference)))

    def failure(self, state: JobState) -> JobFailedError:
        return _failure(state)

    def open_download(self, state: JobState) -> tuple[httpx.Client, httpx.Request]:
        return self._httpx, self._httpx.build_request("GET", self._file_path(state))

    # ------------------------------------------------------------------ file exports

    @overload
    def download_file(
        self,
        operation: Operation[P],
        dest: str | PathLike[str],
        on_progress: ByteProgress | None = None,
        /,
        *args: P.args,
        **filters: P.kwargs,
    ) -> DownloadResult: ...

    @overload
    def download_file(
        self,
        operation: Operation[P],
        dest: Writable,
        on_progress: ByteProgress | None = None,
        /,
        *args: P.args,
        **filters: P.kwargs,
    ) -> StreamedFile: ...

    def download_file(
        self,
        operation: Operation[P],
        dest: str | PathLike[str] | Writable,
        on_progress: ByteProgress | None = None,
        /,
        *args: P.args,
        **filters: P.kwargs,
    ) -> DownloadResult | StreamedFile:
        """Stream a file export (a module of `FILE_EXPORTS`) to `dest`: a file path, a folder (the name comes
        from Content-Disposition) or a writable binary stream. The filters are the operation's parameters."""
        request = self._file_request(operation, dest, dict(filters))
        if isinstance(dest, str | PathLike):
            try:
                return download(self._httpx, request, dest, on_progress=on_progress)
            except DownloadError as exc:
                raise _typed(exc) from exc
        return self._stream(request, dest, on_progress)

    def download_files(
        self,
        folder: str | PathLike[str],
        operations: Iterable[ModuleType | tuple[ModuleType, Mapping[str, Any]]] | None = None,
    ) -> dict[str, DownloadResult]:
        """Several file exports into `folder`: `(module, filters)` pairs or bare modules; by default every
        file export that needs no parameters (the import templates and the unfiltered lists)."""
        target = Path(folder)
        if not target.is_dir():
            raise ConfigurationError(f"download_files needs an existing folder, not {str(target)!r}")
        results = {}
        for op, checked in self._batch(operations):
            request = self._httpx.build_request(**self._request_kwargs(op, checked))
            try:
                results[name_of(op)] = download(self._httpx, request, target)
            except DownloadError as exc:
                raise _typed(exc) from exc
        return results

    def _file_request(self, operation: object, dest: object, filters: dict[str, Any]) -> httpx.Request:
        checked = self._file_kwargs(operation, filters)
        if not _is_path(dest) and not callable(getattr(dest, "write", None)):
            raise ConfigurationError("dest must be a file path, a folder or a writable binary stream")
        return self._httpx.build_request(**self._request_kwargs(operation, checked))

    def _stream(
        self, request: httpx.Request, sink: Writable, on_progress: ByteProgress | None
    ) -> StreamedFile:
        request.headers.update(_STREAM_HEADERS)
        response = self._httpx.send(request, stream=True)
        hasher, size = hashlib.sha256(), 0
        try:
            if response.is_redirect:
                raise DownloadError(_REDIRECTED, url=str(request.url))
            total = response.headers.get("content-length")
            expected = int(total) if total and total.isdigit() else None
            if on_progress is not None:
                on_progress(0, expected)
            for chunk in response.iter_bytes():
                sink.write(chunk)
                hasher.update(chunk)
                size += len(chunk)
                if on_progress is not None:
                    on_progress(size, expected)
        except httpx.HTTPError as exc:
            raise _broken(size, exc, request.url) from exc
        finally:
            response.close()
        return _streamed(filename_for(response.headers, request.url), size, hasher, response, request.url)

    # ------------------------------------------------------------------ integrations (plain values)

    def create_marketplace_cards(self, order_id: int, service: Marketplace | str | None = None) -> str:
        """`createMarketplaceCards`: create marketplace cards for an order; SelSup's string answer."""
        checked = self._cards_kwargs(order_id, service)
        with readable(_facts.VENDOR, "answer"):
            detailed = create_marketplace_cards.sync_detailed(client=self.api, **checked)
        return _string_result(detailed)

    def check_commerce_ml_auth(self, url: str, login: str, password: str) -> bool:
        """`checkCommerceMlAuth`: whether SelSup can log in to a CommerceML site with these credentials."""
        checked = self._auth_check_kwargs(url, login, password)
        with readable(_facts.VENDOR, "answer"):
            detailed = check_commerce_ml_auth.sync_detailed(client=self.api, **checked)
        return unwrap(detailed, bool, errors=FACTS.errors)


class AsyncSelsupClient(AsyncClosing, _Base):
    """Asynchronous SelSup client, the same as `SelsupClient` with `await`."""

    def __init__(
        self,
        api_key: str | Secret | None = None,
        *,
        base_url: str | None = None,
        http: HttpSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        super().__init__(api_key, base_url=base_url, http=http, clock=clock)
        self._sleep = sleep
        self._httpx = async_http(self.base_url, self._auth, FACTS, self._http)
        self.api = generated_client(AuthenticatedClient, self.base_url, self._httpx)

    async def start_export(self, operation: Operation[P], /, *args: P.args, **filters: P.kwargs) -> AsyncJob:
        """Start a background export (a module of `BACKGROUND_EXPORTS`); its task as an `AsyncJob`."""
        kwargs = self._request_kwargs(operation, self._start_kwargs(operation, dict(filters)))
        response = await self._httpx.request(**kwargs)
        with readable(_facts.VENDOR, "task (the task may exist)"):
            task = Task.from_dict(response.json())
        state = _started(task)
        return self._handle(state.reference, state)

    def job(self, task_id: int | str) -> AsyncJob:
        """The handle of a task by id, e.g. from another process or `JobTimeoutError.reference`."""
        return self._handle(_task_id(task_id))

    def _handle(self, reference: str, state: JobState | None = None) -> AsyncJob:
        kwargs: dict[str, Any] = {"clock": self._clock}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        return AsyncJob(self, reference, state, **kwargs)

    async def task(self, task_id: int | str) -> Task:
        """The task as SelSup reports it (`findTask`)."""
        reference = _task_id(task_id)
        with readable(_facts.VENDOR, "task page"):
            detailed = await find_task.asyncio_detailed(client=self.api, id=int(reference))
        return _pick(unwrap(detailed, TaskPage, errors=FACTS.errors), reference)

    async def fetch(self, reference: str) -> JobState:
        return task_state(await self.task(reference), reference)

    async def cancel(self, reference: str) -> None:
        await cancel_task.asyncio_detailed(client=self.api, task_id=int(_task_id(reference)))

    async def failure(self, state: JobState) -> JobFailedError:
        return _failure(state)

    async def open_download(self, state: JobState) -> tuple[httpx.AsyncClient, httpx.Request]:
        return self._httpx, self._httpx.build_request("GET", self._file_path(state))

    @overload
    async def download_file(
        self,
        operation: Operation[P],
        dest: str | PathLike[str],
        on_progress: ByteProgress | None = None,
        /,
        *args: P.args,
        **filters: P.kwargs,
    ) -> DownloadResult: ...

    @overload
    async def download_file(
        self,
        operation: Operation[P],
        dest: Writable,
        on_progress: ByteProgress | None = None,
        /,
        *args: P.args,
        **filters: P.kwargs,
    ) -> StreamedFile: ...

    async def download_file(
        self,
        operation: Operation[P],
        dest: str | PathLike[str] | Writable,
        on_progress: ByteProgress | None = None,
        /,
        *args: P.args,
        **filters: P.kwargs,
    ) -> DownloadResult | StreamedFile:
        """`SelsupClient.download_file` for asyncio (a stream's `write` is called on the event loop)."""
        request = self._file_request(operation, dest, dict(filters))
        if isinstance(dest, str | PathLike):
            try:
                return await download_async(
                    self._httpx,
                    request,
                    dest,
                    on_progress=on_progress,
                )
            except DownloadError as exc:
                raise _typed(exc) from exc
        return await self._stream(request, dest, on_progress)

    async def download_files(
        self,
        folder: str | PathLike[str],
        operations: Iterable[ModuleType | tuple[ModuleType, Mapping[str, Any]]] | None = None,
    ) -> dict[str, DownloadResult]:
        """`SelsupClient.download_files` for asyncio (one file after another)."""
        target = Path(folder)
        if not target.is_dir():
            raise ConfigurationError(f"download_files needs an existing folder, not {str(target)!r}")
        results = {}
        for op, checked in self._batch(operations):
            request = self._httpx.build_request(**self._request_kwargs(op, checked))
            try:
                results[name_of(op)] = await download_async(self._httpx, request, target)
            except DownloadError as exc:
                raise _typed(exc) from exc
        return results

    def _file_request(self, operation: object, dest: object, filters: dict[str, Any]) -> httpx.Request:
        checked = self._file_kwargs(operation, filters)
        if not _is_path(dest) and not callable(getattr(dest, "write", None)):
            raise ConfigurationError("dest must be a file path, a folder or a writable binary stream")
        return self._httpx.build_request(**self._request_kwargs(operation, checked))

    async def _stream(
        self, request: httpx.Request, sink: Writable, on_progress: ByteProgress | None
    ) -> StreamedFile:
        request.headers.update(_STREAM_HEADERS)
        response = await self._httpx.send(request, stream=True)
        hasher, size = hashlib.sha256(), 0
        try:
            if response.is_redirect:
                raise DownloadError(_REDIRECTED, url=str(request.url))
            total = response.headers.get("content-length")
            expected = int(total) if total and total.isdigit() else None
            if on_progress is not None:
                on_progress(0, expected)
            async for chunk in response.aiter_bytes():
                sink.write(chunk)
                hasher.update(chunk)
                size += len(chunk)
                if on_progress is not None:
                    on_progress(size, expected)
        except httpx.HTTPError as exc:
            raise _broken(size, exc, request.url) from exc
        finally:
            await response.aclose()
        return _streamed(filename_for(response.headers, request.url), size, hasher, response, request.url)

    async def create_marketplace_cards(self, order_id: int, service: Marketplace | str | None = None) -> str:
        """`createMarketplaceCards`: create marketplace cards for an order; SelSup's string answer."""
        checked = self._cards_kwargs(order_id, service)
        with readable(_facts.VENDOR, "answer"):
            detailed = await create_marketplace_cards.asyncio_detailed(client=self.api, **checked)
        return _string_result(detailed)

    async def check_commerce_ml_auth(self, url: str, login: str, password: str) -> bool:
        """`checkCommerceMlAuth`: whether SelSup can log in to a CommerceML site with these credentials."""
        checked = self._auth_check_kwargs(url, login, password)
        with readable(_facts.VENDOR, "answer"):
            detailed = await check_commerce_ml_auth.asyncio_detailed(client=self.api, **checked)
        return unwrap(detailed, bool, errors=FACTS.errors)


__all__ = [
    "FACTS",
    "AsyncSelsupClient",
    "SelsupClient",
    "StreamedFile",
    "TaskStatus",
    "Writable",
    "task_state",
]
