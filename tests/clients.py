"""Vendor clients for tests: public options only, the simulator's clock through the runtime hooks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sellerkit.testing.clients import make_client

__all__ = ["call", "make_client"]


def call(mode: str, fn: Callable[[], Any]) -> Any:
    """Run one client call in either mode: an async call's coroutine is awaited on a fresh event loop."""
    result = fn()
    if mode == "async" and asyncio.iscoroutine(result):
        return asyncio.run(_awaited(result))
    return result


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
