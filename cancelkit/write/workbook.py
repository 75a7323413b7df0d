"""Spreadsheet workflow: the blank input template, the review workbook in which a person
approves rows before upload, and reading the approved rows of a review back as an input.

Workbooks are written with xlsxwriter in constant-memory mode: a 100,000-row review costs
little more than a bare write of its cells. Every text cell that came from a user or a
report is written with `write_string`, so `=HYPERLINK(...)`, `+cmd|...`, `-1+1` or `@SUM(1)`
stay text and never become a formula or a DDE link (DESIGN.md, "Row problems").
"""

from __future__ import annotations

import json
import marshal
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ..amazon import reasons
from ..assess.impact import RISK_ORDER, assessment_for
from ..codes import CODES
from ..errors import OutputError
from ..read.review import (
    APPROVE_CHOICES,
    APPROVE_YES,
    BUYER_REQUESTED,
    COUNTED,
    FACTS_KEY,
    FACTS_SEAL_KEY,
    ITEM_CODE,
    MARKETPLACE,
    NOT_APPROVABLE,
    NOTE,
    ORDER_ID,
    POSITION,
    REASON,
    REVIEW_COLUMNS,
    REVIEW_HEADER,
    SEALED_COLUMNS,
    SKU,
    STATE_FLAG_CODES,
    STATE_FLAG_PREFIXES,
    TEMPLATE_SHEET,
    evidence_text,
)
from ..read.review_figures import FIGURES_KEY
from ..read.review_layout import (
    EVIDENCE_COLUMN,
    FORMAT_ID,
    MAX_CELL_CHARS,
    META_SHEET,
    REVIEW_SHEET,
    SUMMARY_SHEET,
    SUMMARY_TITLE,
    TOKEN_COLUMN,
)
from ..read.seal import Seal, load_key, new_review_id
from ..read.tables import file_sha256
from ..read.words import is_yes
from ..version import __version__
from .files import atomic_write
from .verdict import FETCH_ORDERS_COMMAND, cancels_note, gate, hints, verdict

#: what the Summary says when the order states were not checked
FETCH_HINT = (
    "shipped, cancelled and pending orders cannot be told apart from cancellable ones. Pass "
    f"--orders-report with a fresh Unshipped Orders report (or `{FETCH_ORDERS_COMMAND}`)."
)

#: the template's columns: (header, width, text-formatted)
TEMPLATE_COLUMNS: tuple[tuple[str, int, bool], ...] = (
    (ORDER_ID, 22, True),
    (REASON, 30, True),
    (ITEM_CODE, 24, True),
    (SKU, 22, True),
    (BUYER_REQUESTED, 18, False),
    (NOTE, 48, True),
)
#: Review columns whose long text wraps: their line count sets a row's height (the full
#: problem sentences do not wrap: the short `issue` label keeps a row one line high, and the
#: whole text shows in the cell and the formula bar)
_WRAPPED = frozenset({NOTE})
# Excel's built-in number format 49, "@" (Text); the index, not the string, because xlsxwriter
# would store "@" as a custom format that openpyxl cannot resolve
_TEXT_FORMAT = 49
#: rows an xlsx sheet holds, the header included
_MAX_SHEET_ROWS = 1_048_576
__all__ = ["MAX_CELL_CHARS", "write_review", "write_template"]
# Fill colours by risk, light enough to read black text on (and to print).
# Medium (amber) and low (blue) differ in hue, not only in shade, so they tell apart on
# screen, printed, and for the common colour-vision deficiencies.
_RISK_FILLS = (("high", "#F8CBAD"), ("medium", "#FFE699"), ("low", "#DDEBF7"), ("none", "#E2EFDA"))
_OFF_FILL, _OFF_FONT = "#E7E6E6", "#595959"
_HEADER_FILL = "#1F4E78"
# Every cell without a format of its own gets this one (xlsxwriter's default format, style 0),
# so most cells of a big review carry no per-cell style: Arial, which has metric twins
# everywhere (Liberation Sans on Linux), so wrapped text and the row heights estimated for it
# come out alike in Excel, LibreOffice and Google Sheets; Text, so what a person types stays
# as typed (an item code never turns into 6.28452E+13); aligned to the top.
_DEFAULT_FORMAT = {
    "font_name": "Arial",
    "font_size": 10,
    "font_scheme": "none",  # not the theme's font (Calibri): Arial, as named
    "num_format": _TEXT_FORMAT,
    "valign": "top",
}
#: points per line of wrapped Arial 10 text, and characters per line per unit of width
_LINE_HEIGHT = 13
_CHARS_PER_WIDTH = 1.2


def _workbook(stream, constant_memory: bool = False) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(
        stream,
        {
            "constant_memory": constant_memory,
            "default_format_properties": _DEFAULT_FORMAT,
            # text is text: no write() guessing turns a string into a formula, number or link
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
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
    last = _MAX_SHEET_ROWS - 1
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
    sheet.ignore_errors({"number_stored_as_text": f"A1:F{_MAX_SHEET_ROWS}"})
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
    if rows >= _MAX_SHEET_ROWS:
        raise OutputError(
            f"{path}: a review workbook holds at most {_MAX_SHEET_ROWS - 1:,} rows and this "
            f"batch has {rows:,}; split the batch"
        )
    return atomic_write(path, lambda stream: _build_review(result, stream), force=force, mode="wb")


class _Styles:
    """The few cell formats the workbooks use."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        add = workbook.add_format  # on top of _DEFAULT_FORMAT

        self.header = add(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": _HEADER_FILL,
                "text_wrap": True,
                "border": 1,
                "border_color": "#BFBFBF",
            }
        )
        # explicit column formats of the template, so Excel applies them to typed cells
        self.text = add({"num_format": _TEXT_FORMAT})
        self.general = add({"num_format": "General"})
        self.wrap = add({"text_wrap": True})
        self.title = add({"bold": True, "font_size": 14})
        self.section = add({"bold": True, "font_size": 11, "bottom": 1})
        self.percent = add({"num_format": "0.00%", "align": "left"})
        self.number = add({"num_format": "#,##0", "align": "left"})
        self.verdict = {
            level: add({"bold": True, "font_size": 11, "font_color": color, "text_wrap": True})
            for level, color in (("ok", "#375623"), ("warning", "#9C5700"), ("danger", "#C00000"))
        }
        # conditional formats (they change only fill, font colour, weight and border)
        cond = workbook.add_format
        self.risk = {level: cond({"bg_color": fill}) for level, fill in _RISK_FILLS}
        self.off = cond({"bg_color": _OFF_FILL, "font_color": _OFF_FONT})
        self.approved = cond({"bold": True})
        # an accepted row nobody decided yet: a white box that asks for yes or no
        self.undecided = cond({"bg_color": "#FFFFFF", "border": 1, "border_color": "#C65911"})


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _buyer_requested(record: dict) -> str:
    """The evidence of an official buyer request: the record's own value (from the input or
    an order report), else what its effect shows (a BuyerCanceled cancellation that does not
    count, or a `use_buyer_canceled` flag). Unknown stays empty: "no request"."""
    if record.get("buyer_requested"):
        return "TRUE" if is_yes(record["buyer_requested"]) else "FALSE"
    if record["reason"] == "BuyerCanceled" and record["counts_against_rate"] is False:
        return "TRUE"
    if any(flag["code"] == "use_buyer_canceled" for flag in record["flags"]):
        return "TRUE"
    return ""


def _problems(record: dict) -> str:
    """Flags and errors in words: what is wrong (rejected), repeated (duplicate), or risky."""
    status = record["status"]
    if status == "rejected":
        return "; ".join(error["message"] for error in record["errors"])
    if status == "duplicate":
        return "; ".join(f["message"] for f in record["flags"] if f["code"] == "duplicate")
    return "; ".join(flag["message"] for flag in record["flags"])


def _issue(record: dict) -> str:
    """The problems as short labels (one line): the codes' titles."""
    status = record["status"]
    if status == "rejected":
        codes = [error["code"] for error in record["errors"]]
    elif status == "duplicate":
        codes = [f["code"] for f in record["flags"] if f["code"] == "duplicate"]
    else:
        codes = [flag["code"] for flag in record["flags"]]
    return "; ".join(CODES[code].title if code in CODES else code for code in dict.fromkeys(codes))


def _approve_cell(record: dict, advice: tuple[str, str] | None = None) -> str:
    """`n/a` for a row that cannot be approved; `yes` for a row the plan sends (or, without
    a plan, of risk none); empty for a person to decide."""
    if record["status"] != "accepted":
        return NOT_APPROVABLE
    if advice is not None:
        return "yes" if advice[0] == "send" else ""
    return "yes" if record["risk"] == "none" else ""


def _plan_cells(result) -> dict[tuple[str, int], tuple[str, str]]:
    """(source, row) -> ("send" or "hold", the plan column's text), {} without a plan."""
    found = result.plan()
    if not found.get("complete"):
        return {}
    cells: dict[tuple[str, int], tuple[str, str]] = {}
    for row in found["send"]:
        text = f"approve now: {row['why']}" if row["counts_against_rate"] else ""
        cells[(row["source"], row["row"])] = ("send", text)
    for row in found["hold"]:
        cells[(row["source"], row["row"])] = ("hold", f"hold: {row['why']}")
    return cells


def _triage(result):
    """Every record in the review's order: the highest risk first (high, medium, low,
    none), then counting rows, then input order; an order's rows stay together (under its
    highest risk) so the `counted order` formula spans them; rejected rows and duplicates
    follow. Records are held as marshal blobs, a few hundred bytes each."""
    kept: list[tuple[tuple, bytes]] = []
    orders: dict[tuple, list] = {}
    for position, record in enumerate(result.iter_records()):
        status = record["status"]
        if status == "accepted":
            key = (record.get("marketplace") or "", record["order_id"])
            rank = RISK_ORDER.get(record["risk"] or "none", 0)
            found = orders.get(key)
            if found is None:
                orders[key] = [rank, bool(record["counts_against_rate"]), position]
            else:
                found[0] = max(found[0], rank)
                found[1] = found[1] or bool(record["counts_against_rate"])
            kept.append(((0, key, position), marshal.dumps(record)))
        else:
            group = 1 if status == "rejected" else 2
            kept.append(((group, None, position), marshal.dumps(record)))

    def sort_key(item: tuple) -> tuple:
        group, key, position = item[0]
        if group:
            return (group, 0, False, position, position)
        rank, counting, first = orders[key]
        return (0, -rank, not counting, first, position)

    kept.sort(key=sort_key)
    for _, blob in kept:
        yield marshal.loads(blob)


def _build_review(result, stream) -> None:
    workbook = _workbook(stream, constant_memory=True)
    workbook.set_properties({"title": "cancelkit review", "comments": FORMAT_ID})
    styles = _Styles(workbook)
    review = workbook.add_worksheet(REVIEW_SHEET)
    summary = workbook.add_worksheet(SUMMARY_SHEET)
    meta = workbook.add_worksheet(META_SHEET)

    for col, (name, width) in enumerate(REVIEW_COLUMNS):
        hidden = {"hidden": True} if name in (TOKEN_COLUMN, EVIDENCE_COLUMN, COUNTED) else None
        column_format = styles.wrap if name in _WRAPPED else None
        if name == "approve":
            # General, not Text: a checkbox's TRUE stays a boolean when LibreOffice saves the
            # sheet again (in a Text cell it becomes the formula =TRUE(), read as 1, which
            # the reader refuses as not understood)
            column_format = styles.general
        review.set_column(col, col, width, column_format, hidden)
    review.set_row(0, 45)
    for col, name in enumerate(REVIEW_HEADER):
        review.write_string(0, col, name, styles.header)
    market_col = len(REVIEW_HEADER) if result.markets else None
    if market_col is not None:
        review.set_column(market_col, market_col, 12)
        review.write_string(0, market_col, MARKETPLACE, styles.header)

    # write_string without its A1-notation wrapper (the same call, ~10% faster on 100,000
    # rows); the public method where an xlsxwriter version lacks the undecorated one
    write = getattr(review, "_write_string", review.write_string)
    write_number = review.write_number
    set_row = review.set_row
    widths = dict(REVIEW_COLUMNS)
    note_width = int(widths[NOTE] * _CHARS_PER_WIDTH)
    approvable = pre_approved = too_long = 0
    pre_counting: set[str] = set()
    shown = result.metrics["marketplace"]
    review_id = new_review_id()
    seal = Seal(load_key(create=True), review_id)
    sealed = [(column, POSITION[column]) for column in SEALED_COLUMNS]
    token_at, row_at = POSITION[TOKEN_COLUMN], POSITION["row"]
    evidence_at = POSITION[EVIDENCE_COLUMN]
    states_checked = bool(result.options.orders_reports)
    last = 0
    advice = _plan_cells(result)
    counted_at, approve_col = POSITION[COUNTED], _column_letter(POSITION["approve"])
    approve_at = POSITION["approve"]
    group_key, group_first, group_yes, counted_orders = None, 0, False, 0
    for last, record in enumerate(_triage(result), start=1):
        plan = advice.get((record["source"], record["row"]))
        status, approve = record["status"], _approve_cell(record, plan)
        problems, note = _problems(record), record["note"] or ""
        cells = [
            approve,
            status,
            record["risk"] or "",
            _yes_no(record["counts_against_rate"]),
            record["order_id"] or "",
            plan[1] if plan else "",
            _issue(record),
            record["amazon_order_item_code"] or "",
            record["reason"] or "",
            record["sku"] or "",
            _buyer_requested(record),
            problems,
            note,
            record["source"],
        ]
        if max(map(len, cells)) > MAX_CELL_CHARS:
            overlong = [REVIEW_HEADER[i] for i, v in enumerate(cells) if len(v) > MAX_CELL_CHARS]
            # never cut: the row cannot be shown whole, so it cannot be approved either
            too_long += 1
            for i, value in enumerate(cells):
                if len(value) > MAX_CELL_CHARS:
                    cells[i] = f"({len(value):,} characters: too long for a cell, not shown)"
            _count_as_rejected(result.summary, record)
            status, approve = "rejected", NOT_APPROVABLE
            cells[0], cells[1], cells[2], cells[3] = approve, status, "", ""
            cells[POSITION["problems"]] = (
                f"value_too_long: {', '.join(overlong)} longer than the {MAX_CELL_CHARS:,} "
                "characters a spreadsheet cell holds; shorten it in your source file"
            )
            problems = cells[POSITION["problems"]]
            note = cells[POSITION[NOTE]]
        if approve != NOT_APPROVABLE:
            approvable += 1
            if approve:
                pre_approved += 1
                # of a batch spanning several marketplaces, those of the one the rate shows
                if record["counts_against_rate"] and record.get("marketplace", shown) == shown:
                    pre_counting.add(record["order_id"])
        if note and (len(note) > note_width or "\n" in note):
            set_row(last, _LINE_HEIGHT * min(2, _lines(note, note_width)) + 2)
        # the orders whose approval counts: 1 on the first approved row of a counting order
        # (its rows are adjacent, see _triage); a formula, so it follows the approve column
        if status == "accepted" and record["counts_against_rate"] and approve != NOT_APPROVABLE:
            key = (record.get("marketplace") or "", record["order_id"])
            if key != group_key:
                group_key, group_first, group_yes = key, last, False
            this = f"{approve_col}{last + 1}"
            yes = _yes_formula(this)
            if group_first < last:
                # COUNTIF form even over one cell: a number, compared with 0
                # `yes` only: a second checkbox TRUE of one order counts it twice, which errs
                # on the safe side (the live rate shown higher, never lower)
                earlier = (
                    f'COUNTIF({approve_col}{group_first + 1}:{approve_col}{last},"{APPROVE_YES}")'
                )
                yes = f"AND({yes},{earlier}=0)"
            cached = 1 if approve == "yes" and not group_yes else 0
            group_yes = group_yes or approve == "yes"
            counted_orders += 1 if last == group_first else 0
            review.write_formula(last, counted_at, f"=IF({yes},1,0)", None, cached)
        else:
            group_key = None
        # empty cells are left out; what a person types there gets the default (Text) format
        for col, value in enumerate(cells):
            if value:
                write(last, col, value, styles.general if col == approve_at else None)
        number = str(record["row"])
        write_number(last, row_at, record["row"])
        market = record.get("marketplace") or ""
        if market_col is not None and market:
            write(last, market_col, market)
        # what the review showed of the row (sealed) and the order state it checked
        state = _state_evidence(record) if status == "accepted" else None
        if state is None and states_checked and status == "accepted":
            state = {"risk": "none", "flags": []}
        evidence = evidence_text({name: cells[i] for name, i in sealed}, market, state)
        write(last, evidence_at, evidence)
        write(last, token_at, seal.token(record["source"], number, status, evidence))
    _finish_review_sheet(review, styles, last)
    counted = f"{REVIEW_SHEET}!${_column_letter(counted_at)}$2:${_column_letter(counted_at)}$"
    counted += str(max(last, 1) + 1)
    market_range = None
    if market_col is not None:
        letter = _column_letter(market_col)
        market_range = f"{REVIEW_SHEET}!${letter}$2:${letter}${max(last, 1) + 1}"
    _write_summary(
        summary,
        styles,
        result,
        approvable,
        pre_approved,
        len(pre_counting),
        too_long,
        live=(counted, market_range, counted_orders),
    )
    _write_meta(meta, result, review_id, seal)
    review.activate()
    workbook.close()


def _count_as_rejected(summary: dict, record: dict) -> None:
    """A row the review cannot show whole is rejected (`value_too_long`): the run's summary
    (terminal, JSON, exit code) counts it so, as the workbook does."""
    if record["status"] == "rejected":
        return
    if record["status"] == "accepted":
        summary["accepted"] -= 1
        risk = summary.get("risk", {})
        if record["risk"] in risk:
            risk[record["risk"]] -= 1
        if record["counts_against_rate"]:
            summary["counts_against_rate"] -= 1
    else:
        summary["duplicates"] -= 1
    summary["rejected"] += 1
    by_code = summary.setdefault("rejected_by_code", {})
    by_code["value_too_long"] = by_code.get("value_too_long", 0) + 1


#: the least risk a state finding gives a row (assess/impact.py), where the record's own
#: risk does not show it (a reason that is already riskier)
_STATE_RISK = {
    "order_partially_shipped": "medium",
    "order_report_unreadable": "high",
    "past_ship_by": "low",
    "verge_of_cancellation": "low",
}


def _state_evidence(record: dict) -> dict | None:
    """What the review knew of the row's order state: status, channel, the state findings
    and the risk they set (None when the run had no order state for it)."""
    found = record.get("order_state") or {}
    flags = [
        [f["code"], f["message"]]
        for f in record["flags"]
        if f["code"].startswith(STATE_FLAG_PREFIXES) or f["code"] in STATE_FLAG_CODES
    ]
    if not found and not flags:
        return None
    requested = bool(record.get("buyer_requested")) and is_yes(record["buyer_requested"])
    base = assessment_for(record["reason"], requested).risk
    risk = record["risk"] if RISK_ORDER[record["risk"]] > RISK_ORDER[base] else "none"
    for code, _ in flags:
        risk = max(risk, _STATE_RISK.get(code, "none"), key=RISK_ORDER.__getitem__)
    state = {"risk": risk, "flags": flags}
    for key in ("order_status", "fulfillment_channel"):
        if found.get(key):
            state[key] = found[key]
    return state


def _yes_formula(cell: str) -> str:
    """A formula that is TRUE when an approve cell says what the reader takes as yes
    (read/review.py `approve_decision`): `yes` trimmed, in any case, or a checkbox's TRUE;
    in Excel, LibreOffice and Google Sheets alike. `t`, `1`, `x` are not yes here either."""
    return f'IF(ISLOGICAL({cell}),{cell},LOWER(TRIM({cell}))="{APPROVE_YES}")'


def _lines(text: str, per_line: int) -> int:
    """Lines a wrapped text takes in a column (estimated; rows get explicit heights because
    neither Excel nor LibreOffice reliably fits them when opening a file)."""
    if len(text) <= per_line and "\n" not in text:
        return 1
    return sum(-(-len(part) // per_line) or 1 for part in text.split("\n"))


def _finish_review_sheet(sheet: Worksheet, styles: _Styles, last: int) -> None:
    """Drop-down, colours, filter, frozen header and print setup of the Review sheet."""
    last_col = len(REVIEW_COLUMNS) - 1
    bottom = max(last, 1)
    approve, result, risk = POSITION["approve"], POSITION["result"], POSITION["risk"]
    sheet.data_validation(
        1,
        approve,
        bottom,
        approve,
        {
            "validate": "list",
            "source": list(APPROVE_CHOICES),
            "error_type": "stop",
            "error_title": "yes or no",
            "error_message": "Choose yes or no from the list; any other value is not "
            f"understood and the row is not uploaded. Rows that say '{NOT_APPROVABLE}' were "
            "rejected or repeat another row and are never uploaded.",
        },
    )
    # Conditional formats colour the rows: no per-cell format, and an edited row recolours.
    result_ref, risk_ref = f"${_column_letter(result)}2", f"${_column_letter(risk)}2"
    approve_ref = f"${_column_letter(approve)}2"
    sheet.conditional_format(
        1,
        approve,
        bottom,
        approve,
        {
            "type": "formula",
            "criteria": f'=AND({result_ref}="accepted",LEN(TRIM({approve_ref}))=0)',
            "format": styles.undecided,
            "stop_if_true": True,
        },
    )
    sheet.conditional_format(
        1,
        0,
        bottom,
        last_col,
        {
            "type": "formula",
            "criteria": f'=OR({result_ref}="rejected",{result_ref}="duplicate")',
            "format": styles.off,
            "stop_if_true": True,
        },
    )
    for level, _ in _RISK_FILLS:
        sheet.conditional_format(
            1,
            0,
            bottom,
            last_col,
            {
                "type": "formula",
                "criteria": f'={risk_ref}="{level}"',
                "format": styles.risk[level],
            },
        )
    sheet.conditional_format(
        1,
        approve,
        bottom,
        approve,
        {"type": "text", "criteria": "begins with", "value": "yes", "format": styles.approved},
    )
    sheet.autofilter(0, 0, bottom, last_col)
    # the header and the columns up to the order id stay in view
    sheet.freeze_panes(1, POSITION[ORDER_ID] + 1)
    sheet.ignore_errors({"number_stored_as_text": f"A1:{_column_letter(last_col)}{bottom + 1}"})
    sheet.repeat_rows(0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer("&LPage &P of &N&R&A")


def _write_summary(
    sheet: Worksheet,
    styles: _Styles,
    result,
    approvable: int,
    pre_approved: int,
    pre_counting_orders: int,
    too_long: int = 0,
    live: tuple[str, str | None, int] | None = None,
) -> None:
    """The rate projection, the verdict, the gate, the budget, and what approving the flagged
    rows does; with `live` (the Review's `counted order` range, its marketplace range, the
    number of counting orders), the rate after and the budget left as formulas over the
    approve column, which recalculate as a person fills it in (the upload never reads them)."""
    label_width, value_width = 52, 84
    sheet.set_column(0, 0, label_width)
    sheet.set_column(1, 1, value_width, styles.wrap)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.5, right=0.5)
    per_line = int(value_width * _CHARS_PER_WIDTH)
    summary, metrics = result.summary, result.metrics
    found = verdict(result)
    state = gate(result)
    row = 0

    def formula(label: str, text: str, cached, fmt) -> str:
        """A line whose value is a formula; returns its cell's absolute reference."""
        nonlocal row
        sheet.write_string(row, 0, label)
        sheet.write_formula(row, 1, text, fmt, cached)
        row += 1
        return f"$B${row}"

    def line(label: str, value=None, fmt=None, value_fmt=None) -> None:
        nonlocal row
        sheet.write_string(row, 0, label, fmt)
        if isinstance(value, str):
            lines = _lines(value, per_line)
            if lines > 1:
                sheet.set_row(row, _LINE_HEIGHT * lines + 2)
            sheet.write_string(row, 1, value, value_fmt)
        elif isinstance(value, float):
            sheet.write_number(row, 1, value, styles.percent)
        elif isinstance(value, int):
            sheet.write_number(row, 1, value, styles.number)
        elif fmt is styles.section:
            sheet.write_blank(row, 1, None, fmt)
        row += 1

    def section(title: str) -> None:
        nonlocal row
        row += 1
        line(title, fmt=styles.section)

    def rate(value: float | None) -> float | str:
        return "unknown: pass --orders-7d N" if value is None else value

    sheet.set_row(0, 22)
    line(SUMMARY_TITLE, fmt=styles.title)
    line("verdict", found["title"], value_fmt=styles.verdict[found["level"]])
    line("", found["text"])
    budgets = result.budget
    for code, entry in budgets.items():
        line(f"budget ({code}, before anything is approved)", entry["text"])
    plan = result.plan()
    if plan.get("complete"):
        line(
            "plan (advice; the approve column is pre-filled with it)",
            f"approve {plan['send_counting_orders']} counting order(s) now, hold "
            f"{plan['hold_counting_orders']}; each row's reason is in the plan column. A yes "
            "the plan pre-filled and you leave is your approval; clear it to leave the row out.",
        )
    if not result.states_checked:
        line("order states", "NOT checked against current order data: " + FETCH_HINT)

    section("Batch")
    line("rows read", summary["input_rows"])
    line("accepted (can be approved)", summary["accepted"])
    line("rejected (cannot be approved; see the problems column)", summary["rejected"])
    line("duplicates (cannot be approved)", summary["duplicates"])
    if too_long:
        line("not approvable: a value too long for a cell (value_too_long)", too_long)
    line("pre-approved: yes filled in (risk none, or within the plan's budget)", pre_approved)
    line("flagged: waiting for your yes or no", approvable - pre_approved)
    line("orders", summary["orders"])
    line("orders counting against the rate", summary["counting_orders"])

    markets = result.market_rows()
    if markets:
        section("Marketplaces (each against its own target; one upload file each)")
        for market in markets:
            m = market["metrics"]
            if m["rate_after"] is None:
                rate_text = f"rate unknown: pass --orders-7d {market['marketplace']}=N"
            else:
                over = " (at or over the target)" if m["over_threshold"] else ""
                rate_text = (
                    f"rate {m['rate_before'] * 100:.2f}% -> {m['rate_after'] * 100:.2f}%{over}, "
                    f"target under {m['threshold'] * 100:.2f}%, headroom {m['headroom_orders']}"
                )
            line(
                f"{market['marketplace']} ({market['name']})",
                f"{market['accepted']} row(s), {market['orders']} order(s), "
                f"{market['counting_orders']} counting; {rate_text}",
            )

    section(
        f"Cancellation Rate ({metrics['window_days']}-day window, marketplace "
        f"{metrics['marketplace']})"
    )
    line("target: a rate under", metrics["threshold"])
    orders = metrics["orders_in_window"]
    line("orders in the window", "unknown" if orders is None else orders)
    cancels = metrics["seller_cancels_in_window"]
    line(
        "seller cancellations already in the window",
        "unknown, 0 assumed" if cancels is None else cancels,
    )
    note = cancels_note(metrics.get("cancels_source"))
    if note and cancels is not None:
        line("", f"earlier cancellations: {note}")
    line("rate before this batch", rate(metrics["rate_before"]))
    only = result.project(pre_counting_orders)
    line("rate if you approve only the pre-approved rows", rate(only["rate_after"]))
    shown = metrics["marketplace"]
    fit = budgets.get(shown, {}).get("fit")
    if live is not None and orders:
        counted, market_range, _ = live
        approved = f"SUM({counted})"
        if market_range is not None:
            approved = f'SUMIFS({counted},{market_range},"{shown}")'
        before = cancels or 0
        cell = formula(
            "counting orders approved so far (updates as you fill in approve)",
            f"={approved}",
            pre_counting_orders,
            styles.number,
        )
        formula(
            "rate after the rows approved so far",
            f"=({before}+{cell})/{orders}",
            (before + pre_counting_orders) / orders,
            styles.percent,
        )
        if fit is not None:
            formula(
                "budget left: counting orders you can still approve",
                f"=MAX(0,{fit}-{cell})",
                max(0, fit - pre_counting_orders),
                styles.number,
            )
            formula(
                "over the target with the rows approved so far",
                f'=IF({cell}>{fit},"YES: approve fewer counting rows","no")',
                "YES: approve fewer counting rows" if pre_counting_orders > fit else "no",
                None,
            )
    line("rate if you approve every flagged row too", rate(metrics["rate_after"]))
    if metrics["over_threshold"] is not None:
        line(
            "over the target when every flagged row is approved",
            "yes: leave some flagged rows out" if metrics["over_threshold"] else "no",
        )
        line(
            "further counting orders that fit after every flagged row is approved",
            metrics["headroom_orders"],
        )
    for hint in hints(result):
        line("", hint)

    if result.listing_risks:
        section("Listings at risk of deactivation")
        for risk in result.listing_risks:
            orders = ", ".join(risk["order_ids"])
            more = risk["seller_cancellations_30d"] - len(risk["order_ids"])
            if more > 0:  # the ids are cut at the ledger's LISTED_ORDERS
                orders += f" and {more} more (filter the Review sheet's sku column for them)"
            line(risk["sku"], f"{risk['seller_cancellations_30d']} cancellations: {orders}")

    section("Risk gate")
    line("--fail-on", state["fail_on"])
    line("gate", "tripped: " + state["reason"] if state["tripped"] else "passes")
    if state["over_target"]:
        line(
            "over the target",
            "with every flagged row approved the batch is over the target: `generate "
            "--from-review` writes no upload file until you approve fewer counting rows (the "
            "budget above), or you pass --allow-over-target",
        )

    section("How to use this workbook")
    for step, text in enumerate(_HOW_TO, start=1):
        line(f"{step}.", text)

    section("Inputs")
    for source in result.inputs:
        line(source["path"], f"{source['rows']} rows, sha256 {source['sha256'] or 'n/a'}")
    line("written by", f"cancelkit {__version__}, {result.generated_at.isoformat()}")


_HOW_TO = (
    "On the Review sheet, decide each row with an empty approve cell: yes to upload it, no (or "
    "leave it empty) to leave it out. Rows of risk none are pre-approved with yes.",
    "The rows come in triage order: the highest risk first (high, medium, low, none), then "
    "the rows that count against your rate, then input order; the row column holds each "
    "row's place in your input (sort by it to get the input order back).",
    "The approve column is pre-filled from the plan (the plan column says why): the counting "
    "orders that fit within the budget, those Amazon would auto-cancel soonest first. A "
    "pre-filled yes that you leave is your approval of that row; clear it or type no to hold "
    "the row. The Summary's rate after and budget left update as you fill in.",
    "To approve a whole group at once (e.g. every buyer-requested row): use the filter arrows "
    "in the header (Data > Filter), filter the column (e.g. is-buyer-requested-cancellation = "
    "TRUE, or issue), type yes in the first visible approve cell and fill it down over the "
    "visible rows (Ctrl+D in Excel and LibreOffice, drag the fill handle in Google Sheets); "
    "hidden rows are not filled.",
    "The issue column names each row's problems briefly; the problems column holds the full "
    "sentences (click the cell to read it all).",
    f"Rows that say {NOT_APPROVABLE} were rejected or repeat another row: they are never "
    "uploaded, even when marked yes. Fix them in your source file and run cancelkit again.",
    "In an approved row you may correct the reason and the note: cancelkit checks the row "
    "again and shows the change. The order id, item code, SKU, buyer-request evidence and "
    "marketplace are sealed: a row whose sealed cell was changed is never uploaded.",
    "Keep the header row and the hidden _cancelkit sheet as they are, then run: "
    "cancelkit generate --from-review review.xlsx --orders-7d N",
)


def review_figures_of(result) -> dict:
    """The figures the review was written with, read back by `generate --from-review`
    (read/review_figures.py): kept unless an option overrides them."""

    def window(metrics: dict) -> dict:
        keys = ("orders_in_window", "orders_source", "seller_cancels_in_window", "cancels_source")
        return {key: metrics.get(key) for key in keys}

    found = {
        "marketplace": result.options.marketplace,
        **window(result.metrics),
        "order_reports": [entry["text"] for entry in result.summary.get("order_reports", ())],
    }
    if result.metrics_by_marketplace:
        found["by_marketplace"] = {
            code: window(metrics) for code, metrics in result.metrics_by_marketplace.items()
        }
    return found


def _write_meta(sheet: Worksheet, result, review_id: str, seal: Seal) -> None:
    rows = [
        ("format", FORMAT_ID),
        ("cancelkit-version", __version__),
        ("generated-at", result.generated_at.isoformat()),
        ("review-id", review_id),
        (FIGURES_KEY, json.dumps(review_figures_of(result), ensure_ascii=False)),
    ]
    if result.options.orders_reports:
        # which order reports the review checked the states against, as of when (sealed)
        facts = json.dumps(
            {
                "checked_at": result.generated_at.isoformat(),
                "reports": _report_facts(result),
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        rows += [(FACTS_KEY, facts), (FACTS_SEAL_KEY, seal.sign_facts(facts))]
    for row, (key, value) in enumerate(rows):
        sheet.write_string(row, 0, key)
        sheet.write_string(row, 1, value)
    sheet.hide()


def _report_facts(result) -> list[dict]:
    """Each order report of the run: its name, SHA-256 and the moment it shows orders of
    (its newest purchase date, else its file time)."""
    evidence = {e.get("path"): e for e in result.summary.get("order_reports", ())}
    facts = []
    for path in result.options.orders_reports:
        entry = evidence.get(path, {})
        try:
            digest = file_sha256(path)
        except OSError:
            digest = None
        facts.append(
            {
                "path": str(path),
                "sha256": digest,
                "as_of": entry.get("newest_purchase") or entry.get("file_time"),
            }
        )
    return facts


def _column_letter(col: int) -> str:
    return xlsxwriter.utility.xl_col_to_name(col)
