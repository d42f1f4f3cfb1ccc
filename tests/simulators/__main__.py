"""Start a vendor simulator by hand: `python -m tests.simulators wabi2b --port 8080 [--scale 10]`.

Prints the base URL and simulator-only test credentials, then serves until Ctrl-C (or `--duration`).
New vendors plug in by adding a `Vendor` to `VENDORS`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from tests.simulators.framework import ScaledClock
from tests.simulators.sellercloud import cli_arguments as sellercloud_arguments
from tests.simulators.sellercloud import cli_start as sellercloud_start
from tests.simulators.selsup import cli_arguments as selsup_arguments
from tests.simulators.selsup import cli_start as selsup_start
from tests.simulators.wabi2b import Wabi2bSettings, Wabi2bSimulator


@dataclass(frozen=True)
class Vendor:
    """How the CLI starts one vendor's simulator."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    # start serving inside the stack; return the lines to print (URL, credentials, an example call)
    start: Callable[[argparse.Namespace, ExitStack], list[str]]


def _wabi2b_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--job-seconds", type=float, default=3.0, help="simulated seconds a job stays In Progress"
    )
    parser.add_argument(
        "--files-host", default=None, help="serve result-file URLs on this second loopback host"
    )
    parser.add_argument("--seller", default="SID-0001", help="seller id (the JWT's sub)")
    parser.add_argument(
        "--jwt-ttl", type=float, default=24 * 3600.0, help="lifetime of the printed JWT (sim s)"
    )
    parser.add_argument("--max-gtins", type=int, default=10_000, help="GTINs per request (docs: 10,000)")


def _wabi2b_start(args: argparse.Namespace, stack: ExitStack) -> list[str]:
    settings = Wabi2bSettings(job_seconds=args.job_seconds, max_gtins=args.max_gtins)
    sim = Wabi2bSimulator(ScaledClock(args.scale), settings, seller=args.seller)
    stack.enter_context(sim.running(args.host, port=args.port, files_host=args.files_host))
    jwt = sim.mint_jwt(args.jwt_ttl)
    return [
        f"Wabi2b simulator: {sim.base_url}   (files: {sim.files_origin}, clock x{args.scale:g})",
        f"  seller:        {sim.seller}",
        f"  x-api-key:     {sim.api_key}",
        f"  Authorization: {jwt}",
        "  (simulator-only test credentials)",
        f"  try: curl -s -X POST {sim.base_url}/listProductsBulkDownload -H 'Format: json' "
        f"-H 'x-api-key: {sim.api_key}' -H 'Authorization: {jwt}' -d '{{\"gtins\": [\"00025000040295\"]}}'",
    ]


VENDORS: dict[str, Vendor] = {
    "wabi2b": Vendor("Wabi2b Seller API (product bulk download)", _wabi2b_arguments, _wabi2b_start),
    "sellercloud": Vendor(
        "Sellercloud REST API (catalog exports, queued jobs)", sellercloud_arguments, sellercloud_start
    ),
    "selsup": Vendor("SelSup export API (background tasks, file exports)", selsup_arguments, selsup_start),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.simulators", description=__doc__)
    vendors = parser.add_subparsers(dest="vendor", required=True, metavar="VENDOR")
    for name, vendor in VENDORS.items():
        sub = vendors.add_parser(name, help=vendor.help)
        sub.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
        sub.add_argument("--port", type=int, default=0, help="port (0: any free port)")
        sub.add_argument("--scale", type=float, default=1.0, help="simulated seconds per real second")
        sub.add_argument("--duration", type=float, default=None, help="stop after this many real seconds")
        vendor.add_arguments(sub)
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        for line in VENDORS[args.vendor].start(args, stack):
            print(line)
        print("Serving; Ctrl-C to stop.", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        try:
            # runs until Ctrl-C by design when no --duration is given
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            print("stopping", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
