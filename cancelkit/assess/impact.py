"""The metrics-impact checker: which cancellations count against the Cancellation Rate.

Per record: counts_against_rate, a risk level and flags. Per batch: the projected 7-day
rate against the marketplace target. Rules from docs/domain.md sections 3 and 4; figures live
in policy.py.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from ..amazon import order_states, policy
from ..codes import Flag
from ..enrich.join import REPORT_LACKS_BUYER_REQUEST
from ..read.words import is_yes
from ..validate.rows import Record

RISK_ORDER = {level: i for i, level in enumerate(policy.RISK_LEVELS)}
#: flags an earlier stage adds that make a record high risk: its order's state is not known,
#: or Amazon refused to cancel it before as final (the ledger's refusals)
HIGH_RISK_FLAGS = frozenset({"order_report_unreadable", "refused_by_amazon"})


@dataclass(frozen=True)
class Assessment:
    counts_against_rate: bool
    risk: str
    flags: tuple[Flag, ...]


def _assess_reason(reason: str | None, requested: bool) -> Assessment:
    if reason == "BuyerCanceled":
        if requested:
            return Assessment(False, "none", ())
        return Assessment(
            True,
            "medium",
            (
                Flag(
                    "buyer_request_unverified",
                    "BuyerCanceled without evidence that the buyer used Amazon's Request "
                    "cancellation: it counts against your rate unless they did; ask the buyer "
                    "to request it on Amazon, or mark is-buyer-requested-cancellation = true",
                ),
            ),
        )
    if requested:
        return Assessment(
            True,
            "medium",
            (
                Flag(
                    "use_buyer_canceled",
                    f"the buyer requested this cancellation through Amazon, but the reason is "
                    f"{reason or 'empty (whole order)'}; use BuyerCanceled so it does not count",
                ),
            ),
        )
    what = f"reason {reason}" if reason else "a whole-order cancellation without reason"
    return Assessment(
        True,
        "high",
        (Flag("counts_against_rate", f"{what} counts against your Cancellation Rate"),),
    )


_CACHE: dict[tuple[str | None, bool], Assessment] = {}

#: context fields that need the per-record rules (order state, ship-by pressure)
STATE_FIELDS = frozenset(
    {
        "order_status",
        "fulfillment_channel",
        "days_past_promise",
        "promise_date",
        "verge_of_cancellation",
    }
)


def assessment_for(reason: str | None, requested: bool) -> Assessment:
    """The metric effect of a reason, given whether the buyer asked through Amazon."""
    key = (reason, requested)
    result = _CACHE.get(key)
    if result is None:
        result = _CACHE[key] = _assess_reason(reason, requested)
    return result


def needs_record_rules(fields) -> bool:
    """Whether a table carries columns that only the per-record rules read (order state,
    ship-by pressure, the row's marketplace)."""
    return not STATE_FIELDS.isdisjoint(fields) or "marketplace" in fields


def assess(record: Record, today: dt.date | None = None) -> None:
    """Assess one accepted record in place: state rules, metric effect, ship-by pressure."""
    context = record.context
    state_flag = None
    if context:
        finding = order_states.check_context(context, record.amazon_order_item_code is None)
        if finding is not None and finding.kind == "error":
            column = record.table.column_of(finding.field, "order report")
            record.reject(finding.code, column, finding.value, finding.message)
            return
        state_flag = finding
        requested = is_yes(context.get("buyer_requested"))
    else:
        requested = False
    result = assessment_for(record.reason, requested)
    record.counts_against_rate = result.counts_against_rate
    record.risk = result.risk
    if result.flags:
        record.flags.extend(result.flags)
        if context and context.get(REPORT_LACKS_BUYER_REQUEST):
            record.flags[:] = [_no_request_column(f) for f in record.flags]
    if any(f.code in HIGH_RISK_FLAGS for f in record.flags):
        record.risk = "high"
    if state_flag is not None:
        record.flags.append(Flag(state_flag.code, state_flag.message))
        risk = "medium" if state_flag.code == "order_partially_shipped" else "high"
        record.risk = max(record.risk, risk, key=RISK_ORDER.__getitem__)
    if context:
        _ship_by(record, today or dt.date.today())


def _no_request_column(flag: Flag) -> Flag:
    """The unverified-BuyerCanceled flag of an order whose reports lack the column."""
    if flag.code != "buyer_request_unverified":
        return flag
    return Flag(
        flag.code,
        "BuyerCanceled cannot be verified: the order report has no "
        "is-buyer-requested-cancellation column, so it cannot show whether the buyer used "
        f"Amazon's Request cancellation; {policy.BUYER_REQUEST_COLUMN_HOWTO}. Until then it "
        "counts against your rate unless the buyer did request it",
    )


_DAYS = re.compile(r"-?[0-9]{1,6}(?:\.[0-9]*)?", re.ASCII)


def _whole_days(text: str) -> int | None:
    """A count of days as Amazon's reports write it ("3", "3.0", "-1"); None otherwise."""
    return int(float(text)) if _DAYS.fullmatch(text) else None


def _ship_by(record: Record, today: dt.date) -> None:
    context = record.context
    pressure = None
    days = context.get("days_past_promise", "").strip()
    if days:
        late = _whole_days(days)
        if late is None:
            # inf, 1e999, nan, a Unicode digit: never a number of days, never an exception
            record.flags.append(
                Flag(
                    "unusable_number",
                    f"days-past-promise '{days}' is not a number of days; ignored",
                )
            )
        elif late >= 0:
            pressure = f"{late} day(s) past the ship-by date"
    promise = context.get("promise_date", "").strip()
    if pressure is None and promise:
        try:
            ship_by = dt.date.fromisoformat(promise[:10])
        except ValueError:
            ship_by = None
        if ship_by is not None and ship_by <= today:
            pressure = f"ship-by date {ship_by.isoformat()} has been reached"
    if pressure:
        record.flags.append(
            Flag(
                "past_ship_by",
                f"{pressure}: Amazon auto-cancels {policy.AUTO_CANCEL_DAYS_AFTER_SHIP_BY} days "
                "after it, which counts against your rate as well",
            )
        )
    if is_yes(context.get("verge_of_cancellation")):
        record.flags.append(
            Flag(
                "verge_of_cancellation",
                "Amazon marks this order as close to automatic cancellation",
            )
        )
    if (pressure or is_yes(context.get("verge_of_cancellation"))) and record.risk == "none":
        record.risk = "low"


@dataclass(frozen=True)
class FeeRule:
    """The cancellation fee of a marketplace that charges one (India), with the seller's
    referral-fee rate: estimated per seller cancellation whose item price is known."""

    fee: policy.CancellationFee
    referral_fee_rate: float

    def apply(self, record: Record, today: dt.date) -> float | None:
        """Flag a counting record with its estimated fee and return the fee (None when the
        record does not count or its price is unknown). Without a known expected ship date
        the higher (late) fee is assumed."""
        if not record.counts_against_rate:
            return None
        price = policy.price_of(record.context.get("item_price"))
        if price is None:
            return None
        referral = price * self.referral_fee_rate
        ship_by = _ship_by_date(record.context.get("promise_date", ""))
        currency = self.fee.currency
        if ship_by is not None and today <= ship_by:
            amount, when = (
                referral * self.fee.on_time,
                f"on or before the expected ship date {ship_by}",
            )
            share = self.fee.on_time
        elif ship_by is not None:
            amount, when = referral * self.fee.late, f"after the expected ship date {ship_by}"
            share = self.fee.late
        else:
            amount, when = (
                referral * self.fee.late,
                "assumed after the expected ship date (not known)",
            )
            share = self.fee.late
        record.flags.append(
            Flag(
                "cancellation_fee",
                f"estimated cancellation fee {currency} {amount:.2f}: {share:.0%} of the referral "
                f"fee ({self.referral_fee_rate:.2%} of {currency} {price:.2f}), cancelled {when}",
            )
        )
        return round(amount, 2)


def fee_rule(market: policy.Marketplace, referral_fee_rate: float | None) -> FeeRule | None:
    """The fee rule of a marketplace that charges a cancellation fee, when the seller's
    referral-fee rate is known; None otherwise."""
    fee = policy.CANCELLATION_FEES.get(market.code)
    if fee is None or not referral_fee_rate:
        return None
    return FeeRule(fee, referral_fee_rate)


def _ship_by_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        return None


def project_rate(
    counting_orders: int,
    orders_in_window: int | None,
    cancels_in_window: int | None,
    market: policy.Marketplace,
) -> dict:
    """The batch metrics of the JSON report (rates are fractions; null where unknown)."""
    metrics = {
        "marketplace": market.code,
        "window_days": market.window_days,
        "threshold": market.threshold,
        "orders_in_window": orders_in_window,
        "seller_cancels_in_window": cancels_in_window,
        "rate_before": None,
        "rate_after": None,
        "over_threshold": None,
        "headroom_orders": None,
    }
    if orders_in_window is None:
        return metrics
    before = cancels_in_window or 0
    after = before + counting_orders
    if orders_in_window == 0:
        # a given figure of no orders: nothing can count (every cancelled order is one of
        # the window's orders), so the rate is 0 and no counting order fits
        if after == 0:
            metrics.update(rate_before=0.0, rate_after=0.0, over_threshold=False)
            metrics["headroom_orders"] = 0
        else:
            # 0 is a figure, not "not given": no rate can be computed, and any counting
            # cancellation over a window of no orders is over every target (the gate sees it)
            metrics.update(over_threshold=True, headroom_orders=0)
        return metrics
    metrics["rate_before"] = before / orders_in_window
    metrics["rate_after"] = after / orders_in_window
    # Exact arithmetic: the target is a rate strictly under the threshold.
    limit = Fraction(str(market.threshold)) * orders_in_window
    most = math.ceil(limit) - 1  # the most counting orders that stay under the target
    metrics["over_threshold"] = after > most
    metrics["headroom_orders"] = max(0, most - after)
    return metrics
