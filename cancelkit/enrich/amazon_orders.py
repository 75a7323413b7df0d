"""Amazon's current order data from the Orders API, as an order report `--orders-report`
reads (`cancelkit fetch-orders`).

Orders API 2026-01-01 `searchOrders`: one call returns up to 100 orders with their items,
fulfillment state and buyer cancellation requests (`includedData=FULFILLMENT,CANCELLATION`);
neither BUYER nor RECIPIENT is asked for, so no buyer personal data is ever received, and no
Restricted Data Token is needed. The README argues this choice against Orders v0 (retired
on 2027-03-27) and the Reports API.

The file has the columns of Amazon's order reports (DOMAIN.md section 5) that the checks
read, and no `purchase-date`: it lists only unshipped orders, which must never stand in for
all orders in the rate's denominator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from ..amazon import spapi

#: the columns written, named as in Amazon's order reports
COLUMNS = (
    "order-id",
    "order-item-id",
    "order-status",
    "fulfillment-channel",
    "sku",
    "asin",
    "quantity-purchased",
    "is-buyer-requested-cancellation",
    "buyer-requested-cancel-reason",
    "promise-date",
    "sales-channel",
    "marketplace-id",
)
#: orders a seller may still cancel, or must be told not to (Pending: wait)
FULFILLMENT_STATUSES = ("PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED")
INCLUDED_DATA = ("FULFILLMENT", "CANCELLATION")
DEFAULT_DAYS = 30


def _text(value) -> str:
    """A cell: text on one line, never a tab (the file has no quoting)."""
    if value is None:
        return ""
    return " ".join(str(value).split())


def order_lines(orders: Iterable[dict]) -> Iterator[tuple[str, ...]]:
    """One line per order item, in COLUMNS order, from searchOrders' Order objects. Only
    these named fields are read, so nothing else of an order can reach the file."""
    for order in orders:
        fulfillment = order.get("fulfillment") or {}
        status = str(fulfillment.get("fulfillmentStatus") or "")
        channel = str(fulfillment.get("fulfilledBy") or "")
        ship_by = (fulfillment.get("shipByWindow") or {}).get("latestDateTime")
        sales = order.get("salesChannel") or {}
        common = (
            spapi.ORDER_STATUS_WORDS.get(status, status),
            spapi.FULFILLED_BY_WORDS.get(channel, channel),
        )
        for item in order.get("orderItems") or ():
            product = item.get("product") or {}
            request = (item.get("cancellation") or {}).get("cancellationRequest") or {}
            requested = request.get("requester") == spapi.BUYER_REQUESTER
            yield tuple(
                _text(v)
                for v in (
                    order.get("orderId"),
                    item.get("orderItemId"),
                    *common,
                    product.get("sellerSku"),
                    product.get("asin"),
                    item.get("quantityOrdered"),
                    "true" if requested else "false",
                    request.get("cancelReason") if requested else "",
                    ship_by,
                    sales.get("marketplaceName") or sales.get("channelName"),
                    sales.get("marketplaceId"),
                )
            )


def fetch(
    client: spapi.SpapiClient, days: int, now: dt.datetime | None = None
) -> Iterator[tuple[str, ...]]:
    """The lines of the client's marketplace: merchant-fulfilled orders created in the last
    `days` days that are Pending, Unshipped or PartiallyShipped."""
    now = now or dt.datetime.now(dt.timezone.utc)
    since = (now - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    orders = client.search_orders(
        client.market.marketplace_id, since, FULFILLMENT_STATUSES, INCLUDED_DATA
    )
    return order_lines(orders)
