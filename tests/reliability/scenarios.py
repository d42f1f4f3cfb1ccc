"""Scenarios (one per simulator fault) and per-vendor adapters that run an export under each."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import httpx

from sellerkit._core.errors import (
    APITimeoutError,
    AuthenticationError,
    JobFailedError,
    JobTimeoutError,
    SellerkitError,
)
from sellerkit._core.polling import PollPolicy
from sellerkit.sellercloud import AsyncSellercloudClient, SellercloudClient
from sellerkit.sellerscommerce import AsyncSellersCommerceClient, ProcessFailedError, SellersCommerceClient
from sellerkit.sellerscommerce_api.api.orders import get_orders
from sellerkit.selsup import AsyncSelsupClient, SelsupClient
from sellerkit.selsup_api.api.background_exports import export_stocks_file
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import SellercloudSettings, SellercloudSimulator
from sellerkit.testing.sellerscommerce import SellersCommerceSettings, SellersCommerceSimulator
from sellerkit.testing.selsup import SelsupSettings, SelsupSimulator
from sellerkit.testing.wabi2b import Wabi2bSettings, Wabi2bSimulator
from sellerkit.testing.websale import WebsaleSettings, WebsaleSimulator
from sellerkit.wabi2b import AsyncWabi2bClient, Wabi2bClient
from sellerkit.websale import AsyncWebsaleClient, WebsaleClient
from tests.clients import make_client

# every scenario ends in success with identical bytes, or in exactly this documented typed error
# ("5xx" and "5xx on the file" were one scenario before issue 8: apart, a failure names its half)
SCENARIOS: dict[str, type[SellerkitError] | tuple[type[SellerkitError], ...] | None] = {
    "429 + Retry-After": None,
    "vendor throttle body": None,
    "5xx": None,
    "5xx on the file": None,
    "slow responses": None,
    "reset mid-download": None,
    "truncated body": None,
    "unknown enum value": None,
    "malformed JSON": None,
    "expiring, rotated token": None,
    # 401, or SelSup's 403 on a bad key: an AuthenticationError too since issue 8 (hint: SELSUP_API_KEY)
    "expired token, no refresh": AuthenticationError,
    "job fails": JobFailedError,
    "job never finishes": JobTimeoutError,
}


@dataclass
class ScenarioResult:
    """One row of the summary table."""

    scenario: str
    vendor: str
    mode: str
    outcome: str
    survived: bool
    identical: bool | None
    partial_files: int
    requests: int
    job_starts: int
    expected_job_starts: int = 1


@dataclass
class RunOutcome:
    """What one export under a fault left behind."""

    files: list[Path]
    expected_sha256: dict[str, str]
    requests: int
    job_starts: int
    error: SellerkitError | None


class VendorCase(Protocol):
    """How the suite runs one vendor's export under a fault."""

    name: str

    def run(self, scenario: str, mode: str, dest: Path) -> RunOutcome:
        """Run one export under the scenario's fault; a typed error is returned, not raised."""
        ...


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _options(extra: dict[str, Any]) -> dict[str, Any]:
    """The public client options of a scenario: a 10 s timeout unless the scenario sets a shorter read one;
    retries, quotas and waits are the vendor's defaults, on the simulator's clock (`make_client`)."""
    return {"timeout": extra.pop("timeout", httpx.Timeout(10.0))}


def _drive(
    mode: str,
    clock: ScaledClock,
    clients: tuple[type[Any], type[Any]],
    kwargs: dict[str, Any],
    sync_script: Callable[[Any], str],
    async_script: Callable[[Any], Awaitable[str]],
) -> tuple[str | None, SellerkitError | None]:
    """One export through the sync or the async client; a typed error is returned, not raised."""
    sync_client, async_client = clients
    try:
        if mode == "sync":
            with make_client(sync_client, clock, **kwargs) as client:
                return sync_script(client), None

        async def main() -> str:
            async with make_client(async_client, clock, **kwargs) as client:
                return await async_script(client)

        return asyncio.run(main()), None
    except SellerkitError as exc:
        return None, exc


# The faults every vendor gets, as data: scenario -> (fault kind, method, which of the vendor's paths, fault
# parameters); "reset_after" is the vendor's own byte count (its files differ in size). What differs per
# vendor (its throttle body, tokens) is each case's `special`; its simulator's job outcomes are `outcomes`.
Fault = tuple[str, str, str, dict[str, Any]]
FAULTS: dict[str, list[Fault]] = {
    "429 + Retry-After": [
        ("rate_limit", "POST", "start", {"retry_after": 7}),
        ("rate_limit", "GET", "status", {"times": 2, "retry_after_format": "http-date"}),
    ],
    "5xx": [("status", "GET", "status", {"status": 503, "times": 2})],
    "5xx on the file": [("status", "GET", "file", {"status": 502})],
    "slow responses": [("slow", "GET", "status", {"delay": 0.3})],
    "reset mid-download": [("reset", "GET", "file", {"after_bytes": "reset_after"})],
    "truncated body": [("truncate", "GET", "file", {})],
    "unknown enum value": [("unknown_enum", "GET", "status", {"times": 2})],
    "malformed JSON": [("malformed_json", "GET", "status", {})],
}
# client options a scenario needs: a read timeout shorter than the slow answers; a bounded wait for a job that
# never ends
SCENARIO_OPTIONS: dict[str, dict[str, Any]] = {
    "slow responses": {"timeout": httpx.Timeout(5.0, read=0.1)},
    "job never finishes": {"poll": PollPolicy(timeout=600)},
}


def _outcomes(failed: str) -> dict[str, str]:
    """The job scenarios of a simulator with an `outcome` setting: its failed state, and "stuck"."""
    return {"job fails": failed, "job never finishes": "stuck"}


@dataclass
class Case:
    """One vendor's export under a fault: its paths, its simulator, its special faults, its script."""

    name: str
    paths: dict[str, str | re.Pattern[str]]
    reset_after: int
    own_faults: dict[str, list[Fault]] = field(default_factory=dict)
    """A vendor's version of a FAULTS row, where the shared one does not fit."""
    outcomes: dict[str, str] = field(default_factory=dict)
    """scenario -> the simulator's `settings.outcome` that plays it (e.g. "job fails": "failed")."""
    expected: dict[str, type[SellerkitError] | None] = field(default_factory=dict)
    """A vendor's own expected outcome where the SCENARIOS one cannot apply (a vendor without jobs)."""

    def expected_error(self, scenario: str) -> type[SellerkitError] | tuple[type[SellerkitError], ...] | None:
        return self.expected.get(scenario, SCENARIOS[scenario])

    def special(self, scenario: str, sim: Any) -> dict[str, Any]:
        """The vendor's own part of a scenario (beyond FAULTS); returns client overrides."""
        raise NotImplementedError

    def export(
        self, sim: Any, clock: ScaledClock, mode: str, dest: Path, extra: dict[str, Any]
    ) -> RunOutcome:
        raise NotImplementedError

    def inject(self, scenario: str, sim: Any) -> dict[str, Any]:
        if scenario in self.outcomes:
            sim.settings.outcome = self.outcomes[scenario]
        extra = self.special(scenario, sim)
        for kind, method, role, params in self.own_faults.get(scenario, FAULTS.get(scenario, [])):
            values = {k: getattr(self, v) if v == "reset_after" else v for k, v in params.items()}
            sim.faults.add(kind, method=method, path=self.paths[role], **values)
        return {**SCENARIO_OPTIONS.get(scenario, {}), **extra}

    def run(self, scenario: str, mode: str, dest: Path) -> RunOutcome:
        clock = ScaledClock.manual()
        sim = self.simulator(clock)
        with sim.running():
            return self.export(sim, clock, mode, dest, self.inject(scenario, sim))

    def simulator(self, clock: ScaledClock) -> Any:
        raise NotImplementedError


def _job_flow(
    mode: str,
    clock: ScaledClock,
    clients: tuple[type[Any], type[Any]],
    kwargs: dict[str, Any],
    start: Callable[[Any], Any],
    poll: PollPolicy | None,
    dest: Path,
) -> tuple[str | None, SellerkitError | None]:
    """Start a job with `start(client)` (a job, or an awaitable of one), wait for it, download its file."""

    def sync_script(client: Any) -> str:
        job = start(client)
        job.wait(poll)
        job.download(dest)
        return str(job.reference)

    async def async_script(client: Any) -> str:
        job = await start(client)
        await job.wait(poll)
        await job.download(dest)
        return str(job.reference)

    return _drive(mode, clock, clients, kwargs, sync_script, async_script)


class Wabi2bCase(Case):
    """Wabi2b: one bulk download of 30 GTINs as JSON (its POST and status GET share a path)."""

    gtins: ClassVar[list[str]] = [f"{i:014d}" for i in range(100, 130)]

    def __init__(self) -> None:
        status = "/v1/listProductsBulkDownload"
        super().__init__(
            "wabi2b", {"start": status, "status": status, "file": "/tmp/short/productDownload"}, 2000
        )

    def simulator(self, clock: ScaledClock) -> Any:
        return Wabi2bSimulator(clock, Wabi2bSettings())

    def special(self, scenario: str, sim: Wabi2bSimulator) -> dict[str, Any]:
        status = self.paths["status"]
        if scenario == "vendor throttle body":  # undocumented: the quota's 429 with the Error body, no hint
            body = {"message": "Too Many Requests"}
            sim.faults.add("status", method="GET", path=status, status=429, times=2, body=body)
        elif scenario == "expiring, rotated token":
            sim.settings.job_seconds = 60.0
            return {"jwt": lambda: sim.mint_jwt(ttl=10)}  # a fresh short-lived JWT on every call
        elif scenario == "expired token, no refresh":
            sim.settings.job_seconds = 60.0
            return {"jwt": sim.mint_jwt(ttl=10)}
        elif scenario == "job fails":
            sim.faults.add("unknown_enum", method="GET", path=status, times=None, value="Failed")
        elif scenario == "job never finishes":
            sim.settings.job_seconds = 1e9
        return {}

    def export(
        self, sim: Any, clock: ScaledClock, mode: str, dest: Path, extra: dict[str, Any]
    ) -> RunOutcome:
        kwargs = {"jwt": extra.pop("jwt", sim.jwt), "api_key": sim.api_key, "base_url": sim.base_url}
        poll = extra.pop("poll", None)

        def sync_script(client: Wabi2bClient) -> str:
            return str(sum(1 for _ in client.bulk_download(self.gtins, dest=dest, poll=poll)))

        async def async_script(client: AsyncWabi2bClient) -> str:
            return str(sum([1 async for _ in client.bulk_download(self.gtins, dest=dest, poll=poll)]))

        clients = (Wabi2bClient, AsyncWabi2bClient)
        rows, error = _drive(mode, clock, clients, {**kwargs, **_options(extra)}, sync_script, async_script)
        assert error is not None or rows == str(len(self.gtins))
        files = sorted(dest.glob("wabi2b-*.json"))
        expected = {
            p.name: sim.file_sha256(p.name.removeprefix("wabi2b-").removesuffix(".json")) for p in files
        }
        return RunOutcome(files, expected, len(sim.requests), sim.stats.jobs_created, error)


class SellercloudCase(Case):
    """Sellercloud: one plugin export of 3 SKUs as CSV, output file as a base64 JSON string (the default)."""

    skus: ClassVar[list[str]] = ["SKU-1", "SKU-2", "SKU-3"]

    def __init__(self) -> None:
        paths: dict[str, str | re.Pattern[str]] = {
            "start": "/rest/api/Catalog/Exports/ViaPlugin",
            "status": re.compile(r"^/rest/api/QueuedJobs/\d+$"),
            "file": "/rest/api/QueuedJobs/OutputFile",
        }
        super().__init__("sellercloud", paths, 40, outcomes=_outcomes("failed"))

    def simulator(self, clock: ScaledClock) -> Any:
        return SellercloudSimulator(clock, SellercloudSettings())

    def special(self, scenario: str, sim: SellercloudSimulator) -> dict[str, Any]:
        settings = sim.settings
        if scenario == "vendor throttle body":  # {"Error": "Too many requests.", "RateLimitResetTime": ...}
            sim.faults.add("throttle", method="GET", path=self.paths["status"], times=2, reset_in=90)
        elif scenario in ("reset mid-download", "truncated body"):
            settings.output_shape = "raw"  # a cut raw file is what Range resumes; base64 is all or nothing
        elif scenario == "expiring, rotated token":
            settings.token_seconds, settings.job_seconds = 60.0, 600.0  # the login is renewed during the job
        elif scenario == "expired token, no refresh":
            return {"password": "wrong"}  # Sellercloud has no refresh token: a failed login is final
        return {}

    def export(
        self, sim: Any, clock: ScaledClock, mode: str, dest: Path, extra: dict[str, Any]
    ) -> RunOutcome:
        kwargs = {
            "base_url": sim.base_url,
            "username": sim.username,
            "password": extra.pop("password", sim.password),
        }
        poll = extra.pop("poll", None)

        def start(client: Any) -> Any:
            if isinstance(client, AsyncSellercloudClient):

                async def started() -> Any:
                    return await client.export_via_plugin(self.skus, plugin=(await client.plugins())[0].key)

                return started()
            return client.export_via_plugin(self.skus, plugin=client.plugins()[0].key)

        clients = (SellercloudClient, AsyncSellercloudClient)
        reference, error = _job_flow(mode, clock, clients, {**kwargs, **_options(extra)}, start, poll, dest)
        files = [p for p in dest.iterdir() if p.is_file()]
        expected = {p.name: sim.file_sha256(int(reference)) for p in files} if reference else {}
        return RunOutcome(files, expected, len(sim.requests), sim.stats.jobs_created, error)


class SelsupCase(Case):
    """SelSup: one background stock export (task), waited for and downloaded via /api/files/file."""

    def __init__(self) -> None:
        paths = {"start": "/api/export/stocksFile", "status": "/api/task/findTask", "file": "/api/files/file"}
        super().__init__("selsup", dict(paths), 300, outcomes=_outcomes("ERROR"))

    def simulator(self, clock: ScaledClock) -> Any:
        return SelsupSimulator(clock, SelsupSettings())

    def special(self, scenario: str, sim: SelsupSimulator) -> dict[str, Any]:
        settings = sim.settings
        if scenario == "vendor throttle body":  # SelSup publishes no throttling: its documented 500 body
            sim.faults.add("server_error", method="GET", path=self.paths["status"], times=2)
        elif scenario == "expiring, rotated token":
            settings.task_seconds = 600.0  # a static key never expires: a long task on one key
        elif scenario == "expired token, no refresh":
            return {"api_key": "revoked-key"}  # SelSup answers a bad key with 403 {error}
        return {}

    def export(
        self, sim: Any, clock: ScaledClock, mode: str, dest: Path, extra: dict[str, Any]
    ) -> RunOutcome:
        kwargs = {"api_key": extra.pop("api_key", sim.api_key), "base_url": sim.base_url}  # no quotas
        poll = extra.pop("poll", None)

        def start(client: Any) -> Any:
            return client.start_export(export_stocks_file, warehouse_id=1)

        clients = (SelsupClient, AsyncSelsupClient)
        reference, error = _job_flow(mode, clock, clients, {**kwargs, **_options(extra)}, start, poll, dest)
        files = [p for p in dest.iterdir() if p.is_file()]
        expected = {p.name: sim.task_file_sha256(int(reference)) for p in files} if reference else {}
        return RunOutcome(files, expected, len(sim.requests), len(sim.tasks()), error)


class WebsaleCase(Case):
    """WEBSALE: one product export (status read, started, polled, its fileLink downloaded), password login."""

    def __init__(self) -> None:
        prefix = "/admin/api/v1"
        paths: dict[str, str | re.Pattern[str]] = {
            "start": prefix + "/report/product/start",
            "status": prefix + "/report/product/status",
            "file": prefix + "/files/",
        }
        super().__init__("websale", paths, 300, outcomes=_outcomes("error"))
        # after=1: the first status read is start_export's running-export check (a malformed answer there is a
        # ServerError before anything started); the fault is for the poll, as for the other vendors
        self.own_faults = {"malformed JSON": [("malformed_json", "GET", "status", {"after": 1})]}

    def simulator(self, clock: ScaledClock) -> Any:
        return WebsaleSimulator(clock, WebsaleSettings())

    def special(self, scenario: str, sim: WebsaleSimulator) -> dict[str, Any]:
        settings = sim.settings
        if scenario == "vendor throttle body":  # WEBSALE publishes no throttling: its documented 503 body
            internal = {"type": "internalError", "message": "Redis did not return a status."}
            sim.faults.add(
                "status", method="GET", path=self.paths["status"], status=503, body=internal, times=2
            )
        elif scenario == "expiring, rotated token":
            settings.access_ttl, settings.run_seconds = 30.0, 600.0  # many single-use refreshes
        elif scenario == "expired token, no refresh":
            return {"password": "revoked-password"}  # login refused: nothing to refresh
        return {}

    def export(
        self, sim: Any, clock: ScaledClock, mode: str, dest: Path, extra: dict[str, Any]
    ) -> RunOutcome:
        kwargs = {
            "email": sim.email,
            "password": extra.pop("password", sim.password),
            "base_url": sim.base_url,
        }
        poll = extra.pop("poll", None)

        def start(client: Any) -> Any:
            return client.start_export("product", format="csv")

        clients = (WebsaleClient, AsyncWebsaleClient)  # WEBSALE publishes no quotas
        reference, error = _job_flow(mode, clock, clients, {**kwargs, **_options(extra)}, start, poll, dest)
        files = [p for p in dest.iterdir() if p.is_file()]
        expected = {p.name: sim.file_sha256("product") for p in files} if reference else {}
        return RunOutcome(files, expected, len(sim.requests), sim.stats.starts, error)


class SellersCommerceCase(Case):
    """Sellers Commerce: a typed read of the latest orders (the "status" role), then a paged export of 120
    orders to one JSON-lines file (the "file" role: `/api/order/getall`, pages of 25). It has no jobs: "job
    fails" is an internal error (code 29) on a page, "job never finishes" a page that never comes."""

    orders: ClassVar[int] = 80  # + the 40 seeded ones
    clean: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        paths: dict[str, str | re.Pattern[str]] = {
            "start": "/api/order/getorders",
            "status": "/api/order/getorders",
            "file": "/api/order/getall",
        }
        super().__init__("sellerscommerce", paths, 300)
        self.own_faults = {
            "429 + Retry-After": [
                ("rate_limit", "GET", "status", {"retry_after": 7}),
                ("rate_limit", "GET", "file", {"times": 2, "after": 1, "retry_after_format": "http-date"}),
            ],
            "5xx on the file": [("status", "GET", "file", {"status": 502, "after": 2})],
            "reset mid-download": [("reset", "GET", "file", {"after_bytes": "reset_after", "after": 1})],
            "truncated body": [("truncate", "GET", "file", {"after": 2})],
            "unknown enum value": [("unknown_enum", "GET", "status", {})],
            "job fails": [("vendor_error", "GET", "file", {"code": 29, "after": 2})],
            "job never finishes": [("slow", "GET", "file", {"delay": 0.5, "times": None, "after": 1})],
        }
        self.expected = {"job fails": ProcessFailedError, "job never finishes": APITimeoutError}

    def simulator(self, clock: ScaledClock) -> Any:
        return SellersCommerceSimulator(clock, SellersCommerceSettings(extra_orders=self.orders))

    def special(self, scenario: str, sim: SellersCommerceSimulator) -> dict[str, Any]:
        if scenario == "vendor throttle body":  # no throttle body is documented: its 429 with the envelope
            body = {"Results": None, "ResponseMessage": "Too Many Requests", "StatusCode": 429}
            sim.faults.add("status", method="GET", path=self.paths["file"], status=429, times=2, body=body)
        elif scenario == "expiring, rotated token":
            sim.settings.access_ttl, sim.settings.expires_in = 30.0, 30  # renewed on most pages
            return {"advance": 20.0}
        elif scenario == "expired token, no refresh":
            return {"shared_secret": "revoked-secret"}
        elif scenario == "job never finishes":
            return {"timeout": httpx.Timeout(5.0, read=0.1)}
        return {}

    def export(
        self, sim: Any, clock: ScaledClock, mode: str, dest: Path, extra: dict[str, Any]
    ) -> RunOutcome:
        kwargs = {
            "access_key": sim.access_key,
            "shared_secret": extra.pop("shared_secret", sim.shared_secret),
            "base_url": sim.base_url,
            "token_store": False,
        }
        step = extra.pop("advance", 0.0)

        def progress(_: Any) -> None:
            clock.advance(step)  # simulated time passes between pages: tokens expire mid-export

        def sync_script(client: SellersCommerceClient) -> str:
            client.call(get_orders, top=5, orderby="ModifiedDate desc")
            return str(
                client.export("orders", dest / "orders.jsonl", page_size=25, on_progress=progress).rows
            )

        async def async_script(client: AsyncSellersCommerceClient) -> str:
            await client.call(get_orders, top=5, orderby="ModifiedDate desc")
            result = await client.export("orders", dest / "orders.jsonl", page_size=25, on_progress=progress)
            return str(result.rows)

        clients = (SellersCommerceClient, AsyncSellersCommerceClient)
        rows, error = _drive(mode, clock, clients, {**kwargs, **_options(extra)}, sync_script, async_script)
        assert error is not None or rows == str(40 + self.orders)
        files = [p for p in dest.iterdir() if p.is_file() and p.suffix == ".jsonl"]
        expected = {p.name: self.clean_sha256(dest.parent) for p in files}
        return RunOutcome(files, expected, len(sim.requests), 0, error)

    def clean_sha256(self, scratch: Path) -> str:
        """The file a fault-free export writes (the simulator's data is deterministic)."""
        if "orders.jsonl" not in self.clean:
            clock = ScaledClock.manual()
            with (
                self.simulator(clock).running() as sim,
                make_client(
                    SellersCommerceClient,
                    clock,
                    access_key=sim.access_key,
                    shared_secret=sim.shared_secret,
                    base_url=sim.base_url,
                    token_store=False,
                ) as client,
            ):
                path = client.export(
                    "orders", scratch / "clean-orders.jsonl", page_size=25, overwrite=True
                ).path
            self.clean["orders.jsonl"] = sha256(path)
            path.unlink()
        return self.clean["orders.jsonl"]


CASES: list[VendorCase] = [
    Wabi2bCase(),
    SellercloudCase(),
    SelsupCase(),
    WebsaleCase(),
    SellersCommerceCase(),
]
