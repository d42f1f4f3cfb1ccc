"""pytest fixtures for the vendor simulators.

Loaded by pytest as the plugin of an installed `sellerkit[testing]` (entry point `pytest11`). Every fixture
is function-scoped: each test gets a fresh simulator (fresh jobs, quotas, faults and request log) on an
ephemeral loopback port, stopped at teardown.

Each row of the simulator table (`sellerkit/testing/vendors.py`) gives two fixtures: `<name>_sim` (default
settings, `sim_clock`) and the factory `make_<name>_sim(clock=, <the row's identity and serving keywords>,
**settings fields)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from .framework import ScaledClock, Simulator
from .oauth import OAuthSimulator
from .sellercloud import SellercloudSimulator
from .selsup import SelsupSimulator
from .vendors import SIMULATORS, SimVendor
from .wabi2b import Wabi2bSimulator

__all__ = ["sim_clock", "wabi2b_sim_cross_origin"]

MakeWabi2bSim = Callable[..., Wabi2bSimulator]
MakeOAuthSim = Callable[..., OAuthSimulator]
MakeSellercloudSim = Callable[..., SellercloudSimulator]
MakeSelsupSim = Callable[..., SelsupSimulator]


@pytest.fixture
def sim_clock() -> ScaledClock:
    """A manual clock: simulated time moves only when the code under test sleeps on it (or on advance())."""
    return ScaledClock.manual()


def _fixtures(vendor: SimVendor) -> tuple[Any, Any]:
    """The `<name>_sim` and `make_<name>_sim` fixtures of one table row."""

    def sim(sim_clock: ScaledClock) -> Iterator[Simulator[Any, Any]]:
        with vendor.simulator(clock=sim_clock).running() as running:
            yield running

    def make(sim_clock: ScaledClock) -> Iterator[Callable[..., Simulator[Any, Any]]]:
        with ExitStack() as stack:

            def start(*, clock: ScaledClock | None = None, **kwargs: Any) -> Simulator[Any, Any]:
                ctor, serving, settings = vendor.split(kwargs)
                default = ScaledClock.manual() if vendor.fresh_clock else sim_clock
                made = vendor.simulator(
                    clock if clock is not None else default, vendor.settings(**settings), **ctor
                )
                return stack.enter_context(made.running(**serving))

            yield start

    sim.__doc__, make.__doc__ = vendor.sim_doc, vendor.make_doc
    sim_fixture = pytest.fixture(name=f"{vendor.name}_sim")(sim)
    return sim_fixture, pytest.fixture(name=f"make_{vendor.name}_sim")(make)


for _vendor in SIMULATORS.values():
    globals()[f"{_vendor.name}_sim"], globals()[f"make_{_vendor.name}_sim"] = _fixtures(_vendor)
    __all__ += [f"{_vendor.name}_sim", f"make_{_vendor.name}_sim"]


@pytest.fixture
def wabi2b_sim_cross_origin(sim_clock: ScaledClock) -> Iterator[Wabi2bSimulator]:
    """Like `wabi2b_sim`, but the result-file URLs point to a second origin on 127.0.0.2."""
    with Wabi2bSimulator(clock=sim_clock).running(files_host="127.0.0.2") as sim:
        yield sim
