"""Start a vendor simulator by hand: `sellerkit simulate wabi2b --port 8080 [--time-scale 10]`
(or `python -m sellerkit.testing ...`).

Prints the base URL and simulator-only test credentials, then serves until Ctrl-C (or `--duration`).
Vendors come from the simulator table (`sellerkit/testing/vendors.py`): a row with `cli_start` is a command.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from .framework import SERVING
from .vendors import SIMULATORS


def _value(text: str) -> Any:
    """A fault parameter from the command line: a number, true/false, none, or the text itself."""
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def fault_spec(text: str) -> tuple[str, dict[str, Any]]:
    """`KIND[:KEY=VALUE,...]` as `(kind, params)` for `sim.faults.add`."""
    kind, _, rest = text.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(f"{item!r} is not KEY=VALUE")
        params[key.strip()] = _value(value.strip())
    return kind.strip(), params


@dataclass(frozen=True)
class Vendor:
    """How the CLI starts one vendor's simulator."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    # start serving inside the stack; return the lines to print (URL, credentials, an example call)
    start: Callable[[argparse.Namespace, ExitStack], list[str]]


VENDORS: dict[str, Vendor] = {
    name: Vendor(row.help, row.cli_arguments, row.cli_start)
    for name, row in SIMULATORS.items()
    if row.cli_arguments is not None and row.cli_start is not None
}


def main(argv: Sequence[str] | None = None, prog: str = "python -m sellerkit.testing") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    vendors = parser.add_subparsers(dest="vendor", required=True, metavar="VENDOR")
    for name, vendor in VENDORS.items():
        sub = vendors.add_parser(name, help=vendor.help)
        sub.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
        sub.add_argument("--port", type=int, default=0, help="port (0: any free port)")
        sub.add_argument(
            "--time-scale",
            "--scale",
            dest="scale",
            type=float,
            default=1.0,
            help="simulated seconds per real second",
        )
        sub.add_argument("--duration", type=float, default=None, help="stop after this many real seconds")
        sub.add_argument(
            "--fault",
            action="append",
            default=[],
            type=fault_spec,
            metavar="KIND[:KEY=VALUE,...]",
            help="inject a fault, e.g. rate_limit:path=/api/task,times=3,retry_after=20 or "
            "reset:after_bytes=65536 (kinds and keys: docs/testing.md); repeatable",
        )
        vendor.add_arguments(sub)
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        for line in VENDORS[args.vendor].start(args, stack):
            print(line)
        for sim in list(SERVING):
            for kind, params in args.fault:
                try:
                    sim.faults.add(kind, **params)
                except (ValueError, TypeError) as exc:
                    parser.error(f"--fault {kind}: {exc}")
                print(f"  fault: {kind} {params or ''}".rstrip())
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
