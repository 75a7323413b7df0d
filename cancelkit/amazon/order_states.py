"""Amazon's order states as data: which order-status and fulfillment-channel words allow a
cancellation with the flat file.

Every list here is open (DOMAIN.md section 7): Amazon adds values, reports spell them in
their own ways. So a spelling is folded first (case, spaces, hyphens, underscores), looked up
in the exact table, then in the compound patterns (`Shipped - ...`, `Pending - ...`); a value
found nowhere is `unknown`, and an unknown state is never treated as cancellable in silence
(the checker flags it, risk high, so `--fail-on high` stops the batch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the kinds a status or channel word maps to
CANCELLABLE = "cancellable"
PENDING = "pending"
SHIPPED = "shipped"
CANCELLED = "cancelled"
AMAZON_FULFILLED = "amazon_fulfilled"
UNKNOWN = "unknown"
#: kinds that can never be cancelled with the flat file (the row is rejected)
BLOCKED = frozenset({PENDING, SHIPPED, CANCELLED, AMAZON_FULFILLED})


@dataclass(frozen=True, slots=True)
class OrderState:
    """What one status spelling means."""

    kind: str
    #: some items shipped, some not: only the unshipped items may be cancelled, one by one
    partial: bool = False


_FOLD = re.compile(r"[\s\-_/.:\u2013\u2014]+")


def fold(text: str) -> str:
    """The comparison key of a status or channel word: lower case, words joined by one
    space (spaces, hyphens, underscores, slashes, dots and colons are separators), and
    CamelCase split (`PartiallyShipped` is `partially shipped`)."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text.strip())
    return _FOLD.sub(" ", text.casefold()).strip()


def _unspaced(text: str) -> str:
    return text.replace(" ", "")


# Orders API v0 `OrderStatus` (../shared/amazon-models/ordersV0.json, "Possible values"):
#   PendingAvailability (pre-order, payment not authorized), Pending (payment not
#   authorized), Unshipped (authorized, no item shipped), PartiallyShipped (some items
#   shipped), Shipped, InvoiceUnconfirmed (all shipped, invoice not confirmed), Canceled,
#   Unfulfillable ("applies only to Multi-Channel Fulfillment orders", i.e. Amazon fulfils).
# Report and Seller Central spellings: DOMAIN.md section 7, and the public Amazon.in
# "Amazon Sale Report" (2022) whose `Status` column many public analyses list: Shipped,
# Shipped - Delivered to Buyer / Returned to Seller / Returning to Seller / Rejected by
# Buyer / Picked Up / Out for Delivery / Lost in Transit / Damaged / Undeliverable,
# Pending, Pending - Waiting for Pick Up, Shipping, Cancelled, Unfulfillable.
# Some community SDK models spell the API value `PartialShipped` (found with the code
# search, TypeScript `OrderStatus` union); it is listed too.
_STATUS_WORDS: dict[str, OrderState] = {
    "unshipped": OrderState(CANCELLABLE),
    "partially shipped": OrderState(CANCELLABLE, partial=True),
    "partial shipped": OrderState(CANCELLABLE, partial=True),
    "pending": OrderState(PENDING),
    "pending availability": OrderState(PENDING),
    "shipped": OrderState(SHIPPED),
    # "Shipping": the Amazon.in report's word for an order on its way out: not cancellable
    "shipping": OrderState(SHIPPED),
    "invoice unconfirmed": OrderState(SHIPPED),
    "canceled": OrderState(CANCELLED),
    "cancelled": OrderState(CANCELLED),
    "unfulfillable": OrderState(AMAZON_FULFILLED),
    # the suffixes of the compound values above, when an export gives them alone
    "delivered": OrderState(SHIPPED),
    "delivered to buyer": OrderState(SHIPPED),
    "out for delivery": OrderState(SHIPPED),
    "picked up": OrderState(SHIPPED),
    "returned to seller": OrderState(SHIPPED),
    "returning to seller": OrderState(SHIPPED),
    "lost in transit": OrderState(SHIPPED),
    "rejected by buyer": OrderState(SHIPPED),
    "waiting for pick up": OrderState(PENDING),
}
#: spellings without any separator (`partiallyshipped`, `pendingavailability`)
_STATUS_UNSPACED: dict[str, OrderState] = {_unspaced(k): v for k, v in _STATUS_WORDS.items()}

#: compound report values: their first word decides (`Shipped - Delivered to Buyer`,
#: `Pending - Waiting for Pick Up`, `Cancelled - ...`); sources as above
_COMPOUND_HEADS: dict[str, OrderState] = {
    "shipped": OrderState(SHIPPED),
    "pending": OrderState(PENDING),
    "canceled": OrderState(CANCELLED),
    "cancelled": OrderState(CANCELLED),
}

_UNKNOWN = OrderState(UNKNOWN)
_CACHE: dict[str, OrderState] = {}


def classify(status: str) -> OrderState:
    """What an order-status value means; kind `unknown` for a value not in the tables.
    An empty value is `cancellable` (nothing says otherwise)."""
    found = _CACHE.get(status)
    if found is not None:
        return found
    found = _classify(status)
    if len(_CACHE) < 4096:
        _CACHE[status] = found
    return found


def _classify(status: str) -> OrderState:
    if not status.strip():
        return OrderState(CANCELLABLE)
    folded = fold(status)
    state = _STATUS_WORDS.get(folded) or _STATUS_UNSPACED.get(_unspaced(folded))
    if state is not None:
        return state
    state = _COMPOUND_HEADS.get(folded.split(" ", 1)[0])
    if state is None:
        # written without separators (`SHIPPEDDELIVEREDTOBUYER`): the head is a prefix
        joined = _unspaced(folded)
        state = next((v for k, v in _COMPOUND_HEADS.items() if joined.startswith(k)), _UNKNOWN)
    return state


# Fulfillment channel: the order reports say `Amazon` or `Merchant` (DOMAIN.md section 5),
# the Orders API `AFN` or `MFN` (ordersV0.json `FulfillmentChannel`); the Amazon.in sale
# report's `Fulfilment` column says `Amazon` / `Merchant`; the Seller Central order page
# speaks of "Fulfilled by Amazon" / "Seller Fulfilled" / "Fulfilled by Seller".
_CHANNEL_WORDS: dict[str, str] = {
    "merchant": CANCELLABLE,
    "mfn": CANCELLABLE,
    "seller": CANCELLABLE,
    "seller fulfilled": CANCELLABLE,
    "fulfilled by seller": CANCELLABLE,
    "merchant fulfilled": CANCELLABLE,
    "fbm": CANCELLABLE,
    "amazon": AMAZON_FULFILLED,
    "afn": AMAZON_FULFILLED,
    "fba": AMAZON_FULFILLED,
    "fulfilled by amazon": AMAZON_FULFILLED,
    "amazon fulfilled": AMAZON_FULFILLED,
}
_CHANNEL_UNSPACED = {_unspaced(k): v for k, v in _CHANNEL_WORDS.items()}


def channel_kind(channel: str) -> str:
    """`cancellable` (merchant-fulfilled or not given), `amazon_fulfilled`, or `unknown`."""
    if not channel.strip():
        return CANCELLABLE
    folded = fold(channel)
    kind = _CHANNEL_WORDS.get(folded) or _CHANNEL_UNSPACED.get(_unspaced(folded))
    if kind is None and folded.startswith("amazon "):
        kind = AMAZON_FULFILLED  # `Amazon.de`, `Amazon.co.jp`: a site name for Amazon's stock
    return kind or UNKNOWN


def is_merchant(channel: str) -> bool:
    """Whether a fulfillment-channel value names a merchant-fulfilled order (or none)."""
    return channel_kind(channel) == CANCELLABLE


#: the row error of each blocked kind: (code, message)
STATE_ERRORS: dict[str, tuple[str, str]] = {
    PENDING: (
        "order_pending",
        "the order is Pending (payment not verified); wait for Amazon to verify the payment, "
        "it cannot be cancelled yet",
    ),
    SHIPPED: (
        "order_shipped",
        "the order is already shipped; issue a refund or handle a return instead",
    ),
    CANCELLED: ("order_already_cancelled", "the order is already cancelled; nothing to do"),
    AMAZON_FULFILLED: (
        "order_fba",
        "the order is fulfilled by Amazon (FBA); it is not cancelled with this file",
    ),
}


@dataclass(frozen=True, slots=True)
class StateFinding:
    """Why an order's state stops (error) or questions (flag) a cancellation."""

    kind: str  # "error" or "flag"
    code: str
    field: str  # "order_status" or "fulfillment_channel"
    value: str
    message: str


def check_state(status: str, channel: str, whole_order: bool) -> StateFinding | None:
    """The first problem an order's status and fulfillment channel give a cancellation:
    an error for a pending, shipped, cancelled or Amazon-fulfilled order, a flag for a value
    these tables do not know; None when the order can be cancelled."""
    state = classify(status)
    if state.kind in BLOCKED:
        code, message = STATE_ERRORS[state.kind]
        if status.strip().casefold() not in ("shipped", "pending", "canceled", "cancelled"):
            message = f"{message} (status '{status.strip()}')"
        return StateFinding("error", code, "order_status", status, message)
    channel_found = channel_kind(channel)
    if channel_found == AMAZON_FULFILLED:
        code, message = STATE_ERRORS[AMAZON_FULFILLED]
        return StateFinding("error", code, "fulfillment_channel", channel, message)
    if state.partial and whole_order:
        return StateFinding(
            "error",
            "order_shipped",
            "order_status",
            status,
            f"the order is {status.strip()}: some items are shipped, so the whole order cannot "
            "be cancelled; cancel the unshipped items one by one with their item codes",
        )
    if state.kind == UNKNOWN:
        return StateFinding(
            "flag",
            "order_status_unknown",
            "order_status",
            status,
            f"order status '{status.strip()}' is not one cancelkit knows; check in Seller "
            "Central that the order is unshipped and merchant-fulfilled before uploading",
        )
    if channel_found == UNKNOWN:
        return StateFinding(
            "flag",
            "fulfillment_channel_unknown",
            "fulfillment_channel",
            channel,
            f"fulfillment channel '{channel.strip()}' is not one cancelkit knows; check that "
            "the order is merchant-fulfilled (not FBA) before uploading",
        )
    if state.partial:
        return StateFinding(
            "flag",
            "order_partially_shipped",
            "order_status",
            status,
            "the order is partially shipped: make sure this item is one of the unshipped ones",
        )
    return None
