"""The sans-I/O retry decision: which outcomes are retried and how long to wait first."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from sellerkit._core.errors import ConfigurationError
from sellerkit._core.retry import RetryPolicy, decide, explain

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC).timestamp()
FIXED = RetryPolicy(jitter=False)
REQUEST = httpx.Request("POST", "https://api.example.com/jobs")


def wait(policy: RetryPolicy = FIXED, **outcome: Any) -> float | None:
    fields: dict[str, Any] = {"attempt": 1, "waited": 0.0, "method": "GET", "job_creating": False, "now": NOW}
    return decide(policy, **(fields | outcome))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_attempts", 0),
        ("max_attempts", -1),
        ("max_attempts", 2.5),
        ("max_attempts", True),
        ("initial_backoff", -0.1),
        ("max_backoff", float("nan")),
        ("max_total_wait", float("inf")),
        ("max_total_wait", "60"),
        ("max_backoff", 0.1),  # below initial_backoff
        ("statuses", frozenset({200, 503})),
    ],
)
def test_bad_policy_is_a_configuration_error_naming_the_field(field: str, value: object) -> None:
    bad: dict[str, Any] = {field: value}
    with pytest.raises(ConfigurationError, match=field):
        RetryPolicy(**bad)


def test_policy_defaults_match_the_contract() -> None:
    policy = RetryPolicy(statuses={429, 503})  # type: ignore[arg-type]
    assert policy.statuses == frozenset({429, 503})
    default = RetryPolicy()
    assert (default.max_attempts, default.initial_backoff, default.max_backoff, default.max_total_wait) == (
        5,
        0.5,
        30.0,
        120.0,
    )
    assert default.statuses == frozenset({429, 502, 503, 504})


@pytest.mark.parametrize(
    ("method", "status", "job_creating", "retried"),
    [
        ("GET", 429, False, True),
        ("GET", 502, False, True),
        ("GET", 503, False, True),
        ("GET", 504, False, True),
        ("GET", 500, False, True),
        ("put", 500, False, True),
        ("DELETE", 500, False, True),
        ("POST", 500, False, False),
        ("PATCH", 500, False, False),
        ("POST", 503, False, True),
        ("GET", 501, False, False),
        ("GET", 400, False, False),
        ("GET", 401, False, False),
        ("GET", 404, False, False),
        ("POST", 429, True, True),
        ("POST", 500, True, False),
        ("POST", 502, True, False),
        ("POST", 503, True, False),
        ("POST", 504, True, False),
        ("GET", 503, True, False),
    ],
)
def test_which_statuses_are_retried(method: str, status: int, job_creating: bool, retried: bool) -> None:
    assert (wait(method=method, status=status, job_creating=job_creating) is not None) is retried


def test_500_on_idempotent_methods_can_be_switched_off() -> None:
    assert wait(RetryPolicy(jitter=False, retry_500_if_idempotent=False), status=500) is None
    assert wait(RetryPolicy(jitter=False, statuses=frozenset({502})), status=429) is None


@pytest.mark.parametrize(
    ("error", "job_creating", "retried"),
    [
        (httpx.ConnectError("refused", request=REQUEST), True, True),
        (httpx.ConnectTimeout("slow connect", request=REQUEST), True, True),
        (httpx.PoolTimeout("pool", request=REQUEST), True, True),
        (httpx.ReadTimeout("slow", request=REQUEST), True, False),
        (httpx.ReadError("reset", request=REQUEST), True, False),
        (httpx.WriteError("broken pipe", request=REQUEST), True, False),
        (httpx.RemoteProtocolError("server hung up", request=REQUEST), True, False),
        (httpx.ReadTimeout("slow", request=REQUEST), False, True),
        (httpx.RemoteProtocolError("server hung up", request=REQUEST), False, True),
        (httpx.UnsupportedProtocol("ftp", request=REQUEST), False, False),
        (httpx.LocalProtocolError("bad header", request=REQUEST), False, False),
        (ValueError("not a transport error"), False, False),
    ],
)
def test_which_errors_are_retried(error: BaseException, job_creating: bool, retried: bool) -> None:
    decision = explain(FIXED, attempt=1, waited=0.0, method="POST", job_creating=job_creating, error=error)
    assert (decision.wait is not None) is retried, decision.reason


def test_nothing_to_retry_without_an_outcome() -> None:
    assert wait() is None


def test_retry_after_seconds_are_waited_out_with_their_resolution() -> None:
    # whole seconds may have been rounded down by the server: one more second is waited (issue 13)
    assert wait(status=503, headers={"Retry-After": "7"}) == 8.0
    assert wait(status=503, headers={"Retry-After": "7.5"}) == 7.5  # a fraction says its own precision
    # "0" still means one second at least: a retry after a throttle never fires at once
    assert wait(status=429, headers=httpx.Headers({"retry-after": "0"})) == 1.0


def test_retry_after_http_date() -> None:
    date = format_datetime(datetime(2026, 11, 23, 12, 0, 42, tzinfo=UTC), usegmt=True)
    # no Date header: 42 s on the client's clock, + 1 s resolution of the date, + 1 s for the unknown skew
    assert wait(status=429, headers={"Retry-After": date}) == pytest.approx(44.0)


def test_retry_after_http_date_is_read_against_the_server_s_date() -> None:
    date = format_datetime(datetime(2026, 11, 23, 12, 0, 42, tzinfo=UTC), usegmt=True)
    # the server's clock says 12:00:10 (the client's is 12:00:00): 32 s on it, + 1 s resolution
    served = format_datetime(datetime(2026, 11, 23, 12, 0, 10, tzinfo=UTC), usegmt=True)
    assert wait(status=429, headers={"Retry-After": date, "Date": served}) == pytest.approx(33.0)


def test_invalid_retry_after_falls_back_to_backoff() -> None:
    assert wait(status=503, headers={"Retry-After": "whenever"}) == FIXED.initial_backoff


def test_vendor_reset_time_wins_and_makes_any_status_retryable() -> None:
    assert wait(status=503, headers={"Retry-After": "7"}, throttle_wait=33.0) == 33.0
    assert wait(status=400, throttle_wait=12.5, job_creating=True, method="POST") == 12.5
    assert wait(status=503, throttle_wait=-5.0) == 1.0  # a reset already past still waits a second
    assert wait(status=429, throttle_wait=0.0) == 1.0


def test_exponential_backoff_is_capped_per_wait() -> None:
    policy = RetryPolicy(
        jitter=False, max_attempts=10, initial_backoff=0.5, max_backoff=3.0, max_total_wait=1e6
    )
    waits = [wait(policy, status=503, attempt=n) for n in range(1, 7)]
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize("attempt", [1, 3, 6])
def test_full_jitter_stays_within_bounds(attempt: int) -> None:
    policy = RetryPolicy(max_attempts=10, initial_backoff=0.5, max_backoff=8.0, max_total_wait=1e6)
    ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
    samples = [wait(policy, status=503, attempt=attempt) for _ in range(2000)]
    waits = [s for s in samples if s is not None]
    assert len(waits) == len(samples)
    assert all(0.0 <= w <= ceiling for w in waits)
    # really spread over the whole range, not a constant (2000 uniform draws: both ends are hit)
    assert min(waits) < 0.1 * ceiling and max(waits) > 0.9 * ceiling


def test_total_wait_is_capped() -> None:
    policy = RetryPolicy(jitter=False, max_total_wait=10.0)
    # Retry-After 5 is a 6 s wait (its resolution): 4 + 6 fits the budget, 4.5 + 6 does not
    assert wait(policy, status=429, headers={"Retry-After": "5"}, waited=4.0) == 6.0
    assert wait(policy, status=429, headers={"Retry-After": "5"}, waited=4.5) is None
    assert wait(policy, status=429, throttle_wait=11.0) is None
    decision = explain(policy, attempt=1, waited=9.9, method="GET", job_creating=False, status=503)
    assert decision.wait is None and "max_total_wait" in decision.reason


def test_attempts_are_capped() -> None:
    policy = RetryPolicy(jitter=False, max_attempts=3)
    assert wait(policy, status=503, attempt=2) is not None
    assert wait(policy, status=503, attempt=3) is None
    assert wait(RetryPolicy(max_attempts=1), status=429) is None
