"""Wabi2b clients end to end: credentials, input checks, chunking, crash-resume, job handles, `.api`."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sellerkit._core.errors import AuthenticationError, ConfigurationError, JobTimeoutError
from sellerkit._core.polling import PollPolicy
from sellerkit.wabi2b import (
    AsyncWabi2bClient,
    BulkProgress,
    DuplicateGtinWarning,
    Product,
    Wabi2bClient,
)
from sellerkit.wabi2b_api import AuthenticatedClient
from sellerkit.wabi2b_api.api.product_bulk_download import get_products_bulk_download_status
from sellerkit.wabi2b_api.models import ProductsBulkDownloadStatus
from tests.simulators.fixtures import MakeWabi2bSim
from tests.simulators.framework import ScaledClock
from tests.simulators.wabi2b import (
    DOCS_CALLBACK_CODE,
    DOCS_FILE_PATH,
    DOWNLOAD_PATH,
    FILE_PREFIX,
    Wabi2bSimulator,
)
from tests.wabi2b.conftest import (
    assert_identical_file,
    assert_no_part_files,
    bulk_rows,
    client_kwargs,
    created_jobs,
    sha256_of,
)

GTINS = [f"{i:014d}" for i in range(1, 26)]
MODES = pytest.mark.parametrize("mode", ["sync", "async"])


class Crash(Exception):
    """Raised from a progress callback to simulate a process dying mid-run."""


def _construct(mode: str, **kwargs: Any) -> None:
    """Build (and close) a sync or async client from these arguments."""
    if mode == "sync":
        Wabi2bClient(**kwargs).close()
        return

    async def main() -> None:
        await AsyncWabi2bClient(**kwargs).aclose()

    asyncio.run(main())


# ---------------------------------------------------------------- credentials


@MODES
def test_expired_jwt_is_an_authentication_error_with_the_vendor_message(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A JWT past its `exp` gets the vendor's 401 as `AuthenticationError`, message included."""
    token = wabi2b_sim.mint_jwt(ttl=1)
    sim_clock.advance(2)
    with pytest.raises(AuthenticationError) as info:
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, client={"jwt": token})
    assert info.value.status == 401
    assert info.value.vendor_message == "Unauthorized: the JWT has expired"
    assert "the JWT has expired" in str(info.value)
    assert len(wabi2b_sim.requests) == 1 and wabi2b_sim.requests[0].status == 401


@MODES
def test_jwt_callable_keeps_a_long_download_working_across_expiry(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """The JWT callable is asked on every request: short-lived tokens carry a job longer than their TTL."""
    sim = make_wabi2b_sim(clock=sim_clock, job_seconds=120.0)
    minted: list[str] = []

    def fresh_jwt() -> str:
        minted.append(sim.mint_jwt(ttl=10))
        return minted[-1]

    bulk_rows(mode, sim, sim_clock, GTINS, dest=tmp_path, client={"jwt": fresh_jwt})
    api_calls = sim.requests.matching(path=DOWNLOAD_PATH)
    assert all(r.status == 200 for r in api_calls)
    assert api_calls[-1].sim_time - api_calls[0].sim_time > 100  # far beyond one token's 10 s
    assert len(minted) >= len(api_calls)
    assert len({r.header("authorization") for r in api_calls}) > 1  # different tokens were sent
    assert_identical_file(sim, tmp_path, GTINS, "json")


@MODES
def test_a_fixed_short_lived_jwt_fails_once_it_expires(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """The contrast to the callable: a fixed token that expires mid-wait ends in `AuthenticationError`."""
    sim = make_wabi2b_sim(clock=sim_clock, job_seconds=120.0)
    with pytest.raises(AuthenticationError, match="expired"):
        bulk_rows(mode, sim, sim_clock, GTINS, dest=tmp_path, client={"jwt": sim.mint_jwt(ttl=10)})
    assert_no_part_files(tmp_path)


@MODES
def test_wrong_api_key_is_an_authentication_error(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """An unknown x-api-key is refused with 401 → `AuthenticationError` carrying the vendor message."""
    with pytest.raises(AuthenticationError) as info:
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, client={"api_key": "not-the-key"})
    assert info.value.vendor_message == "Unauthorized: invalid API key"
    assert wabi2b_sim.stats.jobs_created == 0


@MODES
def test_missing_credentials_name_both_environment_variables(
    mode: str, wabi2b_sim: Wabi2bSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No JWT and no key, and neither environment variable set: `ConfigurationError` naming both."""
    monkeypatch.delenv("WABI2B_JWT", raising=False)
    monkeypatch.delenv("WABI2B_API_KEY", raising=False)
    with pytest.raises(ConfigurationError) as info:
        _construct(mode, base_url=wabi2b_sim.base_url)
    assert "WABI2B_JWT" in str(info.value) and "WABI2B_API_KEY" in str(info.value)
    with pytest.raises(ConfigurationError) as only_key:
        _construct(mode, jwt=wabi2b_sim.jwt(), base_url=wabi2b_sim.base_url)
    assert "WABI2B_API_KEY" in str(only_key.value) and "WABI2B_JWT" not in str(only_key.value)
    assert len(wabi2b_sim.requests) == 0


@MODES
def test_from_env_reads_both_credentials(
    mode: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`from_env()` with WABI2B_JWT and WABI2B_API_KEY set runs a bulk download."""
    monkeypatch.setenv("WABI2B_JWT", wabi2b_sim.jwt())
    monkeypatch.setenv("WABI2B_API_KEY", wabi2b_sim.api_key)
    kwargs = client_kwargs(wabi2b_sim, sim_clock)
    del kwargs["jwt"], kwargs["api_key"]
    if mode == "sync":
        with Wabi2bClient.from_env(**kwargs, sleep=sim_clock.sleep) as client:
            rows = list(client.bulk_download(GTINS, dest=tmp_path))
    else:

        async def main() -> list[Product]:
            async with AsyncWabi2bClient.from_env(**kwargs, sleep=sim_clock.asleep) as client:
                return [row async for row in client.bulk_download(GTINS, dest=tmp_path)]

        rows = asyncio.run(main())
    assert [r.product for r in rows] == GTINS
    assert all(
        r.has_authorization and r.has_api_key for r in wabi2b_sim.requests.matching(path=DOWNLOAD_PATH)
    )


@MODES
def test_unknown_environment_is_a_configuration_error(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`environment="staging"` (argument or WABI2B_ENVIRONMENT) is refused, naming the valid ones."""
    with pytest.raises(ConfigurationError, match=r"'sandbox' or 'production'.*'staging'"):
        _construct(mode, jwt="j", api_key="k", environment="staging")
    monkeypatch.setenv("WABI2B_ENVIRONMENT", "staging")
    with pytest.raises(ConfigurationError, match="staging"):
        _construct(mode, jwt="j", api_key="k")


# ---------------------------------------------------------------- bad input, before any request

BAD_INPUT: list[tuple[str, Any, dict[str, Any], str]] = [
    ("empty", [], {}, "no GTINs given"),
    ("13 digits", ["0002500004029"], {}, "exactly 14 digits"),
    ("int", [25000040295], {}, "not a string"),
    ("a string", "00025000040295", {}, "not a single string"),
    ("xml", GTINS, {"format": "xml"}, "'json' or 'csv'"),
]


@MODES
@pytest.mark.parametrize(
    ("gtins", "kw", "message"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_is_refused_before_any_request(
    mode: str,
    gtins: Any,
    kw: dict[str, Any],
    message: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """Invalid GTINs or format: `ConfigurationError` from `bulk_download` and `submit`, nothing sent."""
    if mode == "sync":
        with Wabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
            with pytest.raises(ConfigurationError, match=message):
                client.bulk_download(gtins, dest=tmp_path, **kw)
            with pytest.raises(ConfigurationError, match=message):
                client.submit(gtins, **kw)
    else:

        async def main() -> None:
            async with AsyncWabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
                with pytest.raises(ConfigurationError, match=message):
                    client.bulk_download(gtins, dest=tmp_path, **kw)
                with pytest.raises(ConfigurationError, match=message):
                    await client.submit(gtins, **kw)

        asyncio.run(main())
    assert len(wabi2b_sim.requests) == 0
    assert list(tmp_path.iterdir()) == []


@MODES
def test_submit_of_more_than_10000_gtins_is_refused_before_any_request(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock
) -> None:
    """`submit()` is one request: 10,001 GTINs are refused, pointing to `bulk_download()`."""
    gtins = [f"{i:014d}" for i in range(10_001)]
    if mode == "sync":
        with (
            Wabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client,
            pytest.raises(ConfigurationError, match="bulk_download"),
        ):
            client.submit(gtins)
    else:

        async def main() -> None:
            async with AsyncWabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
                with pytest.raises(ConfigurationError, match="bulk_download"):
                    await client.submit(gtins)

        asyncio.run(main())
    assert len(wabi2b_sim.requests) == 0


@MODES
def test_duplicate_gtins_warn_and_are_requested_once(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Duplicates give a `DuplicateGtinWarning`; the POST carries each GTIN once, in first-seen order."""
    given = [*GTINS[:10], GTINS[3], GTINS[0], *GTINS[10:], GTINS[3]]
    with pytest.warns(DuplicateGtinWarning, match="3 duplicate"):
        rows = bulk_rows(mode, wabi2b_sim, sim_clock, given, dest=tmp_path)
    (job,) = created_jobs(wabi2b_sim)
    assert list(job.gtins) == GTINS
    assert [r.product for r in rows] == GTINS
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


# ---------------------------------------------------------------- chunking


@MODES
def test_10001_gtins_are_two_jobs_and_rows_keep_input_order(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """10,001 GTINs: exactly 2 POSTs (10,000 + 1), every row once, in input order."""
    gtins = [f"{i:014d}" for i in range(10_001)]
    random.Random(7).shuffle(gtins)
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, gtins, dest=tmp_path)
    assert len(wabi2b_sim.requests.matching(method="POST")) == 2
    jobs = created_jobs(wabi2b_sim)
    assert [list(j.gtins) for j in jobs] == [gtins[:10_000], gtins[10_000:]]
    assert [r.product for r in rows] == gtins
    files = sorted(tmp_path.glob("wabi2b-*.json"))
    assert sorted(sha256_of(f) for f in files) == sorted(wabi2b_sim.file_sha256(j.code) for j in jobs)
    assert_no_part_files(tmp_path)


# ---------------------------------------------------------------- crash and resume


def _crash_on(stage: str, *, min_bytes: int = 0) -> Callable[[BulkProgress], None]:
    def report(event: BulkProgress) -> None:
        if event.stage == stage and (event.bytes_done or 0) >= min_bytes:
            raise Crash(stage)

    return report


@MODES
def test_crash_after_submit_resumes_without_a_new_post(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A crash right after the job was submitted: the same call again polls that job, no second POST."""
    with pytest.raises(Crash):
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, on_progress=_crash_on("submitted"))
    assert len(wabi2b_sim.requests.matching(method="POST")) == 1
    events: list[BulkProgress] = []
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, on_progress=events.append)
    assert [r.product for r in rows] == GTINS
    assert len(wabi2b_sim.requests.matching(method="POST")) == 1
    assert "submitted" not in [e.stage for e in events]
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


@MODES
def test_crash_mid_download_resumes_the_part_file(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A crash mid-file leaves a part file; the next call resumes it with a Range request, no new POST."""
    sim = make_wabi2b_sim(clock=sim_clock, chunk_size=4096)
    gtins = [f"{i:014d}" for i in range(2000, 2150)]
    with pytest.raises(Crash):
        bulk_rows(
            mode, sim, sim_clock, gtins, dest=tmp_path, on_progress=_crash_on("downloading", min_bytes=1)
        )
    (part,) = tmp_path.glob("*.sellerkit-part")
    kept = part.stat().st_size
    assert kept > 0
    rows = bulk_rows(mode, sim, sim_clock, gtins, dest=tmp_path)
    assert [r.product for r in rows] == gtins
    assert len(sim.requests.matching(method="POST")) == 1
    file_gets = sim.requests.matching(method="GET", path=FILE_PREFIX)
    assert len(file_gets) == 2
    assert file_gets[1].header("range") == f"bytes={kept}-" and file_gets[1].status == 206
    assert_identical_file(sim, tmp_path, gtins, "json")


@MODES
def test_closing_the_generator_early_reuses_the_downloaded_chunk(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Stopping after the first chunk's rows: the rerun reuses that file and submits nothing new."""
    gtins = [f"{i:014d}" for i in range(10_001)]
    if mode == "sync":
        with Wabi2bClient(**client_kwargs(wabi2b_sim, sim_clock), sleep=sim_clock.sleep) as client:
            rows = client.bulk_download(gtins, dest=tmp_path)
            first = next(rows)
            rows.close()  # type: ignore[attr-defined]
    else:

        async def main() -> Product:
            kwargs = client_kwargs(wabi2b_sim, sim_clock)
            async with AsyncWabi2bClient(**kwargs, sleep=sim_clock.asleep) as client:
                rows = client.bulk_download(gtins, dest=tmp_path)
                row = await anext(rows)
                await rows.aclose()  # type: ignore[attr-defined]
                return row

        first = asyncio.run(main())
    assert first.product == gtins[0]
    assert len(wabi2b_sim.requests.matching(method="POST")) == 2  # every chunk is submitted first
    assert len(wabi2b_sim.requests.matching(method="GET", path=FILE_PREFIX)) == 1
    events: list[BulkProgress] = []
    rows_again = bulk_rows(mode, wabi2b_sim, sim_clock, gtins, dest=tmp_path, on_progress=events.append)
    assert [r.product for r in rows_again] == gtins
    assert [(e.chunk, e.stage) for e in events if e.stage in ("submitted", "reused", "downloaded")] == [
        (0, "reused"),
        (1, "downloaded"),
    ]
    assert len(wabi2b_sim.requests.matching(method="POST")) == 2
    assert len(wabi2b_sim.requests.matching(method="GET", path=FILE_PREFIX)) == 2
    assert_no_part_files(tmp_path)


@MODES
def test_job_rebuilt_from_a_timeout_reference_downloads_later(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A job outlasting the poll timeout raises `JobTimeoutError`; `client.job(ref)` downloads it later."""
    sim = make_wabi2b_sim(clock=sim_clock, job_seconds=600.0)
    with pytest.raises(JobTimeoutError) as info:
        bulk_rows(mode, sim, sim_clock, GTINS, dest=tmp_path, poll=PollPolicy(timeout=30.0))
    reference = info.value.reference
    assert info.value.last_status == "In Progress"
    (job,) = created_jobs(sim)
    assert reference == job.code
    sim_clock.advance(600)
    target = tmp_path / "later.json"
    if mode == "sync":
        with Wabi2bClient(**client_kwargs(sim, sim_clock), sleep=sim_clock.sleep) as client:
            handle = client.job(reference)
            result = handle.download(target)
            assert handle.status == "Complete"
    else:

        async def main() -> Any:
            async with AsyncWabi2bClient(**client_kwargs(sim, sim_clock), sleep=sim_clock.asleep) as client:
                handle = client.job(reference)
                done = await handle.download(target)
                assert handle.status == "Complete"
                return done

        result = asyncio.run(main())
    assert result.path == target
    assert result.sha256 == sha256_of(target) == sim.file_sha256(reference)
    assert len(sim.requests.matching(method="POST")) == 1
    assert_no_part_files(tmp_path)


# ---------------------------------------------------------------- context managers and the generated client


@MODES
def test_context_manager_closes_the_client(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock
) -> None:
    """Leaving the `with` / `async with` block closes the underlying httpx client."""
    if mode == "sync":
        with Wabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
            inner = client.api.get_httpx_client()
            assert not inner.is_closed
        assert inner.is_closed
        with pytest.raises(RuntimeError):
            client.fetch(DOCS_CALLBACK_CODE)
        return

    async def main() -> None:
        async with AsyncWabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
            inner = client.api.get_async_httpx_client()
            assert not inner.is_closed
        assert inner.is_closed
        with pytest.raises(RuntimeError):
            await client.fetch(DOCS_CALLBACK_CODE)

    asyncio.run(main())


@MODES
def test_api_is_the_generated_client_and_works_with_generated_functions(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock
) -> None:
    """`client.api` is an `AuthenticatedClient`; a generated function called with it is authenticated."""
    if mode == "sync":
        with Wabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
            assert isinstance(client.api, AuthenticatedClient)
            response = get_products_bulk_download_status.sync_detailed(
                client=client.api, call_back_code=DOCS_CALLBACK_CODE
            )
    else:

        async def main() -> Any:
            async with AsyncWabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
                assert isinstance(client.api, AuthenticatedClient)
                return await get_products_bulk_download_status.asyncio_detailed(
                    client=client.api, call_back_code=DOCS_CALLBACK_CODE
                )

        response = asyncio.run(main())
    assert response.status_code == 200
    parsed = response.parsed
    assert isinstance(parsed, ProductsBulkDownloadStatus)
    assert str(parsed.status) == "Complete" and parsed.path == f"{wabi2b_sim.origin}{DOCS_FILE_PATH}"
    (record,) = wabi2b_sim.requests
    assert record.has_authorization and record.has_api_key


@MODES
def test_duplicate_warning_points_at_the_callers_line(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """`DuplicateGtinWarning` is attributed to the caller's file, not to sellerkit's internals."""
    given = [GTINS[0], GTINS[0]]
    if mode == "sync":
        with Wabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
            with pytest.warns(DuplicateGtinWarning) as from_bulk:
                client.bulk_download(given, dest=tmp_path)
            with pytest.warns(DuplicateGtinWarning) as from_submit:
                client.submit(given)
    else:

        async def main() -> tuple[Any, Any]:
            async with AsyncWabi2bClient(**client_kwargs(wabi2b_sim, sim_clock)) as client:
                with pytest.warns(DuplicateGtinWarning) as bulk:
                    client.bulk_download(given, dest=tmp_path)
                with pytest.warns(DuplicateGtinWarning) as submit:
                    await client.submit(given)
                return bulk, submit

        from_bulk, from_submit = asyncio.run(main())
    assert [w.filename for w in from_bulk] == [__file__]
    assert [w.filename for w in from_submit] == [__file__]
