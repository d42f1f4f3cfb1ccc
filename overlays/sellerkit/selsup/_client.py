"""`SelsupClient` / `AsyncSelsupClient`: SelSup's export API — background tasks and file exports.

What this adds to the generated `sellerkit.selsup_api` client: the raw-key `Authorization` header, typed
errors from SelSup's error bodies (both shapes), background exports as uniform `Job` handles (poll
`findTask`, download the task's `url` or `file`, `cancelTask`), and the 27 file exports streamed to disk
or into a writable stream, all behind one typed generic method each. Timeouts, retries, the journal,
options and the two drivers come from `sellerkit._core.kit`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from types import ModuleType
from typing import Any, Unpack

import httpx

from sellerkit._core.auth import HeaderAuth
from sellerkit._core.download import DownloadResult, StreamedFile, Writable
from sellerkit._core.errors import ConfigurationError
from sellerkit._core.files import resolve
from sellerkit._core.jobs import JobState
from sellerkit._core.kit import AsyncClient, ClientCore, ClientOptions, SyncClient
from sellerkit._core.operations import check_kind, name_of, prepare, required_filters
from sellerkit._core.steps import ByteProgress, Download, Send, Steps, operation_into, operation_job, verb
from sellerkit.selsup_api.api.integrations import check_commerce_ml_auth, create_marketplace_cards
from sellerkit.selsup_api.models import Marketplace, ProductFilter, Task
from sellerkit.selsup_api.operations import BACKGROUND_EXPORTS, FILE_EXPORTS
from sellerkit.selsup_api.types import Unset

from . import _facts
from ._vendor import VENDOR, started

Dest = str | PathLike[str]
_KINDS: Mapping[str, tuple[str, tuple[ModuleType, ...]]] = {
    "start_export": ("BACKGROUND_EXPORTS", BACKGROUND_EXPORTS),
    "download_file": ("FILE_EXPORTS", FILE_EXPORTS),
}


def _bounds(op: str, name: str, value: Any) -> None:
    """SelSup's list paging: `limit` 1-500, `page` from 1 (also inside a `ProductFilter`)."""
    if isinstance(value, ProductFilter):
        for field in ("limit", "page"):
            inner = getattr(value, field)
            if not isinstance(inner, Unset) and inner is not None:
                _bounds(op, f"{name}.{field}", inner)
        return
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "limit" and isinstance(value, int) and not 1 <= value <= _facts.MAX_LIMIT:
        raise ConfigurationError(f"{op}: {name} must be between 1 and {_facts.MAX_LIMIT}, not {value}")
    if leaf == "page" and isinstance(value, int) and value < _facts.FIRST_PAGE:
        raise ConfigurationError(f"{op}: {name} counts from {_facts.FIRST_PAGE}, not {value}")


def _checked(operation: object, kind: str, filters: Mapping[str, Any]) -> dict[str, Any]:
    check_kind(operation, _KINDS, kind, "sellerkit.selsup_api")
    return prepare(operation, filters, _bounds)


def _string_result(response: httpx.Response, parsed: str) -> str:
    """`createMarketplaceCards`' string: text/plain as is, a JSON string unquoted (the docs give no type)."""
    if "json" not in response.headers.get("content-type", ""):
        return parsed
    try:
        decoded = json.loads(parsed)
    except json.JSONDecodeError:
        return parsed
    return decoded if isinstance(decoded, str) else parsed


class SelsupCore(ClientCore):
    """SelSup's verbs, written once for both clients."""

    vendor = VENDOR
    _operation_kinds = _KINDS

    def __init__(self, api_key: str | None = None, **options: Unpack[ClientOptions]) -> None:
        """Args:
        api_key: the API key from SelSup's settings (sent raw in `Authorization`); default `SELSUP_API_KEY`.
        **options: base_url, timeout, max_retries, max_wait, deadline, http_client, default_headers,
            quotas, journal (see `sellerkit.ClientOptions`).
        """
        super().__init__({"api_key": api_key}, default_base_url=lambda: _facts.BASE_URL, **options)

    def _make_auth(self) -> httpx.Auth:
        return HeaderAuth({_facts.AUTH_HEADER: self._credentials["api_key"]})

    @operation_job
    def start_export(self, operation: Any, /, fresh: bool = False, **filters: Any) -> Steps[JobState]:
        """Start a background export (a module of `sellerkit.selsup_api.operations.BACKGROUND_EXPORTS`) with
        its filters as keyword arguments; its task as a job handle. An identical earlier call's task is
        adopted instead of starting another (`fresh=True`: always new)."""
        checked = _checked(operation, "start_export", filters)

        def begin() -> Steps[JobState]:
            response = yield Send(self._request(operation, **checked))
            return started(Task.from_dict(self._parse_json(response, "task (the task may exist)")))

        params = {name: str(value) for name, value in checked.items()}
        return (yield from self._start_job(name_of(operation), params, begin, fresh=fresh))

    @operation_into[Dest, DownloadResult]
    def download_file(
        self,
        operation: Any,
        dest: Dest,
        on_progress: ByteProgress | None = None,
        /,
        overwrite: bool = False,
        **filters: Any,
    ) -> Steps[DownloadResult]:
        """Stream a file export (a module of `sellerkit.selsup_api.operations.FILE_EXPORTS`) to `dest`: a
        folder ("exports/": the name comes from Content-Disposition, an existing file is never replaced)
        or a file path (refused if it exists, unless `overwrite=True`). The filters are its parameters."""
        checked = _checked(operation, "download_file", filters)
        target = resolve(dest, overwrite=overwrite)
        result: DownloadResult = yield Download(self._request(operation, **checked), target, on_progress)
        return result

    @operation_into[Writable, StreamedFile]
    def stream_file(
        self, operation: Any, sink: Writable, on_progress: ByteProgress | None = None, /, **filters: Any
    ) -> Steps[StreamedFile]:
        """Stream a file export into a writable binary stream (resumed after a dropped connection where
        the server allows ranges; restarted from the start only if the stream is seekable)."""
        checked = _checked(operation, "download_file", filters)
        if not callable(getattr(sink, "write", None)):
            raise ConfigurationError("stream_file needs a writable binary stream (an object with write())")
        streamed: StreamedFile = yield Download(self._request(operation, **checked), sink, on_progress)
        return streamed

    @verb
    def download_files(
        self,
        folder: Dest,
        operations: Iterable[ModuleType | tuple[ModuleType, Mapping[str, Any]]] | None = None,
    ) -> Steps[dict[str, DownloadResult]]:
        """Several file exports into `folder`: `(module, filters)` pairs or bare modules; by default every
        file export that needs no parameters (the import templates and the unfiltered lists)."""
        batch: list[tuple[ModuleType, dict[str, Any]]]
        if operations is None:
            batch = [(op, {}) for op in FILE_EXPORTS if not required_filters(op)]
        else:
            pairs = [
                (item[0], dict(item[1])) if isinstance(item, tuple) else (item, {}) for item in operations
            ]
            batch = [(op, _checked(op, "download_file", f)) for op, f in pairs]  # all checked first
        target = resolve(Path(folder), overwrite=False) if Path(folder).is_dir() else resolve(f"{folder}/")
        results = {}
        for op, checked in batch:
            results[name_of(op)] = yield Download(self._request(op, **checked), target, None)
        return results

    @verb
    def create_marketplace_cards(self, order_id: int, service: Marketplace | str | None = None) -> Steps[str]:
        """`createMarketplaceCards`: create marketplace cards for an order; SelSup's string answer."""
        checked = prepare(create_marketplace_cards, {"order_id": order_id, "service": service})
        response = yield Send(self._request(create_marketplace_cards, **checked))
        return _string_result(response, self._parse(create_marketplace_cards, response, str))

    @verb
    def check_commerce_ml_auth(self, url: str, login: str, password: str) -> Steps[bool]:
        """`checkCommerceMlAuth`: whether SelSup can log in to a CommerceML site with these credentials."""
        checked = prepare(check_commerce_ml_auth, {"url_query": url, "login": login, "password": password})
        missing = [name for name in ("url_query", "login", "password") if not checked.get(name)]
        if missing:
            raise ConfigurationError(
                "check_commerce_ml_auth needs non-empty "
                + ", ".join(m.removesuffix("_query") for m in missing)
            )
        response = yield Send(self._request(check_commerce_ml_auth, **checked))
        return bool(self._parse(check_commerce_ml_auth, response, bool))


class SelsupClient(SelsupCore, SyncClient):
    """Synchronous SelSup client; `.api` is the generated client sending through the same connection."""


class AsyncSelsupClient(SelsupCore, AsyncClient):
    """Asynchronous SelSup client, the same as `SelsupClient` with `await`."""


__all__ = ["AsyncSelsupClient", "SelsupClient"]
