"""`python -m generator [--check] [--force] [--vendor NAME ...]` — regenerate generated/ from specs/."""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from .config import (
    GENERATED,
    NAMESPACE,
    ConfigError,
    Table,
    Vendor,
    load_table,
    relative_root,
    tool_versions,
)
from .pipeline import GenerationError, build, inputs_digest, up_to_date

T = TypeVar("T")


def _parallel(vendors: list[Vendor], work: Callable[[Vendor], T]) -> list[T]:
    # vendors are independent and the work is mostly subprocesses: overlap them
    with ThreadPoolExecutor(max_workers=max(1, len(vendors))) as pool:
        return list(pool.map(work, vendors))


def _stale_packages(table: Table) -> list[Path]:
    known = {v.package for v in table.vendors}
    ns = GENERATED / NAMESPACE
    if not ns.is_dir():
        return []
    return sorted(p for p in ns.iterdir() if p.is_dir() and p.name not in known and p.name != "__pycache__")


def _diff_trees(expected: Path, actual: Path) -> list[str]:
    def files(root: Path) -> set[str]:
        if not root.is_dir():
            return set()
        return {
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    want, have = files(expected), files(actual)
    changes = [f"  missing  {name}" for name in sorted(want - have)]
    changes += [f"  extra    {name}" for name in sorted(have - want)]
    changes += [
        f"  changed  {name}"
        for name in sorted(want & have)
        if not filecmp.cmp(expected / name, actual / name, shallow=False)
    ]
    return changes


def generate(table: Table, vendors: list[Vendor], force: bool, prune: bool) -> int:
    versions = tool_versions()

    def one(vendor: Vendor) -> tuple[Vendor, str, int, int, float]:
        start = time.perf_counter()
        digest = inputs_digest(table, vendor, versions)
        if not force and up_to_date(vendor, digest):
            files = sum(1 for p in vendor.output_dir.rglob("*") if p.is_file())
            return (
                vendor,
                "unchanged",
                int(_manifest_ops(vendor)),
                files,
                time.perf_counter() - start,
            )
        ops, files = build(table, vendor, vendor.output_dir, versions)
        return vendor, "written", ops, files, time.perf_counter() - start

    rows = _parallel(vendors, one)
    if prune:
        for stale in _stale_packages(table):
            shutil.rmtree(stale)
            print(f"removed {relative_root(stale)} (no vendor in generator/vendors.toml)")
    print(f"{'vendor':<16}{'package':<28}{'operations':>11}{'files':>7}  {'status':<10}{'seconds':>8}")
    for vendor, status, ops, files, secs in rows:
        print(
            f"{vendor.name:<16}{'sellerkit.' + vendor.package:<28}{ops:>11}{files:>7}"
            f"  {status:<10}{secs:>8.2f}"
        )
    written = sum(r[3] for r in rows if r[1] == "written")
    print(f"{len(rows)} vendor(s), {sum(r[2] for r in rows)} operations, {written} files written")
    return 0


def _manifest_ops(vendor: Vendor) -> int:
    from .pipeline import read_manifest

    manifest = read_manifest(vendor.output_dir) or {}
    return int(manifest.get("operations", 0))


def check(table: Table, vendors: list[Vendor], whole_tree: bool) -> int:
    versions = tool_versions()
    with tempfile.TemporaryDirectory(prefix="sellerkit-check-") as tmp:
        scratch = Path(tmp)

        def one(vendor: Vendor) -> tuple[Vendor, list[str]]:
            expected = scratch / vendor.package
            build(table, vendor, expected, versions)
            return vendor, _diff_trees(expected, vendor.output_dir)

        results = _parallel(vendors, one)
    drift = [(v, changes) for v, changes in results if changes]
    stale = _stale_packages(table) if whole_tree else []
    for vendor, changes in drift:
        print(
            f"DRIFT {vendor.name}: generated/{NAMESPACE}/{vendor.package}"
            f" differs from what {vendor.rel(vendor.spec)} produces"
        )
        print(
            "\n".join(changes[:40]) + (f"\n  ... and {len(changes) - 40} more" if len(changes) > 40 else "")
        )
    for path in stale:
        print(f"DRIFT {relative_root(path)}: no vendor in generator/vendors.toml produces it")
    if drift or stale:
        print("generated/ is out of date: run `python -m generator` and commit the result")
        return 1
    print(f"generated/ matches specs/ for {', '.join(v.name for v in vendors)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if generated/ differs from what specs/ produce"
    )
    parser.add_argument("--force", action="store_true", help="regenerate even when the inputs are unchanged")
    parser.add_argument("--vendor", action="append", metavar="NAME", help="only this vendor (repeatable)")
    args = parser.parse_args(argv)
    try:
        table = load_table()
        vendors = table.select(args.vendor)
        if args.check:
            return check(table, vendors, whole_tree=not args.vendor)
        return generate(table, vendors, force=args.force, prune=not args.vendor)
    except (ConfigError, GenerationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
