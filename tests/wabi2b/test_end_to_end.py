"""Wabi2b bulk download end to end against the simulator over real sockets, sync and async as pairs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import Wabi2bSimulator
from sellerkit.wabi2b import BulkProgress, Product
from tests.wabi2b.conftest import bulk_rows

GTINS = [f"{i:014d}" for i in range(1, 26)]


def run_bulk(
    mode: str, sim: Wabi2bSimulator, clock: ScaledClock, gtins: list[str], **kw: Any
) -> list[Product]:
    """One bulk download through the sync or the async client; returns every row."""
    return bulk_rows(mode, sim, clock, gtins, **kw)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_bulk_download_yields_typed_rows_and_keeps_identical_files(
    mode: str, file_format: str, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    events: list[BulkProgress] = []
    rows = run_bulk(
        mode, wabi2b_sim, sim_clock, GTINS, format=file_format, dest=tmp_path, on_progress=events.append
    )
    assert [r.product for r in rows] == GTINS
    assert all(isinstance(r, Product) for r in rows)
    files = sorted(tmp_path.glob(f"wabi2b-*.{file_format}"))
    assert len(files) == 1
    expected = wabi2b_sim.expected_file(GTINS, file_format)
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == hashlib.sha256(expected.data).hexdigest()
    assert events[0].stage == "submitted" and events[-1].stage == "downloaded"
    assert not list(tmp_path.glob("*.sellerkit-part"))
