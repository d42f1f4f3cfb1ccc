"""Plumbing every vendor client shares: its httpx client and `with` (the generated client: `calls.py`)."""

from __future__ import annotations

from typing import Self

import httpx

from .transport import HttpSettings, VendorFacts, async_httpx_args, sync_httpx_args


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
