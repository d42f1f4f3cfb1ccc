"""Prism (the pinned @stoplight/prism-cli) as a validating proxy in front of a simulator, and a recording
front in front of Prism.

Prism's proxy reports a violation only to the client, in an `sl-violations` response header (its log
shows none), and the Python client keeps response headers to itself. So the chain is
client -> recorder -> Prism -> simulator: the recorder (a small Starlette app; no library records and
forwards in one piece) passes every exchange through unchanged and keeps Prism's verdict on each.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.tools import NODE_BIN, ROOT, node_env
from sellerkit.testing.framework import serve

START_TIMEOUT = 60.0
# hop-by-hop and length headers are the recorder's own business on each leg
_SKIP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


@dataclass
class Exchange:
    method: str
    path: str
    status: int
    content_type: str
    violations: list[dict[str, Any]]


@dataclass
class Proxy:
    url: str  # the recorder's URL: point the client here
    log: Path
    exchanges: list[Exchange] = field(default_factory=list)

    def violations(self, since: int = 0) -> list[str]:
        return [
            f"{e.method} {e.path} -> {e.status} {e.content_type}: {v.get('location')} {v.get('message')}"
            for e in self.exchanges[since:]
            for v in e.violations
        ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _prism(spec: str, upstream: str, log: Path) -> Iterator[str]:
    """`prism proxy <spec> <upstream>` on 127.0.0.1 (violations reported, not turned into errors)."""
    port = _free_port()
    cmd = [str(NODE_BIN / "prism"), "proxy", str(ROOT / spec), upstream, "-h", "127.0.0.1", "-p", str(port)]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=node_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "Prism is listening" not in log.read_text(encoding="utf-8"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prism did not start:\n{log.read_text(encoding='utf-8')[-3000:]}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()  # our own child, by its pid
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _recorder(prism_url: str, exchanges: list[Exchange]) -> Starlette:
    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SKIP}
        async with httpx.AsyncClient(base_url=prism_url, timeout=60) as client:
            answer = await client.request(
                request.method,
                request.url.path,
                params=request.url.query,
                headers=headers,
                content=await request.body(),
            )
        exchanges.append(
            Exchange(
                request.method,
                request.url.path,
                answer.status_code,
                answer.headers.get("content-type", ""),
                json.loads(answer.headers.get("sl-violations", "[]")),
            )
        )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _SKIP}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


@contextmanager
def proxy(spec: str, upstream: str, log: Path) -> Iterator[Proxy]:
    with ExitStack() as stack:
        prism_url = stack.enter_context(_prism(spec, upstream, log))
        exchanges: list[Exchange] = []
        url = stack.enter_context(serve(_recorder(prism_url, exchanges)))
        yield Proxy(url, log, exchanges)
