"""The reason catalogue: every cancellation reason code, its spellings and its metric effect.

This table is the single source of truth; the validator, the checker, the template workbook
and `cancelkit reasons` all read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    accepted_in_flat_file: bool
    #: "standard" (does not count when the buyer asked through Amazon), "counts" (always counts)
    metric_effect: str
    effect_text: str
    aliases: tuple[str, ...] = ()


# Codes of Amazon's Order Cancellation flat file template ("Valid Values" sheet); the last three
# are known only from the XML order-acknowledgement feed (docs/domain.md section 2).
CATALOGUE: tuple[Reason, ...] = (
    Reason(
        "NoInventory",
        "Out of stock",
        True,
        "counts",
        "Counts against your Cancellation Rate.",
        ("out of stock", "no stock", "oos", "stockout", "stock out", "sold out", "no inventory"),
    ),
    Reason(
        "ShippingAddressUndeliverable",
        "Shipping address undeliverable",
        True,
        "counts",
        "Counts against your Cancellation Rate.",
        ("address undeliverable", "undeliverable address", "undeliverable", "bad address"),
    ),
    Reason(
        "CustomerExchange",
        "Customer exchange",
        True,
        "counts",
        "Counts against your Cancellation Rate.",
        ("exchange",),
    ),
    Reason(
        "BuyerCanceled",
        "Buyer canceled",
        True,
        "standard",
        "Does not count when the buyer requested the cancellation through Amazon "
        "(Your Orders > Request cancellation); counts otherwise.",
        (
            "buyer cancelled",
            "buyer canceled",
            "buyer cancel",
            "customer cancelled",
            "customer canceled",
            "customer cancel",
            "buyer request",
            "buyer requested",
            "cancelled by buyer",
            "canceled by buyer",
        ),
    ),
    Reason(
        "GeneralAdjustment",
        "General adjustment",
        True,
        "counts",
        "Counts against your Cancellation Rate (e.g. buyer unresponsive, pricing error).",
        ("general", "adjustment", "pricing error", "price error", "buyer unresponsive"),
    ),
    Reason(
        "CustomerReturn",
        "Customer return",
        True,
        "counts",
        "Counts against your Cancellation Rate.",
        ("return",),
    ),
    Reason(
        "MerchandiseNotReceived",
        "Merchandise not received",
        True,
        "counts",
        "Counts against your Cancellation Rate.",
        ("not received", "item not received"),
    ),
    Reason(
        "CarrierCreditDecision",
        "Carrier credit decision",
        False,
        "counts",
        "XML feed only; not accepted in the flat file.",
    ),
    Reason(
        "RiskAssessmentInformationNotValid",
        "Risk assessment information not valid",
        False,
        "counts",
        "XML feed only; not accepted in the flat file.",
    ),
    Reason(
        "CarrierCoverageFailure",
        "Carrier coverage failure",
        False,
        "counts",
        "XML feed only; not accepted in the flat file.",
    ),
)

BY_CODE: dict[str, Reason] = {r.code: r for r in CATALOGUE}
FLAT_FILE_CODES: tuple[str, ...] = tuple(r.code for r in CATALOGUE if r.accepted_in_flat_file)
#: Index of each code in a compact per-row array (0 stands for "no reason", a whole order).
CODE_INDEX: dict[str | None, int] = {None: 0, **{r.code: i + 1 for i, r in enumerate(CATALOGUE)}}
INDEX_CODE: tuple[str | None, ...] = (None, *(r.code for r in CATALOGUE))

_FOLD = re.compile(r"[\s\-_./]+")


def fold(text: str) -> str:
    """Case-, space-, hyphen- and underscore-insensitive key of a reason spelling."""
    return _FOLD.sub("", text).lower()


_BY_FOLDED: dict[str, str] = {}
for _reason in CATALOGUE:
    _BY_FOLDED[fold(_reason.code)] = _reason.code
    for _alias in _reason.aliases:
        _BY_FOLDED[fold(_alias)] = _reason.code
# SP-API cancelOrder codes (BUYER_CANCELLED, NO_INVENTORY, PRICING_ERROR, ...) fold onto the
# codes and aliases above.


def lookup(text: str) -> str | None:
    """The catalogue code for a spelling, or None when it is not known."""
    if text in BY_CODE:
        return text
    return _BY_FOLDED.get(fold(text))


def catalogue_json() -> list[dict]:
    """The catalogue as `cancelkit reasons --json` prints it."""
    return [
        {
            "code": r.code,
            "label": r.label,
            "accepted_in_flat_file": r.accepted_in_flat_file,
            "metric_effect": r.metric_effect,
            "effect": r.effect_text,
            "aliases": list(r.aliases),
        }
        for r in CATALOGUE
    ]
