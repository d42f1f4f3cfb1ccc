"""Parsing a 100,000-product Wabi2b file: typed rows vs the standard library, JSON and CSV.

The files come from the Wabi2b simulator's renderer (`render_file`), so they carry the documented quirks:
null and absent fields, 0-3 media and 0-5 specs per product, commas, quotes, non-ASCII and newlines in text.

- JSON: `sellerkit.wabi2b._rows.iter_json_rows` (every `Product` consumed) vs `json.load` of the same file;
- CSV: `iter_csv_rows` (media/spec columns folded back into typed lists) vs consuming `csv.DictReader`.
"""

from __future__ import annotations

import collections
import csv
import json
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bench._common import Goal, at_most

PRODUCTS = 100_000
REPEATS = 5

GOALS: dict[str, Goal] = {
    "json_parse_ratio_vs_json_load": at_most(1.0),
    "csv_parse_ratio_vs_dictreader": at_most(1.5),
}


def _consume(rows: Iterable[object]) -> None:
    collections.deque(rows, maxlen=0)


def _best(pair: tuple[Callable[[], object], Callable[[], object]]) -> tuple[float, float]:
    """Min wall seconds of each of the two, over REPEATS interleaved runs (order alternating)."""
    best = [float("inf"), float("inf")]
    for i in range(REPEATS):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for side in order:
            start = time.perf_counter()
            pair[side]()
            best[side] = min(best[side], time.perf_counter() - start)
    return best[0], best[1]


def run() -> dict[str, float]:
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

        json_typed, json_std = _best((lambda: _consume(iter_json_rows(json_path)), json_load))
        csv_typed, csv_std = _best((lambda: _consume(iter_csv_rows(csv_path)), dict_reader))
        json_mb, csv_mb = json_path.stat().st_size / 1e6, csv_path.stat().st_size / 1e6
    return {
        "parse_json_file_mb": round(json_mb, 1),
        "parse_json_typed_s": round(json_typed, 3),
        "parse_json_load_s": round(json_std, 3),
        "json_parse_ratio_vs_json_load": round(json_typed / json_std, 3),
        "parse_csv_file_mb": round(csv_mb, 1),
        "parse_csv_typed_s": round(csv_typed, 3),
        "parse_csv_dictreader_s": round(csv_std, 3),
        "csv_parse_ratio_vs_dictreader": round(csv_typed / csv_std, 3),
    }
