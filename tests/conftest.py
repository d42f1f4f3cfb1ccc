"""Shared pytest setup: repository paths."""

from __future__ import annotations

from pathlib import Path

pytest_plugins = ["tests.simulators.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
