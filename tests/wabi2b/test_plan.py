"""Bad input is refused before any request; chunking and the resumable state file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sellerkit._core.errors import ConfigurationError
from sellerkit.wabi2b._plan import BulkState, DuplicateGtinWarning, check_format, chunk, validate_gtins

G = [f"{i:014d}" for i in range(5)]


@pytest.mark.parametrize(
    ("gtins", "message"),
    [
        ([], "no GTINs given"),
        (["123"], "exactly 14 digits"),
        (["0002500004021X"], "exactly 14 digits"),
        (["\uff10" * 14], "exactly 14 digits"),  # full-width digits are digits, but not ASCII
        ([25000040210], "is a int, not a string"),
        ("00025000040210", "not a single string"),
    ],
)
def test_invalid_gtins_are_refused_with_the_fix(gtins: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        validate_gtins(gtins)  # type: ignore[arg-type]


def test_many_invalid_gtins_are_summarised() -> None:
    with pytest.raises(ConfigurationError, match=r"12 invalid GTIN\(s\).*and 7 more.*leading zeros"):
        validate_gtins(["1"] * 12)


def test_duplicates_are_removed_with_a_warning_keeping_order() -> None:
    with pytest.warns(DuplicateGtinWarning, match="2 duplicate GTIN"):
        assert validate_gtins([G[1], G[0], G[1], G[0]]) == [G[1], G[0]]


def test_format_is_checked() -> None:
    assert check_format("csv") == "csv"
    with pytest.raises(ConfigurationError, match="'json' or 'csv'"):
        check_format("xlsx")


def test_chunks_respect_the_10000_limit() -> None:
    gtins = [f"{i:014d}" for i in range(25_001)]
    assert [len(c) for c in chunk(gtins)] == [10_000, 10_000, 5_001]
    assert [g for c in chunk(gtins) for g in c] == gtins


def test_state_file_survives_a_restart_and_detects_tampered_files(tmp_path: Path) -> None:
    state = BulkState.load_or_create(tmp_path, G, "json")
    state.chunks[0].reference = "cb-1"
    (tmp_path / "f.json").write_bytes(b"[]")
    state.chunks[0].file, state.chunks[0].size = "f.json", 2
    state.chunks[0].sha256 = hashlib.sha256(b"[]").hexdigest()
    state.save()
    again = BulkState.load_or_create(tmp_path, G, "json")
    assert again.chunks[0].reference == "cb-1" and again.done_file(0) == tmp_path / "f.json"
    (tmp_path / "f.json").write_bytes(b"{}")
    assert again.done_file(0) is None
    # other GTINs or another format: a different state
    assert BulkState.load_or_create(tmp_path, G, "csv").chunks[0].reference is None
    assert BulkState.load_or_create(tmp_path, G[:3], "json").chunks[0].reference is None
