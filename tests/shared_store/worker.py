"""One worker process of the shared-store tests (and `make bench`): a Wabi2b client on the simulator's scaled
clock, quotas and journal in Redis, running one `bulk_download` and reporting what it got as JSON.

Run as `python -m tests.shared_store.worker SPEC_JSON`; it prints "ready", waits for a line on stdin (so every
worker starts at once), works, prints one JSON line: rows, products digest, sim start/finish, error.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from dataclasses import dataclass
from typing import Any, TypedDict

from sellerkit import RedisStore
from sellerkit.testing.clients import make_client
from sellerkit.testing.framework import ScaledClock
from sellerkit.wabi2b import AsyncWabi2bClient, Wabi2bClient


@dataclass
class Spec:
    base_url: str
    jwt: str
    api_key: str
    redis_url: str  # "" = no shared store: this process's own quotas and the file journal, as before
    namespace: str
    clock: tuple[float, float, float]  # the simulator's `ScaledClock.origin`
    gtins: list[str]
    dest: str
    chunk_size: int = 10_000
    mode: str = "sync"
    fallback: str = "error"


class Report(TypedDict):
    rows: int
    digest: str  # SHA-256 over the rows' GTINs, one per line, in the order they came
    started: float  # simulated seconds
    finished: float
    error: str | None


def hooks(clock: ScaledClock) -> dict[str, Any]:
    # no limiter hook: the client asks its quota store (Redis) for the counter of its API key
    return {"clock": clock.now, "wall_clock": clock.now, "sleep": clock.sleep, "async_sleep": clock.asleep}


def run(spec: Spec) -> Report:
    clock = ScaledClock.following(spec.clock)
    store = (
        RedisStore(spec.redis_url, namespace=spec.namespace, fallback=spec.fallback)  # type: ignore[arg-type]
        if spec.redis_url
        else None
    )
    options: dict[str, Any] = {
        "jwt": spec.jwt,
        "api_key": spec.api_key,
        "base_url": spec.base_url,
        "quota_store": store,
        "journal_store": store,
        "max_wait": 86_400.0,
    }
    digest = hashlib.sha256()
    rows = 0
    started = clock.now()
    error = None
    try:
        if spec.mode == "sync":
            with make_client(Wabi2bClient, hooks=hooks(clock), **options) as client:
                for row in client.bulk_download(spec.gtins, dest=spec.dest, chunk_size=spec.chunk_size):
                    digest.update(f"{row.product}\n".encode())
                    rows += 1
        else:

            async def main() -> int:
                count = 0
                async with make_client(AsyncWabi2bClient, hooks=hooks(clock), **options) as client:
                    async for row in client.bulk_download(
                        spec.gtins, dest=spec.dest, chunk_size=spec.chunk_size
                    ):
                        digest.update(f"{row.product}\n".encode())
                        count += 1
                if store is not None:
                    await store.aclose()  # this loop's pool; the sync one closes below
                return count

            rows = asyncio.run(main())
    except Exception as exc:  # reported to the test, which shows it
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if store is not None:
            store.close()
    return {
        "rows": rows,
        "digest": digest.hexdigest(),
        "started": started,
        "finished": clock.now(),
        "error": error,
    }


def main() -> None:
    spec = Spec(**json.loads(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(run(spec)), flush=True)


if __name__ == "__main__":
    main()
