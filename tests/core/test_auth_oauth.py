"""Token auth against the token-server simulator over real sockets: rotation, single flight, 401s, stores."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerkit._core.auth import (
    Credentials,
    FileTokenStore,
    TokenAuth,
    TokenEndpoint,
    TokenSet,
    oauth2_password_grant,
)
from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.errors import APIConnectionError, AuthenticationError, ServerError
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.transport import HttpSettings, VendorFacts, async_httpx_args, sync_httpx_args
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.oauth import OAuthSimulator

FACTS = VendorFacts("acme", ErrorFacts("acme"))
HOUR = 3600.0
Outcome = httpx.Response | BaseException


@dataclass
class Caller:
    """Sends requests through a sellerkit-wired httpx client of one mode, on the simulator's clock."""

    mode: str
    clock: ScaledClock

    def settings(self) -> HttpSettings:
        return HttpSettings(
            retry=RetryPolicy(jitter=False), sleep=self.clock.sleep, async_sleep=self.clock.asleep
        )

    def request(self, auth: httpx.Auth, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self.mode == "sync":
            with httpx.Client(auth=auth, **sync_httpx_args(FACTS, self.settings())) as client:
                return client.request(method, url, **kwargs)

        async def run() -> httpx.Response:
            async with httpx.AsyncClient(auth=auth, **async_httpx_args(FACTS, self.settings())) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(run())

    def get(self, auth: httpx.Auth, url: str) -> httpx.Response:
        return self.request(auth, "GET", url)

    def many(self, auth: httpx.Auth, url: str, n: int) -> list[Outcome]:
        """`n` GETs at once on one client: threads released together, or tasks."""
        if self.mode == "sync":
            barrier = threading.Barrier(n)
            with (
                httpx.Client(auth=auth, **sync_httpx_args(FACTS, self.settings())) as client,
                ThreadPoolExecutor(n) as pool,
            ):

                def one() -> Outcome:
                    barrier.wait(timeout=10)
                    try:
                        return client.get(url)
                    except Exception as exc:
                        return exc

                return list(pool.map(lambda _: one(), range(n)))

        async def run() -> list[Outcome]:
            async with httpx.AsyncClient(auth=auth, **async_httpx_args(FACTS, self.settings())) as client:
                return list(
                    await asyncio.gather(*(client.get(url) for _ in range(n)), return_exceptions=True)
                )

        return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def caller(request: pytest.FixtureRequest, sim_clock: ScaledClock) -> Caller:
    return Caller(str(request.param), sim_clock)


def oauth(sim: OAuthSimulator, clock: ScaledClock, **kwargs: Any) -> TokenAuth:
    """Sellers Commerce-style auth on the simulator (password grant unless told otherwise)."""
    options: dict[str, Any] = {"username": sim.username, "password": sim.password, "clock": clock.now}
    return TokenAuth(oauth2_password_grant(sim.token_url), vendor="acme", **(options | kwargs))


def json_login(sim: OAuthSimulator) -> TokenEndpoint:
    """What the Sellercloud overlay supplies: JSON `{Username, Password}` to `/api/token`."""

    def login(credentials: Credentials) -> httpx.Request:
        body = {"Username": credentials.username.get(), "Password": credentials.password.get()}
        return httpx.Request("POST", sim.login_url, json=body)

    return TokenEndpoint(login=login)


def ok(outcomes: list[Outcome]) -> int:
    return sum(isinstance(o, httpx.Response) and o.status_code == 200 for o in outcomes)


def waits(caplog: pytest.LogCaptureFixture) -> int:
    return sum("waiting for the token request in flight" in r.getMessage() for r in caplog.records)


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG, logger="sellerkit"):
        yield caplog


# ---------------------------------------------------------------- OAuth2 password grant, rotating refresh


def test_password_grant_then_refresh_rotates_and_the_used_refresh_token_dies(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    assert caller.get(auth, oauth_sim.protected_url).json() == {"ok": True, "received": 0}
    first = auth.tokens
    assert first is not None and first.refresh_token is not None and first.token_type == "bearer"
    sim_clock.advance(HOUR)
    assert caller.get(auth, oauth_sim.protected_url).status_code == 200
    second = auth.tokens
    assert second is not None and second.refresh_token is not None
    assert second.refresh_token != first.refresh_token and second.access_token != first.access_token
    assert not oauth_sim.refresh_valid(first.refresh_token.get())  # really dead on the server
    assert oauth_sim.refresh_valid(second.refresh_token.get())
    stats = oauth_sim.stats
    assert (stats.password_grants, stats.refreshes, stats.rejected_refreshes) == (1, 1, 0)
    assert stats.protected_rejected == 0


def test_100_concurrent_calls_on_an_expired_token_make_exactly_one_refresh(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock, debug_log: pytest.LogCaptureFixture
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    sim_clock.advance(HOUR)
    # a slow refresh (0.1 real s), so the other 99 arrive while it is in flight
    oauth_sim.faults.add("slow", path="/token", delay=0.1)
    outcomes = caller.many(auth, oauth_sim.protected_url, 100)
    assert ok(outcomes) == 100, [o for o in outcomes if not isinstance(o, httpx.Response)][:3]
    stats = oauth_sim.stats
    print(f"\n{caller.mode}: refreshes={stats.refreshes}, waited for it={waits(debug_log)}")
    assert (stats.password_grants, stats.refreshes, stats.rejected_refreshes) == (1, 1, 0)
    assert stats.protected_rejected == 0 and len(stats.access_tokens_seen) == 2
    assert waits(debug_log) >= 50  # most of them really waited for the one refresh


def test_sync_threads_and_async_tasks_sharing_one_auth_refresh_once(
    oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    sync, asynchronous = Caller("sync", sim_clock), Caller("async", sim_clock)
    sync.get(auth, oauth_sim.protected_url)
    sim_clock.advance(HOUR)
    oauth_sim.faults.add("slow", path="/token", delay=0.1)
    outcomes: list[Outcome] = []
    thread = threading.Thread(target=lambda: outcomes.extend(sync.many(auth, oauth_sim.protected_url, 20)))
    thread.start()
    outcomes += asynchronous.many(auth, oauth_sim.protected_url, 20)
    thread.join(10)
    assert ok(outcomes) == 40
    assert (oauth_sim.stats.password_grants, oauth_sim.stats.refreshes) == (1, 1)


def test_tokens_are_renewed_a_little_before_they_expire(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    sim_clock.advance(0.8 * HOUR - 1)
    caller.get(auth, oauth_sim.protected_url)
    assert oauth_sim.stats.refreshes == 0
    sim_clock.advance(2)  # 80 % of the hour: the old token still works, it is replaced anyway
    caller.get(auth, oauth_sim.protected_url)
    assert oauth_sim.stats.refreshes == 1 and oauth_sim.stats.protected_rejected == 0


def test_a_401_gets_a_new_token_and_one_replay_of_a_replayable_request(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    oauth_sim.revoke_access()  # the server dropped the token early
    response = caller.request(auth, "POST", oauth_sim.protected_url, content=b"x" * 1000)
    assert response.json() == {"ok": True, "received": 1000}  # the body went again, whole
    stats = oauth_sim.stats
    assert (stats.protected_rejected, stats.refreshes, stats.protected_ok) == (1, 1, 2)


def test_a_consumed_stream_body_is_not_replayed_after_a_401_but_the_token_is_dropped(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    oauth_sim.revoke_access()

    def chunks() -> Iterator[bytes]:
        yield b"a" * 10

    async def achunks() -> AsyncIterator[bytes]:
        yield b"a" * 10

    body = chunks() if caller.mode == "sync" else achunks()
    with pytest.raises(AuthenticationError) as raised:
        caller.request(auth, "POST", oauth_sim.protected_url, content=body)
    assert raised.value.status == 401
    assert raised.value.vendor_message == "The access token is missing or unknown."
    assert (oauth_sim.stats.protected_rejected, oauth_sim.stats.refreshes) == (1, 0)
    assert caller.get(auth, oauth_sim.protected_url).status_code == 200  # the failed token was dropped
    assert oauth_sim.stats.refreshes == 1


def test_a_final_401_surfaces_as_authentication_error_with_the_vendor_message(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    body = {"error": "invalid_token", "error_description": "The account is disabled."}
    oauth_sim.faults.add("status", path="/protected", status=401, body=body, times=None)
    with pytest.raises(AuthenticationError) as raised:
        caller.get(auth, oauth_sim.protected_url)
    error = raised.value
    assert (error.status, error.vendor_message, error.code, error.method) == (
        401,
        "The account is disabled.",
        "invalid_token",
        "GET",
    )
    assert error.url == oauth_sim.protected_url
    assert oauth_sim.requests.calls(path="/protected") == 2  # sent, and replayed once with a new token
    assert (oauth_sim.stats.password_grants, oauth_sim.stats.refreshes) == (1, 1)


def test_a_401_for_a_token_already_replaced_retries_with_the_new_one_without_another_refresh(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    # request A's auth flow is driven by hand; `raw` sends its requests through the sellerkit transport
    with httpx.Client(**sync_httpx_args(FACTS, caller.settings())) as raw:
        if caller.mode == "sync":
            flow = auth.sync_auth_flow(raw.build_request("GET", oauth_sim.protected_url))
            stale = next(flow)  # request A holds token 1 ...
            oauth_sim.revoke_access()
            assert (
                caller.get(auth, oauth_sim.protected_url).status_code == 200
            )  # ... B: 401, refresh, token 2
            replay = flow.send(raw.send(stale, auth=None))  # A's 401 arrives late
            response = raw.send(replay, auth=None)
            with pytest.raises(StopIteration):
                flow.send(response)
        else:

            async def drive() -> httpx.Response:
                async with httpx.AsyncClient(**async_httpx_args(FACTS, caller.settings())) as client:
                    aflow = auth.async_auth_flow(client.build_request("GET", oauth_sim.protected_url))
                    stale = await aflow.__anext__()
                    oauth_sim.revoke_access()
                    other = await client.get(oauth_sim.protected_url, auth=auth)
                    assert other.status_code == 200
                    replay = await aflow.asend(await client.send(stale, auth=None))
                    response = await client.send(replay, auth=None)
                    with pytest.raises(StopAsyncIteration):
                        await aflow.asend(response)
                    return response

            response = asyncio.run(drive())
    assert response.status_code == 200
    stats = oauth_sim.stats
    assert (stats.refreshes, stats.protected_rejected, stats.protected_ok) == (1, 2, 3)


def test_rotated_tokens_go_to_the_store_and_a_restarted_process_needs_no_password(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    path = tmp_path / "tokens.json"
    auth = oauth(oauth_sim, sim_clock, store=FileTokenStore(path))
    caller.get(auth, oauth_sim.protected_url)
    sim_clock.advance(HOUR)
    caller.get(auth, oauth_sim.protected_url)
    assert auth.tokens is not None and auth.tokens.refresh_token is not None
    assert json.loads(path.read_text())["refresh_token"] == auth.tokens.refresh_token.get()

    restarted = TokenAuth(
        oauth2_password_grant(oauth_sim.token_url),
        vendor="acme",
        store=FileTokenStore(path),
        clock=sim_clock.now,
    )
    caller.get(restarted, oauth_sim.protected_url)  # the stored access token is still good: no token request
    assert (oauth_sim.stats.password_grants, oauth_sim.stats.refreshes) == (1, 1)
    sim_clock.advance(HOUR)
    assert caller.get(restarted, oauth_sim.protected_url).status_code == 200
    assert (oauth_sim.stats.password_grants, oauth_sim.stats.refreshes) == (1, 2)
    assert TokenSet.from_dict(json.loads(path.read_text())) == restarted.tokens


def test_a_rejected_refresh_token_falls_back_to_the_password_grant(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    oauth_sim.revoke_refresh()
    sim_clock.advance(HOUR)
    assert caller.get(auth, oauth_sim.protected_url).status_code == 200
    stats = oauth_sim.stats
    assert (stats.password_grants, stats.refreshes, stats.rejected_refreshes) == (2, 0, 1)


def test_an_expired_refresh_token_of_known_lifetime_is_not_even_tried(
    caller: Caller, make_oauth_sim: Callable[..., OAuthSimulator], sim_clock: ScaledClock
) -> None:
    sim = make_oauth_sim(access_ttl=60.0, refresh_ttl=120.0)
    auth = oauth(sim, sim_clock, refresh_lifetime=120.0)
    caller.get(auth, sim.protected_url)
    sim_clock.advance(200)
    caller.get(auth, sim.protected_url)
    assert (sim.stats.password_grants, sim.stats.refreshes, sim.stats.rejected_refreshes) == (2, 0, 0)


def test_a_rejected_refresh_token_without_a_password_is_an_error_naming_the_fix(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    seeded = oauth_sim.issue()
    auth = oauth(oauth_sim, sim_clock, username=None, password=None, refresh_token=seeded["refresh_token"])
    oauth_sim.revoke_refresh()
    with pytest.raises(AuthenticationError) as raised:
        caller.get(auth, oauth_sim.protected_url)
    text = str(raised.value)
    assert "rejected the refresh token and no username/password is configured" in text
    assert "pass username= and password= or a fresh refresh token" in text
    assert "The refresh token is invalid or expired." in text  # the server's own words
    assert (raised.value.status, raised.value.code) == (400, "invalid_grant")
    assert seeded["refresh_token"] not in text and seeded["refresh_token"] not in repr(raised.value)


def test_a_seeded_refresh_token_starts_a_session_without_a_password(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    seeded = oauth_sim.issue()
    auth = oauth(oauth_sim, sim_clock, username=None, password=None, refresh_token=seeded["refresh_token"])
    for _ in range(3):
        assert caller.get(auth, oauth_sim.protected_url).status_code == 200
        sim_clock.advance(HOUR)
    assert (oauth_sim.stats.password_grants, oauth_sim.stats.refreshes) == (0, 3)


def test_a_wrong_password_fails_every_concurrent_caller_with_one_login_attempt(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock, password="wrong")
    oauth_sim.faults.add("slow", path="/token", delay=0.1)
    outcomes = caller.many(auth, oauth_sim.protected_url, 20)
    assert all(isinstance(o, AuthenticationError) for o in outcomes)
    first = outcomes[0]
    assert isinstance(first, AuthenticationError)
    assert "rejected the username/password" in str(first)
    assert first.vendor_message == "The user name or password is incorrect."
    assert oauth_sim.stats.rejected_passwords == 1 and oauth_sim.requests.calls(path="/protected") == 0


def test_token_requests_go_through_the_transport_retries(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    oauth_sim.faults.add("status", path="/token", status=503)
    assert caller.get(oauth(oauth_sim, sim_clock), oauth_sim.protected_url).status_code == 200
    assert oauth_sim.requests.calls(path="/token") == 2 and oauth_sim.stats.password_grants == 1


def test_a_refresh_is_never_resent_since_a_refresh_token_works_only_once(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    sim_clock.advance(HOUR)
    oauth_sim.faults.add("status", path="/token", status=503)
    with pytest.raises(ServerError):
        caller.get(auth, oauth_sim.protected_url)
    assert caller.get(auth, oauth_sim.protected_url).status_code == 200  # the next call refreshes
    stats = oauth_sim.stats
    assert (oauth_sim.requests.calls(path="/token"), stats.refreshes, stats.password_grants) == (3, 1, 1)


def test_single_use_refresh_never_presents_a_refresh_token_whose_answer_never_came(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = oauth(oauth_sim, sim_clock, single_use_refresh=True)
    caller.get(auth, oauth_sim.protected_url)
    sim_clock.advance(HOUR)
    oauth_sim.faults.add("status", path="/token", status=503)
    with pytest.raises(ServerError):
        caller.get(auth, oauth_sim.protected_url)
    # the refresh token was presented once (its answer was a 503): the next call logs in instead
    assert caller.get(auth, oauth_sim.protected_url).status_code == 200
    stats = oauth_sim.stats
    assert (oauth_sim.requests.calls(path="/token"), stats.refreshes, stats.password_grants) == (3, 0, 2)
    sim_clock.advance(HOUR)
    assert caller.get(auth, oauth_sim.protected_url).status_code == 200  # the new chain refreshes again
    assert (stats.refreshes, stats.password_grants) == (1, 2)


def test_when_the_leaders_token_request_breaks_a_waiting_call_takes_over(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock, debug_log: pytest.LogCaptureFixture
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    sim_clock.advance(HOUR)
    oauth_sim.faults.add("slow", path="/token", delay=0.1)
    oauth_sim.faults.add("reset", path="/token")  # the connection dies under the first refresh
    outcomes = caller.many(auth, oauth_sim.protected_url, 10)
    errors = [o for o in outcomes if not isinstance(o, httpx.Response)]
    assert len(errors) == 1 and isinstance(errors[0], APIConnectionError)  # only the leader's call fails
    assert ok(outcomes) == 9 and oauth_sim.stats.refreshes == 1


def test_an_async_leader_cancelled_mid_refresh_does_not_fail_the_others(
    oauth_sim: OAuthSimulator, sim_clock: ScaledClock, debug_log: pytest.LogCaptureFixture
) -> None:
    auth = oauth(oauth_sim, sim_clock)
    caller = Caller("async", sim_clock)
    caller.get(auth, oauth_sim.protected_url)
    sim_clock.advance(HOUR)
    oauth_sim.faults.add("slow", path="/token", delay=0.15)

    async def run() -> tuple[int, int, bool]:
        async with httpx.AsyncClient(auth=auth, **async_httpx_args(FACTS, caller.settings())) as client:
            leader = asyncio.create_task(client.get(oauth_sim.protected_url))
            for _ in range(
                400
            ):  # until the leader's refresh reached the server (held there by the slow fault)
                if oauth_sim.requests.calls(path="/token") == 2:
                    break
                await asyncio.sleep(0.001)
            followers = [asyncio.create_task(client.get(oauth_sim.protected_url)) for _ in range(5)]
            ticks = 0
            for _ in range(400):
                if waits(debug_log) == 5:
                    break
                ticks += 1  # the loop stays free while the refresh is in flight: no thread lock is held
                await asyncio.sleep(0.001)
            leader.cancel()
            done = await asyncio.gather(*followers, return_exceptions=True)
            with contextlib.suppress(asyncio.CancelledError):
                await leader
            return ok(list(done)), ticks, leader.cancelled()

    served, ticks, cancelled = asyncio.run(run())
    # five waited for the leader; then one of them took over and the other four waited for that one
    assert cancelled and served == 5 and ticks >= 1 and waits(debug_log) == 9
    assert oauth_sim.stats.refreshes == 1 and oauth_sim.requests.calls(path="/token") == 3


# ---------------------------------------------------------------- login bearer (Sellercloud)


def test_login_bearer_renews_early_and_logs_in_again_on_a_401(
    caller: Caller, make_oauth_sim: Callable[..., OAuthSimulator], sim_clock: ScaledClock
) -> None:
    sim = make_oauth_sim(access_ttl=1800.0)  # Sellercloud's example expires_in
    auth = TokenAuth(
        json_login(sim),
        vendor="sellercloud",
        username=sim.username,
        password=sim.password,
        clock=sim_clock.now,
    )
    caller.get(auth, sim.protected_url)
    assert auth.tokens is not None and auth.tokens.refresh_token is None
    sim_clock.advance(1439)
    caller.get(auth, sim.protected_url)
    assert sim.stats.logins == 1
    sim_clock.advance(2)  # 80 % of 1800 s
    caller.get(auth, sim.protected_url)
    assert sim.stats.logins == 2 and sim.stats.protected_rejected == 0
    sim.revoke_access()
    assert caller.get(auth, sim.protected_url).status_code == 200
    assert (sim.stats.logins, sim.stats.protected_rejected) == (3, 1)


def test_login_bearer_with_wrong_credentials_is_an_authentication_error(
    caller: Caller, oauth_sim: OAuthSimulator, sim_clock: ScaledClock
) -> None:
    auth = TokenAuth(json_login(oauth_sim), vendor="sellercloud", username="someone", password="nope")
    with pytest.raises(AuthenticationError, match="rejected the username/password") as raised:
        caller.get(auth, oauth_sim.protected_url)
    assert raised.value.vendor_message == "Invalid username or password."
    assert raised.value.url == oauth_sim.login_url and raised.value.status == 401


# ---------------------------------------------------------------- secrets


def test_no_token_or_password_reaches_logs_reprs_or_errors(
    caller: Caller,
    oauth_sim: OAuthSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    with caplog.at_level(logging.DEBUG):  # every logger, sellerkit's and httpx's alike
        auth = oauth(oauth_sim, sim_clock, store=store)
        secrets = {oauth_sim.username, oauth_sim.password}
        caller.get(auth, oauth_sim.protected_url)
        sim_clock.advance(HOUR)
        caller.get(auth, oauth_sim.protected_url)  # refresh
        oauth_sim.revoke_access()
        caller.get(auth, oauth_sim.protected_url)  # 401, refresh, replay
        assert auth.tokens is not None
        shown = [repr(auth), str(auth), repr(auth.tokens), str(auth.tokens), repr(store)]
        oauth_sim.revoke_refresh()
        sim_clock.advance(HOUR)
        failing = oauth(oauth_sim, sim_clock, password="wrong-5ecr3t")
        secrets.add("wrong-5ecr3t")
        with pytest.raises(AuthenticationError) as raised:
            caller.get(failing, oauth_sim.protected_url)
        shown += [repr(raised.value), str(raised.value), repr(failing)]
        oauth_sim.faults.add("status", path="/protected", status=401, times=None)
        with pytest.raises(AuthenticationError) as final:
            caller.get(auth, oauth_sim.protected_url)  # rejected refresh, password grant, 401 twice
        shown += [repr(final.value), str(final.value)]
    secrets |= oauth_sim.stats.access_tokens_seen
    saved = json.loads(store.path.read_text())
    secrets |= {saved["access_token"], saved["refresh_token"]}
    assert len(secrets) >= 8
    logged = [record.getMessage() for record in caplog.records]
    assert any("refreshing" in line for line in logged) and any("HTTP 401" in line for line in logged)
    for text in logged + shown:
        leaked = [s for s in secrets if s in text]
        assert not leaked, (text, leaked)
