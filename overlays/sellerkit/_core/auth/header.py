"""Static header keys as an `httpx.Auth` (apart from the token machinery: key-only vendors import less)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping

import httpx

from ..errors import ConfigurationError
from ..redact import Secret

HeaderValue = str | Secret | Callable[[], str]
"""A header value: fixed, or a callable asked on every request (e.g. a JWT that its issuer renews)."""

__all__ = ["HeaderAuth", "HeaderValue"]


class HeaderAuth(httpx.Auth):
    """Static keys in headers: raw (`x-api-key: <key>`) or with a `scheme` (`Authorization: Bearer <key>`)."""

    def __init__(self, headers: Mapping[str, HeaderValue], *, scheme: str | None = None) -> None:
        if not headers:
            raise ConfigurationError("HeaderAuth needs at least one header, e.g. {'x-api-key': key}")
        self._sources = {name: _source(name, value) for name, value in headers.items()}
        self._scheme = scheme
        # (header, value source, prefix) worked out once: this runs on every request
        self._plan = tuple(
            (name, source, f"{scheme} " if scheme and name.lower() == "authorization" else "")
            for name, source in self._sources.items()
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = request.headers
        for name, source, prefix in self._plan:
            value = source()
            if not isinstance(value, str) or not value:
                raise ConfigurationError(
                    f"the callable for the {name} header returned no value: return a str"
                )
            headers[name] = prefix + value if prefix else value
        yield request

    def __repr__(self) -> str:
        scheme = f" scheme={self._scheme}" if self._scheme else ""
        return f"<HeaderAuth {' '.join(f'{name}=***' for name in self._sources)}{scheme}>"


def _source(name: str, value: HeaderValue) -> Callable[[], str]:
    if isinstance(value, Secret | str):
        secret = value if isinstance(value, Secret) else Secret(value)
        if not secret:
            raise ConfigurationError(f"the {name} header value is empty")
        return secret.get
    if not callable(value):
        raise ConfigurationError(
            f"the {name} header value must be a str, a Secret or a callable returning a str"
        )
    return value
