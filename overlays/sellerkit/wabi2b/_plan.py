"""The sans-I/O part of a bulk download: GTIN validation, chunking, and the resumable state file."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sellerkit._core.errors import ConfigurationError
from sellerkit._core.files import write_atomically
from sellerkit._core.steps import user_stacklevel

from ._facts import FORMATS, GTIN_LENGTH, MAX_GTINS_PER_REQUEST

STATE_PREFIX = ".sellerkit-wabi2b-"


class DuplicateGtinWarning(UserWarning):
    """Some GTINs were given more than once; each is requested once."""


def validate_gtins(gtins: Iterable[str]) -> list[str]:
    """Check every GTIN before any request: 14 digits, as strings; duplicates dropped with a warning."""
    if isinstance(gtins, str | bytes):
        raise ConfigurationError("gtins must be a list of GTIN strings, not a single string")
    seen: dict[str, None] = {}
    bad: list[str] = []
    total = 0
    for position, gtin in enumerate(gtins):
        total += 1
        if not isinstance(gtin, str):
            bad.append(f"#{position}: {gtin!r} is a {type(gtin).__name__}, not a string")
        elif len(gtin) != GTIN_LENGTH or not gtin.isascii() or not gtin.isdigit():
            bad.append(f"#{position}: {gtin!r}")
        else:
            seen[gtin] = None
    if bad:
        shown = "; ".join(bad[:5]) + (f"; and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise ConfigurationError(
            f"{len(bad)} invalid GTIN(s): {shown}. Wabi2b takes GTIN-14 strings of exactly 14 digits: "
            "pad shorter GTINs (UPC-A, EAN-13) with leading zeros, and pass them as strings"
        )
    if not seen:
        raise ConfigurationError("no GTINs given: pass at least one 14-digit GTIN string")
    if len(seen) < total:
        warnings.warn(
            f"{total - len(seen)} duplicate GTIN(s) removed; requesting {len(seen)} unique GTINs",
            DuplicateGtinWarning,
            stacklevel=user_stacklevel(),
        )
    return list(seen)


def check_format(file_format: str) -> str:
    if file_format not in FORMATS:
        raise ConfigurationError(f"format must be 'json' or 'csv', not {file_format!r}")
    return file_format


def chunk(gtins: list[str], size: int = MAX_GTINS_PER_REQUEST) -> list[list[str]]:
    return [gtins[i : i + size] for i in range(0, len(gtins), size)]


@dataclass
class ChunkState:
    """One chunk's progress: the job reference once submitted, the file once downloaded."""

    gtins_sha256: str
    count: int
    reference: str | None = None
    file: str | None = None
    sha256: str | None = None
    size: int | None = None


@dataclass
class BulkState:
    """What a bulk download has started and fetched, saved beside the files so a crash loses nothing."""

    path: Path
    file_format: str
    chunks: list[ChunkState] = field(default_factory=list)

    @classmethod
    def load_or_create(
        cls, dest: Path, gtins: list[str], file_format: str, size: int = MAX_GTINS_PER_REQUEST
    ) -> BulkState:
        chunks = chunk(gtins, size)
        # the default size keeps the name earlier versions gave (their state files stay usable)
        sized = "" if size == MAX_GTINS_PER_REQUEST else f"\n{size}"
        digest = hashlib.sha256(("\n".join(gtins) + "\n" + file_format + sized).encode()).hexdigest()[:16]
        path = dest / f"{STATE_PREFIX}{digest}.json"
        fresh = [ChunkState(hashlib.sha256("\n".join(c).encode()).hexdigest(), len(c)) for c in chunks]
        if path.exists():
            try:
                saved = [ChunkState(**c) for c in json.loads(path.read_text())["chunks"]]
            except (ValueError, TypeError, KeyError):
                saved = []
            if [c.gtins_sha256 for c in saved] == [c.gtins_sha256 for c in fresh]:
                return cls(path, file_format, saved)
        return cls(path, file_format, fresh)

    def save(self) -> None:
        """Write atomically (temp file + rename), so a crash mid-write keeps the previous state."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # saved after every chunk: vars() and compact JSON, as asdict()'s deep copies made it O(chunks²) slow
        data = {"format": self.file_format, "chunks": [vars(c) for c in self.chunks]}
        write_atomically(self.path, json.dumps(data, separators=(",", ":")).encode())

    def forget_file(self, index: int) -> None:
        """Drop a chunk's file (it did not parse), keeping its job: the next run downloads it again."""
        c = self.chunks[index]
        c.file = c.sha256 = None
        c.size = None
        self.save()

    def done_file(self, index: int) -> Path | None:
        """The chunk's downloaded file if it is still there and intact."""
        c = self.chunks[index]
        if c.file is None or c.sha256 is None:
            return None
        path = self.path.parent / c.file
        if not path.is_file() or path.stat().st_size != c.size:
            return None
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        return path if digest.hexdigest() == c.sha256 else None
