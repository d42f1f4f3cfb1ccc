"""Paged exports to one file: every page of a list route streamed to disk, resumable, incremental.

`paged_export(...)` is a verb's steps (sans-I/O): it asks the vendor's `fetch(skip)` for one page at a time
(`skip` = the rows received so far; an empty page ends the list),
appends each page's rows to `<final name>.sellerkit-part` (JSON lines or CSV) and, once the page is on disk,
records a checkpoint in the journal (the part file's size, pages, rows, the high-water mark so far). Memory
holds one page at a time. A re-run of the same call after a crash truncates the part file to the last
checkpoint and goes on from the next page; when the last (short) page is written the file is fsynced and
placed by the files rule (never replacing a file unless `overwrite`), and the checkpoint is dropped. As for
downloads, a handled failure (a `SellerkitError`: the vendor's error answer, out of retries) removes the part
file and the checkpoint; a crash, a kill, a cancellation or a failing callback leaves them to resume.

Incremental exports: with a `mark_field` (a date-time field the rows carry), the largest value seen in a
complete export is kept in the journal under the query's key; `since="last"` on the next run filters on
`mark_field ge <that value>` (inclusive: a row changed in the same instant is exported again rather than
missed).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple, get_args

from .errors import ApiError, ConfigurationError, SellerkitError
from .files import PART_SUFFIX, Target, free_name, place
from .journal import Journal
from .steps import Offload, Steps

Row = Mapping[str, Any]
ExportFormat = Literal["jsonl", "csv"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)


class ExportProgress(NamedTuple):
    """How far an export is: complete pages and rows on disk (including resumed ones)."""

    pages: int
    rows: int


@dataclass(frozen=True)
class ExportResult:
    """A finished export: where the file is and what it holds."""

    path: Path
    format: str
    pages: int
    rows: int
    resumed_pages: int
    """Pages an earlier, interrupted run of the same call had already written (0: a fresh export)."""
    high_water_mark: str | None
    """The largest `mark_field` value written (ISO-8601), kept for the next `since="last"` run."""


@dataclass(frozen=True)
class ExportPlan:
    """What to export: the journal keys, the file format and columns, the paging."""

    vendor: str
    key: str
    """The call's fingerprint (query, format, destination): its checkpoint."""
    query_key: str
    """The query's fingerprint (no destination or format): its high-water mark."""
    name: str
    """The file name in a folder destination, e.g. `orders.jsonl`."""
    format: str
    columns: Sequence[str]
    page_size: int
    max_pages: int
    mark_field: str | None = None
    identity: Callable[[Row], object] | None = None
    """A row's identity: a page starting with the same row as the previous one means the server ignores
    `$skip` (an endless loop otherwise)."""


def check_format(format: object) -> str:
    if format not in FORMATS:
        raise ConfigurationError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    return str(format)


def parse_mark(value: object) -> datetime | None:
    """A row's date-time (ISO-8601, any fraction length; no zone = UTC), or None."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        text = value.strip().replace("Z", "+00:00")
        head, dot, rest = text.partition(".")
        if dot:  # .NET writes 7 fraction digits; Python reads at most 6
            digits = len(rest) - len(rest.lstrip("0123456789"))
            text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _Sink:
    """The part file being appended to, page by page."""

    def __init__(self, part: Path, fmt: str, columns: Sequence[str], offset: int | None) -> None:
        self.part, self.fmt, self.columns = part, fmt, list(columns)
        fresh = offset is None
        self.fh: BinaryIO = open(part, "wb" if fresh else "r+b")  # noqa: SIM115 (closed by close())
        if not fresh:
            self.fh.truncate(offset)
            self.fh.seek(0, os.SEEK_END)
        elif fmt == "csv":
            self._write_csv([dict(zip(self.columns, self.columns, strict=True))])

    def write(self, rows: Sequence[Row], durable: bool) -> int:
        """Append a page and flush it (`durable`: fsync it too); the part file's size after it."""
        if self.fmt == "jsonl":
            encode = _JSON.encode
            self.fh.write("".join(encode(row) + "\n" for row in rows).encode())
        else:
            self._write_csv(rows)
        self.fh.flush()
        if durable:
            os.fsync(self.fh.fileno())
        return self.fh.tell()

    def _write_csv(self, rows: Sequence[Row]) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends
        for row in rows:
            writer.writerow([_cell(row.get(column)) for column in self.columns])
        self.fh.write(buffer.getvalue().encode())

    def sync(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


# one encoder for every row: json.dumps with options builds a new JSONEncoder per call (a third of the time)
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
DURABLE_EVERY = 1.0
"""Seconds between fsyncs of the part file and its checkpoint. Every page's checkpoint is written atomically
(a crash or kill resumes after the last complete page); fsyncing each one cost a third of an export's time,
so after a power loss an export resumes from a checkpoint at most this old."""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):  # nested objects (addresses, items) as JSON in one cell
        return _JSON.encode(value)
    return str(value)


def _resume_point(plan: ExportPlan, journal: Journal) -> dict[str, Any] | None:
    saved = journal.checkpoint(plan.vendor, plan.key)
    if saved is None or saved.get("format") != plan.format or saved.get("page_size") != plan.page_size:
        return None
    part = Path(str(saved.get("part", "")))
    try:
        size = part.stat().st_size
    except OSError:
        return None
    offset = saved.get("offset")
    if not isinstance(offset, int) or offset > size or not _ends_a_row(part, offset):
        return None  # the part file lost data the checkpoint counted (a power loss): start again
    return saved


def _ends_a_row(part: Path, offset: int) -> bool:
    """Whether the part file's byte before `offset` ends a row (JSON lines and CSV rows end in a newline)."""
    if offset == 0:
        return True
    with open(part, "rb") as fh:
        fh.seek(offset - 1)
        return fh.read(1) == b"\n"


def paged_export(
    plan: ExportPlan,
    target: Target,
    journal: Journal,
    fetch: Callable[[int], Steps[Sequence[Row]]],
    on_progress: Callable[[ExportProgress], object] | None = None,
) -> Steps[ExportResult]:
    """Export every page (`fetch(skip)` → the page's rows) into one file; see the module docstring."""
    saved = yield Offload(lambda: _resume_point(plan, journal))
    if saved is not None:
        final, part = Path(saved["final"]), Path(saved["part"])
        pages, rows, offset = int(saved["pages"]), int(saved["rows"]), int(saved["offset"])
        mark = saved.get("mark") if isinstance(saved.get("mark"), str) else None
    else:
        final = target.path if target.path is not None else free_name(target.folder, plan.name)
        part = final.with_name(final.name + PART_SUFFIX)
        pages = rows = 0
        offset, mark = None, None
    resumed = pages
    sink: _Sink = yield Offload(lambda: _Sink(part, plan.format, plan.columns, offset))
    best = parse_mark(mark)
    previous: object = None
    synced = time.monotonic()
    try:
        while True:
            if pages >= plan.max_pages:
                raise ConfigurationError(f"stopped after max_pages={plan.max_pages} pages")
            # $skip advances by the rows received and only an empty page ends the list: a server that caps
            # $top below page_size sends short pages that are not the last
            batch = yield from fetch(rows)
            if not batch:
                break
            if plan.identity is not None:
                first = plan.identity(batch[0])
                if pages > resumed and first == previous:
                    raise ApiError(
                        f"{plan.vendor} sent the same page again for $skip={rows}: "
                        "the server ignores $skip, so the export cannot page",
                        vendor=plan.vendor,
                        status=200,
                    )
                previous = first
            if plan.mark_field is not None:
                for row in batch:
                    seen = parse_mark(row.get(plan.mark_field))
                    if seen is not None and (best is None or seen > best):
                        best = seen
            now = time.monotonic()
            durable = now - synced >= DURABLE_EVERY
            size = yield Offload(functools.partial(sink.write, batch, durable))
            synced = now if durable else synced
            pages, rows = pages + 1, rows + len(batch)
            mark = None if best is None else best.isoformat()
            state = {
                "final": str(final),
                "part": str(part),
                "format": plan.format,
                "page_size": plan.page_size,
                "pages": pages,
                "rows": rows,
                "offset": size,
                "mark": mark,
            }
            save = functools.partial(journal.save_checkpoint, plan.vendor, plan.key, state, durable=durable)
            yield Offload(save)
            if on_progress is not None:
                on_progress(ExportProgress(pages, rows))
        yield Offload(sink.sync)  # the whole file on disk before it is placed
    except SellerkitError:
        # a handled failure (the vendor's error answer, out of retries), as for downloads: nothing partial
        # is left behind; a crash, a kill, a cancellation or a failing callback keeps the part to resume
        sink.close()
        yield Offload(functools.partial(_discard, plan, part, journal))
        raise
    finally:
        sink.close()  # not an Offload: a closing generator (GeneratorExit) cannot yield

    def finish() -> Path:
        placed = place(part, final, overwrite=target.overwrite, number=target.is_folder)
        if mark is not None:
            journal.save_mark(plan.vendor, plan.query_key, mark)
        journal.clear_checkpoint(plan.vendor, plan.key)
        return placed

    path = yield Offload(finish)
    return ExportResult(path, plan.format, pages, rows, resumed, mark)


def _discard(plan: ExportPlan, part: Path, journal: Journal) -> None:
    with contextlib.suppress(OSError):
        part.unlink()
    journal.clear_checkpoint(plan.vendor, plan.key)


def forget(plan: ExportPlan, journal: Journal) -> None:
    """Drop an unfinished export's checkpoint and part file (a `fresh=True` run starts from page one)."""
    saved = journal.checkpoint(plan.vendor, plan.key)
    if saved is not None:
        with contextlib.suppress(OSError):
            Path(str(saved.get("part", ""))).unlink()
    journal.clear_checkpoint(plan.vendor, plan.key)
