"""The simulator framework: simulated time, serving on loopback, fault injection and the request log."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import inspect
import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sellerkit._core.registry import client_class, vendor_names
from sellerkit.testing.__main__ import VENDORS, main
from sellerkit.testing.framework import (
    FileBody,
    ScaledClock,
    Simulator,
    Span,
    Unsatisfiable,
    byte_chunks,
    byte_range,
    range_not_satisfiable,
    requested_span,
    serve,
)
from sellerkit.testing.vendors import SIMULATORS

BIG = bytes(range(256)) * 800  # 204,800 bytes


class EchoSimulator(Simulator[Any, Any]):
    """A toy vendor: /json (JSON), /big (bytes, honours Range), /headers (the request's header names)."""

    name = "echo"

    def build_app(self) -> ASGIApp:
        async def json_body(request: Request) -> Response:
            return JSONResponse({"ok": True, "items": list(range(40))})

        async def big(request: Request) -> Response:
            if request.headers.get("range") == "bytes=0-9":
                headers = {"content-range": f"bytes 0-9/{len(BIG)}", "accept-ranges": "bytes"}
                return Response(BIG[:10], status_code=206, headers=headers)
            return Response(BIG, media_type="application/octet-stream", headers={"accept-ranges": "bytes"})

        async def headers(request: Request) -> Response:
            return JSONResponse(sorted(request.headers.keys()))

        return Starlette(
            routes=[
                Route("/json", json_body, methods=["GET", "POST"]),
                Route("/big", big),
                Route("/headers", headers),
            ]
        )


@pytest.fixture
def echo() -> Iterator[tuple[EchoSimulator, httpx.Client]]:
    sim = EchoSimulator(ScaledClock.manual())
    with serve(sim.asgi) as url, httpx.Client(base_url=url, timeout=5) as client:
        yield sim, client


# ---------------------------------------------------------------- clock


def test_manual_clock_moves_only_when_told() -> None:
    clock = ScaledClock.manual(start=1000.0)
    assert clock.now() == 1000.0
    time.sleep(0.01)
    assert clock.now() == 1000.0
    clock.advance(5)
    started = time.monotonic()
    clock.sleep(3600)  # instant
    asyncio.run(clock.asleep(60))
    assert time.monotonic() - started < 0.5
    assert clock.now() == 1000.0 + 5 + 3600 + 60
    assert clock.real_seconds(100) == 0.0
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(scale=1000.0, start=0.0)
    started = time.monotonic()
    clock.sleep(50)  # 50 ms real
    asyncio.run(clock.asleep(50))
    elapsed = time.monotonic() - started
    assert 0.09 <= elapsed < 1.0
    assert 100 <= clock.now() < 1000
    clock.advance(10_000)
    assert clock.now() >= 10_100
    assert clock.real_seconds(500) == 0.5
    with pytest.raises(ValueError):
        ScaledClock(scale=0)


# ---------------------------------------------------------------- serving


def test_serve_on_an_ephemeral_loopback_port_and_stop() -> None:
    sim = EchoSimulator()
    with serve(sim.asgi) as url:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert httpx.get(url + "/json").json()["ok"] is True
        port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_serve_on_a_second_loopback_host() -> None:
    sim = EchoSimulator()
    with serve(sim.asgi) as first, serve(sim.asgi, host="127.0.0.2") as second:
        assert second.startswith("http://127.0.0.2:")
        assert httpx.get(first + "/json").status_code == httpx.get(second + "/json").status_code == 200
    assert [r.host for r in sim.requests] == ["127.0.0.1", "127.0.0.2"]


def test_serve_refuses_non_loopback_hosts() -> None:
    for host in ("0.0.0.0", "192.168.1.1", "example.com"):
        with pytest.raises(ValueError, match="loopback"), serve(EchoSimulator().asgi, host=host):
            pass


def test_cli_registry_starts_a_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert "wabi2b" in VENDORS
    assert main(["wabi2b", "--duration", "0.05", "--scale", "10", "--job-seconds", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"http://127\.0\.0\.1:\d+/v1", out)
    assert re.search(r"Authorization: [\w-]+\.[\w-]+\.[\w-]+", out)
    assert "x-api-key:" in out


# ---------------------------------------------------------------- faults


def test_status_fault_json_and_html(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    fault = sim.faults.add("status", status=503, times=2)
    for _ in range(2):
        response = client.get("/json")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        assert "message" in response.json()
    assert client.get("/json").status_code == 200
    assert fault.hits == 2 and fault.exhausted
    sim.faults.add("status", status=502, body="<html><body>Bad Gateway</body></html>")
    html = client.get("/json")
    assert html.status_code == 502 and html.headers["content-type"].startswith("text/html")
    sim.faults.add("status", status=504, body="upstream timed out", headers={"x-cache": "miss"})
    plain = client.get("/json")
    assert plain.headers["content-type"].startswith("text/plain") and plain.headers["x-cache"] == "miss"


def test_fault_matching_by_method_path_and_regex(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    sim.faults.add("status", status=500, method="POST", path="/js", times=None)
    sim.faults.add("status", status=418, path=re.compile(r"^/headers\?.*probe=1"))
    assert client.get("/json").status_code == 200
    assert client.post("/json").status_code == 500
    assert client.post("/json").status_code == 500
    assert client.get("/headers").status_code == 200
    assert client.get("/headers", params={"probe": "1"}).status_code == 418


def test_fault_after_skips_the_first_matches(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    fault = sim.faults.add("status", status=500, after=2)
    assert [client.get("/json").status_code for _ in range(4)] == [200, 200, 500, 200]
    assert (fault.seen, fault.hits) == (3, 1)
    sim.faults.add("status", status=500, times=None)
    sim.faults.clear()
    assert client.get("/json").status_code == 200
    assert len(sim.faults) == 0


def test_fault_arguments_are_checked() -> None:
    sim = EchoSimulator()
    with pytest.raises(ValueError, match="unknown fault kind"):
        sim.faults.add("explode")
    with pytest.raises(TypeError, match="takes"):
        sim.faults.add("slow", delay_s=1)
    with pytest.raises(ValueError):
        sim.faults.add("status", status=99)
    with pytest.raises(ValueError):
        sim.faults.add("rate_limit", retry_after_format="minutes")
    with pytest.raises(ValueError):
        sim.faults.add("status", times=0)


def test_rate_limit_retry_after_seconds_or_http_date(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    sim.faults.add("rate_limit", retry_after=2.5)
    limited = client.get("/json")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    sim.faults.add("rate_limit", retry_after=120, retry_after_format="http-date")
    dated = client.get("/json")
    when = email.utils.parsedate_to_datetime(dated.headers["retry-after"]).timestamp()
    assert 119 <= when - sim.clock.now() <= 120  # simulated time, whole seconds
    sim.faults.add("rate_limit", retry_after=None)
    assert "retry-after" not in client.get("/json").headers


def test_slow_headers_trip_a_read_timeout(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    sim.faults.add("slow", delay=0.4)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/json", timeout=httpx.Timeout(5, read=0.1))


def test_slow_body_chunks(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    sim.faults.add("slow", chunk_delay=0.03, chunk_size=len(BIG) // 4)
    started = time.monotonic()
    assert client.get("/big").content == BIG
    assert time.monotonic() - started >= 0.09  # three pauses between four chunks


def test_reset_before_the_response(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    sim.faults.add("reset")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.get("/json")
    assert client.get("/json").status_code == 200  # the client reconnects
    assert sim.requests[0].status is None and sim.requests[0].faults == ["reset"]


def test_reset_mid_body(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    sim.faults.add("reset", path="/big", after_bytes=50_000)
    received = 0
    with (
        pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)),
        client.stream("GET", "/big") as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            received += len(chunk)
    assert received <= 50_000


def test_truncate_keeps_content_length_and_closes(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    sim.faults.add("truncate", path="/big")
    with pytest.raises(
        httpx.RemoteProtocolError, match=f"received {len(BIG) // 2} bytes, expected {len(BIG)}"
    ):
        client.get("/big")
    sim.faults.add("truncate", path="/big", after_bytes=10)
    with pytest.raises(httpx.RemoteProtocolError, match="received 10 bytes"):
        client.get("/big")


@pytest.mark.parametrize("mode", ["cut", "garbage", "empty"])
def test_malformed_json(echo: tuple[EchoSimulator, httpx.Client], mode: str) -> None:
    sim, client = echo
    sim.faults.add("malformed_json", mode=mode)
    response = client.get("/json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.content))
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_no_range(echo: tuple[EchoSimulator, httpx.Client]) -> None:
    sim, client = echo
    assert client.get("/big", headers={"Range": "bytes=0-9"}).status_code == 206
    sim.faults.add("no_range")
    ignored = client.get("/big", headers={"Range": "bytes=0-9", "If-Range": '"x"'})
    assert ignored.status_code == 200 and ignored.content == BIG
    assert ignored.headers["accept-ranges"] == "bytes"  # still advertised: the nastier case
    sim.faults.add("no_range", strip_accept_ranges=True)
    assert "accept-ranges" not in client.get("/big", headers={"Range": "bytes=0-9"}).headers
    sim.faults.add("no_range", path="/headers")
    assert "range" not in client.get("/headers", headers={"Range": "bytes=0-9"}).json()


# ---------------------------------------------------------------- request log


def test_request_log_redacts_credentials_but_says_which_were_sent(
    echo: tuple[EchoSimulator, httpx.Client],
) -> None:
    sim, client = echo
    secret = "super-secret-token-value"
    client.get("/json", headers={"Authorization": secret, "x-api-key": "key-1"})
    client.get("/json", params={"q": "1"}, headers={"Authorization": secret})
    client.post("/json", headers={"Cookie": "session=abc"})
    first, second, third = sim.requests
    assert secret not in repr(list(sim.requests)) and "key-1" not in repr(first.headers)
    assert first.has_authorization and first.has_api_key
    assert second.has_authorization and not second.has_api_key and second.target == "/json?q=1"
    assert first.header("authorization") == second.header("authorization")  # same credential, same hash
    assert first.header("x-api-key") != first.header("authorization")
    assert third.carried_credentials == {"cookie"}
    assert sim.requests.calls(method="POST") == 1
    assert sim.requests.calls(path="/json") == 3
    assert sim.requests.per_route() == {"GET /json": 2, "POST /json": 1}
    assert sim.requests.per_status() == {200: 3}
    assert [r.seq for r in sim.requests] == [1, 2, 3]
    sim.reset_requests()
    assert len(sim.requests) == 0


# ---------------------------------------------------------------- shared file serving (Range, If-Range)


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-9", 100, (0, 10)),
        ("bytes=90-", 100, (90, 100)),
        ("bytes=0-999", 100, (0, 100)),
        ("bytes=-10", 100, (90, 100)),
        ("bytes=-200", 100, (0, 100)),
        (" Bytes = 5-6 ", 100, (5, 7)),
        # ignored (the whole file): other units, several ranges, and what RFC 9110 14.1.1 does not allow
        ("items=0-9", 100, None),
        ("bytes=0-1,5-6", 100, None),
        ("bytes=5-3", 100, None),
        ("bytes=5", 100, None),
        ("bytes=-", 100, None),
        ("bytes=+5-", 100, None),
        ("bytes=٣-", 100, None),
        # no byte of the file satisfies it
        ("bytes=100-", 100, "416"),
        ("bytes=-0", 100, "416"),
        ("bytes=-5", 0, "416"),
    ],
)
def test_byte_range_follows_rfc_9110(header: str, size: int, expected: object) -> None:
    if expected == "416":
        with pytest.raises(Unsatisfiable):
            byte_range(header, size)
    else:
        assert byte_range(header, size) == expected


def test_if_range_resumes_only_the_same_file() -> None:
    ranged = {"range": "bytes=10-"}
    assert requested_span({**ranged, "if-range": '"v1"'}, 50, ('"v1"',)) == Span(
        10, 50, 206, "bytes 10-49/50"
    )
    assert requested_span({**ranged, "if-range": '"v0"'}, 50, ('"v1"',)) == Span(0, 50, 200)
    assert requested_span(ranged, 50, ()) == Span(10, 50, 206, "bytes 10-49/50")
    assert requested_span({}, 50, ('"v1"',)).length == 50


def test_file_body_streams_a_span_in_pieces_and_nothing_on_head() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        try:
            span = requested_span(headers, len(BIG), ('"big"',))
        except Unsatisfiable:
            await range_not_satisfiable(len(BIG))(scope, receive, send)
            return
        extra = {"content-range": span.content_range} if span.content_range else {}
        out = {"content-length": str(span.length), "etag": '"big"', **extra}
        await FileBody(byte_chunks(BIG, span.start, span.end, 1000), span.status, out)(scope, receive, send)

    messages: list[Message] = []

    async def record(message: Message) -> None:
        messages.append(message)

    async def receive() -> Message:
        return {"type": "http.request"}

    def run(method: str, headers: list[tuple[bytes, bytes]]) -> list[Message]:
        messages.clear()
        scope: Scope = {"type": "http", "method": method, "headers": headers}
        asyncio.run(app(scope, receive, record))
        return list(messages)

    ranged = run("GET", [(b"range", b"bytes=100-4099")])
    assert ranged[0]["status"] == 206
    bodies = [m["body"] for m in ranged[1:]]
    assert b"".join(bodies) == BIG[100:4100] and [len(b) for b in bodies] == [1000] * 4
    assert [m["more_body"] for m in ranged[1:]] == [True, True, True, False]
    head = run("HEAD", [])
    assert head[0]["status"] == 200 and (b"content-length", str(len(BIG)).encode()) in head[0]["headers"]
    assert [m["body"] for m in head[1:]] == [b""]
    assert run("GET", [(b"range", b"bytes=999999-")])[0]["status"] == 416


# ---------------------------------------------------------------- the simulator table's fixtures


@pytest.mark.parametrize("vendor", sorted(SIMULATORS))
def test_every_table_row_has_fixtures_that_route_their_keywords(
    vendor: str, request: pytest.FixtureRequest
) -> None:
    row = SIMULATORS[vendor]
    running = request.getfixturevalue(f"{vendor}_sim")
    assert isinstance(running, Simulator) and running.origin is not None
    make = request.getfixturevalue(f"make_{vendor}_sim")
    field = next(iter(dataclasses.fields(row.settings))).name
    value = getattr(row.settings(), field)
    sim = make(**{field: value})
    assert getattr(sim.settings, field) == value and sim.base_url.startswith("http://127.0.0.1:")
    with pytest.raises(TypeError):
        make(no_such_setting=1)


@pytest.mark.parametrize("vendor", vendor_names())
def test_every_vendor_fixture_gives_clients_with_its_credentials(
    vendor: str, request: pytest.FixtureRequest
) -> None:
    """`<vendor>_sim.client()` / `.async_client()`: the vendor's clients on the simulator, its credentials
    read from the simulator's attributes named like the client's parameters."""
    running = request.getfixturevalue(f"{vendor}_sim")
    for asynchronous in (False, True):
        cls = client_class(vendor, asynchronous)
        parameters = inspect.signature(cls.__init__).parameters
        for credential in cls.vendor.credentials:
            assert credential.name in parameters and getattr(running, credential.name) is not None
        client: Any = running.async_client() if asynchronous else running.client()
        assert issubclass(type(client), cls) and client.base_url.rstrip("/") == running.base_url.rstrip("/")
        if asynchronous:
            asyncio.run(client.aclose())


def test_the_sellerscommerce_fixture_clients_read_the_store(sellerscommerce_sim: Any) -> None:
    orders = list(sellerscommerce_sim.client().rows("orders", page_size=15))

    async def read() -> list[dict[str, Any]]:
        async with sellerscommerce_sim.async_client() as client:
            return [row async for row in client.rows("orders", page_size=15)]

    assert len(orders) == 40 and asyncio.run(read()) == orders
    stats = sellerscommerce_sim.stats
    assert stats.api_calls == 8  # 15 + 15 + 10 + the empty page, per client
    assert stats.password_grants == 1  # the async client took the token the first one persisted
