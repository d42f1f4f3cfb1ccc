"""Streaming downloads: pure helpers, MockTransport edge cases, and real sockets (resume, naming, origins)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerkit._core import download as core_download
from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.download import (
    META_SUFFIX,
    PART_SUFFIX,
    DownloadResult,
    StreamedFile,
    content_disposition_filename,
    download,
    download_async,
    filename_for,
    origin,
    parse_content_range,
    safe_filename,
    same_origin,
    validator_of,
)
from sellerkit._core.errors import (
    ConfigurationError,
    DownloadError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from sellerkit._core.files import numbered, resolve
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.transport import (
    MAX_ATTEMPTS,
    HttpSettings,
    VendorFacts,
    async_httpx_args,
    sync_httpx_args,
)
from tests.conftest import ROOT
from tests.core.fileserver import FileServer, Served, iter_content, sha256_of

pytestmark = pytest.mark.timeout(60)
MODES = ["sync", "async"]
CREDENTIALS = {"Authorization": "Bearer s3cr3t-token", "x-api-key": "k3y-value"}
COOKIES = {"session": "c00kie"}
SECRET_HEADERS = ("authorization", "x-api-key", "cookie")


# --- pure helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.csv", "report.csv"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("..", "download"),
        ("", "download"),
        (None, "download"),
        (".bashrc", "bashrc"),
        ("con", "_con"),
        ("CON.txt", "_CON.txt"),
        ("lpt9.csv", "_lpt9.csv"),
        ("console.csv", "console.csv"),
        ("a\x00b\r\nc\x7f.csv", "abc.csv"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # a bidi override would disguise the extension
        ('a<b>c:d"e|f?g*h.csv', "a_b_c_d_e_f_g_h.csv"),
        ("trailing. . ", "trailing"),
        ("übersicht 2026 €.csv", "übersicht 2026 €.csv"),
        ("u\u0308bersicht.csv", "übersicht.csv"),  # NFC
        ("x" * 300 + ".csv", "x" * 196 + ".csv"),
        ("é" * 150, "é" * 100),
    ],
)
def test_safe_filename(name: str | None, expected: str) -> None:
    assert safe_filename(name) == expected
    assert len(safe_filename(name).encode()) <= 200


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('attachment; filename="report.csv"', "report.csv"),
        ("attachment; filename=report.csv", "report.csv"),
        ('attachment; filename="a;b \\"q\\".csv"', 'a;b "q".csv'),
        ("attachment; filename*=UTF-8''%C3%BCbersicht%20%E2%82%AC.csv", "übersicht €.csv"),
        ("attachment; filename=\"fallback.csv\"; filename*=utf-8'en'%C3%A9t%C3%A9.csv", "été.csv"),
        ("attachment; filename*=iso-8859-1''%E9t%E9.csv", "été.csv"),
        ("attachment; filename*=UTF-16''%FF%FE; filename=\"plain.csv\"", "plain.csv"),
        ("attachment; filename*=UTF-8''%FF%FE.csv; filename=\"plain.csv\"", "plain.csv"),  # bad UTF-8
        ('attachment; FILENAME="upper.csv"', "upper.csv"),
        ('attachment; filename="unterminated', '"unterminated'),
        ("attachment", None),
        ("", None),
        (None, None),
    ],
)
def test_content_disposition_filename(value: str | None, expected: str | None) -> None:
    assert content_disposition_filename(value) == expected


def test_filename_for_falls_back_to_the_url_then_download() -> None:
    cd = {"content-disposition": 'attachment; filename="../x.csv"'}
    assert filename_for(cd, "https://h/a/b.csv") == "x.csv"
    assert filename_for({}, "https://h/exports/q%201.csv?sig=1") == "q 1.csv"
    assert filename_for({"content-disposition": 'attachment; filename=".."'}, "https://h/") == "download"
    assert filename_for({}, "https://h/a/..%2F..%2Fetc%2Fpasswd") == "passwd"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://api.example.com/x", "https://API.example.com:443/y?z", True),
        ("http://api.example.com/x", "http://api.example.com:80/", True),
        ("https://api.example.com", "http://api.example.com", False),
        ("https://api.example.com", "https://api.example.com:8443", False),
        ("https://api.example.com", "https://files.example.com", False),
        ("https://api.example.com", "https://api.example.com.evil.test", False),
        ("https://user:pw@api.example.com", "https://api.example.com", True),
    ],
)
def test_same_origin(a: str, b: str, same: bool) -> None:
    assert same_origin(a, b) is same
    assert origin("https://API.example.com/p") == ("https", "api.example.com", 443)


def test_parse_content_range_validator_and_numbered() -> None:
    assert parse_content_range("bytes 100-199/200") == (100, 199, 200)
    assert parse_content_range("bytes 0-9/*") == (0, 9, None)
    assert parse_content_range("bytes */200") == (None, None, 200)
    assert parse_content_range("items 0-9/10") is None
    assert parse_content_range(None) is None
    assert validator_of({"etag": '"abc"', "last-modified": "Mon"}) == '"abc"'
    assert validator_of({"etag": 'W/"abc"', "last-modified": "Mon"}) == "Mon"  # weak ETags can't If-Range
    assert validator_of({"etag": 'W/"abc"'}) is None
    assert numbered("report.csv", 0) == "report.csv"
    assert numbered("report.csv", 2) == "report (2).csv"
    assert numbered("README", 1) == "README (1)"


def test_bad_arguments_are_configuration_errors(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    request = httpx.Request("GET", "https://h/f")
    (tmp_path / "taken.csv").write_bytes(b"mine")
    with pytest.raises(ConfigurationError, match=r"taken.csv already exists: pass overwrite=True"):
        download(client, request, tmp_path / "taken.csv")
    with pytest.raises(ConfigurationError, match="is a file, not a folder"):
        download(client, request, tmp_path / "taken.csv" / "f.csv")
    with pytest.raises(ConfigurationError, match="dest must be a folder, a file path or a writable"):
        download(client, request, 42)  # type: ignore[arg-type]
    assert seen == [] and (tmp_path / "taken.csv").read_bytes() == b"mine"  # refused before any request
    with pytest.raises(ConfigurationError, match="chunk_size"):
        download(client, request, tmp_path, chunk_size=0)
    with pytest.raises(ConfigurationError, match="max_restarts"):
        download(client, request, tmp_path, max_restarts=-1)
    streamed = httpx.Request("POST", "https://h/f", content=iter([b"x"]))
    with pytest.raises(ConfigurationError, match="bytes body"):
        download(client, streamed, tmp_path)


# --- helpers for the I/O tests -----------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    """Part and meta files under `folder`."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((PART_SUFFIX, META_SUFFIX)))


def assert_monotonic(progress: list[tuple[int, int | None]], size: int) -> None:
    done = [d for d, _ in progress]
    assert done == sorted(done) and len(set(done)) == len(done)
    assert progress[-1] == (size, size)


def run_download(
    mode: str,
    client_kwargs: dict[str, Any],
    target: str,
    dest: Any,
    *,
    method: str = "GET",
    content: bytes | None = None,
    **kwargs: Any,
) -> Any:
    """`download` or `download_async` with a client built from `client_kwargs`."""
    if mode == "sync":
        with httpx.Client(**client_kwargs) as client:
            return download(client, client.build_request(method, target, content=content), dest, **kwargs)

    async def run() -> Any:
        async with httpx.AsyncClient(**client_kwargs) as client:
            request = client.build_request(method, target, content=content)
            return await download_async(client, request, dest, **kwargs)

    return asyncio.run(run())


def mock_download(
    mode: str,
    handler: Callable[[httpx.Request], httpx.Response],
    dest: Any,
    target: str = "/f.csv",
    **kw: Any,
) -> Any:
    """Download through httpx.MockTransport from `https://api.example`."""
    client_kwargs = {"base_url": "https://api.example", "transport": httpx.MockTransport(handler)}
    return run_download(mode, client_kwargs, target, dest, **kw)


# --- MockTransport edge cases ----------------------------------------------------------------------------

BODY = bytes(range(256)) * 40


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body for MockTransport that works in sync and async clients and ignores Content-Length."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def short_then_ranged(
    seen: list[httpx.Request], *, ranges: bool = True
) -> Callable[[httpx.Request], httpx.Response]:
    """A server whose first answer announces the whole body, sends 1000 bytes and ends cleanly."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {"ETag": '"e"', "Content-Length": str(len(BODY)), "Content-Type": "text/csv"}
        headers["Content-Disposition"] = 'attachment; filename="stock.csv"'
        if ranges:
            headers["Accept-Ranges"] = "bytes"
        if len(seen) == 1:
            return httpx.Response(200, headers=headers, stream=Chunks(BODY[:1000]))
        if "range" not in request.headers:
            return httpx.Response(200, headers=headers, content=BODY)
        start = int(request.headers["range"][6:-1])
        headers |= {"Content-Range": f"bytes {start}-{len(BODY) - 1}/{len(BODY)}"}
        headers["Content-Length"] = str(len(BODY) - start)
        return httpx.Response(206, headers=headers, content=BODY[start:])

    return handler


@pytest.mark.parametrize("mode", MODES)
def test_clean_but_short_body_is_resumed(mode: str, tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    result = mock_download(mode, short_then_ranged(seen), tmp_path / "f.csv")
    assert result.path.read_bytes() == BODY and result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert seen[1].headers["range"] == "bytes=1000-" and seen[1].headers["if-range"] == '"e"'


@pytest.mark.parametrize("mode", MODES)
def test_more_bytes_than_announced_restart_from_zero(mode: str, tmp_path: Path) -> None:
    calls = iter([BODY + b"junk", BODY])

    def handler(request: httpx.Request) -> httpx.Response:
        assert "range" not in request.headers
        headers = {"ETag": '"e"', "Accept-Ranges": "bytes", "Content-Length": str(len(BODY))}
        return httpx.Response(200, headers=headers, stream=Chunks(next(calls)))

    assert mock_download(mode, handler, tmp_path / "f.csv").path.read_bytes() == BODY


@pytest.mark.parametrize("mode", MODES)
def test_wrong_content_range_restarts_from_zero(mode: str, tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {"ETag": '"e"', "Accept-Ranges": "bytes", "Content-Length": str(len(BODY))}
        if len(seen) == 1:
            return httpx.Response(200, headers=headers, stream=Chunks(BODY[:500]))
        if "range" in request.headers:  # answers a range the client did not ask for
            headers |= {"Content-Range": f"bytes 0-{len(BODY) - 1}/{len(BODY)}"}
            return httpx.Response(206, headers=headers, content=BODY)
        return httpx.Response(200, headers=headers, content=BODY)

    assert mock_download(mode, handler, tmp_path / "f.csv").path.read_bytes() == BODY
    assert ["range" in r.headers for r in seen] == [False, True, False]


@pytest.mark.parametrize("mode", MODES)
def test_content_encoded_body_is_decoded_without_a_size_check(mode: str, tmp_path: Path) -> None:
    packed = gzip.compress(BODY)

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["accept-encoding"] == "identity"
        headers = {"Content-Encoding": "gzip", "Content-Length": str(len(packed)), "Accept-Ranges": "bytes"}
        return httpx.Response(200, headers=headers, content=packed)

    result = mock_download(mode, handler, tmp_path / "f.csv")
    assert result.path.read_bytes() == BODY and result.size == len(BODY)


@pytest.mark.parametrize("mode", MODES)
def test_missing_parent_folders_are_created(mode: str, tmp_path: Path) -> None:
    dest = tmp_path / "exports" / "2026" / "f.csv"
    result = mock_download(mode, lambda r: httpx.Response(200, content=BODY), dest)
    assert result.path == dest and dest.read_bytes() == BODY


@pytest.mark.parametrize("mode", MODES)
def test_typed_api_error_propagates_as_itself(mode: str, tmp_path: Path) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise ServerError("maintenance", vendor="acme", status=503)

    with pytest.raises(ServerError, match="maintenance"):  # the API's own answer, not a DownloadError
        mock_download(mode, handler, tmp_path / "f.csv", max_restarts=3)
    assert len(calls) == 1  # an answer is not a failed attempt: no restart
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_each_request_is_one_transport_attempt_the_restarts_are_the_retries(
    mode: str, tmp_path: Path
) -> None:
    seen: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions.get(MAX_ATTEMPTS))
        if len(seen) == 1:
            raise httpx.ReadError("connection reset")
        return httpx.Response(200, content=BODY)

    facts = VendorFacts("acme", ErrorFacts("acme"))
    settings = HttpSettings(retry=RetryPolicy(max_attempts=5), inner_transport=httpx.MockTransport(handler))
    args = sync_httpx_args(facts, settings) if mode == "sync" else async_httpx_args(facts, settings)
    client_kwargs = {"base_url": "https://api.example"} | args
    result = run_download(mode, client_kwargs, "/f.csv", tmp_path / "f.csv", max_restarts=3)
    assert result.path.read_bytes() == BODY
    assert seen == [1, 1]  # the transport's 5 attempts never multiply the download's restarts


FILES = "https://files.example"  # a signed file URL's host: not the API's origin, no sellerkit transport


def throttled_file_host(answers: list[httpx.Response]) -> tuple[list[httpx.Request], Any]:
    """An API that redirects to a file on FILES, which gives `answers` in turn (then the body)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.example":
            return httpx.Response(302, headers={"Location": f"{FILES}/f.csv?sig=abc"})
        if answers:
            return answers.pop(0)
        return httpx.Response(200, content=BODY)

    return seen, handler


def throttled_download(mode: str, handler: Any, dest: Path, settings: HttpSettings) -> Any:
    """A download whose API client and file-host client both answer through `handler`."""
    transport = httpx.MockTransport(handler)
    facts = VendorFacts("acme", ErrorFacts("acme"))
    if mode == "sync":
        plain: httpx.Client | httpx.AsyncClient = httpx.Client(transport=transport)
    else:
        plain = httpx.AsyncClient(transport=transport)
    kwargs = {"base_url": "https://api.example", "transport": transport}
    return run_download(mode, kwargs, "/f.csv", dest, plain_client=plain, facts=facts, settings=settings)


def recording(waits: list[float]) -> HttpSettings:
    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    # as a client builds them: the budget at least max_wait, each wait at most max_wait
    retry = RetryPolicy(max_total_wait=120.0)
    return HttpSettings(retry=retry, sleep=waits.append, async_sleep=async_sleep, max_wait=60.0)


@pytest.mark.parametrize("mode", MODES)
def test_a_throttled_file_host_is_waited_past_like_the_api(mode: str, tmp_path: Path) -> None:
    """429 (and 503 with Retry-After) from the file host: the hop is re-sent after the wait the transport
    would take (Retry-After + its 1 s resolution), not turned into a DownloadError, no restart counted."""
    answers = [
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(503, headers={"Retry-After": "2"}),
    ]
    seen, handler = throttled_file_host(answers)
    waits: list[float] = []
    result = throttled_download(mode, handler, tmp_path / "f.csv", recording(waits))
    assert result.path.read_bytes() == BODY
    assert waits == [4.0, 3.0]
    hosts = [r.url.host for r in seen]
    assert hosts == ["api.example", "files.example", "files.example", "files.example"]  # the hop re-sent


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [429, 503])
def test_a_file_host_throttle_past_max_wait_is_a_rate_limited_error(
    mode: str, status: int, tmp_path: Path
) -> None:
    """A Retry-After beyond max_wait: RateLimitedError with retry_after at once (no early retry, no wait)."""
    seen, handler = throttled_file_host([httpx.Response(status, headers={"Retry-After": "100"})])
    waits: list[float] = []
    with pytest.raises(RateLimitedError) as caught:
        throttled_download(mode, handler, tmp_path / "f.csv", recording(waits))
    error = caught.value
    assert (error.status_code, error.retry_after, error.vendor) == (status, 101.0, "acme")
    assert "max_wait=60" in error.message and "sig=abc" not in str(error)  # the signed URL redacted
    assert waits == [] and len(seen) == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_file_host_throttling_every_attempt_ends_with_the_policy(mode: str, tmp_path: Path) -> None:
    """A bare 429 every time: retried by the policy's backoff (never at 0 s), then RateLimitedError."""
    seen, handler = throttled_file_host([httpx.Response(429) for _ in range(10)])
    waits: list[float] = []
    settings = dataclasses.replace(recording(waits), retry=RetryPolicy(max_attempts=3, initial_backoff=0.1))
    with pytest.raises(RateLimitedError) as caught:
        throttled_download(mode, handler, tmp_path / "f.csv", settings)
    assert caught.value.retry_after is None  # the server named no wait
    assert waits == [1.0, 1.0] and len(seen) == 4  # 3 attempts at the file host; a throttle waits >= 1 s


@pytest.mark.parametrize("mode", MODES)
def test_a_throttle_while_resuming_keeps_the_part_file_for_the_next_call(mode: str, tmp_path: Path) -> None:
    """The file host cuts the body, then throttles the resume past max_wait: RateLimitedError, and the bytes
    received stay in the part file; the next call asks for the rest only."""
    seen: list[httpx.Request] = []
    ranged = short_then_ranged(seen)
    throttle = [True]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.example":
            return httpx.Response(302, headers={"Location": f"{FILES}/stock.csv?sig=abc"})
        if "range" in request.headers and throttle:
            throttle.pop()
            seen.append(request)
            return httpx.Response(429, headers={"Retry-After": "100"})
        return ranged(request)

    dest = tmp_path / "stock.csv"
    with pytest.raises(RateLimitedError):
        throttled_download(mode, handler, dest, recording([]))
    assert leftovers(tmp_path) == [f"stock.csv{META_SUFFIX}", f"stock.csv{PART_SUFFIX}"]
    result = throttled_download(mode, handler, dest, recording([]))
    assert result.path.read_bytes() == BODY
    assert [r.headers.get("range") for r in seen] == [None, "bytes=1000-", "bytes=1000-"]


# --- stream sinks ----------------------------------------------------------------------------------------


class Sink:
    """A writable that cannot seek (a socket, a pipe, a hashing writer)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_receives_the_body_and_gives_a_streamed_file(mode: str, tmp_path: Path) -> None:
    sink = io.BytesIO()
    disposition = {"Content-Disposition": 'attachment; filename="../stock.csv"', "Content-Type": "text/csv"}
    result = mock_download(mode, lambda r: httpx.Response(200, headers=disposition, content=BODY), sink)
    assert result == StreamedFile("stock.csv", len(BODY), hashlib.sha256(BODY).hexdigest(), "text/csv")
    assert sink.getvalue() == BODY and not sink.closed  # the caller's stream stays open
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_is_resumed_with_a_range_within_the_call(mode: str) -> None:
    seen: list[httpx.Request] = []
    sink = Sink()  # resuming appends: no seek needed
    result = mock_download(mode, short_then_ranged(seen), sink)
    assert bytes(sink.data) == BODY and result.size == len(BODY)
    assert result.sha256 == hashlib.sha256(BODY).hexdigest() and result.name == "stock.csv"
    assert [r.headers.get("range") for r in seen] == [None, "bytes=1000-"]
    assert seen[1].headers["if-range"] == '"e"'


@pytest.mark.parametrize("mode", MODES)
def test_a_restart_from_zero_into_a_stream_that_cannot_seek_is_a_download_error(mode: str) -> None:
    seen: list[httpx.Request] = []
    sink = Sink()
    with pytest.raises(DownloadError) as caught:
        mock_download(mode, short_then_ranged(seen, ranges=False), sink)
    message = str(caught.value)
    assert "restarted from byte 0 after 1000 bytes went into a stream that cannot seek back" in message
    assert "download to a path (resumable) or pass a seekable stream" in message  # the fix
    assert bytes(sink.data) == BODY[:1000]  # nothing written after the bytes already handed over
    assert message.endswith("— https://api.example/f.csv")  # names the download, like every DownloadError


@pytest.mark.parametrize("mode", MODES)
def test_a_restart_from_zero_rewinds_a_seekable_stream_to_where_it_started(mode: str) -> None:
    sink = io.BytesIO()
    sink.write(b"HEADER;")  # the caller's own bytes before the download: kept
    seen: list[httpx.Request] = []
    result = mock_download(mode, short_then_ranged(seen, ranges=False), sink)
    assert sink.getvalue() == b"HEADER;" + BODY and result.size == len(BODY)
    assert result.sha256 == hashlib.sha256(BODY).hexdigest()
    assert [r.headers.get("range") for r in seen] == [None, None]


@pytest.mark.parametrize("mode", MODES)
def test_post_redirected_with_303_becomes_a_get_without_body(mode: str, tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(303, headers={"Location": "/result.csv"})
        return httpx.Response(200, content=BODY)

    result = mock_download(mode, handler, tmp_path, method="POST", content=b'{"q": 1}')
    assert result.path == tmp_path / "result.csv"
    assert [(r.method, r.content) for r in seen] == [("POST", b'{"q": 1}'), ("GET", b"")]
    assert "content-type" not in seen[1].headers


@pytest.mark.parametrize("mode", MODES)
def test_redirect_without_location_fails(mode: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="without a Location"):
        mock_download(mode, lambda r: httpx.Response(302), tmp_path / "f.csv")


# --- real sockets ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FileServer, FileServer]]:
    # 127.0.0.2 is another host as far as origins go (Linux routes all of 127/8 to loopback)
    with FileServer("127.0.0.1") as api, FileServer("127.0.0.2") as files:
        yield api, files


@pytest.fixture(params=["httpx", "raw"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each socket test twice: bodies read by httpx, and every body read beneath it (`_RawBody`, normally
    for bodies of RAW_MIN bytes and more) — the same behaviour either way."""
    chosen: list[object] = []
    if request.param == "raw":
        real = core_download._raw_body

        def spied(response: httpx.Response) -> Any:
            chosen.append(real(response))
            return chosen[-1]

        monkeypatch.setattr(core_download, "RAW_MIN", 1)
        monkeypatch.setattr(core_download, "_raw_body", spied)
    yield request.param
    # a body was streamed: then at least one went beneath httpx (small ones the transport read do not)
    assert not chosen or any(c is not None for c in chosen)


@pytest.fixture
def api(servers: tuple[FileServer, FileServer], reader: str) -> FileServer:
    for server in servers:
        server.reset()
    return servers[0]


@pytest.fixture
def other(servers: tuple[FileServer, FileServer], api: FileServer) -> FileServer:
    return servers[1]


def fetch(mode: str, api: FileServer, target: str, dest: Any, *, timeout: float = 5.0, **kw: Any) -> Any:
    """Download `target` (path on the API server, or absolute URL) with a client holding credentials."""
    client_kwargs = {"base_url": api.origin, "headers": CREDENTIALS, "cookies": COOKIES, "timeout": timeout}
    return run_download(mode, client_kwargs, target, dest, **kw)


def expected_bytes(size: int) -> bytes:
    return b"".join(iter_content(size))


def assert_no_credentials(server: FileServer) -> None:
    assert server.requests, "the other host was never asked"
    for seen in server.requests:
        assert not set(SECRET_HEADERS) & set(seen.headers), seen.headers


@pytest.mark.parametrize("mode", MODES)
def test_plain_download(mode: str, api: FileServer, tmp_path: Path) -> None:
    api.files["/x.csv"] = Served(size=300_000)
    progress: list[tuple[int, int | None]] = []
    threads: set[int] = set()

    def on_progress(done: int, total: int | None) -> None:
        progress.append((done, total))
        threads.add(threading.get_ident())

    result = fetch(mode, api, "/x.csv", tmp_path / "x.csv", on_progress=on_progress)
    assert result == DownloadResult(tmp_path / "x.csv", 300_000, sha256_of(300_000), "text/csv")
    assert threads == {threading.get_ident()}  # async: file work runs in threads, callbacks never do
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == result.sha256
    assert leftovers(tmp_path) == []
    assert_monotonic(progress, 300_000)
    assert progress[0] == (0, 300_000)
    (seen,) = api.requests
    assert seen.headers["authorization"] == CREDENTIALS["Authorization"]
    assert seen.headers["accept-encoding"] == "identity" and "range" not in seen.headers


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="con"', "_con"),
        (
            "attachment; filename*=UTF-8''%C3%BCbersicht%20%E2%82%AC.csv; filename=\"x.csv\"",
            "übersicht €.csv",
        ),
        (None, "export.csv"),
    ],
)
def test_folder_dest_is_named_safely(
    mode: str, api: FileServer, tmp_path: Path, disposition: str | None, expected: str
) -> None:
    api.files["/dl/export.csv"] = Served(size=1000, content_disposition=disposition)
    result = fetch(mode, api, "/dl/export.csv", tmp_path)
    assert result.path == tmp_path / expected
    assert [p.name for p in tmp_path.iterdir()] == [expected]
    assert result.sha256 == sha256_of(1000)


@pytest.mark.parametrize("mode", MODES)
def test_existing_names_get_a_suffix_in_a_folder_and_an_exact_path_needs_overwrite(
    mode: str, api: FileServer, tmp_path: Path
) -> None:
    api.files["/report.csv"] = Served(size=1000)
    (tmp_path / "report.csv").write_bytes(b"mine")
    first = fetch(mode, api, "/report.csv", tmp_path)
    second = fetch(mode, api, "/report.csv", tmp_path)
    assert (first.path.name, second.path.name) == ("report (1).csv", "report (2).csv")
    assert (tmp_path / "report.csv").read_bytes() == b"mine"
    asked = len(api.requests)
    with pytest.raises(ConfigurationError, match="already exists: pass overwrite=True"):
        fetch(mode, api, "/report.csv", tmp_path / "report.csv")
    assert len(api.requests) == asked and (tmp_path / "report.csv").read_bytes() == b"mine"
    exact = fetch(mode, api, "/report.csv", resolve(tmp_path / "report.csv", overwrite=True))
    assert exact.path == tmp_path / "report.csv" and exact.path.read_bytes() == expected_bytes(1000)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("etag", "last_modified", "if_range"),
    [
        ('"v1"', None, '"v1"'),
        (None, "Wed, 21 Oct 2026 07:28:00 GMT", "Wed, 21 Oct 2026 07:28:00 GMT"),
        ('W/"v1"', None, None),  # weak ETag and no Last-Modified: nothing to validate a range with
    ],
)
def test_dropped_connection_resumes_with_a_validated_range(
    mode: str,
    api: FileServer,
    tmp_path: Path,
    etag: str | None,
    last_modified: str | None,
    if_range: str | None,
) -> None:
    size = 1_000_000
    api.files["/big.csv"] = Served(size=size, etag=etag, last_modified=last_modified, drop_after=400_000)
    progress: list[tuple[int, int | None]] = []
    result = fetch(
        mode, api, "/big.csv", tmp_path / "big.csv", on_progress=lambda d, t: progress.append((d, t))
    )
    assert result.path.read_bytes() == expected_bytes(size)
    first, second = api.requests
    assert "range" not in first.headers
    if if_range is None:
        assert "range" not in second.headers  # restarted from zero
    else:
        assert second.headers["range"] == "bytes=400000-" and second.headers["if-range"] == if_range
    assert_monotonic(progress, size)


@pytest.mark.parametrize("mode", MODES)
def test_restart_from_zero_when_ranges_are_unsupported(mode: str, api: FileServer, tmp_path: Path) -> None:
    size = 500_000
    api.files["/n.csv"] = Served(size=size, ranges=False, drop_after=300_000)
    progress: list[tuple[int, int | None]] = []
    result = fetch(mode, api, "/n.csv", tmp_path / "n.csv", on_progress=lambda d, t: progress.append((d, t)))
    assert result.path.read_bytes() == expected_bytes(size)
    assert [s.headers.get("range") for s in api.requests] == [None, None]
    assert_monotonic(progress, size)  # the re-download does not report going backwards


@pytest.mark.parametrize("mode", MODES)
def test_persistent_truncation_gives_up_and_cleans_up(mode: str, api: FileServer, tmp_path: Path) -> None:
    api.files["/t.csv"] = Served(size=200_000, truncate_at=150_000)
    with pytest.raises(DownloadError, match="gave up after 3 failed attempts") as caught:
        fetch(mode, api, "/t.csv?token=SECRET", tmp_path / "t.csv", max_restarts=2)
    assert "SECRET" not in str(caught.value) and "token=***" in str(caught.value)
    assert len(api.requests) == 3
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "served",
    [Served(size=1000, status=404), Served(size=300_000, ranges=False, drop_after=100_000)],
    ids=["404", "drop-without-restarts"],
)
def test_handled_failure_leaves_no_part_file(
    mode: str, api: FileServer, tmp_path: Path, served: Served
) -> None:
    api.files["/f.csv"] = dataclasses.replace(served)  # a copy: the drop switch is used up once fired
    with pytest.raises(DownloadError):
        fetch(mode, api, "/f.csv", tmp_path / "f.csv", max_restarts=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_read_timeout_counts_as_a_failed_attempt(mode: str, api: FileServer, tmp_path: Path) -> None:
    api.files["/slow.csv"] = Served(size=200_000, chunk=50_000, chunk_delay=2.0)
    with pytest.raises(DownloadError, match="gave up after 2"):
        fetch(mode, api, "/slow.csv", tmp_path / "slow.csv", timeout=0.3, max_restarts=1)
    assert len(api.requests) == 2 and list(tmp_path.iterdir()) == []


class Crash(Exception):
    """Stands in for a killed process: anything but a handled download failure keeps the part file."""


def crash_after(limit: int) -> Callable[[int, int | None], None]:
    def on_progress(done: int, total: int | None) -> None:
        if done >= limit:
            raise Crash(done)

    return on_progress


@pytest.mark.parametrize("mode", MODES)
def test_part_file_left_by_a_crash_is_resumed(mode: str, api: FileServer, tmp_path: Path) -> None:
    size = 600_000
    api.files["/c.csv"] = Served(size=size, chunk=50_000)
    dest = tmp_path / "c.csv"
    with pytest.raises(Crash):
        fetch(mode, api, "/c.csv", dest, on_progress=crash_after(200_000))
    assert leftovers(tmp_path) == ["c.csv" + META_SUFFIX, "c.csv" + PART_SUFFIX] and not dest.exists()
    kept = (tmp_path / ("c.csv" + PART_SUFFIX)).stat().st_size
    assert kept >= 200_000
    result = fetch(mode, api, "/c.csv", dest)
    assert result.path.read_bytes() == expected_bytes(size) and result.sha256 == sha256_of(size)
    assert api.requests[-1].headers["range"] == f"bytes={kept}-"
    assert api.requests[-1].headers["if-range"] == '"v1"'
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", MODES)
def test_part_file_in_a_folder_is_found_and_resumed(mode: str, api: FileServer, tmp_path: Path) -> None:
    size = 600_000
    api.files["/c"] = Served(size=size, chunk=50_000, content_disposition='attachment; filename="c.csv"')
    with pytest.raises(Crash):
        fetch(mode, api, "/c", tmp_path, on_progress=crash_after(200_000))
    result = fetch(mode, api, "/c", tmp_path)
    assert result.path == tmp_path / "c.csv" and result.path.read_bytes() == expected_bytes(size)
    # the name is only known from the first answer; that answer is dropped and the rest asked for
    assert [s.headers.get("range") is not None for s in api.requests] == [False, False, True]
    assert leftovers(tmp_path) == []


def leave_part(dest: Path, data: bytes, validator: str, total: int) -> None:
    Path(str(dest) + PART_SUFFIX).write_bytes(data)
    meta = {"validator": validator, "total": total, "content_type": "text/csv"}
    Path(str(dest) + META_SUFFIX).write_text(json.dumps(meta))


@pytest.mark.parametrize("mode", MODES)
def test_part_file_of_a_changed_resource_is_replaced(mode: str, api: FileServer, tmp_path: Path) -> None:
    api.files["/v.csv"] = Served(size=100_000, etag='"v2"')
    leave_part(tmp_path / "v.csv", b"stale bytes", '"v1"', 100_000)
    result = fetch(mode, api, "/v.csv", tmp_path / "v.csv")
    assert result.path.read_bytes() == expected_bytes(100_000)
    (seen,) = api.requests
    assert seen.headers["if-range"] == '"v1"'  # the server saw the mismatch and sent everything


@pytest.mark.parametrize("mode", MODES)
def test_complete_part_file_is_confirmed_with_416(mode: str, api: FileServer, tmp_path: Path) -> None:
    api.files["/done.csv"] = Served(size=50_000)
    leave_part(tmp_path / "done.csv", expected_bytes(50_000), '"v1"', 50_000)
    result = fetch(mode, api, "/done.csv", tmp_path / "done.csv")
    assert (result.size, result.sha256, result.content_type) == (50_000, sha256_of(50_000), "text/csv")
    (seen,) = api.requests
    assert seen.headers["range"] == "bytes=50000-"


@pytest.mark.parametrize("mode", MODES)
def test_other_origin_gets_no_credentials(
    mode: str, api: FileServer, other: FileServer, tmp_path: Path
) -> None:
    other.files["/x.bin"] = Served(size=10_000)
    result = fetch(mode, api, other.url("/x.bin"), tmp_path)
    assert result.sha256 == sha256_of(10_000)
    assert api.requests == []
    assert_no_credentials(other)
    assert other.requests[0].headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("mode", MODES)
def test_redirect_to_other_origin_drops_credentials_also_when_resuming(
    mode: str, api: FileServer, other: FileServer, tmp_path: Path
) -> None:
    api.files["/export"] = Served(size=0, redirect=other.url("/signed/x.bin"))
    other.files["/signed/x.bin"] = Served(size=400_000, drop_after=100_000)
    result = fetch(mode, api, "/export", tmp_path / "x.bin")
    assert result.path.read_bytes() == expected_bytes(400_000)
    assert [s.headers["authorization"] for s in api.requests] == [CREDENTIALS["Authorization"]] * 2
    assert_no_credentials(other)
    assert other.requests[1].headers["range"] == "bytes=100000-"


@pytest.mark.parametrize("mode", MODES)
def test_same_origin_redirect_keeps_credentials(mode: str, api: FileServer, tmp_path: Path) -> None:
    api.files["/old"] = Served(size=0, redirect="/new.csv")
    api.files["/new.csv"] = Served(size=1000)
    result = fetch(mode, api, "/old", tmp_path)
    assert result.path == tmp_path / "new.csv"
    assert [s.headers.get("authorization") for s in api.requests] == [CREDENTIALS["Authorization"]] * 2


@pytest.mark.parametrize("mode", MODES)
def test_redirect_loops_are_bounded(mode: str, api: FileServer, tmp_path: Path) -> None:
    api.files["/loop"] = Served(size=0, redirect="/loop")
    with pytest.raises(DownloadError, match="more than 10 redirects"):
        fetch(mode, api, "/loop", tmp_path)
    assert len(api.requests) == 11


@pytest.mark.parametrize("mode", MODES)
def test_through_the_sellerkit_transport(
    mode: str, api: FileServer, other: FileServer, tmp_path: Path
) -> None:
    api.files["/export"] = Served(size=0, redirect=other.url("/signed/x.bin"))
    other.files["/signed/x.bin"] = Served(size=100_000)
    facts = VendorFacts("acme", ErrorFacts("acme"))
    settings = HttpSettings(retry=RetryPolicy(max_attempts=5))
    args = sync_httpx_args(facts, settings) if mode == "sync" else async_httpx_args(facts, settings)
    client_kwargs = {"base_url": api.origin, "headers": CREDENTIALS} | args
    # the transport hands 3xx back unread, so the download follows (and strips credentials) itself
    result = run_download(mode, client_kwargs, "/export", tmp_path)
    assert result.path == tmp_path / "x.bin" and result.sha256 == sha256_of(100_000)
    assert_no_credentials(other)
    # error statuses arrive as typed errors from the transport and leave as they are
    asked = len(api.requests)
    with pytest.raises(NotFoundError) as caught:
        run_download(mode, client_kwargs, "/missing.csv", tmp_path)
    assert caught.value.status_code == 404 and caught.value.vendor == "acme"
    assert len(api.requests) == asked + 1
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


MEMORY_PROBE = """
import asyncio, json, os, resource, sys
import httpx
from sellerkit._core.download import download, download_async
from tests.core.fileserver import FileServer, Served

mode, folder, size = sys.argv[1], sys.argv[2], int(sys.argv[3])

def fetch(url, dest):
    if mode == "sync":
        with httpx.Client() as client:
            return download(client, client.build_request("GET", url), dest)
    async def run():
        async with httpx.AsyncClient() as client:
            return await download_async(client, client.build_request("GET", url), dest)
    return asyncio.run(run())

with FileServer() as server:
    server.files["/big"] = Served(size=size, chunk=1 << 20)
    server.files["/small"] = Served(size=4 << 20, chunk=1 << 20)
    fetch(server.url("/small"), os.path.join(folder, "small"))  # warm up: imports, buffers, threads
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = fetch(server.url("/big"), os.path.join(folder, "big"))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    os.remove(result.path)
print(json.dumps({"growth_kib": after - before, "size": result.size, "sha256": result.sha256}))
"""


@pytest.mark.parametrize("mode", MODES)
def test_memory_stays_flat_for_a_200_mib_download(mode: str, tmp_path: Path) -> None:
    size = 200 << 20
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, mode, str(tmp_path), str(size)],
        capture_output=True,
        text=True,
        timeout=50,
        cwd=ROOT,
        env=env,
    )
    assert probe.returncode == 0, probe.stderr
    report = json.loads(probe.stdout)
    assert report["size"] == size and report["sha256"] == sha256_of(size)
    # ru_maxrss is in KiB on Linux; the server's buffers share the process, so allow some slack
    assert report["growth_kib"] < 32 * 1024, report


class FakeStream:
    """A network stream's `get_extra_info` and nothing else."""

    def __init__(self, sock: object, ssl_object: object) -> None:
        self.info = {"socket": sock, "ssl_object": ssl_object}

    def get_extra_info(self, name: str) -> object:
        return self.info.get(name)


def test_raw_bodies_are_received_into_buffers_only_from_a_socket_carrying_the_body() -> None:
    import socket
    import ssl

    plain = socket.socket()
    context = ssl.create_default_context()
    tls = context.wrap_socket(socket.socket(), do_handshake_on_connect=False, server_hostname="h")
    inner = context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="h")
    try:

        def chosen(sock: object, ssl_object: object) -> object:
            return core_download._RawBody(FakeStream(sock, ssl_object), 10, None).socket()

        assert chosen(plain, None) is plain
        assert chosen(tls, object()) is tls  # TLS by the ssl module: recv_into decrypts
        assert chosen(tls, inner) is None  # TLS inside TLS (an HTTPS proxy): httpcore's read decrypts
        assert chosen(plain, inner) is None
        assert chosen(None, None) is None  # a custom network backend: its read()
    finally:
        plain.close()
        tls.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_writeback_is_started_through_sync_file_range(tmp_path: Path) -> None:
    call = core_download._sync_file_range()
    assert call is not None
    with open(tmp_path / "part", "wb", buffering=0) as fh:
        fh.write(b"x" * 100_000)
        assert call(fh.fileno(), 0, 0, 2) == 0  # SYNC_FILE_RANGE_WRITE over the whole file
        core_download._start_writeback(fh.fileno())
    assert call(-1, 0, 0, 2) == -1  # a bad descriptor: the call really reached the kernel


class _SinkJob:
    """What `_Sink` reads of a download: the part file, its offset, the hash."""

    def __init__(self, part: Path, offset: int = 0) -> None:
        self.part, self.offset, self.stream = part, offset, None
        self.file = open(part, "r+b" if part.exists() else "w+b", buffering=0)  # noqa: SIM115
        self.hasher, self.hashed = hashlib.sha256(), 0


@contextlib.contextmanager
def _sinking(job: _SinkJob, *, write_here: bool = True) -> Iterator[Any]:
    """A sink on `job` (1 MiB batches), stopped and its part file closed at the end."""
    sink = core_download._Sink(job, batch=1 << 20, write_here=write_here)  # type: ignore[arg-type]
    try:
        yield sink
    finally:
        sink.stop()
        job.file.close()


def _direct_supported(folder: Path) -> bool:
    flag = getattr(os, "O_DIRECT", 0)
    if not flag or not sys.platform.startswith("linux"):
        return False
    try:
        os.close(os.open(folder / "probe", os.O_WRONLY | os.O_CREAT | flag))
    except OSError:
        return False
    return True


def _recorded_writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, int, int]]:
    """(through O_DIRECT, offset, length) of every os.pwrite the download module makes."""
    import fcntl

    writes: list[tuple[bool, int, int]] = []
    real = os.pwrite

    def pwrite(fd: int, data: Any, offset: int) -> int:
        direct = bool(fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0))
        n = real(fd, data, offset)
        writes.append((direct, offset, n))
        return n

    monkeypatch.setattr(os, "pwrite", pwrite)
    return writes


def _feed(sink: Any, data: bytes, first: int) -> None:
    """`first` bytes added as bytes (httpx's first event), the rest received into the sink's buffers."""
    sink.add(data[:first])
    at = first
    while at < len(data):
        view = sink.take()
        n = min(len(view), len(data) - at, 3 << 20)  # never a whole buffer at once, as from a socket
        view[:n] = data[at : at + n]
        sink.add(view[:n])
        at += n


@pytest.mark.parametrize("offset", [0, 5_000])
@pytest.mark.parametrize("write_here", [True, False], ids=["sync", "async"])
def test_sink_writes_whole_blocks_direct_and_only_the_edges_through_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offset: int, write_here: bool
) -> None:
    data = os.urandom(9 << 20) + b"tail-77" * 11
    kept = os.urandom(offset)
    part = tmp_path / "file.part"
    part.write_bytes(kept)
    writes = _recorded_writes(monkeypatch)
    job = _SinkJob(part, offset)
    job.hasher.update(kept)
    with _sinking(job, write_here=write_here) as sink:
        _feed(sink, data, first=1_000)
        sink.drain()
    assert part.read_bytes() == kept + data
    assert job.hasher.hexdigest() == hashlib.sha256(kept + data).hexdigest()
    assert job.hashed == len(data)
    assert sorted(o for _, o, _ in writes) == [o for _, o, _ in writes]  # in order, each byte once
    assert sum(n for _, _, n in writes) == len(data)
    if not _direct_supported(tmp_path):
        assert not any(direct for direct, _, _ in writes)
        return
    direct = [(o, n) for d, o, n in writes if d]
    assert direct and all(o % 4096 == 0 and n % 4096 == 0 for o, n in direct)
    buffered = sum(n for d, _, n in writes if not d)
    # the first buffer (it starts where the kept bytes end, then holds the odd first piece) ends on a
    # block boundary; after it only the last partial block goes through the page cache
    assert buffered < core_download._BATCH_MIN + 4096, buffered
    assert writes[-1][0] is False and writes[-1][2] == (offset + len(data)) % 4096


def test_sink_falls_back_to_the_page_cache_when_direct_writes_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import fcntl

    real = os.pwrite
    refused: list[int] = []

    def pwrite(fd: int, data: Any, offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")  # a filesystem that opens but won't write
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    data = os.urandom(6 << 20)
    job = _SinkJob(tmp_path / "file.part")
    with _sinking(job) as sink:
        _feed(sink, data, first=4096)
        sink.drain()
    assert (tmp_path / "file.part").read_bytes() == data
    assert job.hasher.hexdigest() == hashlib.sha256(data).hexdigest()
    assert len(refused) <= 1  # refused once, then never tried again


def test_sink_hands_a_write_error_to_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def full(fd: int, data: Any, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    job = _SinkJob(tmp_path / "file.part")
    with _sinking(job) as sink, pytest.raises(OSError, match="No space left"):  # at an add/take or the drain
        _feed(sink, os.urandom(5 << 20), first=10)
        sink.drain()


LOOPBACK = "127.0.0.1"


def self_signed(folder: Path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files in `folder`."""
    import datetime
    import ipaddress

    from cryptography import x509  # pinned in the dev extra: this test never skips
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


@pytest.mark.parametrize("mode", MODES)
def test_a_large_body_over_tls_is_read_beneath_httpx_and_resumed(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    certs = tmp_path / "certs"
    certs.mkdir()
    cert, key = self_signed(certs)
    chosen: list[Any] = []
    real = core_download._raw_body

    def spied(response: httpx.Response) -> Any:
        chosen.append(real(response))
        return chosen[-1]

    monkeypatch.setattr(core_download, "_raw_body", spied)
    size = 3 << 20  # above RAW_MIN: the raw reader, through the TLS socket (sync: recv_into)
    with FileServer(tls=(cert, key)) as server:
        server.files["/big.bin"] = Served(size=size, chunk=256 << 10, drop_after=size // 2)
        verify = ssl.create_default_context(cafile=cert)
        client_kwargs = {"base_url": server.origin, "timeout": 5.0, "verify": verify}
        result = run_download(mode, client_kwargs, "/big.bin", tmp_path / "big.bin")
        assert result.sha256 == sha256_of(size) and result.size == size
        assert [r.headers.get("range") for r in server.requests] == [None, f"bytes={size // 2}-"]
    raw = [c for c in chosen if c is not None]
    assert len(raw) == 2  # both attempts, the resumed one too
    if mode == "sync":
        assert all(isinstance(c.socket(), ssl.SSLSocket) for c in raw)
