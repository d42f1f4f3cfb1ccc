"""Sellercloud client settings and login: token renewal, wrong password, environment variables, server id and
export path, and concurrent jobs sharing one login — end to end on the simulator, sync and async as pairs."""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sellerkit.sellercloud import (
    AsyncSellercloudClient,
    AuthenticationError,
    ConfigurationError,
    SellercloudClient,
)
from sellerkit.testing.fixtures import MakeSellercloudSim
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import SellercloudSimulator
from tests.clients import make_client
from tests.sellercloud.conftest import (
    EXPORT_PATH,
    JOB_ROUTE,
    MODES,
    PLUGIN,
    SKUS,
    TOKEN_PATH,
    assert_downloaded,
    aw,
    client_kwargs,
    dual,
    leftovers,
)

DOCUMENTED_PATH = "/rest/api/Catalog/ViaPlugin"
ENV = ("SELLERCLOUD_SERVER", "SELLERCLOUD_USERNAME", "SELLERCLOUD_PASSWORD", "SELLERCLOUD_EXPORT_PATH")
CLIENTS: dict[str, Any] = {"sync": SellercloudClient, "async": AsyncSellercloudClient}
BAD_PATH = "export_path must be 'exports' or 'documented'"


async def _export(client: Any, dest: Path, skus: list[str] = SKUS) -> Any:
    job = await aw(client.export_via_plugin(skus, plugin=PLUGIN))
    await aw(job.wait())
    return job.reference, await aw(job.download(dest))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# ---------------------------------------------------------------- tokens


@pytest.mark.parametrize("mode", MODES)
def test_token_is_renewed_before_it_expires_during_a_long_job(
    mode: str, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """100 s tokens, a 10-minute job: a new login before each token expires (never earlier than half its
    life), so no request is ever refused."""
    sim = make_sellercloud_sim(clock=sim_clock, token_seconds=100, job_seconds=600.0)

    async def script(client: Any) -> Any:
        return await _export(client, tmp_path)

    start = sim_clock.now()
    ref, result = dual(mode, sim, sim_clock, script)
    assert_downloaded(sim, tmp_path, ref, result)
    grants = [r.sim_time for r in sim.requests.matching(method="POST", path=TOKEN_PATH)]
    assert len(grants) == sim.stats.tokens_issued >= 6
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert all(50.0 <= gap < 100.0 for gap in gaps), gaps
    assert sim_clock.now() - grants[-1] < 100.0  # the last token was still valid at the end
    assert 401 not in sim.requests.per_status()
    assert sim_clock.now() - start >= 600.0


@pytest.mark.parametrize("mode", MODES)
def test_wrong_password_is_one_refused_login_and_an_authentication_error(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """The token endpoint's 401 is `AuthenticationError` at once: one login attempt, nothing else sent."""

    async def script(client: Any) -> Any:
        return await _export(client, tmp_path)

    with pytest.raises(AuthenticationError) as caught:
        dual(mode, sellercloud_sim, sim_clock, script, password="not-" + sellercloud_sim.password)
    error = caught.value
    assert error.status == 401 and "username/password" in str(error)
    assert "incorrect" in (error.vendor_message or "")
    assert sellercloud_sim.stats.token_refusals == 1 and sellercloud_sim.stats.tokens_issued == 0
    assert [r.path for r in sellercloud_sim.requests] == [TOKEN_PATH]
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("export_path", [None, "documented", "exports"])
def test_settings_from_environment_variables(
    mode: str,
    export_path: str | None,
    sellercloud_sim: SellercloudSimulator,
    sim_clock: ScaledClock,
    clean_env: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The constructor reads SELLERCLOUD_SERVER (a full URL here) / USERNAME / PASSWORD / EXPORT_PATH when
    no argument is given, and runs an export with them."""
    clean_env.setenv("SELLERCLOUD_SERVER", sellercloud_sim.base_url)
    clean_env.setenv("SELLERCLOUD_USERNAME", sellercloud_sim.username)
    clean_env.setenv("SELLERCLOUD_PASSWORD", sellercloud_sim.password)
    if export_path is not None:
        clean_env.setenv("SELLERCLOUD_EXPORT_PATH", export_path)

    async def main() -> Any:
        if mode == "sync":
            with make_client(SellercloudClient, sim_clock) as client:
                assert client.base_url == sellercloud_sim.base_url
                return await _export(client, tmp_path)
        async with make_client(AsyncSellercloudClient, sim_clock) as aclient:
            assert aclient.base_url == sellercloud_sim.base_url
            return await _export(aclient, tmp_path)

    ref, result = asyncio.run(main())
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)
    used = DOCUMENTED_PATH if export_path == "documented" else EXPORT_PATH
    exports = sellercloud_sim.requests.matching(method="POST", path="/rest/api/Catalog")
    assert [r.path for r in exports] == [used]
    assert sellercloud_sim.stats.tokens_issued == 1


@pytest.mark.parametrize("mode", MODES)
def test_export_path_argument_wins_over_the_environment(
    mode: str,
    sellercloud_sim: SellercloudSimulator,
    sim_clock: ScaledClock,
    clean_env: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """`export_path="documented"` posts to /api/Catalog/ViaPlugin even when the environment says "exports"."""
    clean_env.setenv("SELLERCLOUD_EXPORT_PATH", "exports")

    async def script(client: Any) -> Any:
        return await _export(client, tmp_path)

    ref, result = dual(mode, sellercloud_sim, sim_clock, script, export_path="documented")
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)
    assert sellercloud_sim.requests.calls(method="POST", path=DOCUMENTED_PATH) == 1
    assert sellercloud_sim.requests.calls(method="POST", path=EXPORT_PATH) == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("from_env", [False, True])
def test_server_id_becomes_the_vendor_url(mode: str, from_env: bool, clean_env: pytest.MonkeyPatch) -> None:
    """A server id ("tt", as argument or SELLERCLOUD_SERVER) means https://tt.api.sellercloud.com/rest."""
    cls = CLIENTS[mode]
    if from_env:
        clean_env.setenv("SELLERCLOUD_SERVER", "tt")
        clean_env.setenv("SELLERCLOUD_USERNAME", "user@example.test")
        clean_env.setenv("SELLERCLOUD_PASSWORD", "pw-123456")
        client: Any = cls()
    else:
        client = cls("tt", "user@example.test", "pw-123456")
    try:
        assert client.base_url == "https://tt.api.sellercloud.com/rest"
        assert str(client.api._base_url) == "https://tt.api.sellercloud.com/rest"
        assert repr(client) == f"<{cls.__name__} {client.base_url} username=*** password=***>"
    finally:
        if mode == "sync":
            client.close()
        else:
            asyncio.run(client.aclose())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("arguments", "env", "match"),
    [
        ({"export_path": "legacy"}, {}, BAD_PATH),
        ({}, {"SELLERCLOUD_EXPORT_PATH": "Catalog/ViaPlugin"}, BAD_PATH),
        ({"server_id": "tt.evil.example/x"}, {}, "not a subdomain name"),
        ({"server_id": None}, {}, "SELLERCLOUD_SERVER"),
        ({"password": None}, {}, "SELLERCLOUD_PASSWORD"),
    ],
)
def test_bad_settings_are_configuration_errors_before_any_request(
    mode: str,
    arguments: dict[str, Any],
    env: dict[str, str],
    match: str,
    sellercloud_sim: SellercloudSimulator,
    clean_env: pytest.MonkeyPatch,
) -> None:
    """Bad or missing settings raise `ConfigurationError` naming the fix; nothing reaches the server."""
    for name, value in env.items():
        clean_env.setenv(name, value)
    kwargs: dict[str, Any] = {"server_id": "tt", "username": "user@example.test", "password": "pw-123456"}
    kwargs.update(arguments)
    with pytest.raises(ConfigurationError, match=match):
        CLIENTS[mode](**kwargs)
    assert len(sellercloud_sim.requests) == 0


# ---------------------------------------------------------------- concurrency


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_jobs_share_one_login_and_download_identical_files(
    mode: str, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Five exports waited at once (threads on one sync client, `asyncio.gather` on one async client): one
    token grant for all, five jobs, five byte-identical files in one folder."""
    sim = make_sellercloud_sim(clock=sim_clock, job_seconds=20.0)
    batches = [[f"SKU-{n}-{i}" for i in range(n + 1)] for n in range(5)]

    if mode == "sync":
        with make_client(SellercloudClient, sim_clock, **client_kwargs(sim)) as client:

            def one(skus: list[str]) -> Any:
                job = client.export_via_plugin(skus, plugin=PLUGIN)
                job.wait()
                return job.reference, job.download(tmp_path)

            with ThreadPoolExecutor(max_workers=len(batches)) as pool:
                results = list(pool.map(one, batches))
    else:

        async def main() -> list[Any]:
            async with make_client(AsyncSellercloudClient, sim_clock, **client_kwargs(sim)) as client:
                return list(await asyncio.gather(*(_export(client, tmp_path, skus) for skus in batches)))

        results = asyncio.run(main())

    assert sim.stats.tokens_issued == 1
    assert sim.requests.calls(method="POST", path=TOKEN_PATH) == 1
    assert sim.stats.jobs_created == len(batches) and sim.stats.files_served == len(batches)
    assert len({ref for ref, _ in results}) == len(batches)
    for (ref, result), skus in zip(results, batches, strict=True):
        assert sim.job(int(ref)).product_ids == tuple(skus)
        assert result.sha256 == sim.file_sha256(int(ref)) == sim.expected_export(skus, 1).sha256
        assert result.path.read_bytes() == sim.file_bytes(int(ref))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(r.path.name for _, r in results)
    assert not leftovers(tmp_path)
    assert all(r.has_authorization for r in sim.requests.matching(route=JOB_ROUTE))
