"""Amazon's current order data from the Orders API, as an order report `--orders-report`
reads (`cancelkit fetch-orders`).

Orders API 2026-01-01 `searchOrders`: one call returns up to 100 orders with their items,
fulfillment state and buyer cancellation requests (`includedData=FULFILLMENT,CANCELLATION`);
neither BUYER nor RECIPIENT is asked for, so no buyer personal data is ever received, and no
Restricted Data Token is needed. The README argues this choice against Orders v0 (retired
on 2027-03-27) and the Reports API.

The file has the columns of Amazon's order reports (docs/domain.md section 5) that the checks
read, and no `purchase-date`: it lists only unshipped orders, which must never stand in for
all orders in the rate's denominator.

Its first line (`#cancelkit-fetch-orders`, `key=value` cells) records what it is a listing
of: the marketplace, the window asked for (`created-after` to `fetched-at`) and the
statuses. It is a complete listing of the cancellable orders of that window (docs/domain.md
section 10), so `--orders-report` refuses an order of the window that it does not list
(`order_not_unshipped`). Each item carries `quantity-shipped`
(`orderItems[].fulfillment.quantityFulfilled`): an item with all its units shipped is
refused, one partly shipped is flagged with the quantities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from .. import spapi
from .orders_report import FETCH_MARK

#: the columns written, named as in Amazon's order reports
COLUMNS = (
    "order-id",
    "order-item-id",
    "order-status",
    "fulfillment-channel",
    "sku",
    "asin",
    "quantity-purchased",
    "quantity-shipped",
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
            shipped = (item.get("fulfillment") or {}).get("quantityFulfilled")
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
                    shipped if isinstance(shipped, int) and not isinstance(shipped, bool) else "",
                    "true" if requested else "false",
                    request.get("cancelReason") if requested else "",
                    ship_by,
                    sales.get("marketplaceName") or sales.get("channelName"),
                    sales.get("marketplaceId"),
                )
            )


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def window(days: int, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The window a fetch asks for: `days` days up to `now` (whole seconds, UTC)."""
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    now = now.replace(microsecond=0)
    return now - dt.timedelta(days=days), now


def preamble(market_code: str, marketplace_id: str, since: dt.datetime, now: dt.datetime) -> str:
    """The file's first line: what it lists (orders_report.FETCH_MARK reads it)."""
    cells = (
        FETCH_MARK,
        f"marketplace={market_code}",
        f"marketplace-id={marketplace_id}",
        f"created-after={_stamp(since)}",
        f"fetched-at={_stamp(now)}",
        f"statuses={','.join(FULFILLMENT_STATUSES)}",
        "fulfilled-by=MERCHANT",
    )
    return "\t".join(cells)


def fetch(
    client: spapi.SpapiClient, days: int, now: dt.datetime | None = None
) -> Iterator[tuple[str, ...]]:
    """The lines of the client's marketplace: merchant-fulfilled orders created in the last
    `days` days that are Pending, Unshipped or PartiallyShipped."""
    since_moment, _ = window(days, now)
    since = _stamp(since_moment)
    orders = client.search_orders(
        client.market.marketplace_id, since, FULFILLMENT_STATUSES, INCLUDED_DATA
    )
    return order_lines(orders)
