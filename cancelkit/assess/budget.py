"""The approval budget and the proposed plan: how many counting orders still fit under the
target before anything is approved, and which counting rows to approve first.

The budget is the marketplace's headroom with the figures before the batch (docs/domain.md
section 3: the rate counts orders, the target is a rate strictly under the threshold). The
plan is advice for the person who approves (the review workbook pre-fills it; nothing is
uploaded without their yes): rows that do not count always go; of the counting orders, those
Amazon would auto-cancel soonest go first (they count anyway), then those that keep their
listing under its 30-day limit, then input order; the orders beyond the budget are held.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from ..amazon import policy
from .impact import RISK_ORDER, project_rate


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def budget_of(metrics: dict, counting_orders: int, market: policy.Marketplace) -> dict:
    """The approval budget of one marketplace: how many of the batch's `counting_orders`
    fit under its target with the figures before the batch (`fit` None when the order volume
    is unknown), and the sentence that says so."""
    code, threshold = metrics["marketplace"], metrics["threshold"]
    before = project_rate(
        0, metrics["orders_in_window"], metrics["seller_cancels_in_window"], market
    )
    fit = before["headroom_orders"]
    target = f"under {_pct(threshold)} ({code})"
    if fit is None:
        text = (
            f"budget unknown: pass --orders-7d N to know how many of the {counting_orders} "
            f"counting order(s) fit {target}"
        )
    elif fit == 0 and counting_orders:
        text = (
            f"approve none of the {counting_orders} counting order(s): no counting order fits "
            f"{target} with the figures before this batch"
        )
    elif fit < counting_orders:
        text = f"approve at most {fit} of the {counting_orders} counting order(s) to stay {target}"
    else:
        text = f"all {counting_orders} counting order(s) fit {target}; room for {fit} in all"
    return {
        "marketplace": code,
        "threshold": threshold,
        "counting_orders": counting_orders,
        "fit": fit,
        "over_by": None if fit is None else max(0, counting_orders - fit),
        "text": text,
    }


def _auto_cancel_rank(entry: dict) -> int:
    """0 for an order Amazon marks as close to automatic cancellation, 1 for one past its
    ship-by date, 2 otherwise (Amazon auto-cancels a late order, which counts as well)."""
    codes = {flag["code"] for flag in entry.get("flags") or ()}
    if "verge_of_cancellation" in codes:
        return 0
    if "past_ship_by" in codes:
        return 1
    return 2


def make_plan(
    entries: Iterable[dict],
    budgets: dict[str, dict],
    default_market: str,
    earlier_listings: dict[str, int] | None = None,
) -> dict:
    """The proposed plan over the accepted records (`entries`, record dicts in input order):
    `send` (in the order to approve them) and `hold`, each row with its `why`."""
    earlier = dict(earlier_listings or {})
    send, orders = _split_counting(entries, default_market)
    hold: list[dict] = []
    # one decision per order: the rate counts orders, an order's items go or stay together
    by_market: dict[str, list[list[dict]]] = {}
    for (market, _), rows in orders.items():
        by_market.setdefault(market, []).append(rows)
    for market, groups in sorted(by_market.items()):
        _plan_market(market, groups, budgets.get(market, {}), earlier, send, hold)
    for row in (*send, *hold):
        for key in ("_position", "_sku", "_auto"):
            row.pop(key, None)
    return {
        "advice_only": True,
        "send": send,
        "hold": hold,
        "send_rows": len(send),
        "hold_rows": len(hold),
        "send_counting_orders": len(
            {(r["marketplace"], r["order_id"]) for r in send if r["counts_against_rate"]}
        ),
        "hold_counting_orders": len(
            {(r["marketplace"], r["order_id"]) for r in hold if r["counts_against_rate"]}
        ),
    }


def _plan_row(entry: dict, position: int, market: str) -> dict:
    """The plan's row of an accepted record, with the private keys the ranking uses."""
    return {
        "source": entry["source"],
        "row": entry["row"],
        "order_id": entry["order_id"],
        "amazon_order_item_code": entry["amazon_order_item_code"],
        "marketplace": market,
        "counts_against_rate": bool(entry["counts_against_rate"]),
        "risk": entry["risk"],
        "_position": position,
        "_sku": (entry.get("sku") or "").strip(),
        "_auto": _auto_cancel_rank(entry),
    }


def _split_counting(
    entries: Iterable[dict], default_market: str
) -> tuple[list[dict], dict[tuple[str, str], list[dict]]]:
    """The accepted rows that do not count (they always go, with their `why`) and the
    counting rows grouped by (marketplace, order id), in input order."""
    send: list[dict] = []
    orders: dict[tuple[str, str], list[dict]] = {}
    for position, entry in enumerate(entries):
        if entry.get("status", "accepted") != "accepted":
            continue
        market = entry.get("marketplace") or default_market
        row = _plan_row(entry, position, market)
        if not entry["counts_against_rate"]:
            row["why"] = "does not count against the rate (buyer-requested through Amazon)"
            send.append(row)
        else:
            orders.setdefault((market, entry["order_id"]), []).append(row)
    return send, orders


def _in_plan_order(
    groups: list[list[dict]], earlier: dict[str, int]
) -> list[tuple[list[dict], list[str]]]:
    """A marketplace's orders in the order to approve them, each with the listings it would
    bring to their 30-day limit: soonest auto-cancelled first, then input order; an order
    that is not late and would bring a listing to its limit goes after the others."""
    limit = policy.LISTING_RISK_CANCELLATIONS

    def rank(rows: list[dict]) -> tuple:
        return (min(r["_auto"] for r in rows), min(r["_position"] for r in rows))

    groups.sort(key=rank)
    planned: Counter = Counter()  # counting orders planned per listing
    ordered: list[tuple[list[dict], list[str]]] = []
    later: list[tuple[list[dict], list[str]]] = []
    for rows in groups:
        skus = sorted({r["_sku"] for r in rows if r["_sku"]})
        auto = min(r["_auto"] for r in rows) < 2
        reaches = [s for s in skus if earlier.get(s, 0) + planned[s] + 1 >= limit]
        if reaches and not auto:
            later.append((rows, reaches))  # it would bring its listing to the limit
            continue
        planned.update(skus)
        ordered.append((rows, reaches))
    return ordered + later


def _decide(
    rows: list[dict], fit: int | None, target: float | None, market: str, taken: int
) -> tuple[bool, str, int]:
    """Whether an order goes (within the budget) or is held, why, and the counting orders
    taken so far with it."""
    auto = min(r["_auto"] for r in rows)
    if fit is None:
        why = (
            "counts against the rate and the budget is unknown: pass --orders-7d N "
            f"({market}) to plan it"
        )
        return False, why, taken
    if taken < fit:
        taken += 1
        why = f"counting order {taken} of the {fit} that fit under the target"
        if auto == 0:
            why += "; Amazon marks it close to automatic cancellation (counts anyway)"
        elif auto == 1:
            why += "; past its ship-by date, Amazon would auto-cancel it (counts anyway)"
        return True, why, taken
    assert target is not None  # a known fit comes with its threshold
    why = (
        f"over the budget: {fit} counting order(s) fit under "
        f"{_pct(target)} ({market}) and {taken} are planned before it"
    )
    if auto < 2:
        why += "; it is late and counts anyway if Amazon auto-cancels it: ship it"
    return False, why, taken


def _plan_market(
    market: str,
    groups: list[list[dict]],
    budget: dict,
    earlier: dict[str, int],
    send: list[dict],
    hold: list[dict],
) -> None:
    """Append one marketplace's counting orders to `send` (within its budget, in the order to
    approve them) or `hold`, each row with its `why`."""
    fit = budget.get("fit")
    target = budget.get("threshold")
    taken = 0
    for rows, reaches in _in_plan_order(groups, earlier):
        goes, why, taken = _decide(rows, fit, target, market, taken)
        if reaches and not goes:
            why += f"; listing {', '.join(reaches)} is at its 30-day limit"
        elif reaches:
            why += f"; brings listing {', '.join(reaches)} to its 30-day limit"
        (send if goes else hold).extend({**r, "why": why} for r in rows)


def risk_key(entry: dict) -> tuple:
    """Triage order: the highest risk first, then counting rows, then input order (the
    caller's position)."""
    return (-RISK_ORDER.get(entry.get("risk") or "none", 0), not entry.get("counts_against_rate"))
