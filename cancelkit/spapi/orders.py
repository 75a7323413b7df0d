"""The Orders API 2026-01-01 call of `fetch-orders`: searchOrders of merchant-fulfilled
orders, page after page, each order checked to be of the marketplace asked for."""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import SpapiError
from .session import Session
from .vocabulary import ORDERS


class OrdersApi(Session):
    """The Orders API operations of a session."""

    def search_orders(
        self,
        marketplace_id: str,
        created_after: str,
        fulfillment_statuses: tuple[str, ...],
        included_data: tuple[str, ...],
    ) -> Iterator[dict]:
        """searchOrders of merchant-fulfilled orders, page after page; an order of another
        marketplace in an answer is an error (nothing more is asked)."""
        params: dict = {
            "createdAfter": created_after,
            "marketplaceIds": marketplace_id,
            "fulfillmentStatuses": ",".join(fulfillment_statuses),
            "fulfilledBy": "MERCHANT",
            "includedData": ",".join(included_data),
            "maxResultsPerPage": 100,
        }
        for found in self._pages(
            "searchOrders",
            f"{ORDERS}/orders",
            params,
            lambda found: (found.get("pagination") or {}).get("nextToken"),
            lambda params, token: {**params, "paginationToken": token},
        ):
            orders = found.get("orders")
            if not isinstance(orders, list):
                raise SpapiError("searchOrders: Amazon's answer has no orders list")
            for order in orders:
                if not isinstance(order, dict):
                    continue
                market = (order.get("salesChannel") or {}).get("marketplaceId")
                if market is not None and market != marketplace_id:
                    raise self._mismatch("searchOrders", "marketplace", marketplace_id, market)
                yield order
