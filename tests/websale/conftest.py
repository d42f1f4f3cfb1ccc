"""WEBSALE test helpers: the spec's report operations and services (so none can be forgotten), clients on the
simulator and its clock, sync and async alike (one script drives both through `aw`)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from sellerkit._core.retry import RetryPolicy
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.websale import WebsaleSettings, WebsaleSimulator
from sellerkit.websale import AsyncWebsaleClient, WebsaleClient
from tests.clients import make_client

T = TypeVar("T")
MODES = ["sync", "async"]
SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "specs" / "websale.yaml").read_text("utf-8"))
SERVICE_FORMATS: dict[str, list[str]] = SPEC["components"]["schemas"]["Service"]["x-service-formats"]
SERVICES = list(SPEC["components"]["schemas"]["Service"]["enum"])
FORMATS = list(SPEC["components"]["schemas"]["Format"]["enum"])
REPORT_OPERATIONS = [
    (op["operationId"], method.upper(), path)
    for path, item in SPEC["paths"].items()
    for method, op in item.items()
    if op["tags"][0] == "Reports"
]


def client_class(mode: str) -> type[WebsaleClient] | type[AsyncWebsaleClient]:
    return WebsaleClient if mode == "sync" else AsyncWebsaleClient


async def aw(value: Any) -> Any:
    """The value of a sync call, or the awaited value of an async one."""
    return await value if inspect.isawaitable(value) else value


def sim_client(mode: str, sim: WebsaleSimulator, **kw: Any) -> Any:
    """A sync or async client on the simulator (email + password unless `api_key=`), in simulated time."""
    if "api_key" not in kw:
        kw.setdefault("email", sim.email)
        kw.setdefault("password", sim.password)
    kw.setdefault("base_url", sim.base_url)
    return make_client(client_class(mode), sim.clock, hooks={"retry": RetryPolicy(jitter=False)}, **kw)


def dual(mode: str, sim: WebsaleSimulator, script: Callable[[Any], Awaitable[T]], **kw: Any) -> T:
    """Run `script(client)` with a sync or an async client, closed afterwards."""

    async def run() -> T:
        client = sim_client(mode, sim, **kw)
        try:
            return await script(client)
        finally:
            await aw(client.close())

    return asyncio.run(run())


MakeSim = Callable[..., WebsaleSimulator]


@pytest.fixture
def make_sim() -> Iterator[MakeSim]:
    """`make_sim(permissions=..., **WebsaleSettings fields)`: a running simulator on a fresh manual clock."""
    with contextlib.ExitStack() as stack:

        def make(*, permissions: frozenset[str] | None = None, **settings: Any) -> WebsaleSimulator:
            sim = WebsaleSimulator(ScaledClock.manual(), WebsaleSettings(**settings), permissions=permissions)
            return stack.enter_context(sim.running())

        yield make


@pytest.fixture
def sim(make_sim: MakeSim) -> WebsaleSimulator:
    return make_sim()
