"""Deterministic file builders the simulators share: zip entries and minimal valid .xlsx workbooks."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection
from typing import Final
from xml.sax.saxutils import escape as xml_escape

XML_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# characters XML 1.0 cannot carry: dropped from cell text
XML_INVALID: Final = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
XLSX_STATIC: Final = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet"/></Relationships>'
    ),
}


def cell_ref(column: int, row: int) -> str:
    """`A1`-style reference of a 0-based column and a 1-based row."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def zip_entry(archive: zipfile.ZipFile, name: str, data: bytes, *, deflate: bool = True) -> None:
    """Add an entry with a fixed timestamp, OS and permissions: same input, same bytes, on every machine."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    info.create_system = 0
    info.external_attr = 0
    archive.writestr(info, data, compresslevel=6 if deflate else None)


def xlsx(rows: list[list[str]], numeric_columns: Collection[int] = ()) -> bytes:
    """A minimal valid one-sheet .xlsx: inline strings, numbers as numbers below the header row."""
    sheet = ['<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = cell_ref(c, r)
            if r > 1 and c in numeric_columns:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                text = xml_escape(XML_INVALID.sub("", value))
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        sheet.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet.append("</sheetData></worksheet>")
    parts = {**XLSX_STATIC, "xl/worksheets/sheet1.xml": "".join(sheet)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, xml in parts.items():
            zip_entry(archive, name, (XML_DECLARATION + xml).encode("utf-8", "surrogatepass"))
    return buf.getvalue()
