"""JSON and CSV bulk-download files parse into the same typed rows (docs' own examples included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sellerkit.wabi2b._rows import PayloadError, iter_csv_rows, iter_json_rows, iter_rows
from sellerkit.wabi2b_api.payloads.products import MediaType, Product
from tests.conftest import ROOT

DOCS = (ROOT.parent / "shared" / "vendor-docs" / "003_ecfc890c38ed19fd.txt").read_text()
# the two example payloads exactly as printed in the docs
DOCS_JSON = (
    DOCS.split("Example JSON Response Payload", 1)[1].split("Example CSV Response Payload", 1)[0].strip()
)
DOCS_CSV = DOCS.split("Example CSV Response Payload", 1)[1].strip() + "\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_docs_json_and_csv_examples_give_the_same_row(tmp_path: Path) -> None:
    (from_json,) = iter_json_rows(_write(tmp_path, "p.json", DOCS_JSON))
    (from_csv,) = iter_csv_rows(_write(tmp_path, "p.csv", DOCS_CSV))
    assert from_json.product == from_csv.product == "00025000040295"
    assert from_json.product_name is None and from_csv.product_name is None
    assert from_json.brand == from_csv.brand == "Super Chips Co"
    assert from_json.in_my_catalog is False and from_csv.in_my_catalog is False
    # the CSV's flattened media1-url…/spec1-name… columns fold back into the same lists
    assert from_csv.media == from_json.media
    assert isinstance(from_csv.specs, list)
    assert [(s.name, s.value) for s in from_csv.specs] == [("Unit Of Measure", "oz"), ("Unit Size", "12")]
    assert from_csv.specs == from_json.specs
    assert from_json.media[0].type is MediaType.PRODUCT_IMAGE  # type: ignore[index]


def test_csv_quoting_short_rows_and_unknown_enum_values(tmp_path: Path) -> None:
    csv_text = (
        "product,brand,publishStatus,media1-url,media1-type,spec1-name,spec1-value\n"
        '00000000000001,"Brand, ""Quoted""",Archived,https://x/1.jpg,Product Video,Size,"12, large"\n'
        "00000000000002,Plain\n"
    )
    first, second = iter_csv_rows(_write(tmp_path, "p.csv", csv_text))
    assert first.brand == 'Brand, "Quoted"'
    assert first.publish_status == "Archived" and not first.publish_status.is_known
    assert isinstance(first.media, list) and isinstance(first.specs, list)
    assert first.media[0].type == "Product Video"
    assert first.specs[0].value == "12, large"
    assert second.brand == "Plain" and second.media == [] and second.specs == []
    assert second.publish_status is None


def test_json_rows_stream_and_stop_early_without_leaking_the_mapping(tmp_path: Path) -> None:
    rows = [{"product": f"{i:014d}", "brand": None} for i in range(1000)]
    path = _write(tmp_path, "p.json", json.dumps(rows))
    it = iter_json_rows(path)
    assert [next(it).product for _ in range(3)] == [f"{i:014d}" for i in range(3)]
    it.close()  # must not raise BufferError (Raw views released before the map closes)
    assert sum(1 for _ in iter_rows(path, "json")) == 1000


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.json", "", "empty file"),
        ("object.json", '{"product": "1"}', "not a JSON array"),
        ("bad.json", '[{"product": 5}]', "product #0"),
        ("empty.csv", "", "empty file"),
        ("nogtin.csv", "brand\nX\n", "no 'product' column"),
    ],
)
def test_malformed_files_raise_payload_error(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(PayloadError, match=message):
        list(iter_rows(path, name.rsplit(".", 1)[1]))


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PayloadError, match="expected 'json' or 'csv'"):
        iter_rows(tmp_path / "x.xml", "xml")


def test_rows_are_the_generated_payload_type(tmp_path: Path) -> None:
    (row,) = iter_json_rows(_write(tmp_path, "p.json", DOCS_JSON))
    assert type(row) is Product
