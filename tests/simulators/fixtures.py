"""pytest fixtures for the vendor simulators.

Enable everywhere with `pytest_plugins = ["tests.simulators.fixtures"]` in tests/conftest.py. Every fixture is
function-scoped: each test gets a fresh simulator (fresh jobs, quotas, faults and request log) on an ephemeral
loopback port, stopped at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.simulators.framework import ScaledClock
from tests.simulators.wabi2b import Wabi2bSettings, Wabi2bSimulator

__all__ = ["make_wabi2b_sim", "sim_clock", "wabi2b_sim", "wabi2b_sim_cross_origin"]

MakeWabi2bSim = Callable[..., Wabi2bSimulator]


@pytest.fixture
def sim_clock() -> ScaledClock:
    """A manual clock: simulated time moves only when the code under test sleeps on it (or on advance())."""
    return ScaledClock.manual()


@pytest.fixture
def wabi2b_sim(sim_clock: ScaledClock) -> Iterator[Wabi2bSimulator]:
    """A Wabi2b simulator on 127.0.0.1 with default settings (3 simulated seconds per job) and `sim_clock`."""
    with Wabi2bSimulator(clock=sim_clock).running() as sim:
        yield sim


@pytest.fixture
def wabi2b_sim_cross_origin(sim_clock: ScaledClock) -> Iterator[Wabi2bSimulator]:
    """Like `wabi2b_sim`, but the result-file URLs point to a second origin on 127.0.0.2."""
    with Wabi2bSimulator(clock=sim_clock).running(files_host="127.0.0.2") as sim:
        yield sim


@pytest.fixture
def make_wabi2b_sim() -> Iterator[MakeWabi2bSim]:
    """A factory: `make_wabi2b_sim(clock=, files_host=, api_key=, seller=, **Wabi2bSettings fields)`.

    Every simulator it starts is stopped at teardown; the default clock is a fresh manual one.
    """
    with ExitStack() as stack:

        def make(
            *,
            clock: ScaledClock | None = None,
            host: str = "127.0.0.1",
            files_host: str | None = None,
            api_key: str | None = None,
            seller: str = "SID-0001",
            **settings: Any,
        ) -> Wabi2bSimulator:
            sim = Wabi2bSimulator(
                clock if clock is not None else ScaledClock.manual(),
                Wabi2bSettings(**settings),
                seller=seller,
                api_key=api_key,
            )
            return stack.enter_context(sim.running(host, files_host=files_host))

        yield make


# ---------------------------------------------------------------- the token server
# (appended to this file, imports included, so the fixtures above stay untouched)

from tests.simulators.oauth import OAuthSettings, OAuthSimulator  # noqa: E402

__all__ += ["make_oauth_sim", "oauth_sim"]

MakeOAuthSim = Callable[..., OAuthSimulator]


@pytest.fixture
def oauth_sim(sim_clock: ScaledClock) -> Iterator[OAuthSimulator]:
    """A token server on 127.0.0.1 (1 h access, 4 h refresh tokens, rotation) using `sim_clock`."""
    with OAuthSimulator(clock=sim_clock).running() as sim:
        yield sim


@pytest.fixture
def make_oauth_sim(sim_clock: ScaledClock) -> Iterator[MakeOAuthSim]:
    """A factory: `make_oauth_sim(clock=, users=, **OAuthSettings fields)`; default clock `sim_clock`."""
    with ExitStack() as stack:

        def make(
            *, clock: ScaledClock | None = None, users: dict[str, str] | None = None, **settings: Any
        ) -> OAuthSimulator:
            sim = OAuthSimulator(clock or sim_clock, OAuthSettings(**settings), users=users)
            return stack.enter_context(sim.running())

        yield make


# ---------------------------------------------------------------- Sellercloud
# Appended as its own section (imports included) so the Wabi2b part above stays untouched.

from tests.simulators.sellercloud import SellercloudSettings, SellercloudSimulator  # noqa: E402

__all__ += ["make_sellercloud_sim", "sellercloud_sim"]

MakeSellercloudSim = Callable[..., SellercloudSimulator]


@pytest.fixture
def sellercloud_sim(sim_clock: ScaledClock) -> Iterator[SellercloudSimulator]:
    """A Sellercloud simulator on 127.0.0.1 with default settings (jobs: 1 s Submitted, 3 s Processing) and
    `sim_clock`."""
    with SellercloudSimulator(clock=sim_clock).running() as sim:
        yield sim


@pytest.fixture
def make_sellercloud_sim() -> Iterator[MakeSellercloudSim]:
    """A factory: `make_sellercloud_sim(clock=, host=, username=, password=, **SellercloudSettings fields)`.

    Every simulator it starts is stopped at teardown; the default clock is a fresh manual one.
    """
    with ExitStack() as stack:

        def make(
            *,
            clock: ScaledClock | None = None,
            host: str = "127.0.0.1",
            username: str = "sim-user@sellercloud.test",
            password: str | None = None,
            **settings: Any,
        ) -> SellercloudSimulator:
            sim = SellercloudSimulator(
                clock if clock is not None else ScaledClock.manual(),
                SellercloudSettings(**settings),
                username=username,
                password=password,
            )
            return stack.enter_context(sim.running(host))

        yield make


# ---------------------------------------------------------------- SelSup
# Appended as its own section (imports included) so the parts above stay untouched.

from tests.simulators.selsup import SelsupSettings, SelsupSimulator  # noqa: E402

__all__ += ["make_selsup_sim", "selsup_sim"]

MakeSelsupSim = Callable[..., SelsupSimulator]


@pytest.fixture
def selsup_sim(sim_clock: ScaledClock) -> Iterator[SelsupSimulator]:
    """A SelSup simulator on 127.0.0.1 with default settings (tasks: 1 s CREATED, 3 s RUNNING) and
    `sim_clock`."""
    with SelsupSimulator(clock=sim_clock).running() as sim:
        yield sim


@pytest.fixture
def make_selsup_sim() -> Iterator[MakeSelsupSim]:
    """A factory: `make_selsup_sim(clock=, host=, api_key=, **SelsupSettings fields)`.

    Every simulator it starts is stopped at teardown; the default clock is a fresh manual one.
    """
    with ExitStack() as stack:

        def make(
            *,
            clock: ScaledClock | None = None,
            host: str = "127.0.0.1",
            api_key: str | None = None,
            **settings: Any,
        ) -> SelsupSimulator:
            sim = SelsupSimulator(
                clock if clock is not None else ScaledClock.manual(),
                SelsupSettings(**settings),
                api_key=api_key,
            )
            return stack.enter_context(sim.running(host))

        yield make
