"""Auth flows on `httpx.MockTransport`: header keys, token-request wiring, the transport's 401 hand-back."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from sellerkit._core.auth import (
    CallbackTokenStore,
    HeaderAuth,
    TokenAuth,
    TokenEndpoint,
    TokenSet,
    TokenUnavailableError,
    oauth2_password_grant,
)
from sellerkit._core.bodies import ErrorFacts, reset_time_throttle
from sellerkit._core.errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    RateLimitedError,
    ServerError,
)
from sellerkit._core.redact import Secret
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.transport import (
    JOB_CREATING,
    RETURN_ERRORS,
    TYPED_ERROR,
    HttpSettings,
    VendorFacts,
    async_httpx_args,
    sync_httpx_args,
)

MODES = ["sync", "async"]
API = "https://api.example.com/v1/things"
TOKEN_URL = "https://auth.example.com/token"
FACTS = VendorFacts(
    "acme", ErrorFacts("acme", throttle=reset_time_throttle("RateLimitResetTime", clock=lambda: 0.0))
)
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class TokenServer:
    """A scripted token endpoint and API: tokens `at-N` / `rt-N`; the API takes only the newest token."""

    rotate: bool = True
    api_status: int | None = None  # force this status on the API
    token_status: int | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    issued: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/token":
            if self.token_status is not None:
                error = {"error": "invalid_grant", "error_description": "Nope."}
                return httpx.Response(self.token_status, json=error)
            self.issued += 1
            body: dict[str, object] = {"access_token": f"at-{self.issued}", "expires_in": 3600}
            if self.rotate or self.issued == 1:
                body["refresh_token"] = f"rt-{self.issued}"
            return httpx.Response(200, json=body)
        if self.api_status is not None:
            return httpx.Response(self.api_status, json={"message": "Forced."})
        good = request.headers.get("authorization") == f"Bearer at-{self.issued}"
        return httpx.Response(200 if good else 401, json={"message": "ok" if good else "Bad token."})

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


def settings(**changes: Any) -> HttpSettings:
    async def no_sleep(seconds: float) -> None:
        return None

    fields: dict[str, Any] = {
        "retry": RetryPolicy(jitter=False),
        "sleep": lambda s: None,
        "async_sleep": no_sleep,
    }
    return HttpSettings(**(fields | changes))


def send(
    mode: str,
    auth: httpx.Auth,
    handler: Handler,
    *,
    wired: bool = True,
    client: dict[str, Any] | None = None,
    **request: Any,
) -> httpx.Response:
    """One request through an httpx client with `auth`: sellerkit-wired (or a plain MockTransport)."""
    request = {"method": "GET", "url": API} | request
    mock = httpx.MockTransport(handler)
    if mode == "sync":
        args = sync_httpx_args(FACTS, settings(inner_transport=mock)) if wired else {"transport": mock}
        with httpx.Client(auth=auth, **args, **(client or {})) as sync_client:
            return sync_client.request(**request)

    async def run() -> httpx.Response:
        args = async_httpx_args(FACTS, settings(inner_transport=mock)) if wired else {"transport": mock}
        async with httpx.AsyncClient(auth=auth, **args, **(client or {})) as async_client:
            return await async_client.request(**request)

    return asyncio.run(run())


def token_auth(**kwargs: Any) -> TokenAuth:
    options: dict[str, Any] = {"vendor": "acme", "username": "user-1", "password": "pa55-5ecr3t"}
    return TokenAuth(oauth2_password_grant(TOKEN_URL), **(options | kwargs))


def echo(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=dict(request.headers))


# ---------------------------------------------------------------- static header keys


@pytest.mark.parametrize("mode", MODES)
def test_header_auth_sets_raw_and_prefixed_values_and_asks_callables_on_every_request(mode: str) -> None:
    minted = iter(["jwt-1", "jwt-2"])
    raw = HeaderAuth({"Authorization": lambda: next(minted), "x-api-key": Secret("key-5ecr3t")})
    assert send(mode, raw, echo).json()["authorization"] == "jwt-1"
    headers = send(mode, raw, echo, wired=False).json()
    assert (headers["authorization"], headers["x-api-key"]) == ("jwt-2", "key-5ecr3t")
    bearer = HeaderAuth({"Authorization": "key-5ecr3t", "X-Seller": "s-1"}, scheme="Bearer")
    headers = send(mode, bearer, echo).json()
    assert (headers["authorization"], headers["x-seller"]) == ("Bearer key-5ecr3t", "s-1")


@pytest.mark.parametrize("mode", MODES)
def test_a_header_callable_returning_nothing_is_a_configuration_error(mode: str) -> None:
    with pytest.raises(ConfigurationError, match="Authorization header returned no value"):
        send(mode, HeaderAuth({"Authorization": lambda: ""}), echo)


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "at least one header"), ({"x-api-key": ""}, "x-api-key header value is empty"), ({"a": 5}, "str")],
)
def test_header_auth_rejects_bad_values_up_front(headers: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        HeaderAuth(headers)


def test_header_auth_repr_shows_names_only() -> None:
    text = repr(HeaderAuth({"Authorization": "key-5ecr3t", "x-api-key": lambda: "k"}, scheme="Bearer"))
    assert text == "<HeaderAuth Authorization=*** x-api-key=*** scheme=Bearer>"


# ---------------------------------------------------------------- the transport hands back what auth handles


@pytest.mark.parametrize("mode", MODES)
def test_a_flagged_status_comes_back_read_with_its_typed_error(mode: str) -> None:
    body = gzip.compress(json.dumps({"message": "Token expired."}).encode())

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, content=body, headers={"Content-Encoding": "gzip", "X-Request-Id": "r-1"})

    response = send(mode, httpx.Auth(), handler, extensions={RETURN_ERRORS: (401,)})
    assert response.status_code == 401 and response.json() == {"message": "Token expired."}
    error = response.extensions[TYPED_ERROR]
    assert isinstance(error, AuthenticationError)
    assert (error.vendor_message, error.request_id, error.url) == ("Token expired.", "r-1", API)
    with pytest.raises(AuthenticationError):  # unflagged: raised as before
        send(mode, httpx.Auth(), handler)


@pytest.mark.parametrize("mode", MODES)
def test_a_flagged_status_is_still_retried_first(mode: str) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"message": "Busy."})

    response = send(mode, httpx.Auth(), handler, extensions={RETURN_ERRORS: (503,)})
    assert response.status_code == 503 and len(calls) == 5
    assert isinstance(response.extensions[TYPED_ERROR], ServerError)


# ---------------------------------------------------------------- token auth: wiring and configuration


@pytest.mark.parametrize("mode", MODES)
def test_token_requests_carry_the_clients_timeouts_and_never_the_auth_flow(mode: str) -> None:
    server = TokenServer()
    auth = token_auth()
    assert send(mode, auth, server, client={"timeout": 7.0}).status_code == 200
    login, api = server.requests
    assert login.url == TOKEN_URL and "authorization" not in login.headers
    assert login.extensions["timeout"] == {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    assert login.extensions[JOB_CREATING] is False  # a login may be sent again after a 5xx
    assert set(login.extensions[RETURN_ERRORS]) >= {400, 401, 500}
    assert dict(httpx.QueryParams(login.content.decode())) == {
        "grant_type": "password",
        "username": "user-1",
        "password": "pa55-5ecr3t",
    }
    assert api.headers["authorization"] == "Bearer at-1"
    assert auth.tokens is not None
    token_auth_refresh = TokenAuth(oauth2_password_grant(TOKEN_URL), vendor="acme", refresh_token="rt-0")
    send(mode, token_auth_refresh, server)
    refresh = server.requests[2]
    assert refresh.extensions[JOB_CREATING] is True  # a refresh token works once: never re-sent
    assert dict(httpx.QueryParams(refresh.content.decode())) == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-0",
    }


@pytest.mark.parametrize("mode", MODES)
def test_the_oauth2_form_carries_client_credentials_and_scope(mode: str) -> None:
    server = TokenServer()
    endpoint = oauth2_password_grant(TOKEN_URL, client_id="app", client_secret="cs-5ecr3t", scope="read")
    send(mode, TokenAuth(endpoint, vendor="acme", username="u", password="p"), server)
    form = dict(httpx.QueryParams(server.requests[0].content.decode()))
    assert (form["client_id"], form["client_secret"], form["scope"]) == ("app", "cs-5ecr3t", "read")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": None, "password": None}, "pass username= and password=, a refresh_token= or a store="),
        ({"password": None}, "password is missing"),
        ({"username": ""}, "username is missing"),
        ({"refresh_token": ""}, "refresh_token is empty"),
        ({"wait_timeout": 0}, "wait_timeout"),
    ],
)
def test_token_auth_configuration_errors_name_the_fix(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        token_auth(**kwargs)


def test_a_login_only_endpoint_takes_no_refresh_token() -> None:
    endpoint = TokenEndpoint(login=lambda c: httpx.Request("POST", TOKEN_URL))
    with pytest.raises(ConfigurationError, match="cannot be refreshed"):
        TokenAuth(endpoint, vendor="acme", refresh_token="rt")


@pytest.mark.parametrize("mode", MODES)
def test_a_relative_token_url_is_a_configuration_error(mode: str) -> None:
    auth = TokenAuth(oauth2_password_grant("/token"), vendor="acme", username="u", password="p")
    with pytest.raises(ConfigurationError, match="absolute URL"):
        send(mode, auth, TokenServer())


@pytest.mark.parametrize("mode", MODES)
def test_an_unusable_token_response_is_an_api_error_quoting_nothing(mode: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"token_type": "bearer", "refresh_token": "rt-5ecr3t"})

    with pytest.raises(
        ApiError, match="unusable acme token response: the token response has no access_token"
    ):
        send(mode, token_auth(), handler)


@pytest.mark.parametrize("mode", MODES)
def test_a_throttle_body_sent_with_401_is_a_rate_limit_not_a_token_problem(mode: str) -> None:
    server = TokenServer()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return server(request)
        return httpx.Response(401, json={"Error": "Too many requests.", "RateLimitResetTime": "1970-01-01"})

    with pytest.raises(RateLimitedError):
        send(mode, token_auth(), handler)
    assert server.issued == 1  # no new token for it


@pytest.mark.parametrize("mode", MODES)
def test_a_caller_that_handles_401_itself_gets_the_final_401_back(mode: str) -> None:
    server = TokenServer(api_status=401)
    response = send(mode, token_auth(), server, extensions={RETURN_ERRORS: (401,)})
    assert response.status_code == 401 and server.paths() == ["/token", "/v1/things", "/token", "/v1/things"]


@pytest.mark.parametrize("mode", MODES)
def test_the_same_request_sent_twice_raises_its_final_401_both_times(mode: str) -> None:
    server = TokenServer(api_status=401)
    auth = token_auth()
    mock = httpx.MockTransport(server)
    request = httpx.Request("GET", API)
    if mode == "sync":
        with httpx.Client(auth=auth, **sync_httpx_args(FACTS, settings(inner_transport=mock))) as client:
            for _ in range(2):
                with pytest.raises(AuthenticationError, match="Forced"):
                    client.send(request)
    else:

        async def run() -> None:
            args = async_httpx_args(FACTS, settings(inner_transport=mock))
            async with httpx.AsyncClient(auth=auth, **args) as client:
                for _ in range(2):
                    with pytest.raises(AuthenticationError, match="Forced"):
                        await client.send(request)

        asyncio.run(run())
    assert RETURN_ERRORS not in request.extensions  # the flow left the caller's request as it was
    assert server.paths().count("/v1/things") == 4


@pytest.mark.parametrize("mode", MODES)
def test_on_a_plain_httpx_transport_401s_are_replayed_once_and_then_returned(mode: str) -> None:
    server = TokenServer(api_status=401)
    response = send(mode, token_auth(), server, wired=False)
    assert response.status_code == 401 and server.issued == 2
    server = TokenServer(token_status=400)
    with pytest.raises(AuthenticationError, match="rejected the username/password") as raised:
        send(mode, token_auth(), server, wired=False)
    assert raised.value.vendor_message == "Nope."


@pytest.mark.parametrize("mode", MODES)
def test_a_server_that_does_not_rotate_keeps_the_first_refresh_token(mode: str) -> None:
    clock = [0.0]
    server = TokenServer(rotate=False)
    auth = token_auth(clock=lambda: clock[0])
    send(mode, auth, server)
    clock[0] = 3600.0
    send(mode, auth, server)
    assert auth.tokens is not None and auth.tokens.refresh_token == Secret("rt-1")
    assert server.paths().count("/token") == 2


# ---------------------------------------------------------------- stores


@pytest.mark.parametrize("mode", MODES)
def test_the_store_is_read_once_and_tokens_from_it_are_not_saved_back(mode: str) -> None:
    loads: list[int] = []
    saved: list[TokenSet] = []
    stored = TokenSet(Secret("at-1"), expires_at=1e12, refresh_token=Secret("rt-1"))

    def load() -> TokenSet:
        loads.append(1)
        return stored

    auth = token_auth(store=CallbackTokenStore(saved.append, load))
    server = TokenServer(issued=1)
    for _ in range(3):
        send(mode, auth, server)
    assert (loads, saved, server.paths().count("/token")) == ([1], [], 0)


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_store_is_logged_and_the_call_goes_on(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object) -> None:
        raise OSError("read-only file system")

    auth = token_auth(store=CallbackTokenStore(broken, broken))
    with caplog.at_level(logging.WARNING, logger="sellerkit.auth"):
        assert send(mode, auth, TokenServer()).status_code == 200
    assert "could not load tokens" in caplog.text and "could not save the new tokens" in caplog.text
    assert "pa55-5ecr3t" not in caplog.text and "at-1" not in caplog.text


# ---------------------------------------------------------------- waiting is bounded


@pytest.fixture
def auth_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG, logger="sellerkit.auth"):
        yield caplog


def waiting(caplog: pytest.LogCaptureFixture) -> bool:
    return any("waiting for the token request" in r.getMessage() for r in caplog.records)


def test_a_sync_waiter_gives_up_after_wait_timeout(auth_log: pytest.LogCaptureFixture) -> None:
    entered, release = threading.Event(), threading.Event()
    server = TokenServer()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            entered.set()
            release.wait(5)
        return server(request)

    auth = token_auth(wait_timeout=0.05)
    led: list[httpx.Response] = []
    leader = threading.Thread(target=lambda: led.append(send("sync", auth, handler)))
    leader.start()
    try:
        assert entered.wait(5)  # the leader's token request is in flight
        with pytest.raises(
            TokenUnavailableError, match=r"waited 0\.05 s for another call's acme token request"
        ):
            send("sync", auth, handler)
        assert waiting(auth_log)
    finally:
        release.set()
        leader.join(5)
    assert [r.status_code for r in led] == [200] and server.issued == 1


def test_an_async_waiter_gives_up_after_wait_timeout(auth_log: pytest.LogCaptureFixture) -> None:
    server = TokenServer()

    async def run() -> None:
        entered, release = asyncio.Event(), asyncio.Event()

        async def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/token":
                entered.set()
                await asyncio.wait_for(release.wait(), 5)
            return server(request)

        auth = token_auth(wait_timeout=0.05)
        mock = httpx.MockTransport(handler)
        async with httpx.AsyncClient(
            auth=auth, **async_httpx_args(FACTS, settings(inner_transport=mock))
        ) as c:
            leader = asyncio.create_task(c.get(API))
            await asyncio.wait_for(entered.wait(), 5)  # the leader's token request is in flight
            with pytest.raises(TokenUnavailableError, match=r"waited 0\.05 s"):
                await c.get(API)
            release.set()
            assert (await leader).status_code == 200

    asyncio.run(run())
    assert waiting(auth_log) and server.issued == 1
