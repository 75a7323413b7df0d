"""Enrich: context joined by order id from Amazon's order reports and from the ledger.

The order report supplies what the seller's batch rarely carries (order status, channel,
buyer-request evidence, ship-by pressure, SKU and ASIN) and turns a SKU into the item code.
The ledger says whether an order or item was already cancelled in an earlier batch.
"""

from __future__ import annotations

from ..codes import Flag
from ..ledger.store import check_row
from ..read.words import is_yes
from ..validate.rows import Record

#: report columns that describe the order's state: the report wins over the batch
_AUTHORITATIVE = ("order_status", "fulfillment_channel")


class Enricher:
    """Joins order-report facts and ledger history onto records."""

    def __init__(self, report=None, known=None) -> None:
        self.report = report
        self.known = known or {}
        self.ledger_orders = {order_id for order_id, _ in self.known}

    def __bool__(self) -> bool:
        return self.report is not None or bool(self.known)

    def resolve_item(self, order_id: str, sku: str) -> tuple[str | None, tuple | None]:
        """The item code of the order's item with this SKU (from the order report)."""
        if self.report is None:
            return None, None
        return self.report.resolve_item(order_id, sku)

    def apply(self, record: Record) -> None:
        """Add report context and ledger findings to an accepted record (may reject it)."""
        order_id, item = record.order_id, record.amazon_order_item_code
        if self.report is not None:
            if self.report.get(order_id) is None:
                record.flags.append(
                    Flag(
                        "order_not_in_report",
                        f"order {order_id} is not in the order report given: it may already "
                        "be shipped or cancelled",
                    )
                )
            else:
                if item is not None:
                    problem = self.report.check_item(order_id, item)
                    if problem is not None:
                        column = record.table.column_of("amazon_order_item_code")
                        record.reject(problem[0], column, item, problem[1])
                        return
                context = record.context
                for name, value in self.report.context(order_id, item).items():
                    # evidence of a buyer request from either side counts
                    evidence = name == "buyer_requested" and is_yes(value)
                    if name in _AUTHORITATIVE or name not in context or evidence:
                        context[name] = value
        if self.known:
            found = check_row(self.known, order_id, item)
            if found is not None:
                kind, code, message = found
                if kind == "error":
                    record.reject(code, record.table.column_of("order_id"), order_id, message)
                else:
                    record.flags.append(Flag(code, message))
