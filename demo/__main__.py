"""`python -m demo [--out DIR]` — start the simulators on loopback and run a real export per vendor.

Everything goes over real HTTP on 127.0.0.1 through the public sellerkit API, exactly as it would against
the vendor; only the base URL and the (simulator-minted) credentials differ.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from sellerkit import Progress
from sellerkit.sellercloud import Job, SellercloudClient
from sellerkit.sellerscommerce import ExportProgress, Orders, SellersCommerceClient
from sellerkit.sellerscommerce_api.api.orders import update_order_status
from sellerkit.sellerscommerce_api.models import OrderStatusId, OrderStatusUpdate
from sellerkit.selsup import SelsupClient
from sellerkit.selsup_api.api.background_exports import export_stocks_file
from sellerkit.selsup_api.api.file_exports import download_customers_file
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.sellercloud import SellercloudSettings, SellercloudSimulator
from sellerkit.testing.sellerscommerce import SellersCommerceSettings, SellersCommerceSimulator
from sellerkit.testing.selsup import SelsupSettings, SelsupSimulator
from sellerkit.testing.wabi2b import Wabi2bSettings, Wabi2bSimulator
from sellerkit.testing.websale import WebsaleSettings, WebsaleSimulator
from sellerkit.wabi2b import BulkProgress, Wabi2bClient
from sellerkit.websale import WebsaleClient

# the simulator's clock runs 20x faster than the client's: a 30 s Wabi2b job takes 1.5 s here
SCALE = 20.0


def _progress(label: str) -> Callable[[BulkProgress], None]:
    """A progress printer: every stage, and downloads in steps of about 20 MiB."""
    seen: Counter[str] = Counter()
    start = time.monotonic()

    def show(event: BulkProgress) -> None:
        seen[event.stage] += 1
        at = f"{time.monotonic() - start:5.1f}s"
        chunk = f"chunk {event.chunk + 1}/{event.chunks}"
        if event.stage == "downloading":
            if event.bytes_done == event.bytes_total or seen["downloading"] % 20 == 1:
                total = f"{event.bytes_total:,}" if event.bytes_total else "?"
                print(f"  [{label} {at}] {chunk}: downloading {event.bytes_done:,} / {total} bytes")
        elif event.stage == "downloaded":
            print(f"  [{label} {at}] {chunk}: saved {event.path} ({event.bytes_done:,} bytes)")
        else:
            status = f" (status {event.status})" if event.status else ""
            print(f"  [{label} {at}] {chunk}: {event.stage}{status}")

    return show


def wabi2b(out: Path) -> list[str]:
    """Bulk-download 25,000 GTINs (3 jobs of at most 10,000) as JSON and 1,500 as CSV."""
    settings = Wabi2bSettings(job_seconds=30.0)
    sim = Wabi2bSimulator(ScaledClock(SCALE), settings)
    lines = []
    with (
        sim.running() as running,
        Wabi2bClient(
            jwt=running.jwt, api_key=running.api_key, base_url=running.base_url, journal=out / ".jobs"
        ) as client,
    ):
        print(f"Wabi2b simulator at {running.base_url}")
        runs: tuple[tuple[Literal["json", "csv"], int], ...] = (("json", 25_000), ("csv", 1_500))
        for file_format, count in runs:
            gtins = [f"{7_000_000_000_000 + i:014d}" for i in range(count)]
            dest = out / "wabi2b" / file_format
            show = _progress(f"wabi2b {file_format}")
            print(f"- bulk_download({count:,} GTINs, format={file_format!r}, dest={dest})")
            started = time.monotonic()
            rows = 0
            brands: Counter[str] = Counter()
            for row in client.bulk_download(gtins, format=file_format, dest=dest, on_progress=show):
                rows += 1
                brands[str(row.brand)] += 1
            took = time.monotonic() - started
            files = sorted(p for p in dest.iterdir() if not p.name.startswith("."))
            lines.append(
                f"wabi2b {file_format}: {rows:,} typed rows in {took:.1f} s; files in {dest}: "
                + ", ".join(f"{p.name} ({p.stat().st_size:,} B)" for p in files)
            )
            print(f"  {rows:,} rows; most common brand: {brands.most_common(1)[0][0]!r}")
    return lines


def _job_progress(job: Job, started: float) -> Callable[[Progress], None]:
    def show(progress: Progress) -> None:
        done = f"{progress.processed}/{progress.total}" if progress.total else "queued"
        at = time.monotonic() - started
        print(f"  [sellercloud {at:5.1f}s] job {job.reference}: {job.status} {done}")

    return show


def sellercloud(out: Path) -> list[str]:
    """A plugin export of 500 SKUs (CSV) and an Excel one, through queued jobs with visible progress."""
    sim = SellercloudSimulator(ScaledClock(SCALE), SellercloudSettings(job_seconds=40.0))
    lines = []
    with (
        sim.running() as running,
        SellercloudClient(
            username=running.username,
            password=running.password,
            base_url=running.base_url,
            journal=out / ".jobs",
        ) as client,
    ):
        print(f"Sellercloud simulator at {running.base_url}")
        plugins = client.plugins()
        print(f"- plugins(): {', '.join(f'{p.key} ({p.value})' for p in plugins)}")
        runs: tuple[tuple[Literal["csv", "excel"], int], ...] = (("csv", 500), ("excel", 50))
        for file_format, count in runs:
            skus = [f"DEMO-SKU-{i:04d}" for i in range(count)]
            job = client.export_via_plugin(skus, plugin=plugins[0].key, file_format=file_format)
            print(f"- export_via_plugin({count} SKUs, {file_format!r}) -> queued job {job.reference}")
            started = time.monotonic()
            show = _job_progress(job, started)
            job.wait(on_progress=show)
            result = job.download(f"{out}/sellercloud/")  # a folder: created, never overwritten
            took = time.monotonic() - started
            lines.append(
                f"sellercloud {file_format}: job {job.reference} {job.status} in {took:.1f} s -> "
                f"{result.path} ({result.size:,} B, sha256 {result.sha256[:12]})"
            )
            print(f"  saved {result.path} ({result.size:,} bytes)")
    return lines


def selsup(out: Path) -> list[str]:
    """A background stock export (task → polled → file) and a direct file export (streamed to disk)."""
    sim = SelsupSimulator(ScaledClock(SCALE), SelsupSettings(task_seconds=40.0))
    dest = f"{out}/selsup/"  # a folder (trailing slash): created, files never overwritten
    lines = []
    with (
        sim.running() as running,
        SelsupClient(running.api_key, base_url=running.base_url, journal=out / ".jobs") as client,
    ):
        print(f"SelSup simulator at {running.base_url}")
        job = client.start_export(export_stocks_file, warehouse_id=1)
        print(f"- start_export(export_stocks_file, warehouse_id=1) -> task {job.reference}")
        started = time.monotonic()

        def show(progress: Progress) -> None:
            fraction = f"{progress.fraction:.0%}" if progress.fraction is not None else "?"
            print(
                f"  [selsup {time.monotonic() - started:5.1f}s] task {job.reference}: {job.status} {fraction}"
            )

        job.wait(on_progress=show)
        task_file = job.download(dest)
        print(f"  saved {task_file.path} ({task_file.size:,} bytes)")
        lines.append(
            f"selsup task export: task {job.reference} {job.status} -> "
            f"{task_file.path} ({task_file.size:,} B)"
        )
        print("- download_file(download_customers_file) (a file endpoint, streamed)")
        direct = client.download_file(download_customers_file, dest)
        print(f"  saved {direct.path} ({direct.size:,} bytes, sha256 {direct.sha256[:12]})")
        lines.append(f"selsup file export: {direct.path} ({direct.size:,} B)")
    return lines


def websale(out: Path) -> list[str]:
    """A product export (CSV) and an order export (XML): started, paused, resumed, waited for, downloaded."""
    sim = WebsaleSimulator(
        ScaledClock(SCALE), WebsaleSettings(start_seconds=4.0, run_seconds=40.0, entries=500)
    )
    lines = []
    with (
        sim.running() as running,
        WebsaleClient(
            email=running.email, password=running.password, base_url=running.base_url, journal=out / ".jobs"
        ) as client,
    ):
        print(f"WEBSALE simulator at {running.base_url}")
        for service, file_format in (("product", "csv"), ("order", "xml")):
            job = client.start_export(service, format=file_format)
            print(f"- start_export({service!r}, format={file_format!r}) -> {job.status}")
            started = time.monotonic()

            def show(progress: Progress, service: str = service, started: float = started) -> None:
                fraction = f"{progress.fraction:.0%}" if progress.fraction is not None else "?"
                at = time.monotonic() - started
                print(f"  [websale {at:5.1f}s] {service}: {fraction}, {progress.processed} entries")

            if service == "order":
                time.sleep(0.5)
                print(f"  pause() -> {job.pause().status}; resume() -> {job.resume().status}")
            job.wait(on_progress=show)
            result = job.download(f"{out}/websale/")
            lines.append(
                f"websale {service} ({file_format}): {job.status} -> {result.path} "
                f"({result.size:,} B, sha256 {result.sha256[:12]})"
            )
            print(f"  saved {result.path} ({result.size:,} bytes)")
    return lines


def sellerscommerce(out: Path) -> list[str]:
    """Every order (5,040) paged into one JSON-lines file, the placed ones as CSV, then an incremental run
    that picks up only the orders changed since (one OAuth password grant; the tokens are kept in
    `<out>/.tokens/`)."""
    sim = SellersCommerceSimulator(ScaledClock(SCALE), SellersCommerceSettings(extra_orders=5_000))
    dest = f"{out}/sellerscommerce/"  # a folder: created, files never overwritten
    lines = []
    with (
        sim.running() as running,
        SellersCommerceClient(
            running.access_key,
            running.shared_secret,
            base_url=running.base_url,
            journal=out / ".jobs",
            token_store=out / ".tokens" / "sellerscommerce.json",
        ) as client,
    ):
        print(f"Sellers Commerce simulator at {running.base_url}")
        started = time.monotonic()

        def show(progress: ExportProgress) -> None:
            if progress.pages % 10 == 0:
                at = time.monotonic() - started
                print(f"  [sellerscommerce {at:5.1f}s] {progress.pages} pages, {progress.rows:,} rows")

        print("- export('orders', format='jsonl', page_size=250)")
        everything = client.export("orders", dest, page_size=250, on_progress=show)
        lines.append(
            f"sellerscommerce orders (jsonl): {everything.rows:,} rows in {everything.pages} pages, "
            f"{time.monotonic() - started:.1f} s -> {everything.path}"
        )
        placed = Orders.OrderStatusId == OrderStatusId.PLACED
        print(f"- export('orders', filter={placed}, format='csv')")
        table = client.export("orders", dest, filter=placed, format="csv", page_size=250)
        lines.append(f"sellerscommerce placed orders (csv): {table.rows:,} rows -> {table.path}")
        for number in ("100010", "104999"):
            body = OrderStatusUpdate.from_dict({"OrderNumber": number, "OrderStatusId": 35})
            client.call(update_order_status, body=body)
        print("- two orders changed; export('orders', since='last')")
        delta = client.export("orders", dest, since="last")
        lines.append(
            f"sellerscommerce orders changed since the last export: {delta.rows} rows "
            f"(since {everything.high_water_mark}) -> {delta.path}"
        )
        grants = f"{running.password_grants} password grant(s), {running.refresh_grants} refresh(es)"
        print(f"  {delta.rows} rows; tokens: {grants}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-output"), help="where the files go")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    # every run has its own simulators: their jobs and tokens stay in this run, not the user's state folder
    with tempfile.TemporaryDirectory(prefix="sellerkit-demo-state-") as state:
        os.environ["SELLERKIT_STATE_DIR"] = state
        summary = wabi2b(out) + sellercloud(out) + selsup(out) + websale(out) + sellerscommerce(out)
    print("\nDone. Where the files went:")
    for line in summary:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
