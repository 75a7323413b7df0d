"""Spreadsheet workflow: the blank input template, the review workbook in which a person
approves rows before upload, and reading the approved rows of a review back as an input.

Workbooks are written with xlsxwriter in constant-memory mode: a 100,000-row review costs
little more than a bare write of its cells. Every text cell that came from a user or a
report is written with `write_string`, so `=HYPERLINK(...)`, `+cmd|...`, `-1+1` or `@SUM(1)`
stay text and never become a formula or a DDE link (DESIGN.md, "Row problems").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..amazon import reasons
from ..errors import OutputError
from ..read.review_layout import (
    MAX_CELL_CHARS,
)
from ..review.cells import MAX_SHEET_ROWS, _Styles, _workbook
from ..review.reader import (
    BUYER_REQUESTED,
    ITEM_CODE,
    NOTE,
    ORDER_ID,
    REASON,
    SKU,
    TEMPLATE_SHEET,
)
from ..review.summary import Judge
from ..review.writer import build_review
from .files import atomic_write
from .verdict import FETCH_ORDERS_COMMAND, cancels_note, gate, hints, verdict

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

#: the template's columns: (header, width, text-formatted)
__all__ = ["MAX_CELL_CHARS", "write_review", "write_template"]
TEMPLATE_COLUMNS: tuple[tuple[str, int, bool], ...] = (
    (ORDER_ID, 22, True),
    (REASON, 30, True),
    (ITEM_CODE, 24, True),
    (SKU, 22, True),
    (BUYER_REQUESTED, 18, False),
    (NOTE, 48, True),
)


# -- template ---------------------------------------------------------------------------------
def write_template(path: str | Path, force: bool = False) -> Path:
    """Write the blank input workbook for spreadsheet users: a `Cancellations` sheet with
    Text-formatted id columns and drop-down lists, an `Instructions` and a `Reasons` sheet."""
    return atomic_write(path, _build_template, force=force, mode="wb")


def _build_template(stream) -> None:
    workbook = _workbook(stream)
    styles = _Styles(workbook)
    sheet = workbook.add_worksheet(TEMPLATE_SHEET)
    last = MAX_SHEET_ROWS - 1
    for col, (name, width, text) in enumerate(TEMPLATE_COLUMNS):
        sheet.set_column(col, col, width, styles.text if text else styles.general)
        sheet.write_string(0, col, name, styles.header)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    reason_col = _template_col(REASON)
    sheet.data_validation(
        1,
        reason_col,
        last,
        reason_col,
        {
            "validate": "list",
            "source": list(reasons.FLAT_FILE_CODES),
            # other spellings ("out of stock") are mapped when cancelkit reads the file
            "error_type": "warning",
            "error_title": "Not a reason code",
            "error_message": "Pick a code from the list (see the Reasons sheet). Other "
            "spellings are mapped to a code when cancelkit reads the file.",
        },
    )
    evidence_col = _template_col(BUYER_REQUESTED)
    sheet.data_validation(
        1,
        evidence_col,
        last,
        evidence_col,
        {
            "validate": "list",
            "source": ["TRUE", "FALSE"],
            "input_title": "Buyer asked on Amazon?",
            "input_message": "TRUE only when the buyer used Request cancellation on Amazon.",
        },
    )
    sheet.ignore_errors({"number_stored_as_text": f"A1:F{MAX_SHEET_ROWS}"})
    sheet.activate()

    instructions = workbook.add_worksheet("Instructions")
    instructions.set_column(0, 0, 110, styles.wrap)
    instructions.write_string(0, 0, "How to fill in the Cancellations sheet", styles.title)
    for row, line in enumerate(_INSTRUCTIONS, start=2):
        instructions.write_string(row, 0, line)

    _write_reasons(workbook.add_worksheet("Reasons"), styles)
    workbook.close()


def _template_col(name: str) -> int:
    return next(i for i, (header, _, _) in enumerate(TEMPLATE_COLUMNS) if header == name)


_INSTRUCTIONS = (
    "One row per cancellation. Keep the header row as it is.",
    f"{ORDER_ID}: the Amazon order id, 3-7-7 digits like 113-4728391-2038475 (required).",
    f"{REASON}: a reason code from the drop-down list; the Reasons sheet says how each one "
    "affects your Cancellation Rate.",
    f"{ITEM_CODE}: the order-item-id (13 to 15 digits) from Amazon's order report. The column is "
    "formatted as Text so Excel keeps every digit; paste with 'Paste Special > Values' so the "
    "Text format stays.",
    f"To cancel a whole order, leave both {REASON} and {ITEM_CODE} empty (this counts against "
    "your rate). Give both to cancel one item.",
    f"{SKU}: optional; cancelkit warns when cancellations put a listing at risk.",
    f"{BUYER_REQUESTED}: TRUE only when the buyer used Amazon's Request cancellation (Your "
    "Orders); a BuyerCanceled cancellation then does not count against your rate.",
    f"{NOTE}: anything for your own records; it is never uploaded.",
    "Then: cancelkit review cancellations.xlsx -o review.xlsx --orders-7d N  (approve rows), "
    "and cancelkit generate --from-review review.xlsx  (the upload file).",
)


def _write_reasons(sheet: Worksheet, styles: _Styles) -> None:
    """The reason catalogue with each reason's metric effect, from reasons.CATALOGUE."""
    columns = (
        ("code", 34),
        ("meaning", 34),
        ("in the flat file", 12),
        ("counts against your Cancellation Rate", 22),
        ("effect", 70),
        ("other spellings cancelkit maps to this code", 60),
    )
    for col, (name, width) in enumerate(columns):
        sheet.set_column(col, col, width, styles.wrap)
        sheet.write_string(0, col, name, styles.header)
    sheet.set_row(0, 30)
    sheet.freeze_panes(1, 0)
    for row, reason in enumerate(reasons.CATALOGUE, start=1):
        counts = "unless the buyer asked on Amazon" if reason.metric_effect == "standard" else "yes"
        cells = (
            reason.code,
            reason.label,
            "yes" if reason.accepted_in_flat_file else "no (XML feed only)",
            counts,
            reason.effect_text,
            ", ".join(reason.aliases),
        )
        for col, value in enumerate(cells):
            sheet.write_string(row, col, value)


# -- review -----------------------------------------------------------------------------------
def write_review(result, path: str | Path, force: bool = False) -> Path:
    """Write the review workbook of a run (kept records required): a `Review` sheet with
    one row per input row and an approve column, a `Summary` sheet with the rate projection
    and the gate verdict, and a hidden `_cancelkit` sheet that identifies the format."""
    rows = result.summary["input_rows"]
    if rows >= MAX_SHEET_ROWS:
        raise OutputError(
            f"{path}: a review workbook holds at most {MAX_SHEET_ROWS - 1:,} rows and this "
            f"batch has {rows:,}; split the batch"
        )
    return atomic_write(
        path, lambda stream: build_review(result, stream, JUDGE), force=force, mode="wb"
    )


#: the gate's words the review's Summary uses
JUDGE = Judge(
    verdict=verdict,
    gate=gate,
    hints=hints,
    cancels_note=cancels_note,
    fetch_orders_command=FETCH_ORDERS_COMMAND,
)
