"""The table every reader returns: one input's header and its stream of (row number, cells).

Every row comes with the number a person sees in that file (the header is row 1 of a CSV
or a sheet, so the first data row is row 2). Cells are strings; blank rows are skipped by
the pipeline but still counted for numbering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from ..amazon.flatfile import TEMPLATE_TYPE
from ..errors import InputError
from . import headers as columns
from .review_layout import cells_look_like_review, looks_like_review

#: non-blank rows searched for the header when row 1 is a title
HEADER_SEARCH_ROWS = 10


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
    #: the approved rows of a review workbook (review/reader.py), not a plain input
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
    review saved as CSV with its token column renamed or its header row replaced). Only the
    first rows pass through a Python frame; the rest are chained on in C."""
    rows = iter(rows)
    return chain(_checked_head(rows, source), rows)


def _checked_head(rows: Iterator, source: str) -> Iterator:
    for seen, (number, cells) in enumerate(rows, start=1):
        if cells_look_like_review(cells):
            raise review_as_input(f"{source} row {number}")
        yield number, cells
        if seen >= REVIEW_SCAN_ROWS:
            break


def is_blank(cells: list[str]) -> bool:
    """Whether a row has no visible value (blank rows are skipped, not counted)."""
    return not any(c.strip() for c in cells)


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
