"""When to re-send a request and how long to wait first: one sans-I/O decision both transports drive."""

# Hand-rolled on purpose. httpx-retries 0.6.0 hard-codes time.sleep/asyncio.sleep, retries statuses without
# looking at the method, clips a Retry-After to its per-sleep cap (so the retry lands inside the throttle)
# and has no hook for body-derived reset times; stamina 26.1.0 retries on exceptions (not responses), pulls
# in tenacity, measures its budget on the wall clock and only fakes sleeps through a global test mode.
# Neither can express "a job-creating request is re-sent only if the server certainly did not act".

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx

from .bodies import MIN_THROTTLE_WAIT, retry_after_wait
from .errors import ConfigurationError

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

# Raised before a byte of the request reached the server: always safe to re-send.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# The server may have received (and acted on) the request.
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; `max_total_wait` caps the sum of all waits for one request."""

    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_total_wait: float = 120.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    retry_500_if_idempotent: bool = True
    jitter: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "statuses", frozenset(self.statuses))  # accept any iterable, stay hashable
        if (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise ConfigurationError(
                f"RetryPolicy.max_attempts must be an int >= 1 (1 = no retries), got {self.max_attempts!r}"
            )
        for name in ("initial_backoff", "max_backoff", "max_total_wait"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(
                    f"RetryPolicy.{name} must be a finite number of seconds >= 0, got {value!r}"
                )
        if self.max_backoff < self.initial_backoff:
            raise ConfigurationError(
                f"RetryPolicy.max_backoff ({self.max_backoff}) must be >= "
                f"initial_backoff ({self.initial_backoff})"
            )
        bad = sorted(s for s in self.statuses if not isinstance(s, int) or not 400 <= s <= 599)
        if bad:
            raise ConfigurationError(
                f"RetryPolicy.statuses must be HTTP error statuses (400-599); remove {bad}"
            )


class Decision(NamedTuple):
    """A retry decision: `wait` seconds before the next attempt (None = stop) and why, for the log."""

    wait: float | None
    reason: str


def explain(
    policy: RetryPolicy,
    *,
    attempt: int,
    waited: float,
    method: str,
    job_creating: bool,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
    throttle_wait: float | None = None,
    error: BaseException | None = None,
    now: float | None = None,
) -> Decision:
    """`decide()` with the reason attached; `attempt` counts attempts made so far (1 after the first)."""
    if error is None and status is None:
        return Decision(None, "nothing to retry")
    if error is not None:
        if isinstance(error, _NOT_SENT):
            pass  # the server never saw it
        elif not isinstance(error, _MAYBE_SENT):
            return Decision(None, f"{type(error).__name__} is not retryable")
        elif job_creating:
            return Decision(
                None, f"job-creating request may have reached the server ({type(error).__name__})"
            )
    elif throttle_wait is None and not (status == 429 and 429 in policy.statuses):
        if job_creating:
            return Decision(None, f"job-creating request got HTTP {status}; the server may have acted")
        idempotent_500 = (
            status == 500 and policy.retry_500_if_idempotent and method.upper() in IDEMPOTENT_METHODS
        )
        if status not in policy.statuses and not idempotent_500:
            return Decision(None, f"HTTP {status} is not retryable for {method.upper()}")
    if attempt >= policy.max_attempts:
        return Decision(None, f"{attempt} of {policy.max_attempts} attempts used")

    retry_after = retry_after_wait(headers, now=now)
    if throttle_wait is not None:
        wait, source = throttle_wait, "vendor reset time"
    elif retry_after is not None:
        wait, source = retry_after, "Retry-After"
    else:
        ceiling = min(policy.max_backoff, policy.initial_backoff * 2 ** (attempt - 1))
        # full jitter spreads clients that failed together, so they do not come back together
        wait, source = (
            (random.uniform(0, ceiling), "jittered backoff") if policy.jitter else (ceiling, "backoff")
        )
    if throttle_wait is not None or status == 429:
        # a throttle is never retried at once: a reset time already past (or a bare 429) still waits
        wait = max(wait, MIN_THROTTLE_WAIT)
    if waited + wait > policy.max_total_wait:
        # a server asking for longer than the budget gets an error now, not an early retry it will refuse
        return Decision(None, f"{source} {wait:.3f} s would exceed max_total_wait {policy.max_total_wait} s")
    return Decision(wait, source)


def decide(policy: RetryPolicy, **outcome: Any) -> float | None:
    """Seconds to sleep before the next attempt, or None to stop: `explain(...)` without the reason."""
    return explain(policy, **outcome).wait
