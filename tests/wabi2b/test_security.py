"""Wabi2b credentials stay secret: not in logs, errors or reprs, and never sent to another origin."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from sellerkit._core.errors import AuthenticationError, SellerkitError
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import DOWNLOAD_PATH, FILE_PREFIX, Wabi2bSimulator
from tests.wabi2b.conftest import GTINS, MODES, assert_identical_file, drive


def _run(mode: str, sim: Wabi2bSimulator, clock: ScaledClock, dest: Path, **overrides: Any) -> list[object]:
    """A bulk download; returns the client's and its generated client's reprs, then any error raised."""
    seen: list[object] = []

    def script(client: Any) -> Any:
        seen.extend([repr(client), str(client), repr(client.api)])
        if mode == "sync":
            return list(client.bulk_download(GTINS, dest=dest))

        async def rows() -> list[object]:
            return [row async for row in client.bulk_download(GTINS, dest=dest)]

        return rows()

    try:
        drive(mode, sim, clock, script, **overrides)
    except SellerkitError as exc:
        seen.append(exc)
    return seen


@MODES
def test_no_credential_in_logs_errors_or_reprs(
    mode: str,
    wabi2b_sim: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A run with a retry and auth failures logs at DEBUG, raises, reprs and records its job on disk without
    a credential value."""
    caplog.set_level(logging.DEBUG, logger="sellerkit")
    token, expired = wabi2b_sim.jwt(), wabi2b_sim.mint_jwt(ttl=-1)
    wrong_key = "wrong-" + wabi2b_sim.api_key
    wabi2b_sim.faults.add("status", method="GET", path=DOWNLOAD_PATH, status=503)
    seen = _run(mode, wabi2b_sim, sim_clock, tmp_path / "ok", jwt=token)
    seen += _run(mode, wabi2b_sim, sim_clock, tmp_path / "key", jwt=token, api_key=wrong_key)
    seen += _run(mode, wabi2b_sim, sim_clock, tmp_path / "exp", jwt=expired)
    errors = [e for e in seen if isinstance(e, BaseException)]
    assert [type(e) for e in errors] == [AuthenticationError, AuthenticationError]
    # the run really logged requests, the retry and the refusals
    text = caplog.text
    assert "retrying" in text and "503" in text and "401" in text
    texts = [text, *map(str, seen), *map(repr, seen)]
    texts += [repr(pickle.loads(pickle.dumps(e))) for e in errors]
    texts += [str(vars(e)) for e in errors]
    # what stays on disk: the job journal (keyed by a digest of the key) and the bulk state files
    journal = sorted(Path(os.environ["SELLERKIT_STATE_DIR"]).rglob("*.json"))
    assert journal  # the first run recorded its job
    texts += [p.read_text() for p in [*journal, *tmp_path.rglob(".sellerkit-wabi2b-*.json")]]
    for secret in (token, expired, wabi2b_sim.api_key, wrong_key):
        assert not [t for t in texts if secret in t]
    assert "'authorization': '***'" in text  # the header is logged by name, its value redacted


@MODES
@pytest.mark.parametrize("fault", [None, "reset"])
def test_file_on_another_origin_gets_no_credentials(
    mode: str,
    fault: str | None,
    wabi2b_sim_cross_origin: Wabi2bSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
) -> None:
    """API calls carry Authorization and x-api-key; the file link on 127.0.0.2 (even resumed) gets neither."""
    sim = wabi2b_sim_cross_origin
    if fault is not None:
        sim.faults.add(fault, method="GET", path=FILE_PREFIX, after_bytes=5_000)
    seen = _run(mode, sim, sim_clock, tmp_path)
    assert not [e for e in seen if isinstance(e, BaseException)]
    api = sim.requests.matching(path=DOWNLOAD_PATH)
    files = sim.requests.matching(path=FILE_PREFIX)
    assert api and all(r.has_authorization and r.has_api_key for r in api)
    assert files and all(r.host == "127.0.0.2" and not r.carried_credentials for r in files)
    assert all(r.host == "127.0.0.1" for r in api)
    if fault is not None:
        assert len(files) == 2 and files[1].status == 206
    assert_identical_file(sim, tmp_path, GTINS, "json")
