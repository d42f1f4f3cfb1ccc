"""Sellercloud client under injected faults over real sockets: the same file or a typed error, never a half
file or staging debris; job-creating POSTs re-sent only when the server certainly did not act."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerkit._core.errors import ServerError
from sellerkit.sellercloud import (
    APIConnectionError,
    APITimeoutError,
    DownloadError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PollPolicy,
    SellerkitError,
)
from sellerkit.testing.fixtures import MakeSellercloudSim
from sellerkit.testing.framework import RequestRecord, ScaledClock
from sellerkit.testing.sellercloud import SellercloudSimulator
from tests.sellercloud.conftest import (
    EXPORT_PATH,
    JOB_GET,
    JOB_ROUTE,
    MODES,
    OUTPUT_PATH,
    PLUGIN,
    SKUS,
    TOKEN_PATH,
    assert_downloaded,
    aw,
    dual,
    leftovers,
)

# enough products that the output file is several KB: a fault mid-body leaves a real prefix on disk
MANY = [f"SKU-{i:04d}" for i in range(60)]
HTML_500 = (
    "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
    "<body><h1>Internal Server Error</h1><p>upstream crashed</p></body></html>"
)


async def _export_wait_download(client: Any, dest: Path, skus: list[str] = SKUS, **wait: Any) -> Any:
    job = await aw(client.export_via_plugin(skus, plugin=PLUGIN))
    await aw(job.wait(**wait))
    return job.reference, await aw(job.download(dest))


def _script(dest: Path, skus: list[str] = SKUS, **wait: Any) -> Any:
    async def script(client: Any) -> Any:
        return await _export_wait_download(client, dest, skus, **wait)

    return script


def _job_gets(sim: SellercloudSimulator) -> list[RequestRecord]:
    return sim.requests.matching(method="GET", route=JOB_ROUTE)


def _posts(sim: SellercloudSimulator) -> list[RequestRecord]:
    return sim.requests.matching(method="POST", path=EXPORT_PATH)


def _after(sim: SellercloudSimulator, record: RequestRecord) -> RequestRecord:
    """The request the client sent next."""
    return next(r for r in sim.requests if r.seq == record.seq + 1)


# ---------------------------------------------------------------- 429 with Retry-After


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["job GET", "export POST"])
@pytest.mark.parametrize(
    ("fmt", "retry_after", "low", "high"), [("seconds", 7, 8.0, 8.01), ("http-date", 30, 30.0, 31.01)]
)
def test_429_with_retry_after_is_retried_after_the_wait(
    mode: str,
    target: str,
    fmt: str,
    retry_after: int,
    low: float,
    high: float,
    sellercloud_sim: SellercloudSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """A 429 is retried once its Retry-After (delta seconds or HTTP date) has passed; on the export POST the
    server did not act, so it is re-sent and exactly one job exists."""
    method, path = ("GET", JOB_GET) if target == "job GET" else ("POST", EXPORT_PATH)
    fault = sellercloud_sim.faults.add(
        "rate_limit", method=method, path=path, retry_after=retry_after, retry_after_format=fmt
    )
    ref, result = dual(mode, sellercloud_sim, sim_clock, _script(tmp_path))
    assert fault.hits == 1
    calls = _job_gets(sellercloud_sim) if target == "job GET" else _posts(sellercloud_sim)
    assert [c.status for c in calls[:2]] == [429, 200]
    # whole seconds waited out with their resolution (+1 s); an HTTP date is read on the server's clock (its
    # Date header, whole seconds too): never before the throttle ends, at most a second after (issue 13)
    assert low <= calls[1].sim_time - calls[0].sim_time <= high
    assert len(_posts(sellercloud_sim)) == (1 if target == "job GET" else 2)
    assert sellercloud_sim.stats.jobs_created == 1
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)


# ---------------------------------------------------------------- the vendor's throttle body


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["job GET", "export POST"])
@pytest.mark.parametrize("status", [429, 503, 401, 200])
def test_throttle_body_waits_until_its_reset_time_whatever_the_status(
    mode: str,
    target: str,
    status: int,
    sellercloud_sim: SellercloudSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """`{"Error": ..., "RateLimitResetTime": ...}` (no Retry-After) means: wait until that UTC time, then send
    again — the job-creating POST too (the server did not act: one job) — whatever status carries it (the docs
    name none; the spec says 429 and "any status"). A 401 with it is no reason to log in again."""
    method, path = ("GET", JOB_GET) if target == "job GET" else ("POST", EXPORT_PATH)
    fault = sellercloud_sim.faults.add("throttle", method=method, path=path, status=status, reset_in=50.0)
    ref, result = dual(mode, sellercloud_sim, sim_clock, _script(tmp_path))
    assert fault.hits == 1
    throttled = next(r for r in sellercloud_sim.requests if "throttle" in r.faults)
    assert throttled.status == status
    resent = _after(sellercloud_sim, throttled)
    assert (resent.method, resent.route) == (throttled.method, throttled.route)
    reset_at = throttled.sim_time + 50.0
    # past the reset on the server's clock (its Date): both have whole seconds, + 1 s at most each
    assert reset_at <= resent.sim_time <= reset_at + 2.01
    assert sellercloud_sim.stats.jobs_created == 1 and len(_posts(sellercloud_sim)) == (
        2 if target == "export POST" else 1
    )
    assert sellercloud_sim.stats.tokens_issued == 1
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)


@pytest.mark.parametrize("mode", MODES)
def test_full_rate_limit_window_is_waited_out_with_one_job(
    mode: str, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """The simulator's own window (4 requests per 10 minutes; throttle body + Retry-After): every refused
    request is sent again only after the window reset, and the export finishes with one job."""
    sim = make_sellercloud_sim(
        clock=sim_clock, rate_limit=4, rate_limit_period=600.0, throttle_retry_after=True
    )
    start = sim_clock.now()
    ref, result = dual(mode, sim, sim_clock, _script(tmp_path))
    assert sim.stats.throttled >= 1 and sim_clock.now() - start >= 600.0
    refused = [r for r in sim.requests if r.status == 429]
    assert all(_after(sim, r).sim_time >= start + 600.0 for r in refused)
    assert sim.stats.jobs_created == 1
    assert_downloaded(sim, tmp_path, ref, result)


SKEWS = {"same clock": 0.0, "client 1.5 s ahead": 1.5, "client 1.5 s behind": -1.5}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["window", "output file GET"])
@pytest.mark.parametrize("skew", list(SKEWS.values()), ids=list(SKEWS))
def test_a_whole_second_reset_time_is_waited_out_on_the_server_s_side(
    mode: str,
    target: str,
    skew: float,
    make_sellercloud_sim: MakeSellercloudSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """Issue 13: RateLimitResetTime has whole seconds (truncated, as .NET prints a DateTime) and the client's
    clock may be off. A client waking at the named second is up to a second (plus the skew) early, gets the
    throttle body again, computes a wait of 0 s and spends its attempts within milliseconds. The wait must
    end past the reset on the server's clock (its Date header tells the skew): every refused request is
    sent again once, after the reset, and answered."""
    if target == "window":
        sim = make_sellercloud_sim(clock=sim_clock, rate_limit=4, rate_limit_period=600.0)
    else:
        sim = make_sellercloud_sim(clock=sim_clock)
        sim.faults.add("throttle", method="GET", path=OUTPUT_PATH, status=429, reset_in=30.4)
    start = sim_clock.now()
    wall = {"wall_clock": lambda: sim_clock.now() + skew}
    ref, result = dual(mode, sim, sim_clock, _script(tmp_path), hooks=wall)
    refused = [r for r in sim.requests if r.status == 429]
    assert refused
    for record in refused:
        resent = _after(sim, record)
        assert resent.status != 429, [(r.route, r.status, round(r.sim_time - start, 3)) for r in sim.requests]
        assert resent.sim_time - record.sim_time > 0.5  # never a retry at 0 s
    if target == "window":
        assert all(_after(sim, r).sim_time >= start + 600.0 for r in refused)
    else:
        (throttled,) = refused
        # past the reset (30.4 s), within the resolution of the reset time and the Date header (1 s each)
        # and the 1 s margin for a truncated reset time
        assert 30.4 <= _after(sim, throttled).sim_time - throttled.sim_time <= 30.4 + 3.0
    assert sim.stats.jobs_created == 1
    assert_downloaded(sim, tmp_path, ref, result)


# ---------------------------------------------------------------- 5xx and HTML error pages


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_job_get_is_retried(
    mode: str, status: int, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A 5xx on the idempotent job GET (500 included) is retried and the export completes."""
    fault = sellercloud_sim.faults.add("status", method="GET", path=JOB_GET, status=status, times=2)
    ref, result = dual(mode, sellercloud_sim, sim_clock, _script(tmp_path))
    assert fault.hits == 2
    statuses = [r.status for r in _job_gets(sellercloud_sim)]
    assert statuses[:3] == [status, status, 200]
    assert len(_posts(sellercloud_sim)) == 1
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_on_export_post_is_not_resent(
    mode: str, status: int, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """After a 5xx the job may exist: `ServerError`, the POST sent exactly once, nothing polled."""
    sellercloud_sim.faults.add("status", method="POST", path=EXPORT_PATH, status=status, times=None)
    with pytest.raises(ServerError) as caught:
        dual(mode, sellercloud_sim, sim_clock, _script(tmp_path))
    assert caught.value.status == status and caught.value.method == "POST"
    assert len(_posts(sellercloud_sim)) == 1
    assert not _job_gets(sellercloud_sim)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["job GET", "export POST"])
def test_html_500_is_a_server_error_with_a_readable_message(
    mode: str, target: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """An HTML error page becomes a `ServerError` naming its <title>; no JSON decode error anywhere. On the
    job GET the transport's retries are the only ones: the poller tolerates unreadable bodies, not a 5xx."""
    method, path = ("GET", JOB_GET) if target == "job GET" else ("POST", EXPORT_PATH)
    sellercloud_sim.faults.add("status", method=method, path=path, status=500, body=HTML_500, times=None)
    with pytest.raises(ServerError) as caught:
        dual(
            mode,
            sellercloud_sim,
            sim_clock,
            _script(tmp_path, policy=PollPolicy(max_fetch_failures=1)),
            max_retries=1,
        )
    error = caught.value
    assert error.status == 500 and "500 Internal Server Error" in str(error)
    assert "<html" not in str(error).lower() and "<title" not in str(error).lower()
    chain: BaseException | None = error
    while chain is not None:
        assert not isinstance(chain, json.JSONDecodeError)
        chain = chain.__cause__ or chain.__context__
    assert len(_posts(sellercloud_sim)) == 1
    if target == "job GET":  # one fetch of 2 attempts (max_retries=1); max_fetch_failures does not apply
        assert len(_job_gets(sellercloud_sim)) == 2
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- slow responses


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", ["job GET", "output file"])
def test_response_slower_than_the_read_timeout_is_sent_again(
    mode: str, target: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A read timeout on an idempotent GET (job status, output file) is a failed attempt: sent again."""
    path = JOB_GET if target == "job GET" else OUTPUT_PATH
    fault = sellercloud_sim.faults.add("slow", method="GET", path=path, delay=0.6)
    timeout = httpx.Timeout(5.0, read=0.15)
    ref, result = dual(mode, sellercloud_sim, sim_clock, _script(tmp_path), timeout=timeout)
    assert fault.hits == 1
    if target == "job GET":
        calls = _job_gets(sellercloud_sim)
    else:
        calls = sellercloud_sim.requests.matching(method="GET", path=OUTPUT_PATH)
    assert calls[0].faults == ["slow"] and len(calls) >= 2
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)


# ---------------------------------------------------------------- broken output-file downloads


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", ["base64_json", "raw"])
@pytest.mark.parametrize("fault", ["reset", "truncate"])
def test_output_file_cut_once_is_fetched_again_byte_identical(
    mode: str,
    shape: str,
    fault: str,
    make_sellercloud_sim: MakeSellercloudSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """A reset or short body on the output file (it ignores Range) restarts it: the same bytes, one file."""
    sim = make_sellercloud_sim(clock=sim_clock, output_shape=shape)
    sim.faults.add(fault, method="GET", path=OUTPUT_PATH, after_bytes=2_000)
    ref, result = dual(mode, sim, sim_clock, _script(tmp_path, MANY))
    gets = sim.requests.matching(method="GET", path=OUTPUT_PATH)
    assert [g.faults for g in gets] == [[fault], []]
    assert sim.expected_file(int(ref)).size > 2_000
    assert_downloaded(sim, tmp_path, ref, result)


@pytest.fixture(
    params=[(m, s, f) for f in ("reset", "truncate") for s in ("base64_json", "raw") for m in MODES],
    ids="-".join,
)
def cut_every_time(
    request: pytest.FixtureRequest,
    make_sellercloud_sim: MakeSellercloudSim,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> tuple[SellercloudSimulator, APIConnectionError, Path]:
    """An export whose output file (raw or base64 JSON) is reset or cut after 2,000 bytes on every attempt,
    downloaded by a sync or async client into tmp_path: the simulator, the error and the folder."""
    mode, shape, fault = request.param
    sim = make_sellercloud_sim(clock=sim_clock, output_shape=shape)
    sim.faults.add(fault, method="GET", path=OUTPUT_PATH, after_bytes=2_000, times=None)
    with pytest.raises(APIConnectionError) as caught:
        dual(mode, sim, sim_clock, _script(tmp_path, MANY))
    return sim, caught.value, tmp_path


def test_output_file_always_cut_is_a_connection_error_after_every_attempt(
    cut_every_time: tuple[SellercloudSimulator, APIConnectionError, Path],
) -> None:
    """Out of restarts: `APIConnectionError` (the connection was lost every time) with its attempts."""
    sim, error, _ = cut_every_time
    assert not isinstance(error, APITimeoutError) and error.vendor == "sellercloud"
    assert error.method == "GET" and "OutputFile" in str(error)
    assert isinstance(error.__cause__, httpx.TransportError)
    # the first try + max_retries (default 4) restarts: the downloader's restarts are the only retries
    assert error.attempts == 5 == len(sim.requests.matching(method="GET", path=OUTPUT_PATH))


def test_output_file_always_cut_leaves_nothing(
    cut_every_time: tuple[SellercloudSimulator, APIConnectionError, Path],
) -> None:
    """Out of restarts on a body that can't be resumed (the output file ignores Range): no part/meta file
    or staging folder is left in the target."""
    _, _, folder = cut_every_time
    assert leftovers(folder) == []
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", ["job failed", "job never ends", "undecodable body", "404 on the file"])
def test_download_that_fails_leaves_no_staging_folder(
    mode: str, case: str, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """`job.download(folder)` (waiting inside) that ends in a typed error leaves the folder as it was. An API
    error status on the output file is its `ApiError` subclass (404: `NotFoundError`), no DownloadError."""
    outcome = {"job failed": "failed", "job never ends": "stuck"}.get(case, "completed")
    sim = make_sellercloud_sim(clock=sim_clock, outcome=outcome)
    if case == "undecodable body":
        sim.faults.add("malformed_json", method="GET", path=OUTPUT_PATH, mode="cut", times=None)
    if case == "404 on the file":
        sim.faults.add("status", method="GET", path=OUTPUT_PATH, status=404, times=None)
    expected: type[SellerkitError] = {
        "job failed": JobFailedError,
        "job never ends": JobTimeoutError,
        "404 on the file": NotFoundError,
    }.get(case, DownloadError)

    async def script(client: Any) -> Any:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        return await aw(job.download(tmp_path, policy=PollPolicy(timeout=30.0)))

    with pytest.raises(expected):
        dual(mode, sim, sim_clock, script)
    assert leftovers(tmp_path) == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", MODES)
def test_download_again_after_an_undecodable_body_gives_the_file(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A body that is not a documented shape is a `DownloadError`; calling `download()` again on the same
    handle fetches the file under its own name, with nothing left over from the first try."""
    sellercloud_sim.faults.add("malformed_json", method="GET", path=OUTPUT_PATH, mode="cut")

    async def script(client: Any) -> Any:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        await aw(job.wait())
        with pytest.raises(DownloadError, match="not a documented shape"):
            await aw(job.download(tmp_path))
        return job.reference, await aw(job.download(tmp_path))

    ref, result = dual(mode, sellercloud_sim, sim_clock, script)
    assert result.path.name == sellercloud_sim.job(int(ref)).output_file_name
    assert len(sellercloud_sim.requests.matching(method="GET", path=OUTPUT_PATH)) == 2
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)


# ---------------------------------------------------------------- undocumented status values


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", [11, 2])
def test_unknown_status_keeps_polling(
    mode: str, value: int, make_sellercloud_sim: MakeSellercloudSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A Status the docs don't list (11, or 2: the gap) is kept as UNKNOWN_<n> and counts as running."""
    sim = make_sellercloud_sim(clock=sim_clock, queue_seconds=0.0, job_seconds=0.0)
    fault = sim.faults.add("unknown_enum", method="GET", path=JOB_GET, field="Status", value=value, times=3)

    async def script(client: Any) -> Any:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        first = await aw(job.refresh())
        await aw(job.wait())
        return first, job.reference, await aw(job.download(tmp_path))

    first, ref, result = dual(mode, sim, sim_clock, script)
    assert first.status == f"UNKNOWN_{value}" and not first.terminal and not first.succeeded
    assert fault.hits == 3
    assert [r.faults for r in _job_gets(sim)] == [["unknown_enum"]] * 3 + [[]]
    assert_downloaded(sim, tmp_path, ref, result)


# ---------------------------------------------------------------- malformed JSON


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("malformed", ["cut", "garbage", "empty"])
def test_malformed_job_json_once_is_tolerated(
    mode: str, malformed: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """One broken job body is a tolerated fetch failure: polling goes on and the export completes."""
    sellercloud_sim.faults.add("malformed_json", method="GET", path=JOB_GET, mode=malformed)
    ref, result = dual(mode, sellercloud_sim, sim_clock, _script(tmp_path))
    gets = _job_gets(sellercloud_sim)
    assert gets[0].faults == ["malformed_json"] and len(gets) >= 2
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("malformed", ["cut", "garbage", "empty"])
def test_malformed_job_json_always_is_a_typed_error(
    mode: str, malformed: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Broken job bodies past the tolerated failures: a `SellerkitError` naming the unreadable answer — never
    a raw `json.JSONDecodeError`; the POST was sent once."""
    sellercloud_sim.faults.add("malformed_json", method="GET", path=JOB_GET, mode=malformed, times=None)
    with pytest.raises(SellerkitError) as caught:
        dual(mode, sellercloud_sim, sim_clock, _script(tmp_path, policy=PollPolicy(max_fetch_failures=2)))
    assert isinstance(caught.value, ServerError) and caught.value.vendor == "sellercloud"
    assert "sellercloud sent an unreadable get queued job answer" in str(caught.value)
    assert isinstance(caught.value.__cause__, json.JSONDecodeError)  # chained once, never raised raw
    assert len(_job_gets(sellercloud_sim)) == 3  # 2 tolerated + the one raised
    assert len(_posts(sellercloud_sim)) == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("mode", MODES)
def test_unreadable_job_body_error_names_the_request(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """The error for a job status body that can't be read says which request answered it."""
    sellercloud_sim.faults.add("malformed_json", method="GET", path=JOB_GET, mode="garbage", times=None)
    with pytest.raises(ServerError) as caught:
        dual(mode, sellercloud_sim, sim_clock, _script(tmp_path, policy=PollPolicy(max_fetch_failures=0)))
    error = caught.value
    assert error.method == "GET" and error.url is not None and "/api/QueuedJobs/" in error.url
    assert "GET" in str(error) and "/api/QueuedJobs/" in str(error)


# ---------------------------------------------------------------- 401 mid-run


@pytest.mark.parametrize("mode", MODES)
def test_revoked_token_means_one_new_login_and_the_run_goes_on(
    mode: str, sellercloud_sim: SellercloudSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A 401 mid-run (tokens revoked server-side): the client logs in once more and continues."""
    sellercloud_sim.settings.job_seconds = 20.0

    async def script(client: Any) -> Any:
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        await aw(job.refresh())
        sellercloud_sim.revoke_tokens()
        await aw(job.wait())
        return job.reference, await aw(job.download(tmp_path))

    ref, result = dual(mode, sellercloud_sim, sim_clock, script)
    assert sellercloud_sim.stats.tokens_issued == 2
    assert sellercloud_sim.requests.calls(method="POST", path=TOKEN_PATH) == 2
    refused = [r for r in sellercloud_sim.requests if r.status == 401]
    assert len(refused) == 1 and refused[0].route == JOB_ROUTE
    relogin = _after(sellercloud_sim, refused[0])
    assert relogin.path == TOKEN_PATH and _after(sellercloud_sim, relogin).route == JOB_ROUTE
    assert_downloaded(sellercloud_sim, tmp_path, ref, result)
