"""The review workbook's writer: the Review sheet, one row per input row with an approve
column, sealed; the Summary and hidden sheets come from review/summary.py."""

from __future__ import annotations

import marshal

from xlsxwriter.worksheet import Worksheet

from ..assess.impact import RISK_ORDER, assessment_for
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
from .cells import (
    _CHARS_PER_WIDTH,
    _LINE_HEIGHT,
    _WRAPPED,
    RISK_FILLS,
    _column_letter,
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
    STATE_FLAG_CODES,
    STATE_FLAG_PREFIXES,
    evidence_text,
)
from .seal import Seal, load_key, new_review_id
from .summary import Judge, _write_meta, _write_summary


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
        judge=judge,
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
    sheet.ignore_errors({"number_stored_as_text": f"A1:{_column_letter(last_col)}{bottom + 1}"})
    sheet.repeat_rows(0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer("&LPage &P of &N&R&A")
