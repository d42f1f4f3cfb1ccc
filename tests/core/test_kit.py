"""The vendor kit over a toy vendor on `httpx.MockTransport`: options, credentials, verbs, jobs, journal.

Every behaviour is checked on the sync and the async client alike (one parametrised driver, `call`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Unpack

import httpx
import pytest

from sellerkit._core.auth import HeaderAuth
from sellerkit._core.bodies import ErrorFacts
from sellerkit._core.errors import ConfigurationError, JobFailedError, NotFoundError, SellerkitError
from sellerkit._core.jobs import JobSpec, JobState, unknown
from sellerkit._core.kit import AsyncClient, ClientCore, ClientOptions, SyncClient
from sellerkit._core.quota import Quota
from sellerkit._core.runtime import use_runtime
from sellerkit._core.steps import Send, Steps, starts_job, verb
from sellerkit._core.vendor import Credential, Vendor

pytestmark = pytest.mark.timeout(30)
MODES = ["sync", "async"]


class FakeGenerated:
    """Stands in for a generated `AuthenticatedClient` (the kit only hands it the httpx client)."""

    def __init__(self, **_: Any) -> None:
        self.client: Any = None

    def set_httpx_client(self, client: Any) -> None:
        self.client = client

    def set_async_httpx_client(self, client: Any) -> None:
        self.client = client


class Acme:
    """In memory: POST /jobs starts a job, GET /jobs/{id} reports it, GET /files/{id} is the file."""

    def __init__(self) -> None:
        self.jobs: dict[str, int] = {}
        self.requests: list[httpx.Request] = []
        self.forgotten: set[str] = set()
        self.fail: set[str] = set()

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path == "/jobs":
            ref = f"j{len(self.jobs) + 1}"
            self.jobs[ref] = 0
            return httpx.Response(200, json={"id": ref})
        if path.startswith("/jobs/"):
            ref = path.rsplit("/", 1)[1]
            if ref not in self.jobs or ref in self.forgotten:
                return httpx.Response(404, json={"message": "no such job"})
            self.jobs[ref] += 1
            status = "failed" if ref in self.fail else "done" if self.jobs[ref] >= 2 else "running"
            return httpx.Response(200, json={"status": status})
        if path.startswith("/files/"):
            return httpx.Response(
                200, content=b"a;b\n1;2\n", headers={"content-disposition": 'attachment; filename="out.csv"'}
            )
        if path == "/echo":
            return httpx.Response(200, json={"headers": dict(request.headers)})
        return httpx.Response(404)


class AcmeJobs(JobSpec):
    def fetch(self, client: Any, reference: str) -> Steps[JobState]:
        response = yield Send(client.get(f"/jobs/{reference}"))
        status = response.json()["status"]
        return JobState(
            reference,
            status,
            terminal=status in ("done", "failed"),
            succeeded=status == "done",
            result_url=f"/files/{reference}",
        )


VENDOR = Vendor(
    name="acme",
    title="Acme",
    credentials=(
        Credential("api_key", "ACME_API_KEY", "the key from Acme's settings"),
        Credential(
            "token",
            "ACME_TOKEN",
            "a token",
            may_be_callable=True,
            required=False,
            check=lambda v: "drop 'Bearer '" if v.startswith("Bearer ") else None,
        ),
    ),
    errors=ErrorFacts("acme"),
    quotas=(Quota(1000, 60.0, "1000 per minute"),),
)


class AcmeCore(ClientCore):
    vendor = VENDOR
    jobs = AcmeJobs()
    generated = FakeGenerated

    def __init__(self, api_key: Any = None, token: Any = None, **options: Unpack[ClientOptions]) -> None:
        super().__init__(
            {"api_key": api_key, "token": token}, default_base_url=lambda: "https://acme.test", **options
        )

    def _make_auth(self) -> httpx.Auth:
        return HeaderAuth({"x-api-key": self._credentials["api_key"]})

    @verb
    def echo(self) -> Steps[dict[str, str]]:
        response = yield Send(self.get("/echo"))
        headers: dict[str, str] = response.json()["headers"]
        return headers

    @starts_job
    def export(self, what: str, *, fresh: bool = False) -> Steps[JobState]:
        if not what:
            raise ConfigurationError("what must not be empty")

        def begin() -> Steps[JobState]:
            response = yield Send(httpx.Request("POST", f"{self.base_url}/jobs", json={"what": what}))
            return unknown(response.json()["id"])

        return (yield from self.start_job("export", {"what": what}, begin, fresh=fresh))


class AcmeClient(AcmeCore, SyncClient):
    pass


class AsyncAcmeClient(AcmeCore, AsyncClient):
    pass


def make(mode: str, acme: Acme, **kwargs: Any) -> Any:
    transport: Any = httpx.MockTransport(acme.handler)
    with use_runtime(inner_transport=transport, sleep=lambda s: None, async_sleep=_no_sleep, limiter=None):
        cls = AcmeClient if mode == "sync" else AsyncAcmeClient
        return cls(**{"api_key": "KEY-123", **kwargs})


async def _no_sleep(seconds: float) -> None:
    return None


def call(mode: str, fn: Callable[[], Any]) -> Any:
    """Run one client call in either mode: the async result is awaited on a fresh loop."""
    result = fn()
    if mode == "async" and asyncio.iscoroutine(result):
        return asyncio.run(_await(result))
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


@pytest.mark.parametrize("mode", MODES)
def test_user_agent_default_headers_and_key(mode: str) -> None:
    acme = Acme()
    client = make(mode, acme, default_headers={"X-Team": "exports"})
    headers = call(mode, client.echo)
    assert headers["user-agent"].startswith("sellerkit/") and headers["user-agent"].endswith("(acme)")
    assert headers["x-team"] == "exports" and headers["x-api-key"] == "KEY-123"


@pytest.mark.parametrize("mode", MODES)
def test_credentials_come_from_the_environment(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", "ENV-KEY")
    client = make(mode, Acme(), api_key=None)
    assert call(mode, client.echo)["x-api-key"] == "ENV-KEY"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"api_key": None}, "Acme needs api_key= (or ACME_API_KEY): the key from Acme's settings"),
        ({"api_key": 42}, "Acme api_key must be a str, not int (pass api_key='...' or set ACME_API_KEY)"),
        ({"api_key": "  "}, "Acme api_key is empty"),
        ({"token": "Bearer abc"}, "Acme token: drop 'Bearer '"),
        ({"token": 3.5}, "token must be a str or a callable returning one, not float"),
        ({"timeout": -1}, "timeout must be seconds > 0"),
        ({"max_retries": "3"}, "max_retries must be an int >= 0"),
        ({"base_url": "acme.test"}, "base_url must be an absolute http(s) URL"),
        ({"http_client": httpx.AsyncClient()}, "http_client must be an httpx.Client"),
        ({"colour": "red"}, "unknown option(s) colour"),
    ],
)
def test_bad_input_is_a_configuration_error_naming_the_fix(
    kwargs: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_API_KEY", raising=False)
    acme = Acme()
    with pytest.raises(ConfigurationError) as info:
        make("sync", acme, **kwargs)
    assert message in str(info.value)
    assert acme.requests == []  # nothing was sent


def test_secrets_stay_out_of_the_repr() -> None:
    client = make("sync", Acme(), api_key="KEY-123")
    assert "KEY-123" not in repr(client) and "api_key=***" in repr(client)


@pytest.mark.parametrize("mode", MODES)
def test_base_url_from_the_environment(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_BASE_URL", "https://eu.acme.test/")
    assert make(mode, Acme()).base_url == "https://eu.acme.test"


@pytest.mark.parametrize("mode", MODES)
def test_with_options_shares_the_pool_and_keeps_other_settings(mode: str) -> None:
    acme = Acme()
    client = make(mode, acme, timeout=30, default_headers={"X-Team": "a"})
    faster = client.with_options(max_retries=0)
    assert faster is not client and faster.max_retries == 0 and client.max_retries == 4
    assert faster.timeout.read == 30 and faster.default_headers["X-Team"] == "a"
    assert faster._inner.inner is client._inner  # the copy sends through the original's transport
    assert call(mode, faster.echo)["x-team"] == "a"


def test_the_users_http_client_is_used_with_its_hooks() -> None:
    acme = Acme()
    seen: list[str] = []
    own = httpx.Client(
        transport=httpx.MockTransport(acme.handler),
        event_hooks={"request": [lambda r: seen.append(r.url.path)]},
    )
    with AcmeClient(api_key="KEY-123", http_client=own) as client:
        assert client.echo()["x-api-key"] == "KEY-123"
    assert seen == ["/echo"]
    assert not own.is_closed  # the user's client is the user's to close
    own.close()


@pytest.mark.parametrize("mode", MODES)
def test_a_job_runs_to_its_file(mode: str, tmp_path: Path) -> None:
    acme = Acme()
    client = make(mode, acme)
    job = call(mode, lambda: client.export("stock"))
    assert job.reference == "j1" and job.vendor == "acme"
    result = call(mode, lambda: job.download(f"{tmp_path}/exports/"))
    assert result.path == tmp_path / "exports" / "out.csv" and result.path.read_bytes() == b"a;b\n1;2\n"
    again = call(mode, lambda: client.job("j1").download(f"{tmp_path}/exports/"))
    assert again.path == tmp_path / "exports" / "out (1).csv"  # the first file is never replaced


@pytest.mark.parametrize("mode", MODES)
def test_a_rerun_adopts_the_journalled_job(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    acme = Acme()
    caplog.set_level(logging.INFO, "sellerkit")
    first = call(mode, lambda: make(mode, acme).export("stock"))
    second = call(mode, lambda: make(mode, acme).export("stock"))
    assert first.reference == second.reference == "j1" and len(acme.jobs) == 1
    assert "reusing Acme job j1" in caplog.text
    other = call(mode, lambda: make(mode, acme).export("prices"))
    fresh = call(mode, lambda: make(mode, acme).export("stock", fresh=True))
    assert other.reference == "j2" and fresh.reference == "j3"


@pytest.mark.parametrize("mode", MODES)
def test_a_job_the_vendor_forgot_is_started_again(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    acme = Acme()
    call(mode, lambda: make(mode, acme).export("stock"))
    acme.forgotten.add("j1")
    again = call(mode, lambda: make(mode, acme).export("stock"))
    assert again.reference == "j2"
    assert "Acme no longer knows job j1" in caplog.text
    assert call(mode, lambda: make(mode, acme).export("stock")).reference == "j2"  # the new one is kept


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_job_raises_from_the_public_call(mode: str) -> None:
    acme = Acme()
    client = make(mode, acme)
    job = call(mode, lambda: client.export("stock"))
    acme.fail.add(job.reference)
    with pytest.raises(JobFailedError) as info:
        call(mode, job.wait)
    assert info.value.vendor == "acme" and info.value.reference == "j1"
    inside = [name for name, file in _frames(info.value) if "/sellerkit/" in file]
    assert inside == ["wait"], inside  # the public call, not the drivers and generators behind it


@pytest.mark.parametrize("mode", MODES)
def test_api_errors_name_the_vendor(mode: str) -> None:
    client = make(mode, Acme())
    with pytest.raises(NotFoundError) as info:
        call(mode, lambda: client.job("missing").wait())
    assert info.value.vendor == "acme" and info.value.status_code == 404


def test_bad_arguments_fail_before_any_request() -> None:
    acme = Acme()
    client = make("sync", acme)
    with pytest.raises(ConfigurationError):
        client.export("")
    with pytest.raises(ConfigurationError, match="overwrite=True"):
        existing = Path(json.__file__)
        client.job("j9").download(existing)
    assert acme.requests == []


def _frames(exc: BaseException) -> list[tuple[str, str]]:
    tb, frames = exc.__traceback__, []
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_name, tb.tb_frame.f_code.co_filename))
        tb = tb.tb_next
    return frames


def test_sellerkit_error_is_the_base() -> None:
    assert issubclass(ConfigurationError, SellerkitError)
