"""Wabi2b client under injected faults over real sockets: identical files or a typed error, never a half."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from sellerkit._core.errors import (
    APIConnectionError,
    ApiError,
    APITimeoutError,
    DownloadError,
    JobFailedError,
    NotFoundError,
    RateLimitedError,
    SellerkitError,
    ServerError,
)
from sellerkit._core.polling import PollPolicy
from sellerkit.testing.fixtures import MakeWabi2bSim
from sellerkit.testing.framework import RequestRecord, ScaledClock
from sellerkit.testing.wabi2b import DOWNLOAD_PATH, FILE_PREFIX, Wabi2bSimulator, render_file
from sellerkit.wabi2b import MediaType, PayloadError, PublishStatus
from tests.wabi2b.conftest import (
    GTINS,
    MODES,
    assert_identical_file,
    assert_no_part_files,
    bulk_rows,
    created_jobs,
    sha256_of,
)

# enough rows (about 100 KB of JSON) that a fault mid-body leaves a real prefix on disk
BIG = [f"{i:014d}" for i in range(1000, 1150)]


def _calls(sim: Wabi2bSimulator, method: str, path: str = DOWNLOAD_PATH) -> list[RequestRecord]:
    return sim.requests.matching(method=method, path=path)


# ---------------------------------------------------------------- 429 with Retry-After


@MODES
@pytest.mark.parametrize(
    ("fmt", "retry_after", "low", "high"), [("seconds", 7, 8.0, 8.01), ("http-date", 30, 30.0, 31.01)]
)
def test_429_on_status_get_is_retried_after_retry_after(
    mode: str,
    fmt: str,
    retry_after: int,
    low: float,
    high: float,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """A 429 on the first status GET is retried once its Retry-After (seconds or HTTP date) has passed."""
    fault = wabi2b_sim.faults.add(
        "rate_limit", method="GET", path=DOWNLOAD_PATH, retry_after=retry_after, retry_after_format=fmt
    )
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert [r.product for r in rows] == GTINS
    assert fault.hits == 1
    gets = _calls(wabi2b_sim, "GET")
    assert gets[0].status == 429 and gets[1].status == 200
    # whole seconds waited out with their resolution (+1 s); an HTTP date is read on the server's clock (its
    # Date header, whole seconds too): never before the throttle ends, at most a second after (issue 13)
    assert low <= gets[1].sim_time - gets[0].sim_time <= high
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


@MODES
@pytest.mark.parametrize(
    ("fmt", "retry_after", "low", "high"), [("seconds", 4, 5.0, 5.01), ("http-date", 30, 30.0, 31.01)]
)
def test_429_on_post_is_resent_once_after_retry_after(
    mode: str,
    fmt: str,
    retry_after: int,
    low: float,
    high: float,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """429 means the server did not act: the job-creating POST is re-sent once, after the wait."""
    wabi2b_sim.faults.add(
        "rate_limit", method="POST", path=DOWNLOAD_PATH, retry_after=retry_after, retry_after_format=fmt
    )
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert len(rows) == len(GTINS)
    posts = _calls(wabi2b_sim, "POST")
    assert [p.status for p in posts] == [429, 200]
    assert low <= posts[1].sim_time - posts[0].sim_time <= high
    assert wabi2b_sim.stats.jobs_created == 1
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


# ---------------------------------------------------------------- 5xx


@MODES
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_status_get_is_retried(
    mode: str, status: int, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A 5xx on the idempotent status GET (500 included) is retried and the download completes."""
    fault = wabi2b_sim.faults.add("status", method="GET", path=DOWNLOAD_PATH, status=status, times=2)
    bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert fault.hits == 2
    statuses = [r.status for r in _calls(wabi2b_sim, "GET")]
    assert statuses[:2] == [status, status] and statuses[-1] == 200
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


@MODES
@pytest.mark.parametrize("status", [500, 502])
def test_5xx_on_post_is_not_resent(
    mode: str, status: int, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """After a 5xx the server may have created the job: `ServerError`, and the POST is sent exactly once."""
    wabi2b_sim.faults.add("status", method="POST", path=DOWNLOAD_PATH, status=status, times=None)
    with pytest.raises(ServerError) as info:
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert info.value.status == status
    assert len(_calls(wabi2b_sim, "POST")) == 1
    assert not _calls(wabi2b_sim, "GET")
    assert_no_part_files(tmp_path)


HTML_500 = (
    "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
    "<body><h1>Internal Server Error</h1><p>upstream crashed</p></body></html>"
)


@MODES
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_html_500_body_is_a_readable_server_error(
    mode: str, method: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """An HTML error page becomes a `ServerError` naming its title, never a JSON decode error."""
    wabi2b_sim.faults.add("status", method=method, path=DOWNLOAD_PATH, status=500, body=HTML_500, times=None)
    with pytest.raises(ServerError) as info:
        bulk_rows(
            mode,
            wabi2b_sim,
            sim_clock,
            GTINS,
            dest=tmp_path,
            client={"max_retries": 1},
            poll=PollPolicy(max_fetch_failures=1),
        )
    error = info.value
    assert error.status == 500
    assert "500 Internal Server Error" in str(error)
    assert "<html" not in str(error).lower()
    chain: BaseException | None = error
    while chain is not None:
        assert not isinstance(chain, json.JSONDecodeError)
        chain = chain.__cause__ or chain.__context__
    if method == "GET":  # one fetch of 2 attempts: a 5xx after the transport's retries ends the wait
        assert len(_calls(wabi2b_sim, "GET")) == 2
    assert len(_calls(wabi2b_sim, "POST")) == 1
    assert_no_part_files(tmp_path)


# ---------------------------------------------------------------- slow responses


@MODES
def test_status_get_slower_than_read_timeout_is_retried(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A status GET that times out on read is re-sent (GET is idempotent) and the download completes."""
    fault = wabi2b_sim.faults.add("slow", method="GET", path=DOWNLOAD_PATH, delay=0.2)
    timeout = httpx.Timeout(5.0, read=0.05)
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, client={"timeout": timeout})
    assert len(rows) == len(GTINS)
    assert fault.hits == 1
    assert len(_calls(wabi2b_sim, "GET")) >= 2
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


@MODES
def test_status_get_always_slower_than_read_timeout_raises_api_timeout_error(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Once the transport's retries are spent: a typed `APITimeoutError`, never httpx's. The poller does
    not tolerate it on top (one layer owns the attempts), even with `max_fetch_failures` to spare."""
    wabi2b_sim.faults.add("slow", method="GET", path=DOWNLOAD_PATH, delay=0.1, times=None)
    client = {"timeout": httpx.Timeout(5.0, read=0.02), "max_retries": 1}
    with pytest.raises(APITimeoutError) as caught:
        bulk_rows(
            mode,
            wabi2b_sim,
            sim_clock,
            GTINS,
            dest=tmp_path,
            client=client,
            poll=PollPolicy(max_fetch_failures=1),
        )
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert (caught.value.vendor, caught.value.method, caught.value.attempts) == ("wabi2b", "GET", 2)
    assert len(_calls(wabi2b_sim, "GET")) == 2  # one fetch x 2 attempts
    assert len(_calls(wabi2b_sim, "POST")) == 1


@MODES
@pytest.mark.parametrize("fault", ["reset", "503"])
def test_status_get_failing_every_time_ends_the_wait_after_the_transports_retries(
    mode: str, fault: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A connection error or a 5xx on every status GET: `max_retries + 1` attempts, then the typed error.
    The poller's `max_fetch_failures` covers only unreadable bodies, so it does not multiply the budget."""
    if fault == "reset":
        wabi2b_sim.faults.add("reset", method="GET", path=DOWNLOAD_PATH, times=None)
    else:
        wabi2b_sim.faults.add("status", method="GET", path=DOWNLOAD_PATH, status=503, times=None)
    assert PollPolicy().max_fetch_failures == 3  # the default poll policy has failures to spare
    with pytest.raises(APIConnectionError if fault == "reset" else ServerError) as caught:
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, client={"max_retries": 2})
    error = caught.value
    if isinstance(error, APIConnectionError):
        assert (error.vendor, error.method, error.attempts) == ("wabi2b", "GET", 3)
    else:
        assert isinstance(error, ServerError) and (error.vendor, error.status_code) == ("wabi2b", 503)
    assert len(_calls(wabi2b_sim, "GET")) == 3
    assert len(_calls(wabi2b_sim, "POST")) == 1
    assert_no_part_files(tmp_path)


# ---------------------------------------------------------------- broken file downloads


def _file_gets(sim: Wabi2bSimulator) -> list[RequestRecord]:
    return _calls(sim, "GET", FILE_PREFIX)


@MODES
def test_reset_mid_body_resumes_with_range(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A TCP reset in the middle of the file is resumed with a Range request; the file is byte-identical."""
    sim = make_wabi2b_sim(clock=sim_clock, chunk_size=4096)
    sim.faults.add("reset", method="GET", path=FILE_PREFIX, after_bytes=40_000)
    bulk_rows(mode, sim, sim_clock, BIG, dest=tmp_path)
    gets = _file_gets(sim)
    assert len(gets) == 2 and gets[0].faults == ["reset"]
    resumed = gets[1].header("range")
    assert resumed is not None and resumed.startswith("bytes=") and resumed != "bytes=0-"
    assert gets[1].status == 206 and gets[1].has("if-range")
    assert_identical_file(sim, tmp_path, BIG, "json")


@MODES
def test_truncated_body_is_completed_byte_identical(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A body cut short of its Content-Length is completed (resumed from the part) and byte-identical."""
    sim = make_wabi2b_sim(clock=sim_clock, chunk_size=4096)
    sim.faults.add("truncate", method="GET", path=FILE_PREFIX)
    bulk_rows(mode, sim, sim_clock, BIG, dest=tmp_path)
    gets = _file_gets(sim)
    assert len(gets) == 2 and gets[0].faults == ["truncate"]
    assert gets[1].status in (200, 206)
    assert_identical_file(sim, tmp_path, BIG, "json")


@MODES
@pytest.mark.parametrize("strip_accept_ranges", [False, True])
def test_reset_without_range_support_restarts_byte_identical(
    mode: str,
    strip_accept_ranges: bool,
    make_wabi2b_sim: MakeWabi2bSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """A server ignoring Range answers the resume with the whole file: the download restarts from byte 0."""
    sim = make_wabi2b_sim(clock=sim_clock, chunk_size=4096)
    sim.faults.add(
        "no_range", method="GET", path=FILE_PREFIX, times=None, strip_accept_ranges=strip_accept_ranges
    )
    sim.faults.add("reset", method="GET", path=FILE_PREFIX, after_bytes=40_000)
    bulk_rows(mode, sim, sim_clock, BIG, dest=tmp_path)
    gets = _file_gets(sim)
    assert len(gets) >= 2 and "reset" in gets[0].faults
    assert gets[-1].status == 200
    assert_identical_file(sim, tmp_path, BIG, "json")


@MODES
@pytest.mark.parametrize("status", [502, 503])
def test_5xx_once_on_the_file_costs_one_restart(
    mode: str, status: int, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A transient 502/503 on the file GET is retried like any retryable status (download requests get one
    transport attempt after a connection error only, so retries never multiply): the second GET gets it."""
    wabi2b_sim.faults.add("status", method="GET", path=FILE_PREFIX, status=status)
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert [r.product for r in rows] == GTINS
    assert [r.status for r in _file_gets(wabi2b_sim)] == [status, 200]
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


@MODES
@pytest.mark.parametrize("files_host", [None, "127.0.0.2"], ids=["api-origin", "other-origin"])
def test_file_link_answering_404_is_a_typed_error(
    mode: str, files_host: str | None, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """An error status on the file: from the API's own origin its typed `ApiError` (`NotFoundError`, no
    longer wrapped in `DownloadError`), from a file host on another origin a `DownloadError`; not retried."""
    sim = make_wabi2b_sim(clock=sim_clock, files_host=files_host)
    sim.faults.add(
        "status", method="GET", path=FILE_PREFIX, status=404, body={"message": "Not Found"}, times=None
    )
    with pytest.raises(SellerkitError) as caught:
        bulk_rows(mode, sim, sim_clock, GTINS, dest=tmp_path)
    if files_host is None:
        assert isinstance(caught.value, NotFoundError) and not isinstance(caught.value, DownloadError)
        assert (caught.value.status_code, caught.value.vendor) == (404, "wabi2b")
    else:
        assert isinstance(caught.value, DownloadError) and not isinstance(caught.value, ApiError)
    assert len(_file_gets(sim)) == 1
    assert not list(tmp_path.glob("wabi2b-*.json"))
    assert_no_part_files(tmp_path)


@MODES
@pytest.mark.parametrize("files_host", [None, "127.0.0.2"], ids=["api-origin", "other-origin"])
def test_429_on_the_file_is_waited_past_on_either_origin(
    mode: str, files_host: str | None, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A throttled file GET is re-sent once its Retry-After (+1 s: whole seconds) has passed, whether the
    sellerkit transport saw it (the API's origin) or only the downloader did (a file host elsewhere)."""
    sim = make_wabi2b_sim(clock=sim_clock, files_host=files_host)
    sim.faults.add("rate_limit", method="GET", path=FILE_PREFIX, retry_after=3)
    rows = bulk_rows(mode, sim, sim_clock, GTINS, dest=tmp_path)
    assert [r.product for r in rows] == GTINS
    gets = _file_gets(sim)
    assert [g.status for g in gets] == [429, 200]
    assert all(g.host == (files_host or "127.0.0.1") for g in gets)
    assert 4.0 <= gets[1].sim_time - gets[0].sim_time <= 4.01
    assert_identical_file(sim, tmp_path, GTINS, "json")


@MODES
@pytest.mark.parametrize("files_host", [None, "127.0.0.2"], ids=["api-origin", "other-origin"])
def test_a_file_throttle_past_max_wait_is_a_rate_limited_error_on_either_origin(
    mode: str, files_host: str | None, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A Retry-After longer than the client's max_wait: `RateLimitedError` with `retry_after` at once (issue
    13: whatever request was throttled), not a `DownloadError`, no early retry, nothing left on disk."""
    sim = make_wabi2b_sim(clock=sim_clock, files_host=files_host)
    sim.faults.add("rate_limit", method="GET", path=FILE_PREFIX, retry_after=120, times=None)
    with pytest.raises(RateLimitedError) as caught:
        bulk_rows(mode, sim, sim_clock, GTINS, dest=tmp_path, client={"max_wait": 30.0})
    error = caught.value
    assert (error.status_code, error.retry_after) == (429, 121.0)
    assert not isinstance(error, DownloadError)
    assert [g.status for g in _file_gets(sim)] == [429]
    assert not list(tmp_path.glob("wabi2b-*.json"))
    assert_no_part_files(tmp_path)


# ---------------------------------------------------------------- unknown enum values


@MODES
def test_unknown_status_keeps_polling_until_complete(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """An undocumented status ("Queued") counts as still running: polling goes on until "Complete"."""
    fault = wabi2b_sim.faults.add("unknown_enum", method="GET", path=DOWNLOAD_PATH, field="status", times=3)
    wabi2b_sim.settings.job_seconds = 0.0  # complete at once: only "Queued" stands between us and the file
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert len(rows) == len(GTINS)
    assert fault.hits == 3
    assert len(_calls(wabi2b_sim, "GET")) == 4
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


@MODES
@pytest.mark.parametrize(
    ("file_format", "field", "value"),
    [("json", "publishStatus", "Archived"), ("csv", "mediaType", "Product Video")],
)
def test_unknown_enum_in_file_parses_as_unknown_member(
    mode: str,
    file_format: str,
    field: str,
    value: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """Undocumented enum values in the file keep the row: the value is kept with `is_known` False."""
    wabi2b_sim.faults.add("unknown_enum", method="GET", path=FILE_PREFIX, field=field)
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, format=file_format, dest=tmp_path)
    assert [r.product for r in rows] == GTINS
    if field == "publishStatus":
        statuses = [r.publish_status for r in rows]
        assert all(isinstance(s, PublishStatus) and s == value and not s.is_known for s in statuses)
    else:
        firsts = [r.media[0].type for r in rows if r.media]
        assert len(firsts) == len(rows)
        assert all(isinstance(t, MediaType) and t == value and not t.is_known for t in firsts)
        assert all(t.is_known for r in rows for t in (m.type for m in (r.media or [])[1:]))
    files = list(tmp_path.glob(f"wabi2b-*.{file_format}"))
    assert len(files) == 1
    assert sha256_of(files[0]) == render_file(GTINS, file_format, unknown_enum=(field, value)).sha256
    assert_no_part_files(tmp_path)


# ---------------------------------------------------------------- malformed JSON


@MODES
@pytest.mark.parametrize("malformed", ["cut", "garbage", "empty"])
@pytest.mark.parametrize("bad", [1, PollPolicy().max_fetch_failures], ids=["once", "max-in-a-row"])
def test_malformed_status_json_is_tolerated_and_the_job_completes(
    mode: str, malformed: str, bad: int, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Up to `max_fetch_failures` broken status bodies in a row are transient: polling goes on, every row."""
    fault = wabi2b_sim.faults.add(
        "malformed_json", method="GET", path=DOWNLOAD_PATH, mode=malformed, times=bad
    )
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert fault.hits == bad
    assert len(rows) == len(GTINS)
    assert len(_calls(wabi2b_sim, "GET")) > bad  # a good status body came after the broken ones
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")
    assert len(_calls(wabi2b_sim, "POST")) == 1


@MODES
@pytest.mark.parametrize("malformed", ["cut", "garbage", "empty"])
def test_persistently_malformed_status_json_is_a_typed_server_error(
    mode: str, malformed: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Every status body broken: after `max_fetch_failures` tolerated in a row, a `ServerError` naming the
    vendor (the decode error chained as its cause), never a raw `JSONDecodeError`; the POST is not re-sent."""
    wabi2b_sim.faults.add("malformed_json", method="GET", path=DOWNLOAD_PATH, mode=malformed, times=None)
    with pytest.raises(SellerkitError) as caught:
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    exc = caught.value
    assert isinstance(exc, ServerError) and not isinstance(exc, ValueError)
    assert exc.vendor == "wabi2b" and exc.status == 200 and "wabi2b" in str(exc)
    assert isinstance(exc.__cause__, json.JSONDecodeError)
    assert len(_calls(wabi2b_sim, "GET")) == 1 + PollPolicy().max_fetch_failures
    assert len(_calls(wabi2b_sim, "POST")) == 1
    assert_no_part_files(tmp_path)


@MODES
def test_malformed_submit_json_is_a_typed_error_and_not_resent(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A broken JSON body on the POST's 200: a typed `SellerkitError`, no raw decode error; POST sent once."""
    wabi2b_sim.faults.add("malformed_json", method="POST", path=DOWNLOAD_PATH, mode="cut")
    with pytest.raises(SellerkitError):
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert len(_calls(wabi2b_sim, "POST")) == 1
    assert_no_part_files(tmp_path)


@MODES
@pytest.mark.parametrize("fault", ["reset", "slow"])
def test_post_dropped_or_timed_out_is_not_resent(
    mode: str, fault: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A POST that may have arrived is never re-sent: one attempt, a typed `APIConnectionError`."""
    if fault == "reset":
        wabi2b_sim.faults.add("reset", method="POST", path=DOWNLOAD_PATH)
    else:
        wabi2b_sim.faults.add("slow", method="POST", path=DOWNLOAD_PATH, delay=0.2)
    timeout = httpx.Timeout(5.0, read=0.05)
    with pytest.raises(APITimeoutError if fault == "slow" else APIConnectionError) as caught:
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, client={"timeout": timeout})
    cause = httpx.ReadTimeout if fault == "slow" else (httpx.ReadError, httpx.RemoteProtocolError)
    assert isinstance(caught.value.__cause__, cause)
    assert (caught.value.method, caught.value.attempts) == ("POST", 1)
    assert len(_calls(wabi2b_sim, "POST")) == 1
    assert not _calls(wabi2b_sim, "GET")


@MODES
def test_failure_like_status_is_a_job_failed_error(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """An undocumented status that reads like a failure ("Failed") ends the wait with `JobFailedError`."""
    wabi2b_sim.faults.add(
        "unknown_enum", method="GET", path=DOWNLOAD_PATH, field="status", value="Failed", times=None
    )
    with pytest.raises(JobFailedError) as info:
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    (job,) = created_jobs(wabi2b_sim)
    assert info.value.status == "Failed" and info.value.reference == job.code
    assert len(_calls(wabi2b_sim, "GET")) == 1
    assert not _calls(wabi2b_sim, "GET", FILE_PREFIX)
    assert_no_part_files(tmp_path)


@MODES
def test_unknown_format_in_status_is_tolerated(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """An undocumented `format` value ("xlsx") in the status answer does not break polling."""
    wabi2b_sim.faults.add("unknown_enum", method="GET", path=DOWNLOAD_PATH, field="format", times=None)
    bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert all("unknown_enum" in r.faults for r in _calls(wabi2b_sim, "GET"))
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


@MODES
def test_corrupt_file_is_fetched_again_on_the_next_run(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A 200 file that does not parse is reported; the rerun fetches it again instead of reusing it.

    Downloads never replace a file: the corrupt one stays as it arrived, the good copy is numbered beside it.
    """
    wabi2b_sim.faults.add("malformed_json", method="GET", path=FILE_PREFIX, mode="cut")
    with pytest.raises(PayloadError):
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    (corrupt,) = tmp_path.glob("wabi2b-*.json")
    kept = corrupt.read_bytes()
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert [r.product for r in rows] == GTINS
    assert len(_calls(wabi2b_sim, "POST")) == 1
    assert len(_calls(wabi2b_sim, "GET", FILE_PREFIX)) == 2
    fresh = corrupt.with_name(corrupt.name.replace(".json", " (1).json"))
    assert sorted(tmp_path.glob("wabi2b-*.json")) == sorted([corrupt, fresh])
    assert corrupt.read_bytes() == kept
    assert sha256_of(fresh) == wabi2b_sim.expected_file(GTINS, "json").sha256
    assert_no_part_files(tmp_path)
