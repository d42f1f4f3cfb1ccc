"""Quotas and the job journal shared through Redis, so many processes on many machines act as one client.

`RedisStore(url)` is both a `QuotaStore` (sliding-window grant logs, a sorted set per vendor + credential) and
a `JobStore` (job records and start claims). Pass it as `quota_store=` / `journal_store=` on a client, or set
`SELLERKIT_REDIS_URL` for both. Keys start with the namespace (default `sellerkit`) and expire with their
windows (quotas) or `max_age` (records); the credential is never stored, only an HMAC of it keyed with
`secret` (`SELLERKIT_REDIS_SECRET`; without one, a fixed key: set one where others can read the Redis).

Time is Redis's own clock (`TIME`), so machines whose clocks disagree still agree on every window; a client
with an injected clock (tests) passes its own. Redis unreachable (after ~5 s of reconnect attempts) raises
`StoreUnavailableError` before any vendor request, unless `fallback="local"` (SELLERKIT_REDIS_FALLBACK=local):
then this process counts on its own, with a WARNING, and tries Redis again every 30 s. Give Redis persistence
(`appendonly yes`): one that restarts empty has forgotten the windows, and a client that notices raises
`StoreError` rather than guess.
"""

# Hand-rolled Lua, not `limits` 5.8 or pyrate-limiter 4.5: limits' Redis moving window checks one limit
# per call (two windows = two round trips, and a refused second one has spent the first), reads time.time()
# itself and can't move a call's window start to its response; pyrate-limiter's Redis bucket takes several
# rates at once but owns the sleeping (time.sleep / asyncio.sleep) and also has no restart. One script here
# checks every window, records the grant and returns the exact wait, in one atomic round trip.

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal

from .errors import ConfigurationError, StoreError, StoreUnavailableError
from .journal import Record
from .quota import LocalCounter, Quota, Ticket, credential_value
from .redact import Secret, redact_url

if TYPE_CHECKING:
    import redis
    import redis.asyncio

log = logging.getLogger("sellerkit.store")

ENV_URL = "SELLERKIT_REDIS_URL"
ENV_SECRET = "SELLERKIT_REDIS_SECRET"
ENV_FALLBACK = "SELLERKIT_REDIS_FALLBACK"
RETRY_AFTER_FALLBACK = 30.0
"""Seconds a client that fell back to local limits waits before trying Redis again."""

# Both quota scripts start here: ARGV[1] is the caller's clock, or '' for Redis's own (seconds, µs digits).
_NOW = """
local now_s = ARGV[1]
if now_s == '' then
  local t = redis.call('TIME')
  now_s = t[1] .. '.' .. string.format('%06d', tonumber(t[2]))
end
"""

# KEYS: grants (zset token -> grant time), shape, epoch.
# ARGV: now ('' = Redis TIME), shape, the epoch this counter saw ('' = none yet), token, a new epoch, ttl ms,
# then limit, period pairs.
# → {'ok', epoch, now} | {'wait', epoch, seconds, quota index (from 1)} | {'lost'} | {'shape', the other one}
_TAKE = (
    _NOW
    + """
local now = tonumber(now_s)
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  if ARGV[3] ~= '' then return {'lost'} end
  epoch = ARGV[5]
  redis.call('SET', KEYS[3], epoch)
elseif ARGV[3] ~= '' and epoch ~= ARGV[3] then
  return {'lost'}
end
local shape = redis.call('GET', KEYS[2])
if shape and shape ~= ARGV[2] then return {'shape', shape} end
local longest = 0
for i = 7, #ARGV, 2 do
  local period = tonumber(ARGV[i + 1])
  if period > longest then longest = period end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now - longest))
local wait, full = 0, 0
for i = 7, #ARGV, 2 do
  local limit, period = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local low = '(' .. string.format('%.6f', now - period)
  local count = redis.call('ZCOUNT', KEYS[1], low, '+inf')
  if count >= limit then
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], low, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
    local w = tonumber(oldest[2]) + period - now
    if full == 0 or w > wait then wait, full = w, (i - 5) / 2 end
  end
end
if full > 0 then return {'wait', epoch, string.format('%.6f', math.max(wait, 0.000001)), tostring(full)} end
redis.call('ZADD', KEYS[1], now_s, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[6])
return {'ok', epoch, now_s}
"""
)

# KEYS: grants. ARGV: now ('' = Redis TIME), token, ttl ms. The call's window starts again now.
_RESTART = (
    _NOW
    + """
redis.call('ZADD', KEYS[1], now_s, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
)

# KEYS: record, claim. ARGV: record JSON, ttl ms. Writing the record ends the claim (whoever held it).
_PUT = """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
"""

# KEYS: claim. ARGV: token. Only the holder's token drops it.
_UNCLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _redis() -> Any:
    """The redis package (an optional dependency), with a message that names the install."""
    try:
        import redis
    except ImportError as exc:
        raise ConfigurationError(
            "a Redis store needs the redis package: pip install 'sellerkit[redis]'"
        ) from exc
    return redis


_BACKOFF_BASE, _BACKOFF_CAP = 0.05, 1.0


def _retries_within(seconds: float) -> int:
    """How many reconnect attempts redis-py's exponential backoff (0.05 s doubling, at most 1 s) fits in."""
    retries, spent = 0, 0.0
    while spent + min(_BACKOFF_CAP, _BACKOFF_BASE * 2**retries) <= seconds:
        spent += min(_BACKOFF_CAP, _BACKOFF_BASE * 2**retries)
        retries += 1
    return retries


def _unreachable(exc: BaseException) -> bool:
    from redis import exceptions

    # a refused password is a ConnectionError to redis-py, but no reason to count locally
    return isinstance(exc, exceptions.ConnectionError | exceptions.TimeoutError | OSError) and not isinstance(
        exc, exceptions.AuthenticationError | exceptions.AuthorizationError
    )


class RedisStore:
    """Quota counters and job records in Redis, shared by every process that uses the same URL and namespace.

    `url`: `redis://[:password@]host:port/db` or `rediss://` (default `$SELLERKIT_REDIS_URL`); `namespace`:
    the key prefix; `secret`: the HMAC key for credentials in key names (default `$SELLERKIT_REDIS_SECRET`);
    `fallback="local"`: count in this process, with a WARNING, while Redis is unreachable (default: raise
    `StoreUnavailableError`; `$SELLERKIT_REDIS_FALLBACK=local`); `claim_seconds`: how long the call that
    claimed a job may take to start it before another may (a killed worker's claim lapses then);
    `reconnect`: seconds of reconnect attempts that ride out a restart before the error (or the fallback);
    `timeout`: seconds for one connect or command.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        namespace: str = "sellerkit",
        secret: str | Secret | None = None,
        fallback: Literal["error", "local"] | None = None,
        claim_seconds: float = 600.0,
        reconnect: float = 5.0,
        timeout: float = 5.0,
    ) -> None:
        url = url if url is not None else os.environ.get(ENV_URL, "")
        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(
                f"RedisStore needs a redis:// or rediss:// URL (or ${ENV_URL}), not {redact_url(url)!r}"
            )
        if not isinstance(namespace, str) or not namespace or any(c in namespace for c in "{}* "):
            raise ConfigurationError(
                f"namespace must be a non-empty name without {{}}* or spaces, not {namespace!r}"
            )
        fallback = fallback if fallback is not None else os.environ.get(ENV_FALLBACK) or "error"  # type: ignore[assignment]
        if fallback not in ("error", "local"):
            raise ConfigurationError(
                f'fallback must be "error" or "local" (${ENV_FALLBACK}), not {fallback!r}'
            )
        if not (isinstance(claim_seconds, int | float) and claim_seconds > 0):
            raise ConfigurationError(f"claim_seconds must be seconds > 0, not {claim_seconds!r}")
        if not (isinstance(timeout, int | float) and timeout > 0):
            raise ConfigurationError(f"timeout must be seconds > 0, not {timeout!r}")
        if not (isinstance(reconnect, int | float) and reconnect >= 0):
            raise ConfigurationError(f"reconnect must be seconds >= 0, not {reconnect!r}")
        module = _redis()
        key = secret.get() if isinstance(secret, Secret) else secret
        key = key if key is not None else os.environ.get(ENV_SECRET) or f"sellerkit-redis-v1:{namespace}"
        self._hmac_key = key.encode()
        self.url = redact_url(url)
        self.namespace, self.fallback, self.claim_seconds = namespace, fallback, float(claim_seconds)
        self._url, self._timeout = url, float(timeout)
        self._retries = _retries_within(float(reconnect))
        try:
            self._sync: redis.Redis = module.Redis.from_url(url, **self._options(module))
        except ValueError as exc:
            raise ConfigurationError(f"RedisStore: the URL {self.url} is not usable: {exc}") from None
        # one asyncio client per event loop (a pool can't cross loops), dropped with its loop
        self._async: weakref.WeakKeyDictionary[Any, tuple[redis.asyncio.Redis, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._take = self._sync.register_script(_TAKE)
        self._restart = self._sync.register_script(_RESTART)
        self._put = self._sync.register_script(_PUT)
        self._unclaim = self._sync.register_script(_UNCLAIM)

    def _options(self, redis: Any, *, asynchronous: bool = False) -> dict[str, Any]:
        from redis.asyncio.retry import Retry as AsyncRetry
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        backoff = ExponentialBackoff(cap=_BACKOFF_CAP, base=_BACKOFF_BASE)
        retry = (AsyncRetry if asynchronous else Retry)(backoff, self._retries)
        return {
            "socket_timeout": self._timeout,
            "socket_connect_timeout": self._timeout,
            "retry": retry,
            "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
            "health_check_interval": 30,
            "decode_responses": True,
        }

    def __repr__(self) -> str:
        return f"RedisStore({self.url!r}, namespace={self.namespace!r}, fallback={self.fallback!r})"

    def digest(self, value: str) -> str:
        """The keyed hash that stands for a credential (or any other key part) in key names."""
        return hmac.new(self._hmac_key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def ascript(self, source: str) -> Any:
        """`source` as a script of the running event loop's asyncio client (a pool can't cross loops)."""
        import asyncio

        import redis.asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.get(loop)
            if entry is None:
                client = redis.asyncio.Redis.from_url(self._url, **self._options(_redis(), asynchronous=True))
                entry = self._async[loop] = (client, {})
            scripts = entry[1]
            script = scripts.get(source)
            if script is None:
                script = scripts[source] = entry[0].register_script(source)
        return script

    def unavailable(self, exc: BaseException) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"the shared store at {self.url} is unreachable ({type(exc).__name__}: {exc}); sellerkit makes "
            "no vendor call it can't count. Start or reach Redis (check $SELLERKIT_REDIS_URL), or allow "
            'counting in this process meanwhile: RedisStore(url, fallback="local") or '
            "SELLERKIT_REDIS_FALLBACK=local",
            url=self.url,
        )

    def failed(self, exc: BaseException) -> StoreError:
        return StoreError(f"the shared store at {self.url} refused a command: {exc}", url=self.url)

    def ping(self) -> None:
        """Check that Redis answers (raises `StoreUnavailableError` / `StoreError`)."""
        self._call(self._sync.ping)

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        redis = _redis()
        try:
            return fn(*args, **kwargs)
        except redis.RedisError as exc:
            raise (self.unavailable(exc) if _unreachable(exc) else self.failed(exc)) from exc
        except OSError as exc:
            raise self.unavailable(exc) from exc

    def close(self) -> None:
        """Close the synchronous connection pool (`aclose()` also closes the running loop's)."""
        self._sync.close()

    async def aclose(self) -> None:
        """Close the running event loop's connection pool, and the synchronous one."""
        import asyncio

        with self._lock:
            entry = self._async.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[0].aclose()
        self.close()

    # -- QuotaStore

    def counter(
        self, vendor: str, credential: str, quotas: tuple[Quota, ...], clock: Callable[[], float] | None
    ) -> RedisCounter:
        return RedisCounter(self, vendor, credential_value(credential), quotas, clock)

    # -- JobStore

    def _record_key(self, vendor: str, key: str) -> str:
        return f"{self.namespace}:job:{vendor}:{key}"

    def _claim_key(self, vendor: str, key: str) -> str:
        return f"{self.namespace}:job:{vendor}:{key}:claim"

    def get(self, vendor: str, key: str) -> dict[str, Any] | None:
        raw = self._call(self._sync.get, self._record_key(vendor, key))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            log.warning("ignoring the unreadable %s job record %s in %s: %s", vendor, key, self.url, exc)
            return None
        return data if isinstance(data, dict) else None

    def put(self, record: Record, ttl: float) -> None:
        keys = [
            self._record_key(record.vendor, record.fingerprint),
            self._claim_key(record.vendor, record.fingerprint),
        ]
        try:
            self._call(self._put, keys=keys, args=[json.dumps(asdict(record)), max(1, int(ttl * 1000))])
        except StoreError as exc:
            # the job exists at the vendor either way; only a re-run (or another worker) could not adopt it
            log.warning("could not record %s job %s: %s", record.vendor, record.reference, exc)

    def delete(self, vendor: str, key: str) -> None:
        self._call(self._sync.delete, self._record_key(vendor, key))

    def scan(self, vendor: str | None) -> Iterator[tuple[str, str]]:
        pattern = f"{self.namespace}:job:{vendor or '*'}:*"
        for name in self._call(lambda: list(self._sync.scan_iter(match=pattern, count=500))):
            parts = name.split(":")
            if len(parts) == 4 + self.namespace.count(":"):  # not a claim
                yield parts[-2], parts[-1]

    def claim(self, vendor: str, key: str, seconds: float) -> str | None:
        token = uuid.uuid4().hex
        name = self._claim_key(vendor, key)
        if self._call(self._sync.set, name, token, nx=True, px=max(1, int(seconds * 1000))):
            return token
        # a retried SET whose first try did succeed: the claim is ours all the same
        return token if self._call(self._sync.get, name) == token else None

    def unclaim(self, vendor: str, key: str, token: str) -> None:
        self._call(self._unclaim, keys=[self._claim_key(vendor, key)], args=[token])


class RedisCounter:
    """One credential's quota counter in Redis (sync and async), with the local fallback if allowed."""

    def __init__(
        self,
        store: RedisStore,
        vendor: str,
        credential: str,
        quotas: tuple[Quota, ...],
        clock: Callable[[], float] | None,
    ) -> None:
        self.quotas, self._store, self._vendor, self._clock = quotas, store, vendor, clock
        base = f"{store.namespace}:quota:{{{vendor}:{store.digest(f'{vendor}:{credential}')}}}"
        # one hash tag: the three keys of a script sit in one Redis Cluster slot
        self._keys = [base, f"{base}:shape", f"{base}:epoch"]
        self._shape = ",".join(f"{q.limit}/{q.period_seconds!r}" for q in sorted(quotas, key=_order))
        longest = max((q.period_seconds for q in quotas), default=1.0)
        self._ttl_ms = int(longest * 1000) + 1000
        self._windows = [str(x) for q in quotas for x in (q.limit, repr(float(q.period_seconds)))]
        self._epoch = ""  # the epoch this counter saw: a different one means Redis lost its data
        self._local: LocalCounter | None = None
        self._retry_at = 0.0

    def __repr__(self) -> str:
        return f"RedisCounter({self._vendor!r}, {self._store.url!r})"

    def _now(self) -> str:
        return "" if self._clock is None else repr(float(self._clock()))

    def _take_args(self) -> list[str | int]:
        fresh = uuid.uuid4().hex
        return [self._now(), self._shape, self._epoch, fresh[:16], fresh, self._ttl_ms, *self._windows]

    def _answer(self, answer: list[str], args: list[Any]) -> tuple[float, Ticket | None, Quota | None]:
        kind = answer[0]
        if kind == "ok":
            self._epoch = answer[1]
            if self._local is not None:
                log.warning(
                    "%s: the shared store at %s answers again; counting there", self._vendor, self._store.url
                )
                self._local = None
            return 0.0, str(args[3]), None
        if kind == "wait":
            self._epoch = answer[1]
            return float(answer[2]), None, self.quotas[int(answer[3]) - 1]
        if kind == "shape":
            raise ConfigurationError(
                f"{self._vendor}: another client of this credential counts different quotas in "
                f"{self._store.url} ({answer[1]}, here {self._shape}); pass the same quotas everywhere"
            )
        raise StoreError(
            f"the shared store at {self._store.url} lost its quota counters (restarted without persistence, "
            "or flushed): sellerkit can't tell how many calls were made in the current windows, so it stops "
            "rather than risk the vendor's quota. Give Redis `appendonly yes`; a new process starts counting "
            "afresh",
            url=self._store.url,
        )

    def _fallback(self, exc: BaseException) -> LocalCounter:
        if self._store.fallback != "local" or not _unreachable(exc):
            raise self._store.unavailable(exc) if _unreachable(exc) else self._store.failed(exc) from exc
        if self._local is None:
            log.warning(
                "%s: the shared store at %s is unreachable (%s); counting in this process only, as "
                "fallback='local' allows: other workers' calls are not counted until it answers",
                self._vendor,
                self._store.url,
                type(exc).__name__,
            )
            self._local = LocalCounter(self.quotas, self._clock or time.monotonic)
        self._retry_at = time.monotonic() + RETRY_AFTER_FALLBACK
        return self._local

    def _in_fallback(self) -> LocalCounter | None:
        return self._local if self._local is not None and time.monotonic() < self._retry_at else None

    def take(self) -> tuple[float, Ticket | None, Quota | None]:
        local = self._in_fallback()
        if local is not None:
            return local.take()
        args = self._take_args()
        try:
            answer = self._store._take(keys=self._keys, args=args)
        except Exception as exc:
            if not _is_redis_error(exc):
                raise
            return self._fallback(exc).take()
        return self._answer(answer, args)

    async def take_async(self) -> tuple[float, Ticket | None, Quota | None]:
        local = self._in_fallback()
        if local is not None:
            return local.take()
        args = self._take_args()
        try:
            answer = await self._store.ascript(_TAKE)(keys=self._keys, args=args)
        except Exception as exc:
            if not _is_redis_error(exc):
                raise
            return self._fallback(exc).take()
        return self._answer(answer, args)

    def restart(self, ticket: Ticket) -> None:
        if isinstance(ticket, float):  # granted by the fallback
            if self._local is not None:
                self._local.restart(ticket)
            return
        try:
            self._store._restart(keys=self._keys[:1], args=[self._now(), ticket, self._ttl_ms])
        except Exception as exc:
            if not _is_redis_error(exc):
                raise
            # the call is counted from its grant; only its window can't start again at the response
            log.warning("%s: could not restart a quota window in %s: %s", self._vendor, self._store.url, exc)

    async def restart_async(self, ticket: Ticket) -> None:
        if isinstance(ticket, float):
            if self._local is not None:
                self._local.restart(ticket)
            return
        try:
            await self._store.ascript(_RESTART)(keys=self._keys[:1], args=[self._now(), ticket, self._ttl_ms])
        except Exception as exc:
            if not _is_redis_error(exc):
                raise
            log.warning("%s: could not restart a quota window in %s: %s", self._vendor, self._store.url, exc)


def _order(quota: Quota) -> tuple[int, float]:
    return quota.limit, quota.period_seconds


def _is_redis_error(exc: BaseException) -> bool:
    import redis

    return isinstance(exc, redis.RedisError | OSError)
