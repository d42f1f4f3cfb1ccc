"""The transports: quota → send → retry → typed error, sync and async alike, through real httpx clients."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import httpx
import pytest

from sellerkit._core.bodies import MAX_ERROR_BODY, ErrorFacts, reset_time_throttle
from sellerkit._core.calls import unwrap
from sellerkit._core.errors import (
    APIConnectionError,
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)
from sellerkit._core.quota import Quota, QuotaLimiter
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.transport import (
    DEFAULT_TIMEOUT,
    JOB_CREATING,
    HttpSettings,
    VendorFacts,
    async_httpx_args,
    sync_httpx_args,
)
from sellerkit.wabi2b_api.api.product_bulk_download import get_products_bulk_download_status as status_op
from sellerkit.wabi2b_api.client import AuthenticatedClient
from sellerkit.wabi2b_api.models.error import Error as Wabi2bError
from sellerkit.wabi2b_api.models.products_bulk_download_status import ProductsBulkDownloadStatus
from sellerkit.wabi2b_api.types import Response as GeneratedResponse

MODES = ["sync", "async"]
TOKEN = "tok-5ecr3t-value"
API_KEY = "key-5ecr3t-value"
URL = "https://api.example.com/v1/exports?page=1"
NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
FACTS = VendorFacts(
    "acme",
    ErrorFacts("acme", throttle=reset_time_throttle("RateLimitResetTime", clock=lambda: NOW)),
)


class Sleeps:
    """The injected sleep: records waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.waits.append(seconds)


class Server:
    """A scripted MockTransport handler: request n gets outcome n (the last one repeats)."""

    def __init__(self, *outcomes: httpx.Response | Exception) -> None:
        self.outcomes = outcomes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes[min(len(self.requests), len(self.outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        # a fresh response each time: a response body can be consumed only once
        return httpx.Response(outcome.status_code, headers=outcome.headers, content=outcome.content)


def settings(sleeps: Sleeps, **changes: Any) -> HttpSettings:
    fields: dict[str, Any] = {
        "retry": RetryPolicy(jitter=False),
        "sleep": sleeps,
        "async_sleep": sleeps.asleep,
    }
    return HttpSettings(**(fields | changes))


def send(
    mode: str,
    server: Callable[[httpx.Request], httpx.Response],
    config: HttpSettings,
    *,
    facts: VendorFacts = FACTS,
    method: str = "GET",
    url: str = URL,
    client: dict[str, Any] | None = None,
    **request: Any,
) -> httpx.Response:
    """One request through a sellerkit-wired httpx client of the given mode."""
    config = replace(config, inner_transport=httpx.MockTransport(server))
    if mode == "sync":
        with httpx.Client(**sync_httpx_args(facts, config), **(client or {})) as sync_client:
            return sync_client.request(method, url, **request)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(**async_httpx_args(facts, config), **(client or {})) as async_client:
            return await async_client.request(method, url, **request)

    return asyncio.run(run())


def json_response(status: int, body: object, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def throttle_body() -> httpx.Response:
    return json_response(503, {"Error": "Too many requests.", "RateLimitResetTime": "2027-01-15T08:00:45Z"})


def test_defaults_match_the_contract() -> None:
    assert DEFAULT_TIMEOUT.as_dict() == {"connect": 10.0, "read": 60.0, "write": 60.0, "pool": 10.0}
    assert HttpSettings().timeout == DEFAULT_TIMEOUT
    assert HttpSettings().retry == RetryPolicy()


def datetime_of(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("client_timeout", "settings_timeout", "expected"),
    [
        (None, DEFAULT_TIMEOUT, {"connect": 10.0, "read": 60.0, "write": 60.0, "pool": 10.0}),
        (httpx.Timeout(5.0), DEFAULT_TIMEOUT, {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}),
        (
            httpx.Timeout(5.0, read=None),
            DEFAULT_TIMEOUT,
            {"connect": 5.0, "read": 60.0, "write": 5.0, "pool": 5.0},
        ),
        (None, httpx.Timeout(2.0, read=300.0), {"connect": 2.0, "read": 300.0, "write": 2.0, "pool": 2.0}),
    ],
)
def test_every_request_gets_a_timeout(
    mode: str,
    client_timeout: httpx.Timeout | None,
    settings_timeout: httpx.Timeout,
    expected: dict[str, float],
) -> None:
    server = Server(httpx.Response(200))
    send(mode, server, settings(Sleeps(), timeout=settings_timeout), client={"timeout": client_timeout})
    assert server.requests[0].extensions["timeout"] == expected


class TrackedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that records how much of it was read."""

    def __init__(self, chunks: list[bytes], fail_after: int | None = None) -> None:
        self.chunks, self.fail_after = chunks, fail_after
        self.sent = 0
        self.closed = False

    def _next(self, index: int) -> bytes:
        if self.fail_after is not None and index >= self.fail_after:
            raise httpx.ReadError("connection reset mid-body")
        self.sent += len(self.chunks[index])
        return self.chunks[index]

    def __iter__(self) -> Iterator[bytes]:
        for index in range(len(self.chunks)):
            yield self._next(index)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for index in range(len(self.chunks)):
            yield self._next(index)

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


@pytest.mark.parametrize("mode", MODES)
def test_success_bodies_stay_streaming(mode: str) -> None:
    body = TrackedStream([b"a" * 10, b"b" * 10, b"c" * 10])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=body)

    config = settings(Sleeps(), inner_transport=httpx.MockTransport(handler))
    if mode == "sync":
        with (
            httpx.Client(**sync_httpx_args(FACTS, config)) as client,
            client.stream("GET", URL) as response,
        ):
            assert body.sent == 0  # the transport handed it over unread
            chunks = list(response.iter_bytes())
    else:

        async def run() -> list[bytes]:
            async with (
                httpx.AsyncClient(**async_httpx_args(FACTS, config)) as client,
                client.stream("GET", URL) as response,
            ):
                assert body.sent == 0
                return [chunk async for chunk in response.aiter_bytes()]

        chunks = asyncio.run(run())
    assert b"".join(chunks) == b"a" * 10 + b"b" * 10 + b"c" * 10


@pytest.mark.parametrize("mode", MODES)
def test_redirects_pass_through_to_the_client(mode: str) -> None:
    server = Server(
        httpx.Response(302, headers={"Location": "https://files.example.com/x.csv"}), httpx.Response(200)
    )
    response = send(mode, server, settings(Sleeps()), client={"follow_redirects": True})
    assert response.status_code == 200
    assert [str(r.url) for r in server.requests] == [URL, "https://files.example.com/x.csv"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("outcome", "cls", "vendor_message", "code"),
    [
        (json_response(404, {"message": "Task not found"}), NotFoundError, "Task not found", None),
        (
            json_response(401, {"error": "invalid_grant", "error_description": "expired"}),
            AuthenticationError,
            "expired",
            "invalid_grant",
        ),
        (json_response(409, {"ResponseMessage": "Busy", "StatusCode": 30}), ApiError, "Busy", "30"),
        (
            httpx.Response(401, html="<html><title>Login required</title></html>"),
            AuthenticationError,
            "Login required",
            None,
        ),
        (httpx.Response(400, content=b"\xff\xfe\x00\x01"), ApiError, "<4 bytes of binary data>", None),
        (httpx.Response(404), NotFoundError, None, None),
    ],
)
def test_error_statuses_raise_typed_errors(
    mode: str, outcome: httpx.Response, cls: type[ApiError], vendor_message: str | None, code: str | None
) -> None:
    server = Server(outcome)
    with pytest.raises(cls) as raised:
        send(mode, server, settings(Sleeps()), headers={"X-Request-Id": "r1"})
    error = raised.value
    assert (error.status, error.vendor_message, error.code) == (outcome.status_code, vendor_message, code)
    assert (error.vendor, error.method, error.url) == ("acme", "GET", URL)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
def test_huge_error_body_is_read_only_partly_and_closed(mode: str) -> None:
    body = TrackedStream([b"<html>" + b"x" * 65536] * 200)  # 13 MB of error page

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, stream=body, headers={"content-type": "text/html"})

    with pytest.raises(ServerError) as raised:
        send(mode, handler, settings(Sleeps(), retry=RetryPolicy(max_attempts=1)))
    assert MAX_ERROR_BODY <= body.sent <= MAX_ERROR_BODY + 65536 + 6
    assert body.closed
    assert raised.value.vendor_message is not None and len(raised.value.vendor_message) <= 500


@pytest.mark.parametrize("mode", MODES)
def test_error_body_cut_by_the_network_still_gives_a_typed_error(mode: str) -> None:
    body = TrackedStream([b'{"message": "Ser', b'ver busy"}'], fail_after=1)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, stream=body)

    with pytest.raises(NotFoundError) as raised:
        send(mode, handler, settings(Sleeps()))
    assert raised.value.vendor_message == '{"message": "Ser'


@pytest.mark.parametrize("mode", MODES)
def test_retries_with_exponential_backoff_then_succeeds(mode: str) -> None:
    sleeps = Sleeps()
    server = Server(httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok"))
    response = send(mode, server, settings(sleeps))
    assert response.status_code == 200 and len(server.requests) == 3
    assert sleeps.waits == [0.5, 1.0]


@pytest.mark.parametrize("mode", MODES)
def test_jittered_waits_stay_within_bounds(mode: str) -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=4, initial_backoff=2.0, max_backoff=3.0)
    with pytest.raises(ServerError):
        send(mode, Server(httpx.Response(504)), settings(sleeps, retry=policy))
    assert len(sleeps.waits) == 3
    assert all(0.0 <= w <= bound for w, bound in zip(sleeps.waits, [2.0, 3.0, 3.0], strict=True))


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_seconds_is_honoured(mode: str) -> None:
    sleeps = Sleeps()
    server = Server(json_response(429, {"message": "slow down"}, **{"Retry-After": "7"}), httpx.Response(200))
    assert send(mode, server, settings(sleeps)).status_code == 200
    assert sleeps.waits == [8.0]  # 7 whole seconds, perhaps rounded down: one more (issue 13)


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_http_date_is_honoured(mode: str) -> None:
    sleeps = Sleeps()
    server = Server(
        httpx.Response(503, headers={"Retry-After": datetime_of(time.time() + 30)}), httpx.Response(200)
    )
    assert send(mode, server, settings(sleeps)).status_code == 200
    (waited,) = sleeps.waits
    # HTTP dates have whole seconds (up to 1 s more), and without a Date header 1 s for the unknown skew
    assert 30.0 <= waited <= 32.01


@pytest.mark.parametrize("mode", MODES)
def test_retry_after_http_date_is_read_on_the_server_s_clock(mode: str) -> None:
    sleeps = Sleeps()
    now = time.time()
    # the server's clock runs 100 s ahead of ours: its "30 s from now" is 130 s ahead on our clock
    headers = {"Retry-After": datetime_of(now + 130), "Date": datetime_of(now + 100)}
    server = Server(httpx.Response(503, headers=headers), httpx.Response(200))
    assert send(mode, server, settings(sleeps)).status_code == 200
    (waited,) = sleeps.waits
    assert 30.0 <= waited <= 32.01  # both dates in whole seconds


@pytest.mark.parametrize("mode", MODES)
def test_vendor_reset_time_in_the_body_is_honoured(mode: str) -> None:
    sleeps = Sleeps()
    server = Server(throttle_body(), httpx.Response(200))
    assert send(mode, server, settings(sleeps)).status_code == 200
    # 45 s until the named second, + 1 s: it may have been truncated, + 1 s: no Date, the skew is unknown
    assert sleeps.waits == [47.0]


@pytest.mark.parametrize("mode", MODES)
def test_total_wait_is_capped(mode: str) -> None:
    sleeps = Sleeps()
    server = Server(json_response(429, {"message": "slow"}, **{"Retry-After": "5"}))
    config = settings(sleeps, retry=RetryPolicy(max_total_wait=10.0, max_attempts=10))
    with pytest.raises(RateLimitedError) as raised:
        send(mode, server, config)
    assert sleeps.waits == [6.0]  # Retry-After 5 + its 1 s resolution; a second 6 s would pass 10 s
    assert len(server.requests) == 2
    assert raised.value.retry_after == 6.0


@pytest.mark.parametrize("mode", MODES)
def test_attempts_are_capped(mode: str) -> None:
    sleeps = Sleeps()
    server = Server(httpx.Response(502))
    with pytest.raises(ServerError):
        send(mode, server, settings(sleeps, retry=RetryPolicy(max_attempts=3, jitter=False)))
    assert len(server.requests) == 3 and sleeps.waits == [0.5, 1.0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("method", "status", "retried"),
    [
        ("GET", 500, True),
        ("DELETE", 500, True),
        ("PATCH", 500, False),
        ("GET", 404, False),
        ("PUT", 503, True),
    ],
)
def test_which_statuses_are_retried(mode: str, method: str, status: int, retried: bool) -> None:
    server = Server(httpx.Response(status), httpx.Response(200))
    if retried:
        assert send(mode, server, settings(Sleeps()), method=method).status_code == 200
    else:
        with pytest.raises(ApiError):
            send(mode, server, settings(Sleeps()), method=method)
    assert len(server.requests) == (2 if retried else 1)


REFUSED = httpx.ConnectError("connection refused")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("first", "retried"),
    [
        (httpx.Response(500), False),
        (httpx.Response(502), False),
        (httpx.Response(503), False),
        (httpx.Response(504), False),
        (httpx.ReadTimeout("no answer"), False),
        (httpx.RemoteProtocolError("server hung up"), False),
        (httpx.Response(429), True),
        (throttle_body(), True),
        (REFUSED, True),
        (httpx.ConnectTimeout("no route"), True),
    ],
)
def test_a_job_creating_post_is_resent_only_if_the_server_did_not_act(
    mode: str, first: httpx.Response | Exception, retried: bool
) -> None:
    server = Server(first, json_response(200, {"QueuedJobLink": "https://x/job?id=1"}))
    if retried:
        assert (
            send(mode, server, settings(Sleeps()), method="POST", json={"ProductIds": ["a"]}).status_code
            == 200
        )
    else:
        with pytest.raises((ServerError, APIConnectionError)):
            send(mode, server, settings(Sleeps()), method="POST", json={"ProductIds": ["a"]})
    assert len(server.requests) == (2 if retried else 1)
    assert all(json.loads(r.content) == {"ProductIds": ["a"]} for r in server.requests)


@pytest.mark.parametrize("mode", MODES)
def test_read_errors_are_retried_for_requests_that_create_nothing(mode: str) -> None:
    server = Server(httpx.ReadTimeout("no answer"), httpx.Response(200))
    assert send(mode, server, settings(Sleeps())).status_code == 200
    assert len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_job_creating_flag_can_be_set_per_request_and_per_vendor(mode: str) -> None:
    # a token POST creates nothing: the request extension clears the flag
    server = Server(httpx.Response(502), httpx.Response(200))
    send(mode, server, settings(Sleeps()), method="POST", extensions={JOB_CREATING: False})
    assert len(server.requests) == 2
    # a GET that starts an export (WEBSALE-style): the extension sets it
    server = Server(httpx.Response(502), httpx.Response(200))
    with pytest.raises(ServerError):
        send(mode, server, settings(Sleeps()), extensions={JOB_CREATING: True})
    assert len(server.requests) == 1
    # a vendor rule: only .../report/* starts jobs
    facts = replace(FACTS, is_job_creating=lambda request: "/report/" in request.url.path)
    server = Server(httpx.Response(502), httpx.Response(200))
    send(
        mode,
        server,
        settings(Sleeps()),
        facts=facts,
        method="POST",
        url="https://shop.example/admin/api/v1/login",
    )
    assert len(server.requests) == 2
    with pytest.raises(ServerError):
        send(
            mode,
            Server(httpx.Response(502)),
            settings(Sleeps()),
            facts=facts,
            method="PUT",
            url="https://s/report/x",
        )


class StepClock:
    """A fake clock: sleeping advances it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.mark.parametrize("mode", MODES)
def test_the_limiter_is_asked_before_every_attempt(mode: str) -> None:
    clock = StepClock()
    limiter = QuotaLimiter([Quota(2, 60)], clock=clock, sleep=clock.sleep, async_sleep=clock.async_sleep)
    retry_sleeps = Sleeps()
    server = Server(httpx.Response(503), httpx.Response(200))
    send(mode, server, settings(retry_sleeps, limiter=limiter))  # two attempts: the quota is used up
    assert clock.sleeps == []
    send(mode, Server(httpx.Response(200)), settings(retry_sleeps, limiter=limiter))
    assert clock.sleeps == [60.0]
    assert retry_sleeps.waits == [0.5]


@pytest.mark.parametrize("mode", MODES)
def test_a_call_counts_against_the_quota_until_its_response_arrived(mode: str) -> None:
    clock = StepClock()
    limiter = QuotaLimiter([Quota(1, 60)], clock=clock, sleep=clock.sleep, async_sleep=clock.async_sleep)

    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 5.0  # the server may count the call as late as this
        return httpx.Response(200)

    send(mode, slow, settings(Sleeps(), limiter=limiter))
    send(mode, slow, settings(Sleeps(), limiter=limiter))
    assert clock.sleeps == [60.0]  # from t=5 to t=65; counting from the grant (t=0) would give 55


@pytest.mark.parametrize(
    ("build", "inner"),
    [
        (sync_httpx_args, httpx.AsyncHTTPTransport()),
        (async_httpx_args, httpx.HTTPTransport()),
    ],
)
def test_wrong_kind_of_inner_transport_is_a_configuration_error(build: Any, inner: Any) -> None:
    with pytest.raises(ConfigurationError, match="inner_transport"):
        build(FACTS, HttpSettings(inner_transport=inner))


@pytest.mark.parametrize("mode", MODES)
def test_no_credential_reaches_logs_or_errors(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="sellerkit")
    secret_url = f"https://api.example.com/v1/exports?id=7&access_token={TOKEN}&X-Amz-Signature={TOKEN}"
    server = Server(
        httpx.Response(503, headers={"Set-Cookie": f"session={TOKEN}"}),
        json_response(401, {"message": "bad key"}, **{"Set-Cookie": f"session={TOKEN}"}),
    )
    with pytest.raises(AuthenticationError) as raised:
        send(
            mode,
            server,
            settings(Sleeps()),
            url=secret_url,
            headers={"Authorization": f"Bearer {TOKEN}", "x-api-key": API_KEY, "Cookie": f"sid={TOKEN}"},
        )
    assert server.requests[0].headers["x-api-key"] == API_KEY  # the credentials were really sent
    loggers = {record.name for record in caplog.records}
    assert {"sellerkit.http", "sellerkit.retry"} <= loggers
    assert "access_token=***" in caplog.text and "'x-api-key': '***'" in caplog.text
    for text in (caplog.text, str(raised.value), repr(raised.value)):
        assert TOKEN not in text and API_KEY not in text


def test_successful_response_lines_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="sellerkit")
    send("sync", Server(httpx.Response(200, headers={"Set-Cookie": f"s={TOKEN}"})), settings(Sleeps()))
    lines = [r.getMessage() for r in caplog.records if r.name == "sellerkit.http"]
    assert lines[0].startswith(f"request GET {URL}")
    assert lines[1].startswith(f"response GET {URL} -> 200 OK")
    assert TOKEN not in caplog.text


WABI2B = VendorFacts("wabi2b", ErrorFacts("wabi2b"), quotas=(Quota(750, 300), Quota(15_000, 86_400)))
STATUS = {"seller": 1, "format": "json", "status": "Complete", "path": "https://x/tmp/a.json"}


def generated_client(mode: str, server: Server) -> AuthenticatedClient:
    config = HttpSettings(inner_transport=httpx.MockTransport(server), retry=RetryPolicy(max_attempts=1))
    args = sync_httpx_args(WABI2B, config) if mode == "sync" else async_httpx_args(WABI2B, config)
    return AuthenticatedClient(
        base_url="https://sandbox.sellerapi.mywabi2b.com/v1",
        token=TOKEN,
        prefix="",
        headers={"x-api-key": API_KEY},
        httpx_args=args,
    )


def call_status(
    mode: str, client: AuthenticatedClient
) -> GeneratedResponse[Wabi2bError | ProductsBulkDownloadStatus]:
    if mode == "sync":
        with client:
            return status_op.sync_detailed(client=client, call_back_code="cb-1")

    async def run() -> GeneratedResponse[Wabi2bError | ProductsBulkDownloadStatus]:
        async with client:
            return await status_op.asyncio_detailed(client=client, call_back_code="cb-1")

    return asyncio.run(run())


@pytest.mark.parametrize("mode", MODES)
def test_generated_client_raises_typed_errors_instead_of_decode_errors(mode: str) -> None:
    server = Server(httpx.Response(401, html="<html><title>Unauthorized</title></html>"))
    with pytest.raises(AuthenticationError, match="Unauthorized") as raised:
        call_status(mode, generated_client(mode, server))
    assert (
        raised.value.url
        == "https://sandbox.sellerapi.mywabi2b.com/v1/listProductsBulkDownload?callBackCode=cb-1"
    )
    # the generated client has no timeout of its own; the transport supplied the defaults
    assert server.requests[0].extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()


@pytest.mark.parametrize("mode", MODES)
def test_unwrap_returns_the_parsed_model(mode: str) -> None:
    response = call_status(mode, generated_client(mode, Server(json_response(200, STATUS))))
    status = unwrap(response, ProductsBulkDownloadStatus)
    assert status.path == "https://x/tmp/a.json"
    assert unwrap(response) is status


def generated(status: int, parsed: object, content: bytes = b"") -> GeneratedResponse[object]:
    return GeneratedResponse(status_code=HTTPStatus(status), content=content, headers={}, parsed=parsed)


def test_unwrap_rejects_a_wrong_or_missing_value() -> None:
    with pytest.raises(ApiError, match="expected ProductsBulkDownloadStatus"):
        unwrap(generated(200, Wabi2bError(message="odd")), ProductsBulkDownloadStatus)
    with pytest.raises(ApiError, match="no parsed value"):
        unwrap(generated(200, None))


def test_unwrap_raises_typed_errors_for_clients_without_the_transport() -> None:
    with pytest.raises(NotFoundError, match="gone") as raised:
        unwrap(generated(404, Wabi2bError(message="gone"), b'{"message": "gone"}'), errors=WABI2B.errors)
    assert raised.value.vendor == "wabi2b"
