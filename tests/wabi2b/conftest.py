"""Wabi2b client fixtures: clients wired to a simulator and its clock, sync and async alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sellerkit._core.http import HttpSettings
from sellerkit._core.quota import QuotaLimiter
from sellerkit._core.retry import RetryPolicy
from sellerkit.wabi2b import Wabi2bClient
from sellerkit.wabi2b._client import FACTS
from tests.simulators.framework import ScaledClock
from tests.simulators.wabi2b import Wabi2bSimulator


def client_kwargs(sim: Wabi2bSimulator, clock: ScaledClock, **overrides: Any) -> dict[str, Any]:
    """Everything a client needs to run on the simulator's clock (no real waiting in tests)."""
    limiter = QuotaLimiter(FACTS.quotas, clock=clock.now, sleep=clock.sleep, async_sleep=clock.asleep)
    http = HttpSettings(retry=RetryPolicy(), limiter=limiter, sleep=clock.sleep, async_sleep=clock.asleep)
    kwargs: dict[str, Any] = {
        "jwt": sim.jwt,
        "api_key": sim.api_key,
        "base_url": sim.base_url,
        "http": http,
        "clock": clock.now,
    }
    kwargs.update(overrides)
    return kwargs


@pytest.fixture
def sync_client(wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock) -> Iterator[Wabi2bClient]:
    with Wabi2bClient(**client_kwargs(wabi2b_sim, sim_clock), sleep=sim_clock.sleep) as client:
        yield client


Runner = Callable[..., Any]
