"""The public surface: each vendor package's names are locked, and every README example runs against the
simulators as written (only the credentials and base URL come from the environment, as for a user)."""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sellerkit
from sellerkit import errors
from sellerkit._core.runtime import use_runtime
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import SellercloudSettings, SellercloudSimulator
from sellerkit.testing.sellerscommerce import SellersCommerceSettings, SellersCommerceSimulator
from sellerkit.testing.selsup import SelsupSettings, SelsupSimulator
from sellerkit.testing.wabi2b import Wabi2bSettings, Wabi2bSimulator
from sellerkit.testing.websale import WebsaleSettings, WebsaleSimulator
from tests.conftest import ROOT

VENDORS = sorted(tomllib.loads((ROOT / "generator" / "vendors.toml").read_text())["vendor"])
SHARED = sorted(
    [
        *("AsyncJob", "ClientOptions", "DownloadResult", "Job", "JobState", "Journal", "PollPolicy"),
        *("Progress", "Quota", "RedisStore", "StreamedFile"),
    ]
)
OWN = {
    "wabi2b": [
        *("AsyncWabi2bClient", "BulkProgress", "DuplicateGtinWarning", "Environment", "LastSaveStatus"),
        *("Media", "MediaType", "PayloadError", "Product", "PublishStatus", "Spec", "Wabi2bClient"),
        "iter_rows",
    ],
    "sellercloud": [
        *("AsyncSellercloudClient", "ExportPath", "FileFormat", "PluginInfo", "QueuedJobLogEntry"),
        *("SellercloudClient", "StandardExportKind", "job_id"),
    ],
    "selsup": [
        *("BACKGROUND_EXPORTS", "FILE_EXPORTS", "AggregationPeriod", "AnalyticsField", "AsyncSelsupClient"),
        *("Marketplace", "Operation", "OrderStatus", "OrderType", "ProductAnalyticField", "ProductFilter"),
        *("SelsupClient", "SourceReport", "Task", "TaskStatus", "Writable", "required_filters", "task_state"),
    ],
    "sellerscommerce": [
        *("ENTITIES", "ERROR_CLASSES", "EXPORT_FORMATS", "OPERATIONS", "Admins", "AlreadyCapturedError"),
        *("AlreadyExistsError", "AsyncSellersCommerceClient", "BrandNotFoundError", "CallbackTokenStore"),
        *(
            "Categories",
            "CategoryNotFoundError",
            "Embellishments",
            "Entity",
            "ExportProgress",
            "ExportResult",
        ),
        *("Field", "FileTokenStore", "Filter", "InsertCategoryFailedError", "InvalidDataError"),
        *("InvalidQuantityError", "InvalidSkuError", "OrderNotFoundError", "Orders"),
        *("ParentCategoryNotFoundError", "PaymentExistsError", "ProcessFailedError", "ProductSkus"),
        *("Products", "ProviderNotFoundError", "Returns", "Roles", "SellersCommerceClient", "Shoppers"),
        *("SkuNotInOrderError", "Suppliers", "TokenSet", "TokenStore", "UserNotFoundError"),
    ],
    "websale": [
        *("SERVICE_FORMATS", "AsyncWebsaleClient", "ExportRunningError", "ExportStateError", "Format"),
        *("ReportStatus", "ReportStatusValue", "Service", "WebsaleClient", "report_state"),
    ],
}


def test_every_vendor_in_the_table_has_a_locked_surface() -> None:
    assert sorted(OWN) == VENDORS


@pytest.mark.parametrize("vendor", VENDORS)
def test_public_names_are_locked(vendor: str) -> None:
    package = importlib.import_module(f"sellerkit.{vendor}")
    expected = sorted({*OWN[vendor], *SHARED, *errors.__all__})
    assert sorted(package.__all__) == expected
    for name in package.__all__:
        assert getattr(package, name) is not None, name


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_vendor_re_exports_the_same_errors(vendor: str) -> None:
    package = importlib.import_module(f"sellerkit.{vendor}")
    for name in errors.__all__:
        assert getattr(package, name) is getattr(errors, name)


@pytest.mark.parametrize("vendor", VENDORS)
def test_public_methods_document_their_parameters(vendor: str) -> None:
    package = importlib.import_module(f"sellerkit.{vendor}")
    clients = [getattr(package, n) for n in package.__all__ if n.endswith("Client")]
    assert clients
    for client in clients:
        assert inspect.getdoc(client), client
        assert "Args:" in (inspect.getdoc(client.__init__) or ""), f"{client.__name__}.__init__"
        for name, member in inspect.getmembers(client):
            if not name.startswith("_") and callable(member):
                assert inspect.getdoc(member), f"{client.__name__}.{name} has no docstring"


def test_the_command_line_and_testing_names_are_locked() -> None:
    import sellerkit.cli
    import sellerkit.testing.clients
    import sellerkit.testing.plugin

    assert sorted(sellerkit.cli.__all__) == ["Exit", "main", "run"]
    # the exit codes are documented in the README ("Command line"): changing one breaks users' scripts
    assert {e.name: e.value for e in sellerkit.cli.Exit} == {
        **{"OK": 0, "ERROR": 1, "BAD_INPUT": 2, "AUTH": 3, "NOT_FOUND": 4, "RATE_LIMITED": 5},
        **{"JOB_FAILED": 6, "NETWORK": 7, "SERVER": 8, "INTERRUPTED": 130},
    }
    readme = (ROOT / "README.md").read_text()
    for code in sellerkit.cli.Exit:
        assert f"| {code.value} |" in readme, code
    assert sorted(sellerkit.testing.clients.__all__) == ["client_for", "make_client"]
    fixtures = {"sim_clock", "wabi2b_sim_cross_origin"} | {
        f"{prefix}{name}_sim" for name in (*VENDORS, "oauth") for prefix in ("", "make_")
    }
    assert sorted(sellerkit.testing.plugin.__all__) == sorted(fixtures)


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_vendor_in_the_table_is_on_the_command_line_and_simulated(vendor: str) -> None:
    from sellerkit._core.registry import vendor_names
    from sellerkit.cli._exports import exports
    from sellerkit.testing.vendors import SIMULATORS

    assert vendor in vendor_names()
    assert exports(vendor), f"sellerkit export {vendor} offers nothing"
    assert vendor in SIMULATORS and SIMULATORS[vendor].cli_start is not None
    hatch = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]
    assert (
        hatch["build"]["targets"]["wheel"]["force-include"][f"specs/{vendor}.yaml"]
        == f"sellerkit/testing/specs/{vendor}.yaml"
    )


def test_version_and_shared_names() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", sellerkit.__version__)
    assert sorted(sellerkit.__all__) == SHARED


# ---------------------------------------------------------------- README examples, run as written


README_SECTIONS = ("## Using it", "## Running many workers")
README_REDIS = "redis://localhost:6379/0"  # the examples' Redis: the test's own server stands in


def _examples() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    sections = [text.split(heading, 1)[1].split("\n## ", 1)[0] for heading in README_SECTIONS]
    blocks = [b for section in sections for b in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)]
    found = []
    for block in blocks:
        vendor = next(v for v in VENDORS if f"from sellerkit.{v} import" in block)
        found.append((vendor, block))
    return found


EXAMPLES = _examples()


@pytest.fixture
def fast_clock() -> ScaledClock:
    return ScaledClock.manual()


def _wabi2b(clock: ScaledClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with Wabi2bSimulator(clock, Wabi2bSettings(job_seconds=5.0)).running() as sim:
        monkeypatch.setenv("WABI2B_BASE_URL", sim.base_url)
        gtins = [f"{i:014d}" for i in range(1, 31)]
        yield {"my_jwt": sim.jwt, "KEY": sim.api_key, "gtins": gtins}


def _sellercloud(clock: ScaledClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with SellercloudSimulator(clock, SellercloudSettings(job_seconds=5.0)).running() as sim:
        monkeypatch.setenv("SELLERCLOUD_BASE_URL", sim.base_url)
        yield {"USERNAME": sim.username, "PASSWORD": sim.password, "skus": ["SKU-1", "SKU-2"]}


def _selsup(clock: ScaledClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with SelsupSimulator(clock, SelsupSettings(task_seconds=5.0)).running() as sim:
        monkeypatch.setenv("SELSUP_BASE_URL", sim.base_url)
        yield {"API_KEY": sim.api_key}


def _websale(clock: ScaledClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with WebsaleSimulator(clock, WebsaleSettings(run_seconds=5.0)).running() as sim:
        monkeypatch.setenv("WEBSALE_BASE_URL", sim.base_url)
        yield {"EMAIL": sim.email, "PASSWORD": sim.password}


def _sellerscommerce(clock: ScaledClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with SellersCommerceSimulator(clock, SellersCommerceSettings()).running() as sim:
        monkeypatch.setenv("SELLERSCOMMERCE_BASE_URL", sim.base_url)
        yield {"ACCESS_KEY": sim.access_key, "SHARED_SECRET": sim.shared_secret}


SIMULATED = {
    "wabi2b": _wabi2b,
    "sellercloud": _sellercloud,
    "selsup": _selsup,
    "websale": _websale,
    "sellerscommerce": _sellerscommerce,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("vendor", "code"), EXAMPLES, ids=[v for v, _ in EXAMPLES])
def test_readme_example_runs(
    vendor: str,
    code: str,
    fast_clock: ScaledClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.chdir(tmp_path)  # an empty folder, as a new user's
    if README_REDIS in code:
        code = code.replace(README_REDIS, request.getfixturevalue("redis_server").url)
    hooks = {"clock": fast_clock.now, "wall_clock": fast_clock.now, "sleep": fast_clock.sleep}
    for namespace in SIMULATED[vendor](fast_clock, monkeypatch):
        with use_runtime(**hooks):
            exec(compile(code, f"README.md ({vendor})", "exec"), namespace)
    files = sorted(
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() and ".sellerkit" not in p.name
    )
    assert files, "the example downloaded nothing"
    if vendor == "selsup":  # the task export and the file export both land in exports/, none lost
        assert len([f for f in files if f.parts[0] == "exports"]) == 2, files
    if vendor == "wabi2b":
        assert len(capsys.readouterr().out.splitlines()) == 30  # one line per product
    if vendor == "sellerscommerce":  # the full CSV and the incremental JSON lines
        assert sorted(f.name for f in files) == ["orders.csv", "orders.jsonl"], files
        numbers = [int(line.split()[0]) for line in capsys.readouterr().out.splitlines()]
        # the seed orders of O'Neil placed since 2016, 100001 among them once the example completed it
        assert numbers == [100034, 100023, 100012, 100001]


CLIENT_METHODS = {
    "Wabi2bClient": ["bulk_download", "submit"],
    "SellercloudClient": ["export_basic", "export_custom", "export_via_plugin", "logs", "plugins"],
    "SelsupClient": [
        *("check_commerce_ml_auth", "create_marketplace_cards", "download_file", "download_files"),
        *("start_export", "stream_file"),
    ],
    "WebsaleClient": ["start_export"],
    "SellersCommerceClient": [
        *("call", "category", "export", "order", "product", "return_request", "rows", "shopper"),
    ],
}


@pytest.mark.parametrize("vendor", VENDORS)
def test_clients_offer_their_verbs_and_nothing_of_the_plumbing(vendor: str) -> None:
    """The job plumbing (fetch, failure, open_download, cancel(reference)) and the kit's step drivers stay
    private: a user sees the vendor's verbs, `job`, `with_options`, closing, and the same on the async one."""
    package = importlib.import_module(f"sellerkit.{vendor}")
    sync = next(
        getattr(package, n) for n in package.__all__ if n.endswith("Client") and not n.startswith("Async")
    )
    common = ["close", "job", "vendor", "with_options"]
    assert sorted(n for n in dir(sync) if not n.startswith("_")) == sorted(
        CLIENT_METHODS[sync.__name__] + common
    )
    asynchronous = getattr(package, f"Async{sync.__name__}")
    assert sorted(n for n in dir(asynchronous) if not n.startswith("_")) == sorted(
        [*CLIENT_METHODS[sync.__name__], *common, "aclose"]
    )
