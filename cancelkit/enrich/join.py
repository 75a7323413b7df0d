"""Enrich: context joined by order id from Amazon's order reports and from the ledger.

The order report supplies what the seller's batch rarely carries (order status, channel,
buyer-request evidence, ship-by pressure, SKU and ASIN) and turns a SKU into the item code.
The ledger says whether an order or item was already cancelled in an earlier batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from ..amazon import marketplaces, order_states
from ..codes import Flag, Problem
from ..ledger.store import Ledger
from ..ledger.values import KnownRows
from ..read.words import is_yes
from ..validate.rows import Record
from .ledger_findings import check_row

#: report columns that describe the order's state: the report decides, the batch's own
#: column may only contradict it (a conflict)
_AUTHORITATIVE = ("order_status", "fulfillment_channel")
#: the context values of an order's state, replaced by the deciding report line's
_STATE_CONTEXT = (
    *_AUTHORITATIVE,
    "item_status",
    "payments_date",
    "quantity_purchased",
    "quantity_shipped",
)
#: context mark: the order reports listing the order have no buyer-request column, so a
#: BuyerCanceled cannot be verified from them (the checker says how to get the column)
REPORT_LACKS_BUYER_REQUEST = "report_lacks_buyer_request"


#: input rows read ahead, whose order ids are looked up in the ledger together
LOOKAHEAD_ROWS = 4096


class LedgerLookup:
    """The ledger's answers about the batch's own orders, asked a block of rows ahead.

    `prefetch` wraps a table's rows: before it hands on a block of LOOKAHEAD_ROWS rows it
    asks the ledger (indexed queries in chunks) about their order ids, so that `orders`
    holds the block's orders that the ledger knows and `known` their rows. An order id
    outside the block (a record path may tidy the cell's text) is asked on its own."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        #: the ledger rows of the current block's orders, and those orders
        self.known = KnownRows()
        self.orders: set[str] = set()
        self._asked: set[str] = set()

    def close(self) -> None:
        self.ledger.close()

    def reopened(self) -> LedgerLookup:
        """A lookup of its own connection (for a forked worker: never share one)."""
        return LedgerLookup(Ledger.open(self.ledger.path, create=False))

    def ask(self, order_ids: Iterable[str]) -> None:
        asked = set(order_ids)
        known = self.ledger.known(asked)
        self.known = known
        self._asked = asked
        self.orders.clear()  # in place: the hot loop holds this set
        self.orders.update(order_id for order_id, _ in known)

    def prefetch(self, rows: Iterable, i_order: int) -> Iterator:
        """The same rows, each block's order ids asked first. An error of the reader is
        raised after the rows read before it, so its row number stays right."""
        rows = iter(rows)
        while True:
            block: list = []
            error = None
            try:
                block.extend(islice(rows, LOOKAHEAD_ROWS))
            except Exception as exc:
                error = exc
            if block:
                self.ask(cells[i_order].strip() for _, cells in block if len(cells) > i_order)
                yield from block
            if error is not None:
                raise error
            if len(block) < LOOKAHEAD_ROWS:
                return

    def check(self, order_id: str, item: str | None) -> Problem | Flag | None:
        if order_id not in self._asked:
            self.ask([order_id])
        return check_row(self.known, order_id, item)


class Enricher:
    """Joins order-report facts and ledger history onto records."""

    def __init__(self, report=None, ledger: LedgerLookup | None = None) -> None:
        self.report = report
        self.ledger = ledger

    def __bool__(self) -> bool:
        return self.report is not None or self.ledger is not None

    def close(self) -> None:
        """Close the ledger connection (the run's look-ups are done)."""
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None

    def reopened(self) -> Enricher:
        """The same joins for a forked worker, with a ledger connection of its own."""
        ledger = self.ledger.reopened() if self.ledger is not None else None
        return Enricher(self.report, ledger)

    def resolve_item(
        self, order_id: str, sku: str, context: dict[str, str] | None = None
    ) -> tuple[str | None, tuple | None]:
        """The item code of the order's item with this SKU (from the order report).

        The order's state speaks first: a pending, shipped, cancelled or Amazon-fulfilled
        order (by the report, else by the row's own columns) gives that error, as
        `(None, (code, message, column, value))`, before any SKU is looked up; the
        all-orders report cannot list the item codes of such orders anyway.
        """
        if self.report is None:
            return None, None
        blocked = self.state_error(order_id, context or {}, whole_order=False)
        if blocked is not None:
            return None, blocked
        return self.report.resolve_item(order_id, sku)

    def state_error(
        self,
        order_id: str,
        context: dict[str, str],
        whole_order: bool,
        item_code: str | None = None,
    ) -> tuple[str, str, str, str, str | None] | None:
        """`(code, message, field, value, where)` when the order's state forbids the
        cancellation, `where` being "order report" when a report said it; None otherwise
        (flags are added by `apply` and the checker).

        The reports decide (`OrdersReport.decide`: every state column, the newest report
        wins); the batch's own order-status or fulfillment-channel that says the order
        cannot be cancelled while the reports say it can is `order_state_conflict`, unless
        it is the reports' own word copied (not a second witness). An order that a complete
        listing does not list is `order_not_unshipped`; one whose report line could not be
        read is `order_report_unreadable`."""
        report = self.report
        if report is None:
            finding = order_states.check_context(context, whole_order)
            if finding is None or finding.kind != "error":
                return None
            return finding.code, finding.message, finding.field, finding.value, None
        unreadable = report.unreadable.get(order_id)
        if unreadable is not None:
            return (
                "order_report_unreadable",
                f"a line of order {order_id} in the order report could not be read "
                f"({unreadable}), so its state is not known and the row is not uploaded; "
                "check the order in Seller Central, or fix the report line",
                "order_id",
                order_id,
                "order report",
            )
        decision = report.decide(
            order_id, item_code, whole_order, context.get("sku"), self._market(context)
        )
        if decision is None:
            missing = report.absent_from_listing(order_id, self._market(context))
            if missing is not None:
                return missing[0], missing[1], "order_id", order_id, "order report"
            finding = order_states.check_context(context, whole_order)
            if finding is None or finding.kind != "error":
                return None
            return finding.code, finding.message, finding.field, finding.value, None
        finding = decision.finding
        if finding is not None and finding.kind == "error":
            return finding.code, finding.message, finding.field, finding.value, "order report"
        conflict = _batch_disagrees(context, decision, whole_order)
        if conflict is not None:
            return conflict
        return None

    @staticmethod
    def _market(context: dict[str, str]) -> str | None:
        text = context.get("marketplace")
        return marketplaces.marketplace_code(text) if text else None

    def _merge_report_context(
        self, context: dict[str, str], order_id: str, item: str | None, decision
    ) -> None:
        """The order report's context of the order joined into the record's."""
        assert self.report is not None
        for name, value in self.report.context(order_id, item).items():
            # evidence of a buyer request from either side counts
            evidence = name == "buyer_requested" and is_yes(value)
            if name not in _AUTHORITATIVE and (name not in context or evidence):
                context[name] = value
        for name in _STATE_CONTEXT:
            context.pop(name, None)
        # the deciding report line's state columns, read again by the checker
        context.update({k: v for k, v in decision.values.items() if v})
        if "buyer_requested" not in context and self.report.lacks_buyer_request_column(order_id):
            context[REPORT_LACKS_BUYER_REQUEST] = "yes"

    def apply(self, record: Record) -> None:
        """Add report context and ledger findings to an accepted record (may reject it)."""
        order_id, item = record.order_id, record.amazon_order_item_code
        if self.report is not None:
            context = record.context
            blocked = self.state_error(order_id, context, item is None, item)
            if blocked is not None:
                code, message, field, value, where = blocked
                record.reject(code, record.table.column_of(field, where), value, message)
                return
            decision = self.report.decide(
                order_id, item, item is None, context.get("sku"), self._market(context)
            )
            if decision is None:
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
                self._merge_report_context(context, order_id, item, decision)
        if self.ledger is not None:
            found = self.ledger.check(order_id, item)
            if isinstance(found, Problem):
                column = record.table.column_of(found.column)
                record.reject(found.code, column, found.value, found.message)
            elif found is not None:
                record.flags.append(found)


def _batch_disagrees(
    context: dict[str, str], decision, whole_order: bool
) -> tuple[str, str, str, str, str | None] | None:
    """`order_state_conflict` when the batch's own state column says the order cannot be
    cancelled and the reports say it can (two witnesses of one fact that disagree); None
    when they agree, or when the batch's value is the reports' word copied."""
    for name in _AUTHORITATIVE:
        mine = context.get(name, "")
        if not mine.strip():
            continue
        theirs = decision.values.get(name, "")
        if order_states.fold(mine) == order_states.fold(theirs):
            continue  # the report's own word
        alone = {name: mine}
        finding = order_states.check_context(alone, whole_order)
        if finding is None or finding.kind != "error":
            continue
        if not theirs.strip() and not decision.report.complete:
            # the report's cell is empty (it says nothing): the batch's word stands alone
            return finding.code, finding.message, finding.field, finding.value, None
        return (
            "order_state_conflict",
            f"the batch's {name.replace('_', '-')} says {order_states.shown(mine)} "
            f"({finding.code}) but {decision.report.when()} says "
            f"{order_states.shown(theirs) if theirs else 'the order is unshipped'}; two "
            "columns for one fact disagree, so the row is not uploaded: check the order in "
            "Seller Central and correct the batch",
            name,
            mine,
            None,
        )
    return None
