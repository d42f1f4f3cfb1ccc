"""Long waits are never silent: one WARNING per wait of 5 s or more, with its reason and when it ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

log = logging.getLogger("sellerkit")

LONG_WAIT = 5.0
"""Seconds from which a wait is announced at WARNING (shorter ones are logged at DEBUG where they happen)."""


def announce(
    reason: str, seconds: float, *, wall_clock: Callable[[], float] = time.time, level: int = logging.WARNING
) -> None:
    """Log a wait of `seconds` (if it is long) as `<reason>: waiting N s, until HH:MM:SS UTC`."""
    if seconds < LONG_WAIT:
        return
    until = datetime.fromtimestamp(wall_clock() + seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    log.log(level, "%s: waiting %.0f s, until %s", reason, seconds, until)
