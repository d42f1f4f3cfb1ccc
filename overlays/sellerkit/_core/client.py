"""Plumbing every vendor client shares: its httpx client, the generated client on top, `with`."""

from __future__ import annotations

from typing import Any, Protocol, Self, TypeVar

import httpx

from .transport import HttpSettings, VendorFacts, async_httpx_args, sync_httpx_args


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


def sync_http(base_url: str, auth: httpx.Auth, facts: VendorFacts, settings: HttpSettings) -> httpx.Client:
    """An httpx client with the vendor's auth, default timeouts and the sellerkit transport."""
    return httpx.Client(
        base_url=base_url, auth=auth, timeout=settings.timeout, **sync_httpx_args(facts, settings)
    )


def async_http(
    base_url: str, auth: httpx.Auth, facts: VendorFacts, settings: HttpSettings
) -> httpx.AsyncClient:
    """`sync_http` for asyncio."""
    return httpx.AsyncClient(
        base_url=base_url, auth=auth, timeout=settings.timeout, **async_httpx_args(facts, settings)
    )


class SyncClosing:
    """`close()` and `with` for a client that owns `self._httpx`."""

    _httpx: httpx.Client

    def close(self) -> None:
        self._httpx.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClosing:
    """`aclose()` and `async with` for a client that owns `self._httpx`."""

    _httpx: httpx.AsyncClient

    async def aclose(self) -> None:
        await self._httpx.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
