# ruff: noqa: RUF001  (Russian messages, as SelSup sends them)
"""SelSup export API simulator: the 8 background exports (tasks), the 27 file exports, the two plain-value
operations, `findTask`, `cancelTask` and `downloadFile`, as `specs/selsup.yaml` describes them (from
vendor-docs/004_21ff856b2e1b50dd.txt and vendor-notes.md § SelSup). Paths are under the origin (`/api/...`).

The operations, their query parameters (types, enums, required, `limit` ≤ 500, `page` ≥ 1) and the
ProductFilter body are read from `specs/selsup.yaml` at import, so requests are validated exactly as the spec
declares; what the simulator answers (tasks, files, errors) is written here. Facts the docs leave open are
decided here and listed in the README's SelSup section:

- a missing or wrong `Authorization` is 403 `{error}` (the spec declares no 401), checked before routing;
- invalid requests are 400 `{error, localMessage, params}` (or the older `{message, messageParams}` with
  `error_shape="legacy"` or the `legacy_error` fault); unknown task ids on cancelTask and unknown file paths
  on downloadFile are 400 too (the spec declares no 404 there); findTask with an unknown id answers
  `{rows: [], page: 1, total: 0}`;
- tasks go CREATED (`queue_seconds`) → RUNNING (`task_seconds`, progress 0 → 100) → FINISHED; the other
  outcomes stop halfway (ERROR, EXCEPTION, INTERRUPTED, STOPPED), restart once (RESTARTING) or never end
  ("stuck"); cancelTask makes a running task INTERRUPTING for `interrupt_seconds`, then INTERRUPTED;
- `uploadImagesToWildberries` and `exportOrdersToMoySklad` push data elsewhere: they finish without a file
  (`url` and `file` stay null); the other six background exports produce an .xlsx;
- a FINISHED task's `file` is `export/<task id>/<name>` and its `url` is `{origin}/api/files/file?path=...`
  (`url_style="files_api"`) or `{origin}/files/<file>` (`"direct"`, served without the API key);
- files are deterministic from the operation and its parsed parameters/body (`render_file`); file
  responses carry Content-Disposition and Content-Length and honour single byte ranges (`accept_ranges`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import re
import secrets
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

import yaml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .files import xlsx, zip_entry
from .framework import (
    FAULT_KINDS,
    FileBody,
    HttpLayer,
    ScaledClock,
    Simulator,
    Span,
    Unsatisfiable,
    range_not_satisfiable,
    requested_span,
    settings_from,
    settings_options,
    spec_path,
)

if TYPE_CHECKING:
    import argparse

    from sellerkit.selsup import AsyncSelsupClient, SelsupClient  # noqa: F401 (the simulator's type arguments)


__all__ = [
    "ERROR_SHAPES",
    "FAILURE_STATUSES",
    "FILE_OPERATIONS",
    "LARGE_BLOCK",
    "MEDIA_TYPES",
    "OPERATIONS",
    "OUTCOMES",
    "SPEC_PATH",
    "TASK_OPERATIONS",
    "TASK_STATUSES",
    "TERMINAL_STATUSES",
    "URL_STYLES",
    "Operation",
    "Param",
    "SelsupFile",
    "SelsupSettings",
    "SelsupSimulator",
    "SelsupStats",
    "Task",
    "cli_arguments",
    "cli_start",
    "format_date",
    "iter_large_file",
    "large_file_sha256",
    "render_file",
    "request_key",
]

SPEC_PATH: Final = spec_path("selsup.yaml")
FIND_TASK_PATH: Final = "/api/task/findTask"
CANCEL_TASK_PATH: Final = "/api/task/cancelTask"
FILES_PATH: Final = "/api/files/file"
DIRECT_FILES_PREFIX: Final = "/files/"
INT64: Final = (-(2**63), 2**63 - 1)

TASK_STATUSES: Final = (
    "CREATED",
    "RUNNING",
    "FINISHED",
    "ERROR",
    "RESTARTING",
    "INTERRUPTING",
    "INTERRUPTED",
    "STOPPED",
    "EXCEPTION",
)
FAILURE_STATUSES: Final = frozenset({"ERROR", "EXCEPTION", "INTERRUPTED", "STOPPED"})
TERMINAL_STATUSES: Final = frozenset({"FINISHED"}) | FAILURE_STATUSES
#: How a task ends (setting `outcome` for new tasks, `sim.set_outcome(id, ...)` per task): FINISHED at
#: the end; a failure status halfway; "RESTARTING": halfway it restarts (RESTARTING for `restart_seconds`,
#: retryNumber 1), runs again from 0 and FINISHES; "stuck": RUNNING forever, progress frozen at 50.
OUTCOMES: Final = ("FINISHED", "ERROR", "EXCEPTION", "INTERRUPTED", "STOPPED", "RESTARTING", "stuck")
ERROR_SHAPES: Final = ("current", "legacy")
URL_STYLES: Final = ("files_api", "direct")
LARGE_BLOCK: Final = 1 << 20  # large-file content is generated in blocks of this size

MEDIA_TYPES: Final[Mapping[str, str]] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "pdf": "application/pdf",
    "xml": "application/xml",
}
OCTET_STREAM: Final = "application/octet-stream"

#: operationId → (task type, kind of the result file or None for tasks that produce no file)
TASK_OPERATIONS: Final[Mapping[str, tuple[str, str | None]]] = {
    "uploadImagesToWildberries": ("UPLOAD_IMAGES_TO_WILDBERRIES", None),
    "exportStocksFile": ("EXPORT_STOCKS_FILE", "xlsx"),
    "exportWildberriesProductsFile": ("EXPORT_WILDBERRIES_PRODUCTS_FILE", "xlsx"),
    "exportProductsFile": ("EXPORT_PRODUCTS_FILE", "xlsx"),
    "exportModelsFile": ("EXPORT_MODELS_FILE", "xlsx"),
    "exportContractorSettlementStructure": ("EXPORT_STRUCTURE_TURNOVER_BY_CONTRACTOR", "xlsx"),
    "exportOrdersToMoySklad": ("EXPORT_MOY_SKLAD_ORDERS", None),
    "exportProductSetsFile": ("EXPORT_PRODUCT_SETS_FILE", "xlsx"),
}
_RESPONSE_KINDS: Final[Mapping[str, str]] = {
    "ExcelFile": "xlsx",
    "ZipArchive": "zip",
    "PdfFile": "pdf",
    "XmlFile": "xml",
    "BinaryFile": "binary",
    "TaskStarted": "task",
    "StringResult": "string",
    "BooleanResult": "boolean",
}
#: BinaryFile operations (the spec names no file type): what they serve
_BINARY_KINDS: Final[Mapping[str, str]] = {
    "downloadEdoInvoice": "xml",
    "downloadCategoriesFileTemplate": "xlsx",
}


# ---------------------------------------------------------------- the spec's operations


@dataclass(frozen=True)
class Param:
    """A query parameter or ProductFilter property, as the spec types it."""

    name: str
    type: str  # integer, number, boolean, string
    required: bool = False
    array: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    kind: str  # task, xlsx, zip, pdf, xml, binary, string, boolean, find, cancel, download
    params: tuple[Param, ...]
    body: tuple[Param, ...] | None  # ProductFilter properties; None: no body
    body_required: bool = False

    @property
    def file_kind(self) -> str | None:
        """The kind of file the operation answers with (or its task produces)."""
        if self.kind == "task":
            return TASK_OPERATIONS[self.operation_id][1]
        if self.kind == "binary":
            return _BINARY_KINDS.get(self.operation_id, "xlsx")
        return self.kind if self.kind in MEDIA_TYPES else None


def _resolve(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(spec, schema["allOf"][0])
    return schema


def _param(spec: Mapping[str, Any], name: str, schema: Mapping[str, Any], required: bool) -> Param:
    schema = _resolve(spec, schema)
    array = schema.get("type") == "array"
    if array:
        schema = _resolve(spec, schema["items"])
    enum = schema.get("enum")
    return Param(
        name=name,
        type=str(schema.get("type", "string")),
        required=required,
        array=array,
        enum=tuple(str(v) for v in enum) if enum else None,
        minimum=schema.get("minimum"),
        maximum=schema.get("maximum"),
    )


def _load_operations(path: Path) -> dict[str, Operation]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    operations: dict[str, Operation] = {}
    for route, item in spec["paths"].items():
        for method, op in item.items():
            op_id = str(op["operationId"])
            params = tuple(
                _param(spec, p["name"], p["schema"], bool(p.get("required")))
                for p in op.get("parameters", [])
            )
            body: tuple[Param, ...] | None = None
            body_required = False
            if "requestBody" in op:
                request_body = op["requestBody"]
                if "$ref" in request_body:
                    request_body = spec["components"]["requestBodies"][
                        request_body["$ref"].rsplit("/", 1)[-1]
                    ]
                body_required = bool(request_body.get("required"))
                schema = _resolve(spec, request_body["content"]["application/json"]["schema"])
                required = set(schema.get("required", ()))
                body = tuple(
                    _param(spec, name, prop, name in required) for name, prop in schema["properties"].items()
                )
            ok = op["responses"]["200"]
            if op_id == "findTask":
                kind = "find"
            elif op_id == "cancelTask":
                kind = "cancel"
            elif op_id == "downloadFile":
                kind = "download"
            else:
                kind = _RESPONSE_KINDS[str(ok["$ref"]).rsplit("/", 1)[-1]]
            operations[op_id] = Operation(op_id, method.upper(), route, kind, params, body, body_required)
    return operations


OPERATIONS: Final[Mapping[str, Operation]] = _load_operations(SPEC_PATH)
FILE_OPERATIONS: Final = tuple(op for op, o in OPERATIONS.items() if o.kind in (*MEDIA_TYPES, "binary"))
if set(TASK_OPERATIONS) != {op for op, o in OPERATIONS.items() if o.kind == "task"}:  # pragma: no cover
    raise RuntimeError("specs/selsup.yaml and TASK_OPERATIONS disagree on the background exports")


# ---------------------------------------------------------------- validation


class _Invalid(Exception):
    def __init__(self, error: str, message: str, params: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.params = dict(params)


_INT_RE: Final = re.compile(r"-?[0-9]+")
_NUMBER_RE: Final = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _scalar_from_text(param: Param, text: str) -> Any:
    """A query value parsed as Spring would (strictly); raises _Invalid."""
    value: Any
    if param.type == "integer":
        if not _INT_RE.fullmatch(text) or not INT64[0] <= int(text) <= INT64[1]:
            raise _bad_value(param, text)
        value = int(text)
    elif param.type == "number":
        if not _NUMBER_RE.fullmatch(text):
            raise _bad_value(param, text)
        value = float(text)
    elif param.type == "boolean":
        if text not in ("true", "false"):
            raise _bad_value(param, text)
        value = text == "true"
    else:
        value = text
    return _check_value(param, value)


def _scalar_from_json(param: Param, value: Any) -> Any:
    ok = {
        "integer": isinstance(value, int) and not isinstance(value, bool) and INT64[0] <= value <= INT64[1],
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "string": isinstance(value, str),
    }.get(param.type, True)
    if not ok:
        raise _bad_value(param, value)
    return _check_value(param, value)


def _check_value(param: Param, value: Any) -> Any:
    if param.enum is not None and value not in param.enum:
        raise _Invalid(
            "INVALID_ENUM_VALUE",
            f"Недопустимое значение параметра {param.name}: {_shown(value)}",
            {"param": param.name, "value": _shown(value), "allowed": list(param.enum)},
        )
    if param.maximum is not None and value > param.maximum:
        raise _Invalid(
            "VALUE_TOO_LARGE",
            f"Значение параметра {param.name} больше {param.maximum:g}",
            {"param": param.name, "value": value, "maximum": param.maximum},
        )
    if param.minimum is not None and value < param.minimum:
        raise _Invalid(
            "VALUE_TOO_SMALL",
            f"Значение параметра {param.name} меньше {param.minimum:g}",
            {"param": param.name, "value": value, "minimum": param.minimum},
        )
    return value


def _bad_value(param: Param, value: Any) -> _Invalid:
    return _Invalid(
        "INVALID_PARAMETER",
        f"Неверное значение параметра {param.name}: ожидается {param.type}",
        {"param": param.name, "value": _shown(value), "type": param.type},
    )


def _missing(name: str) -> _Invalid:
    return _Invalid("MISSING_PARAMETER", f"Не указан обязательный параметр {name}", {"param": name})


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text[:200].encode("utf-8", "replace").decode("utf-8")


def parse_query(op: Operation, items: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The operation's declared query parameters, typed (arrays as lists); undeclared ones are ignored."""
    values: dict[str, list[str]] = {}
    for name, value in items:
        values.setdefault(name, []).append(value)
    parsed: dict[str, Any] = {}
    for param in op.params:
        raw = values.get(param.name)
        if raw is None:
            if param.required:
                raise _missing(param.name)
            continue
        if param.array:
            parsed[param.name] = [_scalar_from_text(param, v) for v in raw]
        elif len(raw) != 1:
            raise _bad_value(param, raw)
        else:
            parsed[param.name] = _scalar_from_text(param, raw[0])
    return parsed


def parse_body(op: Operation, raw: bytes) -> dict[str, Any] | None:
    """The validated JSON body (ProductFilter), None for operations without one."""
    if op.body is None:
        return None
    if not raw.strip():
        if op.body_required:
            raise _Invalid("INVALID_BODY", "Не передано тело запроса", {})
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise _Invalid("INVALID_BODY", "Тело запроса не является JSON", {"detail": str(exc)[:200]}) from None
    if not isinstance(body, dict):
        raise _Invalid("INVALID_BODY", "Тело запроса должно быть объектом", {})
    for param in op.body:
        if param.name not in body:
            if param.required:
                raise _missing(param.name)
            continue
        value = body[param.name]
        if param.array:
            if not isinstance(value, list):
                raise _bad_value(param, value)
            for item in value:
                _scalar_from_json(param, item)
        else:
            _scalar_from_json(param, value)
    return body


def _canonical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def request_key(
    operation_id: str, params: Mapping[str, Any] | None = None, body: Mapping[str, Any] | None = None
) -> str:
    """The text a file's bytes are derived from: the operation, its declared parameters (typed values, in
    the spec's order; lists keep their order) and its JSON body (sorted keys)."""
    op = OPERATIONS[operation_id]
    params = params or {}
    parts: list[str] = []
    for param in op.params:
        if param.name not in params:
            continue
        value = params[param.name]
        values = value if isinstance(value, list | tuple) else [value]
        parts.extend(f"{param.name}={_canonical(v)}" for v in values)
    body_text = (
        "" if body is None else json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    )
    return f"{operation_id}?{'&'.join(parts)}\n{body_text}"


# ---------------------------------------------------------------- files


@dataclass(frozen=True)
class SelsupFile:
    """One file as the simulator serves it. `data` is None in large-file mode (use `chunks()`)."""

    operation_id: str
    kind: str  # xlsx, zip, pdf, xml
    filename: str
    size: int
    sha256: str
    data: bytes | None
    seed: bytes  # large-file mode: the content's seed

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]

    @property
    def extension(self) -> str:
        return self.kind

    def chunks(self, start: int = 0, end: int | None = None, chunk_size: int = 1 << 16) -> Iterator[bytes]:
        """The bytes [start, end) in pieces of at most `chunk_size` (generated on the fly when large)."""
        stop = self.size if end is None else end
        if self.data is not None:
            view = memoryview(self.data)
            for offset in range(start, stop, chunk_size):
                yield bytes(view[offset : min(offset + chunk_size, stop)])
            return
        yield from iter_large_file(self.seed, start, stop, chunk_size)


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


_XML_INVALID: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    """Text safe for XML/UTF-8: lone surrogates become '?', characters XML forbids are dropped."""
    return _XML_INVALID.sub("", value.encode("utf-8", "replace").decode("utf-8"))


def _rows(key: str) -> list[list[str]]:
    digest = _digest(key)
    op_id, _, rest = key.partition("?")
    query, _, body = rest.partition("\n")
    rows = [["operation", op_id], ["parameters", query], ["body", body], ["#", "id", "name", "quantity"]]
    for i in range(3 + digest[0] % 5):
        item = hashlib.sha256(digest + bytes([i])).hexdigest()
        rows.append(
            [str(i + 1), str(int(item[:8], 16)), f"Товар {item[8:16]}", str(int(item[16:20], 16) % 1000)]
        )
    return rows


def _xlsx(key: str) -> bytes:
    return xlsx([[_text(v) for v in row] for row in _rows(key)])


def _png(rgb: bytes) -> bytes:
    """A valid 1x1 RGB PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" + rgb, 9))
        + chunk(b"IEND", b"")
    )


def _zip(key: str) -> bytes:
    digest = _digest(key)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for i in range(1 + digest[1] % 4):
            zip_entry(
                archive, f"{i + 1:03d}_{digest[:4].hex()}.png", _png(digest[3 * i : 3 * i + 3]), deflate=False
            )
    return buf.getvalue()


def _pdf(key: str) -> bytes:
    """A minimal valid one-page PDF (Helvetica text, exact xref offsets, no dates)."""
    lines = [" | ".join(row) for row in _rows(key)]
    safe = [
        re.sub(r"([()\\])", r"\\\1", line.encode("ascii", "replace").decode("ascii"))[:120] for line in lines
    ]
    text = "BT /F1 9 Tf 36 800 Td 12 TL " + " ".join(f"({line}) Tj T*" for line in safe) + " ET"
    stream = text.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _attr(value: str) -> str:
    return xml_escape(_text(value), {'"': "&quot;"})


def _xml(key: str) -> bytes:
    rows = _rows(key)
    items = "".join(
        f'<СвТов НомСтр="{xml_escape(_text(r[0]))}" КодТов="{xml_escape(_text(r[1]))}" '
        f'НаимТов="{xml_escape(_text(r[2]))}" КолТов="{xml_escape(_text(r[3]))}"/>'
        for r in rows[4:]
    )
    doc = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Файл ИдФайл="{_digest(key)[:8].hex()}" ВерсФорм="5.01">'
        f'<Документ Операция="{_attr(rows[0][1])}" Параметры="{_attr(rows[1][1])}">'
        f"<ТаблСчФакт>{items}</ТаблСчФакт></Документ></Файл>\n"
    )
    return doc.encode("utf-8")


_RENDERERS: Final = {"xlsx": _xlsx, "zip": _zip, "pdf": _pdf, "xml": _xml}


def _large_block(seed: bytes, index: int) -> bytes:
    return struct.pack(">Q", index) + _large_base(seed)[8:]


@functools.lru_cache(maxsize=8)
def _large_base(seed: bytes) -> bytes:
    return hashlib.shake_256(seed).digest(LARGE_BLOCK)


def iter_large_file(seed: bytes, start: int, end: int, chunk_size: int = LARGE_BLOCK) -> Iterator[bytes]:
    """Bytes [start, end) of the large file with this seed: 1 MiB blocks, each its index (8 bytes, big
    endian) then the seed's fixed 1 MiB - 8 pseudo-random bytes. Generated on the fly, never held whole."""
    pos = start
    while pos < end:
        index, offset = divmod(pos, LARGE_BLOCK)
        block = _large_block(seed, index)
        stop = min(LARGE_BLOCK, offset + (end - pos))
        for piece_start in range(offset, stop, chunk_size):
            piece = block[piece_start : min(piece_start + chunk_size, stop)]
            yield piece
        pos += stop - offset


@functools.lru_cache(maxsize=32)
def _large_sha256(seed: bytes, size: int) -> str:
    digest = hashlib.sha256()
    for piece in iter_large_file(seed, 0, size):
        digest.update(piece)
    return digest.hexdigest()


def _filename(op: Operation, kind: str, digest: bytes, task_id: int | None) -> str:
    stem = op.path.rstrip("/").rsplit("/", 1)[-1].replace("-", "_")
    tag = str(task_id) if task_id is not None else digest[:4].hex()
    return f"{stem}_{tag}.{kind}"


def render_file(
    operation_id: str,
    params: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
    *,
    large_file_bytes: int | None = None,
    task_id: int | None = None,
) -> SelsupFile:
    """The exact file an operation (or the task it starts) serves for these parameters/body.

    `params` are typed values (ints, bools, strings, lists for array parameters) as the request carried them;
    `body` the JSON body. `large_file_bytes`: the file of large-file mode instead (its sha256 takes a pass
    over the generated bytes, cached). `task_id`: name the file as a task's result (`<stem>_<task id>.<ext>`).
    """
    key = request_key(operation_id, params, body)
    return _render(key, operation_id, large_file_bytes, task_id)


@functools.lru_cache(maxsize=64)
def _render(key: str, operation_id: str, large_file_bytes: int | None, task_id: int | None) -> SelsupFile:
    op = OPERATIONS[operation_id]
    kind = op.file_kind
    if kind is None:
        raise ValueError(f"{operation_id} produces no file")
    if kind == "xml" and operation_id == "downloadEdoInvoice":
        kind = _invoice_kind(key)
    digest = _digest(key)
    name = _filename(op, kind, digest, task_id)
    if large_file_bytes is not None:
        return SelsupFile(
            operation_id, kind, name, large_file_bytes, _large_sha256(digest, large_file_bytes), None, digest
        )
    data = _RENDERERS[kind](key)
    return SelsupFile(operation_id, kind, name, len(data), hashlib.sha256(data).hexdigest(), data, digest)


def _invoice_kind(key: str) -> str:
    # downloadInvoice's free-text `format`: "pdf" → PDF, "xlsx"/"excel" → Excel, anything else the EDO XML
    match = re.search(r"(?:^|[?&])format=([^&\n]*)", key)
    value = (match.group(1) if match else "").lower()
    return "pdf" if value == "pdf" else "xlsx" if value in ("xlsx", "excel") else "xml"


def large_file_sha256(
    operation_id: str,
    params: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
    *,
    size: int,
) -> str:
    return render_file(operation_id, params, body, large_file_bytes=size).sha256


def format_date(sim_time: float) -> str:
    """Task dates: ISO-8601 UTC with milliseconds (simulated time is Unix time)."""
    when = dt.datetime.fromtimestamp(sim_time, dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- settings, tasks, state


@dataclass
class SelsupSettings:
    """Knobs of one simulator (may be changed while it runs; timing and outcome apply to new tasks)."""

    queue_seconds: float = 1.0  # simulated seconds a task stays CREATED
    task_seconds: float = 3.0  # simulated seconds it stays RUNNING (progress 0 → 100)
    interrupt_seconds: float = 1.0  # INTERRUPTING after cancelTask, then INTERRUPTED
    restart_seconds: float = 1.0  # RESTARTING, for the "RESTARTING" outcome
    outcome: str = "FINISHED"  # OUTCOMES, for new tasks
    error_message: str = "Ошибка выполнения задачи (simulated)"
    error_shape: str = (
        "current"  # ERROR_SHAPES: {error, localMessage, params} or the older {message, messageParams}
    )
    invalid_key_status: int = 403  # the spec documents 403 {error} for a missing/wrong key
    url_style: str = "files_api"  # URL_STYLES: a FINISHED task's url
    specific_media_types: bool = True  # file exports: xlsx/zip/pdf/xml media types (False: octet-stream)
    large_file_bytes: int | None = None  # large-file mode: every file is this many generated bytes
    chunk_size: int = 1 << 16  # body chunk size of file responses
    accept_ranges: bool = True  # honour single byte ranges on file responses (206/416)
    ozon_invoice_missing: tuple[int, ...] = ()  # orderIds whose downloadOzonInvoice is 404
    commerceml_auth: bool | None = None  # checkCommerceMlAuth's answer; None: true iff url is http(s)
    client_id: int = 1001
    user_id: int = 7001
    first_task_id: int = 1001

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        for name, value, choices in (
            ("outcome", self.outcome, OUTCOMES),
            ("error_shape", self.error_shape, ERROR_SHAPES),
            ("url_style", self.url_style, URL_STYLES),
        ):
            if value not in choices:
                raise ValueError(f"{name} must be one of {choices}, not {value!r}")
        if self.large_file_bytes is not None and self.large_file_bytes < 0:
            raise ValueError("large_file_bytes must be >= 0")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be >= 1")


@dataclass
class Task:
    """One background task; its status and progress follow from its timeline and the simulated time."""

    id: int
    operation_id: str
    type: str
    params: dict[str, Any]
    body: dict[str, Any] | None
    created_at: float
    start_at: float
    task_seconds: float
    restart_seconds: float
    interrupt_seconds: float
    outcome: str
    message: str
    large_file_bytes: int | None
    cancelled_at: float | None = None
    cancel_progress: int = 0
    ended_at: float | None = None  # forced end (complete/fail), else from the timeline

    @property
    def file_kind(self) -> str | None:
        return TASK_OPERATIONS[self.operation_id][1]

    def file(self) -> SelsupFile | None:
        if self.file_kind is None:
            return None
        return render_file(
            self.operation_id, self.params, self.body, large_file_bytes=self.large_file_bytes, task_id=self.id
        )

    @property
    def file_path(self) -> str | None:
        file = self.file()
        return None if file is None else f"export/{self.id}/{file.filename}"

    def _end(self) -> float | None:
        """When the timeline ends (None: never)."""
        if self.ended_at is not None:
            return self.ended_at
        if self.outcome == "stuck":
            return None
        if self.outcome in FAILURE_STATUSES:
            return self.start_at + self.task_seconds / 2
        if self.outcome == "RESTARTING":
            return self.start_at + self.task_seconds / 2 + self.restart_seconds + self.task_seconds
        return self.start_at + self.task_seconds

    def final_status(self) -> str:
        return "FINISHED" if self.outcome in ("RESTARTING", "stuck") else self.outcome

    def snapshot(self, now: float) -> tuple[str, int, int]:
        """(status, progress %, retryNumber) at `now`."""
        if self.cancelled_at is not None and now >= self.cancelled_at:
            done = now >= self.cancelled_at + self.interrupt_seconds
            return ("INTERRUPTED" if done else "INTERRUPTING"), self.cancel_progress, self._retries(now)
        end = self._end()
        if end is not None and now >= end:
            status = self.final_status()
            progress = 100 if status == "FINISHED" else self._progress(min(now, end))
            return status, progress, self._retries(now)
        if now < self.start_at:
            return "CREATED", 0, 0
        if self.outcome == "RESTARTING":
            mid = self.start_at + self.task_seconds / 2
            if mid <= now < mid + self.restart_seconds:
                return "RESTARTING", 50, 1
        return "RUNNING", self._progress(now), self._retries(now)

    def _retries(self, now: float) -> int:
        return int(self.outcome == "RESTARTING" and now >= self.start_at + self.task_seconds / 2)

    def _progress(self, now: float) -> int:
        if self.task_seconds <= 0:
            return 100
        elapsed = now - self.start_at
        if self.outcome == "RESTARTING":
            mid = self.task_seconds / 2
            if elapsed >= mid + self.restart_seconds:
                elapsed -= mid + self.restart_seconds
            elif elapsed >= mid:
                return 50
        elif self.outcome == "stuck":
            elapsed = min(elapsed, self.task_seconds / 2)
        return max(0, min(99, int(100 * elapsed / self.task_seconds)))

    def status(self, now: float) -> str:
        return self.snapshot(now)[0]

    def finished_at(self, now: float) -> float | None:
        status = self.status(now)
        if self.cancelled_at is not None and status == "INTERRUPTED":
            return self.cancelled_at + self.interrupt_seconds
        if status in TERMINAL_STATUSES:
            return self._end()
        return None


@dataclass
class SelsupStats:
    tasks_created: int = 0
    files_served: int = 0
    bytes_served: int = 0
    cancels: int = 0
    auth_refusals: int = 0
    bad_requests: int = 0


class SelsupState:
    def __init__(self, settings: SelsupSettings) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[int, Task] = {}
        self.next_id = settings.first_task_id
        self.stats = SelsupStats()


# ---------------------------------------------------------------- HTTP helpers


def _spring_error(status: int, reason: str, path: str, now: float) -> JSONResponse:
    """Spring Boot's default error body, for unrouted paths and methods."""
    return JSONResponse(
        {"timestamp": format_date(now), "status": status, "error": reason, "path": path}, status_code=status
    )


# ---------------------------------------------------------------- the simulator


class SelsupSimulator(Simulator["SelsupClient", "AsyncSelsupClient"]):
    """The simulator. Serve it with `running()`; send `sim.auth_headers()` (`Authorization: <api key>`)."""

    name: ClassVar[str] = "selsup"
    #: the framework's kinds, plus the vendor's own:
    #: `server_error`: answer 5xx with the vendor body {error, message, system} (or the legacy shape);
    #: `legacy_error`: the matching request's error (if it has one) uses {message, messageParams}
    fault_kinds: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        **FAULT_KINDS,
        "server_error": {
            "status": 500,
            "error": "INTERNAL_SERVER_ERROR",
            "message": "Внутренняя ошибка сервера (simulated)",
            "system": "java.lang.NullPointerException (simulated)",
        },
        "legacy_error": {},
    }
    #: unknown_enum on a response carrying a task (findTask, the background exports): field → default value
    TASK_ENUM_FIELDS: ClassVar[Mapping[str, str]] = {"status": "PAUSED"}

    def __init__(
        self,
        clock: ScaledClock | None = None,
        settings: SelsupSettings | None = None,
        *,
        api_key: str | None = None,
    ) -> None:
        self.settings = settings if settings is not None else SelsupSettings()
        self.state = SelsupState(self.settings)
        self.api_key = api_key if api_key is not None else "sim-" + secrets.token_hex(16)
        super().__init__(clock)

    # ---- credentials (base_url is the origin: the spec's paths begin with /api/...)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self.api_key}

    @property
    def stats(self) -> SelsupStats:
        return self.state.stats

    # ---- tasks, for tests

    def task(self, task_id: int) -> Task:
        with self.state.lock:
            return self.state.tasks[int(task_id)]

    def tasks(self) -> list[Task]:
        with self.state.lock:
            return list(self.state.tasks.values())

    def task_status(self, task_id: int) -> str:
        return self.task(task_id).status(self.clock.now())

    def task_json(self, task_id: int) -> dict[str, Any]:
        """The task as findTask shows it now."""
        return self._task_json(self.task(task_id), self.clock.now())

    def set_outcome(self, task_id: int, outcome: str, message: str | None = None) -> Task:
        """Decide how a task ends (OUTCOMES); it still runs its course in simulated time."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        task = self.task(task_id)
        with self.state.lock:
            if task.status(self.clock.now()) in TERMINAL_STATUSES:
                return task  # a terminal task never changes
            task.outcome = outcome
            if message is not None:
                task.message = message
        return task

    def complete(self, task_id: int) -> Task:
        """FINISH a task now (no-op once it is terminal)."""
        return self._end_now(task_id, "FINISHED", None)

    def fail(self, task_id: int, status: str = "ERROR", message: str | None = None) -> Task:
        """End a task now with a failure status (ERROR, EXCEPTION, INTERRUPTED, STOPPED)."""
        if status not in FAILURE_STATUSES:
            raise ValueError(f"status must be one of {sorted(FAILURE_STATUSES)}, not {status!r}")
        return self._end_now(task_id, status, message)

    def stall(self, task_id: int) -> Task:
        """Keep a task RUNNING forever (progress frozen at 50), for poll-deadline tests."""
        return self.set_outcome(task_id, "stuck")

    def cancel(self, task_id: int) -> str:
        """Cancel as cancelTask does (INTERRUPTING, then INTERRUPTED); returns the status afterwards."""
        task = self.task(task_id)
        now = self.clock.now()
        with self.state.lock:
            status, progress, _ = task.snapshot(now)
            if status not in TERMINAL_STATUSES and status != "INTERRUPTING":
                task.cancelled_at = now
                task.cancel_progress = progress
                self.state.stats.cancels += 1
        return task.status(now)

    def _end_now(self, task_id: int, outcome: str, message: str | None) -> Task:
        task = self.task(task_id)
        now = self.clock.now()
        with self.state.lock:
            if task.status(now) in TERMINAL_STATUSES:
                return task
            task.cancelled_at = None
            task.outcome = outcome
            task.start_at = min(task.start_at, now)
            task.ended_at = now
            if message is not None:
                task.message = message
        return task

    # ---- files, for assertions

    def expected_file(
        self,
        operation_id: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> SelsupFile:
        """The file a file export serves for these parameters (large-file mode included)."""
        return render_file(operation_id, params, body, large_file_bytes=self.settings.large_file_bytes)

    def file_sha256(
        self,
        operation_id: str,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> str:
        return self.expected_file(operation_id, params, body).sha256

    def task_file(self, task_id: int) -> SelsupFile | None:
        """The result file of a task (None for tasks that produce none), whatever its status."""
        return self.task(task_id).file()

    def task_file_sha256(self, task_id: int) -> str:
        file = self.task_file(task_id)
        if file is None:
            raise ValueError(f"task {task_id} produces no file")
        return file.sha256

    def file_url(self, task_id: int) -> str | None:
        task = self.task(task_id)
        path = task.file_path
        if path is None:
            return None
        origin = self.origin or "https://api.selsup.ru"
        if self.settings.url_style == "direct":
            return origin + DIRECT_FILES_PREFIX + path
        return f"{origin}{FILES_PATH}?path={quote(path, safe='/')}"

    # ---- the app

    def route_of(self, method: str, path: str) -> str:
        return DIRECT_FILES_PREFIX + "{path}" if path.startswith(DIRECT_FILES_PREFIX) else path

    def build_app(self) -> ASGIApp:
        by_path: dict[str, list[Operation]] = {}
        for op in OPERATIONS.values():
            by_path.setdefault(op.path, []).append(op)
        routes = [
            Route(path, self._endpoint(ops), methods=[op.method for op in ops])
            for path, ops in by_path.items()
        ]
        routes.append(Route(DIRECT_FILES_PREFIX + "{path:path}", self._direct_file, methods=["GET"]))
        app = Starlette(routes=routes, exception_handlers={HTTPException: self._http_error})
        return _Gate(self, app)

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        reason = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, str(exc.detail))
        response = _spring_error(exc.status_code, reason, request.url.path, self.clock.now())
        response.headers.update(exc.headers or {})
        return response

    def error(
        self, scope: Scope, status: int, error: str, message: str, params: Mapping[str, Any] | None = None
    ) -> JSONResponse:
        """A vendor error body in the current shape ({error, localMessage, params} for 400, {error} for 403,
        {error, message, system}-like otherwise) or the legacy {message, messageParams}."""
        legacy = self.settings.error_shape == "legacy" or self.take_fault(scope, "legacy_error") is not None
        body: dict[str, Any]
        if legacy:
            body = {"message": message, "messageParams": [_shown(v) for v in (params or {}).values()]}
        elif status == 400:
            body = {"error": error, "localMessage": message, "params": dict(params or {})}
        elif status in (401, 403):
            body = {"error": error}
        else:
            body = {"error": error, "message": message, **dict(params or {})}
        if status == 400:
            self.state.stats.bad_requests += 1
        return JSONResponse(body, status_code=status)

    def _endpoint(self, ops: list[Operation]) -> Any:
        by_method = {op.method: op for op in ops}

        async def endpoint(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            op = by_method[method]
            try:
                params = parse_query(op, request.query_params.multi_items())
                body = parse_body(op, await request.body())
            except _Invalid as exc:
                return self.error(request.scope, 400, exc.error, exc.message, exc.params)
            try:
                return self._handle(request, op, params, body)
            except _Invalid as exc:
                return self.error(request.scope, 400, exc.error, exc.message, exc.params)

        return endpoint

    def _handle(
        self, request: Request, op: Operation, params: dict[str, Any], body: dict[str, Any] | None
    ) -> Response:
        now = self.clock.now()
        if op.kind == "task":
            return self._start_task(request, op, params, body, now)
        if op.kind == "find":
            return self._find_task(request, int(params["id"]), now)
        if op.kind == "cancel":
            return self._cancel_task(int(params["taskId"]))
        if op.kind == "download":
            return self._download(request, str(params["path"]), now, OCTET_STREAM)
        if op.kind == "string":
            service = params.get("service", "NONE")
            text = f"Карточки для заказа {params['orderId']} поставлены в очередь ({service})"
            return Response(text, media_type="text/plain; charset=utf-8")
        if op.kind == "boolean":
            ok = self.settings.commerceml_auth
            if ok is None:
                ok = str(params["url"]).startswith(("http://", "https://"))
            return JSONResponse(ok)
        if (
            op.operation_id == "downloadOzonInvoice"
            and params["orderId"] in self.settings.ozon_invoice_missing
        ):
            return JSONResponse(
                {"error": "NOT_FOUND", "localMessage": f"Счёт для заказа {params['orderId']} не найден"}, 404
            )
        file = render_file(op.operation_id, params, body, large_file_bytes=self.settings.large_file_bytes)
        media = OCTET_STREAM
        if self.settings.specific_media_types and op.kind != "binary":
            media = file.media_type
        return self._file_response(request, file, media)

    def _file_response(self, request: Request, file: SelsupFile, media_type: str) -> Response:
        headers = {
            "content-type": media_type,
            "content-disposition": f'attachment; filename="{file.filename}"',
            "etag": f'"{file.sha256[:32]}"',
        }
        span = Span(0, file.size, 200)
        if self.settings.accept_ranges:
            headers["accept-ranges"] = "bytes"
            try:
                span = requested_span(request.headers, file.size, (headers["etag"],))
            except Unsatisfiable:
                return range_not_satisfiable(file.size)
        if span.content_range is not None:
            headers["content-range"] = span.content_range
        headers["content-length"] = str(span.length)
        with self.state.lock:
            self.state.stats.files_served += 1
            self.state.stats.bytes_served += span.length
        pieces = file.chunks(span.start, span.end, self.settings.chunk_size)
        return FileBody(pieces, span.status, headers)

    # ---- tasks over HTTP

    def _start_task(
        self, request: Request, op: Operation, params: dict[str, Any], body: dict[str, Any] | None, now: float
    ) -> Response:
        settings = self.settings
        settings.check()
        with self.state.lock:
            task_id = self.state.next_id
            self.state.next_id += 1
            task = Task(
                id=task_id,
                operation_id=op.operation_id,
                type=TASK_OPERATIONS[op.operation_id][0],
                params=params,
                body=body,
                created_at=now,
                start_at=now + settings.queue_seconds,
                task_seconds=settings.task_seconds,
                restart_seconds=settings.restart_seconds,
                interrupt_seconds=settings.interrupt_seconds,
                outcome=settings.outcome,
                message=settings.error_message,
                large_file_bytes=settings.large_file_bytes,
            )
            self.state.tasks[task_id] = task
            self.state.stats.tasks_created += 1
        return JSONResponse(self._task_json(task, now, request.scope))

    def _find_task(self, request: Request, task_id: int, now: float) -> Response:
        with self.state.lock:
            task = self.state.tasks.get(task_id)
        rows = [] if task is None else [self._task_json(task, now, request.scope)]
        return JSONResponse({"rows": rows, "page": 1, "total": len(rows)})

    def _cancel_task(self, task_id: int) -> Response:
        with self.state.lock:
            known = task_id in self.state.tasks
        if not known:
            raise _Invalid("TASK_NOT_FOUND", f"Задача {task_id} не найдена", {"taskId": task_id})
        self.cancel(task_id)
        return Response(status_code=200)

    def _task_json(self, task: Task, now: float, scope: Scope | None = None) -> dict[str, Any]:
        status, progress, retries = task.snapshot(now)
        finished = status == "FINISHED"
        ended = task.finished_at(now)
        records = 40 + task.id % 60
        message: str | None = None
        if finished:
            message = "Задача выполнена"
        elif status in FAILURE_STATUSES:
            cancelled = status == "INTERRUPTED" and task.cancelled_at is not None
            message = "Задача прервана пользователем" if cancelled else task.message
        body: dict[str, Any] = {
            "id": task.id,
            "status": status,
            "type": task.type,
            "name": json.dumps(task.params, ensure_ascii=False, sort_keys=True) if task.params else "",
            "clientId": self.settings.client_id,
            "entityId": next(
                (task.params[k] for k in ("photographyId", "organizationId", "id") if k in task.params), None
            ),
            "progress": progress,
            "processedQuantity": records * progress // 100,
            "organizationId": task.params.get("organizationId", 0),
            "priority": 0,
            "properties": None
            if task.body is None
            else json.dumps(task.body, ensure_ascii=False, sort_keys=True),
            "message": message,
            "messageParams": None,
            "createdDate": format_date(task.created_at),
            "startDate": format_date(task.start_at) if now >= task.start_at else None,
            "finishDate": format_date(ended) if ended is not None else None,
            "url": self.file_url(task.id) if finished else None,
            "file": task.file_path if finished else None,
            "inputFileUrl": None,
            "retryNumber": retries,
            "userId": self.settings.user_id,
            "retryDate": format_date(task.start_at + task.task_seconds / 2) if retries else None,
            "debug": False,
            "forcedStart": False,
            "service": task.params.get("service"),
            "lang": "ru",
        }
        if scope is not None and (fault := self.take_fault(scope, "unknown_enum")) is not None:
            name = fault["field"] or "status"
            body[name] = fault["value"] or self.TASK_ENUM_FIELDS.get(name, "PAUSED")
        return body

    # ---- files over HTTP

    def _task_by_path(self, path: str) -> Task | None:
        match = re.fullmatch(r"export/(\d+)/[^/]+", path)
        if match is None:
            return None
        with self.state.lock:
            task = self.state.tasks.get(int(match.group(1)))
        return task if task is not None and task.file_path == path else None

    def _download(self, request: Request, path: str, now: float, media_type: str | None) -> Response:
        task = self._task_by_path(path)
        if task is None or task.status(now) != "FINISHED":
            raise _Invalid("FILE_NOT_FOUND", f"Файл не найден: {_shown(path)}", {"path": _shown(path)})
        file = task.file()
        assert file is not None
        return self._file_response(request, file, media_type or file.media_type)

    async def _direct_file(self, request: Request) -> Response:
        try:
            return self._download(request, request.path_params["path"], self.clock.now(), None)
        except _Invalid:
            return _spring_error(404, "Not Found", request.url.path, self.clock.now())


class _Gate(HttpLayer["SelsupSimulator"]):
    """Before routing: the API key (403 {error}) and the vendor's `server_error` fault."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        sim = self.sim
        path = str(scope["path"])
        fault = sim.take_fault(scope, "server_error")
        if fault is not None:
            response: Response = sim.error(
                scope,
                int(fault["status"]),
                str(fault["error"]),
                str(fault["message"]),
                {"system": fault["system"]},
            )
            await response(scope, receive, send)
            return
        if not path.startswith(DIRECT_FILES_PREFIX):
            headers = dict(scope.get("headers") or [])
            key = headers.get(b"authorization", b"").decode("latin-1")
            if key != sim.api_key:
                with sim.state.lock:
                    sim.state.stats.auth_refusals += 1
                status = sim.settings.invalid_key_status
                response = sim.error(scope, status, "ACCESS_DENIED", "Доступ запрещён: неверный API-ключ")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# --------------------------------------------------------------- command line (sellerkit/testing/__main__.py)


_CLI_OPTIONS: Final[Mapping[str, Mapping[str, Any]]] = {
    "queue_seconds": {"help": "sim s CREATED"},
    "task_seconds": {"help": "sim s RUNNING"},
    "outcome": {"choices": OUTCOMES, "help": "how tasks end"},
    "error_shape": {"choices": ERROR_SHAPES},
    "url_style": {"choices": URL_STYLES},
    "large_file_bytes": {"type": int, "help": "large-file mode: every file is N generated bytes"},
}


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-key", default=None, help="the API key (default: random)")
    settings_options(parser, SelsupSettings(), _CLI_OPTIONS)


def cli_start(args: argparse.Namespace, stack: ExitStack) -> list[str]:
    settings = settings_from(args, SelsupSettings, _CLI_OPTIONS)
    sim = SelsupSimulator(ScaledClock(args.scale), settings, api_key=args.api_key)
    stack.enter_context(sim.running(args.host, port=args.port))
    return [
        f"SelSup simulator: {sim.base_url}   (clock x{args.scale:g}, first task {settings.first_task_id})",
        f"  Authorization: {sim.api_key}",
        "  (simulator-only test credentials)",
        f"  try: curl -s -X POST '{sim.base_url}/api/export/stocksFile' -H 'Authorization: {sim.api_key}'",
    ]
