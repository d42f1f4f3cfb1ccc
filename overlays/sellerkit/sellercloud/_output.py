"""Sellercloud's output file, whichever of its three documented body shapes arrives, as the real file.

(a) base64 text (a JSON string, or bare) with the name in Content-Disposition [doc]; (b) JSON
`{FileName, Content (base64)}` [vendor-swagger]; (c) the raw bytes [3rd-party]. The core downloader
streams the body to disk first; this turns shapes (a) and (b) into the file they carry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mmap
import re
from pathlib import Path

import msgspec

from sellerkit._core.download import DownloadResult, safe_filename
from sellerkit._core.errors import DownloadError
from sellerkit._core.files import Target, place, write_atomically

_BASE64 = re.compile(rb"^[A-Za-z0-9+/=\s]+$")
_PROBE = 4096


class _FileBody(msgspec.Struct):
    FileName: str | None = None
    Content: str = ""


def _looks_base64(head: bytes) -> bool:
    return bool(head) and _BASE64.match(head) is not None


def _decode(raw: Path, content_type: str | None, source: str) -> tuple[bytes | None, str | None]:
    """The file a wrapped body carries (and its name if the body says), or (None, None) for raw bytes."""
    with raw.open("rb") as fh:
        head = fh.read(_PROBE).lstrip()
        if not head:
            return None, None
        fh.seek(0)
        wrapped_json = head[:1] in (b'"', b"{") and (
            "json" in (content_type or "") or not _looks_base64(head)
        )
        if not wrapped_json and not (_looks_base64(head) and "octet-stream" not in (content_type or "")):
            return None, None
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            try:
                if wrapped_json:
                    body = msgspec.json.decode(mapped, type=str | _FileBody)
                    text, name = (body, None) if isinstance(body, str) else (body.Content, body.FileName)
                else:
                    text, name = bytes(mapped).decode("ascii"), None
                return base64.b64decode("".join(text.split()), validate=True), name
            except (msgspec.DecodeError, binascii.Error, UnicodeDecodeError) as exc:
                if wrapped_json:
                    raise DownloadError(
                        f"the output file body is not a documented shape: {exc}", url=source
                    ) from exc
                return None, None  # text that only looked like base64: it is the file itself


def _final(target: Target, name: str | None, fallback: str) -> tuple[Path, bool]:
    """Where the real file goes: the caller's file path, or a free name in the caller's folder."""
    if target.path is not None:
        return target.path, False
    return target.folder / safe_filename(name, fallback), True


def finalize(raw: DownloadResult, target: Target, fallback_name: str, source: str) -> DownloadResult:
    """Decode a wrapped body next to `raw`, move the real file to `target`; an undecodable body is dropped."""
    try:
        data, body_name = _decode(raw.path, raw.content_type, source)
        final, number = _final(target, body_name or raw.path.name, fallback_name)
        if data is None:  # shape (c): the download already is the file
            path = place(raw.path, final, overwrite=target.overwrite, number=number)
            return DownloadResult(path=path, size=raw.size, sha256=raw.sha256, content_type=raw.content_type)
        path = write_atomically(final, data, overwrite=target.overwrite, number=number)
        return DownloadResult(
            path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type=None
        )
    finally:
        raw.path.unlink(missing_ok=True)


def write_inline(content_base64: str, file_name: str | None, target: Target, source: str) -> DownloadResult:
    """An export answered with the file itself (`{FileName, Content}`): write it like a download."""
    try:
        data = base64.b64decode("".join(content_base64.split()), validate=True)
    except binascii.Error as exc:
        raise DownloadError(f"the inline export file is not base64: {exc}", url=source) from exc
    final, number = _final(target, file_name, "sellercloud-export")
    path = write_atomically(final, data, overwrite=target.overwrite, number=number)
    return DownloadResult(
        path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type=None
    )
