"""The verdict on a batch, in words: the verdict dict, the gate, the hints and the report
context (the terminal summary is write/terminal.py)."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Literal

from ..amazon import policy
from ..assess.budget import risk_key
from ..codes import CODES
from ..version import __version__

#: listings at risk the report shows before it only counts (the JSON has them all)
REPORT_LISTINGS = 200


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.2f}%"


@dataclass(frozen=True)
class Verdict:
    """The verdict on a batch: its level, a title and one or two sentences."""

    level: Literal["ok", "warning", "danger"]
    title: str
    text: str


def verdict(result) -> Verdict:
    """level ("ok", "warning", "danger"), a title and one or two sentences."""
    summary, metrics = result.summary, result.metrics
    counting = summary["counting_orders"]
    target = _pct(metrics["threshold"])
    over = result.over_threshold()
    if over:
        by_market = result.metrics_by_marketplace
        where, rate_of = "", "7-day rate"
        if by_market:
            metrics = by_market[over[0]]
            target = _pct(metrics["threshold"])
            where = f" in {', '.join(over)}"
            rate_of = f"{metrics['window_days']}-day rate in {over[0]}"
        found = result.budget.get(metrics["marketplace"], {})
        over_by = ""
        if found.get("fit") is not None and found.get("over_by"):
            over_by = f" That is {found['over_by']} counting order(s) too many: {found['text']}."
        return Verdict(
            level="danger",
            title=f"This batch puts your Cancellation Rate{where} over the {target} target",
            text=(
                f"After this batch the {rate_of} would be {_pct(metrics['rate_after'])} "
                f"(before: {_pct(metrics['rate_before'])}). {counting} order(s) in it count "
                f"against the rate.{over_by} Remove or postpone some (approve fewer rows in a "
                "review), or get buyers to request the cancellation on Amazon."
            ),
        )
    medium = summary["risk"].get("medium", 0)
    if counting or medium or result.listing_risks or summary["rejected"]:
        parts = []
        if counting:
            parts.append(f"{counting} order(s) will count against your Cancellation Rate")
        if metrics.get("rate_after") is not None:
            parts.append(
                f"the rate would be {_pct(metrics['rate_after'])} against the {target} target "
                f"({metrics['headroom_orders']} more counting order(s) fit under it)"
            )
        if result.listing_risks:
            parts.append(f"{len(result.listing_risks)} listing(s) risk deactivation")
        if summary["rejected"]:
            parts.append(f"{summary['rejected']} row(s) were rejected and are not in the upload")
        title = (
            f"Review before upload: {counting} order(s) count against your rate"
            if counting
            else "Review before upload"
        )
        return Verdict(level="warning", title=title, text="; ".join(parts) + ".")
    return Verdict(
        level="ok",
        title="Safe to upload: nothing in this batch counts against your rate",
        text="Every cancellation is a buyer-requested BuyerCanceled or otherwise standard.",
    )


#: why approved review rows should meet a fresh order report before upload
STATES_UNCHECKED = (
    "the approved rows were not checked against a current order report: an order that shipped "
    "or was cancelled since the review would go into the upload file. Pass --orders-report "
    "with a freshly downloaded Unshipped Orders report (or `cancelkit fetch-orders`)."
)
#: the command that fetches current order data, for every run without it
FETCH_ORDERS_COMMAND = "cancelkit fetch-orders -o orders.txt"
#: why a run without current order data is said every time (issue 18)
STATES_NOT_CHECKED = (
    "order states not checked: without current order data, shipped, cancelled and pending "
    "orders go into the upload file like cancellable ones. Download the Unshipped Orders "
    "report from Seller Central, or run `" + FETCH_ORDERS_COMMAND + "`, and pass it with "
    "--orders-report."
)


def states_unchecked(result) -> str | None:
    """The warning for a run without current order data (no order report, no fetch-orders
    file), worded for `generate --from-review` when the rows come from a review; else None."""
    options = result.options
    if options.orders_reports:
        return None
    if options.from_review:
        return STATES_UNCHECKED
    return STATES_NOT_CHECKED


def cancels_note(source: str | None, option: str = "--cancels-7d") -> str | None:
    """What to say of the earlier seller cancellations' figure when it is not Amazon's own:
    unknown, or only the ledger's partial view (it knows the batches cancelkit recorded, not
    cancellations made in Seller Central or Amazon's auto-cancellations)."""
    if source is None:
        return f"0 assumed: give {option} N from Account Health"
    if "ledger (no batches yet)" in source:
        return f"the ledger has no batches yet: give {option} from Account Health"
    if source.startswith("ledger") or source.startswith("the review (ledger"):
        return (
            "only the ledger's partial view (the batches cancelkit recorded, not cancellations "
            f"made in Seller Central or by Amazon): give {option} from Account Health"
        )
    return None


def figure_lines(metrics: dict) -> list[str]:
    """Where each figure of a rate comes from, for the terminal (the report shows the same)."""
    orders, cancels = metrics["orders_in_window"], metrics["seller_cancels_in_window"]
    lines = []
    if orders is None:
        lines.append("  orders in the window: unknown (pass --orders-7d N)")
    else:
        lines.append(f"  orders in the window: {orders} (from {metrics.get('orders_source')})")
    note = cancels_note(metrics.get("cancels_source"))
    shown = "unknown" if cancels is None else str(cancels)
    where = f" (from {metrics['cancels_source']})" if metrics.get("cancels_source") else ""
    line = f"  earlier seller cancellations: {shown}{where}"
    if note and cancels is None:
        line += f", {note}"
    elif note:
        line += f"; PARTIAL: {note}"
    lines.append(line)
    return lines


def unprojected_line(result) -> str | None:
    """The first line of the summary of a batch with counting orders whose rate cannot be
    projected (no order volume): not stopped, but said first."""
    unknown = [
        (code, b["counting_orders"])
        for code, b in result.budget.items()
        if b["fit"] is None and b["counting_orders"]
    ]
    if not unknown:
        return None
    what = ", ".join(f"{n} in {code}" for code, n in unknown)
    return (
        f"RATE NOT PROJECTED: counting orders ({what}) and no order volume, so the batch was not "
        "checked against the target; pass --orders-7d N (all orders of the last 7 days)"
    )


def hints(result) -> list[str]:
    """What the user can pass to get figures the report could not compute, and the order
    report that approved review rows should meet."""
    metrics = result.metrics
    unchecked = states_unchecked(result)
    found = [unchecked[0].upper() + unchecked[1:]] if unchecked else []
    by_market = result.metrics_by_marketplace
    if by_market:
        unknown = [code for code, m in by_market.items() if not m.get("orders_in_window")]
        if unknown:
            found.append(
                f"Pass --orders-7d {','.join(f'{code}=N' for code in unknown)} (all your "
                "seller-fulfilled orders of the last 7 days on each marketplace, including the "
                "ones this batch cancels) to see each marketplace's projected Cancellation Rate."
            )
        if any(m.get("seller_cancels_in_window") is None for m in by_market.values()):
            found.append(
                "Pass --cancels-7d CODE=N,... (seller cancellations already in the last 7 days "
                "on each marketplace) for the rates before this batch; without it 0 is assumed."
            )
        return found
    if not metrics.get("orders_in_window"):
        found.append(
            "Pass --orders-7d N (all your seller-fulfilled orders of the last 7 days, including "
            "the ones this batch cancels) to see the projected Cancellation Rate."
        )
    if metrics.get("seller_cancels_in_window") is None:
        found.append(
            "Pass --cancels-7d N (seller cancellations already in the last 7 days) for the rate "
            "before this batch; without it 0 is assumed."
        )
    else:
        note = cancels_note(metrics.get("cancels_source"))
        if note:
            found.append(f"Earlier seller cancellations: {note}.")
    return found


def over_target_reason(result) -> str:
    """Why an over-target batch wrote no upload file: how much is over and the two ways on."""
    over = result.over_target()
    budgets = result.budget
    parts = []
    for code in over:
        found = budgets.get(code, {})
        metrics = (result.metrics_by_marketplace or {}).get(code, result.metrics)
        parts.append(
            f"{code} {_pct(metrics['rate_after'])} against a target under "
            f"{_pct(metrics['threshold'])}, {found.get('over_by')} counting order(s) over "
            f"(approve at most {found.get('fit')} of {found.get('counting_orders')})"
        )
    return (
        f"over the target: {'; '.join(parts)}; no upload file was written. Two ways on: approve "
        "fewer rows in a review (`cancelkit review INPUT -o review.xlsx`, then `cancelkit "
        "generate --from-review review.xlsx`), or pass --allow-over-target to write it anyway"
    )


def gate(result) -> dict:
    fail_on = result.options.fail_on
    tripped = result.gate_tripped()
    reason = None
    blocked = result.over_target_blocked()
    if blocked:
        reason = over_target_reason(result)
    elif tripped:
        over = result.over_threshold()
        if over and result.metrics_by_marketplace:
            reason = (
                f"the batch puts the rate of {', '.join(over)} over the target; no upload "
                "file was written"
            )
        elif over:
            reason = "the batch puts the rate over the target; the upload file was not written"
        else:
            reason = f"records at risk level {fail_on} or higher; the upload file was not written"
    return {
        "fail_on": fail_on,
        "tripped": tripped,
        "reason": reason,
        "over_target": bool(blocked),
        "allowed_over_target": bool(result.options.allow_over_target and result.over_target()),
    }


#: refused review rows the report lists (the JSON lists them all)
REPORT_REFUSED = 500
#: approve cells not understood, and corrected values, the terminal summary names
SUMMARY_CELLS = 5


def explanations(codes) -> list[dict]:
    return [
        {"code": code, "title": CODES[code].title, "text": CODES[code].explanation}
        for code in codes
        if code in CODES
    ]


def report_context(result) -> dict:
    """Everything the report templates show (see templates/report.html.j2)."""
    summary = dict(result.summary)
    rejected_codes = list(summary.get("rejected_by_code", {}))
    flagged, flagged_exact = _triaged_flagged(result)
    rejected = [_public(r) for r in result.rejected_listed]
    return {
        "tool": {"name": "cancelkit", "version": __version__},
        "generated_at": result.generated_at.isoformat().replace("+00:00", "Z"),
        "inputs": result.inputs,
        "summary": summary,
        "metrics": result.metrics,
        "markets": result.market_rows(),
        "rate_counting_orders": result.rate_counting_orders,
        "verdict": verdict(result),
        "gate": gate(result),
        "hints": hints(result),
        "listing_risks": result.listing_risks[:REPORT_LISTINGS],
        "listing_risks_more": max(0, len(result.listing_risks) - REPORT_LISTINGS),
        "listing_rule": (
            f"Amazon may deactivate a listing after {policy.LISTING_RISK_CANCELLATIONS} "
            f"seller cancellations within {policy.LISTING_WINDOW_DAYS} days."
        ),
        "flagged": flagged,
        "flagged_more": result.flagged_more,
        # the listed rows are the highest risks of the whole batch (records kept), or of the
        # first REPORT_CAP flagged rows of the input (a run that kept no records)
        "flagged_exact": flagged_exact,
        "states_checked": result.states_checked,
        "states_warning": states_unchecked(result),
        "cancels_note": cancels_note(result.metrics.get("cancels_source")),
        "unprojected": unprojected_line(result),
        "budget": list(result.budget.values()),
        "plan": _report_plan(result),
        "listing_risks_total": len(result.listing_risks),
        "rejected": rejected,
        "rejected_more": max(0, summary["rejected"] - len(rejected)),
        "review_refused": result.review_refused[:REPORT_REFUSED],
        "review_refused_more": max(0, len(result.review_refused) - REPORT_REFUSED),
        "review_corrected": result.review_corrected[:REPORT_REFUSED],
        "review_corrected_more": max(0, len(result.review_corrected) - REPORT_REFUSED),
        "explanations": explanations(
            dict.fromkeys(
                [
                    *result.flag_codes,
                    *rejected_codes,
                    *dict.fromkeys(e["code"] for e in result.review_refused),
                    "counts_against_rate",
                ]
            )
        ),
        "outputs": dict(result.outputs),
    }


#: plan rows the report lists of each kind (the JSON and the review have them all)
REPORT_PLAN = 200


def _report_plan(result) -> dict:
    found = dict(result.plan())
    if found.get("complete"):
        for key in ("send", "hold"):
            rows = found[key]
            if key == "send":  # the rows that do not count are counted, not listed
                rows = [r for r in rows if r["counts_against_rate"]]
                found["send_not_counting"] = found["send_rows"] - len(rows)
            found[f"{key}_more"] = max(0, len(rows) - REPORT_PLAN)
            found[key] = rows[:REPORT_PLAN]
    return found


def _triaged_flagged(result) -> tuple[list[dict], bool]:
    """The flagged records the report lists, the highest risk first, then counting rows,
    then input order; whether they are the highest of the whole batch."""

    def key(entry: dict) -> tuple:
        return (*risk_key(entry), entry.get("seq") or 0)

    if result.flagged_more and result.keeps_records:
        found = heapq.nsmallest(
            len(result.flagged),  # as many as the collector lists
            (
                {**r, "seq": n}
                for n, r in enumerate(result.iter_records())
                if r["status"] == "accepted" and r["risk"] not in (None, "none")
            ),
            key=key,
        )
        return [_public(r) for r in found], True
    return [_public(r) for r in sorted(result.flagged, key=key)], not result.flagged_more


def _public(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "seq"}
