"""`python -m publisher [build|gate|release VENDOR]` — publish specs/ for other language teams.

build (default)   dist/: bundles, offline HTML reference, TypeScript client, wheel + sdist, CHANGELOG.md
gate              diff every spec against its last release (optic); exit 1 on an unversioned/breaking change
release VENDOR    record the current spec of VENDOR as a release (specs/releases/VENDOR/<version>.json)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import build, releases
from .tools import DIST, PublishError, rel, specs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m publisher", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", default="build", choices=["build", "gate", "release"])
    parser.add_argument("vendor", nargs="?", help="for release: the vendor whose spec is released")
    parser.add_argument(
        "--step", action="append", choices=build.STEPS, help="build only these steps (repeatable)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            for line in build.publish(DIST, tuple(args.step or build.STEPS)):
                print(line)
            return 0
        if args.command == "gate":
            failed = False
            for spec in specs():
                verdict = releases.judge(
                    spec.vendor, build.published_bundle(spec), releases.last_release(spec.vendor)
                )
                base = "unreleased" if verdict.release is None else f"release {verdict.release.version}"
                state = "changed" if verdict.changed else "unchanged"
                print(
                    f"{spec.vendor} {verdict.version} vs {base}: {state}, "
                    f"{len(verdict.diff.breaking)} breaking, {len(verdict.diff.changes)} operation change(s)"
                )
                for problem in verdict.problems:
                    print(f"  FAIL {problem}")
                failed |= not verdict.ok
            return 1 if failed else 0
        known = {s.vendor: s for s in specs()}
        if args.vendor not in known:
            parser.error(f"release needs a vendor: one of {', '.join(known)}")
        path = releases.record(args.vendor, build.published_bundle(known[args.vendor]))
        print(f"recorded {rel(path)}: commit it (git add {rel(path)} && git commit)")
        return 0
    except PublishError as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
