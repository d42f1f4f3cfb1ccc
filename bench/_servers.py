"""Loopback servers for the bench, each run in its own process: `python -m bench._servers status|file`.

Prints the base URL on the first line of stdout, serves until its stdin closes (the parent's signal).

- `status`: a minimal Starlette app (uvicorn, h11 — as the simulators) answering the Wabi2b status route
  `GET /v1/listProductsBulkDownload?callBackCode=…` with the documented "In Progress" body. No auth and no
  quota: the server's cost is common to both sides of a client comparison, so it is kept small.
- `file`: a threaded `http.server` serving `GET /file/<size>`: `size` deterministic bytes (see `content`)
  sent with `sendall` in 4 MiB slices of a precomputed tape, with Content-Length, a strong ETag and single
  byte ranges — the same server for curl and for sellerkit.
"""

from __future__ import annotations

import hashlib
import random
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 4 << 20
# a pseudo-random tape with a prime period: any byte at a wrong offset changes the hash, slicing is free
_PERIOD = 1_048_573
_TAPE = memoryview(random.Random(20261123).randbytes(_PERIOD + CHUNK))

STATUS_BODY = {"seller": "SID-0001", "format": "json", "status": "In Progress"}


def content(start: int, end: int) -> memoryview:
    """Bytes [start, end) of every served file (at most CHUNK at a time)."""
    assert 0 <= end - start <= CHUNK
    offset = start % _PERIOD
    return _TAPE[offset : offset + end - start]


def sha256_of(size: int) -> str:
    """SHA-256 of the first `size` bytes of a served file."""
    digest = hashlib.sha256()
    for start in range(0, size, CHUNK):
        digest.update(content(start, min(size, start + CHUNK)))
    return digest.hexdigest()


class _FileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        prefix = "/file/"
        if not self.path.startswith(prefix) or not self.path[len(prefix) :].isdigit():
            self.send_error(404)
            return
        size = int(self.path[len(prefix) :])
        start, status = 0, 200
        ranged = self.headers.get("range", "")
        if ranged.startswith("bytes=") and ranged.endswith("-") and ranged[6:-1].isdigit():
            start, status = min(int(ranged[6:-1]), size), 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size - start))
        self.send_header("ETag", f'"bench-{size}"')
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.end_headers()
        for offset in range(start, size, CHUNK):
            self.connection.sendall(content(offset, min(size, offset + CHUNK)))

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve_file() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FileHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()


def _serve_status() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from sellerkit.testing.framework import serve

    async def status(request: Request) -> Response:
        if not request.query_params.get("callBackCode"):
            return JSONResponse({"message": "Bad Request"}, status_code=400)
        return JSONResponse(STATUS_BODY)

    app = Starlette(routes=[Route("/v1/listProductsBulkDownload", status, methods=["GET"])])
    with serve(app) as url:
        print(url, flush=True)
        sys.stdin.read()


def main(argv: list[str]) -> int:
    kinds = {"status": _serve_status, "file": _serve_file}
    if len(argv) != 1 or argv[0] not in kinds:
        print(f"usage: python -m bench._servers {{{'|'.join(kinds)}}}", file=sys.stderr)
        return 2
    kinds[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
