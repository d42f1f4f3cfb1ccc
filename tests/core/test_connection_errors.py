"""No raw httpx exception leaves the transports: `APIConnectionError` / `APITimeoutError` over real sockets,
and `ApiError`'s openai-python attributes (`status_code`, `body`, `response`)."""

from __future__ import annotations

import asyncio
import json
import pickle
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from sellerkit._core.bodies import ErrorFacts, error_from_response
from sellerkit._core.errors import (
    MAX_BODY,
    APIConnectionError,
    ApiError,
    APITimeoutError,
    BadRequestError,
    SellerkitError,
)
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.transport import HttpSettings, VendorFacts, async_httpx_args, sync_httpx_args
from tests.core.test_http import Sleeps

MODES = ["sync", "async"]
SECRET = "s3cr3t-t0ken-value"
FACTS = VendorFacts("acme", ErrorFacts("acme"))
ATTEMPTS = 3


def settings(sleeps: Sleeps, **changes: Any) -> HttpSettings:
    fields: dict[str, Any] = {
        "timeout": httpx.Timeout(1.0, read=0.2),
        "retry": RetryPolicy(max_attempts=ATTEMPTS),
        "sleep": sleeps,
        "async_sleep": sleeps.asleep,
    }
    return HttpSettings(**(fields | changes))


def get(mode: str, url: str, config: HttpSettings) -> httpx.Response:
    """One GET through a sellerkit-wired httpx client over real sockets, as `client.sync_http` builds it."""
    if mode == "sync":
        with httpx.Client(timeout=config.timeout, **sync_httpx_args(FACTS, config)) as client:
            return client.get(url)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(timeout=config.timeout, **async_httpx_args(FACTS, config)) as client:
            return await client.get(url)

    return asyncio.run(run())


def closed_port() -> int:
    """A loopback port nothing listens on: bound, read, closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback server that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


@pytest.fixture
def cut_body_port() -> Iterator[int]:
    """A loopback server answering every request 200 with Content-Length 1000 and 10 bytes, then closing."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2.0)
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()


def httpx_errors_in_chain(error: BaseException) -> list[BaseException]:
    """Every httpx exception reachable through `__cause__` / `__context__` (each exception once)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error.__cause__, error.__context__]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__]
    return [e for e in seen if type(e).__module__.split(".")[0] == "httpx"]


def assert_names_the_request(error: APIConnectionError, port: int) -> None:
    assert error.vendor == "acme" and error.method == "GET"
    assert error.url == f"http://127.0.0.1:{port}/api/token?token=***"
    assert error.attempts == ATTEMPTS
    for text in (str(error), repr(error), error.url, str(pickle.loads(pickle.dumps(error)))):
        assert SECRET not in text
    assert f"GET http://127.0.0.1:{port}/api/token?token=*** after {ATTEMPTS} attempts" in str(error)
    # the cause is chained exactly once: the last attempt's httpx error, and no other httpx error behind it
    assert httpx_errors_in_chain(error) == [error.__cause__]


@pytest.mark.parametrize("mode", MODES)
def test_a_closed_port_is_an_api_connection_error(mode: str) -> None:
    sleeps, port = Sleeps(), closed_port()
    with pytest.raises(APIConnectionError) as caught:
        get(mode, f"http://127.0.0.1:{port}/api/token?token={SECRET}", settings(sleeps))
    error = caught.value
    assert type(error) is APIConnectionError and isinstance(error, SellerkitError)
    assert isinstance(error.__cause__, httpx.ConnectError)
    assert str(error).startswith("could not connect to acme: ConnectError: ")
    assert_names_the_request(error, port)
    assert len(sleeps.waits) == ATTEMPTS - 1  # retried per the policy, every wait injected


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_never_answers_is_an_api_timeout_error(mode: str, silent_port: int) -> None:
    sleeps = Sleeps()
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        get(mode, f"http://127.0.0.1:{silent_port}/api/token?token={SECRET}", settings(sleeps))
    elapsed = time.monotonic() - started
    error = caught.value
    assert isinstance(error, APIConnectionError)
    assert isinstance(error.__cause__, httpx.ReadTimeout)
    assert str(error).startswith("acme did not answer in time: ReadTimeout")
    assert_names_the_request(error, silent_port)
    assert len(sleeps.waits) == ATTEMPTS - 1
    assert elapsed < ATTEMPTS * 0.2 + 2.0  # three 0.2 s read timeouts, no real backoff


@pytest.mark.parametrize("mode", MODES)
def test_a_body_cut_after_the_headers_is_an_api_connection_error(mode: str, cut_body_port: int) -> None:
    """httpx reads a 2xx body after the transport returned: a connection lost there is typed as well."""
    with pytest.raises(APIConnectionError) as caught:
        get(mode, f"http://127.0.0.1:{cut_body_port}/api/token?token={SECRET}", settings(Sleeps()))
    error = caught.value
    assert isinstance(error.__cause__, httpx.RemoteProtocolError)
    assert str(error).startswith("lost the connection to acme: RemoteProtocolError: ")
    assert error.attempts == 1 and SECRET not in str(error)
    assert httpx_errors_in_chain(error) == [error.__cause__]


def test_connection_errors_pickle_with_their_fields() -> None:
    error = APITimeoutError(
        "acme did not answer in time: ReadTimeout",
        vendor="acme",
        method="POST",
        url=f"https://h/x?token={SECRET}",
        attempts=1,
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is APITimeoutError and str(copy) == str(error)
    assert (copy.vendor, copy.method, copy.attempts) == ("acme", "POST", 1)
    assert str(error).endswith("— POST https://h/x?token=*** after 1 attempt")


# ---------------------------------------------------------------- ApiError: status_code, body, response


def error_for(status: int, content: bytes, content_type: str = "application/json") -> ApiError:
    response = httpx.Response(
        status,
        content=content,
        headers={"content-type": content_type},
        request=httpx.Request("POST", "https://api.example.com/v1/token"),
    )
    return error_from_response(response, ErrorFacts("acme"))


def test_api_error_has_status_code_body_and_response() -> None:
    content = json.dumps(
        {
            "message": "bad grant",
            "access_token": SECRET,
            "details": [{"field": "password", "password": SECRET, "client_secret": SECRET}],
            "apiKey": SECRET,
        }
    ).encode()
    error = error_for(400, content)
    assert isinstance(error, BadRequestError)
    assert error.status_code == 400 and error.status == 400
    assert error.body == {
        "message": "bad grant",
        "access_token": "***",
        "details": [{"field": "password", "password": "***", "client_secret": "***"}],
        "apiKey": "***",
    }
    assert isinstance(error.response, httpx.Response) and error.response.status_code == 400
    assert SECRET not in repr(error) and "Response" not in repr(error)


def test_api_error_body_is_text_when_not_json_and_capped() -> None:
    assert error_for(502, b"upstream down", "text/plain").body == "upstream down"
    huge = error_for(500, b"x" * (3 * MAX_BODY), "text/plain")
    assert isinstance(huge.body, str) and len(huge.body.encode()) == MAX_BODY
    # JSON over the cap is kept as (redacted) text, never parsed whole
    big = json.dumps({"token": SECRET, "pad": "y" * (2 * MAX_BODY)}).encode()
    capped = error_for(500, big)
    assert isinstance(capped.body, str) and len(capped.body.encode()) <= MAX_BODY
    assert SECRET not in capped.body and '"token": "***"' in capped.body
    assert error_for(500, b"").body is None
    assert error_for(500, bytes(range(256)) * 4, "application/octet-stream").body is None


def test_api_error_pickles_without_its_response() -> None:
    error = error_for(400, json.dumps({"message": "bad", "secret": SECRET}).encode())
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is BadRequestError and str(copy) == str(error)
    assert copy.status_code == copy.status == 400
    assert copy.body == {"message": "bad", "secret": "***"}
    assert copy.response is None and error.response is not None


@pytest.mark.parametrize("mode", MODES)
def test_the_transport_fills_body_and_response(mode: str) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"message": "no such job", "signature": SECRET})

    config = replace(settings(Sleeps()), inner_transport=httpx.MockTransport(server))
    with pytest.raises(ApiError) as caught:
        if mode == "sync":
            with httpx.Client(**sync_httpx_args(FACTS, config)) as client:
                client.get("https://api.example.com/jobs/7")
        else:

            async def run() -> None:
                async with httpx.AsyncClient(**async_httpx_args(FACTS, config)) as client:
                    await client.get("https://api.example.com/jobs/7")

            asyncio.run(run())
    error = caught.value
    assert error.status_code == 404
    assert error.body == {"message": "no such job", "signature": "***"}
    assert error.response is not None and error.response.status_code == 404
