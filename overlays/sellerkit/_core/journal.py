"""The job journal: every export job a call starts is recorded before the call returns, so a re-run of the
same call adopts it instead of starting a duplicate (and orphaning the first).

Records live in one small JSON file per job, `<folder>/<vendor>/<fingerprint>.json`, written atomically
(temporary file, fsync, rename). The folder is `SELLERKIT_STATE_DIR`, else the user state folder
(`platformdirs.user_state_dir("sellerkit")`, e.g. `~/.local/state/sellerkit` on Linux) + `/jobs`.
The fingerprint is a SHA-256 over the vendor, the base URL, a digest of the credential, the operation and its
parameters: the credential itself is never stored. Records older than `max_age` (default 24 hours) are
dropped when next looked at; `fresh=True` on a call skips adoption. Identical calls at the same time (threads,
processes) are serialised by a claim: one starts the job, the others adopt it. `sellerkit.RedisStore` keeps
the records (and claims) in Redis instead, for workers on several machines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from .errors import ConfigurationError

try:
    import fcntl
except ImportError:  # Windows: no flock; identical calls in two processes may each start a job, as before
    fcntl = None  # type: ignore[assignment]
from .files import write_atomically

log = logging.getLogger("sellerkit.journal")

DEFAULT_MAX_AGE = 24 * 3600.0
CLAIM_SECONDS = 600.0
ENV_STATE_DIR = "SELLERKIT_STATE_DIR"


def default_folder() -> Path:
    """`$SELLERKIT_STATE_DIR`, else the platform's user state folder for sellerkit, + `/jobs`."""
    configured = os.environ.get(ENV_STATE_DIR)
    if configured:
        return Path(configured) / "jobs"
    import platformdirs  # a kept library for the per-OS state folder; imported only when a job starts

    return Path(platformdirs.user_state_dir("sellerkit")) / "jobs"


def fingerprint(vendor: str, base_url: str, credential: str, operation: str, params: object) -> str:
    """The key of a call: same vendor, account, operation and parameters → same job."""
    account = hashlib.sha256(credential.encode()).hexdigest()
    canonical = json.dumps(
        [vendor, base_url.rstrip("/"), account, operation, params], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def read_json(path: Path, what: str) -> dict[str, Any] | None:
    """A JSON object from `path`; None if missing, and with a WARNING if unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable %s %s: %s", what, path, exc)
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Record:
    """One job a call started: enough to adopt it, list it, or resume its download."""

    vendor: str
    fingerprint: str
    operation: str
    reference: str
    created_at: float
    finished_at: float | None = None


class JobStore(Protocol):
    """Where job records live: files on this machine (`FileJobStore`, the default) or a store shared by many
    processes and machines (`sellerkit.RedisStore`). Records are plain dicts of `Record`'s fields.

    `claim` is what keeps identical calls in several processes from starting the job twice: the one call that
    gets the claim starts the job and `put`s its record (which ends the claim); the others wait for it."""

    def get(self, vendor: str, key: str) -> dict[str, Any] | None: ...

    def put(self, record: Record, ttl: float) -> None: ...

    def delete(self, vendor: str, key: str) -> None: ...

    def scan(self, vendor: str | None) -> Iterator[tuple[str, str]]:
        """(vendor, key) of every record (live or not)."""
        ...

    def claim(self, vendor: str, key: str, seconds: float) -> str | None:
        """A token if this caller may start the job now (for at most `seconds`), else None."""
        ...

    def unclaim(self, vendor: str, key: str, token: str) -> None: ...


class FileJobStore:
    """One JSON file per record, `<folder>/<vendor>/<key>.json`; a claim is an exclusive lock (flock) on
    `<key>.lock` beside it, which the system drops if the process dies."""

    def __init__(self, folder: Callable[[], Path]) -> None:
        self._folder = folder
        self._held: dict[str, int] = {}  # token -> descriptor of the locked file
        self._lock = threading.Lock()

    def _path(self, vendor: str, key: str, suffix: str = ".json") -> Path:
        return self._folder() / vendor / f"{key}{suffix}"

    def get(self, vendor: str, key: str) -> dict[str, Any] | None:
        return read_json(self._path(vendor, key), "job record")

    def put(self, record: Record, ttl: float) -> None:
        path = self._path(record.vendor, record.fingerprint)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, json.dumps(asdict(record), indent=1).encode())
        except OSError as exc:
            # the job exists at the vendor either way; only a re-run could not adopt it
            log.warning("could not record %s job %s in %s: %s", record.vendor, record.reference, path, exc)

    def delete(self, vendor: str, key: str) -> None:
        with contextlib.suppress(OSError):
            self._path(vendor, key).unlink()

    def scan(self, vendor: str | None) -> Iterator[tuple[str, str]]:
        folder = self._folder()
        folders = [folder / vendor] if vendor else sorted(p for p in folder.glob("*") if p.is_dir())
        for each in folders:
            for path in each.glob("*.json"):
                yield each.name, path.stem

    def claim(self, vendor: str, key: str, seconds: float) -> str | None:
        path = self._path(vendor, key, ".lock")
        if fcntl is None:
            return "unshared"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:  # an unwritable journal: no claim to share, as before claims existed
            log.warning("could not claim job %s in %s: %s", key, path.parent, exc)
            return "unshared"
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        token = uuid.uuid4().hex
        with self._lock:
            self._held[token] = fd
        return token

    def unclaim(self, vendor: str, key: str, token: str) -> None:
        with self._lock:
            fd = self._held.pop(token, None)
        if fd is not None:
            os.close(fd)  # drops the lock; the file stays (unlinking it would race a waiting locker)


class Journal:
    """Durable records of started jobs, keyed by call fingerprint (safe to share between processes).

    `store`: where the job records live (default: `$SELLERKIT_REDIS_URL`'s `RedisStore` if set, else files in
    `folder`; a `sellerkit.RedisStore` shares them between machines). Paged exports' checkpoints and marks
    stay in `folder`: they describe local files."""

    def __init__(
        self,
        folder: str | os.PathLike[str] | None = None,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        clock: Callable[[], float] = time.time,
        store: JobStore | None = None,
    ) -> None:
        if not max_age > 0:
            raise ConfigurationError(f"journal max_age must be > 0 seconds, got {max_age}")
        self._folder = Path(folder) if folder is not None else None
        self.max_age, self._clock = max_age, clock
        if store is None:
            from .stores import from_env

            store = from_env()
        self.store: JobStore = store if store is not None else FileJobStore(lambda: self.folder)

    @property
    def folder(self) -> Path:
        """Where the records are (resolved on first use, so importing sellerkit touches no disk)."""
        if self._folder is None:
            self._folder = default_folder()
        return self._folder

    def find(self, vendor: str, key: str) -> Record | None:
        """The record of a call, unless missing, unreadable or older than `max_age` (then it is dropped)."""
        data = self.store.get(vendor, key)
        if data is None:
            return None
        try:
            record = Record(**data)
        except TypeError as exc:
            log.warning("ignoring the unreadable %s job record %s: %s", vendor, key, exc)
            return None
        if self._clock() - record.created_at > self.max_age:
            self.store.delete(vendor, key)
            return None
        return record

    def started(self, vendor: str, key: str, operation: str, reference: str) -> Record:
        """Record a job the vendor just accepted (before the call returns its handle)."""
        record = Record(vendor, key, operation, reference, created_at=self._clock())
        self.store.put(record, self.max_age)
        return record

    def finished(self, record: Record) -> None:
        """Mark a job done (its file downloaded); it still expires `max_age` after it started."""
        done = Record(**{**asdict(record), "finished_at": self._clock()})
        self.store.put(done, max(1.0, record.created_at + self.max_age - self._clock()))

    def forget(self, vendor: str, key: str) -> None:
        """Drop a record (the vendor no longer knows the job, or the caller asked for a fresh one)."""
        self.store.delete(vendor, key)

    def records(self, vendor: str | None = None) -> Iterator[Record]:
        """Every live record, oldest first."""
        found = [r for v, k in self.store.scan(vendor) if (r := self.find(v, k)) is not None]
        yield from sorted(found, key=lambda r: r.created_at)

    @property
    def claim_seconds(self) -> float:
        """How long a claim lasts, and how long an identical call waits for one before starting regardless."""
        seconds = getattr(self.store, "claim_seconds", CLAIM_SECONDS)
        return float(seconds)

    def claim(self, vendor: str, key: str, seconds: float) -> str | None:
        """The right to start the job of `key` (a token), unless another call holds it (None)."""
        return self.store.claim(vendor, key, seconds)

    def unclaim(self, vendor: str, key: str, token: str) -> None:
        """Give the claim back (the job was recorded, or starting it failed)."""
        self.store.unclaim(vendor, key, token)

    # -- paged exports: where an interrupted export resumes, and the high-water mark of incremental ones

    def checkpoint(self, vendor: str, key: str) -> dict[str, Any] | None:
        """The last checkpoint of an unfinished paged export (None: none, unreadable or too old)."""
        path = self._extra(vendor, "exports", key)
        data = self._read(path)
        if data is not None and self._clock() - float(data.get("saved_at", 0)) > self.max_age:
            self._drop(path)
            return None
        return data

    def checkpoints(self, vendor: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every live checkpoint of an unfinished paged export as (vendor, checkpoint), oldest first."""
        folders = [self.folder / vendor] if vendor else sorted(p for p in self.folder.glob("*") if p.is_dir())
        found = []
        for folder in folders:
            for path in (folder / "exports").glob("*.json"):
                data = self.checkpoint(folder.name, path.stem)
                if data is not None:
                    found.append((folder.name, data))
        yield from sorted(found, key=lambda item: float(item[1].get("saved_at", 0)))

    def save_checkpoint(
        self, vendor: str, key: str, state: Mapping[str, Any], *, durable: bool = True
    ) -> None:
        """Record how far a paged export got (written atomically after each complete page; `durable=False`:
        without fsync, see `files.write_atomically`)."""
        path = self._extra(vendor, "exports", key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps({**state, "saved_at": self._clock()}).encode(), durable=durable)

    def clear_checkpoint(self, vendor: str, key: str) -> None:
        """The export finished: nothing to resume."""
        self._drop(self._extra(vendor, "exports", key))

    def mark(self, vendor: str, key: str) -> str | None:
        """The high-water mark the last complete incremental export of a query left (no expiry)."""
        data = self._read(self._extra(vendor, "marks", key))
        value = None if data is None else data.get("mark")
        return value if isinstance(value, str) else None

    def save_mark(self, vendor: str, key: str, mark: str) -> None:
        """Keep the high-water mark of a complete export for the next `since=` run of the same query."""
        path = self._extra(vendor, "marks", key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps({"mark": mark, "saved_at": self._clock()}).encode())

    def _extra(self, vendor: str, kind: str, key: str) -> Path:
        # beside the job records, in their own folders: `records()` reads only `<vendor>/*.json`
        return self.folder / vendor / kind / f"{key}.json"

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        return read_json(path, "journal file")

    @staticmethod
    def _drop(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()
