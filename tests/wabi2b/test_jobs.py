"""Wabi2b job handles on the vendor kit: the journal (adopt, `fresh=True`, a job the vendor forgot) and the
download destination rule (folder or file path, never replacing a file) — issue 8 A1 and A5."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from sellerkit._core.download import DownloadResult
from sellerkit._core.errors import ConfigurationError
from sellerkit._core.journal import Journal
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import DOWNLOAD_PATH, FILE_PREFIX, Wabi2bSimulator
from sellerkit.testing.wabi2b import Job as SimJob
from tests.wabi2b.conftest import (
    GTINS,
    MODES,
    Crash,
    assert_identical_file,
    assert_no_part_files,
    async_wabi2b,
    bulk_rows,
    crash_on,
    created_jobs,
    sha256_of,
    submit_and_download,
    sync_wabi2b,
)

OTHER = [f"{i:014d}" for i in range(100, 110)]
# how a vendor stops knowing a job: it was dropped (the simulator then answers 400 "unknown callBackCode"),
# or its poll answers an error status once
FORGET = pytest.mark.parametrize("forget", ["dropped", "404 on its poll"])


def _forget(sim: Wabi2bSimulator, job: SimJob, how: str) -> None:
    if how == "dropped":
        del sim.state.jobs[job.code]
    else:
        sim.faults.add("status", method="GET", path=DOWNLOAD_PATH, status=404, body={"message": "Not Found"})


def _warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


def _journalled(sim: Wabi2bSimulator) -> list[str]:
    """The callback codes the job journal (this test's SELLERKIT_STATE_DIR) holds for Wabi2b."""
    return [record.reference for record in Journal().records("wabi2b")]


# ---------------------------------------------------------------- the journal: same call, same job


@MODES
def test_an_identical_submit_adopts_the_journalled_job(
    mode: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same `submit()` again (another client, as after a restart) is the same job: one POST, INFO
    "reusing ...", and the adopted job downloads; `fresh=True` starts a second job."""
    caplog.set_level(logging.INFO, logger="sellerkit")
    first, _ = submit_and_download(mode, wabi2b_sim, sim_clock, GTINS, tmp_path / "a.json")
    again, result = submit_and_download(mode, wabi2b_sim, sim_clock, GTINS, tmp_path / "b.json")
    assert again == first
    assert len(wabi2b_sim.requests.matching(method="POST")) == 1
    assert f"reusing Wabi2b job {first}" in caplog.text
    assert result.sha256 == sha256_of(tmp_path / "b.json") == wabi2b_sim.file_sha256(first)
    fresh, _ = submit_and_download(mode, wabi2b_sim, sim_clock, GTINS, tmp_path / "c.json", fresh=True)
    assert fresh != first
    assert [job.code for job in created_jobs(wabi2b_sim)] == [first, fresh]


# ---------------------------------------------------------------- A5: a job the vendor no longer knows


@MODES
@FORGET
def test_a_crashed_bulk_download_whose_job_the_vendor_forgot_starts_again(
    mode: str,
    forget: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A crash after submit, then the vendor no longer knows that job: the re-run logs a WARNING naming it
    and starts a new one (before issue 8 every later run failed on the dead callback code); later runs work.
    """
    with pytest.raises(Crash):
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, on_progress=crash_on("submitted"))
    (lost,) = created_jobs(wabi2b_sim)
    _forget(wabi2b_sim, lost, forget)
    caplog.set_level(logging.INFO, logger="sellerkit")
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert [r.product for r in rows] == GTINS
    (warning,) = _warnings(caplog, "no longer knows job")
    assert lost.code in warning and "starting a new one" in warning
    assert wabi2b_sim.stats.jobs_created == 2
    second = created_jobs(wabi2b_sim)[-1]
    assert second is not lost and _journalled(wabi2b_sim) == [second.code]
    file = assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")
    assert second.code in file.name
    # and the next run is fine too: it reuses the file, no job started, no warning
    caplog.clear()
    again = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert [r.product for r in again] == GTINS
    assert wabi2b_sim.stats.jobs_created == 2 and not _warnings(caplog, "")


@MODES
@FORGET
def test_a_submit_whose_journalled_job_the_vendor_forgot_starts_again(
    mode: str,
    forget: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`submit()` again, the journalled job unknown to the vendor now: WARNING, a new job, its file."""
    first, _ = submit_and_download(mode, wabi2b_sim, sim_clock, GTINS, tmp_path / "first.json")
    (lost,) = created_jobs(wabi2b_sim)
    _forget(wabi2b_sim, lost, forget)
    caplog.set_level(logging.INFO, logger="sellerkit")
    second, result = submit_and_download(mode, wabi2b_sim, sim_clock, GTINS, tmp_path / "second.json")
    assert second != first
    (warning,) = _warnings(caplog, "no longer knows job")
    assert first in warning
    assert wabi2b_sim.stats.jobs_created == 2 and created_jobs(wabi2b_sim)[-1].code == second
    assert _journalled(wabi2b_sim) == [second]
    assert result.sha256 == sha256_of(tmp_path / "second.json") == wabi2b_sim.file_sha256(second)


# ---------------------------------------------------------------- A1: the destination rule


def _three_downloads_into_exports(
    mode: str, sim: Wabi2bSimulator, clock: ScaledClock
) -> list[DownloadResult]:
    """Job A to "exports/", job B to "exports/", job A again to "exports/", on one client."""
    if mode == "sync":
        with sync_wabi2b(sim, clock) as client:
            a, b = client.submit(GTINS), client.submit(OTHER)
            return [a.download("exports/"), b.download("exports/"), a.download("exports/")]

    async def main() -> list[DownloadResult]:
        async with async_wabi2b(sim, clock) as client:
            a, b = await client.submit(GTINS), await client.submit(OTHER)
            return [await a.download("exports/"), await b.download("exports/"), await a.download("exports/")]

    return asyncio.run(main())


@MODES
def test_download_into_a_missing_folder_creates_it_and_never_overwrites(
    mode: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`job.download("exports/")` where no `exports` exists: the folder is created and the file goes inside
    under the server's name (before issue 8 a *file* named `exports` was written); a second download of the
    same name is numbered, another job's file sits beside them, and every file keeps its own bytes."""
    monkeypatch.chdir(tmp_path)
    first, other, again = _three_downloads_into_exports(mode, wabi2b_sim, sim_clock)
    folder = tmp_path / "exports"
    assert folder.is_dir()
    code_a, code_b = (job.code for job in created_jobs(wabi2b_sim))
    hash_a = wabi2b_sim.job(code_a).file_hash
    assert first.path == Path("exports") / f"{hash_a}.json"  # the server's Content-Disposition name
    assert again.path == Path("exports") / f"{hash_a} (1).json"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{hash_a}.json", f"{hash_a} (1).json", f"{wabi2b_sim.job(code_b).file_hash}.json"]
    )
    for result, code in ((first, code_a), (other, code_b), (again, code_a)):
        assert result.sha256 == sha256_of(tmp_path / result.path) == wabi2b_sim.file_sha256(code)
    assert_no_part_files(tmp_path)


@MODES
def test_a_missing_path_without_a_slash_is_a_file_path(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """`dest` not ending in "/" and not an existing folder is the file itself; its parents are created."""
    dest = tmp_path / "deep" / "er" / "products.json"
    code, result = submit_and_download(mode, wabi2b_sim, sim_clock, GTINS, dest)
    assert result.path == dest and dest.is_file()
    assert list((tmp_path / "deep" / "er").iterdir()) == [dest]
    assert sha256_of(dest) == wabi2b_sim.file_sha256(code)


@MODES
def test_an_existing_file_is_refused_before_any_request_unless_overwrite(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A file path that exists: `ConfigurationError` naming `overwrite=True`, nothing sent, the file kept;
    with `overwrite=True` it is replaced by the job's file."""
    dest = tmp_path / "products.json"
    dest.write_bytes(b"the user's own file")
    with pytest.raises(ConfigurationError, match=r"already exists.*overwrite=True"):
        submit_and_download(mode, wabi2b_sim, sim_clock, GTINS, dest)
    assert len(wabi2b_sim.requests.matching(path=DOWNLOAD_PATH, method="GET")) == 0  # no poll, no file GET
    assert not wabi2b_sim.requests.matching(path=FILE_PREFIX)
    assert dest.read_bytes() == b"the user's own file"
    code, result = submit_and_download(mode, wabi2b_sim, sim_clock, GTINS, dest, overwrite=True)
    assert result.path == dest and sha256_of(dest) == wabi2b_sim.file_sha256(code)
    assert len(wabi2b_sim.requests.matching(method="POST")) == 1  # the refused call's job was adopted
    assert_no_part_files(tmp_path)


@MODES
def test_bulk_download_into_a_missing_nested_folder_creates_it(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """`bulk_download(dest=...)` is always a folder: created with its parents, the file inside."""
    folder = tmp_path / "a" / "b"
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=folder)
    assert [r.product for r in rows] == GTINS
    assert_identical_file(wabi2b_sim, folder, GTINS, "json")
