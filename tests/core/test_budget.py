"""Issue 8 A3/A4 in the core: one retry budget, computable from the settings, and long waits that are visible
and bounded. Measured on a manual clock through the toy Acme client (tests/core/acme.py), sync and async."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerkit._core.errors import APITimeoutError, RateLimitedError
from sellerkit._core.polling import PollPolicy
from sellerkit._core.quota import Quota, QuotaLimiter
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.runtime import deadline_scope
from sellerkit._core.transport import MAX_ATTEMPTS
from tests.core.acme import MODES, NOW, VENDOR, Acme, AcmeClient, AsyncAcmeClient, RecordingClock, call, make
from tests.core.test_http import Server, Sleeps, send
from tests.core.test_http import settings as http_settings

pytestmark = pytest.mark.timeout(30)
EXACT = {"retry": RetryPolicy(jitter=False)}  # backoff 0.5, 1, 2, 4, ... s: exact figures


class Silent:
    """A server that accepts connections and never answers: each send costs its read timeout."""

    def __init__(self, clock: RecordingClock) -> None:
        self.clock = clock
        self.sends: list[tuple[float, float, object]] = []
        """(elapsed when sent, read timeout, MAX_ATTEMPTS extension) per send."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        read = request.extensions["timeout"]["read"]
        self.sends.append((self.clock.elapsed(), read, request.extensions.get(MAX_ATTEMPTS)))
        self.clock.advance(read)
        raise httpx.ReadTimeout("timed out", request=request)


def backoff(retries: int) -> float:
    """The un-jittered waits between `retries + 1` attempts (RetryPolicy defaults)."""
    policy = RetryPolicy()
    return float(sum(min(policy.max_backoff, policy.initial_backoff * 2**n) for n in range(retries)))


def silent_client(mode: str, **options: Any) -> tuple[Any, Silent, RecordingClock]:
    clock = RecordingClock()
    server = Silent(clock)
    hooks = options.pop("hooks", EXACT)
    return make(mode, server, clock=clock, hooks=hooks, **options), server, clock


# --- A3: one retry budget ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("max_retries", "read"), [(0, 2.0), (2, 2.0), (4, 60.0)])
def test_a_silent_server_costs_attempts_times_the_read_timeout_plus_backoff(
    mode: str, max_retries: int, read: float
) -> None:
    timeout = httpx.Timeout(connect=10.0, read=read, write=read, pool=10.0)
    client, server, clock = silent_client(mode, max_retries=max_retries, timeout=timeout)
    with pytest.raises(APITimeoutError) as caught:
        call(mode, client.echo)
    attempts = max_retries + 1
    assert caught.value.attempts == len(server.sends) == attempts
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0][:max_retries]
    expected = attempts * read + backoff(max_retries)
    assert clock.elapsed() == pytest.approx(expected)  # 4 retries at the default 60 s: 307.5 s
    # the bound OPTIONS_DOC states: (max_retries + 1) x (connect + read timeout) + at most 30 s per backoff
    assert clock.elapsed() <= attempts * (timeout.connect + read) + 30 * max_retries  # type: ignore[operator]


@pytest.mark.parametrize("mode", MODES)
def test_jittered_backoff_stays_within_the_documented_bound(mode: str) -> None:
    client, server, clock = silent_client(mode, max_retries=4, timeout=2.0, hooks={})
    with pytest.raises(APITimeoutError):
        call(mode, client.echo)
    assert len(server.sends) == 5
    assert 5 * 2.0 <= clock.elapsed() <= 5 * 2.0 + backoff(4)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("max_retries", [0, 3])
def test_a_download_makes_max_restarts_plus_one_sends_without_backoff(
    mode: str, max_retries: int, tmp_path: Path
) -> None:
    client, server, clock = silent_client(mode, max_retries=max_retries, timeout=2.0)
    with pytest.raises(APITimeoutError) as caught:
        call(mode, lambda: client.fetch_file("/files/x", tmp_path / "x.csv"))
    sends = max_retries + 1  # never (max_retries + 1) ** 2: each send is one transport attempt
    assert len(server.sends) == caught.value.attempts == sends
    assert [extension for _, _, extension in server.sends] == [1] * sends
    assert clock.sleeps == [] and clock.elapsed() == pytest.approx(sends * 2.0)  # restarts: no backoff
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["option", "scope"])
def test_a_deadline_ends_the_retries_and_clips_each_attempt(mode: str, how: str) -> None:
    options = {"deadline": 100.0} if how == "option" else {}
    client, server, clock = silent_client(mode, timeout=60.0, **options)
    with deadline_scope(None if how == "option" else 100.0, clock.now), pytest.raises(APITimeoutError):
        call(mode, client.echo)
    # 60 s, a 0.5 s backoff, then what is left (39.5 s); no sleep of 1 s with nothing left
    assert [read for _, read, _ in server.sends] == [60.0, 39.5]
    assert clock.sleeps == [0.5] and clock.elapsed() == pytest.approx(100.0)


@pytest.mark.parametrize("mode", MODES)
def test_a_deadline_sleeps_never_past_it(mode: str) -> None:
    client, server, clock = silent_client(mode, timeout=60.0, deadline=60.5)
    with pytest.raises(APITimeoutError):
        call(mode, client.echo)
    # after the first 60 s attempt 0.5 s are left: the 0.5 s backoff would end exactly at the deadline
    assert len(server.sends) == 1 and clock.sleeps == [] and clock.elapsed() == 60.0


@pytest.mark.parametrize("mode", MODES)
def test_a_deadline_ends_the_download_restarts(mode: str, tmp_path: Path) -> None:
    client, server, clock = silent_client(mode, timeout=60.0, max_retries=4, deadline=150.0)
    with pytest.raises(APITimeoutError, match="150 s deadline passed") as caught:
        call(mode, lambda: client.fetch_file("/files/x", tmp_path / "x.csv"))
    assert [read for _, read, _ in server.sends] == [60.0, 60.0, 30.0]  # the last one clipped
    assert caught.value.attempts == 3 and clock.elapsed() == pytest.approx(150.0)


# --- A4: long waits are visible and bounded ---------------------------------------------------------------


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sellerkit" and r.levelno == logging.WARNING]


def at(seconds: float) -> str:
    """NOW + seconds as the wait announcements write it."""
    return datetime.fromtimestamp(NOW + seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class Scripted:
    """Answers the scripted responses in turn, then 200 with JSON."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.responses:
            return self.responses.pop(0)
        return httpx.Response(200, json={"headers": {}})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("seconds", "announced"), [(10, True), (3, False)])
def test_a_retry_after_wait_is_announced_when_long(
    mode: str, seconds: int, announced: bool, caplog: pytest.LogCaptureFixture
) -> None:
    clock = RecordingClock()
    server = Scripted(httpx.Response(429, headers={"Retry-After": str(seconds)}))
    client = make(mode, server, clock=clock, hooks=EXACT)
    call(mode, client.echo)
    waited = seconds + 1  # whole seconds, perhaps rounded down: one more (issue 13)
    assert clock.sleeps == [waited] and len(server.requests) == 2
    expected = [f"waiting {waited} s, until {at(waited)}"] if announced else []
    assert [m.split(": ")[-1] for m in warnings(caplog)] == expected
    if announced:
        assert "acme GET https://acme.test/echo: HTTP 429, retrying (Retry-After)" in warnings(caplog)[0]


class ThrottledAcme(AcmeClient):
    vendor = replace(VENDOR, throttle_reset_key="RateLimitResetTime")


class AsyncThrottledAcme(AsyncAcmeClient):
    vendor = ThrottledAcme.vendor


@pytest.mark.parametrize("mode", MODES)
def test_a_throttle_body_wait_is_announced_once(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    clock = RecordingClock()
    reset = datetime.fromtimestamp(NOW + 45, UTC).isoformat()
    server = Scripted(httpx.Response(503, json={"RateLimitResetTime": reset}))
    client = make(mode, server, clock=clock, hooks=EXACT, classes=(ThrottledAcme, AsyncThrottledAcme))
    call(mode, client.echo)
    # 45 s until the named second, + 1 s: its resolution, + 1 s: no Date header, the skew is unknown
    assert clock.sleeps == [47.0]
    (message,) = warnings(caplog)
    assert "HTTP 503, retrying (vendor reset time)" in message
    assert message.endswith(f"waiting 47 s, until {at(47)}")


def real_until(message: str) -> float:
    return (
        datetime.strptime(message.rsplit("until ", 1)[1], "%Y-%m-%d %H:%M:%S UTC")
        .replace(tzinfo=UTC)
        .timestamp()
    )


@pytest.mark.parametrize(("period", "announced"), [(60.0, 1), (4.0, 0)])
def test_a_quota_window_wait_is_announced_when_long(
    period: float, announced: int, caplog: pytest.LogCaptureFixture
) -> None:
    clock = RecordingClock()
    limiter = QuotaLimiter([Quota(1, period, "1 per window")], clock=clock.now, sleep=clock.sleep)
    limiter.hold(vendor="acme")
    before = time.time()
    limiter.hold(vendor="acme")
    after = time.time()
    assert clock.sleeps == [period]
    messages = warnings(caplog)
    assert len(messages) == announced
    if announced:
        assert messages[0].startswith("acme quota 1 per window (1 per 60 s) used up: waiting 60 s, until ")
        # the limiter has no wall clock of its own: the end is on the real one
        assert int(before + period) - 1 <= real_until(messages[0]) <= after + period


@pytest.mark.parametrize("mode", MODES)
def test_a_quota_wait_through_the_client_is_announced_once(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = RecordingClock()
    client = make(mode, Acme(), clock=clock, quotas=(Quota(2, 60.0, "2 per minute"),))
    for _ in range(3):
        call(mode, client.echo)
    assert clock.sleeps == [60.0]
    (message,) = warnings(caplog)
    assert message.startswith("acme quota 2 per minute (2 per 60 s) used up: waiting 60 s")


@pytest.mark.parametrize("mode", MODES)
def test_a_long_poll_wait_is_announced_once_per_wait(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    acme = Acme(finish_after=4)
    clock = RecordingClock()
    client = make(mode, acme, clock=clock)
    job = call(mode, lambda: client.export("stock"))
    call(mode, lambda: job.wait(PollPolicy(interval=10.0)))
    assert clock.sleeps == [10.0] * 3  # fetched at once (a new job), then every 10 s
    (message,) = warnings(caplog)
    assert message.startswith("acme job j1: ") and "next status check: waiting 10 s, until " in message
    short = call(mode, lambda: client.export("prices"))
    call(mode, lambda: short.wait(PollPolicy(interval=2.0)))
    assert len(warnings(caplog)) == 1  # short waits: none


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("retry_after", [100, 600])
def test_a_retry_after_longer_than_max_wait_is_rate_limited_at_once(
    mode: str, retry_after: int, caplog: pytest.LogCaptureFixture
) -> None:
    clock = RecordingClock()
    server = Scripted(httpx.Response(429, headers={"Retry-After": str(retry_after)}))
    client = make(mode, server, clock=clock, hooks=EXACT, max_wait=60)
    with pytest.raises(RateLimitedError) as caught:
        call(mode, client.echo)
    # the wait that surely suffices: the whole seconds asked for, + their resolution
    assert caught.value.retry_after == retry_after + 1 and caught.value.status_code == 429
    assert len(server.requests) == 1 and clock.sleeps == [] and warnings(caplog) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_full_quota_longer_than_max_wait_is_rate_limited_at_once(mode: str) -> None:
    acme = Acme()
    clock = RecordingClock()
    client = make(mode, acme, clock=clock, max_wait=60, quotas=(Quota(1, 300.0, "1 per 5 minutes"),))
    call(mode, client.echo)
    with pytest.raises(RateLimitedError, match="longer than max_wait 60 s") as caught:
        call(mode, client.echo)
    assert caught.value.retry_after == pytest.approx(300.0) and caught.value.vendor == "acme"
    assert len(acme.requests) == 1 and clock.sleeps == []


def test_the_limiter_refuses_a_wait_longer_than_max_wait() -> None:
    clock = RecordingClock()
    limiter = QuotaLimiter([Quota(1, 300.0)], clock=clock.now, sleep=clock.sleep)
    limiter.hold()
    clock.advance(100.0)
    with pytest.raises(RateLimitedError) as caught:
        limiter.hold(max_wait=60.0, vendor="acme")
    assert caught.value.retry_after == pytest.approx(200.0) and clock.sleeps == []
    assert limiter.hold(max_wait=200.0) == NOW + 300.0  # a wait within max_wait is waited
    assert clock.sleeps == [pytest.approx(200.0)]


@pytest.mark.parametrize("mode", MODES)
def test_the_transport_bounds_each_wait_by_http_settings_max_wait(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    # max_total_wait alone would allow 600 s: max_wait (a single wait) refuses it
    sleeps = Sleeps()
    config = http_settings(
        sleeps, retry=RetryPolicy(jitter=False, max_total_wait=3600), max_wait=60.0, wall_clock=lambda: NOW
    )
    server = Server(httpx.Response(429, headers={"Retry-After": "600"}), httpx.Response(200))
    with pytest.raises(RateLimitedError) as caught:
        send(mode, server, config)
    assert caught.value.retry_after == 601 and len(server.requests) == 1 and sleeps.waits == []
    waited = Server(httpx.Response(429, headers={"Retry-After": "29"}), httpx.Response(200))
    assert send(mode, waited, config).status_code == 200 and sleeps.waits == [30]  # 29 + its resolution
    (message,) = warnings(caplog)
    assert message.endswith(f"waiting 30 s, until {at(30)}")  # the end on HttpSettings.wall_clock
