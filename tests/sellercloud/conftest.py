"""Sellercloud client wiring: clients on a simulator and its clock, sync and async alike."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sellerkit._core.download import DownloadResult
from sellerkit.sellercloud import AsyncSellercloudClient, SellercloudClient
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import SellercloudSimulator
from tests.clients import make_client

T = TypeVar("T")


def client_kwargs(sim: SellercloudSimulator, **overrides: Any) -> dict[str, Any]:
    """The public constructor arguments of a client on the simulator."""
    kwargs: dict[str, Any] = {"base_url": sim.base_url, "username": sim.username, "password": sim.password}
    kwargs.update(overrides)
    return kwargs


def open_sellercloud(
    mode: str, sim: SellercloudSimulator, clock: ScaledClock, **overrides: Any
) -> SellercloudClient | AsyncSellercloudClient:
    """A client on the simulator's clock: polling, retries, quotas and token expiry in simulated time (the
    simulator's UTC is its clock, so the wall clock is the same one)."""
    kwargs = client_kwargs(sim, **overrides)
    if mode == "sync":  # one call per class: mypy keeps the exact client type
        return make_client(SellercloudClient, clock, **kwargs)
    return make_client(AsyncSellercloudClient, clock, **kwargs)


def run(
    mode: str, sim: SellercloudSimulator, clock: ScaledClock, script: Callable[[Any], Any], **kw: Any
) -> Any:
    """Run `script(client)` with a sync client, or `await script(client)` with an async one."""
    if mode == "sync":
        with make_client(SellercloudClient, clock, **client_kwargs(sim, **kw)) as client:
            return script(client)

    async def main() -> Any:
        async with make_client(AsyncSellercloudClient, clock, **client_kwargs(sim, **kw)) as client:
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


# ---------------------------------------------------------------- helpers for the other test modules

MODES = ["sync", "async"]
PLUGIN = "ProductExportDefault"  # the simulator's first plugin: scripts need not ask plugins() first
SKUS = ["SKU-1", "SKU-2", "SKU-3"]
TOKEN_PATH = "/rest/api/token"
EXPORT_PATH = "/rest/api/Catalog/Exports/ViaPlugin"
OUTPUT_PATH = "/rest/api/QueuedJobs/OutputFile"
JOB_GET = re.compile(r"^/rest/api/QueuedJobs/\d+$")  # GET /api/QueuedJobs/{id} (never the logs or the file)
JOB_ROUTE = "/rest/api/QueuedJobs/{id}"
LEFTOVER_PATTERNS = ("*.sellerkit-part", "*.sellerkit-meta", ".sellerkit-sellercloud-job-*")


@contextlib.asynccontextmanager
async def open_client(
    mode: str, sim: SellercloudSimulator, clock: ScaledClock, **kw: Any
) -> AsyncIterator[Any]:
    """A sync or async client on the simulator; each one logs in on its own, like another process would."""
    client = open_sellercloud(mode, sim, clock, **kw)
    if isinstance(client, SellercloudClient):
        with client:
            yield client
    else:
        async with client:
            yield client


async def aw(value: Any) -> Any:
    """The value of a sync call, or the awaited value of an async one: one script drives both clients."""
    return await value if inspect.isawaitable(value) else value


def dual(
    mode: str, sim: SellercloudSimulator, clock: ScaledClock, script: Callable[[Any], Awaitable[T]], **kw: Any
) -> T:
    """Run `script(client)` with a sync or an async client. Every client call in the script goes through
    `aw()`, so the sync client runs its own (blocking) code path and the async one its coroutines."""

    async def main() -> T:
        async with open_client(mode, sim, clock, **kw) as client:
            return await script(client)

    return asyncio.run(main())


def leftovers(folder: Path) -> list[str]:
    """Staging folders and interrupted-download files under `folder` (none may survive a download call)."""
    return sorted(str(p.relative_to(folder)) for pattern in LEFTOVER_PATTERNS for p in folder.rglob(pattern))


def assert_downloaded(sim: SellercloudSimulator, folder: Path, ref: str, result: DownloadResult) -> None:
    """`result` is the job's output file, byte-identical to the simulator's, alone in `folder`."""
    expected = sim.expected_file(int(ref))
    data = result.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == result.sha256 == expected.sha256
    assert result.size == len(data) == expected.size
    assert [p.name for p in folder.iterdir()] == [result.path.name]
    assert not leftovers(folder)
