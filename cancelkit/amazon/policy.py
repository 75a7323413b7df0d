"""Metric policy: marketplace targets, windows and risk rules, as data.

Figures from Amazon's public seller help pages on the Cancellation Rate (docs/domain.md
section 3). They can change; `cancelkit.toml` may override any of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..errors import ConfigError
from . import marketplaces


@dataclass(frozen=True)
class Marketplace:
    code: str
    name: str
    threshold: float  # the target is a rate *under* this fraction
    window_days: int = 7
    #: a second, longer window the marketplace also reports the rate over (India: 30 days)
    long_window_days: int | None = None
    #: whether the target comes from a sourced row of the marketplaces table (else it is
    #: the default target: `marketplace_policy_default`), or from the config's [policy]
    sourced: bool = True


#: every marketplace of the table (amazon/marketplaces.py), with its target and window; a
#: marketplace without a sourced target gets the default one, `sourced` False
MARKETPLACES: dict[str, Marketplace] = {
    row.code: Marketplace(
        row.code,
        row.name,
        row.threshold if row.threshold is not None else marketplaces.DEFAULT_THRESHOLD,
        row.window_days,
        row.long_window_days,
        sourced=row.threshold is not None,
    )
    for row in marketplaces.TABLE
}
#: GB is the ISO code of the UK marketplace; both are accepted (marketplaces.ALIASES).
MARKETPLACE_ALIASES = marketplaces.ALIASES

#: Amazon may deactivate a listing after this many seller cancellations in LISTING_WINDOW_DAYS.
LISTING_RISK_CANCELLATIONS = 2
LISTING_WINDOW_DAYS = 30
#: Amazon auto-cancels unshipped orders this many days after the ship-by date (counts too).
AUTO_CANCEL_DAYS_AFTER_SHIP_BY = 7


CancellationFee = marketplaces.CancellationFee
#: marketplaces that charge a cancellation fee (the table's `fee`; docs/domain.md section 7:
#: Amazon.in charges 100% of the referral fee when the seller cancels on or before the
#: expected ship date, 150% after it). The referral-fee rate is the seller's own (config
#: `referral_fee_rate`).
CANCELLATION_FEES: dict[str, CancellationFee] = {
    row.code: row.fee for row in marketplaces.TABLE if row.fee is not None
}


def price_of(text: str | None) -> float | None:
    """A price as a report or a spreadsheet writes it (`899.00`, `1,299.00`); None when
    there is none or it is not a finite, non-negative number."""
    try:
        value = float(text.replace(",", "").strip()) if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


#: how a seller gets the optional buyer-request columns into the order reports (docs/domain.md
#: sections 5 and 7: `is-buyer-requested-cancellation` / `buyer-requested-cancel-reason`
#: appear only after the seller switches them on in Seller Central's order report column
#: settings; the Unshipped Orders report page links "Add or remove order report columns")
BUYER_REQUEST_COLUMN_HOWTO = (
    "switch the column on in Seller Central (Orders > Order Reports > Add or remove order "
    "report columns: Buyer requested cancellation), then download the Unshipped Orders "
    "report again and pass it with --orders-report"
)

RISK_LEVELS = ("none", "low", "medium", "high")


def marketplace(code: str, overrides: dict | None = None) -> Marketplace:
    """The policy of a marketplace, with overrides from the config file applied."""
    key = marketplaces.canonical(code)
    if key is None:
        raise ConfigError(f"unknown marketplace '{code}'; known: {marketplaces.known_codes()}")
    market = MARKETPLACES[key]
    if overrides:
        market = replace(
            market,
            threshold=float(overrides.get("threshold", market.threshold)),
            window_days=int(overrides.get("window_days", market.window_days)),
            long_window_days=overrides.get("long_window_days", market.long_window_days),
            # a target the seller set in [policy.X] is theirs, not the default
            sourced=market.sourced or "threshold" in overrides,
        )
    return market
