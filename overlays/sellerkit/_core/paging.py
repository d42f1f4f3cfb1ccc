"""Pagination written once: fetch numbered pages until a short one (or a page limit) ends the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .errors import ConfigurationError
from .steps import Steps

T = TypeVar("T")


def numbered_pages(
    fetch: Callable[[int], Steps[list[T]]], *, page_size: int, max_pages: int, first: int = 1
) -> Steps[list[T]]:
    """Every item of pages `first`, `first + 1`, ... until a page holds fewer than `page_size` items or
    `max_pages` pages were read (bounded: a server that always sends full pages cannot loop forever)."""
    if max_pages < 1:
        raise ConfigurationError(f"max_pages must be >= 1, got {max_pages}")
    items: list[T] = []
    for number in range(first, first + max_pages):
        batch = yield from fetch(number)
        items += batch
        if len(batch) < page_size:
            break
    return items
