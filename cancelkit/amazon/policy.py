"""Metric policy: marketplace targets, windows and risk rules, as data.

Figures from Amazon's public seller help pages on the Cancellation Rate (DOMAIN.md
section 3). They can change; `cancelkit.toml` may override any of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..errors import ConfigError


@dataclass(frozen=True)
class Marketplace:
    code: str
    name: str
    threshold: float  # the target is a rate *under* this fraction
    window_days: int = 7
    #: a second, longer window the marketplace also reports the rate over (India: 30 days)
    long_window_days: int | None = None


_TWO_AND_HALF = 0.025
MARKETPLACES: dict[str, Marketplace] = {
    m.code: m
    for m in (
        Marketplace("US", "United States", _TWO_AND_HALF),
        Marketplace("CA", "Canada", _TWO_AND_HALF),
        Marketplace("MX", "Mexico", _TWO_AND_HALF),
        Marketplace("BR", "Brazil", _TWO_AND_HALF),
        Marketplace("UK", "United Kingdom", _TWO_AND_HALF),
        Marketplace("DE", "Germany", _TWO_AND_HALF),
        Marketplace("FR", "France", _TWO_AND_HALF),
        Marketplace("IT", "Italy", _TWO_AND_HALF),
        Marketplace("ES", "Spain", _TWO_AND_HALF),
        Marketplace("NL", "Netherlands", _TWO_AND_HALF),
        Marketplace("SE", "Sweden", _TWO_AND_HALF),
        Marketplace("PL", "Poland", _TWO_AND_HALF),
        Marketplace("BE", "Belgium", _TWO_AND_HALF),
        Marketplace("IE", "Ireland", _TWO_AND_HALF),
        Marketplace("AU", "Australia", _TWO_AND_HALF),
        Marketplace("JP", "Japan", _TWO_AND_HALF),
        Marketplace("SG", "Singapore", _TWO_AND_HALF),
        Marketplace("AE", "United Arab Emirates", _TWO_AND_HALF),
        Marketplace("SA", "Saudi Arabia", _TWO_AND_HALF),
        # India recommends under 2% and also reports a 30-day rate.
        Marketplace("IN", "India", 0.02, long_window_days=30),
    )
}
#: GB is the ISO code of the UK marketplace; both are accepted.
MARKETPLACE_ALIASES = {"GB": "UK"}

#: Amazon may deactivate a listing after this many seller cancellations in LISTING_WINDOW_DAYS.
LISTING_RISK_CANCELLATIONS = 2
LISTING_WINDOW_DAYS = 30
#: Amazon auto-cancels unshipped orders this many days after the ship-by date (counts too).
AUTO_CANCEL_DAYS_AFTER_SHIP_BY = 7


@dataclass(frozen=True)
class CancellationFee:
    """A marketplace's fee on seller cancellations, as multiples of the referral fee."""

    currency: str
    on_time: float  # cancelled on or before the expected ship date
    late: float  # cancelled after it


#: marketplaces that charge a cancellation fee (DOMAIN.md section 7: Amazon.in charges 100%
#: of the referral fee when the seller cancels on or before the expected ship date, 150%
#: after it). The referral-fee rate is the seller's own (config `referral_fee_rate`).
CANCELLATION_FEES: dict[str, CancellationFee] = {"IN": CancellationFee("INR", 1.0, 1.5)}


def price_of(text: str | None) -> float | None:
    """A price as a report or a spreadsheet writes it (`899.00`, `1,299.00`); None when
    there is none or it is not a finite, non-negative number."""
    try:
        value = float(text.replace(",", "").strip()) if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


#: how a seller gets the optional buyer-request columns into the order reports (DOMAIN.md
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
    key = MARKETPLACE_ALIASES.get(code.upper(), code.upper())
    if key not in MARKETPLACES:
        raise ConfigError(f"unknown marketplace '{code}'; known: {', '.join(sorted(MARKETPLACES))}")
    market = MARKETPLACES[key]
    if overrides:
        market = replace(
            market,
            threshold=float(overrides.get("threshold", market.threshold)),
            window_days=int(overrides.get("window_days", market.window_days)),
            long_window_days=overrides.get("long_window_days", market.long_window_days),
        )
    return market
