"""Helpers for calling generated code: `*_detailed` responses and parser failures as typed errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple, Protocol, TypeVar, overload

import httpx

from .bodies import ErrorFacts, build_error
from .errors import ApiError, ServerError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class GeneratedClient(Protocol):
    """What every generated `AuthenticatedClient` offers for taking over its httpx clients."""

    def set_httpx_client(self, client: httpx.Client) -> Any: ...

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Any: ...


G = TypeVar("G", bound=GeneratedClient)


def generated_client(factory: type[G], base_url: str, http: httpx.Client | httpx.AsyncClient) -> G:
    """The generated client of a vendor, sending through sellerkit's httpx client (auth, transport).

    Its own token/header knobs stay unused: `set_httpx_client` bypasses them (toolchain notes §3).
    """
    api = factory(base_url=base_url, token="", raise_on_unexpected_status=True)  # type: ignore[call-arg]
    if isinstance(http, httpx.AsyncClient):
        api.set_async_httpx_client(http)
    else:
        api.set_httpx_client(http)
    return api


class Parsed(NamedTuple):
    """A `DetailedResponse` made from an httpx response and a generated `_parse_response` result (what
    `ClientCore._parse` unwraps: the generated `_build_response` would add an `HTTPStatus` and a copy)."""

    status_code: int
    content: bytes
    headers: Mapping[str, str]
    parsed: object


class DetailedResponse(Protocol[T_co]):
    """What `unwrap` reads from a generated `Response[T]` (returned by every `*_detailed` function)."""

    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def parsed(self) -> T_co | None: ...


@overload
def unwrap(
    response: DetailedResponse[T], expected: None = None, *, errors: ErrorFacts | None = None
) -> T: ...
@overload
def unwrap(
    response: DetailedResponse[object], expected: type[T], *, errors: ErrorFacts | None = None
) -> T: ...
def unwrap(
    response: DetailedResponse[object], expected: type[Any] | None = None, *, errors: ErrorFacts | None = None
) -> Any:
    """The parsed value of a generated `*_detailed` response, or a typed error (`expected` narrows it)."""
    status = int(response.status_code)
    if status >= 400:
        # only reached when the client was built without sellerkit's transport, which raises first
        raise build_error(
            errors or ErrorFacts("unknown"), status=status, headers=response.headers, content=response.content
        )
    parsed = response.parsed
    vendor = errors.vendor if errors else "unknown"
    if parsed is None:
        raise ApiError(
            f"HTTP {status} response has no parsed value (content type "
            f"{response.headers.get('content-type', 'none')!r}); read .content instead",
            vendor=vendor,
            status=status,
        )
    if expected is not None and not isinstance(parsed, expected):
        raise ApiError(
            f"expected {expected.__name__} from HTTP {status}, got {type(parsed).__name__}",
            vendor=vendor,
            status=status,
        )
    return parsed


# what the generated parsers raise on a 2xx body that is not JSON or lacks a required key
UNREADABLE = (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError)


def unreadable_error(
    vendor: str, what: str, response: httpx.Response | None, exc: BaseException
) -> ServerError:
    """The `ServerError` for a 2xx body a generated parser could not read (transient for polling)."""
    request = response.request if response is not None else None
    return ServerError(
        f"{vendor} sent an unreadable {what} ({type(exc).__name__}: {str(exc)[:200]})",
        vendor=vendor,
        status=200 if response is None else response.status_code,
        method=None if request is None else request.method,
        url=None if request is None else request.url,
        response=response,
    )


@contextmanager
def readable(vendor: str, what: str, response: httpx.Response | None = None) -> Iterator[None]:
    """Around a generated call: a malformed 2xx body becomes a `ServerError` (transient for polling) that
    names the request, when the response is given."""
    try:
        yield
    except UNREADABLE as exc:
        raise unreadable_error(vendor, what, response, exc) from exc
