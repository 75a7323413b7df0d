"""Input column names: the loose spellings accepted for each field cancelkit reads.

Headers are compared after folding (lower case, letters and digits only), so `Order ID`,
`order_id` and `order-id` are one name.
"""

from __future__ import annotations

import re

from ..amazon.personal_data import PERSONAL_DATA_COLUMNS

# field -> accepted header spellings (folded when compared)
ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": ("order-id", "amazon-order-id", "order-number"),
    "amazon_order_item_code": (
        "amazon-order-item-code",
        "order-item-id",
        "amazon-order-item-id",
        "order-item-code",
        "item-code",
    ),
    "reason": ("cancellation-reason-code", "cancellation-reason", "reason", "reason-code"),
    "sku": ("sku", "seller-sku", "merchant-sku"),
    "asin": ("asin",),
    "buyer_requested": (
        "is-buyer-requested-cancellation",
        "is-buyer-requested-cancel",
        "buyer-requested-cancellation",
        "buyer-requested-cancel",
        "buyer-requested",
        "buyer-request",
    ),
    "buyer_requested_reason": ("buyer-requested-cancel-reason", "buyer-cancel-reason"),
    "order_status": ("order-status", "status"),
    "fulfillment_channel": ("fulfillment-channel", "fulfilment-channel"),
    "days_past_promise": ("days-past-promise",),
    "promise_date": ("promise-date", "ship-by", "ship-by-date", "latest-ship-date"),
    "verge_of_cancellation": ("verge-of-cancellation",),
    # the price of the item (all-orders report: `item-price`, the line's total), for the
    # cancellation fee estimate of marketplaces that charge one
    "item_price": ("item-price", "item-total", "price"),
    "note": ("note", "notes", "comment", "comments"),
    # the marketplace of the order: a code (DE), a site (Amazon.de) or a marketplace id
    "marketplace": ("marketplace", "sales-channel", "marketplace-id", "marketplace-code"),
    # what an order report without sales-channel says of the marketplace (the JP Unshipped
    # Orders report): the currency of the order, the country it ships to
    "currency": ("currency",),
    "ship_country": ("ship-country",),
}

REQUIRED = "order_id"
#: the three fields of the flat file, in the names a spreadsheet user sees
DISPLAY = {
    "order_id": "order-id",
    "amazon_order_item_code": "amazon-order-item-code",
    "reason": "cancellation-reason-code",
}

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(name: str) -> str:
    """The comparison key of a header name."""
    return _NOT_ALNUM.sub("", name.lower())


FIELD_BY_HEADER: dict[str, str] = {
    fold(alias): field for field, aliases in ALIASES.items() for alias in aliases
}


#: folded names of the personal-data columns every reader drops (amazon/personal_data.py)
PERSONAL: frozenset[str] = frozenset(fold(name) for name in PERSONAL_DATA_COLUMNS)


def is_personal(header: str) -> bool:
    """Whether a column holds a buyer's personal data (dropped when an input is read)."""
    return fold(header) in PERSONAL


def field_of(header: str) -> str | None:
    """The field a header names, or None for a column cancelkit does not read."""
    return FIELD_BY_HEADER.get(fold(header))
