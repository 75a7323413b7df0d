"""The join index: Amazon order reports joined by order id, asked by the pipeline for an
order's facts, its item codes, its state (the newest evidence wins) and the window count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator

from ..amazon import order_states, policy
from ..read.words import is_yes
from .order_decision import (
    _FINAL_CODES,
    Decision,
    _conflict,
    _finding_key,
    _line_values,
    _said_by,
    _two_columns,
)
from .order_facts import (
    _MARKET_EVIDENCE,
    ORDER_FIELDS,
    OrderInfo,
    OrderItem,
    Sighting,
    _items_text,
    _merge_item,
)
from .order_window import _Dated
from .report_file import ReportFile, _parse_time

#: yes/no fields where any report's yes wins over another report's no
_YES_WINS = frozenset({"buyer_requested", "verge_of_cancellation"})


class OrdersReport:
    """Amazon order reports joined by order id. Build it with `load(paths)`; given the
    batch's order ids, it keeps only those orders (the window count covers every line)."""

    def __init__(
        self,
        sources: list[str],
        wanted: Collection[str] | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        self.sources = sources
        #: the run's clock: a report date later than it is in the future
        self.now = now or dt.datetime.now(dt.timezone.utc)
        self._orders: dict[str, OrderInfo] = {}
        #: the only orders kept (None: every order of the reports)
        self.wanted = wanted
        self._dated = _Dated()
        #: what could not be read from the reports, for the summary and the report
        self.problems: list[str] = []
        #: one entry per report file read
        self.files: list[ReportFile] = []
        #: order id -> why a line of that order could not be read (its state is not known)
        self.unreadable: dict[str, str] = {}
        self._last_decision: tuple[tuple, Decision | None] | None = None

    def evidence(self, now: dt.datetime, max_age_hours: float) -> list[dict]:
        """Each report's age, staleness and buyer-request column (`summary["order_reports"]`)."""
        return [f.evidence(now, max_age_hours) for f in self.files]

    def lacks_buyer_request_column(self, order_id: str) -> bool:
        """Whether the order is listed only by reports without the buyer-request column."""
        order = self._orders.get(order_id)
        return order is not None and not order.buyer_request_column

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def __repr__(self) -> str:
        return f"OrdersReport(sources={self.sources!r}, orders={len(self._orders)})"

    def order_ids(self) -> Iterator[str]:
        return iter(self._orders)

    def get(self, order_id: str) -> OrderInfo | None:
        """The order's facts, or None when no report lists it."""
        return self._orders.get(order_id)

    def resolve_item(self, order_id: str, sku: str) -> tuple[str | None, tuple[str, str] | None]:
        """The item code of the one item of `order_id` with this SKU.

        Returns `(item_code, None)`, or `(None, (code, message))` with code
        `sku_not_in_order` (no such item, or the order is in no report), `sku_ambiguous`
        (several items carry the SKU) or `item_code_not_in_report` (the report lists the
        item but has no order-item-id column).
        """
        sku = sku.strip()
        order = self._orders.get(order_id)
        if order is None:
            return None, (
                "sku_not_in_order",
                f"order {order_id} is not in the order report, so the item code of SKU "
                f"{sku} cannot be looked up; give amazon-order-item-code",
            )
        matches = [i for i in order.items if i.sku == sku]
        if not matches:
            folded = sku.casefold()
            matches = [i for i in order.items if i.sku and i.sku.casefold() == folded]
        coded = [i for i in matches if i.item_code]
        if len(coded) == 1:
            return coded[0].item_code, None
        if len(coded) > 1:
            return None, (
                "sku_ambiguous",
                f"order {order_id} has {len(coded)} items with SKU {sku} "
                f"({', '.join(i.item_code or '' for i in coded)}); give amazon-order-item-code "
                "to say which one is cancelled",
            )
        if matches:
            return None, (
                "item_code_not_in_report",
                f"the order report lists SKU {sku} in order {order_id} but has no "
                "order-item-id column; add the Unshipped Orders report or give "
                "amazon-order-item-code",
            )
        return None, (
            "sku_not_in_order",
            f"order {order_id} has no item with SKU {sku}; its items: {_items_text(order)}",
        )

    # -- the order's state: the newest evidence wins ----------------------------------------
    def absent_from_listing(
        self, order_id: str, marketplace: str | None = None, after: dt.datetime | None = None
    ) -> tuple[str, str] | None:
        """`("order_not_unshipped", message)` when a complete listing of the cancellable
        orders (an Unshipped Orders report, a fetch-orders file; DOMAIN.md section 10)
        covers the order and does not list it; None when no listing can tell. With `after`,
        only listings newer than that moment speak (an older one is overruled by the
        report that lists the order)."""
        order = self._orders.get(order_id)
        purchased = _parse_time(order.purchase_date) if order and order.purchase_date else None
        listed_in = {s.file for s in order.sightings} if order is not None else set()
        for index, report in enumerate(self.files):
            if not report.complete or report.window is None or index in listed_in:
                continue
            if after is not None and report.moment <= after:
                continue
            if marketplace and report.marketplace and report.marketplace != marketplace:
                continue  # a listing of another marketplace says nothing about this order
            start, end = (moment.astimezone(dt.timezone.utc) for moment in report.window)
            if purchased is not None and not start <= purchased <= end:
                continue  # placed outside the listing's window: it cannot tell
            what = (
                "fetch-orders file"
                if report.kind == "fetch-orders"
                else ("Unshipped Orders report")
            )
            covers = (
                f"purchased {purchased.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
                if purchased is not None
                else "its purchase date is not known"
            )
            return (
                "order_not_unshipped",
                f"order {order_id} is not in {report.when()}, {what} that lists every "
                f"unshipped merchant order placed {start:%Y-%m-%d %H:%M} to "
                f"{end:%Y-%m-%d %H:%M} UTC ({covers}): it is shipped, cancelled, pending, "
                "fulfilled by Amazon or not of this marketplace, and is not cancelled. If it "
                "was placed before that window, give a report that covers it",
            )
        return None

    def decide(
        self,
        order_id: str,
        item_code: str | None,
        whole_order: bool,
        sku: str | None = None,
        marketplace: str | None = None,
    ) -> Decision | None:
        """What the reports say about cancelling this order (or item): `_decide`, asked
        once for the several questions the join asks about one row (the last answer is
        kept; reading a line or a file forgets it)."""
        key = (order_id, item_code, whole_order, sku, marketplace, len(self.files))
        last = self._last_decision
        if last is not None and last[0] == key:
            return last[1]
        decision = self._decide(order_id, item_code, whole_order, sku, marketplace)
        self._last_decision = (key, decision)
        return decision

    def _decide(
        self,
        order_id: str,
        item_code: str | None,
        whole_order: bool,
        sku: str | None = None,
        marketplace: str | None = None,
    ) -> Decision | None:
        """What the reports say about cancelling this order (or item), None when no report
        lists it. The state is read from every column a line gives (order-status,
        item-status, payments-date, fulfillment-channel, quantities); when reports disagree
        the one downloaded later wins (its time: a fetch-orders file's own, else its newest
        plausible date, else the file's modification time), except that an older report's
        shipped, cancelled or Amazon-fulfilled state against a newer one that would let the
        order through is a conflict (an order never goes back to unshipped), and a complete
        listing newer than every report listing the order overrules them."""
        order = self._orders.get(order_id)
        if order is None or not order.sightings:
            return None
        by_file: dict[int, list[Sighting]] = {}
        for sighting in order.sightings:
            by_file.setdefault(sighting.file, []).append(sighting)
        verdicts = {
            index: self._verdict(lines, item_code, whole_order, sku)
            for index, lines in by_file.items()
        }
        ranked = sorted(by_file, key=lambda i: (self.files[i].moment, i))
        winner = ranked[-1]
        finding, values = verdicts[winner]
        source = self.files[winner]
        if len(ranked) > 1:
            newest = source.moment
            ties = [i for i in ranked if self.files[i].moment == newest]
            kinds = {_finding_key(verdicts[i][0]) for i in ties}
            if len(kinds) > 1:
                return Decision(
                    _conflict(
                        order_id,
                        [(self.files[i], verdicts[i][0]) for i in ties],
                        "downloaded at the same time, they disagree",
                    ),
                    source,
                    values,
                )
            if finding is None or finding.kind != "error":
                for index in ranked[:-1]:
                    older = verdicts[index][0]
                    if older is not None and older.code in _FINAL_CODES:
                        return Decision(
                            _conflict(
                                order_id,
                                [(self.files[index], older), (source, finding)],
                                "an older report says the order cannot be cancelled and a "
                                "newer one that it can; an order never goes back to unshipped",
                            ),
                            source,
                            values,
                        )
        if finding is None or finding.kind != "error":
            newer = self.absent_from_listing(order_id, marketplace, after=source.moment)
            if newer is not None:
                code, message = newer
                return Decision(
                    order_states.StateFinding("error", code, "order_id", order_id, message),
                    source,
                    values,
                )
        if finding is not None and len(ranked) > 1:
            finding = _said_by(finding, source, len(ranked))
        return Decision(finding, source, values)

    def _verdict(
        self, lines: list[Sighting], item_code: str | None, whole_order: bool, sku: str | None
    ) -> tuple[order_states.StateFinding | None, dict[str, str]]:
        """One report's say about the row: the first error of its lines for the row (an
        item: that item's lines; a whole order: all), else the first flag."""
        chosen = lines
        if item_code is not None and any(s.item_code for s in lines):
            chosen = [s for s in lines if s.item_code == item_code] or lines
        elif sku and not whole_order and any(s.sku for s in lines):
            chosen = [s for s in lines if s.sku == sku] or lines
        report = self.files[lines[0].file] if lines[0].file < len(self.files) else None
        first_flag: order_states.StateFinding | None = None
        first_values: dict[str, str] | None = None
        for line in chosen:
            values = _line_values(line, report)
            conflict = _two_columns(line)
            if conflict is not None:
                return conflict, values
            finding = order_states.check_context(values, whole_order)
            if finding is not None and finding.kind == "error":
                return finding, values
            if finding is not None and first_flag is None:
                first_flag = finding
            if first_values is None or (finding is not None and first_flag is finding):
                first_values = values
        return first_flag, first_values or {}

    def check_item(self, order_id: str, item_code: str) -> tuple[str, str] | None:
        """`("item_not_in_order", message)` when the reports list the order's item codes
        and `item_code` is not one of them; None when it is, or when the reports cannot
        tell (order not listed, or listed without order-item-ids)."""
        order = self._orders.get(order_id)
        if order is None or not any(i.item_code for i in order.items):
            return None
        if order.item(item_code) is not None:
            return None
        return (
            "item_not_in_order",
            f"item {item_code} is not an item of order {order_id} in the order report; "
            f"its items: {_items_text(order)}",
        )

    def context(self, order_id: str, item_code: str | None = None) -> dict[str, str]:
        """The order's facts as the pipeline's context fields (only those a report gives).

        `sku` and `asin` come from the item `item_code`; for a whole-order row (no item
        code) from the order's only listing, when all its items share one.
        """
        order = self._orders.get(order_id)
        if order is None:
            return {}
        found = {
            name: getattr(order, name)
            for name in ORDER_FIELDS
            if getattr(order, name) and name not in _MARKET_EVIDENCE
        }
        items = [i for i in order.items if i.item_code == item_code] if item_code else order.items
        if not items and len(order.items) == 1 and order.items[0].item_code is None:
            items = order.items  # a report without order-item-ids: the order's one line
        for name in ("sku", "asin"):
            values = {getattr(i, name) for i in items} - {None}
            if len(values) == 1:
                found[name] = values.pop()
        prices = [policy.price_of(i.item_price) for i in items]
        if items and None not in prices:
            found["item_price"] = (
                f"{sum(p or 0.0 for p in prices):.2f}"  # a whole order: all its items
            )
        return found

    def market_filter(self, code: str) -> str | None:
        """`code` when the dated lines name any marketplace (their sales-channel), so that a
        window count takes that marketplace's lines only; None when no line names one."""
        return code if any(self._dated.codes) else None

    def orders_in_window(
        self, days: int, marketplace: str | None = None
    ) -> tuple[int, dt.datetime, dt.datetime] | None:
        """Distinct merchant-fulfilled orders purchased in the `days` days up to the newest
        purchase date of the all-orders reports: `(count, start, end)`, counting
        `start < purchase-date <= end`; None without such a report or purchase dates.
        With `marketplace` (a code), only the orders whose sales-channel names it.

        Only reports with an order-status column (Amazon's all-orders reports) count: the
        Unshipped Orders report lists only unshipped orders, too few for the rate's
        denominator. Orders without a fulfillment-channel are counted.
        """
        return self._dated.window(days, marketplace)

    # -- building -------------------------------------------------------------------------
    def _add(self, order_id: str, order_values: dict[str, str], item: OrderItem) -> OrderInfo:
        self._last_decision = None
        order = self._orders.get(order_id)
        if order is None:
            order = self._orders[order_id] = OrderInfo(order_id)
        for name, value in order_values.items():
            if not value:
                continue
            current = getattr(order, name)
            # a later report may show a buyer request or auto-cancel warning an earlier did
            # not; and of two reports that disagree on the order's state, the one that stops
            # the cancellation wins (an older report may still say Unshipped)
            if (
                not current
                or (name in _YES_WINS and is_yes(value))
                or (name in _STATE_WINS and value != current and _stops(name, value, current))
            ):
                setattr(order, name, value)
        if item.item_code or item.sku or item.asin:
            _merge_item(order, item)
        return order


_STATE_WINS = frozenset({"order_status", "fulfillment_channel"})


def _state_rank(name: str, value: str) -> int:
    """How strongly a status or channel value speaks against a cancellation."""
    if name == "order_status":
        state = order_states.classify(value)
        if state.kind in order_states.BLOCKED:
            return 3
        return 2 if state.kind == order_states.UNKNOWN else int(state.partial)
    kind = order_states.channel_kind(value)
    return {order_states.AMAZON_FULFILLED: 3, order_states.UNKNOWN: 2}.get(kind, 0)


def _stops(name: str, value: str, current: str) -> bool:
    return _state_rank(name, value) > _state_rank(name, current)
