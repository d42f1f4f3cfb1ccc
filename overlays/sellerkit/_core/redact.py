"""Keeping credentials out of logs, reprs and exception text."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Mapping
from typing import final
from urllib.parse import unquote

logger = logging.getLogger("sellerkit")

REDACTED = "***"

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie"})
# A name containing one of these words is treated as a credential (headers and query parameters alike).
_SECRET_WORDS = ("token", "secret", "key", "password", "passwd", "signature", "credential")
_SECRET_PARAMS = frozenset({"sig", "pwd", "auth", "session"})
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@")
_PARAM = re.compile(r"([?&;#])([^=&;#]*)=([^&;#]*)")


@final
class Secret:
    """A credential string whose repr and str never show it; `.get()` returns the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret holds a str, got {type(value).__name__}")
        self._value = value

    def get(self) -> str:
        """Return the secret value (only where it is sent)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        # constant-time, so comparing secrets does not leak them through timing
        return isinstance(other, Secret) and hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in _SECRET_PARAMS
        or lowered.startswith("x-amz-")
        or any(word in lowered for word in _SECRET_WORDS)
    )


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of `headers` with credential-bearing values replaced by `***`."""
    return {
        name: REDACTED if name.lower() in _SECRET_HEADERS or _is_secret_name(name) else value
        for name, value in headers.items()
    }


def _redact_param(match: re.Match[str]) -> str:
    separator, name, _value = match.groups()
    return f"{separator}{name}={REDACTED}" if _is_secret_name(unquote(name)) else match.group(0)


def redact_url(url: object) -> str:
    """Return `url` as text with user info and credential query/fragment values replaced by `***`."""
    # Regex rather than parse-and-rebuild: never raises on odd URLs and leaves every other byte unchanged.
    text = _USERINFO.sub(rf"\g<1>{REDACTED}@", str(url))
    return _PARAM.sub(_redact_param, text)


def redact_json(value: object) -> object:
    """A copy of parsed JSON with the values of credential-named keys (as for headers) replaced by `***`."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED
            if isinstance(key, str) and (key.lower() in _SECRET_HEADERS or _is_secret_name(key))
            else redact_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    return value


# "name": "value" / name=value pairs in text that is not (complete) JSON, e.g. a body cut at MAX_BODY
_TEXT_PAIR = re.compile(
    # possessive name, never started mid-name: linear time on megabytes of letters without a separator
    r"""(["']?)(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]++)\1(\s*+[:=]\s*+)("(?:[^"\\]|\\.)*+"|'[^']*+'|[^\s&,;"'}\]]++)"""
)


def _redact_pair(match: re.Match[str]) -> str:
    quote, name, separator, _value = match.groups()
    secret = name.lower() in _SECRET_HEADERS or _is_secret_name(name)
    return f'{quote}{name}{quote}{separator}"{REDACTED}"' if secret else match.group(0)


def redact_text(text: str) -> str:
    """`text` with the values of credential-named `name: value` / `name=value` pairs replaced by `***`."""
    return _TEXT_PAIR.sub(_redact_pair, text)
