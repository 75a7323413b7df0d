"""The review workbook's format, and reading a reviewed workbook back as an input.

`cancelkit review` writes the workbook (write/workbook.py); `generate --from-review` reads
only its approved rows. Both sides use the constants here, so the layout has one definition.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from xlsxwriter.utility import xl_col_to_name

from ..errors import InputError
from ..version import __version__
from .tables import Table, cell_text, file_sha256
from .words import is_yes

#: identifies the layout of the review workbook; bump it when the Review columns change
FORMAT_ID = "cancelkit-review/1"
REVIEW_SHEET = "Review"
SUMMARY_SHEET = "Summary"
META_SHEET = "_cancelkit"
TEMPLATE_SHEET = "Cancellations"

#: what the approve column says on rows that cannot be approved (rejected, duplicate)
NOT_APPROVABLE = "n/a"

# Input column names as Amazon's order reports and flat file spell them (DOMAIN.md 2 and 5);
# columns.py maps each of them to its field.
ORDER_ID = "order-id"
REASON = "cancellation-reason-code"
ITEM_CODE = "amazon-order-item-code"
SKU = "sku"
BUYER_REQUESTED = "is-buyer-requested-cancellation"
NOTE = "note"

#: the Review sheet's columns: (header, width); read_review checks this header exactly
REVIEW_COLUMNS: tuple[tuple[str, float], ...] = (
    ("approve", 9),
    ("result", 9.5),
    ("risk", 8),
    ("counts against rate", 8.5),
    (ORDER_ID, 20.5),
    (ITEM_CODE, 16.5),
    (REASON, 26),
    (SKU, 22),
    (BUYER_REQUESTED, 11),
    ("problems", 60),
    (NOTE, 26),
    ("source", 16),
    ("row", 5),
)
REVIEW_HEADER: tuple[str, ...] = tuple(name for name, _ in REVIEW_COLUMNS)
#: the column a review of a batch whose rows name marketplaces adds after `row`: each row's
#: marketplace, so that `generate --from-review` writes one upload file per marketplace again
MARKETPLACE = "marketplace"
POSITION = {name: i for i, name in enumerate(REVIEW_HEADER)}
#: Review columns that become the input table of `generate --from-review`, and the names
#: the table gives them (the original source and row are kept for the rejects file)
INPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    (ORDER_ID, ORDER_ID),
    (REASON, REASON),
    (ITEM_CODE, ITEM_CODE),
    (SKU, SKU),
    (BUYER_REQUESTED, BUYER_REQUESTED),
    (NOTE, NOTE),
    ("source", "review-source"),
    ("row", "review-row"),
)


def read_review(path: str | Path) -> Table:
    """The approved rows of a review workbook as an input table.

    Rows whose approve cell says yes, y, x, true or 1 (trimmed, any case) and whose result
    is `accepted` are read, with their sheet row numbers; every other row is listed in
    `table.skipped`. A workbook of another cancelkit version or with a changed Review header
    is refused with `InputError`. No row approved at all is refused too (nothing to upload).
    """
    source = str(path)
    sheet_rows, with_market = _open_review(source)
    skipped: list[dict] = []
    headers = [name for _, name in INPUT_COLUMNS]
    picks = [POSITION[column] for column, _ in INPUT_COLUMNS]
    width = len(REVIEW_HEADER)
    if with_market:
        headers.append(MARKETPLACE)
        picks.append(width)
        width += 1
    approve, result = POSITION["approve"], POSITION["result"]
    order = POSITION[ORDER_ID]

    def generate() -> Iterator[tuple[int, list[str]]]:
        taken = 0
        for number, values in enumerate(sheet_rows, start=2):
            cells = [cell_text(v) for v in values]
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            if not any(c.strip() for c in cells):
                continue
            decision = cells[approve].strip().lower()
            status = cells[result].strip().lower()
            if is_yes(decision) and status == "accepted":
                taken += 1
                yield number, [cells[i] for i in picks]
                continue
            skipped.append(
                {
                    "row": number,
                    "order_id": cells[order],
                    "result": status,
                    "approve": cells[approve],
                    "why": _skip_reason(decision, status),
                }
            )
        if not taken:
            raise InputError(
                f"{source}: no row of the Review sheet is approved (approve = yes); nothing "
                "to upload"
            )

    digest = file_sha256(source)
    return Table(
        source,
        headers,
        generate(),
        path=source,
        digest=lambda: digest,
        reopen=lambda: read_review(source),
        skipped=skipped,
    )


def _skip_reason(decision: str, status: str) -> str:
    if status in ("rejected", "duplicate"):
        if is_yes(decision):
            return f"{status} in the review: cannot be approved, ignored"
        return f"{status} in the review"
    if status != "accepted":
        return "not a row of the review (no result): ignored"
    return "not approved"


def _open_review(source: str) -> tuple[Iterator[list], bool]:
    """Check that a file is a review workbook of this cancelkit version with the Review
    header unchanged; returns the rows below the header and whether the sheet has the
    marketplace column."""
    from python_calamine import CalamineWorkbook

    if os.path.isdir(source):
        raise InputError(f"{source}: is a folder, not a review workbook")
    if not os.path.exists(source):
        raise InputError(f"{source}: no such file")
    try:
        workbook = CalamineWorkbook.from_path(source)
        names = workbook.sheet_names
        meta = workbook.get_sheet_by_name(META_SHEET).to_python() if META_SHEET in names else None
    except Exception as exc:  # calamine raises its own error types for broken files
        raise InputError(f"{source}: cannot read the review workbook ({exc})") from exc
    if meta is None or REVIEW_SHEET not in names:
        raise InputError(
            f"{source}: not a cancelkit review workbook (no {META_SHEET} and {REVIEW_SHEET} "
            "sheets); write one with `cancelkit review INPUT -o review.xlsx`"
        )
    facts = {cell_text(r[0]).strip(): cell_text(r[1]).strip() for r in meta if len(r) >= 2}
    if facts.get("format") != FORMAT_ID:
        raise InputError(
            f"{source}: unknown review workbook format '{facts.get('format', '')}' (this "
            f"cancelkit reads {FORMAT_ID}); write the review again with `cancelkit review`"
        )
    written_by = facts.get("cancelkit-version", "")
    if written_by != __version__:
        raise InputError(
            f"{source}: written by cancelkit {written_by or '(unknown)'}, this is cancelkit "
            f"{__version__}; write the review again with this version (`cancelkit review`)"
        )
    try:
        rows = iter(workbook.get_sheet_by_name(REVIEW_SHEET).iter_rows())
        header = next(rows, [])
    except Exception as exc:
        raise InputError(f"{source}: cannot read the {REVIEW_SHEET} sheet ({exc})") from exc
    found = [cell_text(v).strip() for v in header]
    while found and not found[-1]:
        found.pop()
    if tuple(found) not in (REVIEW_HEADER, (*REVIEW_HEADER, MARKETPLACE)):
        change = _difference(found)
        raise InputError(
            f"{source}: the header row of the {REVIEW_SHEET} sheet was changed ({change}); "
            "restore it or write the review again, as cancelkit reads the columns by position"
        )
    return rows, len(found) > len(REVIEW_HEADER)


def _difference(found: list[str]) -> str:
    for col, expected in enumerate(REVIEW_HEADER):
        got = found[col] if col < len(found) else ""
        if got != expected:
            return f"column {xl_col_to_name(col)} should be '{expected}', is '{got}'"
    extra = found[len(REVIEW_HEADER)]
    return f"column {xl_col_to_name(len(REVIEW_HEADER))} '{extra}' was added"
