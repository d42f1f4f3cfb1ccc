"""Streaming result-file downloads: resumable, size-checked, atomic; credentials only to the API's origin."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import mmap
import os
import queue
import re
import socket
import ssl
import sys
import threading
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast
from urllib.parse import unquote

import httpx

from . import _aio
from .bodies import ErrorFacts, build_error, retry_after_wait
from .errors import (
    APIConnectionError,
    ApiError,
    APITimeoutError,
    ConfigurationError,
    DownloadError,
    RateLimitedError,
)
from .files import Target, free_name, place, resolve
from .redact import redact_url
from .runtime import deadline
from .transport import (
    BODY_ERROR,
    MAX_ATTEMPTS,
    UNCOUNTED,
    HttpSettings,
    VendorFacts,
    _aread_head,
    _Attempts,
    _read_head,
)

log = logging.getLogger("sellerkit.download")

PART_SUFFIX = ".sellerkit-part"
"""The body is written to `<final name>.sellerkit-part` in the target folder, renamed when complete."""
META_SUFFIX = ".sellerkit-meta"
"""Beside the part file: the validator (ETag / Last-Modified) and size a later call needs to resume it."""
MAX_REDIRECTS = 10
MAX_NAME_BYTES = 200
"""Room for ` (n)` and the part/meta suffixes within the usual 255-byte file name limit."""

ByteProgress = Callable[[int, int | None], object]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# headers never copied from the caller's request: recomputed per hop, or owned by the resume logic
_HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "range", "if-range", "accept-encoding"}
)
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{dev}{n}" for dev in ("com", "lpt") for n in "0123456789¹²³"}
)
_PARAM = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_CONTENT_RANGE = re.compile(r"\s*bytes\s+(?:(\d+)-(\d+)|\*)\s*/\s*(\d+|\*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DownloadResult:
    """A completed download: where it is, how big, its SHA-256 (hex) and the server's content type."""

    path: Path
    size: int
    sha256: str
    content_type: str | None


class Writable(Protocol):
    """A writable binary stream (an open file, `io.BytesIO`, a socket file, ...)."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True)
class StreamedFile:
    """A download streamed into a writable stream: its name (Content-Disposition), size, SHA-256, type."""

    name: str
    size: int
    sha256: str
    content_type: str | None


class _NoRewind(Exception):
    """A stream sink asked to go back to byte 0 that cannot."""


class _StreamFile:
    """The caller's stream as the downloader's "part file": appends only; a restart from byte 0 rewinds it
    if it is seekable (else the download fails: bytes already handed over cannot be taken back)."""

    def __init__(self, stream: Writable) -> None:
        self.stream = stream
        self.written = 0
        seekable = getattr(stream, "seekable", None)
        self.start = stream.tell() if callable(seekable) and seekable() else None  # type: ignore[attr-defined]

    def seek(self, offset: int) -> None:
        if offset == self.written:
            return
        if self.start is None or offset != 0:
            raise _NoRewind(
                f"the download restarted from byte 0 after {self.written} bytes went into a stream that "
                "cannot seek back; download to a path (resumable) or pass a seekable stream"
            )
        self.stream.seek(self.start)  # type: ignore[attr-defined]
        self.stream.truncate()  # type: ignore[attr-defined]
        self.written = 0

    def truncate(self) -> None:
        pass  # seek() already cut the stream back

    def write(self, chunk: bytes) -> None:
        self.stream.write(chunk)
        self.written += len(chunk)

    def read(self, size: int) -> bytes:
        return b""  # nothing is ever re-hashed from a stream: it is hashed as it is written

    def flush(self) -> None:
        flush = getattr(self.stream, "flush", None)
        if callable(flush):
            flush()

    def close(self) -> None:
        pass  # the caller's stream stays open: it is the caller's


# --- pure helpers -----------------------------------------------------------------------------------


def origin(url: httpx.URL | str) -> tuple[str, str, int | None]:
    """The (scheme, host, port) that decides where credentials may go; default ports made explicit."""
    parsed = httpx.URL(url)
    scheme = parsed.scheme.lower()
    return scheme, parsed.host.lower(), parsed.port or _DEFAULT_PORTS.get(scheme)


def same_origin(a: httpx.URL | str, b: httpx.URL | str) -> bool:
    """True when both URLs have the same scheme, host and port."""
    return origin(a) == origin(b)


def content_disposition_filename(value: str | None) -> str | None:
    """The raw (unsanitised) file name of a Content-Disposition value; `filename*` wins over `filename`."""
    if not value:
        return None
    params: dict[str, str] = {}
    for match in _PARAM.finditer(value):
        raw = match.group(2).strip()
        if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params.setdefault(match.group(1).lower(), raw)
    extended = params.get("filename*")
    if extended:
        decoded = _decode_rfc8187(extended)
        if decoded:
            return decoded
    return params.get("filename") or None


def _decode_rfc8187(value: str) -> str | None:
    """Decode `charset'lang'percent-encoded` (RFC 8187); None for other charsets or bad encodings."""
    charset, quote1, rest = value.partition("'")
    _language, quote2, encoded = rest.partition("'")
    if not (quote1 and quote2) or charset.lower() not in ("utf-8", "iso-8859-1"):
        return None
    try:
        return unquote(encoded, encoding=charset.lower(), errors="strict")
    except UnicodeDecodeError:
        return None


def safe_filename(name: str | None, fallback: str = "download") -> str:
    """A file name safe to create in a folder: no directories, `..`, control chars or device names."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    # category C: control, format (bidi overrides, zero-width), surrogates, private use, unassigned
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = re.sub(r'[<>:"|?*]', "_", text)
    # leading dots would hide the file (or be `..`); trailing dots and spaces vanish on Windows
    text = text.strip(" .")
    if text.split(".", 1)[0].rstrip(" ").lower() in _RESERVED_NAMES:
        text = "_" + text
    text = _truncate(text, MAX_NAME_BYTES)
    return text or fallback


def _truncate(name: str, limit: int) -> str:
    """Cut `name` to `limit` UTF-8 bytes, keeping a short extension."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext.encode()) <= 16 else ""
    stem = name[: len(name) - len(suffix)]
    budget = limit - len(suffix.encode())
    return stem.encode()[:budget].decode(errors="ignore").rstrip(" .") + suffix


def filename_for(headers: Mapping[str, str], url: httpx.URL | str) -> str:
    """A safe local name: from Content-Disposition, else the URL's last segment, else `download`."""
    named = safe_filename(content_disposition_filename(headers.get("content-disposition")), fallback="")
    if named:
        return named
    segment = httpx.URL(url).path.rstrip("/").rsplit("/", 1)[-1]
    return safe_filename(unquote(segment))


def parse_content_range(value: str | None) -> tuple[int | None, int | None, int | None] | None:
    """`bytes a-b/n` → (a, b, n); `bytes */n` → (None, None, n); `*` total → None; unparsable → None."""
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None
    first, last, total = match.groups()
    return (
        None if first is None else int(first),
        None if last is None else int(last),
        None if total == "*" else int(total),
    )


def validator_of(headers: Mapping[str, str]) -> str | None:
    """A validator usable in If-Range: a strong ETag, else Last-Modified, else None."""
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("last-modified") or None


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


# --- the shared state machine --------------------------------------------------------------------------


class _Restart(Exception):
    """The bytes so far cannot be trusted: start again from byte 0."""


class _ShortBody(Exception):
    """The body ended before its announced size: resume if the server allows it."""


@dataclass(frozen=True)
class _Hop:
    method: str
    url: httpx.URL
    content: bytes
    trusted: bool


@dataclass(frozen=True)
class _Outgoing:
    """One request to send, and whether it goes through the API client (True) or the plain one."""

    trusted: bool
    method: str
    url: httpx.URL
    headers: list[tuple[str, str]]
    content: bytes | None
    extensions: dict[str, Any]


_REDIRECT, _BODY, _DONE, _AGAIN, _THROTTLED = "redirect", "body", "done", "again", "throttled"


RAW_MIN = 1 << 20
"""Bodies of at least this many bytes (identity, Content-Length, HTTP/1.x) are read beneath httpx."""
_ALIGN = 4096
"""O_DIRECT's unit for buffer addresses, file offsets and lengths: the largest logical block size in common
use (a disk with 512-byte blocks takes it too)."""
_BATCH_MIN = 2 << 20
_DEPTH = 4
_DIRECT_MIN = 64 << 10  # a smaller remnant goes through the page cache: a device round trip each
_WRITE_SLICE = 32 << 10
_WRITEBACK_EVERY = 8 << 20
_O_DIRECT: int = getattr(os, "O_DIRECT", 0) if sys.platform.startswith("linux") else 0

_Batch = tuple[mmap.mmap, int, int]  # a buffer, how many of its bytes are filled, their file offset


class _Sink:
    """Body bytes to the part file and the SHA-256: receiving, hashing and writing overlap, memory stays flat.

    Bytes land in one of `depth` page-aligned buffers of `batch` bytes (the sync driver receives straight
    into it, `take`; other bytes are copied in, `add`). A full buffer is hashed, then written by a writer
    thread, then free again — one hand-off per buffer, not per read (a queue round trip per 64 KiB chunk
    cost more than the hashing it moved). The sync driver (`write_here`) hashes on its own thread, right
    after receiving, while the kernel's socket buffer keeps filling: on another core the same bytes hash
    slower (measured here, 1 GiB: 0.61-0.80 s of SHA-256 on the receiving thread, 0.80-0.98 s on a second
    one, which then bounded the download). The async driver leaves the hashing to a thread of its own,
    so the event loop never waits on it.

    The writer writes whole 4 KiB blocks of a part file with O_DIRECT where the system allows it (Linux,
    a filesystem that takes it: else it falls back for good): measured here for 1 GiB, buffered writes
    cost 0.4-2.4 s of system time (page-cache pages, each a host fault on a VM that hands free memory back)
    and 0.4 s more in writeback or in the final fsync; direct writes 0.02-0.08 s, leaving the fsync only
    metadata — and the download does not push the user's other files out of the page cache. A buffer
    starting at an unaligned offset (after a resume, or a first piece of odd length) is sized to end on a
    block boundary, so only it and the last partial block go through the page cache; those get the
    kernel's writeback started every `_WRITEBACK_EVERY` bytes (Linux) so the final fsync finds little left.
    A stream target is written as bytes (the caller's stream may keep them), on the caller's thread in the
    sync driver, on the writer thread in the async one.
    """

    def __init__(self, job: _Download, *, batch: int, write_here: bool, depth: int = _DEPTH) -> None:
        self._job, self._depth = job, depth
        self._batch = -(-max(batch, _BATCH_MIN) // _ALIGN) * _ALIGN
        self._hash_here = write_here
        self._caller_writes = write_here and job.stream is not None
        self._free: queue.SimpleQueue[mmap.mmap] = queue.SimpleQueue()
        self._buffers = 0
        self._staged: mmap.mmap | None = None
        self._filled = self._capacity = self._start = 0
        self._offset = job.offset  # file offset of the next byte added
        self._unsynced = 0
        self._direct_fd: int | None = None
        self._direct = bool(_O_DIRECT) and job.stream is None
        self._writes: queue.Queue[_Batch | None] = queue.Queue()
        self._hashes: queue.Queue[_Batch | None] = queue.Queue()
        self._error: BaseException | None = None
        self._threads: list[threading.Thread] = []
        if not self._caller_writes:
            self._threads.append(threading.Thread(target=self._write_loop, name="sellerkit-download-writer"))
        if not self._hash_here:
            self._threads.append(threading.Thread(target=self._hash_loop, name="sellerkit-download-hasher"))
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    # -- the caller's side

    def take(self) -> memoryview:
        """The free part of the buffer being filled, to receive into; `add` the part received."""
        self._raise()
        if self._staged is None:
            self._stage()
        assert self._staged is not None
        return memoryview(self._staged)[self._filled : self._capacity]

    def add(self, data: bytes | memoryview) -> None:
        self._raise()
        if isinstance(data, memoryview) and self._staged is not None and data.obj is self._staged:
            self._filled += len(data)  # received into `take`'s view: already in place
            self._offset += len(data)
            if self._filled == self._capacity:
                self._hand_off()
            return
        view = memoryview(data).cast("B")
        while view:
            if self._staged is None:
                self._stage()
            assert self._staged is not None
            n = min(len(view), self._capacity - self._filled)
            self._staged[self._filled : self._filled + n] = view[:n]
            self._filled += n
            self._offset += n
            view = view[n:]
            if self._filled == self._capacity:
                self._hand_off()

    def seek(self, offset: int) -> None:
        """The next byte added goes to `offset` (a restart or a resume; after `drain`)."""
        if self._staged is not None:
            self._free.put(self._staged)
            self._staged = None
        self._offset = offset

    def drain(self) -> None:
        """Wait until every byte added is on the file and in the hash."""
        self._hand_off()
        self._writes.join()
        self._hashes.join()
        self._raise()

    def stop(self) -> None:
        """Finish the handed-off buffers (a later call resumes from them) and end the threads; never raises
        (it runs while another error leaves): a buffer that cannot be written is simply not in the file."""
        try:
            self._hand_off()
        except Exception as exc:
            log.debug("could not write the last bytes received: %s", exc)
        self._writes.put(None)
        self._hashes.put(None)
        for thread in self._threads:
            thread.join()
        if self._direct_fd is not None:
            os.close(self._direct_fd)
            self._direct_fd = None

    def _stage(self) -> None:
        try:
            buffer = self._free.get_nowait()
        except queue.Empty:
            if self._buffers < self._depth:
                self._buffers += 1
                buffer = mmap.mmap(-1, self._batch)  # anonymous: page-aligned, pages taken as filled
            else:
                buffer = self._free.get()  # every buffer in flight: wait for one (memory stays flat)
        self._raise()
        self._staged, self._filled, self._start = buffer, 0, self._offset
        self._capacity = self._batch - self._offset % _ALIGN  # ends on a block boundary

    def _hand_off(self) -> None:
        buffer, filled = self._staged, self._filled
        if buffer is None or not filled:
            return
        self._staged = None
        batch = (buffer, filled, self._start)
        try:
            if self._hash_here:
                self._hash(batch)
            if self._caller_writes:
                self._write(batch)
        except BaseException:
            self._free.put(buffer)
            raise
        if self._caller_writes:  # hashed and written here (the caller writes only in the sync driver)
            self._free.put(buffer)
        else:
            self._writes.put(batch)

    def _raise(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error

    def _hash(self, batch: _Batch) -> None:
        buffer, filled, _ = batch
        self._job.hasher.update(memoryview(buffer)[:filled])
        self._job.hashed += filled

    # -- the threads

    def _write_loop(self) -> None:
        while True:
            batch = self._writes.get()
            if batch is None:
                self._writes.task_done()
                return
            written = False
            try:
                if self._error is None:
                    self._write(batch)
                    written = True
            except BaseException as exc:  # handed to the caller on its next take/add/drain
                self._error = exc
            finally:
                if written and not self._hash_here:
                    self._hashes.put(batch)
                else:
                    self._free.put(batch[0])
                self._writes.task_done()

    def _hash_loop(self) -> None:
        while True:
            batch = self._hashes.get()
            if batch is None:
                self._hashes.task_done()
                return
            try:
                if self._error is None:
                    self._hash(batch)
            except BaseException as exc:
                self._error = exc
            finally:
                self._free.put(batch[0])
                self._hashes.task_done()

    def _write(self, batch: _Batch) -> None:
        buffer, filled, offset = batch
        view = memoryview(buffer)[:filled]
        job = self._job
        if job.stream is not None:
            job.stream.write(bytes(view))  # the caller's stream may keep what it is given
            return
        assert job.file is not None
        fd, done = job.file.fileno(), 0
        while done < filled:
            whole = (filled - done) // _ALIGN * _ALIGN
            if whole >= _DIRECT_MIN and (offset + done) % _ALIGN == 0 and done % _ALIGN == 0:
                direct = self._direct_file()
                if direct is not None:
                    try:
                        done += os.pwrite(direct, view[done : done + whole], offset + done)
                        continue
                    except OSError as exc:
                        if exc.errno != errno.EINVAL:
                            raise
                        self._no_direct(exc)
            # a regular file may take fewer bytes per call; slices, not one large write: its length sets
            # the page-cache folio size, and large folios come from the high-order free blocks a VM hands
            # back to its host (measured for 1 GiB: 0.8-2.2 s of system time in 1 MiB writes, 0.3-0.6 s
            # in 32 KiB ones)
            n = os.pwrite(fd, view[done : min(filled, done + _WRITE_SLICE)], offset + done)
            done += n
            self._unsynced += n
            if self._unsynced >= _WRITEBACK_EVERY:
                self._unsynced = 0
                _start_writeback(fd)

    def _direct_file(self) -> int | None:
        if self._direct and self._direct_fd is None:
            try:
                self._direct_fd = os.open(self._job.part, os.O_WRONLY | _O_DIRECT | os.O_CLOEXEC)
            except OSError as exc:
                self._no_direct(exc)
        return self._direct_fd

    def _no_direct(self, exc: OSError) -> None:
        log.debug("writing %s through the page cache: O_DIRECT is refused (%s)", self._job.part, exc)
        self._direct = False
        if self._direct_fd is not None:
            os.close(self._direct_fd)
            self._direct_fd = None


def _start_writeback(fd: int) -> None:
    """Start (not wait for) writing the file's dirty pages to disk: `sync_file_range(SYNC_FILE_RANGE_WRITE)`.

    Hand-rolled through ctypes because `os` has no `sync_file_range`; elsewhere than Linux it does nothing
    and the final fsync does all the work, as before.
    """
    call = _sync_file_range()
    if call is not None:
        call(fd, 0, 0, 2)  # offset 0, length 0: the whole file; 2 = SYNC_FILE_RANGE_WRITE


_SFR: list[Callable[[int, int, int, int], int] | None] = []


def _sync_file_range() -> Callable[[int, int, int, int], int] | None:
    if not _SFR:
        found: Callable[[int, int, int, int], int] | None = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                function = libc.sync_file_range
                function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
                function.restype = ctypes.c_int
                found = function
            except (OSError, AttributeError):
                found = None
        _SFR.append(found)
    return _SFR[0]


class _Download:
    """Everything `download` and `download_async` decide; they only send, stream and wait on files."""

    def __init__(
        self,
        *,
        base_url: httpx.URL,
        request: httpx.Request,
        dest: Target | Writable,
        on_progress: ByteProgress | None,
        chunk_size: int,
        max_restarts: int,
        write_here: bool,
        facts: VendorFacts | None = None,
        settings: HttpSettings | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ConfigurationError(f"chunk_size must be >= 1 byte, got {chunk_size}")
        if max_restarts < 0:
            raise ConfigurationError(f"max_restarts must be >= 0, got {max_restarts}")
        self.stream = None if isinstance(dest, Target) else _StreamFile(dest)
        self.target = dest if isinstance(dest, Target) else None
        self.folder = dest.folder if isinstance(dest, Target) and dest.is_folder else None
        self.stream_name = "download"
        try:
            self.body = request.content
        except httpx.RequestNotRead:
            raise ConfigurationError(
                "download needs a request with a bytes body (it may be re-sent)"
            ) from None
        self.request = request
        # a client without base_url has no API origin: then the request's own origin is the trusted one
        self.trusted_origin = origin(base_url if str(base_url) else request.url)
        self.on_progress, self.chunk_size, self.max_restarts = on_progress, chunk_size, max_restarts
        self.final: Path | None = None
        self.part = self.meta = Path()
        self.offset = 0
        self.total: int | None = None
        self.validator: str | None = None
        self.content_type: str | None = None
        self.hasher = hashlib.sha256()
        self.hashed = 0
        self.file: BinaryIO | None = None
        self.sink: _Sink | None = None
        self.write_here = write_here
        self.failures = 0
        self.redirects = 0
        self.pending: _Hop | None = None
        self.current: _Hop | None = None
        self.reported: tuple[int, int | None] | None = None
        self.complete = False
        host = request.url.host or "download"
        self.facts = facts or VendorFacts(name=host, errors=ErrorFacts(vendor=host))
        self.settings = settings or HttpSettings()
        # the transport's retry bookkeeping for the hop last throttled (its attempts and waits so far)
        self.throttle: tuple[_Hop, _Attempts] | None = None
        if isinstance(dest, Target) and dest.path is not None:
            self._adopt(dest.path)

    # -- files

    def _adopt(self, final: Path) -> None:
        """Use `final`; resume its part file if an earlier run left one with a validator."""
        self.final, self.part = final, final.with_name(final.name + PART_SUFFIX)
        self.meta = final.with_name(final.name + META_SUFFIX)
        try:
            saved = json.loads(self.meta.read_text())
            size = self.part.stat().st_size
            validator, total = saved["validator"], saved["total"]
        except (OSError, ValueError, KeyError, TypeError):
            return
        if isinstance(validator, str) and isinstance(total, int) and size > 0:
            self.offset, self.validator, self.total = size, validator, total
            self.content_type = saved.get("content_type")
            log.info("resuming %s from byte %d", self.part, size)

    def _name_in_folder(self, folder: Path, name: str) -> None:
        self._adopt(free_name(folder, name))

    def _save_meta(self) -> None:
        if self.final is None:
            return  # a stream sink: no part or meta file, nothing to resume in a later call
        if self.validator is None:
            self.meta.unlink(missing_ok=True)
            return
        saved = {"validator": self.validator, "total": self.total, "content_type": self.content_type}
        self.meta.write_text(json.dumps(saved))

    def drain(self) -> None:
        """Let the worker catch up: the part file and the hash hold every byte received."""
        if self.sink is not None:
            self.sink.drain()

    def open_part(self) -> None:
        """Open the part file at `offset`, re-hashing bytes kept from earlier (blocking file I/O)."""
        self.drain()
        if self.file is None and self.stream is not None:
            self.file = cast(BinaryIO, self.stream)
        if self.file is None:
            # unbuffered: the sink writes whole buffers at their offsets (os.pwrite); every byte received
            # reaches the file when an attempt fails, so a resume loses nothing
            mode = "r+b" if self.part.exists() else "w+b"
            self.file = cast(BinaryIO, open(self.part, mode, buffering=0))  # noqa: SIM115
        file = self.file
        assert file is not None
        try:
            file.seek(self.offset)
        except _NoRewind as exc:
            raise self.error(str(exc)) from None
        file.truncate()
        if self.hashed != self.offset:
            # a part file left by an earlier run: hash it in chunks so memory stays flat
            file.seek(0)
            self.hasher, self.hashed = hashlib.sha256(), 0
            while self.hashed < self.offset:
                chunk = file.read(min(self.chunk_size, self.offset - self.hashed))
                if not chunk:
                    raise _Restart("part file shorter than recorded")
                self.hasher.update(chunk)
                self.hashed += len(chunk)
        if self.sink is not None:
            self.sink.seek(self.offset)

    def _sink(self) -> _Sink:
        if self.sink is None:
            self.sink = _Sink(self, batch=self.chunk_size, write_here=self.write_here)
        return self.sink

    def buffer(self) -> memoryview:
        """Where to receive the next body bytes; pass the part received to `write`."""
        return self._sink().take()

    def write(self, chunk: bytes | memoryview) -> None:
        """Append one chunk of the body to the part file and the hash."""
        sink = self._sink()
        if self.total is not None and self.offset + len(chunk) > self.total:
            raise _Restart(f"more bytes than the announced {self.total}")
        assert self.file is not None
        sink.add(chunk)
        self.offset += len(chunk)
        self.report()

    def end_body(self) -> None:
        """The body stream ended cleanly: complete, or short of the announced size."""
        self.drain()
        if self.total is not None and self.offset < self.total:
            raise _ShortBody(f"body ended after {self.offset} of {self.total} bytes")
        self.total = self.offset
        self.complete = True

    def finish(self) -> Path | None:
        """fsync, rename into place, drop the meta file; return the final path (blocking file I/O)."""
        if self.file is None:
            self.open_part()
        self.drain()
        if self.stream is not None:
            self.stream.flush()
            return None
        assert self.file is not None and self.final is not None
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.file = None
        path = self._place(self.final)
        self.meta.unlink(missing_ok=True)
        log.debug("downloaded %d bytes to %s", self.offset, path)
        return path

    def result(self, path: Path | None) -> Any:
        """The final progress report and the result (on the caller's thread, like every report)."""
        size = self.offset
        if self.reported != (size, size):
            self.reported = (size, size)
            if self.on_progress is not None:
                self.on_progress(size, size)
        if path is None:
            return StreamedFile(self.stream_name, size, self.hasher.hexdigest(), self.content_type)
        return DownloadResult(path, size, self.hasher.hexdigest(), self.content_type)

    def _place(self, final: Path) -> Path:
        # into a folder: never replace a file that appeared meanwhile (numbered); to a file path: only with
        # overwrite=True (a file that appeared since the call started is an error, the part file kept)
        assert self.target is not None
        return place(self.part, final, overwrite=self.target.overwrite, number=self.folder is not None)

    def close(self) -> None:
        """Close the part file, keeping it (a crash or cancellation: the next call may resume it)."""
        if self.sink is not None:
            sink, self.sink = self.sink, None
            sink.stop()  # the queued bytes still reach the part file: a later call resumes from them
        if self.file is not None:
            self.file.close()
            self.file = None

    def discard(self) -> None:
        """Remove the part and meta files after a handled failure."""
        self.close()
        if self.final is not None:
            self.part.unlink(missing_ok=True)
            self.meta.unlink(missing_ok=True)

    def report(self) -> None:
        """Call `on_progress` if more bytes are done than last reported."""
        if self.on_progress is None:
            return
        # never backwards: after a restart from 0, reports pause until the old high-water mark is passed
        if self.reported is None or self.offset > self.reported[0]:
            self.reported = (self.offset, self.total)
            self.on_progress(self.offset, self.total)

    # -- HTTP

    def next_request(self) -> _Outgoing:
        """The next request: a redirect hop, or a new attempt from the caller's request."""
        hop, self.pending = self.pending, None
        if hop is None:
            self.redirects = 0
            url = self.request.url
            hop = _Hop(self.request.method, url, self.body, origin(url) == self.trusted_origin)
        self.current = hop
        headers: list[tuple[str, str]]
        if hop.trusted:
            headers = [(k, v) for k, v in self.request.headers.multi_items() if k.lower() not in _HOP_HEADERS]
            if not hop.content:
                headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
        else:
            # another origin: a fresh request carrying nothing of the caller's but Accept (and the body type)
            headers = [("Accept", self.request.headers.get("accept", "*/*"))]
            if hop.content and "content-type" in self.request.headers:
                headers.append(("Content-Type", self.request.headers["content-type"]))
        # identity: Content-Length and byte ranges then describe the file itself
        headers.append(("Accept-Encoding", "identity"))
        if self.offset > 0 and self.validator is not None:
            headers += [("Range", f"bytes={self.offset}-"), ("If-Range", self.validator)]
        log.debug(
            "%s %s (%s)%s",
            hop.method,
            redact_url(hop.url),
            "API client" if hop.trusted else "credential-free client",
            f" from byte {self.offset}" if self.offset and self.validator else "",
        )
        return _Outgoing(
            trusted=hop.trusted,
            method=hop.method,
            url=hop.url,
            headers=headers,
            content=hop.content or None,
            # one attempt per send: the restarts below are this download's retries (they never multiply)
            extensions=(
                {**self.request.extensions, MAX_ATTEMPTS: 1, UNCOUNTED: not self.facts.quota_counts_files}
                if hop.trusted
                else {}
            ),
        )

    def on_response(self, response: httpx.Response) -> str:
        """Decide what a response means: REDIRECT, BODY (stream it), DONE, or AGAIN (re-send with a range)."""
        status, headers = response.status_code, response.headers
        if status in _REDIRECTS:
            return self._redirect(status, headers.get("location"))
        if status == 416:
            _, _, total = parse_content_range(headers.get("content-range")) or (None, None, None)
            if self.offset > 0 and self.validator and total == self.offset == self.total:
                self.complete = True  # an earlier run wrote every byte but never renamed the part file
                return _DONE
            raise _Restart("HTTP 416 for the resumed range")
        if status == 206:
            first, _, total = parse_content_range(headers.get("content-range")) or (None, None, None)
            if first != self.offset or (total is not None and self.total is not None and total != self.total):
                raise _Restart(f"HTTP 206 with an unexpected Content-Range {headers.get('content-range')!r}")
            length = _content_length(headers)
            self.total = total if total is not None else None if length is None else self.offset + length
            return _BODY
        if 200 <= status < 300:
            return self._full_body(response)
        if status == 429 or (status == 503 and retry_after_wait(headers) is not None):
            return _THROTTLED  # the driver reads its head and asks `throttled` how long to wait
        raise self.error(f"HTTP {status} {response.reason_phrase}".rstrip())

    def throttled(self, response: httpx.Response, head: bytes) -> float:
        """Seconds to wait before re-sending the throttled hop, decided as the transport decides (Retry-After
        waited past, under the retry policy, `max_wait` and the deadline); beyond that budget the
        `RateLimitedError`, with `retry_after`, whatever host throttled (a signed file URL too; issue 13)."""
        hop = self.current
        assert hop is not None
        if self.throttle is None or self.throttle[0] is not hop:
            self.throttle = (hop, _Attempts(self.facts, self.settings, response.request))
        attempts = self.throttle[1]
        attempts.attempt += 1
        error, wait = attempts.after_response(response, head)
        if wait is not None:
            self.pending = hop  # the same hop again (no restart, no failure counted)
            return wait
        if not isinstance(error, RateLimitedError):  # a 503 with Retry-After: a throttle too
            error = build_error(
                self.facts.errors,
                status=response.status_code,
                headers=response.headers,
                content=head,
                method=hop.method,
                url=hop.url,
                throttle_wait=retry_after_wait(response.headers, now=self.settings.wall_clock()),
                response=response,
            )
        if attempts.refused:
            error.message = f"{error.message} ({attempts.refused})"
        raise error

    def _redirect(self, status: int, location: str | None) -> str:
        assert self.current is not None
        if not location:
            raise self.error(f"HTTP {status} redirect without a Location header")
        self.redirects += 1
        if self.redirects > MAX_REDIRECTS:
            raise self.error(f"more than {MAX_REDIRECTS} redirects")
        current = self.current
        try:
            url = current.url.join(location)
        except httpx.InvalidURL as exc:
            raise self.error(f"HTTP {status} redirect to an invalid Location") from exc
        method, content = current.method, current.content
        if status == 303 or (status in (301, 302) and method == "POST"):
            method, content = "GET", b""  # what browsers and httpx do
        # once off the API's origin, stay credential-free even if a later hop points back
        trusted = current.trusted and origin(url) == self.trusted_origin
        self.pending = _Hop(method, url, content, trusted)
        return _REDIRECT

    def _full_body(self, response: httpx.Response) -> str:
        headers = response.headers
        encoded = headers.get("content-encoding", "identity").lower() not in ("identity", "")
        total = None if encoded else _content_length(headers)
        validator = validator_of(headers)
        ranges = not encoded and "bytes" in headers.get("accept-ranges", "").lower()
        if self.final is None and self.stream is not None:
            self.stream_name = filename_for(headers, response.url)
        elif self.final is None:
            assert self.folder is not None
            self._name_in_folder(self.folder, filename_for(headers, response.url))
            if self.offset > 0 and ranges and validator == self.validator and total == self.total:
                return _AGAIN  # a part file of this very resource is waiting: ask for the rest only
        self.offset, self.total, self.content_type = 0, total, headers.get("content-type")
        resumable = ranges and validator is not None and total is not None
        self.validator = validator if resumable else None
        self._save_meta()
        return _BODY

    def failed(self, error: Exception) -> None:
        """Count a failed attempt; raise `DownloadError` when out of restarts, else prepare the next one."""
        self.drain()
        self.failures += 1
        if isinstance(error, APIConnectionError):  # no answer at all: the connection error, every attempt
            limit = deadline()
            late = limit is not None and limit.remaining() <= 0
            if late or self.failures > self.max_restarts:
                kind = APITimeoutError if late else type(error)
                text = f"the {limit.seconds:g} s deadline passed; last: " if limit and late else ""
                raise kind(
                    text + error.message,
                    vendor=error.vendor,
                    method=error.method,
                    url=error.url,
                    attempts=self.failures,
                ) from error.__cause__
        if self.failures > self.max_restarts:
            raise self.error(f"gave up after {self.failures} failed attempts; last: {error}") from error
        resume = not isinstance(error, _Restart) and self.validator is not None and self.offset > 0
        if not resume:
            self.offset = 0
        self.pending = None
        log.info(
            "download attempt %d failed (%s); %s",
            self.failures,
            error,
            f"resuming from byte {self.offset}" if resume else "restarting from byte 0",
        )

    def error(self, message: str) -> DownloadError:
        """A `DownloadError` about the caller's request (its URL is redacted)."""
        return DownloadError(message, url=self.request.url)


# --- bodies read beneath httpx --------------------------------------------------------------------------


@dataclass(frozen=True)
class _RawBody:
    """A large plain body to read from the connection's network stream (httpcore's `network_stream`).

    httpx reads a body as h11 events of at most 64 KiB, each copied about four times and carried through
    five generator layers: that, not the network, bounded downloads at ~0.4x curl (issue 13). Here the first
    event (whatever h11 already buffered: for a Content-Length body h11 hands over its whole buffer, so
    nothing is left behind in it) comes through httpx, then the rest straight from the stream: the sync
    driver receives into the sink's reusable buffers (`socket.recv_into`) where the stream is a plain or
    TLS socket, else (and always in the async driver) in reads of `chunk_size`. h11 never sees that rest,
    so httpcore closes the connection when the response is closed instead of pooling it — one connection
    per large download, as curl does.
    """

    stream: Any  # httpcore.NetworkStream / AsyncNetworkStream
    length: int
    timeout: float | None

    def socket(self) -> socket.socket | None:
        """The socket to `recv_into` when reading it yields the body's bytes (plain TCP, or TLS by `ssl`)."""
        sock = self.stream.get_extra_info("socket")
        tls = self.stream.get_extra_info("ssl_object")
        if not isinstance(sock, socket.socket):
            return None
        if isinstance(sock, ssl.SSLSocket):
            # TLS inside TLS (an HTTPS proxy) has an `ssl.SSLObject` over a socket carrying the outer TLS
            return None if isinstance(tls, ssl.SSLObject) else sock
        return sock if tls is None else None


def _raw_body(response: httpx.Response) -> _RawBody | None:
    """How to read `response`'s body beneath httpx, or None to let httpx read it."""
    headers, extensions = response.headers, response.extensions
    stream = extensions.get("network_stream")
    length = _content_length(headers)
    if (
        stream is None
        or response.is_stream_consumed  # read already (a small body the transport looked into)
        or extensions.get("http_version") not in (b"HTTP/1.1", b"HTTP/1.0")
        or headers.get("content-encoding", "identity").lower() not in ("identity", "")
        or "transfer-encoding" in headers
        or length is None
        or length < RAW_MIN
    ):
        return None
    timeout = response.request.extensions.get("timeout", {}).get("read")
    return _RawBody(stream, length, timeout)


def _read_error(response: httpx.Response, exc: Exception) -> Exception:
    """A read error (httpcore's, or the socket's) as httpx's, typed as the sellerkit transport types body
    errors."""
    import httpcore

    error: httpx.TransportError
    if isinstance(exc, httpcore.TimeoutException | TimeoutError):
        error = httpx.ReadTimeout(str(exc) or "timed out", request=response.request)
    else:
        error = httpx.ReadError(str(exc), request=response.request)
    typed = response.extensions.get(BODY_ERROR)
    return typed(error) if typed is not None else error


def _read_errors() -> tuple[type[Exception], ...]:
    """What httpcore's network streams raise on a read (httpcore is imported with the first transport,
    after `import httpx`: not here, so importing sellerkit stays as cheap as importing httpx)."""
    import httpcore

    return (httpcore.TimeoutException, httpcore.NetworkError)


def _body(response: httpx.Response, job: _Download) -> Iterator[bytes | memoryview]:
    """The body's bytes: large plain bodies read beneath httpx (`_RawBody`), others through httpx."""
    raw = _raw_body(response)
    if raw is None:
        yield from response.iter_bytes()
        return
    events = response.iter_raw()  # kept referenced: closing it would close the connection
    first = next(events, b"")
    remaining = raw.length - len(first)
    if first:
        yield first
    sock = raw.socket()
    if sock is None:
        read_errors = _read_errors()
        while remaining > 0:
            try:
                data: bytes = raw.stream.read(min(job.chunk_size, remaining), raw.timeout)
            except read_errors as exc:
                raise _read_error(response, exc) from exc
            if not data:
                return  # the connection closed early: a short body
            remaining -= len(data)
            yield data
        return
    sock.settimeout(raw.timeout)  # per recv, as httpcore sets it; the connection is closed afterwards
    while remaining > 0:
        view = job.buffer()
        want, got, error = min(len(view), remaining), 0, None
        while got < want:  # fill the buffer: one hand-off per buffer
            try:
                n = sock.recv_into(view[got:want])
            except OSError as exc:
                error = exc
                break
            if not n:
                break
            got += n
        remaining -= got
        if got:
            yield view[:got]  # bytes received before an error still reach the part file
        if error is not None:
            raise _read_error(response, error) from error
        if got < want:
            return  # the connection closed early: a short body


async def _abody(response: httpx.Response, chunk_size: int) -> AsyncIterator[bytes]:
    """`_body` for async responses."""
    raw = _raw_body(response)
    if raw is None:
        async for chunk in response.aiter_bytes():
            yield chunk
        return
    events = response.aiter_raw()  # kept referenced: closing it would close the connection
    first = await anext(events, b"")
    remaining = raw.length - len(first)
    if first:
        yield first
    read_errors = _read_errors()
    while remaining > 0:
        try:
            data: bytes = await raw.stream.read(min(chunk_size, remaining), raw.timeout)
        except read_errors as exc:
            raise _read_error(response, exc) from exc
        if not data:
            return
        remaining -= len(data)
        yield data


# --- drivers -------------------------------------------------------------------------------------------


def _target(dest: Target | Writable | str | os.PathLike[str]) -> Target | Writable:
    """A path is resolved by the destination rule (files.py); a Target or a stream is used as it is."""
    if isinstance(dest, str | os.PathLike):
        return resolve(dest)
    if isinstance(dest, Target) or callable(getattr(dest, "write", None)):
        return dest
    raise ConfigurationError("dest must be a folder, a file path or a writable binary stream")


# APIConnectionError: what the sellerkit transport makes of a transport error (plain clients raise httpx's)
_RETRYABLE = (httpx.TransportError, APIConnectionError, httpx.DecodingError, _ShortBody, _Restart)


def download(
    client: httpx.Client,
    request: httpx.Request,
    dest: Target | Writable | str | os.PathLike[str],
    *,
    on_progress: ByteProgress | None = None,
    chunk_size: int = 1 << 20,
    max_restarts: int = 3,
    plain_client: httpx.Client | None = None,
    facts: VendorFacts | None = None,
    settings: HttpSettings | None = None,
) -> Any:
    """Stream `request`'s body to `dest` (a file path, or a folder to name the file in) and return it.

    `facts` and `settings` (the client's transport settings: retry policy, `max_wait`, sleep) decide
    waits after a throttle from a host the sellerkit transport does not see (a file URL on another origin).
    """
    job = _Download(
        base_url=client.base_url,
        request=request,
        dest=_target(dest),
        on_progress=on_progress,
        chunk_size=chunk_size,
        max_restarts=max_restarts,
        write_here=True,
        facts=facts,
        settings=settings,
    )
    plain = plain_client
    try:
        while not job.complete:
            outgoing = job.next_request()
            if outgoing.trusted:
                sender = client
            else:  # created on first use: most downloads never leave the API's origin
                plain = plain or httpx.Client(timeout=client.timeout)
                sender = plain
            try:
                response = sender.send(
                    sender.build_request(
                        outgoing.method,
                        outgoing.url,
                        headers=outgoing.headers,
                        content=outgoing.content,
                        extensions=outgoing.extensions,
                    ),
                    stream=True,
                    follow_redirects=False,
                )
            except ApiError:
                raise  # the API's own answer (403, 404, ...): its typed error, not a download failure
            except _RETRYABLE as exc:
                job.failed(exc)
                continue
            wait = None
            try:
                step = job.on_response(response)
                if step == _BODY:
                    job.open_part()
                    job.report()
                    for chunk in _body(response, job):
                        job.write(chunk)
                    job.end_body()
                elif step == _THROTTLED:
                    wait = job.throttled(response, _read_head(response))
            except _RETRYABLE as exc:
                job.failed(exc)
            finally:
                response.close()
            if wait is not None:
                job.settings.sleep(wait)
        return job.result(job.finish())
    except RateLimitedError:
        if job.validator is None:  # a throttle ends the call, not the download: a later call resumes it
            job.discard()
        raise
    except (DownloadError, ApiError):
        job.discard()
        raise
    except APIConnectionError:
        if job.validator is None:  # nothing a later call could resume: leave no part file behind
            job.discard()
        raise
    except OSError as exc:
        job.discard()
        raise job.error(f"could not write {job.part}: {exc}") from exc
    finally:
        job.close()
        if plain is not None and plain_client is None:
            plain.close()


async def download_async(
    client: httpx.AsyncClient,
    request: httpx.Request,
    dest: Target | Writable | str | os.PathLike[str],
    *,
    on_progress: ByteProgress | None = None,
    chunk_size: int = 1 << 20,
    max_restarts: int = 3,
    plain_client: httpx.AsyncClient | None = None,
    facts: VendorFacts | None = None,
    settings: HttpSettings | None = None,
) -> Any:
    """`download` for `httpx.AsyncClient`; fsync and re-hashing run in a worker thread."""
    job = _Download(
        base_url=client.base_url,
        request=request,
        dest=_target(dest),
        on_progress=on_progress,
        chunk_size=chunk_size,
        max_restarts=max_restarts,
        write_here=False,
        facts=facts,
        settings=settings,
    )
    plain = plain_client
    try:
        while not job.complete:
            outgoing = job.next_request()
            if outgoing.trusted:
                sender = client
            else:  # created on first use: most downloads never leave the API's origin
                plain = plain or httpx.AsyncClient(timeout=client.timeout)
                sender = plain
            try:
                response = await sender.send(
                    sender.build_request(
                        outgoing.method,
                        outgoing.url,
                        headers=outgoing.headers,
                        content=outgoing.content,
                        extensions=outgoing.extensions,
                    ),
                    stream=True,
                    follow_redirects=False,
                )
            except ApiError:
                raise  # the API's own answer (403, 404, ...): its typed error, not a download failure
            except _RETRYABLE as exc:
                job.failed(exc)
                continue
            wait = None
            try:
                step = job.on_response(response)
                if step == _BODY:
                    await _aio.to_thread(job.open_part)
                    job.report()
                    async for chunk in _abody(response, job.chunk_size):
                        job.write(chunk)
                    job.end_body()
                elif step == _THROTTLED:
                    wait = job.throttled(response, await _aread_head(response))
            except _RETRYABLE as exc:
                job.failed(exc)
            finally:
                await response.aclose()
            if wait is not None:
                await job.settings.async_sleep(wait)
        return job.result(await _aio.to_thread(job.finish))
    except RateLimitedError:
        if job.validator is None:
            job.discard()
        raise
    except (DownloadError, ApiError):
        job.discard()
        raise
    except APIConnectionError:
        if job.validator is None:  # nothing a later call could resume: leave no part file behind
            job.discard()
        raise
    except OSError as exc:
        job.discard()
        raise job.error(f"could not write {job.part}: {exc}") from exc
    finally:
        job.close()
        if plain is not None and plain_client is None:
            await plain.aclose()
