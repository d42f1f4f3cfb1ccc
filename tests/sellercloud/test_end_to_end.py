"""Sellercloud export → queued job → output file, end to end over real sockets, sync and async as pairs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sellerkit.sellercloud import AuthenticationError, ConfigurationError, JobFailedError, SellercloudClient
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import SellercloudSimulator
from tests.clients import make_client
from tests.sellercloud.conftest import client_kwargs, export_and_download, run

MODES = ["sync", "async"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", ["base64_json", "file_content", "raw", "base64_text"])
@pytest.mark.parametrize("file_format", ["csv", "tab", "excel"])
def test_every_output_shape_gives_the_same_file(
    mode: str, shape: str, file_format: str, make_sellercloud_sim: Any, tmp_path: Path
) -> None:
    clock = ScaledClock.manual()
    sim: SellercloudSimulator = make_sellercloud_sim(clock=clock, output_shape=shape)
    ref, result = run(mode, sim, clock, export_and_download(mode, tmp_path, file_format=file_format))
    expected = sim.expected_file(int(ref))
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest() == expected.sha256
    assert result.path.parent == tmp_path and result.path.suffix == "." + expected.extension
    assert sorted(p.name for p in tmp_path.iterdir()) == [result.path.name]  # no staging or part files left


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("export_path", ["exports", "documented"])
def test_both_documented_export_paths_are_reachable(
    mode: str, export_path: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    ref, result = run(
        mode, sellercloud_sim, sim_clock, export_and_download(mode, tmp_path), export_path=export_path
    )
    route = (
        "/rest/api/Catalog/Exports/ViaPlugin" if export_path == "exports" else "/rest/api/Catalog/ViaPlugin"
    )
    assert sellercloud_sim.requests.calls(method="POST", path=route) == 1
    assert result.sha256 == sellercloud_sim.file_sha256(int(ref))


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_job_raises_with_the_vendor_message_and_its_error_log(
    mode: str, make_sellercloud_sim: Any, tmp_path: Path
) -> None:
    clock = ScaledClock.manual()
    sim = make_sellercloud_sim(clock=clock, outcome="failed", error_message="Plugin crashed on SKU-2")
    with pytest.raises(JobFailedError) as caught:
        run(mode, sim, clock, export_and_download(mode, tmp_path))
    error = caught.value
    assert error.status == "FAILED" and error.vendor_message == "Plugin crashed on SKU-2"
    assert error.details, "the job's error log entries are attached"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("mode", MODES)
def test_expired_token_is_renewed_by_logging_in_again(
    mode: str, make_sellercloud_sim: Any, tmp_path: Path
) -> None:
    clock = ScaledClock.manual()
    sim = make_sellercloud_sim(clock=clock, token_seconds=60, job_seconds=600)
    ref, result = run(mode, sim, clock, export_and_download(mode, tmp_path))
    assert result.sha256 == sim.file_sha256(int(ref))
    assert sim.stats.tokens_issued >= 2  # a 10-minute job outlives several 60 s tokens


@pytest.mark.parametrize("mode", MODES)
def test_wrong_password_is_an_authentication_error(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    with pytest.raises(AuthenticationError):
        run(mode, sellercloud_sim, sim_clock, export_and_download(mode, tmp_path), password="wrong")


@pytest.mark.parametrize("mode", MODES)
def test_rate_limit_body_makes_the_client_wait_until_the_reset_time(
    mode: str, make_sellercloud_sim: Any, tmp_path: Path
) -> None:
    clock = ScaledClock.manual()
    sim = make_sellercloud_sim(clock=clock, rate_limit=5, rate_limit_period=600.0)
    start = clock.now()
    ref, result = run(mode, sim, clock, export_and_download(mode, tmp_path))
    assert result.sha256 == sim.file_sha256(int(ref))
    assert sim.stats.throttled >= 1 and clock.now() - start >= 600 - 1
    assert sim.stats.jobs_created == 1


@pytest.mark.parametrize("mode", MODES)
def test_inline_basic_export_downloads_like_a_job(
    mode: str, make_sellercloud_sim: Any, tmp_path: Path
) -> None:
    clock = ScaledClock.manual()
    sim = make_sellercloud_sim(clock=clock, basic_response="file")

    def sync_script(client: Any) -> Any:
        return client.export_basic(["SKU-1"], kind=3).download(tmp_path)

    async def async_script(client: Any) -> Any:
        return await (await client.export_basic(["SKU-1"], kind=3)).download(tmp_path)

    result = run(mode, sim, clock, sync_script if mode == "sync" else async_script)
    assert result.path.exists() and result.size > 0


def test_bad_input_is_refused_before_any_request(
    sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock
) -> None:
    with make_client(SellercloudClient, sim_clock, **client_kwargs(sellercloud_sim)) as client:
        cases: list[tuple[Callable[[], object], str]] = [
            (lambda: client.export_via_plugin([], plugin="p"), "no product_ids"),
            (lambda: client.export_via_plugin("SKU-1", plugin="p"), "not a single string"),
            (
                lambda: client.export_via_plugin(["A"], plugin="p", file_format="pdf"),  # type: ignore[arg-type]
                "'tab', 'csv' or 'excel'",
            ),
            (lambda: client.export_basic(["A"], kind=15), "StandardExportKind 0-14"),
        ]
        for call, message in cases:
            with pytest.raises(ConfigurationError, match=message):
                call()
    assert len(sellercloud_sim.requests) == 0


def test_missing_settings_name_the_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SELLERCLOUD_SERVER", "SELLERCLOUD_USERNAME", "SELLERCLOUD_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    # credentials are read (and checked) first, then the server: each error names what is still missing
    for server in (None, "tt"):
        with pytest.raises(ConfigurationError, match=r"SELLERCLOUD_USERNAME.*SELLERCLOUD_PASSWORD"):
            SellercloudClient(server)
    with pytest.raises(ConfigurationError, match="SELLERCLOUD_SERVER"):
        SellercloudClient(username="u", password="s3cret-Pw")
    monkeypatch.setenv("SELLERCLOUD_SERVER", "tt")
    monkeypatch.setenv("SELLERCLOUD_USERNAME", "u")
    monkeypatch.setenv("SELLERCLOUD_PASSWORD", "s3cret-Pw")
    with SellercloudClient() as client:
        assert client.base_url == "https://tt.api.sellercloud.com/rest"
        assert "s3cret-Pw" not in repr(client) and "s3cret-Pw" not in repr(client.api)
