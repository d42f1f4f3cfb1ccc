"""A small base for stateful ASGI vendor simulators: simulated time, fault injection, a request log, serving.

A simulator subclasses `Simulator`, builds a Starlette app in `build_app()` and keeps its state on itself.
`Simulator.asgi` wraps that app in `FaultMiddleware`, which logs every request and applies the generic
faults; vendor-specific faults (`unknown_enum`) are taken by the simulator's own handlers with
`self.faults.take(...)`. `serve()` runs any ASGI app with uvicorn in a background thread on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import hashlib
import ipaddress
import json
import math
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar, cast, overload

import uvicorn
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CREDENTIAL_HEADERS",
    "FAULT_KINDS",
    "SERVING",
    "Fault",
    "FaultMiddleware",
    "FaultSet",
    "FileBody",
    "HttpLayer",
    "RequestLog",
    "RequestRecord",
    "ScaledClock",
    "Simulator",
    "Span",
    "Unsatisfiable",
    "bearer_token",
    "byte_chunks",
    "byte_range",
    "range_not_satisfiable",
    "requested_span",
    "serve",
    "settings_from",
    "settings_options",
    "spec_path",
]


# ---------------------------------------------------------------- time


class ScaledClock:
    """Simulated seconds: `scale` of them pass per real second; a manual clock moves only on advance().

    Clients under test get `clock.now` and `clock.sleep` / `clock.asleep`, so their polling and quota logic
    runs in simulated time. `now()` starts at `start` (default: the wall clock at creation, so JWT `exp`
    claims and HTTP dates stay plausible).
    """

    def __init__(self, scale: float = 1.0, *, start: float | None = None, manual: bool = False) -> None:
        if not manual and not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive finite number, got {scale!r}")
        self.scale = scale
        self.is_manual = manual
        self._lock = threading.Lock()
        # a whole second, so integral TTLs give integral JWT `exp` claims
        self._start = float(int(time.time())) if start is None else start
        self._real0 = time.monotonic()
        self._offset = 0.0

    @classmethod
    def manual(cls, *, start: float | None = None) -> ScaledClock:
        """A clock that never moves on its own: sleep()/asleep() advance it instantly."""
        return cls(1.0, start=start, manual=True)

    def now(self) -> float:
        """Simulated seconds (an epoch-like float)."""
        with self._lock:
            running = 0.0 if self.is_manual else (time.monotonic() - self._real0) * self.scale
            return self._start + self._offset + running

    # quota and polling code often asks for a monotonic clock; simulated time never goes backwards
    monotonic = now

    @property
    def origin(self) -> tuple[float, float, float]:
        """(simulated start, its `time.monotonic()` origin, scale): what `following()` needs elsewhere."""
        with self._lock:
            return self._start + self._offset, self._real0, self.scale

    @classmethod
    def following(cls, origin: tuple[float, float, float]) -> ScaledClock:
        """A running clock that reads what the clock of `origin` reads, in another process on this machine
        (CLOCK_MONOTONIC is one clock for all of them); advance() on either is not seen by the other."""
        start, real0, scale = origin
        clock = cls(scale, start=start)
        clock._real0 = real0
        return clock

    def advance(self, seconds: float) -> None:
        """Jump forward by `seconds` simulated seconds (in either mode)."""
        if seconds < 0 or not math.isfinite(seconds):
            raise ValueError(f"can only advance by a finite non-negative amount, got {seconds!r}")
        with self._lock:
            self._offset += seconds

    def real_seconds(self, sim_seconds: float) -> float:
        """How long `sim_seconds` take in real time (0 for a manual clock)."""
        return 0.0 if self.is_manual else max(0.0, sim_seconds) / self.scale

    def sleep(self, sim_seconds: float) -> None:
        if sim_seconds <= 0:
            return
        if self.is_manual:
            self.advance(sim_seconds)
        else:
            time.sleep(sim_seconds / self.scale)

    async def asleep(self, sim_seconds: float) -> None:
        if sim_seconds <= 0 or self.is_manual:
            self.advance(max(0.0, sim_seconds))
            await asyncio.sleep(0)  # still yield, like a real sleep would
            return
        await asyncio.sleep(sim_seconds / self.scale)

    def __repr__(self) -> str:
        mode = "manual" if self.is_manual else f"scale={self.scale:g}"
        return f"ScaledClock({mode}, now={self.now():.3f})"


# ---------------------------------------------------------------- faults

#: Fault kinds every simulator accepts, with their parameters and defaults. Delays are REAL seconds (client
#: timeouts are measured in real time); Retry-After values are SIMULATED seconds (clients wait on the clock).
FAULT_KINDS: Mapping[str, Mapping[str, Any]] = {
    # respond with this status instead of calling the simulator; body: None (JSON {"message"}), str/bytes
    # (text/html if it starts with "<", else text/plain, unless content_type says otherwise) or a JSON value
    "status": {"status": 500, "body": None, "content_type": None, "headers": None},
    # 429; retry_after None sends no Retry-After; retry_after_format "seconds" or "http-date"
    "rate_limit": {"retry_after": 1.0, "retry_after_format": "seconds", "body": None},
    # delay before the response headers, and/or chunk the body into chunk_size pieces with chunk_delay between
    "slow": {"delay": 0.0, "chunk_delay": 0.0, "chunk_size": 16384},
    # TCP reset (RST): after_bytes None = before any response; else after that many body bytes (best effort:
    # the client sees a read/protocol error, possibly before reading every byte sent)
    "reset": {"after_bytes": None},
    # keep the real Content-Length, send only after_bytes body bytes (None = half), then close (FIN)
    "truncate": {"after_bytes": None},
    # vendor-specific: the simulator decides which field carries an undocumented enum value
    "unknown_enum": {"value": None, "field": None},
    # body cut ("cut": first half), invalid ("garbage") or empty ("empty"); JSON content type kept
    "malformed_json": {"mode": "cut"},
    # strip Range / If-Range from the request so files come back whole (200); optionally stop advertising
    "no_range": {"strip_accept_ranges": False},
}
_MALFORMED_MODES = ("cut", "garbage", "empty")


@dataclass(eq=False)
class Fault:
    """One armed fault. `hits`: requests it was applied to; `seen`: matching requests it looked at."""

    kind: str
    method: str | None
    path: str | re.Pattern[str] | None
    times: int | None
    after: int
    params: dict[str, Any]
    hits: int = 0
    seen: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str, query: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.path is None:
            return True
        if isinstance(self.path, str):
            return path.startswith(self.path)
        return self.path.search(f"{path}?{query}" if query else path) is not None

    def __getitem__(self, name: str) -> Any:
        return self.params[name]


class FaultSet:
    """Faults armed on one simulator; safe to change from the test thread while the server runs."""

    def __init__(self, kinds: Mapping[str, Mapping[str, Any]]) -> None:
        self._kinds = kinds
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def add(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        times: int | None = 1,
        after: int = 0,
        **params: Any,
    ) -> Fault:
        """Arm a fault for the next `times` matching requests (None: every one), skipping the first `after`.

        `path` is a prefix of the URL path (str) or a regex searched in "path?query" (`re.compile(...)`).
        """
        if kind not in self._kinds:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(self._kinds)}")
        unknown = set(params) - set(self._kinds[kind])
        if unknown:
            raise TypeError(f"fault {kind!r} takes {sorted(self._kinds[kind])}, not {sorted(unknown)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for every matching request)")
        if after < 0:
            raise ValueError("after must be >= 0")
        _check_params(kind, params)
        fault = Fault(
            kind=kind,
            method=method.upper() if method else None,
            path=path,
            times=times,
            after=after,
            params={**self._kinds[kind], **params},
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, kind: str, *, method: str, path: str, query: str = "") -> Fault | None:
        """The fault of `kind` to apply to this request, if any (counts it as a hit)."""
        chosen: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if fault.kind != kind or fault.exhausted or not fault.matches(method, path, query):
                    continue
                fault.seen += 1
                if chosen is None and fault.seen > fault.after:
                    fault.hits += 1
                    chosen = fault
        return chosen

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


def _check_params(kind: str, params: Mapping[str, Any]) -> None:
    if kind == "status" and "status" in params and not 100 <= int(params["status"]) <= 599:
        raise ValueError(f"status must be an HTTP status code, got {params['status']!r}")
    if kind == "rate_limit" and params.get("retry_after_format", "seconds") not in ("seconds", "http-date"):
        raise ValueError("retry_after_format must be 'seconds' or 'http-date'")
    if kind == "malformed_json" and params.get("mode", "cut") not in _MALFORMED_MODES:
        raise ValueError(f"mode must be one of {_MALFORMED_MODES}")
    if kind == "slow" and int(params.get("chunk_size", 1)) < 1:
        raise ValueError("chunk_size must be >= 1")


# ---------------------------------------------------------------- request log

#: Header names whose values are never stored: the log keeps a short hash instead (compare, don't print).
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization", "cookie"})


def bearer_token(authorization: str | None) -> str | None:
    """The credential of an `Authorization: Bearer <token>` header (scheme case-insensitive), else None."""
    scheme, _, token = (authorization or "").partition(" ")
    return token if scheme.lower() == "bearer" else None


def _fingerprint(value: str) -> str:
    return (
        "<redacted sha256:" + hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()[:12] + ">"
    )


@dataclass(eq=False)
class RequestRecord:
    """One request as the simulator saw it; credential header values are replaced by a hash fingerprint."""

    seq: int
    method: str
    path: str
    query: str
    host: str
    route: str
    sim_time: float
    headers: tuple[tuple[str, str], ...]
    credentials: Mapping[str, bool]
    status: int | None = None
    faults: list[str] = field(default_factory=list)

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def header_names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.headers)

    def has(self, header: str) -> bool:
        return header.lower() in self.header_names

    def header(self, name: str) -> str | None:
        """The (redacted, for credentials) value of a header, or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def has_authorization(self) -> bool:
        return self.credentials.get("authorization", False)

    @property
    def has_api_key(self) -> bool:
        return self.credentials.get("x-api-key", False)

    @property
    def carried_credentials(self) -> frozenset[str]:
        return frozenset(name for name, present in self.credentials.items() if present)

    def __repr__(self) -> str:
        creds = ",".join(sorted(self.carried_credentials)) or "none"
        return f"<{self.method} {self.target} -> {self.status} route={self.route!r} creds={creds}>"


class RequestLog(Sequence[RequestRecord]):
    """Every request a simulator received, in order (thread-safe snapshot reads)."""

    def __init__(self, credential_headers: frozenset[str] = CREDENTIAL_HEADERS) -> None:
        self._credential_headers = credential_headers
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def record(
        self,
        *,
        method: str,
        path: str,
        query: str,
        host: str,
        route: str,
        sim_time: float,
        raw_headers: Sequence[tuple[bytes, bytes]],
    ) -> RequestRecord:
        headers = []
        for raw_name, raw_value in raw_headers:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers.append((name, _fingerprint(value) if name in self._credential_headers else value))
        names = {name for name, _ in headers}
        credentials = {name: name in names for name in sorted(self._credential_headers)}
        with self._lock:
            rec = RequestRecord(
                seq=len(self._records) + 1,
                method=method,
                path=path,
                query=query,
                host=host,
                route=route,
                sim_time=sim_time,
                headers=tuple(headers),
                credentials=credentials,
            )
            self._records.append(rec)
        return rec

    def _snapshot(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    @overload
    def __getitem__(self, index: int) -> RequestRecord: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[RequestRecord]: ...
    def __getitem__(self, index: int | slice) -> RequestRecord | Sequence[RequestRecord]:
        return self._snapshot()[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def matching(
        self, method: str | None = None, path: str | None = None, route: str | None = None
    ) -> list[RequestRecord]:
        """Records with this method, path prefix and/or route name."""
        return [
            r
            for r in self._snapshot()
            if (method is None or r.method == method.upper())
            and (path is None or r.path.startswith(path))
            and (route is None or r.route == route)
        ]

    def calls(self, method: str | None = None, path: str | None = None, route: str | None = None) -> int:
        return len(self.matching(method, path, route))

    def per_route(self) -> Counter[str]:
        """Counts per "METHOD route" (e.g. "POST /v1/listProductsBulkDownload")."""
        return Counter(f"{r.method} {r.route}" for r in self._snapshot())

    def per_status(self) -> Counter[int | None]:
        return Counter(r.status for r in self._snapshot())

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


# ---------------------------------------------------------------- the middleware


SimT = TypeVar("SimT", bound="Simulator[Any, Any]")
T = TypeVar("T")
ClientT = TypeVar("ClientT")
AsyncClientT = TypeVar("AsyncClientT")


class HttpLayer(Generic[SimT]):
    """An ASGI layer in front of a simulator's routes (a vendor's gate: its auth or throttle answer before
    routing): non-HTTP scopes pass through, HTTP ones go to `handle`."""

    def __init__(self, sim: SimT, app: ASGIApp) -> None:
        self.sim = sim
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class FaultMiddleware(HttpLayer["Simulator[Any, Any]"]):
    """Outermost ASGI layer: logs each request and applies the generic faults armed on the simulator."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        method: str = scope["method"]
        path: str = scope["path"]
        query = bytes(scope.get("query_string", b"")).decode("latin-1")
        server = scope.get("server") or ("", 0)
        record = sim.requests.record(
            method=method,
            path=path,
            query=query,
            host=str(server[0]),
            route=sim.route_of(method, path),
            sim_time=sim.clock.now(),
            raw_headers=scope.get("headers", []),
        )
        scope.setdefault("state", {})["sim_request"] = record

        def take(kind: str) -> Fault | None:
            fault = sim.faults.take(kind, method=method, path=path, query=query)
            if fault is not None:
                record.faults.append(kind)
            return fault

        async def recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
                # the server's clock is the simulated one: a Date header in real time would tell a client
                # on a manual clock its server is hours off (and reset times are read against it)
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                stamp = email.utils.formatdate(sim.clock.now(), usegmt=True).encode("latin-1")
                message = {**message, "headers": [*headers, (b"date", stamp)]}
            await send(message)

        no_range = take("no_range")
        if no_range is not None:
            scope = dict(scope)
            scope["headers"] = [
                (k, v) for k, v in scope["headers"] if k.lower() not in (b"range", b"if-range")
            ]
        slow = take("slow")
        if slow is not None and slow["delay"] > 0:
            await asyncio.sleep(float(slow["delay"]))

        if (fault := take("status")) is not None:
            await _respond_status(recorded, fault)
            return
        if (fault := take("rate_limit")) is not None:
            await _respond_rate_limited(recorded, fault, sim.clock)
            return
        reset = take("reset")
        if reset is not None and reset["after_bytes"] is None:
            await _drop_connection(send, rst=True)
            return
        truncate = None if reset is not None else take("truncate")
        malformed = take("malformed_json")

        out: Send = recorded
        if reset is not None:
            out = _cutting(out, send, int(reset["after_bytes"]), rst=True)
        elif truncate is not None:
            after = truncate["after_bytes"]
            out = _cutting(out, send, None if after is None else int(after), rst=False)
        if slow is not None and slow["chunk_delay"] > 0:
            out = _chunking(out, int(slow["chunk_size"]), float(slow["chunk_delay"]))
        if malformed is not None:
            out = _malforming(out, str(malformed["mode"]))
        if no_range is not None and no_range["strip_accept_ranges"]:
            out = _without_header(out, b"accept-ranges")
        await self.app(scope, receive, out)


async def _respond(
    send: Send, status: int, body: bytes, content_type: str, headers: Mapping[str, str]
) -> None:
    raw = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _fault_body(body: Any, default_message: str, content_type: str | None) -> tuple[bytes, str]:
    if body is None:
        body = {"message": default_message}
    if isinstance(body, str | bytes):
        data = body.encode() if isinstance(body, str) else body
        guess = "text/html; charset=utf-8" if data.lstrip().startswith(b"<") else "text/plain; charset=utf-8"
        return data, content_type or guess
    return json.dumps(body).encode(), content_type or "application/json"


async def _respond_status(send: Send, fault: Fault) -> None:
    status = int(fault["status"])
    body, ctype = _fault_body(fault["body"], f"Simulated {status} error", fault["content_type"])
    await _respond(send, status, body, ctype, fault["headers"] or {})


async def _respond_rate_limited(send: Send, fault: Fault, clock: ScaledClock) -> None:
    body, ctype = _fault_body(fault["body"], "Too Many Requests", None)
    headers: dict[str, str] = {}
    retry_after = fault["retry_after"]
    if retry_after is not None:
        if fault["retry_after_format"] == "http-date":
            # in simulated time: a client that parses dates against clock.now waits the right simulated span
            headers["retry-after"] = email.utils.formatdate(clock.now() + float(retry_after), usegmt=True)
        else:
            headers["retry-after"] = str(math.ceil(float(retry_after)))
    await _respond(send, 429, body, ctype, headers)


async def _drop_connection(send: Send, *, rst: bool) -> None:
    """Close the client connection under the response: FIN (after flushing) or a TCP reset."""
    # uvicorn hands the app its RequestResponseCycle.send; the cycle holds the asyncio transport
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("reset/truncate faults need the connection: serve the simulator with serve()")
    loop = asyncio.get_running_loop()
    if rst:
        # let body bytes already written reach the client before the reset (bounded)
        deadline = loop.time() + 2.0
        while transport.get_write_buffer_size() and loop.time() < deadline:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.02)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # wait (bounded) for uvicorn to see the disconnect, so it doesn't try to finish or 500 the response
    deadline = loop.time() + 2.0
    while not getattr(cycle, "disconnected", True) and loop.time() < deadline:
        await asyncio.sleep(0.005)


def _cutting(downstream: Send, raw_send: Send, after_bytes: int | None, *, rst: bool) -> Send:
    limit = after_bytes
    sent = 0
    dropped = False

    async def cut(message: Message) -> None:
        nonlocal limit, sent, dropped
        if dropped:
            return  # the app keeps streaming into a closed connection: swallow it
        if message["type"] == "http.response.start":
            if limit is None:
                declared = dict(message.get("headers", [])).get(b"content-length")
                limit = int(declared) // 2 if declared else 0
            await downstream(message)
            return
        if message["type"] != "http.response.body":
            await downstream(message)
            return
        body = bytes(message.get("body", b""))
        assert limit is not None
        room = limit - sent
        if len(body) < room and message.get("more_body", False):
            sent += len(body)
            await downstream(message)
            return
        if room > 0:
            await downstream({"type": "http.response.body", "body": body[:room], "more_body": True})
            sent += room
        dropped = True
        await _drop_connection(raw_send, rst=rst)

    return cut


def _chunking(downstream: Send, size: int, delay: float) -> Send:
    async def slow(message: Message) -> None:
        if message["type"] != "http.response.body":
            await downstream(message)
            return
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            await downstream({"type": "http.response.body", "body": piece, "more_body": more or not last})
            if more or not last:
                await asyncio.sleep(delay)

    return slow


def _malforming(downstream: Send, mode: str) -> Send:
    start: Message | None = None
    chunks: list[bytes] = []

    async def malform(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await downstream(message)
            return
        chunks.append(bytes(message.get("body", b"")))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        if mode == "cut":
            body = body[: max(1, len(body) // 2)] if len(body) > 1 else b"{"
        elif mode == "garbage":
            body = b'{"message": "unterminated, [1, 2,,]'
        else:
            body = b""
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await downstream({**start, "headers": headers})
        await downstream({"type": "http.response.body", "body": body, "more_body": False})

    return malform


def _without_header(downstream: Send, name: bytes) -> Send:
    async def strip(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {
                **message,
                "headers": [(k, v) for k, v in message.get("headers", []) if k.lower() != name],
            }
        await downstream(message)

    return strip


# ---------------------------------------------------------------- files the vendor simulators share


class Unsatisfiable(Exception):
    """A Range no byte of the file satisfies (416)."""


_DIGITS = re.compile(r"[0-9]+")


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The single range [start, end) a Range header asks for; None: serve the whole file (another unit, a
    multi-range request or an invalid one: RFC 9110 lets a server ignore those); raises Unsatisfiable."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.strip().partition("-"))
    # positions are 1*DIGIT (RFC 9110 14.1.1): a sign, other digits or an empty suffix make it invalid
    if not dash or any(part and not _DIGITS.fullmatch(part) for part in (first, last)):
        return None
    if not first:  # suffix range: the last N bytes
        if not last:
            return None
        length = int(last)
        if length <= 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size
    start = int(first)
    end = int(last) + 1 if last else size
    if start >= size:
        raise Unsatisfiable
    if end <= start:
        return None  # last < first: invalid, ignored like an absent Range
    return start, min(end, size)


@dataclass(frozen=True)
class Span:
    """The part of a file a response carries: bytes [start, end), status 200 (whole) or 206."""

    start: int
    end: int
    status: int
    content_range: str | None = None

    @property
    def length(self) -> int:
        return self.end - self.start


def requested_span(headers: Mapping[str, str], size: int, validators: Sequence[str]) -> Span:
    """The span to send for a request's Range / If-Range (a resume is honoured only while If-Range still
    names the file: one of `validators`, its ETag or Last-Modified); raises Unsatisfiable."""
    range_header = headers.get("range")
    if_range = headers.get("if-range")
    if range_header and (if_range is None or if_range.strip() in validators):
        chosen = byte_range(range_header, size)
        if chosen is not None:
            start, end = chosen
            return Span(start, end, 206, f"bytes {start}-{end - 1}/{size}")
    return Span(0, size, 200)


def range_not_satisfiable(size: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status_code=416, headers={"content-range": f"bytes */{size}", **(headers or {})})


def byte_chunks(data: bytes, start: int, end: int, chunk_size: int) -> Iterator[bytes]:
    """bytes [start, end) of `data` in pieces of at most `chunk_size`."""
    view = memoryview(data)
    for offset in range(start, end, chunk_size):
        yield bytes(view[offset : min(offset + chunk_size, end)])


class FileBody(Response):
    """Streams a file's pieces (one ASGI message each), so slow/reset/truncate faults act mid-body; the
    headers (Content-Length included) are the caller's."""

    def __init__(self, pieces: Iterator[bytes], status: int, headers: Mapping[str, str]) -> None:
        self.pieces = pieces
        self.status_code = status
        self.background = None
        self.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        piece = b"" if scope.get("method") == "HEAD" else next(self.pieces, b"")
        if piece:
            for following in self.pieces:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                piece = following
        await send({"type": "http.response.body", "body": piece, "more_body": False})


def spec_path(name: str) -> Path:
    """`specs/<name>` (a simulator reads or names its vendor's spec): shipped in the wheel beside this
    package, else the checkout's `specs/` folder (overlays/sellerkit/testing -> the repository root)."""
    here = Path(__file__).resolve().parent
    shipped = here / "specs" / name
    return shipped if shipped.is_file() else here.parents[2] / "specs" / name


# --------------------------------------------------------------- command line (sellerkit/testing/__main__.py)


def settings_options(
    parser: argparse.ArgumentParser, defaults: Any, options: Mapping[str, Mapping[str, Any]]
) -> None:
    """One `--field-name` option per settings field in `options` (its add_argument keywords): the default is
    the field's, and so is the type of a numeric default."""
    for name, extra in options.items():
        default = getattr(defaults, name)
        kwargs: dict[str, Any] = {"default": default, **extra}
        if "choices" not in kwargs and isinstance(default, int | float) and not isinstance(default, bool):
            kwargs.setdefault("type", type(default))
        parser.add_argument("--" + name.replace("_", "-"), **kwargs)


def settings_from(args: argparse.Namespace, settings: Callable[..., T], options: Mapping[str, Any]) -> T:
    """The settings the command line asked for: the `options` fields from the parsed arguments."""
    return settings(**{name: getattr(args, name) for name in options})


# ---------------------------------------------------------------- simulator base and serving


SERVING: list[Simulator[Any, Any]] = []
"""The simulators serving in this process (the command line applies `--fault` to them)."""


class Simulator(Generic[ClientT, AsyncClientT]):
    """Base of a stateful vendor simulator: a clock, faults, a request log and a served ASGI app.

    `with sim.running(host, port=0): ...` serves it; meanwhile `origin` is "http://host:port" and `base_url`
    the origin plus `api_prefix` (the spec's server path). The type parameters are the vendor's sync and
    async client classes, what `client()` and `async_client()` return.
    """

    name: ClassVar[str] = "simulator"
    api_prefix: ClassVar[str] = ""
    fault_kinds: ClassVar[Mapping[str, Mapping[str, Any]]] = FAULT_KINDS
    credential_headers: ClassVar[frozenset[str]] = CREDENTIAL_HEADERS

    def __init__(self, clock: ScaledClock | None = None) -> None:
        self.clock = clock if clock is not None else ScaledClock()
        self.origin: str | None = None
        self._clients: list[Any] = []
        self.faults = FaultSet(self.fault_kinds)
        self.requests = RequestLog(self.credential_headers)
        self.asgi: ASGIApp = FaultMiddleware(self, self.build_app())

    def build_app(self) -> ASGIApp:
        raise NotImplementedError

    @contextmanager
    def running(self, host: str = "127.0.0.1", *, port: int = 0) -> Iterator[Self]:
        """Serve on `host` (loopback) until the block ends; `origin` is set meanwhile."""
        with serve(self.asgi, host, port) as origin:
            self.origin = origin
            SERVING.append(self)
            try:
                yield self
            finally:
                SERVING.remove(self)
                clients, self._clients = self._clients, []
                for client in clients:
                    client.close()
                self.origin = None

    def client(self, **options: Any) -> ClientT:
        """The vendor's sellerkit client pointed at this running simulator (base URL, credentials, the
        simulator's clock); `options` are client options (`max_retries=`, ...). Closed when it stops."""
        from .clients import client_for

        made = client_for(self, **options)
        self._clients.append(made)
        return cast(ClientT, made)

    def async_client(self, **options: Any) -> AsyncClientT:
        """The vendor's async client, the same way (close it yourself: `async with sim.async_client():`)."""
        from .clients import client_for

        return cast(AsyncClientT, client_for(self, asynchronous=True, **options))

    def url(self, path: str = "") -> str:
        """`origin + path`; a RuntimeError that says how when the simulator is not running."""
        if self.origin is None:
            raise RuntimeError("the simulator is not running: use `with sim.running(): ...`")
        return self.origin + path

    @property
    def base_url(self) -> str:
        """The API base URL a client is configured with: the origin plus `api_prefix`."""
        return self.url(self.api_prefix)

    def route_of(self, method: str, path: str) -> str:
        """The route name a request is counted under (default: its path)."""
        return path

    def take_fault(self, scope: Scope, kind: str) -> Fault | None:
        """For vendor-specific faults (unknown_enum): the fault to apply to this request, logged on it."""
        query = bytes(scope.get("query_string", b"")).decode("latin-1")
        fault = self.faults.take(kind, method=scope["method"], path=scope["path"], query=query)
        record = scope.get("state", {}).get("sim_request")
        if fault is not None and isinstance(record, RequestRecord):
            record.faults.append(kind)
        return fault

    def reset_requests(self) -> None:
        self.requests.clear()


def _check_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"simulators listen on loopback addresses only (127.0.0.0/8 or ::1), not {host!r}")


class _PromptServer(uvicorn.Server):
    """uvicorn's Server, stopping promptly: the stock one polls its exit flag every 0.1 s and then sleeps
    another 0.1 s on shutdown, which adds up over hundreds of function-scoped simulators."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):  # on_tick refreshes the Date header and reads should_exit
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def stop(self) -> None:
        """Ask the server to exit (from any thread)."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for listener in self.servers:
            listener.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()  # idle keep-alive connections close now, busy ones after their response
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(self.config.timeout_graceful_shutdown or 0)
        while (state.connections or state.tasks) and loop.time() < deadline and not self.force_exit:
            await asyncio.sleep(0.005)
        for task in list(state.tasks):
            task.cancel()
        for listener in self.servers:
            await listener.wait_closed()


@contextmanager
def serve(
    app: ASGIApp | Callable[[Scope, Receive, Send], Awaitable[None]],
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    startup_timeout: float = 10.0,
    shutdown_timeout: float = 10.0,
) -> Iterator[str]:
    """Run `app` with uvicorn in a background thread; yield its base URL ("http://host:port")."""
    _check_loopback(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",  # the reset/truncate faults reach the connection through uvicorn's h11 cycle
        ws="none",
        loop="asyncio",
        lifespan="off",
        log_config=None,  # don't reconfigure logging process-wide (pytest captures the loggers)
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,  # simulators send their own, in simulated time (FaultMiddleware)
        timeout_graceful_shutdown=2,
    )
    server = _PromptServer(config)
    thread = threading.Thread(target=server.run, name=f"simulator@{host}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"simulator server on {host} failed to start (see the uvicorn log)")
            if time.monotonic() > deadline:
                raise TimeoutError(f"simulator server on {host} did not start within {startup_timeout} s")
            time.sleep(0.005)
        bound_port = int(server.servers[0].sockets[0].getsockname()[1])
        _wait_accepting(host, bound_port, deadline)
        url_host = f"[{host}]" if ":" in host else host
        yield f"http://{url_host}:{bound_port}"
    finally:
        server.stop()
        thread.join(shutdown_timeout)
        if thread.is_alive():  # a hung connection: stop waiting for it
            server.force_exit = True
            thread.join(shutdown_timeout)


def _wait_accepting(host: str, port: int, deadline: float) -> None:
    last: OSError | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError as exc:
            last = exc
            time.sleep(0.01)
    raise TimeoutError(f"simulator on {host}:{port} does not accept connections: {last}")
