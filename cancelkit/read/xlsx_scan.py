"""The xlsx guard: an untrusted workbook's archive and sheet XML scanned (bounded, never
parsed) before python-calamine allocates a sheet: zip bombs, entity declarations, sheet
extents over the limits, and the cells that hold formulas.
"""

from __future__ import annotations

import html
import os
import re
import zipfile
from dataclasses import dataclass, field

from ..errors import InputError
from .guards import _ZIP_MAGIC, Limits, _check_width, _refuse_empty_or_ole

# A sheet of 50,000 rows, even identical ones, packs 10-12x; deflate's ceiling is ~1000x.
MAX_COMPRESSION_RATIO = 200
# Ratios are only judged on parts this big: a tiny part of zeros compresses absurdly well.
_RATIO_FLOOR = 1 << 20
# How far into an XML part its prolog (where a DOCTYPE must stand) may reach.
_PROLOG_BYTES = 1 << 16
_ROOT_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MB"


def check_xlsx_archive(path: str, source: str, limits: Limits | None = None) -> None:
    """Refuse an xlsx before any XML parser sees it: over the unpacked size limit, a zip
    bomb (a part that unpacks far beyond any real sheet), or a DOCTYPE/ENTITY declaration
    (the entity-expansion bomb; Excel never writes one)."""
    limits = limits or Limits()
    try:
        archive = zipfile.ZipFile(path)
    except Exception as exc:  # a hostile zip fails in many ways (BadZipFile, struct, zlib)
        raise InputError(
            f"{source}: cannot read the workbook (damaged or truncated zip: {exc})",
            code="workbook_unreadable",
        ) from exc
    with archive:
        parts = archive.infolist()
        total = sum(part.file_size for part in parts)
        if total > limits.max_xlsx_bytes:
            raise InputError(
                f"{source}: the workbook unpacks to {_megabytes(total)}, over the limit of "
                f"{_megabytes(limits.max_xlsx_bytes)}; split it or save it as CSV",
                code="xlsx_too_large",
            )
        for part in parts:
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > _RATIO_FLOOR and ratio > MAX_COMPRESSION_RATIO:
                raise InputError(
                    f"{source}: part '{part.filename}' unpacks to {ratio:,.0f} times its packed "
                    "size, the mark of a zip bomb; not read",
                    code="zip_bomb",
                )
        for part in parts:
            if part.filename.lower().endswith((".xml", ".rels", ".vml")):
                _refuse_dtd(archive, part, source)


def _refuse_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo, source: str) -> None:
    try:
        with archive.open(part) as stream:
            prolog = stream.read(_PROLOG_BYTES)
    except Exception as exc:  # zlib.error, an encrypted part (RuntimeError), a bad CRC, ...
        raise InputError(
            f"{source}: cannot read the workbook (part '{part.filename}': {exc})",
            code="workbook_unreadable",
        ) from exc
    # NULs out, so a UTF-16 part is searched too
    prolog = prolog.replace(b"\x00", b"")
    root = _ROOT_ELEMENT.search(prolog)
    if root is None and len(prolog) < _PROLOG_BYTES // 2:
        return  # a short part with no element at all: nothing to expand
    head = prolog[: root.start()] if root else prolog
    if root is None or _DTD.search(head):
        raise InputError(
            f"{source}: part '{part.filename}' declares a DOCTYPE or XML entities (the "
            "pattern of an entity-expansion bomb; Excel never writes one); not read",
            code="xml_entities",
        )


def open_checked_workbook(path: str, source: str, limits: Limits) -> None:
    """The checks every workbook passes before any XML parser sees it: a file (not a folder),
    a zip (not an old .xls or a renamed CSV), within the size limits, no DOCTYPE."""
    if os.path.isdir(path):
        raise InputError(f"{source}: is a folder, not a file", code="is_folder")
    try:
        with open(path, "rb") as stream:
            head = stream.read(8)
    except OSError as exc:
        raise InputError(
            f"{source}: cannot open ({exc.strerror or exc})", code="unreadable"
        ) from exc
    _refuse_empty_or_ole(head, source)
    if not head.startswith(_ZIP_MAGIC):
        raise InputError(
            f"{source}: not an xlsx workbook (no zip signature); if it is a CSV file, name it .csv",
            code="not_xlsx",
        )
    check_xlsx_archive(path, source, limits)


def _check_extent(height: int, width: int, source: str, limits: Limits) -> None:
    _check_width(width, source, limits)
    if height > limits.max_rows + 1:
        raise InputError(
            f"{source}: {height:,} rows in the sheet, over the limit of "
            f"{limits.max_rows:,} data rows; split it into several files",
            code="too_many_rows",
        )
    if height * width > limits.max_cells:
        raise InputError(
            f"{source}: the sheet's used range is {height:,} rows x {width:,} columns "
            f"({height * width:,} cells), over the budget of {limits.max_cells:,} cells; delete "
            "the unused rows and columns (or stray cells far down or right) and save again",
            code="too_many_cells",
        )


# Elements of workbook.xml and its relationships, whose attributes come in any order
# (xlsxwriter, Excel, LibreOffice and openpyxl each order them differently).
_SHEET_ENTRY = re.compile(rb"<(?:\w+:)?sheet\s([^>]*)>")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\s([^>]*)>")
_ATTRIBUTE = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
# A cell whose first child is a formula (CT_Cell lists f before v): <c r="B2" ...><f ...>
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*><f[ >/]')
# What a sheet's extent is read from: its declared <dimension>, each <row r=...> and each cell
# reference; a cell or row without `r` (allowed by the format) counts one more position.
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\b[^>]*?\bref="([^"]*)"')
_ROW_OR_CELL = re.compile(rb"<((?:\w+:)?(?:row|c))[\s/>]([^>]*)")
# any position attribute: of a row (r="12") or a cell (r="B12"); searched by its literal
# start, which is fast, and counted against the row and cell elements
_ANY_REF = re.compile(rb' r="([A-Z]{0,4})([0-9]{0,9})"')
_PREFIXED_ROOT = re.compile(rb"<\w+:worksheet\b")
_REF = re.compile(rb'\br="([A-Z]*)([0-9]*)"')
_A1 = re.compile(r"\$?([A-Za-z]{1,4})\$?([0-9]{1,9})")


@dataclass
class SheetScan:
    """A sheet's extent as its XML states it, before any reader allocates it."""

    height: int = 0
    width: int = 0
    formula_rows: dict[int, list[str]] = field(default_factory=dict)


def sheet_parts(path: str, source: str) -> dict[str, str]:
    """Sheet name -> its part in the archive, in workbook order (the first is sheet 0)."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml")
            rels = archive.read("xl/_rels/workbook.xml.rels")
    except Exception as exc:  # a missing part, a bad CRC, ...
        raise InputError(
            f"{source}: cannot read the workbook (no sheet list: {exc})",
            code="workbook_unreadable",
        ) from exc
    targets = {}
    for attributes in _RELATIONSHIP.findall(rels):
        found = _attributes(attributes)
        targets[found.get(b"Id")] = found.get(b"Target")
    parts: dict[str, str] = {}
    for attributes in _SHEET_ENTRY.findall(workbook):
        found = _attributes(attributes)
        name = found.get(b"name")
        rel_id = next((v for k, v in found.items() if k.endswith(b":id")), None)
        target = targets.get(rel_id)
        if name is None or target is None:
            continue
        part = target.decode("utf-8", "replace").lstrip("/")
        parts[html.unescape(name.decode("utf-8", "replace"))] = (
            part if part.startswith("xl/") else f"xl/{part}"
        )
    return parts


def _attributes(text: bytes) -> dict[bytes, bytes]:
    return dict(_ATTRIBUTE.findall(text))


def check_sheet_extent(path: str, source: str, part: str | None, limits: Limits) -> SheetScan:
    """Refuse a sheet whose declared dimension or real cells reach beyond the limits, by a
    streaming scan of its XML (constant memory), before python-calamine allocates the used
    range; the scan also notes the cells that hold formulas."""
    scan = SheetScan()
    if part is None:
        return scan
    try:
        with zipfile.ZipFile(path) as archive, archive.open(part) as stream:
            tail = b""
            first = True
            careful = False
            state = [0, 0, 0, 0]  # height, width, current row, current column
            for chunk in iter(lambda: stream.read(1 << 22), b""):
                block = tail + chunk
                cut = block.rfind(b"<")
                block, tail = (block[:cut], block[cut:]) if cut > 0 else (block, b"")
                if first:
                    first = False
                    # a prefixed document (<x:worksheet>) is scanned element by element
                    careful = _PREFIXED_ROOT.search(block[:4096]) is not None
                    found = _DIMENSION.search(block)
                    if found:
                        h, w = _dimension_extent(found.group(1).decode("ascii", "replace"))
                        _check_extent(h, w, source, limits)
                _scan_block(block, careful, state, source, limits)
                if b"<f" in block:
                    for column, number in _FORMULA_CELL.findall(block):
                        columns = scan.formula_rows.setdefault(int(number), [])
                        if column.decode() not in columns:
                            columns.append(column.decode())
            _scan_block(tail, True, state, source, limits)
    except InputError:
        raise
    except Exception as exc:  # the archive was checked already: a damaged deflate stream
        raise InputError(
            f"{source}: cannot read the workbook (part '{part}': {exc})",
            code="workbook_unreadable",
        ) from exc
    scan.height, scan.width = state[0], state[1]
    return scan


def _scan_block(block: bytes, careful: bool, state: list[int], source: str, limits: Limits):
    """Grow the extent in `state` by the rows and cells of one block of sheet XML."""
    refs = _ANY_REF.findall(block)
    elements = (
        block.count(b"<c ") + block.count(b"<c>") + block.count(b"<row ") + block.count(b"<row>")
    )
    if not careful and elements == len(refs):
        # every row and cell states its position (Excel, LibreOffice, xlsxwriter, openpyxl)
        digits = [d for _, d in refs if d]
        if digits:
            state[0] = max(state[0], max(map(int, digits)))
        letters = {letter for letter, _ in refs if letter}
        if letters:
            state[1] = max(state[1], max(map(_column_number, map(bytes.decode, letters))))
        if refs:
            last_letters, last_digits = refs[-1]
            state[2] = int(last_digits) if last_digits else state[2]
            state[3] = _column_number(last_letters.decode()) if last_letters else 0
    else:
        height, width, row, col = state
        for kind, attributes in _ROW_OR_CELL.findall(block):
            ref = _REF.search(attributes)
            at_letters, at_digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
            if kind.endswith(b"row"):
                row = int(at_digits) if at_digits else row + 1
                col = 0
            else:
                col = _column_number(at_letters.decode()) if at_letters else col + 1
                if at_digits:
                    row = int(at_digits)
            height, width = max(height, row), max(width, col)
            if height > limits.max_rows + 1 or width > limits.max_columns:
                break
        state[:] = [height, width, row, col]
    _check_extent(state[0], state[1], source, limits)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _dimension_extent(ref: str) -> tuple[int, int]:
    """Rows and columns from A1 to the far corner of a dimension such as `A1:ALL1000000`."""
    corners = _A1.findall(ref)
    if not corners:
        return 0, 0
    return max(int(r) for _, r in corners), max(_column_number(c) for c, _ in corners)
