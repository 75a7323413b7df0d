"""What every input is checked for before a reader parses it: its first bytes (not empty,
not an old .xls, not a zip named as text) and the size limits of one read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError

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


@dataclass(frozen=True)
class Limits:
    """Size limits for one read; defaults are the module constants at the time of the call."""

    max_xlsx_bytes: int = field(default_factory=lambda: MAX_XLSX_BYTES)
    max_rows: int = field(default_factory=lambda: MAX_ROWS)
    max_columns: int = field(default_factory=lambda: MAX_COLUMNS)
    max_cells: int = field(default_factory=lambda: MAX_CELLS)


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


def _check_width(width: int, source: str, limits: Limits) -> None:
    if width > limits.max_columns:
        raise InputError(
            f"{source}: {width:,} columns, over the limit of {limits.max_columns:,}; delete the "
            "unused columns (or cells far to the right) and save again",
            code="too_many_columns",
        )
