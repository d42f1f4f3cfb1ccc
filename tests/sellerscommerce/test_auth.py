"""The rotating-refresh auth against the simulator: one refresh for 100 concurrent calls (threads, tasks),
no refresh token presented twice, the persisted token the live one, restarts without a password grant, the
password grant when the chain dies, and no secret in reprs, logs or errors."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sellerkit.sellerscommerce import (
    AsyncSellersCommerceClient,
    AuthenticationError,
    CallbackTokenStore,
    ConfigurationError,
    FileTokenStore,
    SellersCommerceClient,
    ServerError,
    TokenSet,
)
from sellerkit.sellerscommerce_api.api.portal_admin import list_roles
from sellerkit.testing.sellerscommerce import SellersCommerceSimulator
from tests.sellerscommerce.conftest import aw, dual, sim_client

HOUR = 3600.0
N = 100


def stored(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def token_files(state: Path) -> list[Path]:
    return sorted((state / "tokens" / "sellerscommerce").glob("*.json"))


@pytest.fixture
def state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setenv("SELLERKIT_STATE_DIR", str(folder))
    return folder


def test_100_threads_on_an_expired_token_make_exactly_one_refresh(
    sim: SellersCommerceSimulator, state: Path
) -> None:
    client = sim_client("sync", sim)
    with client:
        client.call(list_roles)
        sim.clock.advance(HOUR)  # the access token is dead (and the client knows it expired)
        barrier = threading.Barrier(N)

        def one(_: int) -> Any:
            barrier.wait(timeout=10)
            return client.call(list_roles)

        with ThreadPoolExecutor(N) as pool:
            answers = list(pool.map(one, range(N)))
        assert len(answers) == N and all(a.results for a in answers)
        live = client._auth.tokens
    assert (sim.password_grants, sim.refresh_grants, sim.reused_refresh_tokens()) == (1, 1, [])
    (path,) = token_files(state)
    saved = stored(path)
    assert sim.refresh_valid(saved["refresh_token"])  # the persisted refresh token is the live one
    assert (
        saved["access_token"] == live.access_token.get()
        and saved["refresh_token"] == live.refresh_token.get()
    )
    assert path.stat().st_mode & 0o777 == 0o600


def test_100_tasks_on_an_expired_token_make_exactly_one_refresh(
    sim: SellersCommerceSimulator, state: Path
) -> None:
    async def run() -> None:
        client = sim_client("async", sim)
        async with client:
            await client.call(list_roles)
            sim.clock.advance(HOUR)
            answers = await asyncio.gather(*(client.call(list_roles) for _ in range(N)))
            assert len(answers) == N and all(a.results for a in answers)

    asyncio.run(run())
    assert (sim.password_grants, sim.refresh_grants, sim.reused_refresh_tokens()) == (1, 1, [])
    (path,) = token_files(state)
    assert sim.refresh_valid(stored(path)["refresh_token"])


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_restarted_process_uses_the_persisted_tokens_without_a_password_grant(
    mode: str, sim: SellersCommerceSimulator, state: Path
) -> None:
    async def first(client: Any) -> None:
        await aw(client.call(list_roles))

    dual(mode, sim, first)
    assert sim.password_grants == 1
    dual(mode, sim, first)  # a new client, as after a restart: the stored access token is still fresh
    assert (sim.password_grants, sim.refresh_grants) == (1, 0)
    sim.clock.advance(HOUR)
    dual(mode, sim, first)  # expired: the stored refresh token, not the password
    assert (sim.password_grants, sim.refresh_grants, sim.reused_refresh_tokens()) == (1, 1, [])
    sim.clock.advance(5 * HOUR)  # the refresh token (4 h) died too: the password grant
    dual(mode, sim, first)
    assert (sim.password_grants, sim.refresh_grants, sim.reused_refresh_tokens()) == (2, 1, [])


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_revoked_refresh_chain_falls_back_to_the_password_grant(
    mode: str, sim: SellersCommerceSimulator, state: Path
) -> None:
    async def script(client: Any) -> None:
        await aw(client.call(list_roles))
        sim.revoke_refresh()
        sim.clock.advance(HOUR)
        await aw(client.call(list_roles))

    dual(mode, sim, script)
    assert (sim.password_grants, sim.refresh_grants, sim.reused_refresh_tokens()) == (2, 0, [])


def test_a_refresh_whose_answer_never_came_is_not_presented_again(
    sim: SellersCommerceSimulator, state: Path
) -> None:
    with sim_client("sync", sim, max_retries=0) as client:
        client.call(list_roles)
        sim.clock.advance(HOUR)
        sim.faults.add("status", path="/token", status=503)
        with pytest.raises(ServerError):
            client.call(list_roles)
        client.call(list_roles)
    # the 503'd refresh token was never presented again: the password grant replaced the chain
    assert sim.reused_refresh_tokens() == [] and sim.password_grants == 2


def test_token_store_options(sim: SellersCommerceSimulator, tmp_path: Path, state: Path) -> None:
    path = tmp_path / "tokens.json"
    with sim_client("sync", sim, token_store=path) as client:
        client.call(list_roles)
    assert sim.refresh_valid(stored(path)["refresh_token"]) and token_files(state) == []
    with sim_client("sync", sim, token_store=FileTokenStore(path)) as client:
        client.call(list_roles)
    assert sim.password_grants == 1
    with sim_client("sync", sim, token_store=False) as client:
        client.call(list_roles)
    assert sim.password_grants == 2 and token_files(state) == []
    with pytest.raises(ConfigurationError, match="token_store must be"):
        sim_client("sync", sim, token_store=42)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_wrong_credentials_are_an_authentication_error_naming_the_fix(
    mode: str, sim: SellersCommerceSimulator, state: Path
) -> None:
    async def script(client: Any) -> None:
        await aw(client.call(list_roles))

    rejected = "sellerscommerce rejected the access key/shared secret"
    with pytest.raises(AuthenticationError, match=rejected) as caught:
        dual(mode, sim, script, shared_secret="not-the-secret")
    assert "not-the-secret" not in str(caught.value) and "not-the-secret" not in repr(caught.value)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_wrong_secret_never_reuses_the_tokens_a_right_one_stored(
    mode: str, sim: SellersCommerceSimulator, state: Path
) -> None:
    async def script(client: Any) -> None:
        await aw(client.call(list_roles))

    dual(mode, sim, script)  # the default token store now holds live tokens for this access key
    # the same access key with another secret must log in (and fail), not answer from that store
    with pytest.raises(AuthenticationError, match="sellerscommerce rejected the access key/shared secret"):
        dual(mode, sim, script, shared_secret="not-the-secret")


def test_credentials_come_from_the_environment_and_are_checked(
    sim: SellersCommerceSimulator, monkeypatch: pytest.MonkeyPatch, state: Path
) -> None:
    monkeypatch.setenv("SELLERSCOMMERCE_ACCESS_KEY", sim.access_key)
    monkeypatch.setenv("SELLERSCOMMERCE_SHARED_SECRET", sim.shared_secret)
    monkeypatch.setenv("SELLERSCOMMERCE_BASE_URL", sim.base_url)
    with SellersCommerceClient() as client:
        client.call(list_roles)
    monkeypatch.delenv("SELLERSCOMMERCE_SHARED_SECRET")
    with pytest.raises(ConfigurationError, match="shared_secret= \\(or SELLERSCOMMERCE_SHARED_SECRET\\)"):
        AsyncSellersCommerceClient()
    with pytest.raises(ConfigurationError, match="access key itself"):
        SellersCommerceClient("Bearer abc", "secret")


def test_no_secret_reaches_reprs_logs_or_errors(
    sim: SellersCommerceSimulator, state: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="sellerkit"), sim_client("sync", sim) as client:
        client.call(list_roles)
        sim.clock.advance(HOUR)
        client.call(list_roles)
        tokens = client._auth.tokens
        shown = repr(client) + str(client) + repr(client._auth) + repr(tokens)
    secrets = [sim.access_key, sim.shared_secret, tokens.access_token.get(), tokens.refresh_token.get()]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refreshing the access token" in logged
    for secret in secrets:
        assert secret not in shown and secret not in logged


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tokens_are_renewed_before_they_expire_and_saved_before_they_are_used(
    mode: str, sim: SellersCommerceSimulator
) -> None:
    saved: list[tuple[str, str, int]] = []  # (access token, refresh token, API calls the server had seen)

    def save(tokens: TokenSet) -> None:
        assert tokens.refresh_token is not None
        saved.append((tokens.access_token.get(), tokens.refresh_token.get(), sim.stats.api_calls))

    async def script(client: Any) -> None:
        await aw(client.call(list_roles))
        sim.clock.advance(0.85 * HOUR)  # past 80 % of the 3599 s lifetime, still valid at the server
        await aw(client.call(list_roles))
        await aw(client.call(list_roles))

    dual(mode, sim, script, token_store=CallbackTokenStore(save))
    assert (sim.password_grants, sim.refresh_grants, sim.stats.unauthorized) == (1, 1, 0)  # early, no 401
    (first, _, before_first), (second, refresh, before_second) = saved
    # each set was in the store before any API call used it: the server had seen 0, then 1 call
    assert (before_first, before_second) == (0, 1) and first != second
    assert sim.refresh_valid(refresh)
