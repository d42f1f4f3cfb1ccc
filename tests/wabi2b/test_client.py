"""Wabi2b clients end to end: credentials, input checks, chunking, crash-resume, job handles, `.api`."""

from __future__ import annotations

import asyncio
import random
import re
from pathlib import Path
from typing import Any

import pytest

from sellerkit._core.errors import AuthenticationError, ConfigurationError, JobTimeoutError
from sellerkit._core.polling import PollPolicy
from sellerkit.testing.fixtures import MakeWabi2bSim
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import (
    DOCS_CALLBACK_CODE,
    DOCS_FILE_PATH,
    DOWNLOAD_PATH,
    FILE_PREFIX,
    Wabi2bSimulator,
)
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
    drive,
    sha256_of,
    sync_wabi2b,
)

JWT_SHAPED = "header.payload.signature"


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
def test_the_constructor_reads_both_credentials_from_the_environment(
    mode: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With WABI2B_JWT and WABI2B_API_KEY set, a client built without credentials runs a bulk download
    (`from_env()` is gone: the constructor reads the environment itself)."""
    monkeypatch.setenv("WABI2B_JWT", wabi2b_sim.jwt())
    monkeypatch.setenv("WABI2B_API_KEY", wabi2b_sim.api_key)
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, client={"jwt": None, "api_key": None})
    assert [r.product for r in rows] == GTINS
    assert all(
        r.has_authorization and r.has_api_key for r in wabi2b_sim.requests.matching(path=DOWNLOAD_PATH)
    )


def test_the_simulators_jwt_is_a_real_three_part_jwt(wabi2b_sim: Wabi2bSimulator) -> None:
    """What the checks below take for granted: the simulator's token has the JWT shape the client checks."""
    token = wabi2b_sim.jwt()
    assert token.count(".") == 2 and all(token.split("."))
    assert not token.lower().startswith("bearer ")


# (credential value, parameter, text of the fix): each refused before any request, naming the parameter
BAD_CREDENTIALS: list[tuple[str, str, Any, str]] = [
    ("jwt with Bearer", "jwt", "Bearer {jwt}", "without 'Bearer '"),
    ("jwt with bearer", "jwt", "bearer {jwt}", "without 'Bearer '"),
    ("jwt of two parts", "jwt", "header.payload", "not a JWT"),
    ("jwt an int", "jwt", 42, "must be a str or a callable"),
    ("api_key an int", "api_key", 42, "must be a str"),
    ("api_key empty", "api_key", "   ", "empty"),
]


@MODES
@pytest.mark.parametrize(
    ("name", "value", "fix"), [c[1:] for c in BAD_CREDENTIALS], ids=[c[0] for c in BAD_CREDENTIALS]
)
def test_a_credential_of_the_wrong_type_or_shape_is_a_configuration_error(
    mode: str, name: str, value: Any, fix: str, wabi2b_sim: Wabi2bSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jwt="Bearer …"`, a token that is no JWT, `api_key=42`: `ConfigurationError` naming the parameter and
    the fix, raised by the constructor (before issue 8: a TypeError, or the server's 401); the value given
    is not repeated in the message. The same checks apply to the environment variables."""
    token = wabi2b_sim.jwt()
    given = value.format(jwt=token) if isinstance(value, str) else value
    kwargs = {"jwt": token, "api_key": wabi2b_sim.api_key, "base_url": wabi2b_sim.base_url, name: given}
    with pytest.raises(ConfigurationError) as caught:
        _construct(mode, **kwargs)
    message = str(caught.value)
    assert re.search(rf"\b{name}\b", message) and fix in message
    assert token not in message and wabi2b_sim.api_key not in message
    if isinstance(given, str) and given.strip():
        env = "WABI2B_JWT" if name == "jwt" else "WABI2B_API_KEY"
        monkeypatch.setenv(env, given)
        with pytest.raises(ConfigurationError, match=rf"\b{name}\b"):
            _construct(mode, **{**kwargs, name: None})
    assert len(wabi2b_sim.requests) == 0


@MODES
def test_a_jwt_callable_returning_bearer_is_caught_before_sending(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A JWT callable is asked on every request; a value it returns with "Bearer " is the same mistake as
    `jwt="Bearer …"` and gets the same local `ConfigurationError`, with nothing sent."""
    bearer = {"jwt": lambda: f"Bearer {wabi2b_sim.jwt()}"}
    with pytest.raises(ConfigurationError, match=r"jwt.*Bearer"):
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, client=bearer)
    assert len(wabi2b_sim.requests) == 0


@MODES
def test_unknown_environment_is_a_configuration_error(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`environment="staging"` (argument or WABI2B_ENVIRONMENT) is refused, naming the valid ones."""
    # a JWT-shaped token: a malformed one would be refused first, naming jwt (see the tests above)
    with pytest.raises(ConfigurationError, match=r"'sandbox' or 'production'.*'staging'"):
        _construct(mode, jwt=JWT_SHAPED, api_key="k", environment="staging")
    monkeypatch.setenv("WABI2B_ENVIRONMENT", "staging")
    with pytest.raises(ConfigurationError, match="staging"):
        _construct(mode, jwt=JWT_SHAPED, api_key="k")


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

    def script(client: Any) -> None:
        with pytest.raises(ConfigurationError, match=message):
            client.bulk_download(gtins, dest=tmp_path, **kw)  # checked on the call, before iterating

    drive(mode, wabi2b_sim, sim_clock, script)
    with pytest.raises(ConfigurationError, match=message):
        drive(mode, wabi2b_sim, sim_clock, lambda client: client.submit(gtins, **kw))
    assert len(wabi2b_sim.requests) == 0
    assert list(tmp_path.iterdir()) == []


@MODES
def test_submit_of_more_than_10000_gtins_is_refused_before_any_request(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock
) -> None:
    """`submit()` is one request: 10,001 GTINs are refused, pointing to `bulk_download()`."""
    gtins = [f"{i:014d}" for i in range(10_001)]
    with pytest.raises(ConfigurationError, match="bulk_download"):
        drive(mode, wabi2b_sim, sim_clock, lambda client: client.submit(gtins))
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


@MODES
def test_crash_after_submit_resumes_without_a_new_post(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A crash right after the job was submitted: the same call again polls that job, no second POST."""
    with pytest.raises(Crash):
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, on_progress=crash_on("submitted"))
    assert len(wabi2b_sim.requests.matching(method="POST")) == 1
    rows = bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path)
    assert [r.product for r in rows] == GTINS
    assert len(wabi2b_sim.requests.matching(method="POST")) == 1
    (job,) = created_jobs(wabi2b_sim)
    polls = wabi2b_sim.requests.matching(method="GET", path=DOWNLOAD_PATH)
    assert polls and all(r.query == f"callBackCode={job.code}" for r in polls)  # the first job, adopted
    assert_identical_file(wabi2b_sim, tmp_path, GTINS, "json")


@MODES
def test_a_resumed_run_reports_no_submit_for_the_adopted_job(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """Progress tells the truth after a crash: the re-run submitted nothing, so no "submitted" event."""
    with pytest.raises(Crash):
        bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, on_progress=crash_on("submitted"))
    events: list[BulkProgress] = []
    bulk_rows(mode, wabi2b_sim, sim_clock, GTINS, dest=tmp_path, on_progress=events.append)
    assert len(wabi2b_sim.requests.matching(method="POST")) == 1
    assert "submitted" not in [e.stage for e in events]


@MODES
def test_crash_mid_download_resumes_the_part_file(
    mode: str, make_wabi2b_sim: MakeWabi2bSim, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    """A crash mid-file leaves a part file; the next call resumes it with a Range request, no new POST."""
    sim = make_wabi2b_sim(clock=sim_clock, chunk_size=4096)
    gtins = [f"{i:014d}" for i in range(2000, 2150)]
    with pytest.raises(Crash):
        bulk_rows(
            mode, sim, sim_clock, gtins, dest=tmp_path, on_progress=crash_on("downloading", min_bytes=1)
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
        with sync_wabi2b(wabi2b_sim, sim_clock) as client:
            rows = client.bulk_download(gtins, dest=tmp_path)
            first = next(rows)
            rows.close()  # type: ignore[attr-defined]
    else:

        async def main() -> Product:
            async with async_wabi2b(wabi2b_sim, sim_clock) as client:
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
    # no new submit is shown by the POST count below ("submitted" events: see the xfail test above)
    assert [(e.chunk, e.stage) for e in events if e.stage in ("reused", "downloaded")] == [
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
    handles: list[Any] = []

    def script(client: Any) -> Any:
        handles.append(client.job(reference))
        assert handles[0].status == "(not fetched)"  # nothing is sent until a method is called
        return handles[0].download(target)

    result = drive(mode, sim, sim_clock, script)
    assert handles[0].status == "Complete"
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
        with sync_wabi2b(wabi2b_sim, sim_clock) as client:
            inner = client.api.get_httpx_client()
            assert not inner.is_closed
        assert inner.is_closed
        with pytest.raises(RuntimeError):
            client.job(DOCS_CALLBACK_CODE).refresh()
    else:

        async def main() -> None:
            async with async_wabi2b(wabi2b_sim, sim_clock) as client:
                inner = client.api.get_async_httpx_client()
                assert not inner.is_closed
            assert inner.is_closed
            with pytest.raises(RuntimeError):
                await client.job(DOCS_CALLBACK_CODE).refresh()

        asyncio.run(main())
    assert len(wabi2b_sim.requests) == 0


@MODES
def test_api_is_the_generated_client_and_works_with_generated_functions(
    mode: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock
) -> None:
    """`client.api` is an `AuthenticatedClient`; a generated function called with it is authenticated."""

    def script(client: Any) -> Any:
        assert isinstance(client.api, AuthenticatedClient)
        call = getattr(
            get_products_bulk_download_status, f"{'asyncio' if mode == 'async' else 'sync'}_detailed"
        )
        return call(client=client.api, call_back_code=DOCS_CALLBACK_CODE)

    response = drive(mode, wabi2b_sim, sim_clock, script)
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
        with sync_wabi2b(wabi2b_sim, sim_clock) as client:
            with pytest.warns(DuplicateGtinWarning) as from_bulk:
                client.bulk_download(given, dest=tmp_path)
            with pytest.warns(DuplicateGtinWarning) as from_submit:
                client.submit(given)
    else:

        async def main() -> tuple[Any, Any]:
            async with async_wabi2b(wabi2b_sim, sim_clock) as client:
                with pytest.warns(DuplicateGtinWarning) as bulk:
                    client.bulk_download(given, dest=tmp_path)
                with pytest.warns(DuplicateGtinWarning) as submit:
                    await client.submit(given)
                return bulk, submit

        from_bulk, from_submit = asyncio.run(main())
    assert [w.filename for w in from_bulk] == [__file__]
    assert [w.filename for w in from_submit] == [__file__]
