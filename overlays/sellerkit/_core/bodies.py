"""Turning vendor error responses into the typed errors of `errors.py`: messages, codes, throttle waits."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .errors import (
    MAX_BODY,
    ApiError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from .redact import redact_json, redact_text

MAX_MESSAGE = 500
"""Longest vendor message kept on an error (error pages can be megabytes of HTML)."""
MAX_ERROR_BODY = 1 << 20
"""Most bytes of an error body the transports read and parse."""


Throttle = Callable[[httpx.Response, object], float | None]
"""`throttle(response, body)`: seconds to wait if `body` (parsed JSON or None) is a vendor throttle body."""


@dataclass(frozen=True)
class ErrorFacts:
    """How one vendor's error bodies look: where the message, code and request id live."""

    vendor: str
    message_keys: tuple[str, ...] = (
        "message",
        "error_description",
        "localMessage",
        "ResponseMessage",
        "Message",
        "detail",
        "title",
        "error",
        "Error",
    )
    code_keys: tuple[str, ...] = ("code", "error", "errorCode", "StatusCode", "Code")
    request_id_headers: tuple[str, ...] = (
        "x-request-id",
        "x-correlation-id",
        "request-id",
        "x-amzn-requestid",
    )
    throttle: Throttle | None = None
    authentication_statuses: frozenset[int] = frozenset({401})
    """Statuses that mean "these credentials don't work" for this vendor (SelSup answers a bad key 403)."""
    hints: Mapping[int, str] = field(default_factory=dict)
    """What to check, added to the message of an error with this status (e.g. which env var holds the key)."""
    code_classes: Mapping[str, type[ApiError]] = field(default_factory=dict)
    """The error class for a vendor code, whatever the status (Sellers Commerce: its codes 21-36)."""


CLOCK_MARGIN = 1.0
"""Seconds added to a wait until a server's moment when its clock is unknown (no `Date` header)."""
MIN_THROTTLE_WAIT = 1.0
"""The shortest wait after a throttle: the resolution of every rate-limit hint (whole seconds)."""


def _moment(text: str) -> tuple[datetime, float] | None:
    """An ISO-8601 or HTTP date (no zone = UTC) and its resolution in seconds."""
    text = text.strip()
    try:
        when = datetime.fromisoformat(text)
        fraction = re.search(r"T\d\d:?\d\d:?\d\d[.,](\d+)", text)
        resolution = 10.0 ** -len(fraction.group(1)) if fraction else 1.0
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        resolution = 1.0  # HTTP dates have whole seconds
    if when.tzinfo is None:
        # vendors that omit the zone send UTC (Sellercloud's reset time is documented as UTC)
        when = when.replace(tzinfo=UTC)
    return when, resolution


def seconds_until(moment: str, *, now: float | None = None) -> float | None:
    """Seconds from `now` (epoch; default: the wall clock) until an ISO-8601 or HTTP date, or None."""
    parsed = _moment(moment)
    if parsed is None:
        return None
    return max(0.0, parsed[0].timestamp() - (time.time() if now is None else now))


def server_time(headers: Mapping[str, str] | None) -> float | None:
    """The server's clock (epoch seconds) from its `Date` header, or None (truncated: < 1 s behind)."""
    value = None if headers is None else (headers.get("date") or headers.get("Date"))
    parsed = None if not value else _moment(value)
    return None if parsed is None else parsed[0].timestamp()


def wait_past(moment: str, *, now: float | None = None, server_now: float | None = None) -> float | None:
    """Seconds until `moment` (a server's ISO-8601 or HTTP date) has surely passed on the server's clock.

    The moment is taken as its last instant (a whole-second time may have been truncated: up to its
    resolution later) and measured from the server's own clock when its `Date` is known (`server_now`: a
    truncated Date can only trail that clock, so the wait can only err long, by < 1 s), else from `now`
    (the client's wall clock) plus `CLOCK_MARGIN` for an unknown skew. None if `moment` is not a date.
    """
    parsed = _moment(moment)
    if parsed is None:
        return None
    when, resolution = parsed
    if server_now is not None:
        return when.timestamp() + resolution - server_now
    return when.timestamp() + resolution - (time.time() if now is None else now) + CLOCK_MARGIN


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds a `Retry-After` value (delta seconds or HTTP date) asks for; None if absent or invalid."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        if re.fullmatch(r"[\d\s.+-]*", value):
            return None
        return seconds_until(value, now=now)
    return seconds if seconds >= 0 and seconds != float("inf") else None


def retry_after_wait(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """How long a `Retry-After` header really asks to wait: its seconds plus their resolution (a server may
    have rounded them down), or its HTTP date waited past on the server's clock (`wait_past`, with the
    response's `Date`); never less than `MIN_THROTTLE_WAIT`. None without a valid header."""
    if headers is None:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    seconds = parse_retry_after(value, now=now)
    if seconds is None or value is None:
        return None
    text = value.strip()
    if not re.fullmatch(r"[\d\s.+-]*", text):  # an HTTP date
        past = wait_past(text, now=now, server_now=server_time(headers))
        seconds = seconds if past is None else past
    elif "." not in text:
        seconds += 1.0  # whole seconds: the true wait may be up to one more
    return max(MIN_THROTTLE_WAIT, seconds)


def reset_time_throttle(key: str, *, clock: Callable[[], float] = time.time) -> Throttle:
    """A `throttle` for bodies like `{"<key>": "<ISO-8601 reset time>"}` (Sellercloud): the wait until that
    time has surely passed on the server's clock (`wait_past`, skew estimated from the `Date` header)."""

    def throttle(response: httpx.Response, body: object) -> float | None:
        value = body.get(key) if isinstance(body, dict) else None
        if not isinstance(value, str):
            return None
        return wait_past(value, now=clock(), server_now=server_time(response.headers))

    return throttle


def _parse_json(content: bytes) -> object:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def _scalar(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _text_message(content: bytes, content_type: str) -> str | None:
    """A readable message from a non-JSON body: HTML title/text, plain text, or a byte count."""
    if not content.strip():
        return None
    head = content[:MAX_ERROR_BODY]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # declared text in another charset, or a character cut at MAX_ERROR_BODY: still text
        if content_type.startswith("text/") or exc.start >= len(head) - 3:
            text = head.decode("utf-8", errors="replace")
        else:
            return f"<{len(content)} bytes of {content_type or 'binary data'}>"
    if "html" in content_type or text.lstrip().startswith("<"):
        title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        text = title.group(1) if title and title.group(1).strip() else re.sub(r"<[^>]*>", " ", text)
    return _shorten(text) or None


def _error_body(content: bytes, parsed: object, content_type: str) -> object:
    """`ApiError.body`: parsed JSON, else text (≤ MAX_BODY bytes), redacted; None if empty or binary."""
    if not content.strip():
        return None
    if parsed is not None and len(content) <= MAX_BODY:
        return redact_json(parsed)
    head = content[:MAX_BODY]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not (content_type.startswith("text/") or "json" in content_type or exc.start >= len(head) - 3):
            return None  # binary: `vendor_message` already says "<N bytes of type>"
        text = head.decode("utf-8", errors="replace")
    return redact_text(text)


def _status_class(status: int) -> type[ApiError]:
    if status in (400, 422):
        return BadRequestError
    if status >= 500:
        return ServerError
    return {
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        429: RateLimitedError,
    }.get(status, ApiError)


def build_error(
    facts: ErrorFacts,
    *,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    method: str | None = None,
    url: str | httpx.URL | None = None,
    throttle_wait: float | None = None,
    response: httpx.Response | None = None,
) -> ApiError:
    """The typed error for an error body; `throttle_wait` (from `facts.throttle`) marks a throttle body."""
    lowered = {name.lower(): value for name, value in headers.items()}
    body = _parse_json(content) if len(content) <= MAX_ERROR_BODY else None
    fields = body if isinstance(body, dict) else {}
    vendor_message = next((m for k in facts.message_keys if (m := _scalar(fields.get(k)))), None)
    code = next(
        (c for k in facts.code_keys if (c := _scalar(fields.get(k))) and c != vendor_message),
        None,
    )
    if vendor_message is None and isinstance(body, str):
        vendor_message = body  # some ASP.NET endpoints answer with a bare JSON string
    if vendor_message is not None:
        vendor_message = _shorten(vendor_message) or None
    elif body is None:
        vendor_message = _text_message(content, lowered.get("content-type", ""))
    request_id = next((lowered[h.lower()] for h in facts.request_id_headers if lowered.get(h.lower())), None)
    reason = httpx.codes.get_reason_phrase(status)
    common: dict[str, Any] = {
        "vendor": facts.vendor,
        "status": status,
        "code": code,
        "vendor_message": vendor_message,
        "request_id": request_id,
        "method": method,
        "url": url,
        "body": _error_body(content, body, lowered.get("content-type", "")),
        "response": response,
    }
    message = vendor_message or f"HTTP {status} {reason}".rstrip()
    hint = facts.hints.get(status)
    if hint:
        message = f"{message} ({hint})"
    if throttle_wait is not None or status == 429:
        retry_after = throttle_wait if throttle_wait is not None else retry_after_wait(lowered)
        return RateLimitedError(message, retry_after=retry_after, **common)
    if status in facts.authentication_statuses:
        return AuthenticationError(message, **common)
    return facts.code_classes.get(code or "", _status_class(status))(message, **common)


def throttle_wait(response: httpx.Response, facts: ErrorFacts, content: bytes) -> float | None:
    """Seconds `facts.throttle` asks for when `content` is a vendor throttle body, else None."""
    if facts.throttle is None or len(content) > MAX_ERROR_BODY:
        return None
    wait = facts.throttle(response, _parse_json(content))
    # a throttle never means "retry now": a reset time already past still buys the shortest wait
    return None if wait is None else max(MIN_THROTTLE_WAIT, wait)


def error_from_response(
    response: httpx.Response, facts: ErrorFacts, content: bytes | None = None
) -> ApiError:
    """The typed error for a read non-2xx `response` (or its first bytes, `content`); never a decode error."""
    if content is None:
        try:
            content = response.content
        except httpx.ResponseNotRead:
            content = b""
    try:
        method: str | None = response.request.method
        url: httpx.URL | None = response.request.url
    except RuntimeError:  # a Response built without a request
        method = url = None
    return build_error(
        facts,
        status=response.status_code,
        headers=response.headers,
        content=content,
        method=method,
        url=url,
        throttle_wait=throttle_wait(response, facts, content),
        response=response,
    )
