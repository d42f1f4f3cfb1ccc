"""Sellercloud REST API simulator: token, catalog exports (via plugin, basic, custom) and the queued jobs they
create (status and counters, logs, cancel, output file), as described in vendor-docs/000_01ff09efc8dcbe76.txt
and vendor-notes.md § Sellercloud. Every path is under `/rest`, like `https://{server_id}.api.sellercloud.com/rest`.

Facts the docs leave open are decided here (the README's Sellercloud section lists them, and which of them
`specs/sellercloud.yaml` does not declare yet):

- error bodies are ASP.NET-style `{"Message": ...}` (invalid bodies add `ModelState`); bad credentials on the
  token endpoint and missing/expired/unknown bearer tokens are 401 (the spec's choice);
- invalid requests are 400 and unknown job ids 404 (`not_found_status`), as the spec (0.2.0) declares;
- the plugin export answers at both paths; FileFormat is optional and defaults to 0 (what Json.NET gives an
  absent enum); a job id is the `id=` query parameter of the queued job link;
- jobs go Submitted(0) → Processing(1) → final; cancelling a job that already finished changes nothing (200);
- the rate limit is a fixed window per client IP that starts with the window's first request; refused
  requests don't count; the throttle body carries no Retry-After unless a setting/fault adds it;
- the output file ignores Range (nothing documents resumable downloads), so `no_range` changes nothing there.

Simulated time maps to UTC with `EPOCH_OFFSET` (0: `clock.now()` *is* the Unix time of the simulated world,
as in the framework's http-date Retry-After); `utc_from_sim` / `sim_from_utc` convert.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import email.utils
import enum
import functools
import hashlib
import io
import json
import math
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .files import xlsx
from .framework import (
    FAULT_KINDS,
    HttpLayer,
    ScaledClock,
    Simulator,
    bearer_token,
    settings_from,
    settings_options,
)

if TYPE_CHECKING:
    import argparse

    from sellerkit.sellercloud import AsyncSellercloudClient, SellercloudClient  # noqa: F401 (the simulator's type arguments)

__all__ = [
    "COLUMNS",
    "DEFAULT_PLUGINS",
    "DOCS_JOB_ID",
    "EPOCH_OFFSET",
    "EXTENSIONS",
    "FINAL_STATUSES",
    "LINK_SHAPES",
    "OUTCOMES",
    "OUTPUT_SHAPES",
    "ExportFile",
    "FileFormat",
    "Job",
    "JobStatus",
    "SellercloudSettings",
    "SellercloudSimulator",
    "SellercloudState",
    "SellercloudStats",
    "cli_arguments",
    "cli_start",
    "format_server_time",
    "format_utc",
    "job_id_from_link",
    "output_response",
    "product_values",
    "render_export",
    "sim_from_utc",
    "utc_from_sim",
]

API_PREFIX: Final = "/rest"
TOKEN_PATH: Final = "/rest/api/token"
PLUGIN_METADATA_PATH: Final = "/rest/api/Catalog/Exports/ViaPlugin/Metadata"
EXPORT_VIA_PLUGIN_PATH: Final = "/rest/api/Catalog/Exports/ViaPlugin"  # the spec's primary path
EXPORT_VIA_PLUGIN_DOCS_PATH: Final = "/rest/api/Catalog/ViaPlugin"  # the docs' prose path
BASIC_EXPORT_PATH: Final = "/rest/api/Catalog/Exports/Basic"
CUSTOM_EXPORT_PATH: Final = "/rest/api/Catalog/Exports/Custom"
CUSTOM_METADATA_PATH: Final = "/rest/api/Catalog/Exports/Custom/Metadata"
JOBS_PATH: Final = "/rest/api/QueuedJobs"
OUTPUT_FILE_PATH: Final = "/rest/api/QueuedJobs/OutputFile"
CANCEL_PATH: Final = "/rest/api/QueuedJobs/Cancel"

DOCS_JOB_ID: Final = 2206923  # the id in the notes' example link: the first job a simulator creates
EPOCH_OFFSET: Final = 0.0  # simulated seconds + EPOCH_OFFSET = Unix seconds (UTC)
MAX_LOG_PAGE_SIZE: Final = 50
DEFAULT_LOG_PAGE_SIZE: Final = 50  # undocumented: a missing pageSize gets the largest page
UNAUTHORIZED_MESSAGE: Final = "Authorization has been denied for this request."  # ASP.NET's [Authorize] text
THROTTLE_ERROR: Final = "Too many requests."


class FileFormat(enum.IntEnum):
    TAB_DELIMITED = 0
    CSV = 1
    EXCEL = 2


class JobStatus(enum.IntEnum):
    """Queued job statuses as the docs list them (there is no 2)."""

    SUBMITTED = 0
    PROCESSING = 1
    COMPLETED = 3
    FAILED = 4
    PARTIAL_SUCCESS = 5
    ON_HOLD = 6
    CANCELLED = 7
    CANCELLED_SERVICE_RESTARTED = 8
    ABORTED_TOO_MUCH_TIME_CONSUMED = 9
    CANCELLED_WHILE_RUNNING = 10


FINAL_STATUSES: Final = frozenset({3, 4, 5, 7, 8, 9, 10})
#: How a job ends; None: it never does ("stuck": Processing with progress frozen halfway; "on_hold": 6).
OUTCOMES: Final[Mapping[str, JobStatus | None]] = {
    "completed": JobStatus.COMPLETED,
    "partial": JobStatus.PARTIAL_SUCCESS,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
    "service_restarted": JobStatus.CANCELLED_SERVICE_RESTARTED,
    "aborted": JobStatus.ABORTED_TOO_MUCH_TIME_CONSUMED,
    "stuck": None,
    "on_hold": None,
}
#: The output file's body: (a) base64 as a JSON string + Content-Disposition [doc, the spec's reading];
#: (b) JSON {FileName, Content} [vendor-swagger]; (c) raw bytes [3rd-party]; and "base64_text", the other
#: reading of (a): unquoted base64 as text/plain (the spec's second content type).
OUTPUT_SHAPES: Final = ("base64_json", "file_content", "raw", "base64_text")
#: The queued job link: {"QueuedJobLink": ...} (the notes, the spec's first branch) or a bare JSON string.
LINK_SHAPES: Final = ("object", "string")
EXPORT_RESPONSES: Final = ("job", "file")  # basic/custom exports: a queued job link or {FileName, Content}
DEFAULT_PLUGINS: Final = (
    ("ProductExportDefault", "Default product export"),
    ("AmazonInventoryFeed", "Amazon inventory feed"),
    ("ShopifyCatalogSync", None),  # a null display name: PluginInfo.Value is nullable
)
JOB_TYPES: Final = {"plugin": 31, "basic": 32, "custom": 33}  # undocumented numeric codes, stable per kind
EXTENSIONS: Final = {FileFormat.TAB_DELIMITED: "txt", FileFormat.CSV: "csv", FileFormat.EXCEL: "xlsx"}


# ---------------------------------------------------------------- simulated time ↔ UTC


def utc_from_sim(sim_time: float) -> dt.datetime:
    """The UTC datetime of a simulated instant (how RateLimitResetTime and the job timestamps are made)."""
    return dt.datetime.fromtimestamp(sim_time + EPOCH_OFFSET, dt.UTC)


def sim_from_utc(when: dt.datetime | str) -> float:
    """The simulated instant of a UTC datetime or ISO-8601 text (a naive one is taken as UTC)."""
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp() - EPOCH_OFFSET


RESET_ROUNDINGS: Final = ("down", "up")


def format_utc(sim_time: float, rounding: str = "up") -> str:
    """ISO-8601 UTC with a "Z" in whole seconds: rounded "up" (a client waiting until it is never early) or
    "down" (truncated, as .NET's sortable format prints a DateTime: up to a second before the reset)."""
    if rounding not in RESET_ROUNDINGS:
        raise ValueError(f"rounding must be one of {RESET_ROUNDINGS}, not {rounding!r}")
    whole = math.ceil if rounding == "up" else math.floor
    return utc_from_sim(whole(sim_time + EPOCH_OFFSET) - EPOCH_OFFSET).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_server_time(sim_time: float) -> str:
    """A job/log timestamp as a .NET server prints a DateTime: ISO-8601, milliseconds, no offset (UTC)."""
    return utc_from_sim(sim_time).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def job_id_from_link(link: str) -> int:
    """The job id of a queued job link: its `id=` query parameter (case-insensitive name, like ASP.NET)."""
    for name, values in parse_qs(urlsplit(link).query, keep_blank_values=True).items():
        if name.lower() == "id" and values and re.fullmatch(r"\d+", values[0]):
            return int(values[0])
    raise ValueError(f"no numeric id= query parameter in queued job link {link[:200]!r}")


# ---------------------------------------------------------------- export files (deterministic from the SKUs)

#: Export columns (key, display name); the custom-export metadata lists them and plugin/basic exports use all.
COLUMNS: Final = (
    ("ProductID", "SKU"),
    ("ProductName", "Product Name"),
    ("UPC", "UPC"),
    ("ManufacturerSKU", "Manufacturer SKU"),
    ("BrandName", "Brand"),
    ("SitePrice", "Site Price"),
    ("InventoryAvailableQty", "Available Quantity"),
    ("Weight", "Weight (lb)"),
)
_COLUMN_KEYS: Final = tuple(key for key, _ in COLUMNS)
_NUMERIC_COLUMNS: Final = frozenset({"SitePrice", "InventoryAvailableQty", "Weight"})
# Commas, quotes, an ampersand and non-ASCII exercise CSV quoting, XML escaping and UTF-8 handling.
_BRANDS: Final = (
    "Northwind Traders",
    'Smith & Sons, "Original"',
    "Café Olé",
    "Acme",
    "Blue Ridge Outfitters",
    "Zürich Goods",
)
_NOUNS: Final = (
    "Widget",
    "Gadget",
    "USB-C Cable",
    "Coffee Mug",
    "Desk Lamp",
    "Notebook",
    "Backpack",
    "Charger",
)


def product_values(sku: str) -> dict[str, str]:
    """The product the simulator reports for a SKU, one text value per column key (deterministic)."""
    h = hashlib.sha256(sku.encode("utf-8", "surrogatepass")).digest()
    brand = _BRANDS[h[0] % len(_BRANDS)]
    cents = int.from_bytes(h[13:16], "big") % 100_000
    hundredths = int.from_bytes(h[17:19], "big") % 5_000
    return {
        "ProductID": sku,
        "ProductName": f"{brand} {_NOUNS[h[1] % len(_NOUNS)]} {h[2]:02X}{h[3]:02X}",
        "UPC": f"{int.from_bytes(h[4:10], 'big') % 10**12:012d}",  # leading zeros: keep UPCs as text
        "ManufacturerSKU": f"MFR-{h[10:13].hex().upper()}",
        "BrandName": brand,
        "SitePrice": f"{cents // 100}.{cents % 100:02d}",
        "InventoryAvailableQty": str(int.from_bytes(h[19:21], "big") % 500),
        "Weight": f"{hundredths // 100}.{hundredths % 100:02d}",
    }


@dataclass(frozen=True)
class ExportFile:
    """An export's file: its bytes and what a downloader checks."""

    data: bytes
    file_format: FileFormat
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.file_format]

    @property
    def media_type(self) -> str:
        return {
            FileFormat.TAB_DELIMITED: "text/tab-separated-values",
            FileFormat.CSV: "text/csv",
            FileFormat.EXCEL: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[self.file_format]

    @property
    def b64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")


def _rows(product_ids: Sequence[str], columns: Sequence[str]) -> list[list[str]]:
    rows = [list(columns)]
    for sku in product_ids:
        values = product_values(sku)
        rows.append([values[c] for c in columns])
    return rows


def _text_file(rows: list[list[str]], delimiter: str) -> bytes:
    # Windows line ends, as a .NET server writes them; TAB files can't quote, so tabs/newlines become spaces
    out = io.StringIO()
    if delimiter == ",":
        csv.writer(out, lineterminator="\r\n").writerows(rows)
    else:
        for row in rows:
            out.write("\t".join(re.sub(r"[\t\r\n]", " ", cell) for cell in row) + "\r\n")
    return out.getvalue().encode("utf-8", "surrogatepass")


def _xlsx_file(rows: list[list[str]]) -> bytes:
    """A minimal valid .xlsx (one sheet, inline strings, numbers as numbers), byte-for-byte deterministic."""
    return xlsx(rows, [i for i, key in enumerate(rows[0]) if key in _NUMERIC_COLUMNS])


@functools.lru_cache(maxsize=16)
def _render_cached(
    product_ids: tuple[str, ...], file_format: FileFormat, columns: tuple[str, ...]
) -> ExportFile:
    rows = _rows(product_ids, columns)
    if file_format is FileFormat.EXCEL:
        data = _xlsx_file(rows)
    else:
        data = _text_file(rows, "\t" if file_format is FileFormat.TAB_DELIMITED else ",")
    return ExportFile(data=data, file_format=file_format, sha256=hashlib.sha256(data).hexdigest())


def render_export(
    product_ids: Sequence[str], file_format: int, columns: Sequence[str] | None = None
) -> ExportFile:
    """The exact export file for these SKUs (same SKUs + format + columns → same bytes).

    A header row of column keys, then one row per SKU in request order (duplicates kept): TAB-delimited text
    or CSV (UTF-8, CRLF) or a one-sheet .xlsx. `columns` (keys of `COLUMNS`) defaults to all of them.
    """
    chosen = tuple(columns) if columns is not None else _COLUMN_KEYS
    return _render_cached(tuple(product_ids), FileFormat(file_format), chosen)


# ---------------------------------------------------------------- settings, jobs, state


@dataclass
class SellercloudSettings:
    """Knobs of one simulator (may be changed while it runs; timing and outcome apply to new jobs)."""

    token_seconds: float = 1800.0  # the docs' example expires_in (their prose says 60 minutes)
    queue_seconds: float = 1.0  # simulated seconds a job stays Submitted
    job_seconds: float = 3.0  # simulated seconds a job stays Processing
    outcome: str = "completed"  # a key of OUTCOMES, for new jobs
    error_message: str = "Export failed: the plugin could not build the file (simulated)."
    partial_failures: int = 1  # products that fail in a PartialSuccess job (the last ones of the request)
    link_shape: str = "object"  # LINK_SHAPES
    job_link_template: str = "{origin}/queued-job-details.aspx?id={id}"  # {origin}, {id}, {server_id}
    output_shape: str = "base64_json"  # OUTPUT_SHAPES
    basic_response: str = "job"  # EXPORT_RESPONSES
    custom_response: str = "job"
    basic_file_format: int = int(FileFormat.CSV)  # undocumented: the file format of basic exports
    plugins: tuple[tuple[str, str | None], ...] = DEFAULT_PLUGINS
    rate_limit: int = 10_800  # requests per window per client IP (the docs: 10,800 per hour)
    rate_limit_period: float = 3600.0  # simulated seconds
    throttle_status: int = 429  # the docs give no status for the throttle body; the spec says 429
    throttle_retry_after: bool = False  # add Retry-After (seconds until the reset) to the throttle body
    # RateLimitResetTime has whole seconds; the docs don't say how they are rounded. A .NET server printing a
    # DateTime with a seconds format truncates, so by default the time named is up to 1 s before the reset
    reset_time_rounding: str = "down"
    not_found_status: int = 404  # unknown job ids, and output files a job doesn't have
    file_format_names: bool = False  # also accept FileFormat as a string ("Excel", "2"), as Json.NET does
    first_job_id: int = DOCS_JOB_ID

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError for a setting outside its choices (also called on each request that uses them)."""
        for name, value, choices in (
            ("outcome", self.outcome, tuple(OUTCOMES)),
            ("link_shape", self.link_shape, LINK_SHAPES),
            ("output_shape", self.output_shape, OUTPUT_SHAPES),
            ("basic_response", self.basic_response, EXPORT_RESPONSES),
            ("custom_response", self.custom_response, EXPORT_RESPONSES),
            ("reset_time_rounding", self.reset_time_rounding, RESET_ROUNDINGS),
        ):
            if value not in choices:
                raise ValueError(f"{name} must be one of {choices}, not {value!r}")
        FileFormat(self.basic_file_format)


@dataclass
class Job:
    """One queued job. Its status, counters and log follow from its timeline and the simulated time."""

    id: int
    kind: str  # "plugin", "basic" or "custom"
    product_ids: tuple[str, ...]
    file_format: FileFormat
    columns: tuple[str, ...]
    plugin_key: str | None
    submitted_by: str
    submitted_at: float
    start_at: float
    end_at: float  # when a job that completes would complete
    outcome: str
    error_message: str
    partial_failures: int
    cancelled_at: float | None = None
    cancel_status: JobStatus | None = None
    cancel_fraction: float = 0.0

    @property
    def records(self) -> int:
        return len(self.product_ids)

    @property
    def output_file_name(self) -> str:
        return f"{self.kind.capitalize()}Export_{self.id}.{EXTENSIONS[self.file_format]}"

    @property
    def failed_count(self) -> int:
        """Products that fail (PartialSuccess only): the last ones of the request, at least one."""
        return min(self.records, max(1, self.partial_failures)) if self.outcome == "partial" else 0

    @property
    def succeeded_ids(self) -> tuple[str, ...]:
        return self.product_ids[: self.records - self.failed_count]

    def _stop(self) -> tuple[float, float] | None:
        """When the job reaches its final status and the progress it stops at (None: never)."""
        if self.cancelled_at is not None:
            return self.cancelled_at, self.cancel_fraction
        if self.outcome in ("completed", "partial"):
            return self.end_at, 1.0
        if self.outcome in ("failed", "aborted", "service_restarted"):  # they end halfway through
            return self.start_at + (self.end_at - self.start_at) / 2, 0.5
        if self.outcome == "cancelled":  # cancelled by the server before it started
            return self.start_at, 0.0
        return None

    def started(self, now: float) -> bool:
        if now < self.start_at or self.outcome in ("cancelled", "on_hold"):
            return False
        return self.cancelled_at is None or self.cancelled_at >= self.start_at

    def fraction(self, now: float) -> float:
        """Share of the products processed at `now` (0..1)."""
        if not self.started(now):
            return 0.0
        span = self.end_at - self.start_at
        raw = 1.0 if span <= 0 else min(1.0, (now - self.start_at) / span)
        stop = self._stop()
        if stop is not None:
            return stop[1] if now >= stop[0] else min(raw, stop[1])
        return min(raw, 0.5)  # stuck: progress freezes halfway

    def status(self, now: float) -> JobStatus:
        if self.cancelled_at is not None and now >= self.cancelled_at and self.cancel_status is not None:
            return self.cancel_status
        if now < self.start_at:
            return JobStatus.SUBMITTED
        stop = self._stop()
        final = OUTCOMES[self.outcome]
        if stop is not None and final is not None and now >= stop[0]:
            return final
        return JobStatus.ON_HOLD if self.outcome == "on_hold" else JobStatus.PROCESSING

    def completed_at(self, now: float) -> float | None:
        stop = self._stop()
        return stop[0] if stop is not None and self.status(now) in FINAL_STATUSES else None

    def counters(self, now: float) -> tuple[int, int, int, int]:
        """(TotalRecords, TotalProcessed, TotalSucceeded, TotalFailure) at `now`."""
        if not self.started(now):
            return 0, 0, 0, 0
        n = self.records
        processed = math.floor(n * self.fraction(now))
        status = self.status(now)
        if status is JobStatus.FAILED:
            return n, n, processed, n - processed  # the products it didn't reach count as failed
        failures = max(0, processed - (n - self.failed_count))
        return n, processed, processed - failures, failures

    def has_output(self, now: float) -> bool:
        return self.status(now) in (JobStatus.COMPLETED, JobStatus.PARTIAL_SUCCESS)

    def error_text(self, now: float) -> str | None:
        status = self.status(now)
        if status is JobStatus.FAILED:
            return self.error_message
        if status is JobStatus.ABORTED_TOO_MUCH_TIME_CONSUMED:
            return "The job was aborted: it took too much time."
        if status is JobStatus.CANCELLED_SERVICE_RESTARTED:
            return "The job was cancelled: the service was restarted."
        return None

    def to_json(self, now: float) -> dict[str, Any]:
        records, processed, succeeded, failure = self.counters(now)
        completed = self.completed_at(now)
        return {
            "Basic": {
                "ID": self.id,
                "Status": int(self.status(now)),
                "ErrorMessage": self.error_text(now),
                "JobType": JOB_TYPES[self.kind],
                "SubmittedOn": format_server_time(self.submitted_at),
                "StartedOn": format_server_time(self.start_at) if self.started(now) else None,
                "CompletedOn": None if completed is None else format_server_time(completed),
                "SubmittedBy": self.submitted_by,  # an undeclared extra, as the server sends more properties
            },
            "OutputFile": self.output_file_name if self.has_output(now) else None,
            "InputFile": None,
            "TotalRecords": records,
            "TotalProcessed": processed,
            "TotalSucceeded": succeeded,
            "TotalFailure": failure,
        }

    def log(self, now: float) -> list[tuple[float, bool, str]]:
        """The log entries written by `now`: (time, is_error, message), oldest first."""
        n = self.records
        entries = [(self.submitted_at, False, f"Job {self.id} queued: {self.kind} export of {n} products.")]
        held = self.cancelled_at is None or self.cancelled_at >= self.start_at
        if now >= self.start_at and self.outcome == "on_hold" and held:
            entries.append((self.start_at, False, "Job put on hold."))
        if self.started(now):
            entries.append((self.start_at, False, "Processing started."))
            span = self.end_at - self.start_at
            done = math.floor(n * self.fraction(now))
            first_failed = n - self.failed_count
            for i, sku in enumerate(self.product_ids[:done]):
                at = self.start_at + span * (i + 1) / n
                label = sku[:100]
                if i >= first_failed:
                    entries.append((at, True, f"Product {label!r} could not be exported (simulated)."))
                else:
                    entries.append((at, False, f"Product {label!r} exported."))
        completed = self.completed_at(now)
        if completed is not None:
            status = self.status(now)
            error = self.error_text(now)
            if error is not None:
                entries.append((completed, True, error))
            elif status is JobStatus.COMPLETED:
                entries.append((completed, False, f"Export completed: {self.output_file_name}."))
            elif status is JobStatus.PARTIAL_SUCCESS:
                message = (
                    f"Export finished: {self.failed_count} of {n} products failed; {self.output_file_name}."
                )
                entries.append((completed, True, message))
            elif status is JobStatus.CANCELLED_WHILE_RUNNING:
                entries.append((completed, False, "Job cancelled while running."))
            else:
                entries.append((completed, False, "Job cancelled."))
        return entries


@dataclass
class Token:
    value: str
    username: str
    issued_at: float
    expires_at: float


@dataclass
class SellercloudStats:
    """Counters for tests and benchmarks (calls per route: `sim.requests.per_route()`)."""

    tokens_issued: int = 0  # tokens granted by POST /api/token (not the ones sim.token() mints)
    token_refusals: int = 0
    jobs_created: int = 0
    inline_files: int = 0  # basic/custom exports answered with {FileName, Content}
    files_served: int = 0  # output files sent (any shape)
    cancels: int = 0  # cancel requests that changed a job
    throttled: int = 0  # refused by the rate limit (not by faults)
    max_requests_in_window: int = 0


class SellercloudState:
    """Tokens, jobs, rate-limit windows and counters of one simulator."""

    def __init__(self, settings: SellercloudSettings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.tokens: dict[str, Token] = {}
        self.jobs: dict[int, Job] = {}
        self.stats = SellercloudStats()
        self.windows: dict[str, list[float]] = {}  # client IP -> [window start, requests admitted]
        self._next_id = settings.first_job_id

    def issue_token(self, username: str, now: float, ttl: float) -> Token:
        token = Token(secrets.token_urlsafe(48), username, now, now + ttl)
        with self.lock:
            self.tokens[token.value] = token
        return token

    def add_job(self, **fields: Any) -> Job:
        with self.lock:
            job = Job(id=self._next_id, **fields)
            self._next_id += 1
            self.jobs[job.id] = job
            self.stats.jobs_created += 1
        return job

    def admit(self, client: str, now: float) -> tuple[bool, float]:
        """Count one request against the client's window: (admitted, when the window resets)."""
        settings = self.settings
        with self.lock:
            window = self.windows.get(client)
            if window is None or now >= window[0] + settings.rate_limit_period:
                # whole-second window starts: the printed reset time (whole seconds) is then exact
                window = self.windows[client] = [float(math.floor(now)), 0.0]
            reset_at = window[0] + settings.rate_limit_period
            if window[1] >= settings.rate_limit:
                self.stats.throttled += 1
                return False, reset_at
            window[1] += 1
            self.stats.max_requests_in_window = max(self.stats.max_requests_in_window, int(window[1]))
            return True, reset_at

    def window_reset(self, client: str, now: float) -> float:
        """When the client's current window resets (now + period if it has none)."""
        with self.lock:
            window = self.windows.get(client)
            if window is None or now >= window[0] + self.settings.rate_limit_period:
                return now + self.settings.rate_limit_period
            return window[0] + self.settings.rate_limit_period


# ---------------------------------------------------------------- HTTP helpers


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()  # ASCII escapes: echoed input can't break it
    return Response(data, status, dict(headers or {}), media_type="application/json; charset=utf-8")


def _error(status: int, message: str, **extra: Any) -> Response:
    return _json({"Message": message, **extra}, status)


def _invalid(errors: Mapping[str, str]) -> Response:
    """400 with ASP.NET's model-state body."""
    model_state = {f"request.{name}": [text] for name, text in errors.items()}
    return _error(400, "The request is invalid.", ModelState=model_state)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_int(value: Any) -> int | None:
    """A JSON integer (2 or 2.0, as JSON Schema counts them), else None; booleans are not integers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _query_int(request: Request, name: str) -> int | str | None:
    """The integer query parameter `name` (case-insensitive), None if absent, or an error text."""
    raw = next((v for k, v in request.query_params.multi_items() if k.lower() == name.lower()), None)
    if raw is None:
        return None
    if not re.fullmatch(r"\s*[+-]?\d{1,30}\s*", raw):
        return f"The value '{_shown(raw)}' is not valid for {name}."
    return int(raw)


async def _json_object(request: Request) -> dict[str, Any] | Response:
    body = await request.body()
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _invalid({"body": "The request body is not valid JSON."})
    if not isinstance(payload, dict):
        return _invalid({"body": "The request body must be a JSON object."})
    return payload


def _product_ids(payload: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, ...]:
    ids = payload.get("ProductIds")
    if not isinstance(ids, list) or not all(isinstance(s, str) for s in ids):
        errors["ProductIds"] = "ProductIds is required: an array of product SKUs (strings)."
        return ()
    if not ids:
        errors["ProductIds"] = "ProductIds must contain at least one SKU."
        return ()
    try:
        "".join(ids).encode("utf-8")
    except UnicodeEncodeError:
        errors["ProductIds"] = "ProductIds must be valid Unicode strings."
        return ()
    return tuple(ids)


# ---------------------------------------------------------------- the simulator


class SellercloudSimulator(Simulator["SellercloudClient", "AsyncSellercloudClient"]):
    """The simulator. Serve it with `running()`; get a token over HTTP or with `token()`."""

    name: ClassVar[str] = "sellercloud"
    api_prefix: ClassVar[str] = API_PREFIX  # the spec's server URL ends in /rest; /api/token goes after it
    #: the framework's fault kinds, plus the vendor's own throttle answer:
    #: status None = settings.throttle_status; reset_in None = the client's window reset (simulated s from
    #: now otherwise); retry_after None = settings.throttle_retry_after, True/False to force it either way
    fault_kinds: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        **FAULT_KINDS,
        "throttle": {"status": None, "reset_in": None, "retry_after": None},
    }
    #: unknown_enum on GET /api/QueuedJobs/{id}: the field that gets an undocumented value, and its default
    JOB_ENUM_FIELDS: ClassVar[Mapping[str, int]] = {"Status": 11}

    def __init__(
        self,
        clock: ScaledClock | None = None,
        settings: SellercloudSettings | None = None,
        *,
        username: str = "sim-user@sellercloud.test",
        password: str | None = None,
        server_id: str = "tt",
    ) -> None:
        self.settings = settings if settings is not None else SellercloudSettings()
        self.state = SellercloudState(self.settings)
        self.username = username
        self.password = password if password is not None else "sim-" + secrets.token_urlsafe(18)
        self.server_id = server_id
        super().__init__(clock)

    # ---- credentials

    @property
    def credentials(self) -> dict[str, str]:
        """The token request body."""
        return {"Username": self.username, "Password": self.password}

    def token(self, ttl: float | None = None) -> str:
        """A valid bearer token minted directly (not counted in stats.tokens_issued); ttl in simulated s."""
        lifetime = self.settings.token_seconds if ttl is None else ttl
        return self.state.issue_token(self.username, self.clock.now(), lifetime).value

    def auth_headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token if token is not None else self.token()}"}

    def revoke_tokens(self) -> None:
        """Forget every token (the next call with one is 401, as after a server-side revocation)."""
        with self.state.lock:
            self.state.tokens.clear()

    # ---- jobs, for tests

    def job(self, ref: int | str) -> Job:
        """A job by id or queued job link."""
        job_id = ref if isinstance(ref, int) else job_id_from_link(ref)
        with self.state.lock:
            return self.state.jobs[job_id]

    def job_status(self, ref: int | str) -> JobStatus:
        return self.job(ref).status(self.clock.now())

    def set_outcome(
        self,
        ref: int | str,
        outcome: str,
        *,
        error_message: str | None = None,
        partial_failures: int | None = None,
    ) -> Job:
        """Decide how a job ends (a key of OUTCOMES); it still runs its course in simulated time."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {tuple(OUTCOMES)}, not {outcome!r}")
        job = self.job(ref)
        with self.state.lock:
            job.outcome = outcome
            if error_message is not None:
                job.error_message = error_message
            if partial_failures is not None:
                job.partial_failures = partial_failures
        return job

    def complete(self, ref: int | str) -> Job:
        """Finish a job now (with its outcome; "stuck"/"on_hold" become "completed")."""
        job = self.job(ref)
        now = self.clock.now()
        with self.state.lock:
            if job.outcome in ("stuck", "on_hold"):
                job.outcome = "completed"
            job.start_at = min(job.start_at, now)
            job.end_at = min(job.end_at, now)
            job.submitted_at = min(job.submitted_at, job.start_at)
        return job

    def fail(self, ref: int | str, message: str | None = None) -> Job:
        """Make a job end Failed(4) halfway through, with `message` as its ErrorMessage."""
        return self.set_outcome(ref, "failed", error_message=message)

    def stall(self, ref: int | str) -> Job:
        """Keep a job Processing forever (progress frozen halfway), for poll-deadline tests."""
        return self.set_outcome(ref, "stuck")

    def cancel(self, ref: int | str) -> JobStatus:
        """Cancel as PUT /api/QueuedJobs/Cancel does; returns the job's status afterwards."""
        job = self.job(ref)
        now = self.clock.now()
        with self.state.lock:
            if job.status(now) not in FINAL_STATUSES:
                running = job.started(now)
                job.cancel_fraction = job.fraction(now)
                job.cancel_status = JobStatus.CANCELLED_WHILE_RUNNING if running else JobStatus.CANCELLED
                job.cancelled_at = now
                self.state.stats.cancels += 1
        return job.status(now)

    # ---- files, for assertions

    def expected_export(
        self, product_ids: Sequence[str], file_format: int, columns: Sequence[str] | None = None
    ) -> ExportFile:
        return render_export(product_ids, file_format, columns)

    def expected_file(self, ref: int | str) -> ExportFile:
        """The output file a job has (or will have): PartialSuccess files leave the failed products out."""
        job = self.job(ref)
        return render_export(job.succeeded_ids, job.file_format, job.columns)

    def file_bytes(self, ref: int | str) -> bytes:
        return self.expected_file(ref).data

    def file_sha256(self, ref: int | str) -> str:
        return self.expected_file(ref).sha256

    def job_link(self, job_id: int) -> str:
        origin = self.origin or f"https://{self.server_id}.api.sellercloud.com"
        return self.settings.job_link_template.format(origin=origin, id=job_id, server_id=self.server_id)

    # ---- rate limit, for assertions

    def rate_limit_reset(self, client: str = "127.0.0.1") -> float:
        """Simulated time at which `client`'s current window resets."""
        return self.state.window_reset(client, self.clock.now())

    def window_usage(self, client: str = "127.0.0.1") -> int:
        """Requests `client` has in its current window."""
        now = self.clock.now()
        with self.state.lock:
            window = self.state.windows.get(client)
            if window is None or now >= window[0] + self.settings.rate_limit_period:
                return 0
            return int(window[1])

    @property
    def stats(self) -> SellercloudStats:
        return self.state.stats

    _ROUTES: ClassVar[tuple[tuple[re.Pattern[str], str], ...]] = (
        (re.compile(r"^/rest/api/QueuedJobs/\d+$"), "/rest/api/QueuedJobs/{id}"),
        (re.compile(r"^/rest/api/QueuedJobs/\d+/Logs$"), "/rest/api/QueuedJobs/{id}/Logs"),
    )

    def route_of(self, method: str, path: str) -> str:
        for pattern, route in self._ROUTES:
            if pattern.match(path):
                return route
        return path

    # ---- the app

    def build_app(self) -> ASGIApp:
        app = Starlette(
            routes=[
                Route(TOKEN_PATH, self._token, methods=["POST"]),
                Route(PLUGIN_METADATA_PATH, self._plugin_metadata, methods=["GET"]),
                Route(EXPORT_VIA_PLUGIN_PATH, self._export_via_plugin, methods=["POST"]),
                Route(EXPORT_VIA_PLUGIN_DOCS_PATH, self._export_via_plugin, methods=["POST"]),
                Route(BASIC_EXPORT_PATH, self._export_basic, methods=["POST"]),
                Route(CUSTOM_METADATA_PATH, self._custom_metadata, methods=["GET"]),
                Route(CUSTOM_EXPORT_PATH, self._export_custom, methods=["POST"]),
                Route(OUTPUT_FILE_PATH, self._output_file, methods=["GET"]),
                Route(CANCEL_PATH, self._cancel, methods=["PUT"]),
                Route(JOBS_PATH + "/{id:int}", self._queued_job, methods=["GET"]),
                Route(JOBS_PATH + "/{id:int}/Logs", self._logs, methods=["GET"]),
            ],
            exception_handlers={HTTPException: self._http_error},
        )
        return _RateLimitGate(self, app)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        # ASP.NET Web API's own bodies for unrouted paths and methods, instead of Starlette's plain text
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            message = f"The requested resource does not support http method '{request.method}'."
        elif exc.status_code == 404:
            message = f"No HTTP resource was found that matches the request URI '{request.url}'."
        else:
            message = str(exc.detail)
        response = _error(exc.status_code, message)
        response.headers.update(exc.headers or {})
        return response

    def _authorize(self, request: Request) -> str | Response:
        """The user of a request with a valid bearer token, or the 401 to send."""
        value = bearer_token(request.headers.get("authorization"))
        token = None if value is None else self.state.tokens.get(value.strip())
        if token is None or self.clock.now() >= token.expires_at:
            response = _error(401, UNAUTHORIZED_MESSAGE)
            response.headers["www-authenticate"] = "Bearer"
            return response
        return token.username

    async def _authorized_payload(self, request: Request) -> tuple[str, dict[str, Any]] | Response:
        """The user and JSON-object body of an authorized request, or the 401/400 to send."""
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        payload = await _json_object(request)
        return payload if isinstance(payload, Response) else (user, payload)

    async def _token(self, request: Request) -> Response:
        payload = await _json_object(request)
        if isinstance(payload, Response):
            return payload
        username, password = payload.get("Username"), payload.get("Password")
        errors = {
            name: f"{name} is required (a string)."
            for name, value in (("Username", username), ("Password", password))
            if not isinstance(value, str)
        }
        if errors:
            return _invalid(errors)
        if username != self.username or password != self.password:
            self.state.stats.token_refusals += 1
            return _error(401, "The user name or password is incorrect.")
        now = self.clock.now()
        ttl = self.settings.token_seconds
        token = self.state.issue_token(self.username, now, ttl)
        self.state.stats.tokens_issued += 1
        return _json(
            {
                "access_token": token.value,
                "token_type": "Bearer",
                "username": self.username,
                "expires_in": math.floor(ttl),  # never more than the real lifetime
                ".issued": email.utils.formatdate(now + EPOCH_OFFSET, usegmt=True),
                ".expires": email.utils.formatdate(token.expires_at + EPOCH_OFFSET, usegmt=True),
            }
        )

    async def _plugin_metadata(self, request: Request) -> Response:
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        return _json({"Plugins": [{"Key": key, "Value": value} for key, value in self.settings.plugins]})

    async def _custom_metadata(self, request: Request) -> Response:
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        return _json({"Columns": [{"Key": key, "Value": value} for key, value in COLUMNS]})

    def _file_format(self, payload: Mapping[str, Any], errors: dict[str, str]) -> FileFormat:
        if "FileFormat" not in payload:
            return FileFormat.TAB_DELIMITED  # what Json.NET leaves in an absent enum property
        raw = payload["FileFormat"]
        value = _as_int(raw)
        if value is None and self.settings.file_format_names and isinstance(raw, str):
            # Json.NET reads an enum from its name (any case) or from a numeric string
            by_name = {f.name.replace("_", "").lower(): int(f) for f in FileFormat}
            name = raw.strip().replace("_", "").lower()
            value = by_name.get(name, int(name) if name.isdigit() else None)
        if value is None or value not in FileFormat._value2member_map_:
            errors["FileFormat"] = (
                f"FileFormat must be 0 (TAB_Delimited), 1 (CSV) or 2 (Excel), not {_shown(raw)}."
            )
            return FileFormat.TAB_DELIMITED
        return FileFormat(value)

    def _queue(
        self,
        user: str,
        kind: str,
        product_ids: tuple[str, ...],
        file_format: FileFormat,
        columns: tuple[str, ...],
        plugin_key: str | None = None,
    ) -> Response:
        settings = self.settings
        settings.check()
        now = self.clock.now()
        job = self.state.add_job(
            kind=kind,
            product_ids=product_ids,
            file_format=file_format,
            columns=columns,
            plugin_key=plugin_key,
            submitted_by=user,
            submitted_at=now,
            start_at=now + settings.queue_seconds,
            end_at=now + settings.queue_seconds + settings.job_seconds,
            outcome=settings.outcome,
            error_message=settings.error_message,
            partial_failures=settings.partial_failures,
        )
        link = self.job_link(job.id)
        return _json(link if settings.link_shape == "string" else {"QueuedJobLink": link})

    async def _export_via_plugin(self, request: Request) -> Response:
        got = await self._authorized_payload(request)
        if isinstance(got, Response):
            return got
        user, payload = got
        errors: dict[str, str] = {}
        key = payload.get("PluginProfileKey")
        if not isinstance(key, str):
            errors["PluginProfileKey"] = "PluginProfileKey is required (a plugin Key from the metadata)."
        file_format = self._file_format(payload, errors)
        product_ids = _product_ids(payload, errors)
        if errors:
            return _invalid(errors)
        assert isinstance(key, str)
        if key not in {k for k, _ in self.settings.plugins}:
            return _error(400, f"Plugin profile '{_shown(key)}' was not found.")
        return self._queue(user, "plugin", product_ids, file_format, _COLUMN_KEYS, key)

    async def _export_basic(self, request: Request) -> Response:
        got = await self._authorized_payload(request)
        if isinstance(got, Response):
            return got
        user, payload = got
        errors: dict[str, str] = {}
        kind = _as_int(payload.get("StandardExportKind"))
        if kind is None or not 0 <= kind <= 14:
            shown = _shown(payload.get("StandardExportKind"))
            errors["StandardExportKind"] = f"StandardExportKind is required: 0 to 14, not {shown}."
        product_ids = _product_ids(payload, errors)
        if errors:
            return _invalid(errors)
        file_format = FileFormat(self.settings.basic_file_format)
        if self.settings.basic_response == "file":
            return await self._inline_file(f"StandardExport_{kind}", product_ids, file_format, _COLUMN_KEYS)
        return self._queue(user, "basic", product_ids, file_format, _COLUMN_KEYS)

    async def _export_custom(self, request: Request) -> Response:
        got = await self._authorized_payload(request)
        if isinstance(got, Response):
            return got
        user, payload = got
        errors: dict[str, str] = {}
        product_ids = _product_ids(payload, errors)
        file_format = self._file_format(payload, errors)
        columns = _COLUMN_KEYS
        if "Columns" in payload:
            raw = payload["Columns"]
            if not isinstance(raw, list) or not raw or not all(isinstance(c, str) for c in raw):
                errors["Columns"] = "Columns must be a non-empty array of column keys."
            elif unknown := [c for c in raw if c not in _COLUMN_KEYS]:
                errors["Columns"] = f"Unknown column {_shown(unknown[0])}; see the custom export metadata."
            else:
                columns = tuple(raw)
        if errors:
            return _invalid(errors)
        if self.settings.custom_response == "file":
            return await self._inline_file("CustomExport", product_ids, file_format, columns)
        return self._queue(user, "custom", product_ids, file_format, columns)

    async def _inline_file(
        self, stem: str, product_ids: tuple[str, ...], file_format: FileFormat, columns: tuple[str, ...]
    ) -> Response:
        export = await run_in_threadpool(render_export, product_ids, file_format, columns)
        self.state.stats.inline_files += 1
        return _json({"FileName": f"{stem}.{export.extension}", "Content": export.b64})

    def _job_or_404(self, job_id: int) -> Job | Response:
        with self.state.lock:
            job = self.state.jobs.get(job_id)
        if job is None:
            return _error(self.settings.not_found_status, f"Queued job {job_id} was not found.")
        return job

    async def _queued_job(self, request: Request) -> Response:
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        job = self._job_or_404(int(request.path_params["id"]))
        if isinstance(job, Response):
            return job
        body = job.to_json(self.clock.now())
        fault = self.take_fault(request.scope, "unknown_enum")
        if fault is not None:
            enum_field = fault["field"] or "Status"
            if enum_field not in self.JOB_ENUM_FIELDS:
                return _error(
                    500, f"simulator misconfigured: unknown_enum field {enum_field!r} on QueuedJobs"
                )
            value = fault["value"]
            body["Basic"][enum_field] = self.JOB_ENUM_FIELDS[enum_field] if value is None else value
        return _json(body)

    async def _logs(self, request: Request) -> Response:
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        errors: dict[str, str] = {}
        page_number = _query_int(request, "pageNumber")
        page_size = _query_int(request, "pageSize")
        if isinstance(page_number, str):
            errors["pageNumber"] = page_number
        elif page_number is not None and page_number < 1:
            errors["pageNumber"] = "pageNumber must be 1 or more."
        if isinstance(page_size, str):
            errors["pageSize"] = page_size
        elif page_size is not None and not 1 <= page_size <= MAX_LOG_PAGE_SIZE:
            errors["pageSize"] = f"pageSize must be between 1 and {MAX_LOG_PAGE_SIZE}."
        if errors:
            return _invalid(errors)
        job = self._job_or_404(int(request.path_params["id"]))
        if isinstance(job, Response):
            return job
        number = 1 if page_number is None else int(page_number)
        size = DEFAULT_LOG_PAGE_SIZE if page_size is None else int(page_size)
        entries = job.log(self.clock.now())
        start = (number - 1) * size
        page = entries[start : start + size] if start < len(entries) else []
        items = [{"LogTime": format_server_time(t), "IsError": e, "Message": m} for t, e, m in page]
        return _json({"Items": items, "TotalResults": len(entries)})

    def _job_id_param(self, request: Request) -> int | Response:
        job_id = _query_int(request, "id")
        if job_id is None:
            return _invalid({"id": "The id query parameter is required (the queued job id)."})
        if isinstance(job_id, str):
            return _invalid({"id": job_id})
        return job_id

    def _job_of_query(self, request: Request) -> Job | Response:
        """The job named by `?id=` of an authorized request, or the 401/400/404 to send."""
        user = self._authorize(request)
        if isinstance(user, Response):
            return user
        job_id = self._job_id_param(request)
        if isinstance(job_id, Response):
            return job_id
        return self._job_or_404(job_id)

    async def _cancel(self, request: Request) -> Response:
        job = self._job_of_query(request)
        if isinstance(job, Response):
            return job
        self.cancel(job.id)  # a job that already finished stays as it is
        return Response(status_code=200)

    async def _output_file(self, request: Request) -> Response:
        job = self._job_of_query(request)
        if isinstance(job, Response):
            return job
        if not job.has_output(self.clock.now()):
            status = job.status(self.clock.now())
            return _error(
                self.settings.not_found_status,
                f"Queued job {job.id} has no output file (status {int(status)} {status.name}).",
            )
        export = await run_in_threadpool(render_export, job.succeeded_ids, job.file_format, job.columns)
        self.state.stats.files_served += 1
        return output_response(export, job.output_file_name, self.settings.output_shape)


def output_response(export: ExportFile, file_name: str, shape: str) -> Response:
    """The output-file answer in one of OUTPUT_SHAPES."""
    disposition = {"content-disposition": f"attachment; filename={file_name}"}
    if shape == "base64_json":
        return _json(export.b64, headers=disposition)
    if shape == "file_content":
        return _json({"FileName": file_name, "Content": export.b64})
    if shape == "raw":
        return Response(export.data, headers=disposition, media_type="application/octet-stream")
    if shape == "base64_text":
        return Response(export.b64.encode(), headers=disposition, media_type="text/plain; charset=utf-8")
    raise ValueError(f"output_shape must be one of {OUTPUT_SHAPES}, not {shape!r}")


class _RateLimitGate(HttpLayer["SellercloudSimulator"]):
    """Counts every request per client IP (all endpoints, before routing and auth) and answers the vendor's
    throttle body when the window is full or a `throttle` fault says so."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        client = str((scope.get("client") or ("unknown", 0))[0])
        now = sim.clock.now()
        fault = sim.take_fault(scope, "throttle")
        if fault is not None:
            reset_in = fault["reset_in"]
            reset_at = sim.state.window_reset(client, now) if reset_in is None else now + float(reset_in)
            status = sim.settings.throttle_status if fault["status"] is None else int(fault["status"])
            retry = (
                sim.settings.throttle_retry_after if fault["retry_after"] is None else fault["retry_after"]
            )
            rounding = sim.settings.reset_time_rounding
            await _throttled(now, reset_at, status, bool(retry), rounding)(scope, receive, send)
            return
        admitted, reset_at = sim.state.admit(client, now)
        if not admitted:
            settings = sim.settings
            await _throttled(
                now,
                reset_at,
                settings.throttle_status,
                settings.throttle_retry_after,
                settings.reset_time_rounding,
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _throttled(now: float, reset_at: float, status: int, retry_after: bool, rounding: str) -> Response:
    headers = {"retry-after": str(max(0, math.ceil(reset_at - now)))} if retry_after else {}
    body = {"Error": THROTTLE_ERROR, "RateLimitResetTime": format_utc(reset_at, rounding)}
    return _json(body, status, headers)


# --------------------------------------------------------------- command line (sellerkit/testing/__main__.py)


_CLI_OPTIONS: Final[Mapping[str, Mapping[str, Any]]] = {
    "token_seconds": {"help": "token lifetime"},
    "queue_seconds": {"help": "sim s Submitted"},
    "job_seconds": {"help": "sim s Processing"},
    "outcome": {"choices": tuple(OUTCOMES), "help": "how jobs end"},
    "link_shape": {"choices": LINK_SHAPES},
    "output_shape": {"choices": OUTPUT_SHAPES},
    "rate_limit": {"help": "requests per hour per IP"},
}


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--username", default="sim-user@sellercloud.test", help="the simulator's user name")
    parser.add_argument("--password", default=None, help="the user's password (default: random)")
    settings_options(parser, SellercloudSettings(), _CLI_OPTIONS)


def cli_start(args: argparse.Namespace, stack: ExitStack) -> list[str]:
    settings = settings_from(args, SellercloudSettings, _CLI_OPTIONS)
    sim = SellercloudSimulator(
        ScaledClock(args.scale), settings, username=args.username, password=args.password
    )
    stack.enter_context(sim.running(args.host, port=args.port))
    body = json.dumps(sim.credentials)
    return [
        f"Sellercloud simulator: {sim.base_url}   (clock x{args.scale:g}, first job {settings.first_job_id})",
        f"  username: {sim.username}",
        f"  password: {sim.password}",
        "  (simulator-only test credentials)",
        f"  try: curl -s -X POST {sim.base_url}/api/token -H 'Content-Type: application/json' -d '{body}'",
    ]
