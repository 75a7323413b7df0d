"""The review workbook's writer: the Review sheet, one row per input row with an approve
column, sealed; the Summary and hidden sheets come from review/summary.py."""

from __future__ import annotations

import marshal
from typing import TYPE_CHECKING

from ..assess.impact import RISK_ORDER
from ..codes import CODES
from ..read.review_layout import (
    EVIDENCE_COLUMN,
    FORMAT_ID,
    MAX_CELL_CHARS,
    META_SHEET,
    REVIEW_SHEET,
    SUMMARY_SHEET,
    TOKEN_COLUMN,
)
from ..read.words import is_yes
from .carried_state import state_evidence
from .cells import (
    _CHARS_PER_WIDTH,
    _LINE_HEIGHT,
    _WRAPPED,
    RISK_FILLS,
    _lines,
    _Styles,
    _workbook,
)
from .reader import (
    APPROVE_CHOICES,
    APPROVE_YES,
    COUNTED,
    MARKETPLACE,
    NOT_APPROVABLE,
    NOTE,
    ORDER_ID,
    POSITION,
    REVIEW_COLUMNS,
    REVIEW_HEADER,
    SEALED_COLUMNS,
    column_name,
    evidence_text,
)
from .seal import Seal, load_key, new_review_id
from .summary import Judge, _write_meta, _write_summary

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet


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


def build_review(result, stream, judge: Judge) -> None:
    """Write the review workbook of `result` to a binary stream (the caller makes the file)."""
    workbook = _workbook(stream, constant_memory=True)
    workbook.set_properties({"title": "cancelkit review", "comments": FORMAT_ID})
    styles = _Styles(workbook)
    review = workbook.add_worksheet(REVIEW_SHEET)
    summary = workbook.add_worksheet(SUMMARY_SHEET)
    meta = workbook.add_worksheet(META_SHEET)
    market_col = _write_review_header(review, styles, bool(result.markets))
    review_id = new_review_id()
    seal = Seal(load_key(create=True), review_id)
    rows = _ReviewRows(review, styles, result, seal, market_col)
    last = 0
    for last, record in enumerate(_triage(result), start=1):
        rows.write_row(last, record)
    _finish_review_sheet(review, styles, last)
    _write_summary(
        summary,
        styles,
        result,
        rows.approvable,
        rows.pre_approved,
        len(rows.pre_counting),
        rows.too_long,
        live=_live_ranges(market_col, last, rows.counted.orders),
        judge=judge,
    )
    _write_meta(meta, result, review_id, seal)
    review.activate()
    workbook.close()


def _write_review_header(review: Worksheet, styles: _Styles, markets: bool) -> int | None:
    """The Review sheet's columns (widths, formats, the hidden ones) and header row; returns
    the marketplace column a batch whose rows name marketplaces adds (else None)."""
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
    market_col = len(REVIEW_HEADER) if markets else None
    if market_col is not None:
        review.set_column(market_col, market_col, 12)
        review.write_string(0, market_col, MARKETPLACE, styles.header)
    return market_col


def _row_cells(record: dict, plan: tuple[str, str] | None) -> list[str]:
    """The cells a record shows, approve to source (the columns up to `row`)."""
    return [
        _approve_cell(record, plan),
        record["status"],
        record["risk"] or "",
        _yes_no(record["counts_against_rate"]),
        record["order_id"] or "",
        plan[1] if plan else "",
        _issue(record),
        record["amazon_order_item_code"] or "",
        record["reason"] or "",
        record["sku"] or "",
        _buyer_requested(record),
        _problems(record),
        record["note"] or "",
        record["source"],
    ]


def _refuse_overlong(cells: list[str]) -> None:
    """A row with a value longer than a cell holds: never cut, the row cannot be shown whole,
    so it cannot be approved either; each such value is replaced by its length and the row
    is rejected (`value_too_long`)."""
    overlong = [REVIEW_HEADER[i] for i, v in enumerate(cells) if len(v) > MAX_CELL_CHARS]
    for i, value in enumerate(cells):
        if len(value) > MAX_CELL_CHARS:
            cells[i] = f"({len(value):,} characters: too long for a cell, not shown)"
    cells[0], cells[1], cells[2], cells[3] = NOT_APPROVABLE, "rejected", "", ""
    cells[POSITION["problems"]] = (
        f"value_too_long: {', '.join(overlong)} longer than the {MAX_CELL_CHARS:,} "
        "characters a spreadsheet cell holds; shorten it in your source file"
    )


class _ReviewRows:
    """Writes the Review sheet's rows, one per record in triage order, each with its sealed
    evidence and token, and counts what the Summary says of them (approvable, pre-approved,
    the pre-approved counting orders, the rows too long to show)."""

    def __init__(
        self, sheet: Worksheet, styles: _Styles, result, seal: Seal, market_col: int | None
    ) -> None:
        self.sheet, self.styles, self.seal, self.market_col = sheet, styles, seal, market_col
        self.summary = result.summary
        # write_string without its A1-notation wrapper (the same call, ~10% faster on 100,000
        # rows); the public method where an xlsxwriter version lacks the undecorated one
        self.write = getattr(sheet, "_write_string", sheet.write_string)
        self.note_width = int(dict(REVIEW_COLUMNS)[NOTE] * _CHARS_PER_WIDTH)
        self.shown = result.metrics["marketplace"]
        self.states_checked = bool(result.options.orders_reports)
        self.advice = _plan_cells(result)
        self.counted = _CountedOrders(sheet)
        self.approvable = self.pre_approved = self.too_long = 0
        self.pre_counting: set[str] = set()

    def write_row(self, last: int, record: dict) -> None:
        """The sheet row `last` (0-based; the header is row 0) of one record."""
        cells = _row_cells(record, self.advice.get((record["source"], record["row"])))
        if max(map(len, cells)) > MAX_CELL_CHARS:
            self.too_long += 1
            _refuse_overlong(cells)
            _count_as_rejected(self.summary, record)
        approve, status, note = cells[0], cells[1], cells[POSITION[NOTE]]
        self._count(record, approve)
        if note and (len(note) > self.note_width or "\n" in note):
            self.sheet.set_row(last, _LINE_HEIGHT * min(2, _lines(note, self.note_width)) + 2)
        self.counted.write(last, record, status, approve)
        # empty cells are left out; what a person types there gets the default (Text) format
        for col, value in enumerate(cells):
            if value:
                self.write(last, col, value, self.styles.general if col == _APPROVE_AT else None)
        self.sheet.write_number(last, _ROW_AT, record["row"])
        market = record.get("marketplace") or ""
        if self.market_col is not None and market:
            self.write(last, self.market_col, market)
        self._seal(last, record, cells, status, market)

    def _count(self, record: dict, approve: str) -> None:
        if approve != NOT_APPROVABLE:
            self.approvable += 1
            if approve:
                self.pre_approved += 1
                # of a batch spanning several marketplaces, those of the one the rate shows
                shown = self.shown
                if record["counts_against_rate"] and record.get("marketplace", shown) == shown:
                    self.pre_counting.add(record["order_id"])

    def _seal(self, last: int, record: dict, cells: list[str], status: str, market: str) -> None:
        """The row's evidence (what the review showed of it, and the order state it checked)
        and its token, which seals the evidence with the row's source, number and status."""
        state = state_evidence(record) if status == "accepted" else None
        if state is None and self.states_checked and status == "accepted":
            state = {"risk": "none", "flags": []}
        evidence = evidence_text({name: cells[i] for name, i in _SEALED}, market, state)
        self.write(last, _EVIDENCE_AT, evidence)
        token = self.seal.token(record["source"], str(record["row"]), status, evidence)
        self.write(last, _TOKEN_AT, token)


_APPROVE_AT, _ROW_AT = POSITION["approve"], POSITION["row"]
_EVIDENCE_AT, _TOKEN_AT = POSITION[EVIDENCE_COLUMN], POSITION[TOKEN_COLUMN]
_SEALED = [(column, POSITION[column]) for column in SEALED_COLUMNS]


class _CountedOrders:
    """The hidden `counted order` column: the orders whose approval counts, 1 on the first
    approved row of a counting order (its rows are adjacent, see _triage); a formula, so it
    follows the approve column."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.at, self.approve_col = POSITION[COUNTED], column_name(_APPROVE_AT)
        self.key: tuple | None = None
        self.first, self.yes = 0, False
        #: the counting orders the column spans
        self.orders = 0

    def write(self, last: int, record: dict, status: str, approve: str) -> None:
        """The formula of sheet row `last`, on an approvable counting row (else nothing)."""
        if not (
            status == "accepted" and record["counts_against_rate"] and approve != NOT_APPROVABLE
        ):
            self.key = None
            return
        key = (record.get("marketplace") or "", record["order_id"])
        if key != self.key:
            self.key, self.first, self.yes = key, last, False
        approve_col = self.approve_col
        yes = _yes_formula(f"{approve_col}{last + 1}")
        if self.first < last:
            # COUNTIF form even over one cell: a number, compared with 0
            # `yes` only: a second checkbox TRUE of one order counts it twice, which errs
            # on the safe side (the live rate shown higher, never lower)
            earlier = f'COUNTIF({approve_col}{self.first + 1}:{approve_col}{last},"{APPROVE_YES}")'
            yes = f"AND({yes},{earlier}=0)"
        cached = 1 if approve == "yes" and not self.yes else 0
        self.yes = self.yes or approve == "yes"
        self.orders += 1 if last == self.first else 0
        self.sheet.write_formula(last, self.at, f"=IF({yes},1,0)", None, cached)


def _live_ranges(market_col: int | None, last: int, counted_orders: int):
    """The Summary's live figures' ranges: the Review's `counted order` cells, its
    marketplace cells (None: one marketplace), and the number of counting orders."""
    counted_at = POSITION[COUNTED]
    counted = f"{REVIEW_SHEET}!${column_name(counted_at)}$2:${column_name(counted_at)}$"
    counted += str(max(last, 1) + 1)
    market_range = None
    if market_col is not None:
        letter = column_name(market_col)
        market_range = f"{REVIEW_SHEET}!${letter}$2:${letter}${max(last, 1) + 1}"
    return counted, market_range, counted_orders


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


def _yes_formula(cell: str) -> str:
    """A formula that is TRUE when an approve cell says what the reader takes as yes
    (review/reader.py `approve_decision`): `yes` trimmed, in any case, or a checkbox's TRUE;
    in Excel, LibreOffice and Google Sheets alike. `t`, `1`, `x` are not yes here either."""
    return f'IF(ISLOGICAL({cell}),{cell},LOWER(TRIM({cell}))="{APPROVE_YES}")'


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
    result_ref, risk_ref = f"${column_name(result)}2", f"${column_name(risk)}2"
    approve_ref = f"${column_name(approve)}2"
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
    for level, _ in RISK_FILLS:
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
    sheet.ignore_errors({"number_stored_as_text": f"A1:{column_name(last_col)}{bottom + 1}"})
    sheet.repeat_rows(0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer("&LPage &P of &N&R&A")
