"""The simulator table: one row per simulated server. The pytest fixtures (`fixtures.py`), the command line
(`python -m sellerkit.testing`) and the contract harness (`tests/contract/`) are built from it, so a new
vendor's simulator plugs in with one row here (plus its module)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import oauth, sellercloud, sellerscommerce, selsup, wabi2b, websale
from .framework import Simulator, spec_path

__all__ = ["SIMULATORS", "SimVendor"]


@dataclass(frozen=True)
class SimVendor:
    """One simulated server: how fixtures make it and how the command line starts it."""

    name: str
    simulator: Callable[..., Simulator[Any, Any]]  # the class: (clock, settings, **identity)
    settings: type[Any]
    #: keywords of `make_<name>_sim` that go to the constructor (the rest but `clock` and `serving` are
    #: settings fields); the constructor's defaults apply to those not given
    identity: tuple[str, ...]
    #: keywords of `make_<name>_sim` that go to `running()`
    serving: tuple[str, ...] = ("host",)
    #: the default clock of `make_<name>_sim`: a fresh manual one (True) or the test's `sim_clock`
    fresh_clock: bool = True
    spec: Path | None = None
    help: str = ""  # the command line's one-line description; "" = not on the command line
    cli_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    cli_start: Callable[[argparse.Namespace, ExitStack], list[str]] | None = None
    sim_doc: str = ""  # docstring of the `<name>_sim` fixture

    @property
    def make_doc(self) -> str:
        """Docstring of the `make_<name>_sim` fixture."""
        keywords = "".join(f"{k}=, " for k in ("clock", *self.serving, *self.identity))
        clock = "a fresh manual one" if self.fresh_clock else "`sim_clock`"
        return (
            f"A factory: `make_{self.name}_sim({keywords}**{self.settings.__name__} fields)`.\n\n"
            f"Every simulator it starts is stopped at teardown; the default clock is {clock}."
        )

    def split(self, kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """`make_<name>_sim` keywords as (constructor, running(), settings) keywords."""
        ctor = {k: v for k, v in kwargs.items() if k in self.identity}
        serving = {k: v for k, v in kwargs.items() if k in self.serving}
        settings = {k: v for k, v in kwargs.items() if k not in ctor and k not in serving}
        return ctor, serving, settings


SIMULATORS: Mapping[str, SimVendor] = {
    v.name: v
    for v in (
        SimVendor(
            name="wabi2b",
            simulator=wabi2b.Wabi2bSimulator,
            settings=wabi2b.Wabi2bSettings,
            identity=("api_key", "seller"),
            serving=("host", "files_host"),
            spec=spec_path("wabi2b.yaml"),
            help="Wabi2b Seller API (product bulk download)",
            cli_arguments=wabi2b.cli_arguments,
            cli_start=wabi2b.cli_start,
            sim_doc="A Wabi2b simulator on 127.0.0.1 with default settings (3 simulated seconds per job) and "
            "`sim_clock`.",
        ),
        SimVendor(
            name="sellercloud",
            simulator=sellercloud.SellercloudSimulator,
            settings=sellercloud.SellercloudSettings,
            identity=("username", "password"),
            spec=spec_path("sellercloud.yaml"),
            help="Sellercloud REST API (catalog exports, queued jobs)",
            cli_arguments=sellercloud.cli_arguments,
            cli_start=sellercloud.cli_start,
            sim_doc="A Sellercloud simulator on 127.0.0.1 with default settings (jobs: 1 s Submitted, 3 s "
            "Processing) and `sim_clock`.",
        ),
        SimVendor(
            name="selsup",
            simulator=selsup.SelsupSimulator,
            settings=selsup.SelsupSettings,
            identity=("api_key",),
            spec=spec_path("selsup.yaml"),
            help="SelSup export API (background tasks, file exports)",
            cli_arguments=selsup.cli_arguments,
            cli_start=selsup.cli_start,
            sim_doc="A SelSup simulator on 127.0.0.1 with default settings (tasks: 1 s CREATED, 3 s "
            "RUNNING) and `sim_clock`.",
        ),
        SimVendor(
            name="websale",
            simulator=websale.WebsaleSimulator,
            settings=websale.WebsaleSettings,
            identity=("email", "password", "api_key", "permissions"),
            spec=spec_path("websale.yaml"),
            help="WEBSALE Admin Interface API (report exports for 16 services)",
            cli_arguments=websale.cli_arguments,
            cli_start=websale.cli_start,
            sim_doc="A WEBSALE simulator on 127.0.0.1 with default settings (exports: 1 s Starting, 3 s "
            "Running) and `sim_clock`.",
        ),
        SimVendor(
            name="sellerscommerce",
            simulator=sellerscommerce.SellersCommerceSimulator,
            settings=sellerscommerce.SellersCommerceSettings,
            identity=("access_key", "shared_secret"),
            spec=spec_path("sellerscommerce.yaml"),
            help="Sellers Commerce Open API (OAuth with rotating refresh tokens, OData, 51 routes)",
            cli_arguments=sellerscommerce.cli_arguments,
            cli_start=sellerscommerce.cli_start,
            sim_doc="A Sellers Commerce simulator on 127.0.0.1 with default settings (1 h access tokens, 4 h "
            "rotating refresh tokens, 40 seeded orders) and `sim_clock`.",
        ),
        SimVendor(
            name="oauth",
            simulator=oauth.OAuthSimulator,
            settings=oauth.OAuthSettings,
            identity=("users",),
            serving=(),
            fresh_clock=False,
            sim_doc="A token server on 127.0.0.1 (1 h access, 4 h refresh tokens, rotation) using "
            "`sim_clock`.",
        ),
    )
}
