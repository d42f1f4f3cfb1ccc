"""asyncio entry points imported on first use: sync-only programs never pay for importing asyncio."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def sleep(seconds: float) -> None:
    """`asyncio.sleep`."""
    import asyncio

    await asyncio.sleep(seconds)


async def to_thread(func: Callable[..., T], /, *args: Any) -> T:
    """`asyncio.to_thread`."""
    import asyncio

    return await asyncio.to_thread(func, *args)
