"""Long waits are never silent: one WARNING per wait of 5 s or more, with its reason and when it ends.

Programs that show their own progress (the `sellerkit` command line) subscribe with `listening(fn)`: `fn`
gets every announced wait as a `Waiting`, short ones too, without parsing log lines.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger("sellerkit")

MESSAGE = "%s: waiting %.0f s, until %s"
"""The log message of an announced wait (a program showing `listening` notices can drop these records)."""
LONG_WAIT = 5.0
"""Seconds from which a wait is announced at WARNING (shorter ones are logged at DEBUG where they happen)."""


@dataclass(frozen=True)
class Waiting:
    """A wait about to start: why, how long (seconds) and until when (epoch seconds, wall clock)."""

    reason: str
    seconds: float
    until: float


_listeners: list[Callable[[Waiting], object]] = []
_lock = threading.Lock()


@contextmanager
def listening(fn: Callable[[Waiting], object]) -> Iterator[None]:
    """Call `fn` for every wait announced in this process while the block runs (any thread)."""
    with _lock:
        _listeners.append(fn)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(fn)


def announce(
    reason: str, seconds: float, *, wall_clock: Callable[[], float] = time.time, level: int = logging.WARNING
) -> None:
    """Log a wait of `seconds` (if it is long) as `<reason>: waiting N s, until HH:MM:SS UTC`."""
    if _listeners:
        notice = Waiting(reason, seconds, wall_clock() + seconds)
        for fn in list(_listeners):
            fn(notice)
    if seconds < LONG_WAIT:
        return
    until = datetime.fromtimestamp(wall_clock() + seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    log.log(level, MESSAGE, reason, seconds, until)
