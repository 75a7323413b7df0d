"""Open one input by its kind: '-' is CSV on standard input, .xlsx/.xlsm a workbook, a
text suffix CSV/TSV; anything else is refused with what to do.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from ..errors import InputError
from . import scratch
from .csv_text import read_text
from .guards import Limits
from .review_layout import META_SHEET, cells_look_like_review
from .table import Table, review_as_input
from .xlsx import read_workbook

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab", ""}
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm"}


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
