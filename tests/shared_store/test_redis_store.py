"""`RedisStore` against a real redis-server: the same windows as the in-process counter, atomic under
contention, credentials only as keyed hashes, keys that expire, clear errors, the fallback, job records and
claims. Sync and async run as pairs."""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from sellerkit import RedisStore
from sellerkit._core import redis_store
from sellerkit._core.errors import ConfigurationError, StoreError, StoreUnavailableError
from sellerkit._core.journal import Journal, Record
from sellerkit._core.quota import LocalCounter, Quota, QuotaCounter, Ticket
from sellerkit.testing.framework import ScaledClock
from sellerkit.testing.wabi2b import Wabi2bSimulator
from sellerkit.wabi2b import AsyncWabi2bClient, Wabi2bClient
from tests.redis_server import RedisServer, running
from tests.shared_store.worker import hooks

MODES = pytest.mark.parametrize("mode", ["sync", "async"])
WINDOWS = (Quota(3, 10.0), Quota(5, 100.0))
SECRET_KEY = "sk-live-7f3a9c1e-do-not-log"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _store(server: RedisServer, **options: Any) -> RedisStore:
    return RedisStore(server.url, namespace=f"t{uuid.uuid4().hex[:8]}", **options)


def _take(counter: QuotaCounter, mode: str) -> tuple[float, Ticket | None, Quota | None]:
    return counter.take() if mode == "sync" else asyncio.run(counter.take_async())


def _restart(counter: QuotaCounter, ticket: Ticket, mode: str) -> None:
    if mode == "sync":
        counter.restart(ticket)
    else:
        asyncio.run(counter.restart_async(ticket))


@MODES
def test_redis_windows_match_the_in_process_counter(mode: str, redis_server: RedisServer) -> None:
    """500 random takes, restarts and clock steps give the same grants and the same waits (to 1 µs) in Redis
    as in the in-process sliding-window log."""
    clock = Clock()
    local = LocalCounter(WINDOWS, clock)
    shared = _store(redis_server).counter("acme", "key-1", WINDOWS, clock)
    rng = random.Random(7)
    held: list[tuple[Ticket, Ticket]] = []
    waits = 0
    for _ in range(500):
        step = rng.random()
        if step < 0.5:
            mine, theirs = local.take(), _take(shared, mode)
            assert (mine[1] is None) == (theirs[1] is None)
            assert theirs[0] == pytest.approx(mine[0], abs=1e-6)
            assert theirs[2] == mine[2]
            if mine[1] is not None and theirs[1] is not None:
                held.append((mine[1], theirs[1]))
            else:
                waits += 1
        elif step < 0.7 and held:
            mine_ticket, their_ticket = held.pop(rng.randrange(len(held)))
            local.restart(mine_ticket)
            _restart(shared, their_ticket, mode)
        else:
            clock.now += rng.choice((0.25, 1.0, 3.0, 9.999, 10.0, 40.0))
    assert waits > 50  # the windows were full often enough to compare waits, not only grants


def test_two_stores_on_one_redis_share_a_counter_and_namespaces_do_not(redis_server: RedisServer) -> None:
    clock = Clock()
    first = _store(redis_server)
    second = RedisStore(redis_server.url, namespace=first.namespace)
    other = _store(redis_server)
    counters = [s.counter("acme", "key-2", (Quota(2, 60.0),), clock) for s in (first, second)]
    assert counters[0].take()[1] is not None and counters[1].take()[1] is not None
    assert counters[0].take()[1] is None and counters[1].take()[0] == pytest.approx(60.0)
    assert other.counter("acme", "key-2", (Quota(2, 60.0),), clock).take()[1] is not None
    assert first.counter("acme", "key-3", (Quota(2, 60.0),), clock).take()[1] is not None


def test_no_two_takers_get_the_last_slot(redis_server: RedisServer) -> None:
    """16 threads, each with its own connection, race for 50 slots: exactly 50 grants."""
    store = _store(redis_server)
    granted: list[Ticket] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def race() -> None:
        counter = RedisStore(redis_server.url, namespace=store.namespace).counter(
            "acme", "key-4", (Quota(50, 3600.0),), None
        )
        barrier.wait(10)
        for _ in range(20):
            _, ticket, _ = counter.take()
            if ticket is not None:
                with lock:
                    granted.append(ticket)

    threads = [threading.Thread(target=race) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(granted) == 50 and len(set(granted)) == 50


def test_redis_time_is_the_clock_without_an_injected_one(redis_server: RedisServer) -> None:
    counter = _store(redis_server).counter("acme", "key-5", (Quota(1, 0.5),), None)
    assert counter.take()[1] is not None
    wait, ticket, full = counter.take()
    assert ticket is None and full == Quota(1, 0.5) and 0.3 < wait <= 0.5
    time.sleep(wait + 0.05)
    assert counter.take()[1] is not None


def test_the_credential_is_stored_only_as_a_keyed_hash(redis_server: RedisServer) -> None:
    store = _store(redis_server, secret="team-secret")
    store.counter("acme", SECRET_KEY, WINDOWS, None).take()
    store.put(Record("acme", "f" * 32, "export", "job-1", time.time()), 60.0)
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        keys = sorted(client.scan_iter(match=f"{store.namespace}:*"))
        stored = " ".join(keys) + " " + " ".join(str(client.dump(k)) for k in keys)
        assert len(keys) == 4 and SECRET_KEY not in stored and "sk-live" not in stored
        assert any(store.digest(f"acme:{SECRET_KEY}") in k for k in keys)
        # another secret, another name: a Redis reader can't test guesses without the secret
        assert RedisStore(redis_server.url, secret="other").digest(SECRET_KEY) != store.digest(SECRET_KEY)
        assert SECRET_KEY not in repr(store.counter("acme", SECRET_KEY, WINDOWS, None))
    finally:
        client.close()


def test_keys_expire_with_their_windows(redis_server: RedisServer) -> None:
    store = _store(redis_server)
    store.counter("acme", "key-6", (Quota(5, 30.0), Quota(9, 120.0)), None).take()
    store.put(Record("acme", "a" * 32, "export", "job-2", time.time()), 45.0)
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        ttls = {k.split(":")[-1]: client.pttl(k) for k in client.scan_iter(match=f"{store.namespace}:*")}
    finally:
        client.close()
    window_keys = [ttl for name, ttl in ttls.items() if name not in ("epoch", "a" * 32)]
    assert window_keys and all(110_000 < ttl <= 121_000 for ttl in window_keys)  # the longest window, + 1 s
    assert 40_000 < ttls["a" * 32] <= 45_000  # a job record: the journal's max_age left
    assert ttls["epoch"] == -1  # tiny, kept: it is how a client notices a Redis that lost its data


def test_other_quotas_for_the_same_credential_are_refused(redis_server: RedisServer) -> None:
    store = _store(redis_server)
    store.counter("acme", "key-7", WINDOWS, None).take()
    with pytest.raises(ConfigurationError, match="same quotas"):
        store.counter("acme", "key-7", (Quota(99, 10.0),), None).take()


def test_a_redis_that_lost_its_counters_stops_the_client(tmp_path: Path) -> None:
    """Flushed (or restarted without persistence) mid-run: the counter raises rather than start over."""
    with running(tmp_path / "redis", persist=False) as server:
        counter = RedisStore(server.url).counter("acme", "key-8", WINDOWS, None)
        assert counter.take()[1] is not None
        server.restart()
        with pytest.raises(StoreError, match="lost its quota counters") as caught:
            counter.take()
        assert "appendonly yes" in str(caught.value) and caught.value.url == server.url
        # a new process (a new counter) starts counting afresh
        assert RedisStore(server.url).counter("acme", "key-8", WINDOWS, None).take()[1] is not None


@pytest.fixture
def stopped(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis that was started once (so its port is known) and is down now."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    server.stop()
    yield server
    server.stop()


@MODES
def test_an_unreachable_redis_fails_before_any_vendor_request(
    mode: str, stopped: RedisServer, wabi2b_sim: Wabi2bSimulator, sim_clock: ScaledClock, tmp_path: Path
) -> None:
    store = RedisStore(stopped.url.replace("redis://", "redis://:hunter2@"), reconnect=0.2)
    options: dict[str, Any] = {
        "jwt": wabi2b_sim.jwt(),
        "api_key": wabi2b_sim.api_key,
        "base_url": wabi2b_sim.base_url,
        "quota_store": store,
    }
    from sellerkit.testing.clients import make_client

    with pytest.raises(StoreUnavailableError) as caught:
        if mode == "sync":
            with make_client(Wabi2bClient, hooks=hooks(sim_clock), **options) as client:
                list(client.bulk_download(["00000000000001"], dest=tmp_path))
        else:

            async def main() -> None:
                async with make_client(AsyncWabi2bClient, hooks=hooks(sim_clock), **options) as client:
                    async for _ in client.bulk_download(["00000000000001"], dest=tmp_path):
                        pass

            asyncio.run(main())
    message = str(caught.value)
    assert "unreachable" in message and 'fallback="local"' in message
    assert "SELLERKIT_REDIS_FALLBACK" in message
    assert "hunter2" not in message and "hunter2" not in repr(store) and "hunter2" not in caught.value.url
    assert len(wabi2b_sim.requests) == 0


@MODES
def test_the_local_fallback_warns_counts_here_and_returns_to_redis(
    mode: str, stopped: RedisServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(redis_store, "RETRY_AFTER_FALLBACK", 0.0)  # try Redis again on the next take
    clock = Clock()
    store = RedisStore(stopped.url, fallback="local", reconnect=0.2)
    counter = store.counter("acme", "key-9", (Quota(2, 60.0),), clock)
    with caplog.at_level(logging.WARNING, logger="sellerkit.store"):
        first = _take(counter, mode)
        second = _take(counter, mode)
        third = _take(counter, mode)
    assert isinstance(first[1], float) and isinstance(second[1], float)  # local grants
    assert third[1] is None and third[0] == pytest.approx(60.0)  # the local window is just as exact
    assert sum("counting in this process only" in r.getMessage() for r in caplog.records) == 1
    stopped.start()
    with caplog.at_level(logging.WARNING, logger="sellerkit.store"):
        back = _take(counter, mode)
    assert isinstance(back[1], str)
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_fallback_can_be_allowed_by_environment(
    monkeypatch: pytest.MonkeyPatch, stopped: RedisServer
) -> None:
    monkeypatch.setenv("SELLERKIT_REDIS_FALLBACK", "local")
    assert RedisStore(stopped.url).fallback == "local"
    monkeypatch.setenv("SELLERKIT_REDIS_FALLBACK", "yes")
    with pytest.raises(ConfigurationError, match='"error" or "local"'):
        RedisStore(stopped.url)


def test_job_records_and_claims(redis_server: RedisServer) -> None:
    store = _store(redis_server, claim_seconds=0.3)
    other = RedisStore(redis_server.url, namespace=store.namespace)
    journal = Journal(store=store)
    assert journal.claim_seconds == 0.3
    token = store.claim("acme", "k1", 0.3)
    assert token is not None and other.claim("acme", "k1", 0.3) is None
    other.unclaim("acme", "k1", "not-the-token")  # only the holder's token ends a claim
    assert store.claim("acme", "k1", 0.3) is None
    record = journal.started("acme", "k1", "export", "job-7")  # recording the job ends the claim
    assert other.claim("acme", "k1", 0.3) is not None
    assert Journal(store=other).find("acme", "k1") == record
    assert [(r.vendor, r.reference) for r in Journal(store=other).records("acme")] == [("acme", "job-7")]
    held = store.claim("acme", "k2", 0.3)
    assert held is not None
    time.sleep(0.4)  # a killed holder's claim lapses
    assert other.claim("acme", "k2", 0.3) is not None
    journal.forget("acme", "k1")
    assert journal.find("acme", "k1") is None


def test_bad_configuration_is_refused_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="redis:// or rediss://"):
        RedisStore("http://localhost:6379")
    with pytest.raises(ConfigurationError, match="SELLERKIT_REDIS_URL"):
        RedisStore()
    with pytest.raises(ConfigurationError, match="namespace"):
        RedisStore("redis://localhost", namespace="a b")
    with pytest.raises(ConfigurationError, match="claim_seconds"):
        RedisStore("redis://localhost", claim_seconds=0)
    with pytest.raises(ConfigurationError, match="quota_store must be a store"):
        Wabi2bClient(jwt="a.b.c", api_key="k", quota_store="redis://localhost")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="not both"):
        Wabi2bClient(
            jwt="a.b.c", api_key="k", journal=Journal(), journal_store=RedisStore("redis://localhost")
        )
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'sellerkit\[redis\]'"):
        RedisStore("redis://localhost")


def test_the_environment_selects_redis_for_both(
    monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer
) -> None:
    monkeypatch.setenv("SELLERKIT_REDIS_URL", redis_server.url)
    with Wabi2bClient(jwt="a.b.c", api_key="k") as client:
        assert isinstance(client.quota_store, RedisStore) and client.journal.store is client.quota_store
    with Wabi2bClient(jwt="a.b.c", api_key="k") as again:
        assert again.quota_store is client.quota_store  # one store (one pool) per URL and process
