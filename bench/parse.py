"""Parsing a 100,000-product Wabi2b file: typed rows vs the standard library, JSON and CSV.

The files come from the Wabi2b simulator's renderer (`render_file`), so they carry the documented quirks:
null and absent fields, 0-3 media and 0-5 specs per product, commas, quotes, non-ASCII and newlines in text.

- JSON: `sellerkit.wabi2b._rows.iter_json_rows` (every `Product` consumed) vs `json.load` of the same file;
- CSV: `iter_csv_rows` (media/spec columns folded back into typed lists) vs consuming `csv.DictReader`.

The four runs interleave over ROUNDS rounds; each ratio is taken per round, its median reported.
"""

from __future__ import annotations

import collections
import csv
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path

from bench._common import Figure, Goal, at_most, interleaved, ratios, rounds, timed

PRODUCTS = 100_000
ROUNDS = 5

GOALS: dict[str, Goal] = {
    "json_parse_ratio_vs_json_load": at_most(1.0),
    "csv_parse_ratio_vs_dictreader": at_most(1.5),
}


def _consume(rows: Iterable[object]) -> None:
    collections.deque(rows, maxlen=0)


def run() -> dict[str, Figure]:
    from sellerkit.testing.wabi2b import render_file
    from sellerkit.wabi2b._rows import iter_csv_rows, iter_json_rows

    gtins = [f"{7_000_000_000_000 + i * 7:014d}" for i in range(PRODUCTS)]
    with tempfile.TemporaryDirectory(prefix="sellerkit-bench-parse-") as tmp:
        json_path, csv_path = Path(tmp) / "products.json", Path(tmp) / "products.csv"
        json_path.write_bytes(render_file(gtins, "json").data)
        csv_path.write_bytes(render_file(gtins, "csv").data)

        # both sides parse the same files completely
        assert sum(1 for _ in iter_json_rows(json_path)) == PRODUCTS
        assert sum(1 for _ in iter_csv_rows(csv_path)) == PRODUCTS

        def json_load() -> None:
            with json_path.open("rb") as fh:
                assert len(json.load(fh)) == PRODUCTS

        def dict_reader() -> None:
            with csv_path.open(newline="", encoding="utf-8") as fh:
                _consume(csv.DictReader(fh))

        t = interleaved(
            {
                "json_typed": lambda: timed(lambda: _consume(iter_json_rows(json_path))),
                "json_load": lambda: timed(json_load),
                "csv_typed": lambda: timed(lambda: _consume(iter_csv_rows(csv_path))),
                "csv_dictreader": lambda: timed(dict_reader),
            },
            ROUNDS,
        )
        json_mb, csv_mb = json_path.stat().st_size / 1e6, csv_path.stat().st_size / 1e6
    return {
        "parse_json_file_mb": round(json_mb, 1),
        "parse_json_typed_s": rounds(t["json_typed"]),
        "parse_json_load_s": rounds(t["json_load"]),
        "json_parse_ratio_vs_json_load": rounds(ratios(t["json_typed"], t["json_load"])),
        "parse_csv_file_mb": round(csv_mb, 1),
        "parse_csv_typed_s": rounds(t["csv_typed"]),
        "parse_csv_dictreader_s": rounds(t["csv_dictreader"]),
        "csv_parse_ratio_vs_dictreader": rounds(ratios(t["csv_typed"], t["csv_dictreader"])),
    }
