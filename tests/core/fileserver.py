"""A real HTTP file server for download tests: uvicorn in a thread, deterministic bytes, failure switches."""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

MAX_CHUNK = 1 << 20
# A pseudo-random tape with a prime period near 1 MiB: any byte at a wrong offset changes the hash,
# yet slicing it costs nothing, so 200 MiB bodies are cheap to serve.
_PERIOD = 1_048_573
_TAPE = random.Random(20261123).randbytes(_PERIOD + MAX_CHUNK)


def content(start: int, end: int) -> bytes:
    """Bytes [start, end) of the served content (at most MAX_CHUNK at a time)."""
    assert 0 <= end - start <= MAX_CHUNK
    offset = start % _PERIOD
    return _TAPE[offset : offset + end - start]


def iter_content(size: int, chunk: int = MAX_CHUNK) -> Iterator[bytes]:
    """The first `size` bytes of the content, in chunks."""
    for start in range(0, size, chunk):
        yield content(start, min(size, start + chunk))


def sha256_of(size: int) -> str:
    """SHA-256 of the first `size` bytes of the content."""
    digest = hashlib.sha256()
    for piece in iter_content(size):
        digest.update(piece)
    return digest.hexdigest()


class Abort(Exception):
    """Raised inside a streaming body: uvicorn then closes the socket mid-response."""


@dataclass
class Served:
    """One file the server offers, and how it misbehaves."""

    size: int
    etag: str | None = '"v1"'
    last_modified: str | None = None
    ranges: bool = True
    content_type: str = "text/csv"
    content_disposition: str | None = None
    drop_after: int | None = None
    """Abort the connection once the body reaches this file offset, once (then it resets to None)."""
    truncate_at: int | None = None
    """Every response ends at this file offset, short of its Content-Length."""
    chunk: int = 64 * 1024
    chunk_delay: float = 0.0
    redirect: str | None = None
    """Answer 302 with this Location instead of the body."""
    status: int | None = None
    """Answer this status (empty body) instead of the body."""


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FileServer:
    """uvicorn + Starlette on `host`:ephemeral port, in a background thread."""

    host: str = "127.0.0.1"
    files: dict[str, Served] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    port: int = 0
    tls: tuple[str, str] | None = None
    """(certificate file, key file): serve HTTPS."""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        """`http://host:port` (`https://` with `tls`)."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of `path` (which starts with `/`)."""
        return self.origin + path

    def seen(self, path: str) -> list[Seen]:
        """Requests received for `path`."""
        return [r for r in self.requests if r.path == path]

    def reset(self) -> None:
        """Forget files and requests (servers are shared between tests)."""
        self.files.clear()
        self.requests.clear()

    def start(self, startup_timeout: float = 10.0) -> Self:
        """Start serving; fail if not up within `startup_timeout` seconds."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "HEAD"])])
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            ssl_certfile=self.tls[0] if self.tls else None,
            ssl_keyfile=self.tls[1] if self.tls else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"fileserver-{self.host}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + startup_timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"file server on {self.host} did not start within {startup_timeout} s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and join the thread (bounded)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _handle(self, request: Request) -> Response:
        path = request.url.path
        self.requests.append(Seen(request.method, path, {k.lower(): v for k, v in request.headers.items()}))
        served = self.files.get(path)
        if served is None:
            return Response(status_code=404)
        if served.status is not None:
            return Response(status_code=served.status)
        if served.redirect is not None:
            return Response(status_code=302, headers={"Location": served.redirect})
        headers = {"Content-Type": served.content_type}
        for name, value in (
            ("ETag", served.etag),
            ("Last-Modified", served.last_modified),
            ("Content-Disposition", served.content_disposition),
            ("Accept-Ranges", "bytes" if served.ranges else None),
        ):
            if value is not None:
                headers[name] = value
        start, status = 0, 200
        wanted = request.headers.get("range")
        if_range = request.headers.get("if-range")
        if served.ranges and wanted and if_range in (None, served.etag, served.last_modified):
            first = int(wanted.removeprefix("bytes=").split("-", 1)[0])
            if first >= served.size:
                headers["Content-Range"] = f"bytes */{served.size}"
                return Response(status_code=416, headers=headers)
            start, status = first, 206
            headers["Content-Range"] = f"bytes {first}-{served.size - 1}/{served.size}"
        headers["Content-Length"] = str(served.size - start)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        return StreamingResponse(self._body(served, start), status_code=status, headers=headers)

    async def _body(self, served: Served, start: int) -> AsyncIterator[bytes]:
        end = served.size if served.truncate_at is None else min(served.size, served.truncate_at)
        position = start
        while position < end:
            stop = min(end, position + served.chunk)
            drop = served.drop_after
            if drop is not None and position < drop <= stop:
                served.drop_after = None
                if drop > position:
                    yield content(position, drop)
                await asyncio.sleep(0.01)  # let the bytes leave before the socket closes
                raise Abort(f"dropping the connection at byte {drop}")
            yield content(position, stop)
            position = stop
            if served.chunk_delay:
                await asyncio.sleep(served.chunk_delay)
