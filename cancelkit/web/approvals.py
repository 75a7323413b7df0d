"""The page's one use of the review workbook: its rows as the page shows them, and the
approvals made on the page turned into a run through the same seal as `--from-review`.

Today this writes the approvals into a copy of the sealed workbook (openpyxl) and runs
`check(from_review=...)` on it, so what leaves is exactly what `generate --from-review`
would write for a workbook with the same approvals. Keep every use of the review code in
this module: when the review package offers approvals for sealed rows in memory, only
this file changes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from python_calamine import CalamineWorkbook

from ..options import build_options
from ..pipeline.run import run
from ..read.review_layout import REVIEW_SHEET
from ..review.reader import (
    APPROVE_NO,
    APPROVE_YES,
    MARKETPLACE,
    NOT_APPROVABLE,
    REVIEW_HEADER,
    TOKEN_COLUMN,
    approve_decision,
)
from ..write.result import Result


@dataclass
class ReviewRow:
    """One row of the Review sheet, as the page shows it."""

    sheet_row: int
    token: str
    status: str
    risk: str
    counts: bool
    order_id: str
    item_code: str
    reason: str
    sku: str
    plan: str
    issue: str
    problems: str
    note: str
    source: str
    row: int | None
    marketplace: str
    #: what the approve cell says: "yes", "no", or None when not understood
    decision: str | None

    @property
    def approvable(self) -> bool:
        return self.status == "accepted"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number cell as calamine gives it (row 5 is 5.0)
    return str(value)


def review_rows(path: str | Path) -> Iterator[ReviewRow]:
    """The rows of a review workbook's Review sheet (one cancelkit wrote, or one that
    `check(from_review=...)` has already read through the readers' defences). Read with
    calamine: 100,000 rows in seconds, where openpyxl takes a minute."""
    book = CalamineWorkbook.from_path(str(path))
    try:
        lines = iter(book.get_sheet_by_name(REVIEW_SHEET).to_python(skip_empty_area=False))
        header = [_text(v).strip().lower() for v in next(lines, [])]
        at = {name: header.index(name) for name in (*REVIEW_HEADER, MARKETPLACE) if name in header}
        for number, values in enumerate(lines, start=2):
            cells = list(values) + [None] * max(0, len(header) - len(values))
            token = _text(cells[at[TOKEN_COLUMN]]).strip()
            if not token:
                continue
            yield _row_of(number, token, cells, at)
    finally:
        book.close()


def _row_of(number: int, token: str, cells: list, at: dict[str, int]) -> ReviewRow:
    def cell(name: str) -> str:
        return _text(cells[at[name]]) if name in at else ""

    row = cells[at["row"]]
    if isinstance(row, float) and row.is_integer():
        row = int(row)
    return ReviewRow(
        sheet_row=number,
        token=token,
        status=cell("result").strip().lower(),
        risk=cell("risk").strip().lower(),
        counts=cell("counts against rate").strip().lower() == "yes",
        order_id=cell("order-id"),
        item_code=cell("amazon-order-item-code"),
        reason=cell("cancellation-reason-code"),
        sku=cell("sku"),
        plan=cell("plan"),
        issue=cell("issue"),
        problems=cell("problems"),
        note=cell("note"),
        source=cell("source"),
        row=row if isinstance(row, int) and not isinstance(row, bool) else None,
        marketplace=cell(MARKETPLACE),
        decision=approve_decision(cells[at["approve"]]),
    )


def write_approvals(source: Path, target: Path, approved: Collection[str]) -> Path:
    """A copy of the review workbook with `approved` (row tokens) approved and every other
    row that can be approved set to no; rows that cannot be approved keep their `n/a`."""
    book = openpyxl.load_workbook(source)
    try:
        sheet = book[REVIEW_SHEET]
        header = [_text(c.value).strip().lower() for c in sheet[1]]
        approve_col = header.index("approve") + 1
        token_col = header.index(TOKEN_COLUMN) + 1
        for number in range(2, sheet.max_row + 1):
            token = _text(sheet.cell(number, token_col).value).strip()
            cell = sheet.cell(number, approve_col)
            if not token or _text(cell.value).strip().lower() == NOT_APPROVABLE:
                continue
            cell.value = APPROVE_YES if token in approved else APPROVE_NO
        book.save(target)
    finally:
        book.close()
    return target


def from_review(
    workbook: Path,
    progress: Callable[[str, int], None] | None = None,
    **options: Any,
) -> Result:
    """What `generate --from-review WORKBOOK` checks: only the approved rows of the sealed
    workbook, each validated and assessed again (`options` as for `cancelkit.check`)."""
    built = build_options(from_review=workbook, **options)
    built.progress = progress
    return run([], None, built)
