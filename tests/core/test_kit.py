"""The vendor kit over a toy vendor on `httpx.MockTransport`: options, credentials, verbs, jobs, journal.

Every behaviour is checked on the sync and the async client alike (one parametrised driver, `call`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from sellerkit._core.errors import ConfigurationError, JobFailedError, NotFoundError, SellerkitError
from tests.core.acme import MODES, Acme, AcmeClient, call, make

pytestmark = pytest.mark.timeout(30)


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
