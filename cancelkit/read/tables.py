"""Readers: turn CSV/TSV files, xlsx workbooks and in-memory rows into streamed tables.

Every row comes with the number a person sees in that file (the header is row 1 of a CSV
or a sheet, so the first data row is row 2). Cells are strings; blank rows are skipped by
the pipeline but still counted for numbering.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import html
import io
import os
import re
import shutil
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..amazon.flatfile import TEMPLATE_TYPE
from ..errors import InputError
from . import headers as columns
from . import scratch
from . import text as text_encoding
from .review_layout import META_SHEET, REVIEW_SHEET, cells_look_like_review, looks_like_review

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab", ""}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
#: Limits on untrusted workbooks: python-calamine holds a whole sheet in memory, so what it
#: is handed is bounded first (see `check_xlsx_archive`). Read at call time, so a caller
#: may pass its own `Limits`.
MAX_XLSX_BYTES = 200 * 1024 * 1024  # uncompressed size of all parts of an xlsx
MAX_ROWS = 5_000_000  # data rows per sheet
MAX_COLUMNS = 1_000  # columns of a sheet, or of a CSV header row
# Cells of a sheet's used range from A1 (rows x columns): what python-calamine allocates,
# about 40 bytes each, whatever the cells hold; a full-height sheet of 11 columns fits.
MAX_CELLS = 12_000_000
# A sheet of 50,000 rows, even identical ones, packs 10-12x; deflate's ceiling is ~1000x.
MAX_COMPRESSION_RATIO = 200
# Ratios are only judged on parts this big: a tiny part of zeros compresses absurdly well.
_RATIO_FLOOR = 1 << 20
# How far into an XML part its prolog (where a DOCTYPE must stand) may reach.
_PROLOG_BYTES = 1 << 16
_ROOT_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
#: non-blank rows searched for the header when row 1 is a title
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class Limits:
    """Size limits for one read; defaults are the module constants at the time of the call."""

    max_xlsx_bytes: int = field(default_factory=lambda: MAX_XLSX_BYTES)
    max_rows: int = field(default_factory=lambda: MAX_ROWS)
    max_columns: int = field(default_factory=lambda: MAX_COLUMNS)
    max_cells: int = field(default_factory=lambda: MAX_CELLS)


# The OWASP guard our own CSV outputs put before a value a spreadsheet would run as a formula.
GUARD = "'"
GUARDED_STARTS = ("=", "+", "-", "@", "\t", "\r")


def unguard(value: str) -> str:
    """Strip the leading quote our CSV writer adds to formula-like values."""
    if value[:1] == GUARD and value[1:2] in GUARDED_STARTS and value[1:2]:
        return value[1:]
    return value


@dataclass
class Table:
    """One input's header and its stream of (row number, cells)."""

    source: str
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    path: str | None = None
    #: sha256 of the input's bytes; complete once `rows` is exhausted
    digest: Callable[[], str | None] = lambda: None
    #: opens the same rows again (used only to fetch the original values of a few rows)
    reopen: Callable[[], Table] | None = None
    #: exceptions the row iterator may raise for a damaged file, and how to word them
    read_errors: tuple[type[BaseException], ...] = ()
    explain: Callable[[BaseException, int], InputError] | None = None
    close: Callable[[], None] = lambda: None
    #: the row number of the header row (data rows follow it)
    header_row: int = 1
    #: for workbooks: row number -> columns whose cell held a formula (cached value used)
    formula_rows: dict[int, list[str]] = field(default_factory=dict)
    #: for text files: how they are decoded and split (the parallel reader's second half
    #: decodes with exactly these, so both readers give the same rows)
    encoding: str | None = None
    delimiter: str | None = None
    decode_errors: str = "strict"
    #: for a review workbook: the rows not taken (not approved, not reviewable), and why
    skipped: list[dict] = field(default_factory=list)
    #: row number -> flags the reader attaches (a value corrected in a review)
    row_flags: dict[int, list] = field(default_factory=dict)
    #: row number -> the lowest risk the row may have (the order state a review recorded)
    row_risk: dict[int, str] = field(default_factory=dict)
    #: for a review workbook: the reasons and notes corrected in it, before and after
    review_corrected: list[dict] = field(default_factory=list)
    #: the approved rows of a review workbook (read/review.py), not a plain input
    from_review: bool = False
    fields: dict[str, int] = field(init=False)
    #: the personal-data columns dropped when the input was read (amazon/personal_data.py)
    dropped_columns: list[str] = field(init=False)
    _keep: list[int] | None = field(init=False, repr=False)

    def column_of(self, field: str, elsewhere: str | None = None) -> str:
        """The column a row error about `field` names: the input's own header spelling (the
        JSON, the rejects file and the report all use this); for a field the input has no
        column for, Amazon's name for it, with `elsewhere` saying where it came from."""
        index = self.fields.get(field)
        if index is not None:
            return self.headers[index]
        name = columns.DISPLAY.get(field) or columns.ALIASES.get(field, (field,))[0]
        return f"{name} ({elsewhere})" if elsewhere else name

    def shape(self, rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
        """Rows as this table gives them: without the dropped personal-data cells (the
        parallel reader's second half goes through here too)."""
        keep = self._keep
        if keep is None:
            return rows
        width = len(keep) + len(self.dropped_columns)  # the header as read
        # cells beyond the header are kept: the rejects file lists them as `column N`
        return (
            (number, [cells[i] for i in keep if i < len(cells)] + cells[width:])
            for number, cells in rows
        )

    def __post_init__(self) -> None:
        self.headers = [unguard(h.strip().lstrip("\ufeff")) for h in self.headers]
        # personal data, and an Amazon report's columns not known to be safe (headers.py)
        personal = columns.dropped_columns(self.headers)
        self.dropped_columns = [self.headers[i] for i in personal]
        self._keep = None
        if personal:
            # dropped here, before any row reaches a record, a spool or an output
            self._keep = [i for i in range(len(self.headers)) if i not in set(personal)]
            self.headers = [self.headers[i] for i in self._keep]
            self.rows = self.shape(self.rows)
        if looks_like_review(self.headers):
            raise review_as_input(self.source)
        if not self.from_review:
            self.rows = _refuse_review_rows(self.rows, self.source)
        self.fields = {}
        for index, name in enumerate(self.headers):
            key = columns.field_of(name)
            if key is None:
                continue
            if key in self.fields:
                first = self.headers[self.fields[key]]
                raise InputError(
                    f"{self.source}: columns '{first}' and '{name}' both give the "
                    f"{columns.DISPLAY.get(key, key)}; keep one of them",
                    code="duplicate_column",
                )
            self.fields[key] = index
        if columns.REQUIRED not in self.fields:
            found = ", ".join(repr(h) for h in self.headers if h) or "none"
            raise InputError(
                f"{self.source}: no order-id column in the header row; columns found: {found}; "
                f"row {self.header_row} (the first non-blank row) must be the header, or one "
                f"of the first {HEADER_SEARCH_ROWS} non-blank rows when a title stands above it",
                code="no_order_id_column",
            )


def review_as_input(source: str) -> InputError:
    """The refusal of a review (in any form) given as a plain input."""
    return InputError(
        f"{source}: holds the rows of a cancelkit review workbook (its columns, review "
        "tokens or hidden sheet); give the review workbook itself with `cancelkit generate "
        "--from-review REVIEW.xlsx`, which uploads only the approved rows",
        code="review_as_input",
    )


#: data rows of a plain input looked at for what only a review writes (its tokens): a review
#: saved as CSV has one in every row, so the first rows tell
REVIEW_SCAN_ROWS = 200


def _refuse_review_rows(rows: Iterator, source: str) -> Iterator:
    """The rows, after the first ones were found free of review tokens and evidence (a
    review saved as CSV with its token column renamed or its header row replaced)."""
    for seen, (number, cells) in enumerate(rows, start=1):
        if cells_look_like_review(cells):
            raise review_as_input(f"{source} row {number}")
        yield number, cells
        if seen >= REVIEW_SCAN_ROWS:
            break
    yield from rows


def is_blank(cells: list[str]) -> bool:
    """Whether a row has no visible value (blank rows are skipped, not counted)."""
    return not any(c.strip() for c in cells)


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _refuse_empty_or_ole(head: bytes, source: str) -> None:
    """Refuse what no reader can use: an empty file, or an OLE container (an old .xls or a
    password-protected workbook)."""
    if not head:
        raise InputError(f"{source}: the file is empty", code="file_empty")
    if head.startswith(_OLE_MAGIC):
        raise InputError(
            f"{source}: an old .xls or password-protected Excel file; save it as .xlsx "
            "without a password, or as CSV",
            code="ole_workbook",
        )


def _check_signature(head: bytes, source: str, suffix: str) -> None:
    _refuse_empty_or_ole(head, source)
    if head.startswith(_ZIP_MAGIC):
        raise InputError(
            f"{source}: this is a zip/Excel workbook, not a text file; name it .xlsx "
            "or save it from Excel as CSV",
            code="zip_not_text",
        )
    if head.startswith(b"%PDF"):
        raise InputError(f"{source}: a PDF document, not a CSV/TSV or xlsx file", code="pdf")


def read_text(path: str, stdin=None, limits: Limits | None = None) -> Table:
    """A CSV/TSV table from a path, or from standard input when path is '-'."""
    limits = limits or Limits()
    source = "<stdin>" if path == "-" else path
    spool = None
    if path == "-":
        stream = sys.stdin if stdin is None else stdin
        # stdin cannot be read twice; a copy lets a few rows be looked up again
        copy = scratch.make_stdin_copy()
        try:
            with copy:
                shutil.copyfileobj(getattr(stream, "buffer", stream), copy, 1 << 20)
        except BaseException:  # an interrupt while waiting for stdin leaves no copy behind
            _forget(copy.name)
            raise
        spool = path = copy.name
    elif os.path.isdir(path):
        raise InputError(f"{source}: is a folder, not a file", code="is_folder")
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by Table.close
        head = raw.read(text_encoding.SNIFF_BYTES)
    except OSError as exc:
        _forget(spool)
        raise InputError(
            f"{source}: cannot read ({exc.strerror or exc})", code="unreadable"
        ) from exc
    try:
        _check_signature(head, source, Path(path).suffix.lower())
        sniffed = text_encoding.sniff(head, source)
        encoding = sniffed.codec
        sample = head.decode(encoding, errors="ignore")
        if text_encoding.looks_binary(sample):
            raise InputError(f"{source}: binary data, not a CSV or text file", code="file_binary")
        raw.seek(0)
    except BaseException:  # InputError, OSError, or an interrupt: the copy goes too
        raw.close()
        _forget(spool)
        raise
    text = io.TextIOWrapper(
        without_nul(raw, encoding), encoding=encoding, errors=sniffed.errors, newline=""
    )
    lines = sample.lstrip("\ufeff").splitlines()
    candidates = [line for line in lines if line.strip() and not line.startswith(TEMPLATE_TYPE)]
    candidates = candidates[:HEADER_SEARCH_ROWS]
    # the header may stand under a title; its separator is the one that counts
    first = next((line for line in candidates if _names_order_id(line)), "")
    delimiter = _sniff_delimiter(first or (candidates[0] if candidates else ""))
    reader = csv.reader(text, delimiter=delimiter)
    rows = enumerate(reader, start=1)

    def explain(exc: BaseException, number: int) -> InputError:
        if isinstance(exc, Utf8InLegacy):
            number = _row_of_utf8(path) or number
            return InputError(
                f"{source}: row {number}: UTF-8 text in a file read as {sniffed.name} from its "
                "start; the file mixes encodings; save it again as CSV UTF-8",
                code="mixed_encoding",
            )
        if isinstance(exc, NulByte):
            number = _row_of_nul(path) or number
            return InputError(
                f"{source}: row {number}: a NUL byte (binary data), not a CSV or text file",
                code="file_binary",
            )
        if isinstance(exc, UnicodeDecodeError):
            # the decoder runs a block ahead of the rows: find the row of the byte itself
            number = _row_of_bad_byte(path, encoding, sniffed.errors) or number
            return InputError(
                f"{source}: row {number}: bytes that are not {encoding} ({exc.reason}); the "
                "file mixes encodings; save it again as CSV UTF-8",
                code="mixed_encoding",
            )
        return InputError(f"{source}: row {number}: cannot parse the CSV ({exc})", code="csv_parse")

    read_errors = (UnicodeDecodeError, csv.Error, NulByte, Utf8InLegacy)
    try:
        header_row, headers = _first_header(rows, source)
        _check_width(len(headers), source, limits)
    except read_errors as exc:
        raw.close()
        _forget(spool)
        raise explain(exc, 1) from exc
    except InputError:
        raw.close()
        _forget(spool)
        raise

    def reopen() -> Table:
        table = read_text(path, limits=limits)
        table.source = source
        return table

    try:
        table = Table(
            source,
            headers,
            rows,
            path=None if path == "-" else path,
            digest=lambda: file_sha256(path),
            reopen=reopen,
            read_errors=read_errors,
            explain=explain,
            close=text.close,  # closes raw too; keeps the wrapper alive until then
            header_row=header_row,
            encoding=encoding,
            delimiter=delimiter,
            decode_errors=sniffed.errors,
        )
    except InputError:
        raw.close()
        _forget(spool)  # a refused stdin leaves no copy of the seller's data behind
        raise
    table.spool = spool  # type: ignore[attr-defined]
    return table


class NulByte(ValueError):
    """A NUL byte in a text file of an 8-bit encoding, anywhere in it: binary data."""


class Utf8InLegacy(ValueError):
    """UTF-8 text further down a file whose start was read as Windows-1252/ISO-8859-1."""


# A UTF-8 multi-byte character: a lead byte and its continuation bytes. Windows-1252 text
# writes an accented letter as one byte followed by ASCII, so it never forms one (a lead
# byte such as Ã followed by a byte such as © is UTF-8's own mojibake, not a word).
_UTF8_CHARACTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_LEGACY_8BIT = frozenset({"cp1252", "latin-1"})


class _ByteGuard(io.RawIOBase):
    """The bytes of a text file, checked chunk by chunk as they are read (the sniffer sees
    only the first 64 KB): a NUL byte anywhere is binary data, and UTF-8 characters in a
    file read as Windows-1252 are mixed encodings, never mojibake."""

    def __init__(self, raw, legacy: bool) -> None:
        self._raw = raw
        self._legacy = legacy

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._raw.read(len(buffer))
        if b"\x00" in chunk:
            raise NulByte("NUL byte")
        if self._legacy and _UTF8_CHARACTER.search(chunk):
            raise Utf8InLegacy("UTF-8 text")
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._raw.close()
        super().close()


def without_nul(raw, encoding: str):
    """A binary stream of a text file that raises `NulByte` at a NUL byte, and
    `Utf8InLegacy` at UTF-8 text in a Windows-1252 file; UTF-16 text is made of NUL bytes,
    so it is read as it is. The one-core and two-core readers both use it."""
    if encoding.startswith("utf-16"):
        return raw
    return io.BufferedReader(_ByteGuard(raw, encoding in _LEGACY_8BIT), 1 << 16)


def _row_of_utf8(path: str) -> int | None:
    """The line of the first UTF-8 character, when lines are rows (no quote before it)."""
    return _first_line(path, _UTF8_CHARACTER.search)


def _row_of_nul(path: str) -> int | None:
    """The line of the first NUL byte, when lines are rows (no quote before it)."""
    return _first_line(path, lambda line: b"\x00" in line)


def _first_line(path: str, found: Callable[[bytes], object]) -> int | None:
    """The number of the first line for which `found(line)` is true, or None when a quote
    comes first (a quoted field may span lines, so line numbers stop being row numbers) or
    the file cannot be read."""
    try:
        with open(path, "rb") as stream:
            for number, line in enumerate(stream, start=1):
                if found(line):
                    return number
                if b'"' in line:
                    return None
    except OSError:
        return None
    return None


def _row_of_bad_byte(path: str, encoding: str, errors: str) -> int | None:
    """The line holding the first byte that does not decode, when lines are rows (no quote
    before it, so no field spans lines; the one-core and two-core readers both ask here)."""
    if encoding.startswith("utf-16"):
        return None
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    try:
        with open(path, "rb") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    decoder.decode(line)
                except UnicodeDecodeError:
                    return number
                if b'"' in line:
                    return None
    except OSError:
        return None
    return None


def _forget(spool: str | None) -> None:
    if spool:
        scratch.remove_file(spool)


def _names_order_id(line: str) -> bool:
    return any(
        columns.field_of(unguard(part.strip().strip('"'))) == columns.REQUIRED
        for delimiter in ("\t", ";", ",")
        for part in line.split(delimiter)
    )


def _first_header(rows: Iterator[tuple[int, list[str]]], source: str) -> tuple[int, list[str]]:
    """The header: the first non-blank row, unless a title stands above the table; then the
    first of the next non-blank rows that names an order-id column. Rows keep their numbers."""
    candidates: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        if is_blank(cells):
            continue
        if cells[0].lstrip("\ufeff").startswith(TEMPLATE_TYPE):
            continue  # Amazon's template row above the real header
        names = (unguard(c.strip().lstrip("\ufeff")) for c in cells)
        if any(columns.field_of(name) == columns.REQUIRED for name in names):
            return number, cells
        candidates.append((number, cells))
        if len(candidates) == HEADER_SEARCH_ROWS:
            break
    if candidates:
        return candidates[0]  # Table says there is no order-id column
    raise InputError(f"{source}: the file is empty (no header row)", code="file_empty")


#: whole numbers below this are exact as floats (2**53)
_EXACT_FLOAT = 2**53


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN, as pandas gives for empty cells
            return ""
        # item codes of up to 15 digits are below 2**53, so a float from a numeric cell is
        # exact; a larger whole float may have lost digits: shown as Excel would (`e+16`),
        # so that an item code from it is refused as scientific notation
        if value.is_integer() and abs(value) < _EXACT_FLOAT:
            return str(int(value))
        if value.is_integer():
            return f"{value:.5E}"  # as Excel shows it: 9.00720E+15
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _check_width(width: int, source: str, limits: Limits) -> None:
    if width > limits.max_columns:
        raise InputError(
            f"{source}: {width:,} columns, over the limit of {limits.max_columns:,}; delete the "
            "unused columns (or cells far to the right) and save again",
            code="too_many_columns",
        )


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


def read_workbook(path: str, sheet: str | None = None, limits: Limits | None = None) -> Table:
    """A table from the first sheet (or the named one) of an xlsx workbook. The workbook is
    read, never run: formulas give their cached values, macros are ignored."""
    from python_calamine import CalamineWorkbook

    limits = limits or Limits()
    source = path
    open_checked_workbook(path, source, limits)
    sheets = sheet_parts(path, source)
    if META_SHEET in sheets and REVIEW_SHEET in sheets:
        raise InputError(
            f"{source}: is a cancelkit review workbook; read it with `cancelkit generate "
            f"--from-review {source}`, which uploads only the rows approved in it",
            code="review_as_input",
        )
    if sheet is not None and sheet not in sheets:
        raise InputError(
            f"{source}: no sheet named '{sheet}'; sheets: {', '.join(sheets) or 'none'}",
            code="no_such_sheet",
        )
    chosen_name = sheet if sheet is not None else next(iter(sheets), None)
    scan = check_sheet_extent(path, source, sheets.get(chosen_name), limits)
    try:
        workbook = CalamineWorkbook.from_path(path)
        names = workbook.sheet_names
        chosen = workbook.get_sheet_by_name(chosen_name) if chosen_name else None
        if chosen is None:
            chosen = workbook.get_sheet_by_index(0)
        # the sheet's extent from A1 (`end` is the last used cell, 0-based), as read below
        height, width = (chosen.end[0] + 1, chosen.end[1] + 1) if chosen.end else (0, 0)
        _check_extent(height, width, source, limits)
        raw_rows = chosen.to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own error types for broken files
        raise InputError(
            f"{source}: cannot read the workbook ({exc})", code="workbook_unreadable"
        ) from exc

    rows = enumerate(([cell_text(v) for v in values] for values in raw_rows), start=1)
    if not raw_rows and len(names) > 1:
        raise InputError(
            f"{source}: the sheet '{chosen.name}' is empty; name the sheet to read with "
            f"--sheet (sheets: {', '.join(names)})",
            code="sheet_empty",
        )
    header_row, headers = _first_header(rows, source)
    digest_value = file_sha256(path)
    table = Table(
        source,
        headers,
        rows,
        path=path,
        digest=lambda: digest_value,
        reopen=lambda: read_workbook(path, sheet, limits),
        header_row=header_row,
    )
    table.formula_rows = scan.formula_rows
    return table


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
            letters, digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
            if kind.endswith(b"row"):
                row = int(digits) if digits else row + 1
                col = 0
            else:
                col = _column_number(letters.decode()) if letters else col + 1
                if digits:
                    row = int(digits)
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


def file_identity(path: str) -> tuple[int, int] | None:
    """A file's device and inode (None when it does not exist): the same file under any
    name, symlink, `dir/../` spelling or hard link."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return (found.st_dev, found.st_ino)


def file_sha256(path: str) -> str:
    """The sha256 of a file's bytes, as hex."""
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def read_rows(rows: Iterable, source: str = "<rows>") -> Table:
    """A table from in-memory rows: mappings (dicts, DictReader, DataFrame records), a pandas
    DataFrame itself, or sequences whose first item is the header row (e.g. openpyxl
    `values_only` rows). Anything else is an `InputError` saying what was given."""
    if _is_dataframe(rows):
        rows = rows.to_dict("records")  # a DataFrame iterates over its column names
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
        raise InputError(
            f"{source}: rows must be an iterable of mappings or of sequences (or a pandas "
            f"DataFrame), not {_kind(rows)}",
            code="rows_type",
        )
    kept = _all_rows(rows, source)  # kept so a few rows can be looked up again (rejects file)
    if not kept:
        raise InputError(f"{source}: no rows given", code="no_data_rows")
    first = kept[0]
    for number, item in enumerate(kept, start=1):
        if isinstance(item, (str, bytes)) or not isinstance(item, (Mapping, Iterable)):
            raise InputError(
                f"{source}: row {number} is {_kind(item)}; each row must be a mapping (column "
                "-> value) or a sequence of cells",
                code="rows_type",
            )
        if isinstance(item, Mapping) != isinstance(first, Mapping):
            raise InputError(
                f"{source}: row {number} is {_kind(item)} while row 1 is {_kind(first)}; "
                "give mappings only or sequences only",
                code="rows_type",
            )
    if isinstance(first, Mapping):
        # the union of every row's keys, in order of first appearance
        keys = list(dict.fromkeys(key for mapping in kept for key in mapping))
        headers = [str(k) for k in keys]
        index = {k: i for i, k in enumerate(keys)}

        def generate() -> Iterator[tuple[int, list[str]]]:
            # the keys are the header (row 1), as in the CSV a DictReader reads
            for number, mapping in enumerate(kept, start=2):
                cells = [""] * len(headers)
                try:
                    for key, value in mapping.items():
                        cells[index[key]] = cell_text(value)
                except Exception as exc:  # a value whose str() raises, a mapping that fails
                    raise _rows_failed(source, number - 1, exc) from exc
                yield number, cells

        table_rows = generate()
    else:
        headers = [cell_text(v) for v in first]

        def generate() -> Iterator[tuple[int, list[str]]]:
            for number, values in enumerate(kept[1:], start=2):
                try:
                    cells = [cell_text(v) for v in values]
                except Exception as exc:
                    raise _rows_failed(source, number, exc) from exc
                yield number, cells

        table_rows = generate()
    table = Table(source, headers, table_rows)
    table.reopen = lambda: read_rows(kept, source)
    return table


def _all_rows(rows: Iterable, source: str) -> list:
    """Every item of `rows`; an iterable (a generator, a database cursor) that raises part
    way is an InputError naming the item it reached, so no partial batch is checked."""
    kept: list = []
    try:
        for item in rows:
            kept.append(item)
    except Exception as exc:
        raise _rows_failed(source, len(kept) + 1, exc) from exc
    return kept


def _rows_failed(source: str, number: int, exc: Exception) -> InputError:
    text = " ".join(str(exc).split())[:200]
    return InputError(
        f"{source}: reading row {number} of the rows given failed: {type(exc).__name__}"
        f"{': ' + text if text else ''}; nothing was checked (fix the rows' source and run "
        "again)",
        code="rows_failed",
    )


#: how much of an OpenDocument spreadsheet's content.xml is looked at for a review's marks
_ODS_PEEK = 8 << 20


def _spreadsheet_is_review(path: str) -> bool:
    """Whether a file cancelkit does not read (an .ods, a workbook under another name) is a
    review workbook saved in another form: its hidden sheet, its tokens or its format id.
    Read bounded (a zip bomb gives at most `_ODS_PEEK` bytes), never parsed."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            part = "content.xml" if "content.xml" in names else None
            if part is None:
                return any(n.startswith("xl/") for n in names) and _xlsx_has_review(archive)
            with archive.open(part) as stream:
                head = stream.read(_ODS_PEEK).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, KeyError):
        return False
    return f'table:name="{META_SHEET}"' in head or cells_look_like_review([head])


def _xlsx_has_review(archive: zipfile.ZipFile) -> bool:
    with archive.open("xl/workbook.xml") as stream:
        head = stream.read(_ODS_PEEK).decode("utf-8", "replace")
    return f'name="{META_SHEET}"' in head


def _is_dataframe(rows) -> bool:
    return hasattr(rows, "to_dict") and hasattr(rows, "columns") and hasattr(rows, "iloc")


def _kind(value) -> str:
    name = type(value).__name__
    shown = repr(value)
    return f"a {name} ({shown[:40]}{'...' if len(shown) > 40 else ''})"


def open_input(
    path: str, sheet: str | None = None, stdin=None, limits: Limits | None = None
) -> Table:
    """Open one input by its kind: '-' is CSV on stdin, .xlsx/.xlsm a workbook, else text."""
    if path == "-":
        return read_text(path, stdin=stdin, limits=limits)
    suffix = Path(path).suffix.lower()
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file", code="file_not_found")
    if not os.path.isfile(path) and not os.path.isdir(path):
        # a FIFO or a device (/dev/stdin) cannot be read twice nor sized
        raise InputError(
            f"{path}: not a regular file (a pipe or a device); save it to a file, or give "
            "'-' to read CSV from standard input",
            code="not_a_file",
        )
    if suffix in WORKBOOK_SUFFIXES:
        return read_workbook(path, sheet, limits)
    if suffix == ".xls":
        raise InputError(
            f"{path}: old .xls workbooks are not read; save it as .xlsx or CSV",
            code="ole_workbook",
        )
    if suffix not in TEXT_SUFFIXES:
        if _spreadsheet_is_review(path):
            raise review_as_input(path)
        raise InputError(
            f"{path}: unsupported file type '{suffix}'; give a .csv, .tsv, .txt or .xlsx file",
            code="unsupported_type",
        )
    return read_text(path, limits=limits)


def remove_spool(table: Table) -> None:
    """Delete the copy of standard input kept for a table, if any."""
    spool = getattr(table, "spool", None)
    if spool:
        scratch.remove_file(spool)
