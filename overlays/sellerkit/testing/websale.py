"""WEBSALE Admin Interface API simulator: `login` (email + password or an API key, tokens in the body or in
cookies), the inferred `login/refresh` (single-use refresh tokens) and the uniform `report/{service}` export —
status, start, pause, resume, cancel — for the 16 services, as `specs/websale.yaml` describes them (from
vendor-docs/002_5dc7a05c1fad6588.txt and vendor-notes.md § WEBSALE).

Behaviour the docs state: read permission per service (401 without it), 400 for an unknown service or a format
the service doesn't support, 404 pausing/cancelling what isn't running and resuming what isn't paused, 503
`internalError` when "Redis" is down, and a start while an export of the service runs cancels it. What the
spec infers is decided here the same way: access tokens expire (`access_ttl`), a refresh token works once,
an export moves Ready → Starting (`start_seconds`) → Running (`run_seconds`, progress and entries growing
linearly; paused time does not count) → Finished with a `fileLink` (or Error, or stuck Running at 50 %).
Files are deterministic from (service, format, subshop, entries) and served with Range. Fault
`unknown_enum` (vendor-specific): the status answers an undocumented status value (default 7).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import secrets
import threading
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from .framework import (
    FileBody,
    ScaledClock,
    Simulator,
    Unsatisfiable,
    bearer_token,
    byte_chunks,
    range_not_satisfiable,
    requested_span,
    settings_from,
    settings_options,
)

if TYPE_CHECKING:
    import argparse

    from sellerkit.websale import AsyncWebsaleClient, WebsaleClient  # noqa: F401 (the simulator's type arguments)

__all__ = [
    "FORMATS",
    "OUTCOMES",
    "SERVICES",
    "STATUS_NAMES",
    "Export",
    "WebsaleSettings",
    "WebsaleSimulator",
    "cli_arguments",
    "cli_start",
    "render_file",
]

API_PREFIX: Final = "/admin/api/v1"
FILES_PATH: Final = "/files/"
# the docs' table "Supported services and formats"
SERVICES: Final[Mapping[str, tuple[str, ...]]] = {
    "adminUser": ("json", "csv"),
    "category": ("json", "csv"),
    "customerAccount": ("json", "csv"),
    "dataFeed": ("json", "csv"),
    "dataFeedTemplate": ("json", "csv"),
    "inquiry": ("json", "csv", "xml"),
    "inventory": ("json", "csv"),
    "order": ("json", "xml"),
    "newsletterSubscriber": ("json", "csv"),
    "product": ("json", "csv"),
    "productRating": ("json", "csv"),
    "seoViews": ("json", "csv"),
    "transaction": ("json", "csv"),
    "voucher": ("json", "csv"),
    "voucherPreset": ("json", "csv"),
    "voucherTemplate": ("json", "csv"),
}
FORMATS: Final = ("json", "csv", "xml")
STATUS_NAMES: Final = ("Ready", "Starting", "Running", "Paused", "Canceled", "Finished", "Error")
READY, STARTING, RUNNING, PAUSED, CANCELED, FINISHED, ERROR = range(7)
OUTCOMES: Final = ("finished", "error", "stuck")
_MEDIA: Final = {"json": "application/json", "csv": "text/csv; charset=utf-8", "xml": "application/xml"}


@dataclass
class WebsaleSettings:
    """Knobs of one simulator (may be changed while it runs; the timings apply to new exports)."""

    start_seconds: float = 1.0  # simulated seconds an export stays Starting
    run_seconds: float = 3.0  # simulated seconds it stays Running (paused time not counted)
    entries: int = 100  # entries per export (rows in the file)
    outcome: str = "finished"  # OUTCOMES: how new exports end
    access_ttl: float = 900.0  # simulated seconds an access token is valid
    redis_down: bool = False  # every report call answers 503 internalError
    chunk_size: int = 1 << 14


@dataclass
class Export:
    """One export process of a service (and subshop)."""

    number: int
    service: str
    format: str
    subshop: str | None
    created: float
    start_seconds: float
    run_seconds: float
    entries: int
    outcome: str
    paused_total: float = 0.0
    paused_at: float | None = None
    canceled_at: float | None = None
    canceled_status: int | None = None  # the status it was cancelled from (for assertions)
    progress_at_cancel: float = 0.0

    def active(self, now: float) -> float:
        """Simulated seconds it has run (paused time excluded)."""
        until = self.paused_at if self.paused_at is not None else now
        if self.canceled_at is not None:
            until = min(until, self.canceled_at)
        return max(0.0, until - self.created - self.paused_total)

    def fraction(self, now: float) -> float:
        ran = self.active(now) - self.start_seconds
        if ran <= 0:
            return 0.0
        value = min(1.0, ran / self.run_seconds) if self.run_seconds > 0 else 1.0
        return min(value, 0.5) if self.outcome == "stuck" else value

    def status(self, now: float) -> int:
        if self.canceled_at is not None:
            return CANCELED
        running = self.active(now) < self.start_seconds + self.run_seconds or self.outcome == "stuck"
        if self.paused_at is not None and running:
            return PAUSED
        if self.active(now) < self.start_seconds:
            return STARTING
        if running:
            return RUNNING
        return ERROR if self.outcome == "error" else FINISHED

    def running(self, now: float) -> bool:
        return self.status(now) in (STARTING, RUNNING, PAUSED)

    @property
    def file_name(self) -> str:
        return f"{self.service}-{self.number}.{self.format}"


def render_file(service: str, file_format: str, entries: int, subshop: str | None = None) -> bytes:
    """The exact export file (same arguments → same bytes)."""
    rows = [
        {
            "id": i,
            "service": service,
            "subshop": subshop or "",
            "name": f'{service} {i} — Ä/"x"',
            "checksum": hashlib.sha256(f"{service}:{subshop}:{i}".encode()).hexdigest()[:12],
        }
        for i in range(1, entries + 1)
    ]
    if file_format == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1).encode()
    if file_format == "csv":
        lines = ["id,service,subshop,name,checksum"]
        for r in rows:
            quoted = '"' + str(r["name"]).replace('"', '""') + '"'
            lines.append(f"{r['id']},{r['service']},{r['subshop']},{quoted},{r['checksum']}")
        return ("\r\n".join(lines) + "\r\n").encode()
    from xml.sax.saxutils import escape

    body = "".join(
        f'<entry id="{r["id"]}"><name>{escape(str(r["name"]))}</name><checksum>{r["checksum"]}</checksum>'
        "</entry>\n"
        for r in rows
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{service}>\n{body}</{service}>\n'.encode()


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse({"type": kind, "message": message}, status_code=status)


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class WebsaleStats:
    logins: int = 0
    refreshes: int = 0
    starts: int = 0
    cancelled_by_start: int = 0
    files_served: int = 0


@dataclass
class _Tokens:
    access: dict[str, float] = field(default_factory=dict)  # token -> expires at (sim time)
    refresh: set[str] = field(default_factory=set)  # unused refresh tokens


class WebsaleSimulator(Simulator["WebsaleClient", "AsyncWebsaleClient"]):
    """A WEBSALE shop's Admin Interface API (report exports) on the shared framework."""

    name: ClassVar[str] = "websale"
    api_prefix: ClassVar[str] = API_PREFIX

    def __init__(
        self,
        clock: ScaledClock | None = None,
        settings: WebsaleSettings | None = None,
        *,
        email: str = "admin@shop.test",
        password: str | None = None,
        api_key: str | None = None,
        permissions: frozenset[str] | None = None,
    ) -> None:
        self.settings = settings if settings is not None else WebsaleSettings()
        self.email = email
        self.password = password if password is not None else secrets.token_urlsafe(12)
        self.api_key = api_key if api_key is not None else "ws-" + secrets.token_hex(16)
        #: services the credentials may read (default: all 16); others answer 401 as the docs say
        self.permissions = set(SERVICES if permissions is None else permissions)
        self.lock = threading.Lock()
        self.tokens = _Tokens()
        self.exports: dict[tuple[str, str | None], Export] = {}
        self.history: list[Export] = []
        self.stats = WebsaleStats()
        super().__init__(clock)

    # ---- credentials and state, for tests

    def _issue(self) -> dict[str, Any]:
        access, refresh = "at-" + secrets.token_hex(16), "rt-" + secrets.token_hex(16)
        self.tokens.access[access] = self.clock.now() + self.settings.access_ttl
        self.tokens.refresh.add(refresh)
        return {"accessToken": access, "refreshToken": refresh, "expiresIn": int(self.settings.access_ttl)}

    def token(self) -> str:
        """A fresh access token without HTTP (not counted as a login)."""
        with self.lock:
            return str(self._issue()["accessToken"])

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def expire_tokens(self) -> None:
        """Every access token expires now (refresh tokens stay usable)."""
        with self.lock:
            self.tokens.access.clear()

    def export(self, service: str, subshop: str | None = None) -> Export:
        return self.exports[(service, subshop)]

    def file_bytes(self, service: str, subshop: str | None = None) -> bytes:
        e = self.export(service, subshop)
        return render_file(e.service, e.format, e.entries, e.subshop)

    def file_sha256(self, service: str, subshop: str | None = None) -> str:
        return hashlib.sha256(self.file_bytes(service, subshop)).hexdigest()

    def route_of(self, method: str, path: str) -> str:
        return API_PREFIX + FILES_PATH + "*" if path.startswith(API_PREFIX + FILES_PATH) else path

    def build_app(self) -> ASGIApp:
        report = API_PREFIX + "/report/{service}/"
        return Starlette(
            routes=[
                Route(API_PREFIX + "/login", self._login, methods=["POST"]),
                Route(API_PREFIX + "/login/refresh", self._refresh, methods=["POST"]),
                Route(report + "status", self._status, methods=["GET"]),
                Route(report + "start", self._start, methods=["POST"]),
                Route(report + "pause", self._pause, methods=["POST"]),
                Route(report + "resume", self._resume, methods=["POST"]),
                Route(report + "cancel", self._cancel, methods=["DELETE"]),
                Route(API_PREFIX + FILES_PATH + "{name}", self._file, methods=["GET"]),
            ]
        )

    # ---- login

    async def _json_object(self, request: Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    def _tokens_answer(self, pair: dict[str, Any], set_cookie: bool) -> Response:
        if not set_cookie:
            return JSONResponse(pair)
        response = JSONResponse({"expiresIn": pair["expiresIn"]})
        for name in ("accessToken", "refreshToken"):
            response.set_cookie(name, pair[name], httponly=True, samesite="strict")
        return response

    async def _login(self, request: Request) -> Response:
        set_cookie = request.query_params.get("setCookie", "false")
        if set_cookie not in ("true", "false"):
            return _error(400, "badRequest", "setCookie must be true or false")
        body = await self._json_object(request)
        strings = body is not None and all(isinstance(v, str) and v for v in body.values())
        if body is None or not strings or set(body) not in ({"email", "password"}, {"apiKey"}):
            return _error(400, "badRequest", "send either email and password or apiKey")
        if "apiKey" in body:
            ok = secrets.compare_digest(body["apiKey"].encode(), self.api_key.encode())
        else:
            ok = body["email"] == self.email and secrets.compare_digest(
                body["password"].encode(), self.password.encode()
            )
        if not ok:
            return _error(401, "notAuthorized", "Not authorized: wrong credentials")
        with self.lock:
            self.stats.logins += 1
            pair = self._issue()
        return self._tokens_answer(pair, set_cookie == "true")

    async def _refresh(self, request: Request) -> Response:
        body = await self._json_object(request)
        token = body.get("refreshToken") if body is not None else None
        if not isinstance(token, str) or not token:
            return _error(400, "badRequest", "send refreshToken")
        with self.lock:
            if token not in self.tokens.refresh:
                return _error(401, "notAuthorized", "Not authorized: the refresh token is invalid or used")
            self.tokens.refresh.discard(token)  # single use
            self.stats.refreshes += 1
            pair = self._issue()
        return JSONResponse(pair)

    # ---- report calls: auth, permission, service, subshop

    def _admit(self, request: Request) -> Response | tuple[str, str | None]:
        token = bearer_token(request.headers.get("authorization")) or request.cookies.get("accessToken")
        expires = self.tokens.access.get(token or "")
        if expires is None or self.clock.now() >= expires:
            return _error(401, "notAuthorized", "Not authorized: you are not logged in")
        service = str(request.path_params["service"])
        if service not in SERVICES:
            return _error(400, "badRequest", "service is unknown")
        if service not in self.permissions:
            return _error(401, "notAuthorized", f"Not authorized: no read permission for {service}")
        subshop = request.query_params.get("subshopId")
        if subshop == "":
            return _error(400, "badRequest", "subshopId must not be empty")
        if self.settings.redis_down:
            return _error(503, "internalError", "Redis did not return a status.")
        return service, subshop

    def _body(self, service: str, export: Export | None) -> dict[str, Any]:
        now = self.clock.now()
        if export is None:
            return {"service": service, "status": READY, "progress": None, "processedEntries": None,
                    "format": None, "startTime": None, "endTime": None, "fileLink": None}  # fmt: skip
        status = export.status(now)
        fraction = export.fraction(now) if status != FINISHED else 1.0
        started = export.created + export.start_seconds if status not in (STARTING,) else None
        ended = None
        if status in (FINISHED, ERROR):
            ended = export.created + export.paused_total + export.start_seconds + export.run_seconds
        elif status == CANCELED:
            ended = export.canceled_at
        link = self.url(API_PREFIX + FILES_PATH + export.file_name) if status == FINISHED else None
        return {
            "service": service,
            "status": status,
            "progress": round(fraction * 100, 2),
            "processedEntries": int(fraction * export.entries),
            "format": export.format,
            "startTime": _iso(started),
            "endTime": _iso(ended),
            "fileLink": link,
        }

    async def _status(self, request: Request) -> Response:
        admitted = self._admit(request)
        if isinstance(admitted, Response):
            return admitted
        with self.lock:
            body = self._body(admitted[0], self.exports.get(admitted))
        fault = self.take_fault(request.scope, "unknown_enum")  # a status value the docs don't list (7)
        if fault is not None:
            body["status"] = fault["value"] if fault["value"] is not None else len(STATUS_NAMES)
        return JSONResponse(body)

    async def _start(self, request: Request) -> Response:
        admitted = self._admit(request)
        if isinstance(admitted, Response):
            return admitted
        service, subshop = admitted
        file_format = request.query_params.get("format", "json")
        if file_format not in SERVICES[service]:
            return _error(400, "badRequest", "The service does not support the format.")
        now, s = self.clock.now(), self.settings
        with self.lock:
            running = self.exports.get(admitted)
            if running is not None and running.running(now):
                # [doc] "If an export process for the service is already running, it is canceled"
                running.canceled_status = running.status(now)
                running.canceled_at = now
                self.stats.cancelled_by_start += 1
            self.stats.starts += 1
            export = Export(
                number=len(self.history) + 1,
                service=service,
                format=file_format,
                subshop=subshop,
                created=now,
                start_seconds=s.start_seconds,
                run_seconds=s.run_seconds,
                entries=s.entries,
                outcome=s.outcome,
            )
            self.history.append(export)
            self.exports[admitted] = export
            return JSONResponse(self._body(service, export))

    async def _pause(self, request: Request) -> Response:
        return self._transition(request, "pause")

    async def _resume(self, request: Request) -> Response:
        return self._transition(request, "resume")

    async def _cancel(self, request: Request) -> Response:
        return self._transition(request, "cancel")

    def _transition(self, request: Request, verb: str) -> Response:
        admitted = self._admit(request)
        if isinstance(admitted, Response):
            return admitted
        now = self.clock.now()
        with self.lock:
            export = self.exports.get(admitted)
            status = export.status(now) if export is not None else READY
            if verb == "resume" and (export is None or status != PAUSED):
                return _error(404, "notFound", "The process has not been paused.")
            if export is None or status not in (STARTING, RUNNING, PAUSED):
                return _error(404, "notFound", "The process is not running.")
            if verb == "pause" and status != PAUSED:
                export.paused_at = now
            elif verb == "resume" and export.paused_at is not None:
                export.paused_total += now - export.paused_at
                export.paused_at = None
            elif verb == "cancel":
                export.canceled_status, export.canceled_at = status, now
            return JSONResponse(self._body(admitted[0], export))

    # ---- files (the status body's fileLink; not in the spec: its address is whatever the link says)

    async def _file(self, request: Request) -> Response:
        token = bearer_token(request.headers.get("authorization")) or request.cookies.get("accessToken")
        if token is None or self.clock.now() >= self.tokens.access.get(token, 0.0):
            return _error(401, "notAuthorized", "Not authorized: you are not logged in")
        name = str(request.path_params["name"])
        export = next((e for e in self.exports.values() if e.file_name == name), None)
        if export is None or export.status(self.clock.now()) != FINISHED:
            return _error(404, "notFound", "no such file")
        data = render_file(export.service, export.format, export.entries, export.subshop)
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        modified = email.utils.formatdate(max(export.created, 0.0), usegmt=True)
        headers = {
            "content-type": _MEDIA[export.format],
            "accept-ranges": "bytes",
            "etag": etag,
            "last-modified": modified,
            "content-disposition": f'attachment; filename="{name}"',
        }
        try:
            span = requested_span(request.headers, len(data), (etag, modified))
        except Unsatisfiable:
            return range_not_satisfiable(len(data), {"accept-ranges": "bytes"})
        if span.content_range is not None:
            headers["content-range"] = span.content_range
        headers["content-length"] = str(span.length)
        self.stats.files_served += 1
        return FileBody(
            byte_chunks(data, span.start, span.end, self.settings.chunk_size), span.status, headers
        )


# --------------------------------------------------------------- command line (sellerkit/testing/__main__.py)

_CLI_OPTIONS: Final[Mapping[str, Mapping[str, Any]]] = {
    "start_seconds": {"help": "simulated seconds an export stays Starting"},
    "run_seconds": {"help": "simulated seconds an export stays Running"},
    "entries": {"help": "entries per export"},
}


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    settings_options(parser, WebsaleSettings(), _CLI_OPTIONS)


def cli_start(args: argparse.Namespace, stack: ExitStack) -> list[str]:
    sim = WebsaleSimulator(ScaledClock(args.scale), settings_from(args, WebsaleSettings, _CLI_OPTIONS))
    stack.enter_context(sim.running(args.host, port=args.port))
    return [
        f"WEBSALE simulator: {sim.base_url}   (clock x{args.scale:g})",
        f"  email:    {sim.email}",
        f"  password: {sim.password}",
        f"  apiKey:   {sim.api_key}",
        "  (simulator-only test credentials)",
    ]
