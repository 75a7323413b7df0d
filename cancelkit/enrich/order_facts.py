"""What the order reports say about an order: its facts, its items and each line's sighting
of its state. Only the columns in `ORDER_FIELDS` and `ITEM_FIELDS` are ever kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: order-level fields kept, named as the pipeline's context fields (columns.ALIASES keys)
ORDER_FIELDS: tuple[str, ...] = (
    "order_status",
    "fulfillment_channel",
    "buyer_requested",
    "buyer_requested_reason",
    "days_past_promise",
    "promise_date",
    "verge_of_cancellation",
    "marketplace",  # the report's sales-channel (Amazon.de)
    # evidence of the marketplace when a report has no sales-channel (validate.row_marketplace)
    "currency",
    "ship_country",
)
#: read only to decide the order's marketplace, not context of the record
_MARKET_EVIDENCE = frozenset({"currency", "ship_country"})
#: item-level fields kept
ITEM_FIELDS: tuple[str, ...] = ("amazon_order_item_code", "sku", "asin", "item_price")


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line item of an order: its order-item-id (None when the report has no such
    column, as the all-orders report), SKU and ASIN."""

    item_code: str | None
    sku: str | None
    asin: str | None
    #: the line's `item-price` (all-orders report), as written
    item_price: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Sighting:
    """What one report line says about its order's state (DOMAIN.md sections 5 and 10)."""

    #: the index of the report in `OrdersReport.files`, and the line number in it
    file: int
    line: int
    status: str = ""
    channel: str = ""
    #: a second column for the same fact (`order-status` and `status`), None without one
    status2: str | None = None
    channel2: str | None = None
    item_status: str = ""
    #: whether the line's payments-date is filled (None: the report has no such column)
    paid: bool | None = None
    quantity: int | None = None
    shipped: int | None = None
    item_code: str | None = None
    sku: str | None = None


@dataclass(slots=True)
class OrderInfo:
    """What the reports say about one order; empty strings where no report says it."""

    order_id: str
    order_status: str = ""
    fulfillment_channel: str = ""
    buyer_requested: str = ""
    buyer_requested_reason: str = ""
    days_past_promise: str = ""
    promise_date: str = ""
    verge_of_cancellation: str = ""
    marketplace: str = ""
    currency: str = ""
    ship_country: str = ""
    purchase_date: str = ""
    items: list[OrderItem] = field(default_factory=list)
    #: whether an all-orders report (one with an order-status column) lists the order
    in_orders_report: bool = False
    #: whether a report that lists the order has the is-buyer-requested-cancellation column
    buyer_request_column: bool = False
    #: every report line of the order, with what it says about the order's state
    sightings: list[Sighting] = field(default_factory=list)

    def item(self, item_code: str) -> OrderItem | None:
        return next((i for i in self.items if i.item_code == item_code), None)


def _items_text(order: OrderInfo) -> str:
    listed = [f"{i.item_code or '(no order-item-id)'} (SKU {i.sku or '?'})" for i in order.items]
    return ", ".join(listed) or "none"


def _merge_item(order: OrderInfo, item: OrderItem) -> None:
    """Add an item, or complete the same item a report listed before (by item code, or by
    SKU when one of the two reports has no order-item-id column)."""
    for index, known in enumerate(order.items):
        if item.item_code and known.item_code:
            same = item.item_code == known.item_code
        else:
            same = bool(item.sku) and item.sku == known.sku
        if same:
            order.items[index] = OrderItem(
                known.item_code or item.item_code,
                known.sku or item.sku,
                known.asin or item.asin,
                known.item_price or item.item_price,
            )
            return
    order.items.append(item)
