"""Amazon's order states as data: which order-status and fulfillment-channel words allow a
cancellation with the flat file.

Every list here is open (docs/domain.md section 7): Amazon adds values, reports spell them in
their own ways. So a spelling is normalised first (NFKC, Unicode format characters such as
the zero-width space and the soft hyphen removed), folded (case, spaces, hyphens,
underscores), looked up in the exact table, then in the compound patterns (`Shipped - ...`,
`Pending - ...`); a value found nowhere is `unknown`, and what is not understood fails
closed: the row is rejected (`order_status_unknown`, `fulfillment_channel_unknown`), with
the value shown escaped so an invisible or look-alike character can be seen.

Only a few words are cancellable (`Unshipped`, `PartiallyShipped` and their sourced
translations); every other word maps to a kind that stops the row, so adding a word can only
change a message, never let a row through, unless it is added to `_CANCELLABLE_WORDS`.
"""

from __future__ import annotations

import re
import unicodedata
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


def normalise(text: str) -> str:
    """What is safe to normalise in a status, channel or id cell: NFKC (fullwidth `Ｓｈｉｐｐｅｄ`
    is `Shipped`), and Unicode format characters (category Cf: zero-width space and joiners,
    soft hyphen, BOM, bidi marks) removed. Look-alike letters of other scripts (Cyrillic
    `і` in `Shіpped`) are left as they are: such a value stays unknown."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text


def fold(text: str) -> str:
    """The comparison key of a status or channel word: normalised, lower case, words joined
    by one space (spaces, hyphens, underscores, slashes, dots and colons are separators),
    and CamelCase split (`PartiallyShipped` is `partially shipped`)."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", normalise(text).strip())
    return _FOLD.sub(" ", text.casefold()).strip()


def shown(value: str) -> str:
    """A cell's value as a message shows it: quoted, with every character that cannot be
    seen (control, format, spacing other than the plain space, combining marks) and every
    letter of another script inside a Latin word (a look-alike) written as `\\uXXXX`."""
    latin = any("a" <= c.lower() <= "z" for c in value)
    out = []
    for c in value:
        category = unicodedata.category(c)
        visible = c == " " or category[0] in "LNPS"
        if visible and latin and _foreign_letter(c):
            visible = False
        out.append(
            c if visible else (f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}")
        )
    return "'" + "".join(out) + "'"


def _escape(c: str) -> str:
    return f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"


def _foreign_letter(c: str) -> bool:
    """A letter that is neither ASCII nor Latin (Cyrillic, Greek, ...)."""
    return (
        unicodedata.category(c)[0] == "L"
        and not c.isascii()
        and ("LATIN" not in unicodedata.name(c, ""))
    )


def _lookalikes(value: str) -> list[str]:
    """The letters of another script inside a Latin value (`Shіpped`: U+0456)."""
    text = normalise(value)
    if not any("a" <= c.lower() <= "z" for c in text):
        return []
    return [
        f"U+{ord(c):04X} {unicodedata.name(c, '?')}"
        for c in dict.fromkeys(text)
        if unicodedata.category(c)[0] == "L"
        and not c.isascii()
        and "LATIN" not in unicodedata.name(c, "")
    ]


def _unspaced(text: str) -> str:
    return text.replace(" ", "")


# Orders API v0 `OrderStatus` (../shared/amazon-models/ordersV0.json, "Possible values"):
#   PendingAvailability (pre-order, payment not authorized), Pending (payment not
#   authorized), Unshipped (authorized, no item shipped), PartiallyShipped (some items
#   shipped), Shipped, InvoiceUnconfirmed (all shipped, invoice not confirmed), Canceled,
#   Unfulfillable ("applies only to Multi-Channel Fulfillment orders", i.e. Amazon fulfils).
# Report and Seller Central spellings: docs/domain.md section 7, and the public Amazon.in
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
# Localized words. Seller Central's order pages and reports are translated; a word found
# here only ever maps to the kind its source gives it. The cancellable words are few and
# each is sourced; the others stop the row whatever they are, so a word added there can only
# make the message clearer, never let an order through.
# - German (sellercentral.amazon.de help page 200200040, "Bestellungen verwalten"): an order
#   is "Ausstehend" (payment check not finished), "Nicht versendet" (payment verified,
#   waiting for shipment), then "versendet" or "storniert"; the FBA page (200141600) speaks
#   of "nicht versendeten, ausstehenden, versendeten und stornierten Bestellungen".
#   `Versandt` (the other German participle) is one of issue 16's real values.
# - Japanese (Amazon's Seller Central JP vocabulary as Adobe Commerce's Amazon channel
#   documents it, docs ja-JP "未発送の注文の取消": 未発送 unshipped, 保留中 pending, 一部出荷済
#   partially shipped; 発送済み in a public JP seller tool's order list).
# - UK English (amazon.co.uk: "Dispatched", "Despatched"), and the French, Spanish and
#   Italian words for shipped, cancelled and pending: blocking kinds only.
_CANCELLABLE_WORDS: dict[str, OrderState] = {
    "nicht versendet": OrderState(CANCELLABLE),
    "未発送": OrderState(CANCELLABLE),
    "未出荷": OrderState(CANCELLABLE),
    "一部出荷済": OrderState(CANCELLABLE, partial=True),
    "一部出荷済み": OrderState(CANCELLABLE, partial=True),
    "一部発送済み": OrderState(CANCELLABLE, partial=True),
}
_LOCALIZED_BLOCKED: dict[str, str] = {
    # German
    "ausstehend": PENDING,
    "versendet": SHIPPED,
    "versandt": SHIPPED,
    "storniert": CANCELLED,
    # Japanese
    "保留中": PENDING,
    "発送済み": SHIPPED,
    "発送済": SHIPPED,
    "出荷済み": SHIPPED,
    "出荷済": SHIPPED,
    "キャンセル済み": CANCELLED,
    "キャンセル": CANCELLED,
    # English (UK)
    "dispatched": SHIPPED,
    "despatched": SHIPPED,
    # French
    "expédié": SHIPPED,
    "expédiée": SHIPPED,
    "expedie": SHIPPED,
    "expediee": SHIPPED,
    "annulé": CANCELLED,
    "annulée": CANCELLED,
    "en attente": PENDING,
    # Spanish, Italian
    "enviado": SHIPPED,
    "cancelado": CANCELLED,
    "pendiente": PENDING,
    "spedito": SHIPPED,
    "annullato": CANCELLED,
    "in sospeso": PENDING,
}
_STATUS_WORDS.update(_CANCELLABLE_WORDS)
_STATUS_WORDS.update({word: OrderState(kind) for word, kind in _LOCALIZED_BLOCKED.items()})

#: the words that make an order cancellable; a property test checks nothing else does
CANCELLABLE_FOLDED = frozenset(k for k, v in _STATUS_WORDS.items() if v.kind == CANCELLABLE)

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
#: what separates two states written into one cell (`Unshipped; Shipped`)
_SEVERAL = re.compile(r"\s*(?:[;,|&+]|\band\b|\bund\b)\s*", re.IGNORECASE)

_UNKNOWN = OrderState(UNKNOWN)
_CACHE: dict[str, OrderState] = {}


def classify(status: str) -> OrderState:
    """What an order-status value means; kind `unknown` for a value not in the tables.
    An empty value is `cancellable` (nothing says otherwise); a value that only held
    invisible characters is `unknown`."""
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
    state = _classify_one(status)
    if state.kind == CANCELLABLE and len(_SEVERAL.split(status.strip())) > 1:
        return _UNKNOWN  # two states in one cell: never the cancellable one in silence
    return state


def _classify_one(status: str) -> OrderState:
    folded = fold(status)
    if not folded:
        return _UNKNOWN  # only invisible characters: something was written, not understood
    state = _STATUS_WORDS.get(folded) or _STATUS_UNSPACED.get(_unspaced(folded))
    if state is not None:
        return state
    state = _COMPOUND_HEADS.get(folded.split(" ", 1)[0])
    if state is None:
        # written without separators (`SHIPPEDDELIVEREDTOBUYER`): the head is a prefix
        joined = _unspaced(folded)
        state = next((v for k, v in _COMPOUND_HEADS.items() if joined.startswith(k)), _UNKNOWN)
    return state


def why_unknown(value: str, what: str = "order status") -> str:
    """Why a status or channel value is not understood, the value shown escaped."""
    text = shown(value.strip())
    parts = [p for p in _SEVERAL.split(value.strip()) if p.strip()]
    if len(parts) > 1:
        return f"{what} {text} names several states in one cell"
    lookalikes = _lookalikes(value)
    if lookalikes:
        return (
            f"{what} {text} holds letters of another script that only look like Latin ones "
            f"({', '.join(lookalikes)})"
        )
    if value.strip() and not fold(value):
        return f"{what} {text} holds only invisible characters"
    return f"{what} {text} is not one cancelkit knows"


# Fulfillment channel: the order reports say `Amazon` or `Merchant` (docs/domain.md section 5),
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
    "fulfillment by amazon": AMAZON_FULFILLED,
    "amazon fulfilled": AMAZON_FULFILLED,
    # Amazon's programme names on its marketplaces' seller pages: "Versand durch Amazon"
    # (amazon.de help 200141600), "Expédié par Amazon" (amazon.fr): Amazon's stock
    "versand durch amazon": AMAZON_FULFILLED,
    "expédié par amazon": AMAZON_FULFILLED,
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


def check_state(
    status: str,
    channel: str,
    whole_order: bool,
    *,
    item_status: str = "",
    paid: bool | None = None,
    quantity: int | None = None,
    shipped: int | None = None,
) -> StateFinding | None:
    """The first problem an order's state gives a cancellation: an error for a pending,
    shipped, cancelled or Amazon-fulfilled order and for a state that is not understood
    (fail closed), a flag for a partly shipped one; None when the order can be cancelled.

    Read from all the columns Amazon gives (docs/domain.md section 10): `item_status` is the
    line's item-status (all-orders report), `paid` whether its payments-date is filled
    (None: no such column), `quantity`/`shipped` the line's quantity and quantity shipped.
    In an all-orders report a merchant order with order-status `Pending`, item-status
    `Unshipped` and a payments date is paid and waiting for shipment: cancellable."""
    state = classify(status)
    item = classify(item_status) if item_status.strip() else None
    channel_found = channel_kind(channel)
    waiting = _paid_and_waiting(state, status, item, paid, channel_found)
    if waiting is not None:
        state = waiting  # paid and waiting for shipment, as the Unshipped report lists it
        status = item_status
    if channel_found == AMAZON_FULFILLED and state.kind in (PENDING, CANCELLABLE):
        return _fba_error(channel)
    return (
        _status_error(state, status)
        or _channel_error(channel_found, channel)
        or _item_error(item, item_status)
        or _shipped_finding(state, item, status, whole_order, quantity, shipped)
    )


def _paid_and_waiting(
    state: OrderState,
    status: str,
    item: OrderState | None,
    paid: bool | None,
    channel_found: str,
) -> OrderState | None:
    """The item's state when a merchant order is `Pending` but its line is paid and
    cancellable (all-orders report: item-status `Unshipped` with a payments date)."""
    if (
        state.kind == PENDING
        and fold(status) == "pending"
        and item is not None
        and item.kind == CANCELLABLE
        and not item.partial
        and paid
        and channel_found == CANCELLABLE
    ):
        return item
    return None


def _fba_error(channel: str) -> StateFinding:
    """The error for an Amazon-fulfilled (FBA) order, naming an unusual channel spelling."""
    code, message = STATE_ERRORS[AMAZON_FULFILLED]
    if fold(channel) not in ("amazon", "afn"):
        message = f"{message} (fulfillment channel {shown(channel.strip())})"
    return StateFinding("error", code, "fulfillment_channel", channel, message)


def _status_error(state: OrderState, status: str) -> StateFinding | None:
    """The error for a blocked (pending, shipped, cancelled...) or unknown order status."""
    if state.kind in BLOCKED:
        code, message = STATE_ERRORS[state.kind]
        if status.strip().casefold() not in ("shipped", "pending", "canceled", "cancelled"):
            message = f"{message} (status {shown(status.strip())})"
        return StateFinding("error", code, "order_status", status, message)
    if state.kind == UNKNOWN:
        return StateFinding(
            "error",
            "order_status_unknown",
            "order_status",
            status,
            f"{why_unknown(status)}; only an unshipped, merchant-fulfilled order can be "
            "cancelled with the file, so the row is not uploaded: check the order in Seller "
            "Central",
        )
    return None


def _channel_error(channel_found: str, channel: str) -> StateFinding | None:
    """The error for an Amazon-fulfilled or unknown fulfillment channel."""
    if channel_found == AMAZON_FULFILLED:
        return _fba_error(channel)
    if channel_found == UNKNOWN:
        return StateFinding(
            "error",
            "fulfillment_channel_unknown",
            "fulfillment_channel",
            channel,
            f"{why_unknown(channel, 'fulfillment channel')}; only a merchant-fulfilled order "
            "can be cancelled with the file, so the row is not uploaded",
        )
    return None


def _item_error(item: OrderState | None, item_status: str) -> StateFinding | None:
    """The error for a blocked or unknown item-status (all-orders report)."""
    if item is None:
        return None
    if item.kind in BLOCKED:
        code, message = STATE_ERRORS[item.kind]
        return StateFinding(
            "error", code, "item_status", item_status,
            f"{message} (item-status {shown(item_status.strip())})",
        )  # fmt: skip
    if item.kind == UNKNOWN:
        return StateFinding(
            "error",
            "order_status_unknown",
            "item_status",
            item_status,
            f"{why_unknown(item_status, 'item-status')}; the row is not uploaded",
        )
    return None


def _shipped_finding(
    state: OrderState,
    item: OrderState | None,
    status: str,
    whole_order: bool,
    quantity: int | None,
    shipped: int | None,
) -> StateFinding | None:
    """What shipped units give: an error when all are shipped or a partly shipped order is
    cancelled whole, a flag when an item of a partly shipped order is cancelled."""
    partial = state.partial or (item is not None and item.partial)
    if shipped is not None and shipped > 0:
        if quantity is not None and shipped >= quantity:
            return StateFinding(
                "error",
                "order_shipped",
                "quantity_shipped",
                str(shipped),
                f"all {quantity} of the item's units are shipped (quantity shipped {shipped}); "
                "issue a refund or handle a return instead",
            )
        partial = True
    if not partial:
        return None
    if whole_order:
        return StateFinding(
            "error",
            "order_shipped",
            "order_status",
            status,
            f"the order is {status.strip() or 'partly shipped'}: some items are shipped, so the "
            "whole order cannot be cancelled; cancel the unshipped items one by one with their "
            "item codes",
        )
    units = ""
    if shipped is not None and quantity is not None:
        units = f" ({shipped} of the item's {quantity} units shipped)"
    return StateFinding(
        "flag",
        "order_partially_shipped",
        "order_status",
        status,
        f"the order is partially shipped{units}: make sure this item (or the units "
        "cancelled) is unshipped",
    )


def _whole(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def check_context(context: dict[str, str], whole_order: bool) -> StateFinding | None:
    """`check_state` on a record's context: the order report's line (or the batch's own
    columns), as the join leaves them: order_status, fulfillment_channel, item_status,
    payments_date (`yes`/`no`), quantity_purchased, quantity_shipped."""
    paid = context.get("payments_date")
    return check_state(
        context.get("order_status", ""),
        context.get("fulfillment_channel", ""),
        whole_order,
        item_status=context.get("item_status", ""),
        paid=None if paid is None else paid == "yes",
        quantity=_whole(context.get("quantity_purchased")),
        shipped=_whole(context.get("quantity_shipped")),
    )
