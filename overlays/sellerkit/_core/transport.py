"""The transports every generated client goes through: quota → send → retry → typed error."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from . import _aio
from .bodies import MAX_ERROR_BODY, ErrorFacts, build_error, throttle_wait
from .errors import APIConnectionError, ApiError, APITimeoutError, ConfigurationError
from .quota import Quota, QuotaLimiter
from .redact import redact_headers, redact_url
from .retry import Decision, RetryPolicy, explain
from .runtime import deadline
from .waits import announce

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
JOB_CREATING = "sellerkit.job_creating"
"""Request extension that overrides `VendorFacts.is_job_creating` for one request (True or False)."""
RETURN_ERRORS = "sellerkit.return_errors"
"""Request extension: statuses (a container of ints) whose final error response is returned, not raised.

The returned response has its body read and the typed error the transport would have raised in
`response.extensions[TYPED_ERROR]`. Auth flows use it: httpx hands an `httpx.Auth` only responses, so a raised
401 could never be answered with a fresh token and a replay."""
TYPED_ERROR = "sellerkit.error"
"""Response extension: the typed error of a response returned because of `RETURN_ERRORS`."""
MAX_ATTEMPTS = "sellerkit.max_attempts"
"""Request extension: attempts after a transport error (no answer) instead of the policy's. 1: the caller
owns those retries, as the downloader does with its restarts, so the two never multiply; retryable
statuses (429, 503, ...) are still retried here, under the policy, before any body is read."""
UNCOUNTED = "sellerkit.uncounted"
"""Request extension: True keeps the request out of the client's quotas (a result file the vendor's quotas
don't count, see `VendorFacts.quota_counts_files`)."""
BODY_ERROR = "sellerkit.body_error"
"""Response extension: `(httpx.TransportError) -> APIConnectionError`, how this transport types an error
raised while the body is read. The downloader reads large bodies beneath httpx (`network_stream`) and types
its own read errors with it, exactly as the wrapped stream would."""

http_log = logging.getLogger("sellerkit.http")
retry_log = logging.getLogger("sellerkit.retry")


def is_post(request: httpx.Request) -> bool:
    """The default job-creating test: a POST may start something at the vendor."""
    return request.method.upper() == "POST"


@dataclass(frozen=True)
class VendorFacts:
    """What the transports need to know about one vendor."""

    name: str
    errors: ErrorFacts
    quotas: tuple[Quota, ...] = ()
    is_job_creating: Callable[[httpx.Request], bool] = is_post
    # a vendor whose throttle body may come with a 2xx status: small JSON 2xx bodies are checked for it
    throttle_on_success: bool = False
    # whether its quotas count result-file downloads from the API's own host (False: the spec's x-quotas
    # name only API operations)
    quota_counts_files: bool = True


@dataclass(frozen=True)
class HttpSettings:
    """Per-client knobs; `sleep`/`async_sleep` are injectable so tests never really wait."""

    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    limiter: QuotaLimiter | None = None
    inner_transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None
    sleep: Callable[[float], object] = time.sleep
    async_sleep: Callable[[float], Awaitable[object]] = _aio.sleep
    max_wait: float | None = None
    """The longest single wait before a retry (throttle, Retry-After); longer: the typed error at once."""
    wall_clock: Callable[[], float] = time.time


def _apply_default_timeouts(request: httpx.Request, default: httpx.Timeout) -> dict[str, float | None]:
    """Fill every phase the client left unlimited (generated clients default to no timeout at all); the
    result is what each attempt starts from (`_clip` fits it to the call's deadline)."""
    current = request.extensions.get("timeout") or {}
    timeouts = {
        phase: current[phase] if current.get(phase) is not None else getattr(default, phase)
        for phase in ("connect", "read", "write", "pool")
    }
    request.extensions["timeout"] = timeouts
    return timeouts


def _clip(request: httpx.Request, timeouts: dict[str, float | None]) -> None:
    """Every phase of this attempt ends by the call's deadline (a retry never gets more than is left)."""
    limit = deadline()
    if limit is not None:
        left = max(limit.remaining(), 0.001)
        request.extensions["timeout"] = {
            phase: left if value is None else min(value, left) for phase, value in timeouts.items()
        }


class _Attempts:
    """Retry bookkeeping for one request, shared by the sync and async transports."""

    def __init__(self, facts: VendorFacts, settings: HttpSettings, request: httpx.Request) -> None:
        self.facts, self.settings, self.request = facts, settings, request
        limit = request.extensions.get(MAX_ATTEMPTS)
        self.policy = settings.retry
        self.error_policy = (
            self.policy if limit is None else replace(self.policy, max_attempts=max(1, int(limit)))
        )
        self.attempt = 0
        self.waited = 0.0
        self.refused: str | None = None  # why a wait the server asked for was not taken (max_wait)

    @functools.cached_property
    def job_creating(self) -> bool:
        """Whether the request may start something at the vendor (asked only when a retry is considered)."""
        flag = self.request.extensions.get(JOB_CREATING)
        return bool(flag) if flag is not None else self.facts.is_job_creating(self.request)

    def after_error(self, error: httpx.TransportError) -> float | None:
        """Seconds to wait before re-sending after a transport error, or None to give up."""
        return self._decide(type(error).__name__, error=error)

    def connection_error(self, error: httpx.TransportError) -> APIConnectionError:
        """The typed error for the transport error that ended the retries (raise it `from error`)."""
        return connection_error(self.facts.name, self.request, self.attempt, error)

    def after_response(self, response: httpx.Response, content: bytes) -> tuple[ApiError, float | None]:
        """The typed error for an error response, and the seconds to wait before re-sending (None: raise)."""
        reset = throttle_wait(response, self.facts.errors, content)
        error = build_error(
            self.facts.errors,
            status=response.status_code,
            headers=response.headers,
            content=content,
            method=self.request.method,
            url=self.request.url,
            throttle_wait=reset,
            response=response,
        )
        status = response.status_code
        return error, self._decide(
            f"HTTP {status}", status=status, headers=response.headers, throttle_wait=reset
        )

    def _decide(self, outcome: str, **outcome_fields: Any) -> float | None:
        decision = explain(
            self.error_policy if outcome_fields.get("error") is not None else self.policy,
            attempt=self.attempt,
            waited=self.waited,
            method=self.request.method,
            job_creating=self.job_creating,
            now=self.settings.wall_clock(),  # HTTP dates on the client's wall clock (the runtime's)
            **outcome_fields,
        )
        where = f"{self.facts.name} {self.request.method} {redact_url(self.request.url)}"
        decision = self._bounded(decision)
        if decision.wait is None:
            retry_log.debug(
                "%s: %s on attempt %d, giving up: %s", where, outcome, self.attempt, decision.reason
            )
        else:
            self.waited += decision.wait
            retry_log.debug(
                "%s: %s on attempt %d, retrying in %.3f s (%s)",
                where,
                outcome,
                self.attempt,
                decision.wait,
                decision.reason,
            )
        if decision.wait is not None:
            announce(
                f"{where}: {outcome}, retrying ({decision.reason})",
                decision.wait,
                wall_clock=self.settings.wall_clock,
            )
        return decision.wait

    def _bounded(self, decision: Decision) -> Decision:
        """No single wait past `max_wait`, and none past the call's deadline: the typed error instead."""
        wait = decision.wait
        if wait is None:
            return decision
        max_wait = self.settings.max_wait
        if max_wait is not None and wait > max_wait:
            self.refused = f"the {decision.reason} wait of {wait:.0f} s is longer than max_wait={max_wait:g}"
            return Decision(None, self.refused)
        limit = deadline()
        if limit is not None and wait >= limit.remaining():
            return Decision(
                None, f"{decision.reason} {wait:.1f} s would pass the {limit.seconds:g} s deadline"
            )
        return decision


def _read_head(response: httpx.Response) -> bytes:
    """Up to MAX_ERROR_BODY (+ one chunk) bytes of an error body, then close it; a broken body reads short."""
    head = bytearray()
    try:
        for chunk in response.iter_bytes():
            head += chunk
            if len(head) > MAX_ERROR_BODY:
                break
    except (httpx.HTTPError, httpx.StreamError):
        pass  # the status alone still makes a typed error
    finally:
        response.close()
    return bytes(head)


async def _aread_head(response: httpx.Response) -> bytes:
    """`_read_head` for async responses."""
    head = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) > MAX_ERROR_BODY:
                break
    except (httpx.HTTPError, httpx.StreamError):
        pass
    finally:
        await response.aclose()
    return bytes(head)


_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _returned(
    request: httpx.Request, response: httpx.Response, head: bytes, error: ApiError
) -> httpx.Response:
    """The final error response with its (decoded) body and typed error, for a request that handles it."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    extensions = {**response.extensions, TYPED_ERROR: error}
    return httpx.Response(
        response.status_code, headers=headers, content=head, request=request, extensions=extensions
    )


MAX_THROTTLE_PROBE = 4096


def _may_be_throttle(facts: VendorFacts, response: httpx.Response) -> bool:
    """A 2xx answer small and JSON enough to be the vendor's throttle body (never a streamed file)."""
    if not facts.throttle_on_success or facts.errors.throttle is None:
        return False  # most vendors: no header lookups on every response
    length = response.headers.get("content-length", "")
    return (
        "json" in response.headers.get("content-type", "")
        and length.isdigit()
        and int(length) <= MAX_THROTTLE_PROBE
    )


def _with_body(request: httpx.Request, response: httpx.Response, content: bytes) -> httpx.Response:
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=content,
        request=request,
        # its connection is back in the pool (or closed): its network stream is no longer this body's
        extensions={k: v for k, v in response.extensions.items() if k != "network_stream"},
    )


def connection_error(
    vendor: str, request: httpx.Request, attempts: int, error: httpx.TransportError
) -> APIConnectionError:
    """`APITimeoutError` for an httpx timeout, else `APIConnectionError`, naming `request` (URL redacted)."""
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        what = f"could not connect to {vendor}"
    elif isinstance(error, httpx.TimeoutException):
        what = f"{vendor} did not answer in time"
    else:
        what = f"lost the connection to {vendor}"
    detail = " ".join(str(error).split())[:300]
    cause = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
    return kind(f"{what}: {cause}", vendor=vendor, method=request.method, url=request.url, attempts=attempts)


class _TypedStream(httpx.SyncByteStream):
    """A response body whose transport errors (a connection dropped mid-body, a read timeout) are typed."""

    def __init__(
        self, inner: httpx.SyncByteStream, vendor: str, request: httpx.Request, attempts: int
    ) -> None:
        self._inner, self._vendor, self._request, self._attempts = inner, vendor, request, attempts

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._inner
        except httpx.TransportError as exc:
            raise self.typed(exc) from exc

    def typed(self, exc: httpx.TransportError) -> APIConnectionError:
        return connection_error(self._vendor, self._request, self._attempts, exc)

    def close(self) -> None:
        self._inner.close()


class _AsyncTypedStream(httpx.AsyncByteStream):
    """`_TypedStream` for async responses."""

    def __init__(
        self, inner: httpx.AsyncByteStream, vendor: str, request: httpx.Request, attempts: int
    ) -> None:
        self._inner, self._vendor, self._request, self._attempts = inner, vendor, request, attempts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except httpx.TransportError as exc:
            raise self.typed(exc) from exc

    def typed(self, exc: httpx.TransportError) -> APIConnectionError:
        return connection_error(self._vendor, self._request, self._attempts, exc)

    async def aclose(self) -> None:
        await self._inner.aclose()


class SellerkitTransport(httpx.BaseTransport):
    """Wraps a sync transport: quota, default timeouts, retries, and a typed error for every status >= 400."""

    def __init__(self, inner: httpx.BaseTransport, facts: VendorFacts, settings: HttpSettings) -> None:
        self._inner, self._facts, self._settings = inner, facts, settings

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`, retrying per the policy; responses below 400 come back unread."""
        timeouts = _apply_default_timeouts(request, self._settings.timeout)
        attempts = _Attempts(self._facts, self._settings, request)
        while True:
            # each attempt holds its quota slot from before sending until its response (or error) arrived
            limiter = None if request.extensions.get(UNCOUNTED) else self._settings.limiter
            granted = (
                limiter.hold(max_wait=self._settings.max_wait, vendor=self._facts.name)
                if limiter is not None
                else 0.0
            )
            attempts.attempt += 1
            _clip(request, timeouts)
            try:
                response = self._inner.handle_request(request)
            except httpx.TransportError as exc:
                wait = attempts.after_error(exc)
                if wait is None:
                    raise attempts.connection_error(exc) from exc
            else:
                response.request = request
                if response.status_code < 400 and not _may_be_throttle(self._facts, response):
                    if isinstance(response.stream, httpx.SyncByteStream):
                        typed = _TypedStream(response.stream, self._facts.name, request, attempts.attempt)
                        response.stream = typed
                        response.extensions[BODY_ERROR] = typed.typed
                    return response
                head = _read_head(response)
                if response.status_code < 400 and throttle_wait(response, self._facts.errors, head) is None:
                    return _with_body(request, response, head)  # a 2xx that only might have been the throttle
                error, wait = attempts.after_response(response, head)
                if wait is None:
                    if response.status_code in request.extensions.get(RETURN_ERRORS, ()):
                        return _returned(request, response, head, error)
                    if attempts.refused:
                        error.message = f"{error.message} ({attempts.refused})"
                    raise error
            finally:
                if limiter is not None:
                    limiter.release(granted)
            self._settings.sleep(wait)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


class AsyncSellerkitTransport(httpx.AsyncBaseTransport):
    """`SellerkitTransport` for `httpx.AsyncClient`."""

    def __init__(self, inner: httpx.AsyncBaseTransport, facts: VendorFacts, settings: HttpSettings) -> None:
        self._inner, self._facts, self._settings = inner, facts, settings

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`, retrying per the policy; responses below 400 come back unread."""
        timeouts = _apply_default_timeouts(request, self._settings.timeout)
        attempts = _Attempts(self._facts, self._settings, request)
        while True:
            limiter = None if request.extensions.get(UNCOUNTED) else self._settings.limiter
            granted = (
                await limiter.hold_async(max_wait=self._settings.max_wait, vendor=self._facts.name)
                if limiter is not None
                else 0.0
            )
            attempts.attempt += 1
            _clip(request, timeouts)
            try:
                response = await self._inner.handle_async_request(request)
            except httpx.TransportError as exc:
                wait = attempts.after_error(exc)
                if wait is None:
                    raise attempts.connection_error(exc) from exc
            else:
                response.request = request
                if response.status_code < 400 and not _may_be_throttle(self._facts, response):
                    if isinstance(response.stream, httpx.AsyncByteStream):
                        atyped = _AsyncTypedStream(
                            response.stream, self._facts.name, request, attempts.attempt
                        )
                        response.stream = atyped
                        response.extensions[BODY_ERROR] = atyped.typed
                    return response
                head = await _aread_head(response)
                if response.status_code < 400 and throttle_wait(response, self._facts.errors, head) is None:
                    return _with_body(request, response, head)  # a 2xx that only might have been the throttle
                error, wait = attempts.after_response(response, head)
                if wait is None:
                    if response.status_code in request.extensions.get(RETURN_ERRORS, ()):
                        return _returned(request, response, head, error)
                    if attempts.refused:
                        error.message = f"{error.message} ({attempts.refused})"
                    raise error
            finally:
                if limiter is not None:
                    await limiter.release_async(granted)
            await self._settings.async_sleep(wait)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


def _log_request(request: httpx.Request) -> None:
    if http_log.isEnabledFor(logging.DEBUG):
        headers = redact_headers(request.headers)
        http_log.debug("request %s %s headers=%s", request.method, redact_url(request.url), headers)


def _log_response(response: httpx.Response) -> None:
    if http_log.isEnabledFor(logging.DEBUG):
        request = response.request
        http_log.debug(
            "response %s %s -> %d %s headers=%s",
            request.method,
            redact_url(request.url),
            response.status_code,
            response.reason_phrase,
            redact_headers(response.headers),
        )


async def _alog_request(request: httpx.Request) -> None:
    _log_request(request)


async def _alog_response(response: httpx.Response) -> None:
    _log_response(response)


def sync_httpx_args(facts: VendorFacts, settings: HttpSettings | None = None) -> dict[str, Any]:
    """`httpx_args` for a generated sync client: the sellerkit transport and logging hooks."""
    settings = settings or HttpSettings()
    inner = settings.inner_transport or httpx.HTTPTransport()
    if not isinstance(inner, httpx.BaseTransport):
        raise ConfigurationError(
            f"{type(inner).__name__} is async-only; pass a sync transport (e.g. httpx.HTTPTransport) "
            "as HttpSettings.inner_transport, or use async_httpx_args"
        )
    return {
        "transport": SellerkitTransport(inner, facts, settings),
        "event_hooks": {"request": [_log_request], "response": [_log_response]},
    }


def async_httpx_args(facts: VendorFacts, settings: HttpSettings | None = None) -> dict[str, Any]:
    """`httpx_args` for a generated client used through its async API."""
    settings = settings or HttpSettings()
    inner = settings.inner_transport or httpx.AsyncHTTPTransport()
    if not isinstance(inner, httpx.AsyncBaseTransport):
        raise ConfigurationError(
            f"{type(inner).__name__} is sync-only; pass an async transport (e.g. httpx.AsyncHTTPTransport) "
            "as HttpSettings.inner_transport, or use sync_httpx_args"
        )
    return {
        "transport": AsyncSellerkitTransport(inner, facts, settings),
        "event_hooks": {"request": [_alog_request], "response": [_alog_response]},
    }
