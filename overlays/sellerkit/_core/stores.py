"""Which stores a client uses when none is passed: `$SELLERKIT_REDIS_URL` (one `RedisStore` per URL and
process, for quotas and job records), else this process's counters and the journal folder's files."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from .quota import LOCAL_QUOTAS, QuotaStore

if TYPE_CHECKING:
    from .redis_store import RedisStore

ENV_URL = "SELLERKIT_REDIS_URL"

_redis_stores: dict[str, RedisStore] = {}
_lock = threading.Lock()


def from_env() -> RedisStore | None:
    """The process's `RedisStore` for `$SELLERKIT_REDIS_URL`, or None when it is unset."""
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        return None
    with _lock:
        store = _redis_stores.get(url)
        if store is None:
            from .redis_store import RedisStore  # only when asked for: redis is an optional dependency

            store = _redis_stores[url] = RedisStore(url)
    return store


def default_quota_store() -> QuotaStore:
    return from_env() or LOCAL_QUOTAS
