"""Sellers Commerce test helpers: clients on the simulator and its clock, sync and async alike (one script
drives both through `aw`), and the spec's operations table (so none can be forgotten)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import operator
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sellerkit._core.retry import RetryPolicy
from sellerkit.sellerscommerce import AsyncSellersCommerceClient, SellersCommerceClient
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellerscommerce import SellersCommerceSettings, SellersCommerceSimulator
from tests.clients import make_client

T = TypeVar("T")
MODES = ["sync", "async"]
#: the OData comparison operators and what they mean in Python
OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
Client = SellersCommerceClient | AsyncSellersCommerceClient


def client_class(mode: str) -> type[SellersCommerceClient] | type[AsyncSellersCommerceClient]:
    return SellersCommerceClient if mode == "sync" else AsyncSellersCommerceClient


async def aw(value: Any) -> Any:
    """The value of a sync call, or the awaited value of an async one."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterator: Any) -> list[Any]:
    """Every item of a sync or an async iterator."""
    if hasattr(iterator, "__aiter__"):
        return [item async for item in iterator]
    return list(iterator)


def sim_client(mode: str, sim: SellersCommerceSimulator, **kw: Any) -> Any:
    """A sync or async client on the simulator (its credentials), in simulated time."""
    kw.setdefault("access_key", sim.access_key)
    kw.setdefault("shared_secret", sim.shared_secret)
    kw.setdefault("base_url", sim.base_url)
    return make_client(client_class(mode), sim.clock, hooks={"retry": RetryPolicy(jitter=False)}, **kw)


def dual(mode: str, sim: SellersCommerceSimulator, script: Callable[[Any], Awaitable[T]], **kw: Any) -> T:
    """Run `script(client)` with a sync or an async client, closed afterwards."""

    async def run() -> T:
        client = sim_client(mode, sim, **kw)
        try:
            return await script(client)
        finally:
            await aw(client.close())

    return asyncio.run(run())


MakeSim = Callable[..., SellersCommerceSimulator]


@pytest.fixture
def make_sim() -> Iterator[MakeSim]:
    """`make_sim(**SellersCommerceSettings fields)`: a running simulator on a fresh manual clock."""
    with contextlib.ExitStack() as stack:

        def make(**settings: Any) -> SellersCommerceSimulator:
            sim = SellersCommerceSimulator(ScaledClock.manual(), SellersCommerceSettings(**settings))
            return stack.enter_context(sim.running())

        yield make


@pytest.fixture
def sim(make_sim: MakeSim) -> SellersCommerceSimulator:
    return make_sim()


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"
