"""Issue 8 part A as a Sellercloud user meets it, sync and async as pairs on the simulator: a re-run adopts
its job (A5), errors name the vendor and the fix (A6), the hour-long throttle wait is kept and announced (A4),
and downloads never lose a file (A1)."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sellerkit.sellercloud import (
    ApiError,
    AsyncSellercloudClient,
    ConfigurationError,
    DownloadError,
    Journal,
    RateLimitedError,
    SellercloudClient,
    SellerkitError,
)
from sellerkit.testing.fixtures import MakeSellercloudSim
from sellerkit.testing.framework import RequestRecord, ScaledClock
from sellerkit.testing.sellercloud import SellercloudSimulator, utc_from_sim
from tests.sellercloud.conftest import (
    EXPORT_PATH,
    JOB_GET,
    MODES,
    OUTPUT_PATH,
    PLUGIN,
    SKUS,
    assert_downloaded,
    aw,
    dual,
    leftovers,
)

CLIENTS: dict[str, Any] = {"sync": SellercloudClient, "async": AsyncSellercloudClient}


def _messages(caplog: pytest.LogCaptureFixture, text: str, level: int) -> list[str]:
    """What the `sellerkit` loggers said at exactly `level` containing `text`."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("sellerkit") and r.levelno == level and text in r.getMessage()
    ]


def _start(**export: Any) -> Callable[[Any], Any]:
    """A script: the plugin export of SKUS (nothing waited: the process "crashes" after it); its reference."""

    async def script(client: Any) -> str:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN, **export))
        return str(job.reference)

    return script


def _rerun(dest: Path, **export: Any) -> Callable[[Any], Any]:
    """A script: the same export again, then download; (reference, status when handed back, result)."""

    async def script(client: Any) -> tuple[str, str, Any]:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN, **export))
        status = job.status
        return job.reference, status, await aw(job.download(dest))

    return script


def _posts(sim: SellercloudSimulator) -> list[RequestRecord]:
    return sim.requests.matching(method="POST", path=EXPORT_PATH)


# ---------------------------------------------------------------- A5: resume after a crash, never jam


@pytest.mark.parametrize("mode", MODES)
def test_a_rerun_after_a_crash_adopts_the_still_running_job(
    mode: str,
    make_sellercloud_sim: MakeSellercloudSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The job is journalled before the call returns; the same call in a new client (another process, its
    own login) adopts it at INFO "reusing" instead of queueing a duplicate, and downloads its file."""
    caplog.set_level(logging.INFO, logger="sellerkit")
    sim = make_sellercloud_sim(clock=sim_clock, job_seconds=600.0)
    first = dual(mode, sim, sim_clock, _start())
    (record,) = Journal().records("sellercloud")  # $SELLERKIT_STATE_DIR/jobs, set per test
    assert record.reference == first and record.operation.endswith(".export_via_plugin")
    sim_clock.advance(60.0)

    ref, status, result = dual(mode, sim, sim_clock, _rerun(tmp_path))
    assert ref == first and status == "PROCESSING"  # the adopted job's state was fetched, not assumed
    assert sim.stats.jobs_created == 1 and len(_posts(sim)) == 1 and sim.stats.tokens_issued == 2
    (reusing,) = _messages(caplog, "reusing", logging.INFO)
    assert f"job {first}" in reusing and "fresh=True" in reusing
    assert not _messages(caplog, "no longer knows", logging.WARNING)
    assert_downloaded(sim, tmp_path, ref, result)


@pytest.mark.parametrize("mode", MODES)
def test_fresh_true_starts_another_job_and_a_later_rerun_adopts_that_one(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, caplog: pytest.LogCaptureFixture
) -> None:
    """`fresh=True` skips adoption: a second job at the simulator. The journal then names the new job."""
    caplog.set_level(logging.INFO, logger="sellerkit")
    first = dual(mode, sellercloud_sim, sim_clock, _start())
    second = dual(mode, sellercloud_sim, sim_clock, _start(fresh=True))
    assert second != first
    assert sellercloud_sim.stats.jobs_created == 2 and len(_posts(sellercloud_sim)) == 2
    assert not _messages(caplog, "reusing", logging.INFO)

    assert dual(mode, sellercloud_sim, sim_clock, _start()) == second
    assert sellercloud_sim.stats.jobs_created == 2
    (reusing,) = _messages(caplog, "reusing", logging.INFO)
    assert f"job {second}" in reusing


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("not_found_status", [404, 400])
def test_a_job_the_simulator_no_longer_knows_is_logged_and_started_again(
    mode: str,
    not_found_status: int,
    make_sellercloud_sim: MakeSellercloudSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A journalled job the vendor answers 404 (or another 4xx) for is a WARNING and a new job — never a
    permanent error for every later run."""
    caplog.set_level(logging.INFO, logger="sellerkit")
    sim = make_sellercloud_sim(clock=sim_clock, not_found_status=not_found_status)
    first = dual(mode, sim, sim_clock, _start())
    with sim.state.lock:  # purged on the server: the simulator forgets it
        del sim.state.jobs[int(first)]

    ref, _, result = dual(mode, sim, sim_clock, _rerun(tmp_path))
    assert ref != first and sim.stats.jobs_created == 2 and len(_posts(sim)) == 2
    (forgotten,) = _messages(caplog, "no longer knows", logging.WARNING)
    assert f"job {first}" in forgotten and str(not_found_status) in forgotten
    assert not _messages(caplog, "reusing", logging.INFO)
    assert_downloaded(sim, tmp_path, ref, result)
    (record,) = Journal().records("sellercloud")
    assert record.reference == ref  # the next run adopts the new job


# ---------------------------------------------------------------- A6: errors know their vendor


def _logs_path(ref: str) -> str:
    return f"/rest/api/QueuedJobs/{ref}/Logs"


# verb: (HTTP method, path of its request for job `ref`, the call)
VERBS: dict[str, tuple[str, Callable[[str], str | re.Pattern[str]], Callable[[Any, str], Any]]] = {
    "plugins": (
        "GET",
        lambda ref: "/rest/api/Catalog/Exports/ViaPlugin/Metadata",
        lambda c, ref: c.plugins(),
    ),
    "export_via_plugin": (
        "POST",
        lambda ref: EXPORT_PATH,
        lambda c, ref: c.export_via_plugin(SKUS, plugin=PLUGIN, fresh=True),
    ),
    "export_basic": (
        "POST",
        lambda ref: "/rest/api/Catalog/Exports/Basic",
        lambda c, ref: c.export_basic(SKUS, kind=3),
    ),
    "export_custom": (
        "POST",
        lambda ref: "/rest/api/Catalog/Exports/Custom",
        lambda c, ref: c.export_custom(SKUS),
    ),
    "logs": ("GET", _logs_path, lambda c, ref: c.logs(ref)),
    "job poll": ("GET", lambda ref: JOB_GET, lambda c, ref: c.job(ref).wait()),
    "output file": ("GET", lambda ref: OUTPUT_PATH, lambda c, ref: c.job(ref).download("never-written/")),
}


def _fail_verb(mode: str, sim: SellercloudSimulator, clock: ScaledClock, verb: str, **fault: Any) -> Any:
    """Run `verb` against a job the simulator has, its request answered by a `status` fault; the error."""
    method, path, call = VERBS[verb]

    async def script(client: Any) -> SellerkitError:
        ref = (await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))).reference
        sim.faults.add("status", method=method, path=path(ref), times=None, **fault)
        with pytest.raises(SellerkitError) as caught:
            await aw(call(client, ref))
        return caught.value

    return dual(mode, sim, clock, script)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("verb", list(VERBS))
@pytest.mark.parametrize("status", [400, 500])
def test_every_verbs_api_errors_name_sellercloud(
    mode: str,
    verb: str,
    status: int,
    sellercloud_sim: SellercloudSimulator,
    sim_clock: ScaledClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """An error status on any verb's request is its typed `ApiError` naming vendor "sellercloud" (never
    "unknown"), the request and the vendor's message — the output file's too (no DownloadError)."""
    monkeypatch.chdir(tmp_path)
    body = {"Message": "The request is invalid (simulated)."}
    error = _fail_verb(mode, sellercloud_sim, sim_clock, verb, status=status, body=body)
    assert isinstance(error, ApiError) and not isinstance(error, DownloadError)
    assert error.vendor == "sellercloud" and error.status_code == status
    assert error.method == VERBS[verb][0] and error.vendor_message == body["Message"]
    assert "sellercloud" in str(error) and "unknown" not in str(error)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [] and not leftovers(tmp_path)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "verb",
    [
        "plugins",
        "logs",
        "job poll",
        "export_via_plugin",
        "export_basic",
        "export_custom",
    ],
)
def test_an_undocumented_2xx_answer_is_an_api_error_naming_sellercloud(
    mode: str, verb: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock
) -> None:
    """A 200 whose body is no documented shape (a bare number) is an `ApiError` with vendor "sellercloud"
    — the case where the old `unwrap` calls said "unknown"."""
    error = _fail_verb(mode, sellercloud_sim, sim_clock, verb, status=200, body=5)
    assert isinstance(error, ApiError), repr(error)
    assert error.vendor == "sellercloud" and error.status_code == 200
    assert "unknown" not in str(error)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("username", 42, r"username must be a str, not int \(pass username=.* SELLERCLOUD_USERNAME\)"),
        ("password", 42.0, r"password must be a str, not float \(pass password=.* SELLERCLOUD_PASSWORD\)"),
        ("username", b"user", r"username must be a str, not bytes"),
        ("username", "user\r\nX-Injected: 1", "username contains a line break"),
    ],
)
def test_credentials_of_the_wrong_type_or_shape_are_configuration_errors_naming_them(
    mode: str, name: str, value: object, match: str, sellercloud_sim: SellercloudSimulator
) -> None:
    """`username=42` is a `ConfigurationError` naming the parameter and its variable, before any request."""
    kwargs: dict[str, Any] = {"username": "user@example.test", "password": "pw-123456"}
    kwargs[name] = value
    with pytest.raises(ConfigurationError, match=match) as caught:
        CLIENTS[mode](base_url=sellercloud_sim.base_url, **kwargs)
    assert not isinstance(caught.value, TypeError)
    assert len(sellercloud_sim.requests) == 0


# ---------------------------------------------------------------- A4: long waits visible and bounded

HOUR = 3600.0


def _export_and_download(dest: Path) -> Callable[[Any], Any]:
    async def script(client: Any) -> tuple[Any, str, Any]:
        settings = (client.max_wait, client.timeout.read)
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        return settings, job.reference, await aw(job.download(dest))

    return script


def _throttle(sim: SellercloudSimulator, target: str) -> None:
    """The vendor's throttle body (RateLimitResetTime an hour away, status 429) on one request."""
    targets: dict[str, tuple[str, str | re.Pattern[str]]] = {
        "job GET": ("GET", JOB_GET),
        "export POST": ("POST", EXPORT_PATH),
        "output file GET": ("GET", OUTPUT_PATH),
    }
    method, path = targets[target]
    sim.faults.add("throttle", method=method, path=path, status=429, reset_in=HOUR)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["job GET", "export POST"])
def test_an_hour_long_throttle_wait_survives_timeout_30_and_is_announced_once(
    mode: str,
    target: str,
    sellercloud_sim: SellercloudSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`timeout=30` changes the timeout only: the vendor's max_wait (3720 s) stays, the client waits until
    the reset time and finishes, and the wait is one WARNING with its reason and the UTC time it ends."""
    caplog.set_level(logging.DEBUG, logger="sellerkit")
    sim = sellercloud_sim
    _throttle(sim, target)
    (max_wait, read), ref, result = dual(mode, sim, sim_clock, _export_and_download(tmp_path), timeout=30)
    assert (max_wait, read) == (3720.0, 30.0)
    throttled = next(r for r in sim.requests if "throttle" in r.faults)
    resent = next(r for r in sim.requests if r.seq == throttled.seq + 1)
    assert (resent.method, resent.route) == (throttled.method, throttled.route)
    # past the reset on the server's clock: the reset time and the Date have whole seconds (+1 s at most each)
    assert HOUR <= resent.sim_time - throttled.sim_time <= HOUR + 2.01
    assert sim.stats.jobs_created == 1
    assert_downloaded(sim, tmp_path, ref, result)

    (warning,) = _messages(caplog, "", logging.WARNING)
    assert "HTTP 429" in warning and "vendor reset time" in warning and "waiting 3601 s" in warning
    until = re.search(r"until (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", warning)
    assert until is not None, warning
    ends = datetime.strptime(until.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert abs((ends - utc_from_sim(throttled.sim_time + HOUR)).total_seconds()) <= 2.0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["job GET", "export POST", "output file GET"])
def test_max_wait_10_turns_the_same_throttle_into_rate_limited_error(
    mode: str, target: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """With `max_wait=10` the hour-long wait is not taken: `RateLimitedError(retry_after≈3600)` at once,
    the throttled request not sent again, nothing downloaded — whatever request was throttled, the download
    too (issue 13: a throttled download raised `DownloadError: … retry after 0.0 s`)."""
    sim = sellercloud_sim
    _throttle(sim, target)
    start = sim_clock.now()
    with pytest.raises(RateLimitedError) as caught:
        dual(mode, sim, sim_clock, _export_and_download(tmp_path), max_wait=10)
    error = caught.value
    assert error.retry_after is not None and HOUR - 1.0 <= error.retry_after <= HOUR + 1.0
    assert error.vendor == "sellercloud" and error.status_code == 429
    assert sim_clock.now() - start < 60.0
    assert sim.requests[-1].faults == ["throttle"]  # the last request sent was the throttled one
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_the_rate_limited_error_from_max_wait_names_the_setting(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """The error says why it was not waited for, and so how to wait (a larger max_wait)."""
    _throttle(sellercloud_sim, "job GET")
    with pytest.raises(RateLimitedError, match="max_wait"):
        dual(mode, sellercloud_sim, sim_clock, _export_and_download(tmp_path), max_wait=10)


# ---------------------------------------------------------------- A1: a destination never loses a file


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("mode", MODES)
def test_download_into_a_missing_folder_creates_it_and_puts_the_file_inside(
    mode: str,
    sellercloud_sim: SellercloudSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`job.download("exports/")` where exports/ doesn't exist: the folder, the server's file name inside."""
    monkeypatch.chdir(tmp_path)

    async def script(client: Any) -> tuple[str, Any]:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        return job.reference, await aw(job.download("exports/"))

    ref, result = dual(mode, sellercloud_sim, sim_clock, script)
    exports = tmp_path / "exports"
    assert exports.is_dir() and result.path.resolve().parent == exports
    assert result.path.name == sellercloud_sim.job(int(ref)).output_file_name
    assert_downloaded(sellercloud_sim, exports, ref, result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]


@pytest.mark.parametrize("mode", MODES)
def test_a_second_jobs_file_of_the_same_name_never_overwrites_the_first(
    mode: str, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Two exports whose files have the same name (inline basic exports: `StandardExport_3.csv`) into one
    folder: the second is numbered, the first keeps its bytes. The same job downloaded twice: numbered too."""
    sim = make_sellercloud_sim(clock=sim_clock, basic_response="file")
    folder = tmp_path / "exports"

    async def script(client: Any) -> list[Any]:
        first = await aw(client.export_basic(["SKU-1"], kind=3))
        second = await aw(client.export_basic(["SKU-1", "SKU-2"], kind=3))
        queued = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        results = [await aw(job.download(f"{folder}/")) for job in (first, second, queued, queued)]
        return [*results, queued.reference]

    one, two, three, again, ref = dual(mode, sim, sim_clock, script)
    assert (one.path.name, two.path.name) == ("StandardExport_3.csv", "StandardExport_3 (1).csv")
    assert _sha(one.path) == one.sha256 == sim.expected_export(["SKU-1"], 1).sha256
    assert _sha(two.path) == two.sha256 == sim.expected_export(["SKU-1", "SKU-2"], 1).sha256
    name = sim.job(int(ref)).output_file_name
    assert (three.path.name, again.path.name) == (name, name.replace(".csv", " (1).csv"))
    assert _sha(three.path) == _sha(again.path) == sim.file_sha256(int(ref))
    assert len(list(folder.iterdir())) == 4 and not leftovers(folder)


@pytest.mark.parametrize("mode", MODES)
def test_an_existing_file_path_is_refused_before_any_request_unless_overwrite(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A file-path dest that exists: `ConfigurationError` naming overwrite=True, before any request; with
    `overwrite=True` the second job's file replaces it."""
    sim = sellercloud_sim
    dest = tmp_path / "exports" / "catalog.csv"

    async def script(client: Any) -> tuple[Any, ...]:
        first = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        kept = await aw(first.download(dest))
        second = await aw(client.export_via_plugin(SKUS[:1], plugin=PLUGIN))
        sent = len(sim.requests)
        with pytest.raises(ConfigurationError, match="overwrite=True") as refused:
            await aw(second.download(dest))
        assert len(sim.requests) == sent  # refused before any request: not even the job's status
        assert _sha(dest) == kept.sha256 == sim.file_sha256(int(first.reference))
        replaced = await aw(second.download(dest, overwrite=True))
        return refused.value, replaced, second.reference

    refused, replaced, ref = dual(mode, sim, sim_clock, script)
    assert str(dest) in str(refused)
    assert replaced.path == dest and _sha(dest) == replaced.sha256 == sim.file_sha256(int(ref))
    assert [p.name for p in dest.parent.iterdir()] == ["catalog.csv"] and not leftovers(tmp_path)
