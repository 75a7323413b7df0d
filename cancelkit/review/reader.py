"""The review workbook's format, and reading a reviewed workbook back as an input.

`cancelkit review` writes the workbook (review/writer.py); `generate --from-review` reads
only its approved rows. Both sides use the constants here, so the layout has one definition.
The reader finds every column by its header, so columns may be moved (and the writer may
add columns) without touching the seal.

What a person may change in an approved row, and what is refused:

- the approve cell: `yes` or `no` (the drop-down's values, any letter case, spaces around
  ignored) or a real boolean TRUE/FALSE (a checkbox); anything else is not understood and
  the row is not approved (`review_approve_not_understood`, with the cell named);
- the reason and the note may be corrected: the row is validated and assessed again, and
  flagged `review_value_changed` with the value before and after;
- the identity of the row is sealed: order id, item code, SKU, buyer-request evidence,
  marketplace and the row's kind (one item or the whole order); a change is
  `review_identity_edited` and the row is never uploaded;
- the result, source, row, evidence and token cells are the seal itself: a change is
  `review_result_edited` or `review_token_unknown`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..codes import Flag
from ..errors import InputError
from ..read.guards import Limits
from ..read.identity import file_sha256
from ..read.review_layout import (
    EVIDENCE_COLUMN,
    FORMAT_ID,
    MAX_CELL_CHARS,
    META_SHEET,
    REVIEW_SHEET,
    TOKEN_COLUMN,
)
from ..read.table import Table, cell_text
from ..read.xlsx_scan import check_sheet_extent, open_checked_workbook, sheet_parts
from ..version import __version__
from .carried_state import Carried
from .seal import Seal, load_key, reuse_key

TEMPLATE_SHEET = "Cancellations"

#: what the approve column says on rows that cannot be approved (rejected, duplicate)
NOT_APPROVABLE = "n/a"
#: the approve column's drop-down: the one word that approves a row, and the one that does
#: not; a real boolean TRUE (a checkbox) approves too
APPROVE_YES, APPROVE_NO = "yes", "no"
APPROVE_CHOICES = (APPROVE_YES, APPROVE_NO)

# Input column names as Amazon's order reports and flat file spell them (DOMAIN.md 2 and 5);
# columns.py maps each of them to its field.
ORDER_ID = "order-id"
REASON = "cancellation-reason-code"
ITEM_CODE = "amazon-order-item-code"
SKU = "sku"
BUYER_REQUESTED = "is-buyer-requested-cancellation"
NOTE = "note"
#: review columns the reader never reads (advice, labels, the Summary's helper formulas)
PLAN = "plan"
ISSUE = "issue"
COUNTED = "counted order"

#: the Review sheet's columns: (header, width); read_review checks this header set
REVIEW_COLUMNS: tuple[tuple[str, float], ...] = (
    ("approve", 9),
    ("result", 9.5),
    ("risk", 8),
    ("counts against rate", 8.5),
    (ORDER_ID, 20.5),
    # issue 18: the plan's advice and a short label of the problems (one line a row)
    (PLAN, 30),
    (ISSUE, 26),
    (ITEM_CODE, 16.5),
    (REASON, 26),
    (SKU, 22),
    (BUYER_REQUESTED, 11),
    ("problems", 60),
    (NOTE, 26),
    ("source", 16),
    ("row", 5),
    # hidden: 1 on the first row of an approved counting order (the Summary's formulas)
    (COUNTED, 4),
    (EVIDENCE_COLUMN, 4),
    (TOKEN_COLUMN, 4),
)
REVIEW_HEADER: tuple[str, ...] = tuple(name for name, _ in REVIEW_COLUMNS)
#: the column a review of a batch whose rows name marketplaces adds after the others: each
#: row's marketplace, so that `generate --from-review` writes one upload file per marketplace
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
#: the row's identity: sealed, a change is `review_identity_edited` (plus the marketplace
#: and the row's kind, item or whole order)
IDENTITY_COLUMNS: tuple[str, ...] = (ORDER_ID, ITEM_CODE, SKU, BUYER_REQUESTED)
#: what a person may correct in an approved row (validated again, flagged before/after)
CORRECTABLE_COLUMNS: tuple[str, ...] = (REASON, NOTE)
#: every value the evidence cell keeps as the review showed it
SEALED_COLUMNS: tuple[str, ...] = (*IDENTITY_COLUMNS, *CORRECTABLE_COLUMNS)
#: the row's kind as the evidence names it: one item (item code given) or the whole order
KIND_ITEM, KIND_ORDER = "item", "order"


#: why a review row is not read, by code (the JSON's `review_skipped`, the report)
SKIP_WORDS = {
    "review_not_approved": "not approved",
    "review_not_approvable": "{status} in the review: cannot be approved",
    "review_token_missing": "no review token: a row added after the review, never uploaded",
    "review_token_unknown": "review token not issued for this row (the row, its source, row "
    "or evidence cell was changed, or it comes from another review): never uploaded",
    "review_token_reused": "review token on {count} rows (a copied row): none of them is uploaded",
    "review_result_edited": "result cell edited (it was {issued} in the review): never uploaded",
    "review_identity_edited": "sealed cell(s) edited in the review: {changes}; only the reason "
    "and the note may be corrected: never uploaded (correct the source file and write the "
    "review again)",
    "review_approve_not_understood": "approve cell {cell} says {value}, not one of the "
    "drop-down's values (yes, no) nor a checkbox: not approved",
}
#: codes of rows refused because the workbook was tampered with or an approval is not
#: understood (not a person's plain "no"): listed one by one in the JSON's `review_refused`
REFUSED_CODES = frozenset(
    (
        "review_token_missing",
        "review_token_unknown",
        "review_token_reused",
        "review_result_edited",
        "review_identity_edited",
        "review_approve_not_understood",
    )
)


def column_name(col: int) -> str:
    """A spreadsheet column's letters from its 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def shown(value: str) -> str:
    """A cell value quoted, with invisible and control characters escaped so they show."""
    out = []
    for ch in value:
        if ch != " " and unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn"):
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def approve_decision(value) -> str | None:
    """What an approve cell says: "yes", "no", or None when it is not understood. Only the
    drop-down's words (any letter case, spaces around them ignored), an empty cell, the
    `n/a` of rows that cannot be approved, and a real boolean (a checkbox) are understood."""
    if value is True:
        return APPROVE_YES
    if value is False or value is None:
        return APPROVE_NO
    if not isinstance(value, str):
        return None  # a number (1), a date: never a yes
    word = value.strip(" ").lower()
    if word == APPROVE_YES:
        return APPROVE_YES
    if word in ("", APPROVE_NO, NOT_APPROVABLE):
        return APPROVE_NO
    return None


def _digest(value: str) -> dict:
    return {
        "sha256": hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest(),
        "chars": len(value),
    }


def evidence_text(values: dict[str, str], market: str, state: dict | None) -> str:
    """The evidence cell of a review row: its sealed values as the review shows them, its
    marketplace and kind, and the order state the review checked (None: not checked). A
    long note or SKU is kept as its SHA-256 where the whole would not fit in one cell."""
    doc: dict = {
        "values": {name: values.get(name, "") for name in SEALED_COLUMNS},
        "marketplace": market,
        "kind": KIND_ITEM if values.get(ITEM_CODE, "").strip() else KIND_ORDER,
    }
    if state:
        doc["state"] = state
    text = _dump(doc)
    for name in (NOTE, SKU, REASON, BUYER_REQUESTED, ITEM_CODE, ORDER_ID):
        if len(text) <= MAX_CELL_CHARS:
            break
        doc["values"][name] = _digest(doc["values"][name])
        text = _dump(doc)
    return text


def _dump(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _same(original, current: str) -> bool:
    current = current.strip()
    if isinstance(original, dict):
        return _digest(current)["sha256"] == original.get("sha256")
    return isinstance(original, str) and original.strip() == current


def _before(original) -> str:
    if isinstance(original, dict):
        return f"({original.get('chars', 0):,} characters)"
    return shown(str(original))


def _kind_words(kind: str) -> str:
    return "one item" if kind == KIND_ITEM else "the whole order"


def read_review(
    path: str | Path,
    limits: Limits | None = None,
    recheck: bool = False,
    max_age_hours: float = 24.0,
    now: dt.datetime | None = None,
) -> Table:
    """The approved rows of a review workbook as an input table.

    A row is read only when its approve cell says yes (see `approve_decision`), its review
    token (review/seal.py), read in its canonical form, proves that cancelkit wrote the row
    with the status `accepted` and this evidence, no other row carries the same token, and
    its identity cells (order id, item code, SKU, evidence, marketplace, kind) are as the
    review showed them; every other row is listed in `table.skipped` with a code and why.
    A corrected reason or note is noted on the row (`review_value_changed`, before and
    after; `table.review_corrected`) and validated again like any input. Unless `recheck`
    (an order report is given again), the order-state findings the review recorded for a
    row are carried onto it with their risk (`table.row_risk`), and a check older than
    `max_age_hours` is said (`review_state_stale`). A workbook of another cancelkit version
    or with a changed Review header is refused with `InputError`, as is one in which
    nothing can be uploaded. The workbook passes the same defences as any xlsx input (size,
    zip bomb, DOCTYPE, cell budget) first.
    """
    source = str(path)
    sheet_rows, review_id, at, reports = _open_review(source, limits or Limits())
    seal = Seal(load_key(create=False), review_id)
    state_of_reports = seal.verify_facts(reports, source)
    now = now or dt.datetime.now(dt.timezone.utc)
    # bounded by the cell budget checked in _open_review
    rows = _padded_rows(sheet_rows, at)
    carried = None if recheck else Carried(state_of_reports, now, max_age_hours)
    approvals = _Approvals(at, seal, rows, carried)
    # decided before the first row is handed on, so the notes are known to the collector
    taken = approvals.take(rows)
    rows.clear()
    if not taken:
        raise _nothing_approved(source, approvals.skipped)

    digest = file_sha256(source)
    table = Table(
        source,
        approvals.headers,
        iter(taken),
        path=source,
        digest=lambda: digest,
        reopen=lambda: read_review(source, limits, recheck, max_age_hours, now),
        skipped=approvals.skipped,
        from_review=True,
    )
    table.row_flags = approvals.row_flags
    table.row_risk = approvals.row_risk
    table.review_corrected = approvals.corrected
    return table


def _padded_rows(sheet_rows: Iterator[list], at: dict[str, int]) -> list[tuple[object, list[str]]]:
    """Each row below the header: its approve cell's raw value (a checkbox stays a boolean)
    and its cells as text, padded to the Review columns."""
    width = max(at.values()) + 1
    approve = at["approve"]
    rows: list[tuple[object, list[str]]] = []
    for values in sheet_rows:
        raw = values[approve] if approve < len(values) else None
        cells = [cell_text(v) for v in values]
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        rows.append((raw, cells))
    return rows


class _Approvals:
    """read_review's decision on each row of the Review sheet: taken (approved, sealed,
    its identity as the review showed it) or skipped with a code and why; and, of the rows
    taken, the corrections, the flags and the risk floors."""

    def __init__(
        self,
        at: dict[str, int],
        seal: Seal,
        rows: list[tuple[object, list[str]]],
        carried: Carried | None,
    ) -> None:
        self.at, self.seal, self.carried = at, seal, carried
        self.approve, self.result, self.order = at["approve"], at["result"], at[ORDER_ID]
        self.token_at, self.evidence_at = at[TOKEN_COLUMN], at[EVIDENCE_COLUMN]
        self.origin, self.row_at = at["source"], at["row"]
        self.market_at = at.get(MARKETPLACE)
        self.uses = Counter(reuse_key(cells[self.token_at]) for _, cells in rows)
        self.uses.pop("", None)
        self.headers = [name for _, name in INPUT_COLUMNS]
        self.picks = [at[column] for column, _ in INPUT_COLUMNS]
        if self.market_at is not None:
            self.headers.append(MARKETPLACE)
            self.picks.append(self.market_at)
        self.skipped: list[dict] = []
        self.corrected: list[dict] = []
        self.row_flags: dict[int, list[Flag]] = {}
        self.row_risk: dict[int, str] = {}

    def take(self, rows: list[tuple[object, list[str]]]) -> list[tuple[int, list[str]]]:
        """The rows taken, as (row number, input cells); every other row is skipped."""
        taken: list[tuple[int, list[str]]] = []
        for number, (raw, cells) in enumerate(rows, start=2):
            row = self._decide(number, raw, cells)
            if row is not None:
                taken.append(row)
        return taken

    def skip(self, number: int, cells: list[str], code: str, **words) -> None:
        entry = {
            "row": number,
            "order_id": cells[self.order],
            "result": cells[self.result].strip().lower(),
            "approve": cells[self.approve],
            "code": code,
            "why": SKIP_WORDS[code].format(**words),
        }
        if "cell" in words:
            entry["cell"] = f"{words['cell']} {words['value']}"
        self.skipped.append(entry)

    def _decide(self, number: int, raw, cells: list[str]) -> tuple[int, list[str]] | None:
        """One row: its input cells when it is taken; None when it is empty or skipped."""
        if not any(c.strip() for c in cells):
            return None
        sealed = self._sealed(number, raw, cells)
        if sealed is None:
            return None
        doc, originals = sealed
        changes = self._identity_changes(doc, originals, cells)
        if changes:
            self.skip(number, cells, "review_identity_edited", changes="; ".join(changes))
            return None
        flags = self._corrections(number, originals, cells)
        if self.carried is not None:
            floor = self.carried.onto(doc.get("state"), flags)
            if floor is not None:
                self.row_risk[number] = floor
        if flags:
            self.row_flags[number] = flags
        return number, [cells[i] for i in self.picks]

    def _sealed(self, number: int, raw, cells: list[str]) -> tuple[dict, dict] | None:
        """The evidence of an approved row whose token proves it (the evidence document and
        its sealed values); None when the row is skipped (not approved, or not proved)."""
        status = cells[self.result].strip().lower()
        decision = approve_decision(raw)
        if decision is None:
            cell = f"{REVIEW_SHEET}!{column_name(self.approve)}{number}"
            value = shown(cells[self.approve])
            self.skip(number, cells, "review_approve_not_understood", cell=cell, value=value)
            return None
        if decision != APPROVE_YES:
            self.skip(number, cells, "review_not_approved")
            return None
        token = cells[self.token_at]
        key = reuse_key(token)
        if key and self.uses[key] > 1:
            self.skip(number, cells, "review_token_reused", count=self.uses[key])
            return None
        evidence = cells[self.evidence_at]
        check = self.seal.check(token, cells[self.origin], cells[self.row_at], status, evidence)
        if check.code is not None:
            self.skip(number, cells, check.code, issued=check.status)
            return None
        if check.status != "accepted":
            self.skip(number, cells, "review_not_approvable", status=check.status)
            return None
        try:
            doc = json.loads(evidence)
            originals = doc["values"]
        except (ValueError, KeyError, TypeError):  # sealed by us: never, but fail closed
            self.skip(number, cells, "review_token_unknown")
            return None
        return doc, originals

    def _identity_changes(self, doc: dict, originals: dict, cells: list[str]) -> list[str]:
        """The sealed identity cells (and the marketplace, the row's kind) that differ from
        what the review showed, before -> after."""
        at = self.at
        changes = []
        for name in IDENTITY_COLUMNS:
            if not _same(originals.get(name, ""), cells[at[name]]):
                before = _before(originals.get(name, ""))
                changes.append(f"{name} {before} -> {shown(cells[at[name]])}")
        market = cells[self.market_at] if self.market_at is not None else ""
        if not _same(doc.get("marketplace", ""), market):
            before = _before(doc.get("marketplace", ""))
            changes.append(f"{MARKETPLACE} {before} -> {shown(market)}")
        kind = KIND_ITEM if cells[at[ITEM_CODE]].strip() else KIND_ORDER
        if kind != doc.get("kind"):
            changes.append(f"kind {_kind_words(str(doc.get('kind')))} -> {_kind_words(kind)}")
        return changes

    def _corrections(self, number: int, originals: dict, cells: list[str]) -> list[Flag]:
        """The row's flags for a corrected reason or note (`review_value_changed`), each
        correction also kept, before and after, for `table.review_corrected`."""
        at = self.at
        flags: list[Flag] = []
        fixes = []
        for name in CORRECTABLE_COLUMNS:
            before = originals.get(name, "")
            if not _same(before, cells[at[name]]):
                fixes.append(f"{name} {_before(before)} -> {shown(cells[at[name]])}")
                self.corrected.append(
                    {
                        "row": number,
                        "order_id": cells[self.order],
                        "column": name,
                        "before": before if isinstance(before, str) else _before(before),
                        "after": cells[at[name]],
                    }
                )
        if fixes:
            words = "corrected in the review: " + "; ".join(fixes)
            flags.append(Flag("review_value_changed", words))
        return flags


def _nothing_approved(source: str, skipped: list[dict]) -> InputError:
    """The error of a review in which no row can be uploaded, with the refusals counted."""
    refused = Counter(e["code"] for e in skipped if e["code"] in REFUSED_CODES)
    detail = ", ".join(f"{code} {n}" for code, n in sorted(refused.items()))
    return InputError(
        f"{source}: no row of the Review sheet can be uploaded: none is approved "
        "(approve = yes)"
        + (f" with a valid review token (refused: {detail})" if detail else "")
        + "; nothing to upload",
        code="review_nothing_approved",
    )


#: the hidden sheet's keys of the order reports the review checked, and their seal
FACTS_KEY, FACTS_SEAL_KEY = "order-state-evidence", "order-state-evidence-seal"


def _open_review(
    source: str, limits: Limits
) -> tuple[Iterator[list], str, dict[str, int], tuple[str, str] | None]:
    """Check that a file is a review workbook of this cancelkit version with the Review
    header's columns all there (in any order); returns the rows below the header, the
    review's id, each column's position by header, and the sealed order-state facts."""
    workbook, facts = _open_meta(source, limits)
    review_id = _review_id(source, facts)
    state = None
    if FACTS_KEY in facts or FACTS_SEAL_KEY in facts:
        state = (facts.get(FACTS_KEY, ""), facts.get(FACTS_SEAL_KEY, ""))
    try:
        rows = iter(workbook.get_sheet_by_name(REVIEW_SHEET).to_python(skip_empty_area=False))
        header: list = next(rows, [])
    except Exception as exc:
        raise InputError(
            f"{source}: cannot read the {REVIEW_SHEET} sheet ({exc})", code="workbook_unreadable"
        ) from exc
    return rows, review_id, _header_positions(source, header), state


def _open_meta(source: str, limits: Limits) -> tuple[Any, dict[str, str]]:
    """The workbook, once it passed the xlsx defences and has the hidden and the Review
    sheets, and the hidden sheet's facts (key -> value)."""
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
    facts = {cell_text(r[0]).strip(): cell_text(r[1]) for r in meta if len(r) >= 2}
    return workbook, facts


def _review_id(source: str, facts: dict[str, str]) -> str:
    """The review's id, once the hidden sheet shows this format and this cancelkit version."""
    if facts.get("format", "").strip() != FORMAT_ID:
        raise InputError(
            f"{source}: unknown review workbook format '{facts.get('format', '').strip()}' "
            f"(this cancelkit reads {FORMAT_ID}); write the review again with `cancelkit "
            "review`",
            code="review_format",
        )
    written_by = facts.get("cancelkit-version", "").strip()
    if written_by != __version__:
        raise InputError(
            f"{source}: written by cancelkit {written_by or '(unknown)'}, this is cancelkit "
            f"{__version__}; write the review again with this version (`cancelkit review`)",
            code="review_format",
        )
    review_id = facts.get("review-id", "").strip()
    if not review_id:
        raise InputError(
            f"{source}: the review id in the hidden {META_SHEET} sheet is missing; write the "
            "review again with `cancelkit review`",
            code="review_format",
        )
    return review_id


def _header_positions(source: str, header: list) -> dict[str, int]:
    """Each Review column's position by its header; a header row that is not the Review's
    columns (one missing, one unknown or twice) is refused."""
    found = [cell_text(v).strip() for v in header]
    while found and not found[-1]:
        found.pop()
    at: dict[str, int] = {}
    for col, name in enumerate(found):
        at.setdefault(name, col)
    problem = _header_problem(found, at)
    if problem is not None:
        raise InputError(
            f"{source}: the header row of the {REVIEW_SHEET} sheet was changed ({problem}); "
            "restore it or write the review again, as cancelkit reads the columns by their "
            "headers",
            code="review_header",
        )
    return at


def _header_problem(found: list[str], at: dict[str, int]) -> str | None:
    """What is wrong with a header row (the first column not a Review column or twice, the
    first column missing), None when it has the Review's columns."""
    expected = set(REVIEW_HEADER)
    problem = None
    missing = [name for name in REVIEW_HEADER if name not in at]
    extra = [
        (col, name)
        for col, name in enumerate(found)
        if name not in expected and name != MARKETPLACE or at.get(name) != col
    ]
    if extra:
        col, name = extra[0]
        problem = (
            f"column {column_name(col)} '{name}' is not a Review column"
            if name not in expected and name != MARKETPLACE
            else f"column {column_name(col)} '{name}' twice"
        )
        if missing:
            problem += f"; no column '{missing[0]}'"
    elif missing:
        problem = f"no column '{missing[0]}'"
    return problem
