"""The environment the command-line tests run the console script in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sellerkit._core.registry import vendor_names


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A user's environment: own journal and config, no vendor credentials from the developer's shell."""
    vendors = tuple(f"{name.upper()}_" for name in vendor_names())
    clean = {k: v for k, v in os.environ.items() if not k.startswith(vendors)}
    clean.update(
        SELLERKIT_STATE_DIR=str(tmp_path / "state"),
        SELLERKIT_CONFIG=str(tmp_path / "config.toml"),
        COLUMNS="120",
    )
    return clean
