"""Issue 8 part A, SelSup: what users hit before the vendor kit, each as a sync/async pair.

A1 the README's example run verbatim keeps both files; A5 a re-run after a crash adopts the task (and a task
SelSup no longer knows is started again); A3 a server that accepts connections and never answers costs
exactly (max_retries + 1) read timeouts, and a `deadline` bounds it. (A6: test_unit.py and
test_jobs_and_errors.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerkit._core.quota import QuotaLimiter
from sellerkit._core.retry import RetryPolicy
from sellerkit._core.runtime import use_runtime
from sellerkit.selsup import APITimeoutError, AsyncSelsupClient, SelsupClient
from sellerkit.selsup_api.api.background_exports import export_stocks_file
from sellerkit.selsup_api.api.file_exports import download_customers_file
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.selsup import SelsupSimulator
from tests.conftest import ROOT
from tests.selsup.conftest import MODES, aw, dual, dual_mock

# ---------------------------------------------------------------- A1: the README example keeps both files


def readme_example() -> str:
    """The README's SelSup example, as it is written there."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if "from sellerkit.selsup import SelsupClient" in b]
    return str(block)


async def readme_example_async(api_key: str) -> None:
    """The same example on the async client."""
    async with AsyncSelsupClient(api_key) as client:
        job = await client.start_export(export_stocks_file, warehouse_id=1)
        await job.wait()
        await job.download("exports/")
        await client.download_file(download_customers_file, "exports/")


@contextlib.contextmanager
def on_the_simulator(sim: SelsupSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clients constructed inside (as the README does: `SelsupClient(API_KEY)`) reach the simulator through
    SELSUP_BASE_URL and wait on its clock."""
    clock = sim.clock
    monkeypatch.setenv("SELSUP_BASE_URL", sim.base_url)
    limiter = QuotaLimiter(
        tuple(SelsupClient.vendor.quotas), clock=clock.now, sleep=clock.sleep, async_sleep=clock.asleep
    )
    with use_runtime(
        clock=clock.now,
        wall_clock=clock.now,
        sleep=clock.sleep,
        async_sleep=clock.asleep,
        limiter=limiter,
        retry=RetryPolicy(jitter=False),
    ):
        yield


def run_readme(mode: str, sim: SelsupSimulator) -> None:
    if mode == "sync":
        exec(compile(readme_example(), "README.md", "exec"), {"API_KEY": sim.api_key})
    else:
        asyncio.run(readme_example_async(sim.api_key))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("mode", MODES)
def test_the_readme_example_in_an_empty_folder_keeps_both_files(
    mode: str, sim: SelsupSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert list(tmp_path.iterdir()) == []
    with on_the_simulator(sim, monkeypatch):
        run_readme(mode, sim)
    exports = tmp_path / "exports"
    assert exports.is_dir()  # "exports/" is a folder, not a file named exports
    (task,) = sim.tasks()
    stocks, customers = sim.task_file_sha256(task.id), sim.file_sha256("downloadCustomersFile")
    files = {p.name: sha256_of(p) for p in exports.iterdir()}
    assert sorted(files.values()) == sorted([stocks, customers])  # two files, neither replaced the other
    assert files == {
        sim.task_file(task.id).filename: stocks,  # type: ignore[union-attr]
        sim.expected_file("downloadCustomersFile").filename: customers,
    }
    assert [p.name for p in tmp_path.iterdir()] == ["exports"]


@pytest.mark.parametrize("mode", MODES)
def test_running_the_readme_example_twice_loses_nothing_and_starts_one_task(
    mode: str, sim: SelsupSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with on_the_simulator(sim, monkeypatch):
        run_readme(mode, sim)
        first = {p.name: sha256_of(p) for p in (tmp_path / "exports").iterdir()}
        run_readme(mode, sim)
    second = {p.name: sha256_of(p) for p in (tmp_path / "exports").iterdir()}
    assert len(first) == 2 and len(second) == 4
    assert {name: second[name] for name in first} == first  # the first run's files are untouched
    numbered = sorted(set(second) - set(first))
    assert sorted(second[n] for n in numbered) == sorted(first.values())  # the same files, ` (1)` names
    assert all(" (1)." in name for name in numbered)
    assert sim.stats.tasks_created == 1  # the re-run adopted the (finished) task from the journal


# ---------------------------------------------------------------- A5: a re-run adopts the task


@pytest.mark.parametrize("mode", MODES)
def test_a_rerun_after_a_crash_adopts_the_task_instead_of_starting_another(
    mode: str, sim: SelsupSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sellerkit")

    async def crashed(client: Any) -> str:
        job = await aw(client.start_export(export_stocks_file, warehouse_id=1))
        return str(job.reference)  # the process dies here: no wait, no download

    async def rerun(client: Any) -> tuple[str, Any]:
        job = await aw(client.start_export(export_stocks_file, warehouse_id=1))
        return job.reference, await aw(job.download(tmp_path))

    started = dual(mode, sim, crashed)
    adopted, result = dual(mode, sim, rerun)
    assert adopted == started
    assert sim.stats.tasks_created == 1 and len(sim.tasks()) == 1  # exactly one task at SelSup
    assert f"reusing SelSup job {started}" in caplog.text
    assert result.sha256 == sim.task_file_sha256(int(started))


@pytest.mark.parametrize("mode", MODES)
def test_other_filters_or_fresh_start_another_task(mode: str, sim: SelsupSimulator) -> None:
    async def script(client: Any) -> list[str]:
        first = await aw(client.start_export(export_stocks_file, warehouse_id=1))
        other = await aw(client.start_export(export_stocks_file, warehouse_id=2))
        fresh = await aw(client.start_export(export_stocks_file, warehouse_id=1, **{"fresh": True}))
        again = await aw(client.start_export(export_stocks_file, warehouse_id=1))
        return [first.reference, other.reference, fresh.reference, again.reference]

    first, other, fresh, again = dual(mode, sim, script)
    assert len({first, other, fresh}) == 3 and sim.stats.tasks_created == 3
    assert again == fresh  # fresh=True replaced the journal record: the next identical call adopts it


@pytest.mark.parametrize("mode", MODES)
def test_a_task_selsup_no_longer_knows_is_logged_and_started_again(
    mode: str, sim: SelsupSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def start(client: Any) -> tuple[str, Any]:
        job = await aw(client.start_export(export_stocks_file, warehouse_id=1))
        return job.reference, None

    async def rerun(client: Any) -> tuple[str, Any]:
        job = await aw(client.start_export(export_stocks_file, warehouse_id=1))
        return job.reference, await aw(job.download(tmp_path))

    forgotten, _ = dual(mode, sim, start)
    with sim.state.lock:
        del sim.state.tasks[int(forgotten)]  # SelSup dropped it: findTask answers no rows
    with caplog.at_level(logging.WARNING, logger="sellerkit"):
        restarted, result = dual(mode, sim, rerun)
    assert restarted != forgotten and sim.stats.tasks_created == 2
    assert [t.id for t in sim.tasks()] == [int(restarted)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and forgotten in r.getMessage()]
    assert len(warnings) == 1 and "no longer knows job" in warnings[0].getMessage()
    assert result.sha256 == sim.task_file_sha256(int(restarted))


# ---------------------------------------------------------------- A3: a silent server, one budget


class Silent:
    """A server that accepts the connection and never answers: each attempt costs its read timeout in
    simulated time, then times out."""

    def __init__(self, clock: ScaledClock) -> None:
        self.clock = clock
        self.attempts: list[tuple[float, float]] = []  # (started at, its read timeout)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        read = float(request.extensions["timeout"]["read"])
        self.attempts.append((self.clock.now(), read))
        self.clock.advance(read)
        raise httpx.ReadTimeout("no answer", request=request)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("read", "max_retries"), [(1.0, None), (2.0, None), (60.0, 1)])
def test_a_silent_server_costs_exactly_max_retries_plus_one_read_timeouts(
    mode: str, read: float, max_retries: int | None, tmp_path: Path
) -> None:
    clock = ScaledClock.manual()
    silent = Silent(clock)
    options: dict[str, Any] = {"timeout": httpx.Timeout(10.0, read=read)}
    if max_retries is not None:
        options["max_retries"] = max_retries

    async def script(client: Any) -> tuple[float, APITimeoutError, float]:
        start = clock.now()
        with pytest.raises(APITimeoutError) as info:
            await aw(client.download_file(download_customers_file, tmp_path))
        # the worst case from the settings: downloads make one attempt per restart and never back off
        return clock.now() - start, info.value, (client.max_retries + 1) * client.timeout.read

    elapsed, error, worst_case = dual_mock(mode, silent, script, clock=clock, **options)
    attempts = (max_retries if max_retries is not None else 4) + 1
    assert len(silent.attempts) == attempts
    assert [timeout for _, timeout in silent.attempts] == [read] * attempts
    assert elapsed == worst_case == attempts * read
    assert error.attempts == attempts and "did not answer in time" in str(error)
    assert isinstance(error.__cause__, httpx.ReadTimeout)  # chained once, never raised raw
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("max_retries", [4, 50])
def test_with_a_deadline_a_silent_server_ends_by_it_with_api_timeout_error(
    mode: str, max_retries: int, tmp_path: Path
) -> None:
    clock = ScaledClock.manual()
    silent = Silent(clock)
    limit = 7.0

    async def script(client: Any) -> tuple[float, float, APITimeoutError]:
        start = clock.now()
        with pytest.raises(APITimeoutError) as info:
            await aw(client.download_file(download_customers_file, tmp_path))
        return start, clock.now() - start, info.value

    start, elapsed, error = dual_mock(
        mode,
        silent,
        script,
        clock=clock,
        timeout=httpx.Timeout(10.0, read=2.0),
        max_retries=max_retries,
        deadline=limit,
    )
    assert elapsed == limit  # ends by the deadline, not after (max_retries + 1) x 2 s
    # 2 + 2 + 2 s, then the last attempt gets only what is left of the deadline
    assert [(at - start, timeout) for at, timeout in silent.attempts] == [
        (0.0, 2.0),
        (2.0, 2.0),
        (4.0, 2.0),
        (6.0, 1.0),
    ]
    assert "7 s deadline passed" in str(error) and error.attempts == 4
    assert list(tmp_path.iterdir()) == []
