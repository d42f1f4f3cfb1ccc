"""Login/refresh bearer tokens as an `httpx.Auth`: renewed early, single-flight, replayed once on a 401.

`TokenAuth` keeps every decision in one sans-I/O generator (`_flow`): it yields effects — send this request,
wait for that token request, load/save the store (`flow.py`) — and the sync and async drivers only perform
them. Token requests are yielded like any request, so httpx sends them through the same client and transport
(timeouts, retries, quotas, logging) without running the auth flow on them again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass, replace
from typing import cast

import httpx

from .. import _aio
from ..bodies import ErrorFacts
from ..bodies import error_from_response as _error_from_response
from ..errors import ApiError, AuthenticationError, ConfigurationError
from ..errors import TokenUnavailableError as TokenUnavailableError  # defined with the public hierarchy
from ..redact import Secret, redact_url
from ..transport import JOB_CREATING, RETURN_ERRORS, TYPED_ERROR
from .flow import _copy, _Effect, _Flow, _Lead, _Load, _replayable, _Save, _Send, _TokenState, _Wait
from .store import RenewPolicy, TokenSet, TokenStore, parse_token_response

auth_log = logging.getLogger("sellerkit.auth")

_ROUNDS = 3
"""Token requests of other callers one request waits for before giving up (each may be interrupted)."""
_TOKEN_ERRORS = range(400, 600)


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
        single_use_refresh: bool = False,
        credential_names: tuple[str, str] = ("username/password", "username= and password="),
    ) -> None:
        self.vendor = vendor
        # how errors name the login credentials: as the user passed them to the vendor's client
        self._names, self._params = credential_names
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
        # digests of the refresh tokens already presented (single_use_refresh): never presented again
        self._presented: set[str] | None = set() if single_use_refresh else None

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
            spent = self._presented is not None and _digest(refresh) in self._presented
            if credentials is not None and stale is not None and stale.refresh_expired(self._clock()):
                auth_log.debug("%s: the refresh token has expired; logging in", self.vendor)
            elif spent and credentials is not None:
                # its answer never came (a dropped connection, a 5xx): the server may have used it up, and
                # servers that detect a reused refresh token revoke the whole chain
                auth_log.debug("%s: the refresh token was presented once already; logging in", self.vendor)
            else:
                if self._presented is not None:
                    self._presented.add(_digest(refresh))
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
                        f"{self.vendor} rejected the refresh token and no {self._names} is configured: "
                        f"pass {self._params} or a fresh refresh token",
                    ) from error
                auth_log.debug("%s: refresh token rejected (HTTP %d); logging in", self.vendor, error.status)
        if credentials is None:
            raise ConfigurationError(
                f"{self.vendor} has no usable token and no {self._names}: pass {self._params} "
                "or a fresh refresh token"
            )
        auth_log.debug("%s: logging in", self.vendor)
        now = self._clock()
        response = yield from self._token_request(self._endpoint.login(credentials), request, once=False)
        if response.is_success:
            return self._parse(response, now, None), False
        error = self._token_error(response)
        if response.status_code in (400, 401):
            raise self._rejected(error, f"{self.vendor} rejected the {self._names}") from error
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
            error = ApiError.about(
                f"unusable {self.vendor} token response: {exc}", vendor=self.vendor, response=response
            )
            error.response = None  # its body may hold tokens: keep it out of the exception
            raise error from None
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


def _digest(token: Secret) -> str:
    return hashlib.sha256(token.get().encode()).hexdigest()


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
