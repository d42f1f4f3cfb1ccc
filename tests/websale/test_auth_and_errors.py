"""WEBSALE login (both credential kinds, cookies), expiring tokens and single-use refresh tokens through the
core's TokenAuth, permissions, transient 503s, configuration errors and secrets; the core's Job.pause/resume
for vendors that can't."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from sellerkit.selsup import SelsupClient
from sellerkit.testing.websale import WebsaleSimulator
from sellerkit.websale import AuthenticationError, ConfigurationError, ServerError, WebsaleClient
from tests.websale.conftest import MODES, MakeSim, aw, dual

ERROR_503 = {"type": "internalError", "message": "Redis did not return a status."}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["password", "api_key"])
def test_login_with_either_credential_and_tokens_renewed_by_refresh(
    mode: str, kind: str, make_sim: MakeSim
) -> None:
    sim = make_sim(access_ttl=60.0)
    kw: dict[str, Any] = {"api_key": sim.api_key} if kind == "api_key" else {}

    async def script(client: Any) -> None:
        job = client.job("product")
        await aw(job.refresh())
        sim.clock.advance(120.0)  # the access token has expired: renewed with the refresh token
        await aw(job.refresh())
        sim.expire_tokens()  # revoked early: the 401 is answered with a refresh, then the call repeated
        await aw(job.refresh())

    dual(mode, sim, script, **kw)
    assert sim.stats.logins == 1 and sim.stats.refreshes == 2
    assert len(sim.tokens.refresh) == 1  # each used refresh token is dead; only the last one is left
    assert sim.requests.per_status()[401] == 1


def test_a_used_refresh_token_is_refused_and_login_sets_cookies(sim: WebsaleSimulator) -> None:
    with httpx.Client(base_url=sim.base_url, timeout=10) as http:
        pair = http.post("/login", json={"apiKey": sim.api_key}).json()
        assert http.post("/login/refresh", json={"refreshToken": pair["refreshToken"]}).status_code == 200
        again = http.post("/login/refresh", json={"refreshToken": pair["refreshToken"]})
        assert again.status_code == 401 and again.json()["type"] == "notAuthorized"
        cookies = http.post(
            "/login", params={"setCookie": "true"}, json={"email": sim.email, "password": sim.password}
        )
        assert cookies.status_code == 200 and "accessToken" not in cookies.json()
        assert {"accessToken", "refreshToken"} <= set(http.cookies.keys())
        assert http.get("/report/product/status").json()["status"] == 0  # the cookie authenticates
        assert http.post("/login", json={"email": sim.email, "password": "wrong"}).status_code == 401
        assert http.post("/login", json={"email": sim.email}).status_code == 400


@pytest.mark.parametrize("mode", MODES)
def test_wrong_password_and_missing_permission_are_authentication_errors(
    mode: str, make_sim: MakeSim
) -> None:
    sim = make_sim(permissions=frozenset({"product"}))

    async def script(client: Any) -> None:
        await aw(client.start_export("product"))
        with pytest.raises(AuthenticationError, match=r"no read permission for order"):
            await aw(client.start_export("order"))

    dual(mode, sim, script)

    def wrong(names: str, secret: str) -> Callable[[Any], Awaitable[None]]:
        async def script(client: Any) -> None:
            with pytest.raises(AuthenticationError, match=rf"^websale rejected the {names} — ") as caught:
                await aw(client.job("product").refresh())
            assert secret not in str(caught.value) + repr(caught.value)

        return script

    dual(mode, sim, wrong("email/password", "wrong-Secret-9"), password="wrong-Secret-9")
    dual(mode, sim, wrong("API key", "wrong-Key-7"), api_key="wrong-Key-7")  # named as it was passed


@pytest.mark.parametrize("mode", MODES)
def test_503_internal_error_is_transient(mode: str, sim: WebsaleSimulator) -> None:
    status = sim.api_prefix + "/report/product/status"
    sim.faults.add("status", path=status, times=2, status=503, body=ERROR_503)
    sim.faults.add(
        "status", path=sim.api_prefix + "/report/product/start", times=1, status=503, body=ERROR_503
    )

    async def script(client: Any) -> Any:
        return await aw(client.start_export("product"))

    job = dual(mode, sim, script)
    assert job.status == "Starting" and sim.stats.starts == 1
    assert sim.requests.per_status()[503] == 3

    sim.settings.redis_down = True

    async def down(client: Any) -> None:
        with pytest.raises(ServerError, match=r"Redis did not return a status") as caught:
            await aw(client.job("product").refresh())
        assert caught.value.code == "internalError"

    dual(mode, sim, down, max_retries=1)


def test_configuration_errors_name_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WEBSALE_SHOP", "WEBSALE_EMAIL", "WEBSALE_PASSWORD", "WEBSALE_API_KEY", "WEBSALE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match=r"WEBSALE_SHOP"):
        WebsaleClient(api_key="k")
    with pytest.raises(ConfigurationError, match=r"email= and password=.*api_key="):
        WebsaleClient("www.my-shop.de", email="a@b.c")
    with pytest.raises(ConfigurationError, match=r"domain"):
        WebsaleClient("https://www.my-shop.de/admin", api_key="k")
    monkeypatch.setenv("WEBSALE_SHOP", "www.my-shop.de")
    monkeypatch.setenv("WEBSALE_API_KEY", "ws-SECRET-key")
    client = WebsaleClient()
    assert client.base_url == "https://www.my-shop.de/admin/api/v1"
    assert "ws-SECRET-key" not in repr(client)
    client.close()


def test_pause_and_resume_are_refused_by_vendors_that_cannot() -> None:
    with SelsupClient(api_key="k", base_url="http://127.0.0.1:9") as client:
        job = client.job("7")
        with pytest.raises(NotImplementedError, match=r"SelSup export jobs cannot be paused"):
            job.pause()
        with pytest.raises(NotImplementedError, match=r"cannot be resumed"):
            job.resume()

    async def run() -> None:
        from sellerkit.selsup import AsyncSelsupClient

        async with AsyncSelsupClient(api_key="k", base_url="http://127.0.0.1:9") as client:
            with pytest.raises(NotImplementedError, match=r"cannot be paused"):
                await client.job("7").pause()

    asyncio.run(run())
