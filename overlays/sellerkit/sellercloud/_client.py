"""`SellercloudClient` / `AsyncSellercloudClient`: token login, exports as queued jobs, output files.

What this adds to the generated `sellerkit.sellercloud_api` client: the bearer-token login (renewed early
from `expires_in`, re-done once on a 401), the per-IP quota and the documented throttle body, queued jobs
as uniform `Job` handles (progress from the record counters, failures with the job's error log), and the
output file decoded from whichever of its three documented shapes arrives. Timeouts, retries, typed
errors, the journal, options and the two drivers come from `sellerkit._core.kit`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Literal, Unpack

import httpx

from sellerkit._core.auth import Credentials, TokenAuth, TokenEndpoint
from sellerkit._core.errors import ConfigurationError, SellerkitError, ServerError
from sellerkit._core.jobs import JobState, unknown
from sellerkit._core.kit import AsyncClient, ClientCore, ClientOptions, SyncClient
from sellerkit._core.steps import Send, Steps, starts_job, verb
from sellerkit.sellercloud_api.api.catalog_exports import (
    export_catalog_basic,
    export_catalog_custom,
    export_via_plugin,
    export_via_plugin_documented_path,
    get_export_via_plugin_metadata,
)
from sellerkit.sellercloud_api.models import (
    BasicExportRequest,
    CustomExportRequest,
    ExportViaPluginRequest,
    FileContent,
    FileFormat,
    PluginInfo,
    PluginMetadata,
    QueuedJobLinkResponse,
    QueuedJobLogEntry,
    StandardExportKind,
)

from . import _facts
from ._vendor import MAX_LOG_PAGES, VENDOR, inline_state, job_id, log_entries

ExportPath = Literal["exports", "documented"]
FileFormatName = Literal["tab", "csv", "excel"]
_FORMATS = "file_format must be 'tab', 'csv' or 'excel' (or 0/1/2)"


def _server_url(server: str | None) -> str:
    server = server or os.environ.get(_facts.ENV_SERVER)
    if not server:
        raise ConfigurationError(
            f"Sellercloud needs your server id (or base URL): pass server_id= or set {_facts.ENV_SERVER}"
        )
    if not isinstance(server, str):
        raise ConfigurationError(f"server_id must be a str such as 'tt', not {type(server).__name__}")
    if "://" in server:
        return server.rstrip("/")
    if not server.replace("-", "").isalnum():
        raise ConfigurationError(
            f"server id {server!r} is not a subdomain name; pass base_url= for a full URL"
        )
    return _facts.SERVER_URL.format(server_id=server)


def _file_format(value: FileFormat | FileFormatName | int) -> FileFormat:
    if isinstance(value, str):
        number = _facts.FILE_FORMATS.get(value.lower())
        if number is None:
            raise ConfigurationError(f"{_FORMATS}, not {value!r}")
        return FileFormat(number)
    if isinstance(value, bool) or not isinstance(value, int) or value not in (0, 1, 2):
        raise ConfigurationError(f"{_FORMATS}, not {value!r}")
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


def _reference(parsed: object, response: httpx.Response) -> JobState:
    """The job an export answer names: a queued job link (string or object), or the file inline."""
    if isinstance(parsed, FileContent):
        return inline_state(parsed)
    link = parsed.queued_job_link if isinstance(parsed, QueuedJobLinkResponse) else parsed
    if isinstance(link, str):
        try:
            return unknown(job_id(link))
        except SellerkitError as exc:
            problem = str(exc)
    else:
        problem = f"an export answer of type {type(parsed).__name__}, neither a job link nor a file"
    message = f"Sellercloud sent {problem} (the job may exist: see the Queued Jobs page)"
    raise ServerError.about(message, vendor=_facts.VENDOR, response=response)


class SellercloudCore(ClientCore):
    """Sellercloud's verbs, written once for both clients."""

    vendor = VENDOR

    def __init__(
        self,
        server_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        export_path: ExportPath | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """Args:
        server_id: your server's subdomain (`https://<server_id>.api.sellercloud.com/rest`); default
            `SELLERCLOUD_SERVER`; `base_url=` instead for any other address.
        username / password: the user the exports run as; default `SELLERCLOUD_USERNAME` / `_PASSWORD`.
        export_path: "exports" (default: `/api/Catalog/Exports/ViaPlugin`) or "documented" (the page's
            `/api/Catalog/ViaPlugin`; see specs/sellercloud.yaml); default `SELLERCLOUD_EXPORT_PATH`.
        **options: base_url, timeout, max_retries, max_wait, deadline, http_client, default_headers,
            quotas, journal (see `sellerkit.ClientOptions`).
        """
        path = export_path or os.environ.get(_facts.ENV_EXPORT_PATH) or "exports"
        if path not in ("exports", "documented"):
            raise ConfigurationError(f"export_path must be 'exports' or 'documented', not {path!r}")
        # the spec's primary path (/api/Catalog/Exports/ViaPlugin) or the prose one (/api/Catalog/ViaPlugin)
        self._plugin_op = export_via_plugin if path == "exports" else export_via_plugin_documented_path
        credentials = {"username": username, "password": password}
        super().__init__(credentials, default_base_url=lambda: _server_url(server_id), **options)

    def _make_auth(self) -> httpx.Auth:
        base_url = self.base_url

        def login(credentials: Credentials) -> httpx.Request:
            body = {"Username": credentials.username.get(), "Password": credentials.password.get()}
            return httpx.Request("POST", f"{base_url}/api/token", json=body)

        return TokenAuth(
            TokenEndpoint(login=login),
            vendor=_facts.VENDOR,
            username=self._credential("username"),
            password=self._credential("password"),
            scheme="Bearer",
            clock=self._runtime.wall_clock,
        )

    def _export(self, operation: Any, body: Any, fresh: bool) -> Steps[JobState]:
        def begin() -> Steps[JobState]:
            response = yield Send(self._request(operation, body=body))
            return _reference(self._parse(operation, response), response)

        return (yield from self._start_job(operation.__name__, body.to_dict(), begin, fresh=fresh))

    @verb
    def plugins(self) -> Steps[list[PluginInfo]]:
        """The export plugins available to the user; a plugin's `key` is what `export_via_plugin` takes."""
        response = yield Send(self._request(get_export_via_plugin_metadata))
        metadata = self._parse(get_export_via_plugin_metadata, response, PluginMetadata)
        return list(metadata.plugins) if isinstance(metadata.plugins, list) else []

    @starts_job
    def export_via_plugin(
        self,
        product_ids: Iterable[str],
        *,
        plugin: str,
        file_format: FileFormatName | int = "csv",
        fresh: bool = False,
    ) -> Steps[JobState]:
        """Queue a product export through a plugin (a `key` from `plugins()`); returns the job's handle.

        An identical earlier call's job is adopted instead of queueing another (`fresh=True`: always new).
        """
        if not isinstance(plugin, str) or not plugin:
            raise ConfigurationError("plugin must be a plugin Key from plugins() (PluginProfileKey)")
        body = ExportViaPluginRequest(
            plugin_profile_key=plugin,
            product_ids=_product_ids(product_ids),
            file_format=_file_format(file_format),
        )
        return (yield from self._export(self._plugin_op, body, fresh))

    @starts_job
    def export_basic(
        self, product_ids: Iterable[str], *, kind: StandardExportKind | int, fresh: bool = False
    ) -> Steps[JobState]:
        """A standard export (kind 0-14): a queued job, or a job already done when the file comes inline."""
        if isinstance(kind, bool) or not isinstance(kind, int) or not 0 <= kind <= 14:
            raise ConfigurationError(f"kind must be a StandardExportKind 0-14, not {kind!r}")
        body = BasicExportRequest(
            standard_export_kind=StandardExportKind(kind), product_ids=_product_ids(product_ids)
        )
        return (yield from self._export(export_catalog_basic, body, fresh))

    @starts_job
    def export_custom(
        self,
        product_ids: Iterable[str],
        *,
        columns: list[str] | None = None,
        file_format: FileFormatName | int | None = None,
        fresh: bool = False,
    ) -> Steps[JobState]:
        """A custom export: a queued job, or a job already done when the file comes inline."""
        body = CustomExportRequest(product_ids=_product_ids(product_ids))
        if columns is not None:
            body.columns = list(columns)
        if file_format is not None:
            body.file_format = _file_format(file_format)
        return (yield from self._export(export_catalog_custom, body, fresh))

    @verb
    def logs(self, reference: str, *, max_pages: int = MAX_LOG_PAGES) -> Steps[list[QueuedJobLogEntry]]:
        """A queued job's log entries (id or queued job link), 50 per request, at most `max_pages` pages."""
        return (yield from log_entries(self, job_id(reference), max_pages))


class SellercloudClient(SellercloudCore, SyncClient):
    """Synchronous Sellercloud client. `.api` is the generated client for anything not wrapped here."""


class AsyncSellercloudClient(SellercloudCore, AsyncClient):
    """Asynchronous Sellercloud client, the same as `SellercloudClient` with `await`."""


__all__ = ["AsyncSellercloudClient", "ExportPath", "SellercloudClient", "job_id"]
