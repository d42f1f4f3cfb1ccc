"""Sellercloud client wiring: clients on a simulator and its clock, sync and async alike."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sellerkit._core.download import DownloadResult
from sellerkit._core.http import HttpSettings
from sellerkit._core.quota import QuotaLimiter
from sellerkit.sellercloud import AsyncSellercloudClient, SellercloudClient
from sellerkit.sellercloud._client import DEFAULT_RETRY, FACTS
from tests.simulators.framework import ScaledClock
from tests.simulators.sellercloud import SellercloudSimulator


def client_kwargs(sim: SellercloudSimulator, clock: ScaledClock, **overrides: Any) -> dict[str, Any]:
    """A client on the simulator's clock: polling, retries, quotas and token expiry in simulated time."""
    limiter = QuotaLimiter(FACTS.quotas, clock=clock.now, sleep=clock.sleep, async_sleep=clock.asleep)
    kwargs: dict[str, Any] = {
        "base_url": sim.base_url,
        "username": sim.username,
        "password": sim.password,
        "http": HttpSettings(
            retry=DEFAULT_RETRY, limiter=limiter, sleep=clock.sleep, async_sleep=clock.asleep
        ),
        "clock": clock.now,
        "wall_clock": clock.now,  # the simulator's UTC is its clock (EPOCH_OFFSET = 0)
    }
    kwargs.update(overrides)
    return kwargs


def run(
    mode: str, sim: SellercloudSimulator, clock: ScaledClock, script: Callable[[Any], Any], **kw: Any
) -> Any:
    """Run `script(client)` with a sync client, or `await script(client)` with an async one."""
    if mode == "sync":
        with SellercloudClient(**client_kwargs(sim, clock, **kw), sleep=clock.sleep) as client:
            return script(client)

    async def main() -> Any:
        async with AsyncSellercloudClient(**client_kwargs(sim, clock, **kw), sleep=clock.asleep) as client:
            return await script(client)

    return asyncio.run(main())


def export_and_download(mode: str, dest: Path, **export: Any) -> Callable[[Any], Any]:
    """A script: plugin export, wait, download to `dest`; returns (job reference, DownloadResult)."""
    skus = export.pop("skus", ["SKU-1", "SKU-2", "SKU-3"])
    if mode == "sync":

        def sync_script(client: SellercloudClient) -> tuple[str, DownloadResult]:
            plugin = export.pop("plugin", None) or client.plugins()[0].key
            job = client.export_via_plugin(skus, plugin=plugin, **export)
            job.wait()
            return job.reference, job.download(dest)

        return sync_script

    async def async_script(client: AsyncSellercloudClient) -> tuple[str, DownloadResult]:
        plugin = export.pop("plugin", None) or (await client.plugins())[0].key
        job = await client.export_via_plugin(skus, plugin=plugin, **export)
        await job.wait()
        return job.reference, await job.download(dest)

    return async_script
