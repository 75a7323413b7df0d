"""The review workbook's format, and reading a reviewed workbook back as an input.

`cancelkit review` writes the workbook (write/workbook.py); `generate --from-review` reads
only its approved rows. Both sides use the constants here, so the layout has one definition.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from xlsxwriter.utility import xl_col_to_name

from ..codes import Flag
from ..errors import InputError
from ..version import __version__
from .review_layout import FORMAT_ID, META_SHEET, REVIEW_SHEET, TOKEN_COLUMN
from .seal import Seal, load_key
from .tables import (
    Limits,
    Table,
    cell_text,
    check_sheet_extent,
    file_sha256,
    open_checked_workbook,
    sheet_parts,
)
from .words import is_yes

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
    (TOKEN_COLUMN, 4),
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
#: the Review columns a row's token seals (what is uploaded or decides the rate)
SEALED_COLUMNS: tuple[str, ...] = (ORDER_ID, ITEM_CODE, REASON, SKU, BUYER_REQUESTED)


#: why a review row is not read, by code (the JSON's `review_skipped`, the report)
SKIP_WORDS = {
    "review_not_approved": "not approved",
    "review_not_approvable": "{status} in the review: cannot be approved",
    "review_token_missing": "no review token: a row added after the review, never uploaded",
    "review_token_unknown": "review token not issued for this row (the row, its source or row "
    "cell was changed, or it comes from another review): never uploaded",
    "review_token_reused": "review token on {count} rows (a copied row): none of them is uploaded",
    "review_result_edited": "result cell edited (it was {issued} in the review): never uploaded",
}
#: codes of rows refused because the workbook was tampered with (not a person's "no")
REFUSED_CODES = frozenset(
    ("review_token_missing", "review_token_unknown", "review_token_reused", "review_result_edited")
)


def read_review(path: str | Path, limits: Limits | None = None) -> Table:
    """The approved rows of a review workbook as an input table.

    A row is read only when its approve cell says yes (yes, y, x, true or 1, trimmed, any
    case), its review token (read/seal.py) proves it is the row cancelkit wrote with the
    status `accepted`, and no other row carries the same token; every other row is listed in
    `table.skipped` with a code and why. Values corrected in an approved row are noted on it
    (`review_value_changed`) and validated again like any input. A workbook of another
    cancelkit version or with a changed Review header is refused with `InputError`, as is
    one in which nothing can be uploaded. The workbook passes the same defences as any xlsx
    input (size, zip bomb, DOCTYPE, cell budget) first.
    """
    source = str(path)
    sheet_rows, review_id, with_market = _open_review(source, limits or Limits())
    seal = Seal(load_key(create=False), review_id)
    width = len(REVIEW_HEADER) + (1 if with_market else 0)
    rows: list[list[str]] = []
    for values in sheet_rows:  # bounded by the cell budget checked in _open_review
        cells = [cell_text(v) for v in values]
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        rows.append(cells)
    token_at = POSITION[TOKEN_COLUMN]
    uses = Counter(cells[token_at].strip() for cells in rows if cells[token_at].strip())
    skipped: list[dict] = []
    row_flags: dict[int, list[Flag]] = {}
    headers = [name for _, name in INPUT_COLUMNS]
    picks = [POSITION[column] for column, _ in INPUT_COLUMNS]
    sealed = [POSITION[column] for column in SEALED_COLUMNS]
    if with_market:
        headers.append(MARKETPLACE)
        picks.append(len(REVIEW_HEADER))
        sealed.append(len(REVIEW_HEADER))  # which marketplace's upload file the row goes to
    approve, result = POSITION["approve"], POSITION["result"]
    order, origin, row_at = POSITION[ORDER_ID], POSITION["source"], POSITION["row"]

    def skip(number: int, cells: list[str], code: str, **words) -> None:
        skipped.append(
            {
                "row": number,
                "order_id": cells[order],
                "result": cells[result].strip().lower(),
                "approve": cells[approve],
                "code": code,
                "why": SKIP_WORDS[code].format(**words),
            }
        )

    # decided before the first row is handed on, so the notes are known to the collector
    taken: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        status = cells[result].strip().lower()
        if not is_yes(cells[approve].strip().lower()):
            skip(number, cells, "review_not_approved")
            continue
        token = cells[token_at].strip()
        if token and uses[token] > 1:
            skip(number, cells, "review_token_reused", count=uses[token])
            continue
        check = seal.check(token, cells[origin], cells[row_at], status, [cells[i] for i in sealed])
        if check.code is not None:
            skip(number, cells, check.code, issued=check.status)
            continue
        if check.status != "accepted":
            skip(number, cells, "review_not_approvable", status=check.status)
            continue
        if check.changed:
            names = ", ".join(SEALED_COLUMNS[i] for i in check.changed)
            row_flags[number] = [Flag("review_value_changed", f"changed in the review: {names}")]
        taken.append((number, [cells[i] for i in picks]))
    rows.clear()
    if not taken:
        refused = Counter(e["code"] for e in skipped if e["code"] in REFUSED_CODES)
        detail = ", ".join(f"{code} {n}" for code, n in sorted(refused.items()))
        raise InputError(
            f"{source}: no row of the Review sheet can be uploaded: none is approved "
            "(approve = yes)"
            + (f" with a valid review token (refused: {detail})" if detail else "")
            + "; nothing to upload",
            code="review_nothing_approved",
        )

    digest = file_sha256(source)
    table = Table(
        source,
        headers,
        iter(taken),
        path=source,
        digest=lambda: digest,
        reopen=lambda: read_review(source, limits),
        skipped=skipped,
    )
    table.row_flags = row_flags
    return table


def _open_review(source: str, limits: Limits) -> tuple[Iterator[list], str, bool]:
    """Check that a file is a review workbook of this cancelkit version with the Review
    header unchanged; returns the rows below the header, the review's id and whether the
    sheet has the marketplace column."""
    from python_calamine import CalamineWorkbook

    if not os.path.exists(source):
        raise InputError(f"{source}: no such file", code="file_not_found")
    open_checked_workbook(source, source, limits)
    sheets = sheet_parts(source, source)
    if META_SHEET not in sheets or REVIEW_SHEET not in sheets:
        raise InputError(
            f"{source}: not a cancelkit review workbook (no {META_SHEET} and {REVIEW_SHEET} "
            "sheets); write one with `cancelkit review INPUT -o review.xlsx`",
            code="not_a_review",
        )
    check_sheet_extent(source, source, sheets[META_SHEET], limits)
    check_sheet_extent(source, source, sheets[REVIEW_SHEET], limits)
    try:
        workbook = CalamineWorkbook.from_path(source)
        meta = workbook.get_sheet_by_name(META_SHEET).to_python()
    except Exception as exc:  # calamine raises its own error types for broken files
        raise InputError(
            f"{source}: cannot read the review workbook ({exc})", code="workbook_unreadable"
        ) from exc
    facts = {cell_text(r[0]).strip(): cell_text(r[1]).strip() for r in meta if len(r) >= 2}
    if facts.get("format") != FORMAT_ID:
        raise InputError(
            f"{source}: unknown review workbook format '{facts.get('format', '')}' (this "
            f"cancelkit reads {FORMAT_ID}); write the review again with `cancelkit review`",
            code="review_format",
        )
    written_by = facts.get("cancelkit-version", "")
    if written_by != __version__:
        raise InputError(
            f"{source}: written by cancelkit {written_by or '(unknown)'}, this is cancelkit "
            f"{__version__}; write the review again with this version (`cancelkit review`)",
            code="review_format",
        )
    review_id = facts.get("review-id", "")
    if not review_id:
        raise InputError(
            f"{source}: the review id in the hidden {META_SHEET} sheet is missing; write the "
            "review again with `cancelkit review`",
            code="review_format",
        )
    try:
        rows = iter(workbook.get_sheet_by_name(REVIEW_SHEET).to_python(skip_empty_area=False))
        header = next(rows, [])
    except Exception as exc:
        raise InputError(
            f"{source}: cannot read the {REVIEW_SHEET} sheet ({exc})", code="workbook_unreadable"
        ) from exc
    found = [cell_text(v).strip() for v in header]
    while found and not found[-1]:
        found.pop()
    if tuple(found) not in (REVIEW_HEADER, (*REVIEW_HEADER, MARKETPLACE)):
        change = _difference(found)
        raise InputError(
            f"{source}: the header row of the {REVIEW_SHEET} sheet was changed ({change}); "
            "restore it or write the review again, as cancelkit reads the columns by position",
            code="review_header",
        )
    return rows, review_id, len(found) > len(REVIEW_HEADER)


def _difference(found: list[str]) -> str:
    for col, expected in enumerate(REVIEW_HEADER):
        got = found[col] if col < len(found) else ""
        if got != expected:
            return f"column {xl_col_to_name(col)} should be '{expected}', is '{got}'"
    extra = found[len(REVIEW_HEADER)]
    return f"column {xl_col_to_name(len(REVIEW_HEADER))} '{extra}' was added"
