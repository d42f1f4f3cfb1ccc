"""The Python side of the cross-language checks: each README flow through sellerkit's public API.

This is the only module of tests/publish and tests/ts that touches the Python client (the overlays are
under refactor, issue 8): the Prism validation test calls its flows, and the TypeScript flows call its
CLI to download the same files with Python and compare sha256s. Credentials come from the environment
variables the clients already read (SELLERCLOUD_USERNAME/PASSWORD, SELSUP_API_KEY), never from argv, so
they do not show in process listings or test output.

    python -m tests.publish.pyclient sellercloud-job REFERENCE --base-url URL --dest DIR
    python -m tests.publish.pyclient selsup-task TASK_ID --base-url URL --dest DIR
    python -m tests.publish.pyclient selsup-file --base-url URL --dest DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sellerkit.sellercloud import SellercloudClient
from sellerkit.sellerscommerce import OrderNotFoundError, Orders, SellersCommerceClient
from sellerkit.sellerscommerce_api.api.orders import get_order, update_order_status
from sellerkit.sellerscommerce_api.models import OrderStatusId, OrderStatusUpdate
from sellerkit.selsup import PollPolicy, SelsupClient
from sellerkit.selsup_api.api.background_exports import export_stocks_file
from sellerkit.selsup_api.api.file_exports import download_customers_file
from sellerkit.wabi2b import Wabi2bClient

# generous for simulators on a scaled clock; a flow that needs longer is a failure, not a hang
POLL = PollPolicy(interval=0.1, timeout=60.0)


@dataclass(frozen=True)
class Downloaded:
    reference: str
    sha256: str
    size: int


def wabi2b_flow(base_url: str, jwt: str, api_key: str, gtins: list[str], dest: Path) -> list[str]:
    """README: bulk_download (submit, poll, download, parse); returns the products' GTINs."""
    with Wabi2bClient(jwt=jwt, api_key=api_key, base_url=base_url) as client:
        return [row.product for row in client.bulk_download(gtins, format="csv", dest=dest)]


def sellercloud_flow(base_url: str, username: str, password: str, skus: list[str], dest: Path) -> Downloaded:
    """README: token, plugin export (Excel), wait for the job, download its output file."""
    with SellercloudClient("tt", username, password, base_url=base_url) as client:
        job = client.export_via_plugin(skus, plugin=client.plugins()[0].key, file_format="excel")
        job.wait(POLL)
        result = job.download(dest)
        return Downloaded(job.reference, result.sha256, result.size)


def sellercloud_job(base_url: str, reference: str, dest: Path) -> Downloaded:
    """The output file of an existing job (credentials from the environment)."""
    with SellercloudClient("tt", base_url=base_url) as client:
        result = client.job(reference).download(dest)
        return Downloaded(reference, result.sha256, result.size)


def selsup_flow(base_url: str, api_key: str | None, dest: Path) -> tuple[Downloaded, Downloaded]:
    """README: a task export (stocks file) waited for and downloaded, and one direct file export."""
    with SelsupClient(api_key, base_url=base_url) as client:
        job = client.start_export(export_stocks_file, warehouse_id=1)
        job.wait(POLL)
        task = job.download(dest / "task")
        direct = client.download_file(download_customers_file, dest / "direct")
        return Downloaded(job.reference, task.sha256, task.size), Downloaded(
            "customersFile", direct.sha256, direct.size
        )


def selsup_task(base_url: str, task_id: str, dest: Path) -> Downloaded:
    with SelsupClient(base_url=base_url) as client:
        result = client.job(task_id).download(dest)
        return Downloaded(task_id, result.sha256, result.size)


def selsup_file(base_url: str, dest: Path) -> Downloaded:
    with SelsupClient(base_url=base_url) as client:
        result = client.download_file(download_customers_file, dest)
        return Downloaded("customersFile", result.sha256, result.size)


def sellerscommerce_flow(base_url: str, access_key: str, shared_secret: str, dest: Path) -> tuple[int, str]:
    """README: a paged OData export of placed orders (password grant, $filter/$orderby/$top/$skip), a status
    write, and code 24 as a typed error; returns the rows exported and the error's code and message."""
    with SellersCommerceClient(access_key, shared_secret, base_url=base_url, token_store=False) as client:
        done = client.export("orders", dest, filter=Orders.OrderStatusId == 3, page_size=2)
        number = next(iter(client.rows("orders", filter=Orders.OrderStatusId == 3, page_size=1)))[
            "OrderNumber"
        ]
        update = OrderStatusUpdate(order_number=number, order_status_id=OrderStatusId.PROCESSING_ORDER)
        client.call(update_order_status, body=update)
        try:
            client.call(get_order, ordernumber="no-such-order")
        except OrderNotFoundError as error:
            return done.rows, f"{error.code} {error.message}"
        raise AssertionError("an unknown order was found")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.publish.pyclient", description=__doc__)
    parser.add_argument("what", choices=["sellercloud-job", "selsup-task", "selsup-file"])
    parser.add_argument("reference", nargs="?", default="")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--dest", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.what == "sellercloud-job":
        done = sellercloud_job(args.base_url, args.reference, args.dest)
    elif args.what == "selsup-task":
        done = selsup_task(args.base_url, args.reference, args.dest)
    else:
        done = selsup_file(args.base_url, args.dest)
    print(json.dumps({"reference": done.reference, "sha256": done.sha256, "size": done.size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
