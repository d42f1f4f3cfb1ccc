"""Sellercloud credentials stay secret: no password or access token in DEBUG logs, in raised errors (str,
repr, pickled, fields) or in the reprs of the client, its generated client and the job handle."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import pytest

from sellerkit.sellercloud import AuthenticationError, JobFailedError, SellerkitError
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import SellercloudSimulator
from tests.sellercloud.conftest import JOB_GET, MODES, PLUGIN, SKUS, aw, dual


def _visible(seen: list[object]) -> list[str]:
    """Every text a user could see of these objects: str, repr, and for errors pickled reprs and fields."""
    texts = [*map(str, seen), *map(repr, seen)]
    errors = [e for e in seen if isinstance(e, BaseException)]
    texts += [repr(pickle.loads(pickle.dumps(e))) for e in errors]
    texts += [str(vars(e)) for e in errors]
    texts += [str(e.__cause__) for e in errors if e.__cause__ is not None]
    return texts


@pytest.mark.parametrize("mode", MODES)
def test_no_password_or_token_in_logs_errors_or_reprs(
    mode: str,
    sellercloud_sim: SellercloudSimulator,
    sim_clock: ScaledClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Three runs logged at DEBUG: one with a retried 503 and a 401 that forces a second login, one with a
    failed job, one with a wrong password. No secret shows anywhere."""
    caplog.set_level(logging.DEBUG, logger="sellerkit")
    sim = sellercloud_sim
    sim.settings.job_seconds = 20.0
    sim.faults.add("status", method="GET", path=JOB_GET, status=503)
    tokens: set[str] = set()
    seen: list[object] = []

    async def good(client: Any) -> None:
        seen.extend([client, client.api])
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN))
        await aw(job.refresh())
        tokens.update(sim.state.tokens)
        sim.revoke_tokens()  # the next call is a 401: log in again
        await aw(job.wait())
        seen.extend([job, job.state, await aw(job.download(tmp_path / "ok.csv"))])
        tokens.update(sim.state.tokens)

    async def failing(client: Any) -> None:
        seen.extend([client, client.api])
        sim.settings.outcome = "failed"
        # the same call as `good`: fresh=True, or the journal adopts good's finished job
        job = await aw(client.export_via_plugin(SKUS, plugin=PLUGIN, fresh=True))
        try:
            await aw(job.wait())
        except SellerkitError as exc:
            seen.append(exc)
        seen.append(job)
        tokens.update(sim.state.tokens)

    dual(mode, sim, sim_clock, good)
    dual(mode, sim, sim_clock, failing)
    wrong = "wrong-" + sim.password
    try:
        dual(mode, sim, sim_clock, failing, password=wrong)
    except SellerkitError as exc:
        seen.append(exc)

    errors = [e for e in seen if isinstance(e, BaseException)]
    assert [type(e) for e in errors] == [JobFailedError, AuthenticationError]
    assert sim.stats.tokens_issued == 3 == len(tokens) and sim.stats.token_refusals == 1
    text = caplog.text
    # the runs really logged the requests, the retry, the refused token and both kinds of login
    assert "retrying" in text and "503" in text and "401" in text and "logging in" in text
    assert "'authorization': '***'" in text  # the header is logged by name, its value redacted
    texts = [text, *_visible(seen)]
    for secret in (sim.password, wrong, *tokens):
        leaks = [t for t in texts if secret in t]
        assert not leaks, f"a secret of {len(secret)} chars leaked into {len(leaks)} text(s)"
    assert "username=***" in repr(seen[0]) and "password=***" in repr(seen[0])
    assert sim.username not in repr(seen[0])
