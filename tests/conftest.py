"""Shared pytest setup: repository paths; every test gets its own job journal folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import RedisServer, running

# the simulator fixtures come from the installed sellerkit[testing] pytest plugin (sellerkit.testing.plugin)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # the job journal must never read or write the developer's real state folder
    monkeypatch.setenv("SELLERKIT_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    # nor share quotas or jobs through a Redis the developer's shell points at
    for name in ("SELLERKIT_REDIS_URL", "SELLERKIT_REDIS_SECRET", "SELLERKIT_REDIS_FALLBACK"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session (tests flush what they need; restart tests use their own)."""
    with running(tmp_path_factory.mktemp("redis")) as server:
        yield server
