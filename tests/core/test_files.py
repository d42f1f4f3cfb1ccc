"""The destination rule (files.py): folders vs file paths, never replacing a file, atomic placement."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sellerkit._core.errors import ConfigurationError
from sellerkit._core.files import free_name, numbered, place, resolve, write_atomically


def test_trailing_slash_means_a_folder_created_with_parents(tmp_path: Path) -> None:
    target = resolve(f"{tmp_path}/a/b/exports/")
    assert target.is_folder and target.folder == tmp_path / "a" / "b" / "exports"
    assert target.folder.is_dir()


def test_existing_folder_without_slash_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    assert resolve(tmp_path / "exports").is_folder


def test_missing_path_without_slash_is_a_file_path_parents_created(tmp_path: Path) -> None:
    target = resolve(tmp_path / "new" / "stocks.xlsx")
    assert target.path == tmp_path / "new" / "stocks.xlsx" and (tmp_path / "new").is_dir()


def test_existing_file_is_refused_unless_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "stocks.xlsx"
    existing.write_bytes(b"earlier")
    with pytest.raises(ConfigurationError, match="overwrite=True"):
        resolve(existing)
    assert resolve(existing, overwrite=True).path == existing
    assert existing.read_bytes() == b"earlier"  # resolving never touches the file


def test_a_file_where_a_folder_is_needed_names_it(tmp_path: Path) -> None:
    (tmp_path / "exports").write_bytes(b"x")
    with pytest.raises(ConfigurationError, match="is a file"):
        resolve(f"{tmp_path}/exports/")


@pytest.mark.parametrize("bad", ["", 42, None])
def test_bad_dest_is_a_configuration_error(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        resolve(bad)  # type: ignore[arg-type]


def test_numbered_names() -> None:
    assert numbered("report.csv", 0) == "report.csv"
    assert numbered("report.csv", 2) == "report (2).csv"
    assert numbered("README", 1) == "README (1)"
    assert numbered("archive.tar.gz", 1) == "archive.tar (1).gz"


def test_free_name_skips_taken_names(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"1")
    (tmp_path / "a (1).csv").write_bytes(b"2")
    assert free_name(tmp_path, "a.csv") == tmp_path / "a (2).csv"


def test_place_numbers_in_folder_mode_and_refuses_in_file_mode(tmp_path: Path) -> None:
    final = tmp_path / "out.csv"
    final.write_bytes(b"first")
    part = tmp_path / "out.csv.sellerkit-part"
    part.write_bytes(b"second")
    assert place(part, final, overwrite=False, number=True) == tmp_path / "out (1).csv"
    assert final.read_bytes() == b"first"
    part.write_bytes(b"third")
    with pytest.raises(ConfigurationError, match="appeared while downloading"):
        place(part, final, overwrite=False, number=False)
    assert part.exists() and final.read_bytes() == b"first"  # nothing lost on either side
    assert place(part, final, overwrite=True, number=False) == final and final.read_bytes() == b"third"


def test_write_atomically_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = write_atomically(tmp_path / "f.bin", b"data", overwrite=False)
    assert path.read_bytes() == b"data"
    assert sorted(os.listdir(tmp_path)) == ["f.bin"]
