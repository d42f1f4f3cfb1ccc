"""Auth strategies as `httpx.Auth`: static header keys, and login/OAuth2 bearer tokens with rotating refresh.

`TokenAuth` keeps every decision in one sans-I/O generator (`_flow`): it yields effects — send this request,
wait for that token request, load/save the store — and the sync and async drivers only perform them. Token
requests are yielded like any request, so httpx sends them through the same client and transport (timeouts,
retries, quotas, logging) without running the auth flow on them again.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

import httpx

from . import _aio
from .bodies import ErrorFacts
from .bodies import error_from_response as _error_from_response
from .errors import ApiError, AuthenticationError, ConfigurationError, SellerkitError
from .keys import HeaderAuth as HeaderAuth  # re-exported: every auth strategy importable from here
from .keys import HeaderValue as HeaderValue
from .redact import Secret, redact_url
from .tokens import RenewPolicy, TokenSet, TokenStore, parse_token_response
from .transport import JOB_CREATING, RETURN_ERRORS, TYPED_ERROR

if TYPE_CHECKING:  # imported on first use otherwise: sync programs don't pay for asyncio (see _aio)
    import asyncio

auth_log = logging.getLogger("sellerkit.auth")


_ROUNDS = 3
"""Token requests of other callers one request waits for before giving up (each may be interrupted)."""
_TOKEN_ERRORS = range(400, 600)


class TokenUnavailableError(SellerkitError):
    """No token for this request: the token requests it waited for (made by other calls) did not finish."""


# ---------------------------------------------------------------- token endpoints (vendor-supplied)


@dataclass(frozen=True, repr=False)
class Credentials:
    """A username (often an access key) and password, both kept as `Secret`s."""

    username: Secret
    password: Secret

    def __repr__(self) -> str:
        return "Credentials(username=***, password=***)"


@dataclass(frozen=True)
class TokenEndpoint:
    """How a vendor issues tokens: request builders and a response parser, supplied by the vendor overlay."""

    # login/refresh build absolute-URL requests; parse(response, now) raises ValueError naming (never quoting)
    # what is wrong; without refresh, an expired token is replaced by logging in again

    login: Callable[[Credentials], httpx.Request]
    refresh: Callable[[Secret], httpx.Request] | None = None
    parse: Callable[[httpx.Response, float], TokenSet] = parse_token_response


def oauth2_password_grant(
    token_url: str,
    *,
    client_id: str | None = None,
    client_secret: str | Secret | None = None,
    scope: str | None = None,
) -> TokenEndpoint:
    """RFC 6749 password grant and refresh, as form posts to `token_url` (client credentials in the form)."""
    secret = Secret(client_secret) if isinstance(client_secret, str) else client_secret

    def form(fields: dict[str, str]) -> httpx.Request:
        if client_id is not None:
            fields["client_id"] = client_id
        if secret is not None:
            fields["client_secret"] = secret.get()
        if scope is not None:
            fields["scope"] = scope
        return httpx.Request("POST", token_url, data=fields, headers={"Accept": "application/json"})

    def login(credentials: Credentials) -> httpx.Request:
        return form(
            {
                "grant_type": "password",
                "username": credentials.username.get(),
                "password": credentials.password.get(),
            }
        )

    def refresh(refresh_token: Secret) -> httpx.Request:
        return form({"grant_type": "refresh_token", "refresh_token": refresh_token.get()})

    return TokenEndpoint(login=login, refresh=refresh)


# ---------------------------------------------------------------- single flight


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Flight:
    """One token request in progress; whoever needs a token meanwhile waits for its outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.tokens: TokenSet | None = None
        self.error: Exception | None = None

    def finish(self, tokens: TokenSet | None, error: Exception | None) -> None:
        with self._lock:
            self.tokens, self.error = tokens, error
            self._done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that waiter's loop has closed meanwhile
                loop.call_soon_threadsafe(_wake, future)

    def wait(self, timeout: float) -> bool:
        return self._done.wait(timeout)

    async def wait_async(self, timeout: float) -> bool:
        import asyncio

        # a future per waiter instead of an asyncio.Lock: the leader may run on another thread or loop
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._done.is_set():
                return True
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True)
class _Lead:
    flight: _Flight
    stale: TokenSet | None
    load: bool


@dataclass(frozen=True)
class _Follow:
    flight: _Flight


class _TokenState:
    """The current token set and the flight replacing it; a threading lock guards bookkeeping, never I/O."""

    def __init__(self, tokens: TokenSet | None, *, loaded: bool) -> None:
        self._lock = threading.Lock()
        self.tokens = tokens
        self._stale = False
        self._loaded = loaded
        self._flight: _Flight | None = None

    def begin(self, now: float, policy: RenewPolicy) -> TokenSet | _Lead | _Follow:
        """Use the current tokens, wait for the flight in progress, or lead a new one."""
        with self._lock:
            if self._flight is not None:
                return _Follow(self._flight)
            tokens = self.tokens
            if tokens is not None and self._loaded and not self._stale and now < policy.renew_at(tokens):
                return tokens
            self._flight = _Flight()
            return _Lead(self._flight, tokens, load=not self._loaded)

    def loaded(self) -> None:
        """The store was read (by the leader of a flight): no later flight reads it again."""
        with self._lock:
            self._loaded = True

    def finish(self, flight: _Flight, tokens: TokenSet | None, error: Exception | None) -> None:
        """Install the flight's tokens (if any) and release everyone waiting for it."""
        with self._lock:
            if tokens is not None:
                self.tokens, self._stale = tokens, False
            if self._flight is flight:
                self._flight = None
        flight.finish(tokens, error)

    def invalidate(self, used: TokenSet) -> bool:
        """Mark `used` stale after a 401 unless it was replaced meanwhile; False if it was."""
        with self._lock:
            if self.tokens is not used:
                return False
            self._stale = True
            return True


# ---------------------------------------------------------------- effects the drivers perform


@dataclass(frozen=True)
class _Send:
    request: httpx.Request
    read: bool  # token responses are read whole before parsing; API responses stay unread (streaming)


@dataclass(frozen=True)
class _Wait:
    flight: _Flight


@dataclass(frozen=True)
class _Load:
    store: TokenStore


@dataclass(frozen=True)
class _Save:
    store: TokenStore
    tokens: TokenSet


_Effect = _Send | _Wait | _Load | _Save
_Flow = Generator[_Effect, object, None]


def _replayable(request: httpx.Request) -> bool:
    """Whether the body can be sent again: bytes, or a stream that was read into memory."""
    try:
        request.content  # noqa: B018 (raises for an unread stream)
    except httpx.RequestNotRead:
        return False
    return True


def _copy(error: Exception) -> Exception:
    """A follower's own copy of the leader's error (one exception object raised in many threads is messy)."""
    try:
        return copy.copy(error)
    except Exception:  # an exception type that cannot be copied: share it
        return error


class TokenAuth(httpx.Auth):
    """Bearer tokens from a vendor token endpoint: renewed early, single-flight, replayed once on a 401."""

    def __init__(
        self,
        endpoint: TokenEndpoint,
        *,
        vendor: str,
        username: str | Secret | None = None,
        password: str | Secret | None = None,
        refresh_token: str | Secret | None = None,
        store: TokenStore | None = None,
        scheme: str | None = None,
        renew: RenewPolicy | None = None,
        refresh_lifetime: float | None = None,
        clock: Callable[[], float] = time.time,
        wait_timeout: float = 600.0,
    ) -> None:
        self.vendor = vendor
        self._endpoint = endpoint
        self._credentials = _credentials(vendor, username, password)
        refresh = Secret(refresh_token) if isinstance(refresh_token, str) else refresh_token
        if refresh is not None and not refresh:
            raise ConfigurationError("refresh_token is empty: pass the refresh token, or leave it out")
        if refresh is not None and endpoint.refresh is None:
            raise ConfigurationError(f"{vendor} tokens cannot be refreshed: pass username= and password=")
        if self._credentials is None and refresh is None and store is None:
            raise ConfigurationError(
                f"{vendor} needs credentials: pass username= and password=, a refresh_token= or a store= "
                "holding tokens"
            )
        if wait_timeout <= 0:
            raise ConfigurationError("wait_timeout must be a positive number of seconds")
        self._seed = refresh  # used while no token set (from the store or a login) has a refresh token
        self._state = _TokenState(None, loaded=store is None)
        self._store = store
        self._scheme = scheme
        self._renew = renew or RenewPolicy()
        self._refresh_lifetime = refresh_lifetime
        self._clock = clock
        self._wait_timeout = wait_timeout
        self._errors = ErrorFacts(vendor)

    @property
    def tokens(self) -> TokenSet | None:
        """The current token set (None before the first token request)."""
        return self._state.tokens

    def __repr__(self) -> str:
        parts = [self.vendor]
        if self._credentials is not None:
            parts.append("username=*** password=***")
        if self._store is not None:
            parts.append(f"store={self._store!r}")
        return f"<{type(self).__name__} {' '.join(parts)}>"

    # ---- the drivers: I/O only

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self._flow(request)
        value: object = None
        error: Exception | None = None
        try:
            while True:
                try:
                    effect = flow.throw(error) if error is not None else flow.send(value)
                except StopIteration:
                    return
                value, error = None, None
                try:
                    if isinstance(effect, _Send):
                        response = yield effect.request
                        if effect.read:
                            response.read()
                        value = response
                    elif isinstance(effect, _Wait):
                        value = effect.flight.wait(self._wait_timeout)
                    elif isinstance(effect, _Load):
                        value = effect.store.load()
                    else:
                        effect.store.save(effect.tokens)
                except Exception as exc:
                    error = exc
        finally:
            flow.close()  # httpx closed us (a token request raised, or the task was cancelled)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        flow = self._flow(request)
        value: object = None
        error: Exception | None = None
        try:
            while True:
                try:
                    effect = flow.throw(error) if error is not None else flow.send(value)
                except StopIteration:
                    return
                value, error = None, None
                try:
                    if isinstance(effect, _Send):
                        response = yield effect.request
                        if effect.read:
                            await response.aread()
                        value = response
                    elif isinstance(effect, _Wait):
                        value = await effect.flight.wait_async(self._wait_timeout)
                    elif isinstance(effect, _Load):
                        # stores are sync (files, fsync): keep them off the event loop
                        value = await _aio.to_thread(effect.store.load)
                    else:
                        await _aio.to_thread(effect.store.save, effect.tokens)
                except Exception as exc:
                    error = exc
        finally:
            flow.close()

    # ---- the sans-I/O flow

    def _flow(self, request: httpx.Request) -> _Flow:
        """Authorize and send `request`; after a 401, once more with a new token if its body allows."""
        original = request.extensions.get(RETURN_ERRORS)  # statuses the caller handles itself
        request.extensions[RETURN_ERRORS] = (*(original or ()), 401)
        try:
            yield from self._authorized(request, own=tuple(original or ()))
        finally:  # the same Request may be sent again later: leave its extensions as they were
            if original is None:
                request.extensions.pop(RETURN_ERRORS, None)
            else:
                request.extensions[RETURN_ERRORS] = original

    def _authorized(self, request: httpx.Request, *, own: tuple[int, ...]) -> _Flow:
        replayable = _replayable(request)
        where = f"{self.vendor} {request.method} {redact_url(request.url)}"
        for attempt in (1, 2):
            tokens = yield from self._tokens_for(request)
            request.headers["Authorization"] = (
                f"{self._scheme or tokens.token_type} {tokens.access_token.get()}"
            )
            response = yield from self._send(request, read=False)
            if response.status_code != 401:
                return
            typed = response.extensions.get(TYPED_ERROR)
            error = typed if isinstance(typed, ApiError) else None
            if error is not None and not isinstance(error, AuthenticationError):
                raise error  # a throttle body sent with 401
            if not self._state.invalidate(tokens):
                auth_log.debug("%s: HTTP 401 with a token already replaced; using the current one", where)
            if attempt == 2 or not replayable:
                why = "after a new token" if attempt == 2 else "the body was a stream and is consumed"
                auth_log.debug("%s: HTTP 401, not sent again (%s)", where, why)
                if error is not None and 401 not in own:
                    raise error
                return  # the caller handles 401s, or a plain httpx transport: the response goes back
            auth_log.debug("%s: HTTP 401; sending once more with a new token", where)

    def _tokens_for(self, request: httpx.Request) -> Generator[_Effect, object, TokenSet]:
        for _ in range(_ROUNDS):
            step = self._state.begin(self._clock(), self._renew)
            if isinstance(step, TokenSet):
                return step
            if isinstance(step, _Lead):
                return (yield from self._lead(step, request))
            auth_log.debug("%s: waiting for the token request in flight", self.vendor)
            if not (yield _Wait(step.flight)):
                raise TokenUnavailableError(
                    f"waited {self._wait_timeout:g} s for another call's {self.vendor} token request"
                )
            if step.flight.tokens is not None:
                return step.flight.tokens
            if step.flight.error is not None:
                raise _copy(step.flight.error)
            # the leader was interrupted (its token request raised, or it was cancelled): try again
        raise TokenUnavailableError(
            f"{_ROUNDS} token requests of other {self.vendor} calls in a row did not finish (see their error)"
        )

    def _lead(self, step: _Lead, request: httpx.Request) -> Generator[_Effect, object, TokenSet]:
        try:
            tokens, stored = yield from self._obtain(step, request)
        except Exception as exc:
            self._state.finish(step.flight, None, exc)
            raise
        except BaseException:  # GeneratorExit/cancellation: followers try again themselves
            self._state.finish(step.flight, None, None)
            raise
        try:
            if self._store is not None and not stored:
                try:
                    yield _Save(self._store, tokens)
                except Exception as exc:  # the tokens work; only a restart will miss them
                    auth_log.warning(
                        "%s: could not save the new tokens to %r: %s", self.vendor, self._store, exc
                    )
        finally:
            self._state.finish(step.flight, tokens, None)
        return tokens

    def _obtain(
        self, step: _Lead, request: httpx.Request
    ) -> Generator[_Effect, object, tuple[TokenSet, bool]]:
        """New tokens (and whether they came from the store): stored, refreshed, or by logging in."""
        stale = step.stale
        if step.load and self._store is not None:
            stored = yield from self._load(self._store)
            self._state.loaded()
            if stored is not None:
                if self._clock() < self._renew.renew_at(stored):
                    auth_log.debug("%s: using the tokens from %r", self.vendor, self._store)
                    return stored, True
                stale = stored
        credentials = self._credentials
        refresh = stale.refresh_token if stale is not None and stale.refresh_token else self._seed
        if refresh is not None and self._endpoint.refresh is not None:
            if credentials is not None and stale is not None and stale.refresh_expired(self._clock()):
                auth_log.debug("%s: the refresh token has expired; logging in", self.vendor)
            else:
                auth_log.debug("%s: refreshing the access token", self.vendor)
                now = self._clock()
                response = yield from self._token_request(self._endpoint.refresh(refresh), request, once=True)
                if response.is_success:
                    return self._parse(response, now, stale), False
                error = self._token_error(response)
                if response.status_code not in (400, 401):
                    raise error
                if credentials is None:
                    raise self._rejected(
                        error,
                        f"{self.vendor} rejected the refresh token and no username/password is configured: "
                        "pass username= and password= or a fresh refresh token",
                    ) from error
                auth_log.debug("%s: refresh token rejected (HTTP %d); logging in", self.vendor, error.status)
        if credentials is None:
            raise ConfigurationError(
                f"{self.vendor} has no usable token and no username/password: pass username= and password= "
                "or a fresh refresh token"
            )
        auth_log.debug("%s: logging in", self.vendor)
        now = self._clock()
        response = yield from self._token_request(self._endpoint.login(credentials), request, once=False)
        if response.is_success:
            return self._parse(response, now, None), False
        error = self._token_error(response)
        if response.status_code in (400, 401):
            raise self._rejected(error, f"{self.vendor} rejected the username/password") from error
        raise error

    # ---- small steps

    def _send(self, request: httpx.Request, *, read: bool) -> Generator[_Effect, object, httpx.Response]:
        return cast(httpx.Response, (yield _Send(request, read)))

    def _load(self, store: TokenStore) -> Generator[_Effect, object, TokenSet | None]:
        try:
            loaded = yield _Load(store)
        except Exception as exc:  # an unreadable store is an empty one: log in or refresh instead
            auth_log.warning("%s: could not load tokens from %r: %s", self.vendor, store, exc)
            return None
        return loaded if isinstance(loaded, TokenSet) else None

    def _token_request(
        self, token_request: httpx.Request, request: httpx.Request, *, once: bool
    ) -> Generator[_Effect, object, httpx.Response]:
        """Send a token request through the client; `once`: never re-sent (a refresh token works once)."""
        if not token_request.url.is_absolute_url:
            raise ConfigurationError(
                f"{self.vendor} token requests need an absolute URL, not {token_request.url}"
            )
        token_request.extensions[RETURN_ERRORS] = _TOKEN_ERRORS
        token_request.extensions[JOB_CREATING] = once
        if "timeout" in request.extensions and "timeout" not in token_request.extensions:
            token_request.extensions["timeout"] = request.extensions["timeout"]  # the client's timeouts
        return (yield from self._send(token_request, read=True))

    def _parse(self, response: httpx.Response, now: float, previous: TokenSet | None) -> TokenSet:
        try:
            tokens = self._endpoint.parse(response, now)
        except (ValueError, TypeError, KeyError) as exc:
            raise ApiError(
                f"unusable {self.vendor} token response: {exc}",
                vendor=self.vendor,
                status=response.status_code,
                method=response.request.method,
                url=response.request.url,
            ) from None
        if tokens.refresh_token is None and previous is not None and previous.refresh_token is not None:
            # a server that does not rotate keeps the old refresh token valid
            tokens = replace(
                tokens, refresh_token=previous.refresh_token, refresh_expires_at=previous.refresh_expires_at
            )
        elif (
            tokens.refresh_token is not None and tokens.refresh_expires_at is None and self._refresh_lifetime
        ):
            tokens = replace(tokens, refresh_expires_at=now + self._refresh_lifetime)
        return tokens

    def _token_error(self, response: httpx.Response) -> ApiError:
        error = response.extensions.get(TYPED_ERROR)
        return error if isinstance(error, ApiError) else _error_from_response(response, self._errors)

    @staticmethod
    def _rejected(error: ApiError, message: str) -> AuthenticationError:
        return AuthenticationError(
            message,
            vendor=error.vendor,
            status=error.status,
            code=error.code,
            vendor_message=error.vendor_message,
            request_id=error.request_id,
            method=error.method,
            url=error.url,
        )


def _credentials(
    vendor: str, username: str | Secret | None, password: str | Secret | None
) -> Credentials | None:
    if username is None and password is None:
        return None
    if not username or not password:
        missing = "password" if username else "username"
        raise ConfigurationError(f"{vendor} login needs both username= and password=; {missing} is missing")
    return Credentials(
        username if isinstance(username, Secret) else Secret(username),
        password if isinstance(password, Secret) else Secret(password),
    )
