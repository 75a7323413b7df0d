"""The review workbook's Summary sheet (rate projection, verdict, gate, budget) and its
hidden `_cancelkit` sheet (format, id, figures, sealed order-report facts)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..read.identity import file_sha256
from ..read.review_figures import FIGURES_KEY
from ..read.review_layout import (
    FORMAT_ID,
    SUMMARY_TITLE,
)
from ..version import __version__
from .cells import (
    _CHARS_PER_WIDTH,
    _LINE_HEIGHT,
    _lines,
    _Styles,
)
from .reader import (
    FACTS_KEY,
    FACTS_SEAL_KEY,
    NOT_APPROVABLE,
)
from .seal import Seal

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet


#: what the Summary says when the order states were not checked
@dataclass(frozen=True)
class Judge:
    """The gate's words on a result, handed in by the caller (write/verdict.py): the review
    sits below write and must not import it."""

    verdict: Callable[[Any], Any]  # a write.verdict.Verdict (level, title, text)
    gate: Callable[[Any], dict]
    hints: Callable[[Any], list[str]]
    cancels_note: Callable[[str | None], str | None]
    fetch_orders_command: str

    def fetch_hint(self) -> str:
        """What the Summary says when the order states were not checked."""
        return (
            "shipped, cancelled and pending orders cannot be told apart from cancellable ones. "
            "Pass --orders-report with a fresh Unshipped Orders report (or "
            f"`{self.fetch_orders_command}`)."
        )


def _write_summary(
    sheet: Worksheet,
    styles: _Styles,
    result,
    approvable: int,
    pre_approved: int,
    pre_counting_orders: int,
    too_long: int = 0,
    live: tuple[str, str | None, int] | None = None,
    *,
    judge: Judge,
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
    out = _Lines(sheet, styles, int(value_width * _CHARS_PER_WIDTH))
    found = judge.verdict(result)
    state = judge.gate(result)
    sheet.set_row(0, 22)
    budgets = _write_heading(out, result, found, judge)
    _write_batch(out, result.summary, approvable, pre_approved, too_long)
    _write_marketplaces(out, result.market_rows())
    _write_rate(out, result, budgets, pre_counting_orders, live, judge)
    _write_listing_risks(out, result.listing_risks)
    _write_gate(out, state)
    out.section("How to use this workbook")
    for step, text in enumerate(_HOW_TO, start=1):
        out.line(f"{step}.", text)
    out.section("Inputs")
    for source in result.inputs:
        out.line(source["path"], f"{source['rows']} rows, sha256 {source['sha256'] or 'n/a'}")
    out.line("written by", f"cancelkit {__version__}, {result.generated_at.isoformat()}")


class _Lines:
    """The Summary sheet written a line at a time, top to bottom: a label in column A, its
    value in column B (text wrapped to its lines, a number, a percentage, or a formula)."""

    def __init__(self, sheet: Worksheet, styles: _Styles, per_line: int) -> None:
        self.sheet, self.styles, self.per_line = sheet, styles, per_line
        self.row = 0

    def formula(self, label: str, text: str, cached, fmt) -> str:
        """A line whose value is a formula; returns its cell's absolute reference."""
        self.sheet.write_string(self.row, 0, label)
        self.sheet.write_formula(self.row, 1, text, fmt, cached)
        self.row += 1
        return f"$B${self.row}"

    def line(self, label: str, value=None, fmt=None, value_fmt=None) -> None:
        sheet, row, styles = self.sheet, self.row, self.styles
        sheet.write_string(row, 0, label, fmt)
        if isinstance(value, str):
            lines = _lines(value, self.per_line)
            if lines > 1:
                sheet.set_row(row, _LINE_HEIGHT * lines + 2)
            sheet.write_string(row, 1, value, value_fmt)
        elif isinstance(value, float):
            sheet.write_number(row, 1, value, styles.percent)
        elif isinstance(value, int):
            sheet.write_number(row, 1, value, styles.number)
        elif fmt is styles.section:
            sheet.write_blank(row, 1, None, fmt)
        self.row += 1

    def section(self, title: str) -> None:
        self.row += 1
        self.line(title, fmt=self.styles.section)


def _rate(value: float | None) -> float | str:
    return "unknown: pass --orders-7d N" if value is None else value


def _write_heading(out: _Lines, result, found, judge: Judge) -> dict[str, dict]:
    """The title, the verdict, the budget, the plan and whether the states were checked;
    returns the budget (per marketplace) the rate section uses again."""
    out.line(SUMMARY_TITLE, fmt=out.styles.title)
    out.line("verdict", found.title, value_fmt=out.styles.verdict[found.level])
    out.line("", found.text)
    budgets = result.budget
    for code, entry in budgets.items():
        out.line(f"budget ({code}, before anything is approved)", entry["text"])
    plan = result.plan()
    if plan.get("complete"):
        out.line(
            "plan (advice; the approve column is pre-filled with it)",
            f"approve {plan['send_counting_orders']} counting order(s) now, hold "
            f"{plan['hold_counting_orders']}; each row's reason is in the plan column. A yes "
            "the plan pre-filled and you leave is your approval; clear it to leave the row out.",
        )
    if not result.states_checked:
        out.line("order states", "NOT checked against current order data: " + judge.fetch_hint())
    return budgets


def _write_batch(
    out: _Lines, summary: dict, approvable: int, pre_approved: int, too_long: int
) -> None:
    """The Batch section: the rows and orders, and the rows waiting for a decision."""
    out.section("Batch")
    out.line("rows read", summary["input_rows"])
    out.line("accepted (can be approved)", summary["accepted"])
    out.line("rejected (cannot be approved; see the problems column)", summary["rejected"])
    out.line("duplicates (cannot be approved)", summary["duplicates"])
    if too_long:
        out.line("not approvable: a value too long for a cell (value_too_long)", too_long)
    out.line("pre-approved: yes filled in (risk none, or within the plan's budget)", pre_approved)
    out.line("flagged: waiting for your yes or no", approvable - pre_approved)
    out.line("orders", summary["orders"])
    out.line("orders counting against the rate", summary["counting_orders"])


def _write_marketplaces(out: _Lines, markets: list[dict]) -> None:
    """A batch spanning several marketplaces: each one's rows and rate against its target."""
    if not markets:
        return
    out.section("Marketplaces (each against its own target; one upload file each)")
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
        out.line(
            f"{market['marketplace']} ({market['name']})",
            f"{market['accepted']} row(s), {market['orders']} order(s), "
            f"{market['counting_orders']} counting; {rate_text}",
        )


def _write_rate(
    out: _Lines,
    result,
    budgets: dict[str, dict],
    pre_counting_orders: int,
    live: tuple[str, str | None, int] | None,
    judge: Judge,
) -> None:
    """The Cancellation Rate section: the target, the window, the rate before, with the
    pre-approved rows, as approved so far (live), and with every flagged row; the hints."""
    metrics = result.metrics
    out.section(
        f"Cancellation Rate ({metrics['window_days']}-day window, marketplace "
        f"{metrics['marketplace']})"
    )
    out.line("target: a rate under", metrics["threshold"])
    orders = metrics["orders_in_window"]
    out.line("orders in the window", "unknown" if orders is None else orders)
    cancels = metrics["seller_cancels_in_window"]
    out.line(
        "seller cancellations already in the window",
        "unknown, 0 assumed" if cancels is None else cancels,
    )
    note = judge.cancels_note(metrics.get("cancels_source"))
    if note and cancels is not None:
        out.line("", f"earlier cancellations: {note}")
    out.line("rate before this batch", _rate(metrics["rate_before"]))
    only = result.project(pre_counting_orders)
    out.line("rate if you approve only the pre-approved rows", _rate(only["rate_after"]))
    shown = metrics["marketplace"]
    fit = budgets.get(shown, {}).get("fit")
    if live is not None and orders:
        _write_live_rate(out, live, shown, cancels or 0, orders, fit, pre_counting_orders)
    out.line("rate if you approve every flagged row too", _rate(metrics["rate_after"]))
    if metrics["over_threshold"] is not None:
        out.line(
            "over the target when every flagged row is approved",
            "yes: leave some flagged rows out" if metrics["over_threshold"] else "no",
        )
        out.line(
            "further counting orders that fit after every flagged row is approved",
            metrics["headroom_orders"],
        )
    for hint in judge.hints(result):
        out.line("", hint)


def _write_live_rate(
    out: _Lines,
    live: tuple[str, str | None, int],
    shown: str,
    before: int,
    orders: int,
    fit: int | None,
    pre_counting_orders: int,
) -> None:
    """The counting orders approved so far, the rate after them and the budget left, as
    formulas over the Review's `counted order` column (of the marketplace shown)."""
    counted, market_range, _ = live
    approved = f"SUM({counted})"
    if market_range is not None:
        approved = f'SUMIFS({counted},{market_range},"{shown}")'
    cell = out.formula(
        "counting orders approved so far (updates as you fill in approve)",
        f"={approved}",
        pre_counting_orders,
        out.styles.number,
    )
    out.formula(
        "rate after the rows approved so far",
        f"=({before}+{cell})/{orders}",
        (before + pre_counting_orders) / orders,
        out.styles.percent,
    )
    if fit is not None:
        out.formula(
            "budget left: counting orders you can still approve",
            f"=MAX(0,{fit}-{cell})",
            max(0, fit - pre_counting_orders),
            out.styles.number,
        )
        out.formula(
            "over the target with the rows approved so far",
            f'=IF({cell}>{fit},"YES: approve fewer counting rows","no")',
            "YES: approve fewer counting rows" if pre_counting_orders > fit else "no",
            None,
        )


def _write_listing_risks(out: _Lines, listing_risks: list[dict]) -> None:
    """The listings at risk of deactivation, each with the orders that cancel it."""
    if not listing_risks:
        return
    out.section("Listings at risk of deactivation")
    for risk in listing_risks:
        orders = ", ".join(risk["order_ids"])
        more = risk["seller_cancellations_30d"] - len(risk["order_ids"])
        if more > 0:  # the ids are cut at the ledger's LISTED_ORDERS
            orders += f" and {more} more (filter the Review sheet's sku column for them)"
        out.line(risk["sku"], f"{risk['seller_cancellations_30d']} cancellations: {orders}")


def _write_gate(out: _Lines, state: dict) -> None:
    """The Risk gate section: --fail-on, whether the gate trips, over the target."""
    out.section("Risk gate")
    out.line("--fail-on", state["fail_on"])
    out.line("gate", "tripped: " + state["reason"] if state["tripped"] else "passes")
    if state["over_target"]:
        out.line(
            "over the target",
            "with every flagged row approved the batch is over the target: `generate "
            "--from-review` writes no upload file until you approve fewer counting rows (the "
            "budget above), or you pass --allow-over-target",
        )


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
