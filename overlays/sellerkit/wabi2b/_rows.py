"""Typed rows from a downloaded Wabi2b bulk-download file: JSON and CSV into the same `Product` type."""

from __future__ import annotations

import csv
import mmap
import re
from collections.abc import Callable, Generator, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from sellerkit._core.errors import SellerkitError
from sellerkit.wabi2b_api.payloads import products as payload
from sellerkit.wabi2b_api.payloads.products import Product

__all__ = ["iter_csv_rows", "iter_json_rows", "iter_rows"]

_ROW = msgspec.json.Decoder(Product)
# Raw items are zero-copy views into the mapped file: splitting costs one pass and no row objects
_ITEMS = msgspec.json.Decoder(list[msgspec.Raw])
_FLATTENED = re.compile(r"^(media|spec)(\d+)-(url|type|name|value)$")
_E = TypeVar("_E", bound=StrEnum)


class PayloadError(SellerkitError, ValueError):
    """A downloaded file does not have the documented shape."""


def iter_json_rows(path: Path) -> Generator[Product]:
    """Yield products from a JSON file, one at a time: the file is memory-mapped, never read whole."""
    with path.open("rb") as fh:
        if fh.seek(0, 2) == 0:
            raise PayloadError(f"{path.name}: empty file (expected a JSON array of products)")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            try:
                items = _ITEMS.decode(mapped)
            except msgspec.DecodeError as exc:
                raise PayloadError(f"{path.name}: not a JSON array of products ({exc})") from None
            # pop each view as it is decoded: no reference may outlive the mapping, and memory shrinks
            items.reverse()
            index = 0
            try:
                while items:
                    try:
                        product = _ROW.decode(items.pop())
                    except msgspec.DecodeError as exc:
                        raise PayloadError(f"{path.name}: product #{index}: {exc}") from None
                    index += 1
                    yield product
            finally:
                items.clear()


def _enum_lookup(enum: type[_E]) -> Callable[[str], _E]:
    cache: dict[str, _E] = {}

    def convert(value: str) -> _E:
        member = cache.get(value)
        if member is None:  # unknown values become UNKNOWN pseudo-members (generated _missing_)
            member = cache[value] = enum(value)
        return member

    return convert


_media_type = _enum_lookup(payload.MediaType)
_save_status = _enum_lookup(payload.LastSaveStatus)
_publish_status = _enum_lookup(payload.PublishStatus)
_BOOLS = {"true": True, "false": False, "True": True, "False": False, "TRUE": True, "FALSE": False}


class _CsvLayout:
    """Column positions of one CSV header, so each row is folded back without per-row lookups."""

    def __init__(self, header: list[str], name: str) -> None:
        index = {column: i for i, column in enumerate(header)}
        if "product" not in index:
            raise PayloadError(f"{name}: CSV header has no 'product' column: {header[:12]}")
        self.width = len(header)
        self.scalars = index
        pairs: dict[tuple[str, int], dict[str, int]] = {}
        for column, i in index.items():
            if match := _FLATTENED.match(column):
                pairs.setdefault((match[1], int(match[2])), {})[match[3]] = i
        self.media = [
            (p.get("url"), p.get("type")) for (kind, _), p in sorted(pairs.items()) if kind == "media"
        ]
        self.specs = [
            (p.get("name"), p.get("value")) for (kind, _), p in sorted(pairs.items()) if kind == "spec"
        ]

    def product(self, row: list[str]) -> Product:
        if len(row) < self.width:  # short rows: missing trailing cells are empty
            row = row + [""] * (self.width - len(row))
        get = self.scalars.get
        fields: dict[str, Any] = {}
        for column, attr in _TEXT:
            i = get(column)
            if i is not None:
                fields[attr] = row[i] or None  # CSV can't tell null from empty: both are None
        for column, attr in _FLAGS:
            i = get(column)
            if i is not None and row[i]:
                fields[attr] = _BOOLS.get(row[i], row[i])
        for column, attr, convert in _ENUMS:
            i = get(column)
            if i is not None:
                fields[attr] = convert(row[i]) if row[i] else None
        if self.media:
            fields["media"] = [
                payload.Media(type=_media_type(row[t]), url=row[u])
                for u, t in self.media
                if u is not None and t is not None and (row[u] or row[t])
            ]
        if self.specs:
            fields["specs"] = [
                payload.Spec(name=row[n], value=row[v])
                for n, v in self.specs
                if n is not None and v is not None and (row[n] or row[v])
            ]
        return Product(product=row[self.scalars["product"]], **fields)


_TEXT = (
    ("productName", "product_name"),
    ("productDescription", "product_description"),
    ("brand", "brand"),
    ("category", "category"),
    ("failedReason", "failed_reason"),
    ("rejectionReason", "rejection_reason"),
)
_FLAGS = (("ownsProductMasterData", "owns_product_master_data"), ("inMyCatalog", "in_my_catalog"))
_ENUMS: tuple[tuple[str, str, Callable[[str], StrEnum]], ...] = (
    ("lastSaveStatus", "last_save_status", _save_status),
    ("publishStatus", "publish_status", _publish_status),
)


def iter_csv_rows(path: Path) -> Generator[Product]:
    """Yield products from a CSV file, folding `media1-url…`/`spec1-name…` columns back into lists."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise PayloadError(f"{path.name}: empty file (expected a CSV header row)")
        layout = _CsvLayout(header, path.name)
        for row in reader:
            if row:
                yield layout.product(row)


def iter_rows(path: Path, file_format: str) -> Iterator[Product]:
    """Rows of a downloaded file in either documented format."""
    if file_format == "json":
        return iter_json_rows(path)
    if file_format == "csv":
        return iter_csv_rows(path)
    raise PayloadError(f"unknown file format {file_format!r}: expected 'json' or 'csv'")
