"""Shared pytest setup: repository paths; every test gets its own job journal folder."""

from __future__ import annotations

from pathlib import Path

import pytest

# the simulator fixtures come from the installed sellerkit[testing] pytest plugin (sellerkit.testing.plugin)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # the job journal must never read or write the developer's real state folder
    monkeypatch.setenv("SELLERKIT_STATE_DIR", str(tmp_path_factory.mktemp("state")))
