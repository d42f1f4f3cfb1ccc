"""Wabi2b Seller API simulator: Product Bulk Download (POST GTINs → callBackCode → poll → file) and a partial
bulk upload, as described in vendor-docs/003_ecfc890c38ed19fd.txt and vendor-notes.md § Wabi2b.

Facts the docs leave open are decided here (and the spec marks them `x-inferred`): errors are `{"message"}`
bodies; bad credentials are 401; an unknown callBackCode is 400; an exceeded quota is 429 without
Retry-After; result files are served without credentials; calls rejected by auth or by the quota don't count
toward the quota; GTINs are not checked on submission, but the file has rows only for 14-character ones (the
payload schema's `product` is 14 characters: other GTINs are treated as unknown products and left out).
Status values are "In Progress" then "Complete" (no failure status is documented).
"""

from __future__ import annotations

import base64
import collections
import copy
import csv
import datetime as dt
import email.utils
import functools
import hashlib
import hmac
import io
import json
import math
import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self
from urllib.parse import urlsplit

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

if TYPE_CHECKING:
    import argparse

    from sellerkit.wabi2b import AsyncWabi2bClient, Wabi2bClient  # noqa: F401 (the simulator's type arguments)

from .framework import (
    FAULT_KINDS,
    FileBody,
    ScaledClock,
    Simulator,
    Unsatisfiable,
    byte_chunks,
    range_not_satisfiable,
    requested_span,
    serve,
    settings_from,
    settings_options,
)

__all__ = [
    "CSV_HEADER",
    "DOCS_CALLBACK_CODE",
    "DOCS_EXAMPLE_GTIN",
    "DOCS_FILE_PATH",
    "FILE_PREFIX",
    "Job",
    "RenderedFile",
    "Wabi2bSettings",
    "Wabi2bSimulator",
    "Wabi2bState",
    "Wabi2bStats",
    "cli_arguments",
    "cli_start",
    "product_row",
    "render_file",
]

API_PREFIX: Final = "/v1"
DOWNLOAD_PATH: Final = "/v1/listProductsBulkDownload"
UPLOAD_PATH: Final = "/v1/offerProductsForSaleBulkUpload"
FILE_PREFIX: Final = "/tmp/short/productDownload/"
FORMATS: Final = ("csv", "json")
GTIN_LENGTH: Final = 14

# The docs' own examples: their GTIN renders exactly the docs' example row, and a seeded job answers the
# docs' example callBackCode with the docs' example path (so contract tests reach the "Complete" branch).
DOCS_EXAMPLE_GTIN: Final = "00025000040295"
DOCS_CALLBACK_CODE: Final = "bf41e1a4656ff069512249b5bac13c17d702d7e0"
DOCS_SELLER: Final = "SID-0001"
DOCS_FILE_PATH: Final = (
    "/tmp/short/productDownload/2022-8/23/17/e4c457c01b940ee99a4c4a2e913eb2d9be327dbb.json"
)
_DOCS_JOB_TIME: Final = dt.datetime(2022, 8, 23, 17, tzinfo=dt.UTC).timestamp()  # the docs' path's hour

CSV_HEADER: Final = (
    "product,productName,productDescription,brand,ownsProductMasterData,inMyCatalog,rejectionReason,category,"
    "media1-url,media1-type,media2-url,media2-type,media3-url,media3-type,"
    "spec1-name,spec1-value,spec2-name,spec2-value,spec3-name,spec3-value,spec4-name,spec4-value,"
    "spec5-name,spec5-value"
)
MEDIA_TYPES: Final = ("Product Image", "Product Search Image", "Product Image Thumbnail")
LAST_SAVE_STATUSES: Final = ("SAVING", "COMPLETED", "FAILED_TO_SAVE")
PUBLISH_STATUSES: Final = ("Pending Review", "In Creation", "Rejected", "Approved", "Released")


# ---------------------------------------------------------------- product rows (deterministic from the GTIN)

_IMAGE_HOST = "https://sandbox.productimages.mywabi2b.com/images"
_MEDIA_FILES = {
    "Product Image": "ProductImage.jpg",
    "Product Image Thumbnail": "ProductImageThumbnail.jpg",
    "Product Search Image": "ProductSearchImage.jpg",
}
# Order of the three media types, by permutation index; permutation 0 is the docs' example order.
_MEDIA_ORDERS = (
    ("Product Image", "Product Image Thumbnail", "Product Search Image"),
    ("Product Image", "Product Search Image", "Product Image Thumbnail"),
    ("Product Search Image", "Product Image", "Product Image Thumbnail"),
    ("Product Search Image", "Product Image Thumbnail", "Product Image"),
    ("Product Image Thumbnail", "Product Image", "Product Search Image"),
    ("Product Image Thumbnail", "Product Search Image", "Product Image"),
)
# Values with commas, quotes, non-ASCII and a newline exercise CSV quoting and UTF-8 handling.
_BRANDS = (
    "Super Chips Co",
    "Acme Foods",
    'Smith & Sons, "Original" Bakery',
    "Café Olé",
    "Northwind Traders",
    "Blue Ridge Farms",
    "Golden Harvest",
    "Lone Star Beverages",
)
_CATEGORIES = (
    ("Snacks & Chips", "Chips"),
    ("Beverages", "Soda"),
    ("Candy", "Gummies"),
    ("Dairy", "Yogurt"),
    ("Bakery", "Bread"),
    ("Frozen Foods", "Pizza"),
    ("Household", "Detergent"),
    ("Personal Care", "Shampoo"),
)
_SPECS = (
    ("Unit Of Measure", ("oz", "ml", "g", "lb")),
    ("Unit Size", ("12", "16.9", "500", "1")),
    ("Flavor", ("Original", 'Sea Salt, "Extra" Crunchy', "Cherry", "Barbecue")),
    ("Pack Size", ("1", "6", "12", "24")),
    ("Country Of Origin", ("USA", "Mexico", "Canada", "Brazil")),
)
_FAILED_REASONS = ("Invalid GTIN check digit", "Image could not be downloaded", "Category is not allowed")
_REJECTION_REASONS = ("Duplicate of an existing product", "Brand not authorized for this seller")

_DOCS_EXAMPLE_ROW: Final[Mapping[str, Any]] = {
    "product": "00025000040295",
    "media": [
        {
            "type": "Product Image",
            "url": f"{_IMAGE_HOST}/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/"
            "ProductImage.jpg",
        },
        {
            "type": "Product Image Thumbnail",
            "url": f"{_IMAGE_HOST}/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/"
            "ProductImageThumbnail.jpg",
        },
        {
            "type": "Product Search Image",
            "url": f"{_IMAGE_HOST}/00025000040295/63f9b922f7f3fd2005c493e4263459ac/20220728124551788/"
            "ProductSearchImage.jpg",
        },
    ],
    "productName": None,
    "specs": [{"name": "Unit Of Measure", "value": "oz"}, {"name": "Unit Size", "value": "12"}],
    "rejectionReason": None,
    "category": "Snacks & Chips",
    "brand": "Super Chips Co",
    "productDescription": None,
    "ownsProductMasterData": False,
    "inMyCatalog": False,
}


def product_row(gtin: str) -> dict[str, Any]:
    """The product the simulator reports for a GTIN, keys in the docs' example order (deterministic).

    Quirks as in the docs' example: `productName`/`productDescription`/`rejectionReason` may be null;
    `lastSaveStatus`, `publishStatus`, `failedReason` are absent for about 40% of products; `failedReason`
    appears only with FAILED_TO_SAVE; 0-3 media, 0-5 specs.
    """
    if gtin == DOCS_EXAMPLE_GTIN:
        return copy.deepcopy(dict(_DOCS_EXAMPLE_ROW))
    h = hashlib.sha256(gtin.encode("utf-8", "surrogatepass")).digest()
    brand = _BRANDS[h[2] % len(_BRANDS)]
    category, noun = _CATEGORIES[h[3] % len(_CATEGORIES)]
    name = f"{brand} {noun} {gtin[-4:]}"
    descriptions = (
        f"{name}.",
        f"{name}, a {category} product.",
        f'{name} — the "classic" recipe.',
        f"{name}.\nKeep in a cool, dry place.",
    )
    folder = h[16:32].hex()
    month, day, hour, minute, second = 1 + h[8] % 12, 1 + h[9] % 28, h[10] % 24, h[11] % 60, h[12] % 60
    stamp = f"2022{month:02d}{day:02d}{hour:02d}{minute:02d}{second:02d}{h[13]:03d}"
    media = [
        {"type": kind, "url": f"{_IMAGE_HOST}/{gtin}/{folder}/{stamp}/{_MEDIA_FILES[kind]}"}
        for kind in _MEDIA_ORDERS[h[6] % len(_MEDIA_ORDERS)][: h[5] % 4]
    ]
    specs = [
        {"name": spec, "value": values[h[20 + i] % len(values)]}
        for i, (spec, values) in enumerate(_SPECS[: h[7] % 6])
    ]
    publish = PUBLISH_STATUSES[h[15] % len(PUBLISH_STATUSES)] if h[13] % 5 >= 2 else None
    row: dict[str, Any] = {
        "product": gtin,
        "media": media,
        "productName": None if h[0] % 5 == 0 else name,
        "specs": specs,
        "rejectionReason": _REJECTION_REASONS[h[1] % 2] if publish == "Rejected" else None,
        "category": category,
        "brand": brand,
        "productDescription": None if h[1] % 3 == 0 else descriptions[h[4] % len(descriptions)],
        "ownsProductMasterData": bool(h[4] & 0x10),
        "inMyCatalog": bool(h[4] & 0x20),
    }
    if publish is not None:
        save = LAST_SAVE_STATUSES[h[14] % len(LAST_SAVE_STATUSES)]
        row["lastSaveStatus"] = save
        row["publishStatus"] = publish
        if save == "FAILED_TO_SAVE":
            row["failedReason"] = _FAILED_REASONS[h[12] % len(_FAILED_REASONS)]
    return row


def _with_unknown_enum(row: dict[str, Any], field_name: str, value: str) -> dict[str, Any]:
    if field_name == "mediaType":
        if row["media"]:
            row["media"][0]["type"] = value
        else:
            row["media"] = [{"type": value, "url": f"{_IMAGE_HOST}/{row['product']}/video.mp4"}]
    else:
        row[field_name] = value
    return row


def _csv_cells(row: Mapping[str, Any]) -> list[str]:
    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    cells = [
        text(row.get(key))
        for key in (
            "product",
            "productName",
            "productDescription",
            "brand",
            "ownsProductMasterData",
            "inMyCatalog",
            "rejectionReason",
            "category",
        )
    ]
    media = list(row.get("media") or [])[:3]
    specs = list(row.get("specs") or [])[:5]
    for i in range(3):
        cells += [text(media[i]["url"]), text(media[i]["type"])] if i < len(media) else ["", ""]
    for i in range(5):
        cells += [text(specs[i]["name"]), text(specs[i]["value"])] if i < len(specs) else ["", ""]
    return cells


@dataclass(frozen=True)
class RenderedFile:
    """A result file's bytes and the facts a downloader checks."""

    data: bytes
    format: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def etag(self) -> str:
        return f'"{self.sha256[:32]}"'

    @property
    def content_type(self) -> str:
        return "application/json" if self.format == "json" else "text/csv; charset=utf-8"

    def rows(self) -> list[dict[str, Any]]:
        """The JSON file parsed (JSON format only)."""
        if self.format != "json":
            raise ValueError("rows() parses JSON files; use csv.reader on .data for CSV")
        parsed: list[dict[str, Any]] = json.loads(self.data)
        return parsed


@functools.lru_cache(maxsize=4)  # big files are tens of MB each
def _render_cached(
    gtins: tuple[str, ...], file_format: str, unknown_enum: tuple[str, str] | None, line_terminator: str
) -> RenderedFile:
    def rows() -> Iterator[dict[str, Any]]:
        for gtin in gtins:
            if len(gtin) != GTIN_LENGTH:
                continue  # an unknown product: no row (the payload schema's product is 14 characters)
            row = product_row(gtin)
            yield row if unknown_enum is None else _with_unknown_enum(row, *unknown_enum)

    if file_format == "json":
        encode = msgspec.json.encode
        # one product per line: still one JSON array, but diffable and streamable by eye
        data = b"[\n" + b",\n".join(encode(row) for row in rows()) + b"\n]\n" if gtins else b"[]\n"
    elif file_format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator=line_terminator)
        buf.write(CSV_HEADER + line_terminator)
        writer.writerows(_csv_cells(row) for row in rows())
        data = buf.getvalue().encode("utf-8")
    else:
        raise ValueError(f"unknown file format {file_format!r}")
    return RenderedFile(data=data, format=file_format, sha256=hashlib.sha256(data).hexdigest())


def render_file(
    gtins: Sequence[str],
    file_format: str,
    *,
    unknown_enum: tuple[str, str] | None = None,
    line_terminator: str = "\n",
) -> RenderedFile:
    """The exact result file for these GTINs (same GTINs + format → same bytes); cached for big files.

    One row per 14-character GTIN, in request order; other GTINs are unknown products and get no row.

    `unknown_enum=(field, value)` puts an undocumented value into every row: field "publishStatus" or
    "lastSaveStatus" (JSON only; the CSV has no such columns) or "mediaType" (first media item; both formats).
    """
    return _render_cached(tuple(gtins), file_format, unknown_enum, line_terminator)


# ---------------------------------------------------------------- JWT (HS256, stdlib only)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_hs256(claims: Mapping[str, Any], secret: bytes) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps(dict(claims), separators=(",", ":")).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


class TokenError(Exception):
    """Why a JWT was refused (the message goes into the 401 body; it never contains the token)."""


def verify_hs256(token: str, secret: bytes, now: float) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("Unauthorized: the Authorization header is not a JWT")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise TokenError("Unauthorized: malformed JWT") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
        raise TokenError("Unauthorized: unsupported JWT")
    expected = hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise TokenError("Unauthorized: invalid JWT signature")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise TokenError("Unauthorized: JWT has no expiry")
    if now >= exp:
        raise TokenError("Unauthorized: the JWT has expired")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise TokenError("Unauthorized: JWT has no seller (sub)")
    return claims


# ---------------------------------------------------------------- state


@dataclass
class Wabi2bSettings:
    """Knobs of one simulator instance (may be changed while it runs; job_seconds applies to new jobs)."""

    job_seconds: float = 3.0  # simulated seconds a job stays "In Progress"
    max_gtins: int = 10_000  # the docs' limit; raise it for big-file benchmarks
    max_upload_items: int = 1_000
    quota_5min: int = 750
    quota_24h: int = 15_000
    files_base_url: str | None = None  # origin of result-file URLs (default: the API's own origin)
    files_require_auth: bool = False  # undocumented; the default serves files without credentials
    invalid_key_status: int = 401  # status for a missing/unknown x-api-key (API gateways often say 403)
    file_ttl: float | None = None  # simulated seconds a finished file stays downloadable (None: forever)
    csv_line_terminator: str = "\n"
    seed_docs_example: bool = True  # the docs' example job (DOCS_CALLBACK_CODE, seller SID-0001)
    chunk_size: int = 1 << 16  # body chunk size of file responses


@dataclass
class Job:
    code: str
    seller: str
    format: str
    gtins: tuple[str, ...]
    created_at: float
    ready_at: float
    folder: str  # "<year>-<month>/<day>/<hour>" of the creation time (UTC), as in the docs' example path
    file_hash: str

    @property
    def file_path(self) -> str:
        return f"{FILE_PREFIX}{self.folder}/{self.file_hash}.{self.format}"

    def status_at(self, now: float) -> str:
        return "Complete" if now >= self.ready_at else "In Progress"


@dataclass
class Upload:
    code: str
    seller: str
    format: str
    items: int
    created_at: float


@dataclass
class Wabi2bStats:
    """Counters for tests and benchmarks (calls per route: `sim.requests.per_route()`)."""

    jobs_created: int = 0
    uploads_created: int = 0
    throttled: int = 0  # 429s sent by the quota (not by rate_limit faults)
    max_calls_in_window: int = 0  # most calls one seller had in any 5-minute window
    files_served: int = 0
    per_seller_max: dict[str, int] = field(default_factory=dict)


class _SlidingWindow:
    """Timestamps of accepted calls within `period` simulated seconds (a call leaves it at t + period)."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.calls: collections.deque[float] = collections.deque()

    def prune(self, now: float) -> int:
        horizon = now - self.period
        while self.calls and self.calls[0] <= horizon:  # bounded by len(calls)
            self.calls.popleft()
        return len(self.calls)


class Wabi2bState:
    """Jobs, uploads, quota windows and counters of one simulator."""

    def __init__(self, settings: Wabi2bSettings) -> None:
        self.settings = settings
        self.lock = threading.Lock()
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, str] = {}  # file hash -> callBackCode
        self.uploads: dict[str, Upload] = {}
        self.stats = Wabi2bStats()
        self._windows: dict[str, tuple[_SlidingWindow, _SlidingWindow]] = {}
        self._salt = secrets.token_hex(8)
        self._seq = 0

    def new_code(self, kind: str) -> str:
        self._seq += 1
        return hashlib.sha1(f"{kind}:{self._salt}:{self._seq}".encode()).hexdigest()

    def admit(self, seller: str, now: float) -> bool:
        """Count one call against the seller's quotas; False (not counted) when either is exhausted."""
        with self.lock:
            windows = self._windows.get(seller)
            if windows is None:
                windows = self._windows[seller] = (
                    _SlidingWindow(self.settings.quota_5min, 300.0),
                    _SlidingWindow(self.settings.quota_24h, 86_400.0),
                )
            # limits are read on every call, so tests may change the settings mid-run
            windows[0].limit, windows[1].limit = self.settings.quota_5min, self.settings.quota_24h
            if any(w.prune(now) >= w.limit for w in windows):
                self.stats.throttled += 1
                return False
            for w in windows:
                w.calls.append(now)
            in_window = len(windows[0].calls)
            stats = self.stats
            stats.per_seller_max[seller] = max(stats.per_seller_max.get(seller, 0), in_window)
            stats.max_calls_in_window = max(stats.max_calls_in_window, in_window)
            return True

    def usage(self, seller: str, now: float) -> tuple[int, int]:
        """Calls the seller has in the current 5-minute and 24-hour windows."""
        with self.lock:
            windows = self._windows.get(seller)
            return (windows[0].prune(now), windows[1].prune(now)) if windows else (0, 0)

    def add_job(self, seller: str, file_format: str, gtins: tuple[str, ...], now: float) -> Job:
        with self.lock:
            code = self.new_code("download")
            created = dt.datetime.fromtimestamp(now, dt.UTC)
            job = Job(
                code=code,
                seller=seller,
                format=file_format,
                gtins=gtins,
                created_at=now,
                ready_at=now + self.settings.job_seconds,
                folder=f"{created.year}-{created.month}/{created.day}/{created.hour}",
                file_hash=hashlib.sha1(f"file:{code}".encode()).hexdigest(),
            )
            self.jobs[code] = job
            self.files[job.file_hash] = code
            self.stats.jobs_created += 1
            return job

    def seed_docs_job(self) -> Job:
        job = Job(
            code=DOCS_CALLBACK_CODE,
            seller=DOCS_SELLER,
            format="json",
            gtins=(DOCS_EXAMPLE_GTIN,),
            created_at=_DOCS_JOB_TIME,
            ready_at=_DOCS_JOB_TIME,
            folder="2022-8/23/17",
            file_hash=DOCS_FILE_PATH.rsplit("/", 1)[1].split(".")[0],
        )
        with self.lock:
            self.jobs[job.code] = job
            self.files[job.file_hash] = job.code
        return job

    def complete(self, code: str, now: float) -> None:
        """Finish a job now, whatever its duration."""
        with self.lock:
            self.jobs[code].ready_at = now

    def stall(self, code: str) -> None:
        """Keep a job "In Progress" forever (for poll-deadline tests)."""
        with self.lock:
            self.jobs[code].ready_at = math.inf


# ---------------------------------------------------------------- HTTP helpers


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


# ---------------------------------------------------------------- the simulator


class Wabi2bSimulator(Simulator["Wabi2bClient", "AsyncWabi2bClient"]):
    """The simulator. Serve it with `running()`; mint credentials with `jwt()` / `mint_jwt()`."""

    name: ClassVar[str] = "wabi2b"
    api_prefix: ClassVar[str] = API_PREFIX  # the spec's server URL ends in /v1
    fault_kinds: ClassVar[Mapping[str, Mapping[str, Any]]] = FAULT_KINDS
    # unknown_enum: which field gets the undocumented value on each route, and the value used by default
    STATUS_ENUM_FIELDS: ClassVar[Mapping[str, str]] = {"status": "Queued", "format": "xlsx"}
    FILE_ENUM_FIELDS: ClassVar[Mapping[str, str]] = {
        "publishStatus": "Archived",
        "lastSaveStatus": "PENDING",
        "mediaType": "Product Video",
    }

    def __init__(
        self,
        clock: ScaledClock | None = None,
        settings: Wabi2bSettings | None = None,
        *,
        seller: str = DOCS_SELLER,
        api_key: str | None = None,
    ) -> None:
        self.settings = settings if settings is not None else Wabi2bSettings()
        self.state = Wabi2bState(self.settings)
        self.seller = seller
        self.api_key = api_key if api_key is not None else "sim-wabi2b-" + secrets.token_hex(12)
        self.api_keys = {self.api_key}
        self.jwt_secret = secrets.token_bytes(32)
        super().__init__(clock)
        if self.settings.seed_docs_example:
            self.state.seed_docs_job()

    # ---- serving and credentials

    @contextmanager
    def running(
        self, host: str = "127.0.0.1", *, port: int = 0, files_host: str | None = None
    ) -> Iterator[Self]:
        """Serve on `host`; with `files_host` (e.g. "127.0.0.2") result files are linked on that origin."""
        previous_files = self.settings.files_base_url
        with super().running(host, port=port), ExitStack() as stack:
            if files_host is not None:
                self.settings.files_base_url = stack.enter_context(serve(self.asgi, files_host))
                stack.callback(setattr, self.settings, "files_base_url", previous_files)
            yield self

    @property
    def files_origin(self) -> str:
        origin = self.settings.files_base_url or self.origin
        if origin is None:
            raise RuntimeError("the simulator is not running")
        return origin.rstrip("/")

    def mint_jwt(
        self,
        ttl: float = 3600.0,
        *,
        seller: str | None = None,
        secret: bytes | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A JWT as the Authenticate API would issue it; `exp` = now + ttl in simulated time.

        `secret` other than the simulator's makes a token with an invalid signature.
        """
        now = self.clock.now()
        exp = now + ttl
        body = {
            "sub": seller or self.seller,
            "iat": int(now),
            "exp": int(exp) if exp == int(exp) else exp,  # NumericDate: integral when it can be
            **(claims or {}),
        }
        return mint_hs256(body, secret if secret is not None else self.jwt_secret)

    def jwt(self) -> str:
        """A fresh valid JWT for the default seller (one hour of simulated time)."""
        return self.mint_jwt()

    def auth_headers(self, jwt: str | None = None) -> dict[str, str]:
        """Both credential headers, as the docs send them."""
        return {"Authorization": jwt if jwt is not None else self.jwt(), "x-api-key": self.api_key}

    # ---- files, for assertions

    def job(self, ref: str) -> Job:
        """A job by callBackCode, file URL or file path."""
        if ref in self.state.jobs:
            return self.state.jobs[ref]
        name = urlsplit(ref).path.rsplit("/", 1)[-1]
        code = self.state.files.get(name.split(".", 1)[0])
        if code is None:
            raise KeyError(f"no job for {ref!r}")
        return self.state.jobs[code]

    def file(self, ref: str) -> RenderedFile:
        job = self.job(ref)
        return render_file(job.gtins, job.format, line_terminator=self.settings.csv_line_terminator)

    def file_bytes(self, ref: str) -> bytes:
        return self.file(ref).data

    def file_sha256(self, ref: str) -> str:
        """sha256 hex of the file a job produces (ref: callBackCode, file URL or path)."""
        return self.file(ref).sha256

    def file_url(self, ref: str) -> str:
        return self.files_origin + self.job(ref).file_path

    def expected_file(self, gtins: Sequence[str], file_format: str) -> RenderedFile:
        return render_file(gtins, file_format, line_terminator=self.settings.csv_line_terminator)

    @property
    def stats(self) -> Wabi2bStats:
        return self.state.stats

    def route_of(self, method: str, path: str) -> str:
        return FILE_PREFIX + "*" if path.startswith(FILE_PREFIX) else path

    # ---- the app

    def build_app(self) -> ASGIApp:
        return Starlette(
            routes=[
                Route(DOWNLOAD_PATH, self._submit, methods=["POST"]),
                Route(DOWNLOAD_PATH, self._status, methods=["GET"]),
                Route(UPLOAD_PATH, self._upload, methods=["POST"]),
                Route(FILE_PREFIX + "{ym}/{day}/{hour}/{name}", self._file, methods=["GET"]),
            ]
        )

    def _authenticate(self, request: Request) -> str | JSONResponse:
        """The seller id of a valid request, or the 401 to send."""
        token = request.headers.get("authorization")
        if not token:
            return _error(401, "Unauthorized: missing Authorization header")
        if token.lower().startswith("bearer "):
            return _error(401, "Unauthorized: send the raw JWT in Authorization, without a 'Bearer' prefix")
        try:
            claims = verify_hs256(token, self.jwt_secret, self.clock.now())
        except TokenError as exc:
            return _error(401, str(exc))
        key = request.headers.get("x-api-key")
        if not key:
            return _error(self.settings.invalid_key_status, "Unauthorized: missing x-api-key header")
        if key not in self.api_keys:
            return _error(self.settings.invalid_key_status, "Unauthorized: invalid API key")
        seller: str = claims["sub"]
        return seller

    def _admit(self, request: Request) -> str | JSONResponse:
        """Authenticate, then count the call against the seller's download quotas."""
        seller = self._authenticate(request)
        if isinstance(seller, JSONResponse):
            return seller
        if not self.state.admit(seller, self.clock.now()):
            settings = self.settings
            limits = f"max {settings.quota_5min} calls per 5 minutes and {settings.quota_24h} per 24 hours"
            return _error(429, f"Too Many Requests: {limits} per seller")
        return seller

    async def _submit(self, request: Request) -> Response:
        seller = self._admit(request)
        if isinstance(seller, Response):
            return seller
        file_format = request.headers.get("format")
        if file_format not in FORMATS:
            shown = "missing" if file_format is None else repr(file_format[:40])
            return _error(400, f"Bad Request: the Format header must be 'csv' or 'json' ({shown})")
        body = await request.body()
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Bad Request: the body is not valid JSON")
        if not isinstance(payload, dict) or "gtins" not in payload:
            return _error(400, "Bad Request: the body must be a JSON object with a 'gtins' array")
        gtins = payload["gtins"]
        if not isinstance(gtins, list) or not all(isinstance(g, str) for g in gtins):
            return _error(400, "Bad Request: 'gtins' must be an array of strings")
        if len(gtins) > self.settings.max_gtins:
            return _error(
                400, f"Bad Request: at most {self.settings.max_gtins} gtins per request ({len(gtins)})"
            )
        seen: set[str] = set()
        for gtin in gtins:
            if gtin in seen:
                return _error(
                    400, f"Bad Request: 'gtins' must be unique; {gtin[:20]!r} appears more than once"
                )
            seen.add(gtin)
        try:
            "".join(gtins).encode("utf-8")
        except UnicodeEncodeError:
            return _error(400, "Bad Request: 'gtins' must be valid Unicode strings")
        job = self.state.add_job(seller, file_format, tuple(gtins), self.clock.now())
        return JSONResponse({"callBackCode": job.code})

    async def _status(self, request: Request) -> Response:
        seller = self._admit(request)
        if isinstance(seller, Response):
            return seller
        code = request.query_params.get("callBackCode")
        if not code:
            return _error(400, "Bad Request: the callBackCode query parameter is required")
        job = self.state.jobs.get(code)
        if job is None or job.seller != seller:  # another seller's job is as unknown as a made-up code
            return _error(400, "Bad Request: unknown callBackCode")
        status = job.status_at(self.clock.now())
        file_format = job.format
        fault = self.take_fault(request.scope, "unknown_enum")
        if fault is not None:
            enum_field = fault["field"] or "status"
            if enum_field not in self.STATUS_ENUM_FIELDS:
                return _error(
                    500, f"simulator misconfigured: unknown_enum field {enum_field!r} on the status route"
                )
            value = fault["value"] or self.STATUS_ENUM_FIELDS[enum_field]
            if enum_field == "status":
                status = value
            else:
                file_format = value
        if status == "Complete":
            url = self.files_origin + job.file_path
            return JSONResponse({"format": file_format, "seller": job.seller, "path": url, "status": status})
        return JSONResponse({"seller": job.seller, "format": file_format, "status": status})

    async def _upload(self, request: Request) -> Response:
        seller = self._authenticate(request)  # whether uploads share the download quota is undocumented: no
        if isinstance(seller, Response):
            return seller
        file_format = request.headers.get("format")
        if file_format not in FORMATS:
            return _error(400, "Bad Request: the format header must be 'csv' or 'json'")
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        expected = "application/json" if file_format == "json" else "text/csv"
        if media_type != expected:
            return _error(400, f"Bad Request: format {file_format} needs Content-Type {expected}")
        body = await request.body()
        try:
            if file_format == "json":
                payload = json.loads(body)
                if not isinstance(payload, list) or not all(isinstance(p, dict) for p in payload):
                    return _error(400, "Bad Request: expected a JSON array of product objects")
                items = len(payload)
            else:
                items = max(0, sum(1 for row in csv.reader(io.StringIO(body.decode("utf-8"))) if row) - 1)
        except (ValueError, UnicodeDecodeError, csv.Error):
            return _error(400, f"Bad Request: the body is not valid {file_format}")
        if items > self.settings.max_upload_items:
            return _error(400, f"Bad Request: at most {self.settings.max_upload_items} products per upload")
        with self.state.lock:
            code = self.state.new_code("upload")
            self.state.uploads[code] = Upload(code, seller, file_format, items, self.clock.now())
            self.state.stats.uploads_created += 1
        return JSONResponse({"callBackCode": code})

    async def _file(self, request: Request) -> Response:
        params = request.path_params
        file_hash, _, ext = str(params["name"]).partition(".")
        code = self.state.files.get(file_hash)
        job = self.state.jobs.get(code) if code else None
        now = self.clock.now()
        if (
            job is None
            or ext != job.format
            or f"{params['ym']}/{params['day']}/{params['hour']}" != job.folder
            or job.status_at(now) != "Complete"
        ):
            return _error(404, "Not Found")
        ttl = self.settings.file_ttl
        if ttl is not None and now > job.ready_at + ttl:
            return _error(404, "Not Found: the file has expired")
        if self.settings.files_require_auth:
            seller = self._authenticate(request)
            if isinstance(seller, Response):
                return seller
        fault = self.take_fault(request.scope, "unknown_enum")
        unknown: tuple[str, str] | None = None
        if fault is not None:
            enum_field = fault["field"] or ("publishStatus" if job.format == "json" else "mediaType")
            if enum_field not in self.FILE_ENUM_FIELDS:
                return _error(500, f"simulator misconfigured: unknown_enum field {enum_field!r} on files")
            unknown = (enum_field, fault["value"] or self.FILE_ENUM_FIELDS[enum_field])
        rendered = await run_in_threadpool(
            render_file,
            job.gtins,
            job.format,
            unknown_enum=unknown,
            line_terminator=self.settings.csv_line_terminator,
        )
        return self._ranged(request, rendered, job)

    def _ranged(self, request: Request, rendered: RenderedFile, job: Job) -> Response:
        size = rendered.size
        modified = email.utils.formatdate(max(job.ready_at, 0.0), usegmt=True)
        headers = {
            "content-type": rendered.content_type,
            "accept-ranges": "bytes",
            "etag": rendered.etag,
            "last-modified": modified,
            "content-disposition": f'attachment; filename="{job.file_hash}.{job.format}"',
        }
        try:
            span = requested_span(request.headers, size, (rendered.etag, modified))
        except Unsatisfiable:
            return range_not_satisfiable(size, {"accept-ranges": "bytes"})
        if span.content_range is not None:
            headers["content-range"] = span.content_range
        headers["content-length"] = str(span.length)
        self.state.stats.files_served += 1
        pieces = byte_chunks(rendered.data, span.start, span.end, self.settings.chunk_size)
        return FileBody(pieces, span.status, headers)


# --------------------------------------------------------------- command line (sellerkit/testing/__main__.py)


_CLI_OPTIONS: Final[Mapping[str, Mapping[str, Any]]] = {
    "job_seconds": {"help": "simulated seconds a job stays In Progress"},
    "max_gtins": {"help": "GTINs per request (docs: 10,000)"},
}


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--files-host", default=None, help="serve result-file URLs on this second loopback host"
    )
    parser.add_argument("--seller", default="SID-0001", help="seller id (the JWT's sub)")
    parser.add_argument(
        "--jwt-ttl", type=float, default=24 * 3600.0, help="lifetime of the printed JWT (sim s)"
    )
    settings_options(parser, Wabi2bSettings(), _CLI_OPTIONS)


def cli_start(args: argparse.Namespace, stack: ExitStack) -> list[str]:
    settings = settings_from(args, Wabi2bSettings, _CLI_OPTIONS)
    sim = Wabi2bSimulator(ScaledClock(args.scale), settings, seller=args.seller)
    stack.enter_context(sim.running(args.host, port=args.port, files_host=args.files_host))
    jwt = sim.mint_jwt(args.jwt_ttl)
    return [
        f"Wabi2b simulator: {sim.base_url}   (files: {sim.files_origin}, clock x{args.scale:g})",
        f"  seller:        {sim.seller}",
        f"  x-api-key:     {sim.api_key}",
        f"  Authorization: {jwt}",
        "  (simulator-only test credentials)",
        f"  try: curl -s -X POST {sim.base_url}/listProductsBulkDownload -H 'Format: json' "
        f"-H 'x-api-key: {sim.api_key}' -H 'Authorization: {jwt}' -d '{{\"gtins\": [\"00025000040295\"]}}'",
    ]
