"""The token flow's moving parts: single flight across threads/tasks/loops, and the effects it yields.

`TokenAuth` (`token.py`) decides everything in one sans-I/O generator; these are its vocabulary: a `_Flight`
others wait for, the `_TokenState` it replaces, and the effects (`_Send`, `_Wait`, `_Load`, `_Save`) its sync
and async drivers perform.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from .store import RenewPolicy, TokenSet, TokenStore

if TYPE_CHECKING:  # imported on first use otherwise: sync programs don't pay for asyncio (see _aio)
    import asyncio


# ---------------------------------------------------------------- single flight


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _Flight:
    """One token request in progress; whoever needs a token meanwhile waits for its outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.tokens: TokenSet | None = None
        self.error: Exception | None = None

    def finish(self, tokens: TokenSet | None, error: Exception | None) -> None:
        with self._lock:
            self.tokens, self.error = tokens, error
            self._done.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that waiter's loop has closed meanwhile
                loop.call_soon_threadsafe(_wake, future)

    def wait(self, timeout: float) -> bool:
        return self._done.wait(timeout)

    async def wait_async(self, timeout: float) -> bool:
        import asyncio

        # a future per waiter instead of an asyncio.Lock: the leader may run on another thread or loop
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._done.is_set():
                return True
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return False
        return True


@dataclass(frozen=True)
class _Lead:
    flight: _Flight
    stale: TokenSet | None
    load: bool


@dataclass(frozen=True)
class _Follow:
    flight: _Flight


class _TokenState:
    """The current token set and the flight replacing it; a threading lock guards bookkeeping, never I/O."""

    def __init__(self, tokens: TokenSet | None, *, loaded: bool) -> None:
        self._lock = threading.Lock()
        self.tokens = tokens
        self._stale = False
        self._loaded = loaded
        self._flight: _Flight | None = None

    def begin(self, now: float, policy: RenewPolicy) -> TokenSet | _Lead | _Follow:
        """Use the current tokens, wait for the flight in progress, or lead a new one."""
        with self._lock:
            if self._flight is not None:
                return _Follow(self._flight)
            tokens = self.tokens
            if tokens is not None and self._loaded and not self._stale and now < policy.renew_at(tokens):
                return tokens
            self._flight = _Flight()
            return _Lead(self._flight, tokens, load=not self._loaded)

    def loaded(self) -> None:
        """The store was read (by the leader of a flight): no later flight reads it again."""
        with self._lock:
            self._loaded = True

    def finish(self, flight: _Flight, tokens: TokenSet | None, error: Exception | None) -> None:
        """Install the flight's tokens (if any) and release everyone waiting for it."""
        with self._lock:
            if tokens is not None:
                self.tokens, self._stale = tokens, False
            if self._flight is flight:
                self._flight = None
        flight.finish(tokens, error)

    def invalidate(self, used: TokenSet) -> bool:
        """Mark `used` stale after a 401 unless it was replaced meanwhile; False if it was."""
        with self._lock:
            if self.tokens is not used:
                return False
            self._stale = True
            return True


# ---------------------------------------------------------------- effects the drivers perform


@dataclass(frozen=True)
class _Send:
    request: httpx.Request
    read: bool  # token responses are read whole before parsing; API responses stay unread (streaming)


@dataclass(frozen=True)
class _Wait:
    flight: _Flight


@dataclass(frozen=True)
class _Load:
    store: TokenStore


@dataclass(frozen=True)
class _Save:
    store: TokenStore
    tokens: TokenSet


_Effect = _Send | _Wait | _Load | _Save
_Flow = Generator[_Effect, object, None]


def _replayable(request: httpx.Request) -> bool:
    """Whether the body can be sent again: bytes, or a stream that was read into memory."""
    try:
        request.content  # noqa: B018 (raises for an unread stream)
    except httpx.RequestNotRead:
        return False
    return True


def _copy(error: Exception) -> Exception:
    """A follower's own copy of the leader's error (one exception object raised in many threads is messy)."""
    try:
        return copy.copy(error)
    except Exception:  # an exception type that cannot be copied: share it
        return error
