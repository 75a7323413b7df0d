"""Input column names: the loose spellings accepted for each field cancelkit reads.

Headers are compared after folding (lower case, letters and digits only), so `Order ID`,
`order_id` and `order-id` are one name.
"""

from __future__ import annotations

import re
import unicodedata

from ..amazon import personal_data
from ..amazon.personal_data import PERSONAL_DATA_COLUMNS

# field -> accepted header spellings (folded when compared)
ALIASES: dict[str, tuple[str, ...]] = {
    # Japanese headers as Amazon JP writes them: 注文番号 / 注文商品番号 are the Japanese
    # names Amazon.co.jp's order flat-file templates print above order-id / order-item-id
    # (the JP shipping-confirmation template's second row, as public integrations write
    # it); Amazon注文番号 is the JP download's name of the order id (issue 17).
    "order_id": ("order-id", "amazon-order-id", "order-number", "注文番号", "Amazon注文番号"),
    "amazon_order_item_code": (
        "amazon-order-item-code",
        "order-item-id",
        "amazon-order-item-id",
        "order-item-code",
        "item-code",
        "注文商品番号",
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

# every character but letters and digits (of any script: a Japanese header keeps its words)
_NOT_ALNUM = re.compile(r"[\W_]+")


def fold(name: str) -> str:
    """The comparison key of a header name: NFKC (full-width letters are letters), lower
    case, letters and digits only."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", name).lower())


FIELD_BY_HEADER: dict[str, str] = {
    fold(alias): field for field, aliases in ALIASES.items() for alias in aliases
}


#: folded names of the personal-data columns every reader drops (amazon/personal_data.py)
PERSONAL: frozenset[str] = frozenset(fold(name) for name in PERSONAL_DATA_COLUMNS)
_PREFIXES = personal_data.PERSONAL_PREFIXES
_SEPARATORS = re.compile(r"[\s_\-]+")
_NOT_PERSONAL = frozenset(fold(name) for name in personal_data.NOT_PERSONAL)
_SAFE = frozenset(fold(name) for name in personal_data.KNOWN_SAFE_REPORT_COLUMNS)
_SIGNATURES = tuple(
    frozenset(fold(name) for name in names) for names in personal_data.REPORT_SIGNATURE
)


def is_personal(header: str) -> bool:
    """Whether a column holds a buyer's personal data (dropped when an input is read)."""
    key = fold(header)
    if key in _NOT_PERSONAL or key in FIELD_BY_HEADER:  # a column cancelkit reads
        return False
    spelled = _SEPARATORS.sub("-", unicodedata.normalize("NFKC", header).strip().lower())
    return key in PERSONAL or spelled.startswith(_PREFIXES)


def is_amazon_report(headers: list[str]) -> bool:
    """Whether a header row is that of an Amazon order report (REPORT_SIGNATURE)."""
    keys = {fold(h) for h in headers}
    return any(signature <= keys for signature in _SIGNATURES)


def dropped_columns(headers: list[str]) -> list[int]:
    """The columns an input's outputs may not carry (amazon/personal_data.py): personal
    ones always; in an Amazon order report, every column that is neither read by cancelkit
    nor known to be safe."""
    report = is_amazon_report(headers)
    dropped = []
    for index, header in enumerate(headers):
        key = fold(header)
        unknown = report and key not in _SAFE and FIELD_BY_HEADER.get(key) is None
        if unknown or is_personal(header):
            dropped.append(index)
    return dropped


def field_of(header: str) -> str | None:
    """The field a header names, or None for a column cancelkit does not read."""
    return FIELD_BY_HEADER.get(fold(header))
