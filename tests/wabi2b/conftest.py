"""Wabi2b client fixtures: clients wired to a simulator and its clock, sync and async alike."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sellerkit._core.download import DownloadResult
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import DOCS_CALLBACK_CODE, Wabi2bSimulator
from sellerkit.testing.wabi2b import Job as SimJob
from sellerkit.wabi2b import AsyncWabi2bClient, BulkProgress, Product, Wabi2bClient
from tests.clients import make_client

GTINS = [f"{i:014d}" for i in range(1, 26)]
"""25 GTINs: one small job."""
MODES = pytest.mark.parametrize("mode", ["sync", "async"])
"""Every client test runs on the sync and the async client."""


def client_kwargs(sim: Wabi2bSimulator, **overrides: Any) -> dict[str, Any]:
    """The public constructor arguments of a client on the simulator."""
    kwargs: dict[str, Any] = {"jwt": sim.jwt, "api_key": sim.api_key, "base_url": sim.base_url}
    kwargs.update(overrides)
    return kwargs


def sync_wabi2b(sim: Wabi2bSimulator, clock: ScaledClock, **overrides: Any) -> Wabi2bClient:
    """A sync client on the simulator and its clock (no real waiting in tests)."""
    return make_client(Wabi2bClient, clock, **client_kwargs(sim, **overrides))


def async_wabi2b(sim: Wabi2bSimulator, clock: ScaledClock, **overrides: Any) -> AsyncWabi2bClient:
    """An async client on the simulator and its clock."""
    return make_client(AsyncWabi2bClient, clock, **client_kwargs(sim, **overrides))


@pytest.fixture
def sync_client(wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock) -> Iterator[Wabi2bClient]:
    with sync_wabi2b(wabi2b_sim, sim_clock) as client:
        yield client


Runner = Callable[..., Any]


def drive(
    mode: str, sim: Wabi2bSimulator, clock: ScaledClock, script: Callable[[Any], Any], **overrides: Any
) -> Any:
    """`script(client)` with a sync client, or its awaited result with an async one (the same script
    serves both when it only returns what one client call returns); the client is closed afterwards."""
    if mode == "sync":
        with sync_wabi2b(sim, clock, **overrides) as client:
            return script(client)

    async def main() -> Any:
        async with async_wabi2b(sim, clock, **overrides) as client:
            result = script(client)
            return await result if inspect.isawaitable(result) else result

    return asyncio.run(main())


def bulk_rows(
    mode: str,
    sim: Wabi2bSimulator,
    clock: ScaledClock,
    gtins: list[str],
    *,
    client: dict[str, Any] | None = None,
    **kw: Any,
) -> list[Product]:
    """One bulk download through the sync or async client (`client`: constructor overrides); every row."""
    overrides = client or {}
    if mode == "sync":
        with sync_wabi2b(sim, clock, **overrides) as sync:
            return list(sync.bulk_download(gtins, **kw))

    async def main() -> list[Product]:
        async with async_wabi2b(sim, clock, **overrides) as aio:
            return [row async for row in aio.bulk_download(gtins, **kw)]

    return asyncio.run(main())


def submit_and_download(
    mode: str,
    sim: Wabi2bSimulator,
    clock: ScaledClock,
    gtins: list[str],
    dest: str | Path,
    *,
    fresh: bool = False,
    overwrite: bool = False,
    **overrides: Any,
) -> tuple[str, DownloadResult]:
    """`submit(gtins)`, then `job.download(dest)` on the sync or async client: (callback code, result)."""
    if mode == "sync":

        def script(client: Wabi2bClient) -> tuple[str, DownloadResult]:
            job = client.submit(gtins, fresh=fresh)
            return job.reference, job.download(dest, overwrite=overwrite)

        return drive(mode, sim, clock, script, **overrides)  # type: ignore[no-any-return]

    async def script_async(client: AsyncWabi2bClient) -> tuple[str, DownloadResult]:
        job = await client.submit(gtins, fresh=fresh)
        return job.reference, await job.download(dest, overwrite=overwrite)

    return drive(mode, sim, clock, script_async, **overrides)  # type: ignore[no-any-return]


def kit_bug(reason: str, raises: type[BaseException] = AssertionError) -> pytest.MarkDecorator:
    """A test of wanted behaviour that fails because of a bug in the kit or an overlay (reported, fixed by
    the overlays' owner): a strict xfail, so the fix turns it into a failure until the mark is dropped;
    only the bug's own failure (`raises`) counts as expected, any other error fails the test."""
    return pytest.mark.xfail(strict=True, raises=raises, reason=f"kit bug: {reason}")


class Crash(Exception):
    """Raised from a progress callback to simulate a process dying mid-run."""


def crash_on(stage: str, *, min_bytes: int = 0) -> Callable[[BulkProgress], None]:
    """A bulk download progress callback that "crashes" at `stage` (once `min_bytes` have arrived)."""

    def report(event: BulkProgress) -> None:
        if event.stage == stage and (event.bytes_done or 0) >= min_bytes:
            raise Crash(stage)

    return report


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_no_part_files(folder: Path) -> None:
    """No interrupted download (`*.sellerkit-part`) is left anywhere under `folder`."""
    assert not list(folder.rglob("*.sellerkit-part"))


def assert_identical_file(sim: Wabi2bSimulator, folder: Path, gtins: list[str], file_format: str) -> Path:
    """Exactly one downloaded file in `folder`, byte-identical to the simulator's; no part file left."""
    files = sorted(folder.glob(f"wabi2b-*.{file_format}"))
    assert len(files) == 1, files
    assert sha256_of(files[0]) == sim.expected_file(gtins, file_format).sha256
    assert_no_part_files(folder)
    return files[0]


def created_jobs(sim: Wabi2bSimulator) -> list[SimJob]:
    """Jobs created through the API, in creation order (the seeded docs example left out)."""
    return sorted(
        (job for code, job in sim.state.jobs.items() if code != DOCS_CALLBACK_CODE),
        key=lambda job: job.created_at,
    )
