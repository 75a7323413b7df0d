"""Amazon order reports (Unshipped Orders, all orders): what cancelkit joins by order id.

Read by header name (DOMAIN.md section 5); unknown columns are ignored. Only the columns in
`ORDER_FIELDS` and `ITEM_FIELDS` are ever read into memory: buyer names, emails, phones,
addresses, tax ids and gift messages are skipped while the line is split, so no object here
can leak them.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, compress
from pathlib import Path

from ..amazon import marketplaces, order_states, policy
from ..amazon.flatfile import ORDER_ID_PATTERN
from ..amazon.order_ids import clean_order_id
from ..errors import InputError
from ..read import headers as columns
from ..read import text as text_encoding
from ..read.words import is_yes

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
#: `purchase-date` is not an input column of a cancellation batch, so columns.py lacks it
_PURCHASE_DATE = columns.fold("purchase-date")
#: the other report columns that tell an order's state (DOMAIN.md sections 5 and 10), read
#: here for the join: the all-orders report's `item-status` and `quantity`, the Unshipped
#: Orders report's `payments-date`, `quantity-purchased` and `quantity-shipped` (what they
#: mean is amazon/order_states.py's; fetch-orders writes them, enrich/amazon_orders.py)
_STATE_COLUMNS: dict[str, str] = {
    columns.fold("item-status"): "item_status",
    columns.fold("payments-date"): "payments_date",
    columns.fold("quantity-purchased"): "quantity",
    columns.fold("quantity"): "quantity",
    columns.fold("quantity-shipped"): "quantity_shipped",
}
#: the dates a report's lines carry; its newest plausible one is the report's time
_DATE_COLUMNS = frozenset(
    columns.fold(name)
    for name in ("purchase-date", "payments-date", "last-updated-date", "reporting-date")
)
#: columns only Amazon's Unshipped Orders report has (DOMAIN.md section 5): a report with
#: one of them and no order-status column lists every unshipped order of its window
_UNSHIPPED_MARKS = frozenset(
    columns.fold(name) for name in ("quantity-to-ship", "days-past-promise", "reporting-date")
)
#: the first line of a fetch-orders file (enrich/amazon_orders.py): what it is a listing of
FETCH_MARK = "#cancelkit-fetch-orders"
#: a date later than the run's clock by more than this is in the future (a finding)
FUTURE_SLACK = dt.timedelta(minutes=10)

#: yes/no fields where any report's yes wins over another report's no
_YES_WINS = frozenset({"buyer_requested", "verge_of_cancellation"})
_WANTED = frozenset((columns.REQUIRED, *ORDER_FIELDS, *ITEM_FIELDS))
_WHAT = "an Amazon order report (tab-separated)"


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


@dataclass(frozen=True)
class ReportFile:
    """What one order report file is: for the evidence the summary and the report show."""

    source: str
    #: the order lines read from it
    lines: int
    #: the newest purchase-date in it (None without that column or dates)
    newest_purchase: dt.datetime | None
    #: the file's modification time
    file_time: dt.datetime
    #: whether it has Amazon's optional is-buyer-requested-cancellation column
    buyer_request_column: bool
    #: whether it is an all-orders report (order-status column)
    all_orders: bool
    #: "all-orders", "unshipped" (Amazon's Unshipped Orders report), "fetch-orders"
    #: (cancelkit's own file) or "other"
    kind: str = "other"
    #: the newest plausible date of its lines (any date column), and that column's name
    newest_date: dt.datetime | None = None
    newest_basis: str | None = None
    #: dates later than the run's clock: how many, and the first one as "line N: value"
    future_dates: int = 0
    first_future: str | None = None
    #: for a complete listing of the cancellable orders (an Unshipped Orders report, a
    #: fetch-orders file): the window it covers, or None when it cannot be known
    window: tuple[dt.datetime, dt.datetime] | None = None
    #: a fetch-orders file's marketplace code
    marketplace: str | None = None
    #: the fetch-orders file's own time (when it was fetched)
    fetched_at: dt.datetime | None = None

    @property
    def complete(self) -> bool:
        """Whether it lists every cancellable order of its window."""
        return self.kind in ("unshipped", "fetch-orders")

    @property
    def moment(self) -> dt.datetime:
        """When the report was downloaded, as well as it can be told: a fetch-orders
        file's own time, else its newest plausible date, else the file's modification time."""
        return self.fetched_at or self.newest_date or self.file_time

    @property
    def basis(self) -> str:
        if self.fetched_at is not None:
            return "fetched-at"
        if self.newest_date is not None:
            return self.newest_basis or "purchase-date"
        return "file-time"

    def when(self) -> str:
        """`report.txt (newest purchase-date 2026-11-24 11:30 UTC)`, for messages."""
        words = {"file-time": "file time", "fetched-at": "fetched at"}
        basis = words.get(self.basis, f"newest {self.basis}")
        return (
            f"{self.source} ({basis} {self.moment.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC)"
        )

    def age_hours(self, now: dt.datetime) -> float:
        """Hours since the report's time (`moment`)."""
        return max(0.0, (now - self.moment).total_seconds() / 3600)

    def evidence(self, now: dt.datetime, max_age_hours: float) -> dict:
        """The report's entry of the summary (`summary["order_reports"]`)."""
        age = self.age_hours(now)
        stale = age > max_age_hours
        basis = {"file-time": "file time", "fetched-at": "fetched at"}.get(
            self.basis, f"newest {self.basis}"
        )
        moment = self.moment
        text = (
            f"{self.source}: {self.lines} order lines; {basis} "
            f"{moment.astimezone(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, {_age_words(age)} ago"
        )
        if self.future_dates:
            text += (
                f"; {self.future_dates} date(s) in the future ({self.first_future}): not "
                "taken as the report's age, check the report (or the computer's clock)"
            )
        if stale:
            text += (
                f", older than {max_age_hours:g} hours: it does not show orders shipped or "
                "cancelled since; download a fresh report before uploading"
            )
        return {
            "path": self.source,
            "order_lines": self.lines,
            "newest_purchase": _iso(self.newest_purchase),
            "file_time": _iso(self.file_time),
            "age_hours": round(age, 1),
            "age_basis": self.basis,
            "newest_date": _iso(self.newest_date),
            "future_dates": self.future_dates,
            "first_future_date": self.first_future,
            "kind": self.kind,
            "window": [_iso(self.window[0]), _iso(self.window[1])] if self.window else None,
            "stale": stale,
            "max_age_hours": max_age_hours,
            "buyer_request_column": self.buyer_request_column,
            "text": text,
        }


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _age_words(hours: float) -> str:
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


class _Dated:
    """The merchant-fulfilled lines of all-orders reports with a purchase date, for
    `orders_in_window`: order ids as integers, times as epoch seconds and the line's
    marketplace as a small number, in three arrays (17 bytes a line, repeated lines of one
    order once), not as Python objects. Order ids that are not 3-7-7 digits (never in
    Amazon's reports) are kept aside as text."""

    def __init__(self) -> None:
        self.orders = array("q")
        self.times = array("d")
        self.markets = array("B")  # index into `codes`
        self.codes: list[str | None] = []
        self._code_index: dict[str | None, int] = {}
        self.odd: list[tuple[float, str, int]] = []
        self._last: tuple[str, float, int] | None = None

    def add(self, order_id: str, moment: dt.datetime, market: str | None) -> None:
        when = moment.timestamp()
        index = self._code_index.get(market)
        if index is None:
            index = self._code_index[market] = len(self.codes)
            self.codes.append(market)
        if self._last == (order_id, when, index):
            return  # the order's next item line
        self._last = (order_id, when, index)
        digits = order_id.replace("-", "")
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            self.orders.append(int(digits))
            self.times.append(when)
            self.markets.append(index)
        else:
            self.odd.append((when, order_id, index))

    def window(
        self, days: int, marketplace: str | None = None
    ) -> tuple[int, dt.datetime, dt.datetime] | None:
        times, orders, odd = self.times, self.orders, self.odd
        if marketplace:  # only the lines of that marketplace
            if marketplace not in self.codes:
                return None
            index = self.codes.index(marketplace)
            mine = list(map(index.__eq__, self.markets))
            times = array("d", compress(times, mine))
            orders = array("q", compress(orders, mine))
            odd = [entry for entry in odd if entry[2] == index]
        if not times and not odd:
            return None
        end_s = max([*([max(times)] if times else []), *(when for when, _, _ in odd)])
        start_s = (
            dt.datetime.fromtimestamp(end_s, dt.timezone.utc) - dt.timedelta(days=days)
        ).timestamp()
        inside = array("q", (o for o, t in zip(orders, times) if start_s < t <= end_s))
        count = distinct_count(inside)
        count += len({o for when, o, _ in odd if start_s < when <= end_s})
        end = dt.datetime.fromtimestamp(end_s, dt.timezone.utc)
        return count, end - dt.timedelta(days=days), end


def distinct_count(values: array) -> int:
    """How many different integers `values` holds, exactly, with two bitmaps of about 16
    bits a value: values whose slot no other value shares are counted at once; only those
    in shared slots (a repeated order, or a collision) go into a set."""
    if not values:
        return 0
    bits = 1 << max(16, (len(values) * 16).bit_length())
    mask = bits - 1
    seen, twice = bytearray(bits >> 3), bytearray(bits >> 3)
    for value in values:
        slot = (value * 0x9E3779B97F4A7C15 >> 17) & mask
        byte, bit = slot >> 3, 1 << (slot & 7)
        if seen[byte] & bit:
            twice[byte] |= bit
        else:
            seen[byte] |= bit
    alone, shared = 0, set()
    for value in values:
        slot = (value * 0x9E3779B97F4A7C15 >> 17) & mask
        if twice[slot >> 3] & 1 << (slot & 7):
            shared.add(value)
        else:
            alone += 1
    return alone + len(shared)


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
                f"({', '.join(i.item_code for i in coded)}); give amazon-order-item-code "
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
            found["item_price"] = f"{sum(prices):.2f}"  # a whole order: all its items
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


@dataclass(frozen=True)
class Decision:
    """What the order reports decide about one row: an error or a flag (None: cancellable),
    the report that spoke, and the state columns of its line as context values
    (`order_states.check_context` reads them again in the checker)."""

    finding: order_states.StateFinding | None
    report: ReportFile
    values: dict[str, str]


#: states an order never leaves: a newer report cannot make such an order cancellable
_FINAL_CODES = frozenset({"order_shipped", "order_already_cancelled", "order_fba"})


def _finding_key(finding: order_states.StateFinding | None) -> tuple[str, str] | None:
    return None if finding is None else (finding.kind, finding.code)


def _line_values(line: Sighting, report: ReportFile | None) -> dict[str, str]:
    """A report line's state columns as context values."""
    values = {"order_status": line.status, "fulfillment_channel": line.channel}
    if line.item_status:
        values["item_status"] = line.item_status
    if line.paid is not None:
        values["payments_date"] = "yes" if line.paid else "no"
        if report is not None and report.kind == "unshipped" and not line.paid:
            # the Unshipped Orders report's line without payments-date: payment not
            # verified yet, the report's sense of Pending (DOMAIN.md section 10)
            values["order_status"] = line.status or "Pending"
    if line.quantity is not None:
        values["quantity_purchased"] = str(line.quantity)
    if line.shipped is not None:
        values["quantity_shipped"] = str(line.shipped)
    return values


def _two_columns(line: Sighting) -> order_states.StateFinding | None:
    """`order_state_conflict` when a line's two columns for one fact disagree."""
    for field_name, first, second, kind_of in (
        ("order_status", line.status, line.status2, lambda v: order_states.classify(v)),
        ("fulfillment_channel", line.channel, line.channel2, order_states.channel_kind),
    ):
        if second is None or not (first.strip() or second.strip()):
            continue
        if kind_of(first) != kind_of(second):
            shown = order_states.shown
            return order_states.StateFinding(
                "error",
                "order_state_conflict",
                field_name,
                f"{first} / {second}",
                f"line {line.line} of the order report has two columns for the order's "
                f"{field_name.replace('_', ' ')} and they disagree ({shown(first)} and "
                f"{shown(second)}); the row is not uploaded: check the order in Seller Central",
            )
    return None


def _conflict(
    order_id: str,
    said: list[tuple[ReportFile, order_states.StateFinding | None]],
    why: str,
) -> order_states.StateFinding:
    def words(finding: order_states.StateFinding | None) -> str:
        if finding is None:
            return "cancellable"
        return f"{finding.code} ({order_states.shown(finding.value)})"

    listed = "; ".join(f"{report.when()} says {words(finding)}" for report, finding in said)
    return order_states.StateFinding(
        "error",
        "order_state_conflict",
        "order_status",
        said[-1][1].value if said[-1][1] is not None else "",
        f"the order reports disagree about order {order_id}: {listed}; {why}. The row is "
        "not uploaded: check the order in Seller Central, or give only a fresh report",
    )


def _said_by(
    finding: order_states.StateFinding, report: ReportFile, reports: int
) -> order_states.StateFinding:
    """The finding, saying which of several reports decided it and why that one."""
    return order_states.StateFinding(
        finding.kind,
        finding.code,
        finding.field,
        finding.value,
        f"{finding.message} (of {reports} order reports listing the order, the newest "
        f"decides: {report.when()})",
    )


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


def _parse_time(text: str) -> dt.datetime | None:
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


def _field_positions(header: list[str], source: str) -> tuple[dict[str, int], int | None]:
    positions: dict[str, int] = {}
    purchase = None
    for index, name in enumerate(header):
        folded = columns.fold(name)
        if folded == _PURCHASE_DATE:
            purchase = index if purchase is None else purchase
            continue
        key = columns.FIELD_BY_HEADER.get(folded)
        if key in _WANTED and key not in positions:
            positions[key] = index
    if columns.REQUIRED not in positions:
        _refuse_other_separator(header, source)
        shown = ", ".join(repr(h) for h in header[:8] if h) or "none"
        more = ", ..." if len(header) > 8 else ""
        raise InputError(
            f"{source}: not an Amazon order report: no order-id or amazon-order-id column "
            f"in the header row (columns: {shown}{more})"
        )
    return positions, purchase


#: separators a report saved by a spreadsheet may use instead of Amazon's tab
_OTHER_SEPARATORS = {",": "comma", ";": "semicolon", "|": "pipe"}


def _refuse_other_separator(header: list[str], source: str) -> None:
    """Say so when a report's header is one cell that another separator splits into an
    order-id column: the report was saved as CSV, not as Amazon's tab-separated text."""
    if len(header) != 1:
        return
    for separator, name in _OTHER_SEPARATORS.items():
        cells = [c.strip().strip('"') for c in header[0].split(separator)]
        if len(cells) > 1 and any(columns.field_of(c) == columns.REQUIRED for c in cells):
            raise InputError(
                f"{source}: this order report is {name}-separated; Amazon's order reports "
                "are tab-separated text: give the report as Seller Central downloads it "
                "(.txt), or save it from Excel as Text (Tab delimited)",
                code="report_not_tab_separated",
            )


def _fetch_metadata(line: str, source: str) -> dict[str, str]:
    """The `key=value` cells of a fetch-orders file's first line."""
    found: dict[str, str] = {}
    for cell in line.split("\t")[1:]:
        key, sep, value = cell.partition("=")
        if sep:
            found[key.strip()] = value.strip()
    return found


def _meta_time(meta: dict[str, str], key: str, source: str) -> dt.datetime:
    moment = _parse_time(meta.get(key, ""))
    if moment is None:
        raise InputError(
            f"{source}: the fetch-orders file's first line has no readable {key} "
            f"({meta.get(key, 'missing')!r}); fetch the orders again"
        )
    return moment


def _read_one(report: OrdersReport, path: Path) -> None:
    source = str(path)
    if path.is_dir():
        raise InputError(f"{source}: is a folder, not an order report")
    now = report.now
    index_of_file = len(report.files)
    meta: dict[str, str] | None = None
    with text_encoding.open_text(path, source, _WHAT) as stream:
        header: list[str] | None = None
        header_line = 0
        for line in stream:
            header_line += 1
            line = line.rstrip("\r\n")
            if line.lstrip("\ufeff").startswith(FETCH_MARK) and meta is None:
                meta = _fetch_metadata(line, source)
                continue
            if line.strip():
                header = [cell.strip().lstrip("\ufeff") for cell in line.split("\t")]
                break
        if header is None:
            raise InputError(f"{source}: the order report is empty")
        positions, i_purchase = _field_positions(header, source)
        i_order = positions[columns.REQUIRED]
        i_item = positions.get("amazon_order_item_code")
        i_sku, i_asin = positions.get("sku"), positions.get("asin")
        i_price = positions.get("item_price")
        order_fields = [(name, positions[name]) for name in ORDER_FIELDS if name in positions]
        if i_purchase is not None:
            order_fields.append(("purchase_date", i_purchase))
        all_orders = "order_status" in positions
        folded = [columns.fold(name) for name in header]
        state_at: dict[str, int] = {}
        for index, name in enumerate(folded):
            field_name = _STATE_COLUMNS.get(name)
            if field_name is not None and field_name not in state_at:
                state_at[field_name] = index
        # a second column for one state fact (`order-status` and `status`): both are read,
        # and a disagreement between them is a conflict (DOMAIN.md: two columns, one fact)
        second: dict[str, int] = {}
        for index, name in enumerate(header):
            key = columns.FIELD_BY_HEADER.get(columns.fold(name))
            if key in ("order_status", "fulfillment_channel") and positions.get(key) != index:
                second.setdefault(key, index)
        date_at = [(header[i], i) for i, name in enumerate(folded) if name in _DATE_COLUMNS]
        i_paid = state_at.get("payments_date")
        i_item_status = state_at.get("item_status")
        i_quantity = state_at.get("quantity")
        i_shipped = state_at.get("quantity_shipped")
        i_status2, i_channel2 = second.get("order_status"), second.get("fulfillment_channel")
        if meta is not None:
            kind = "fetch-orders"
        elif all_orders:
            kind = "all-orders"
        elif _UNSHIPPED_MARKS.intersection(folded):
            kind = "unshipped"
        else:
            kind = "other"
        used = [
            *positions.values(),
            i_purchase or 0,
            *state_at.values(),
            *second.values(),
            *(i for _, i in date_at),
        ]
        width = max(used) + 1
        #: the cells a record must have for its state to be read (a record cut short
        #: before them is unreadable, never "no status")
        state_width = 1 + max(
            [
                i
                for i in (
                    positions.get("order_status"),
                    positions.get("fulfillment_channel"),
                    i_item_status,
                    i_paid,
                    i_quantity,
                    i_shipped,
                    i_status2,
                    i_channel2,
                )
                if i is not None
            ]
            or [i_order]
        )

        def cell(cells: list[str], index: int | None) -> str | None:
            if index is None:
                return None
            return cells[index].strip() or None

        has_request = "buyer_requested" in positions
        rows = 0
        newest = _Newest()
        dates = _Dates(now)
        oldest_purchase: dt.datetime | None = None
        wanted = report.wanted
        dated = report._dated if all_orders and i_purchase is not None else None
        i_channel = positions.get("fulfillment_channel")
        i_status = positions.get("order_status")
        i_market = positions.get("marketplace")
        market_codes: dict[str, str | None] = {}  # sales-channel text -> marketplace code
        records = RecordLines(len(header), i_order, state_width)
        n_columns = len(header)
        for number, line in enumerate(chain(stream, ("",)), header_line + 1):
            cells = line.rstrip("\r\n").split("\t")
            if len(cells) == n_columns and records.pending is None:
                complete: Iterable[list[str]] = (cells,)  # the usual line: one whole record
            else:
                complete = records.feed(number, cells, line)
            for cells in complete:
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                order_id = clean_order_id(cells[i_order])
                if not order_id:
                    continue
                rows += 1
                for name, index in date_at:
                    dates.see(name, cells[index], number)
                if i_purchase is not None:
                    moment = newest.see(cells[i_purchase])
                    if moment is not None and moment > now + FUTURE_SLACK:
                        moment = None  # a date in the future: a finding, not the report's age
                    if moment is not None and (oldest_purchase is None or moment < oldest_purchase):
                        oldest_purchase = moment
                    if dated is not None and moment is not None:
                        market = None
                        if i_market is not None:
                            text = cells[i_market]
                            market = market_codes.get(text)
                            if market is None and text not in market_codes:
                                market = market_codes[text] = marketplaces.marketplace_code(text)
                        _count_dated(dated, order_id, moment, cells, i_channel, market)
                if wanted is not None and order_id not in wanted:
                    continue  # not an order of the batch: only counted
                values = {name: cells[index].strip() for name, index in order_fields}
                item = OrderItem(
                    cell(cells, i_item),
                    cell(cells, i_sku),
                    cell(cells, i_asin),
                    cell(cells, i_price),
                )
                order = report._add(order_id, values, item)
                order.sightings.append(
                    Sighting(
                        file=index_of_file,
                        line=number,
                        status=cells[i_status].strip() if i_status is not None else "",
                        channel=cells[i_channel].strip() if i_channel is not None else "",
                        status2=cells[i_status2].strip() if i_status2 is not None else None,
                        channel2=cells[i_channel2].strip() if i_channel2 is not None else None,
                        item_status=cells[i_item_status].strip()
                        if i_item_status is not None
                        else "",
                        paid=bool(cells[i_paid].strip()) if i_paid is not None else None,
                        quantity=_count(cells[i_quantity]) if i_quantity is not None else None,
                        shipped=_count(cells[i_shipped]) if i_shipped is not None else None,
                        item_code=item.item_code,
                        sku=item.sku,
                    )
                )
                if all_orders:
                    order.in_orders_report = True
                if has_request:
                    order.buyer_request_column = True
        report.problems.extend(f"{source}: {problem}" for problem in records.problems)
        for order_id, problem in records.unreadable.items():
            report.unreadable.setdefault(order_id, f"{source}: {problem}")
    if rows == 0:
        raise InputError(f"{source}: the order report has no order lines below the header")
    file_time = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
    newest_plausible = newest.moment
    if newest_plausible is not None and newest_plausible > now + FUTURE_SLACK:
        newest_plausible = None
    fetched_at = window = market = None
    if meta is not None:
        fetched_at = _meta_time(meta, "fetched-at", source)
        window = (_meta_time(meta, "created-after", source), fetched_at)
        market = meta.get("marketplace") or None
    elif kind == "unshipped" and oldest_purchase is not None:
        end = dates.newest or file_time
        window = (oldest_purchase, max(end, oldest_purchase))
    if dates.future:
        report.problems.append(
            f"{source}: {dates.future} date(s) in the future ({dates.first_future}); the "
            "report's age is read from its newest date that is not"
        )
    report.files.append(
        ReportFile(
            source=source,
            lines=rows,
            newest_purchase=newest_plausible,
            file_time=file_time,
            buyer_request_column=has_request,
            all_orders=all_orders,
            kind=kind,
            newest_date=dates.newest,
            newest_basis=dates.basis,
            future_dates=dates.future,
            first_future=dates.first_future,
            window=window,
            marketplace=market,
            fetched_at=fetched_at,
        )
    )


def _count(text: str) -> int | None:
    """A quantity cell as a whole number (None when it is not one)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


class _Dates:
    """The newest plausible date among a report's date columns, and the dates in the future
    (later than the run's clock): those are counted and named, never the report's age."""

    def __init__(self, now: dt.datetime) -> None:
        self.limit = now + FUTURE_SLACK
        self.newest: dt.datetime | None = None
        self.basis: str | None = None
        self.future = 0
        self.first_future: str | None = None
        #: each column's greatest plausible date as written: a later cell of the same shape
        #: (length and offset) that sorts at or below it cannot be newer, and is not parsed
        self._top: dict[str, str] = {}

    def see(self, name: str, text: str, line: int) -> None:
        top = self._top.get(name)
        if top is not None and len(text) == len(top) and text[-6:] == top[-6:] and text <= top:
            return  # not newer (ISO 8601 of one shape sorts as it reads)
        if not text.strip():
            return
        moment = _parse_time(text)
        if moment is None:
            return
        if moment > self.limit:
            self.future += 1
            if self.first_future is None:
                self.first_future = f"line {line}: {name} {text.strip()}"
            return
        if top is None or len(text) != len(top) or text[-6:] != top[-6:] or text > top:
            self._top[name] = text
        if self.newest is None or moment > self.newest:
            self.newest, self.basis = moment, name


_ORDER_ID = re.compile(ORDER_ID_PATTERN)


class RecordLines:
    """Rejoins the records of a tab-separated report without quoting.

    A line break inside a field (a product name, a gift message) splits a record over
    several physical lines (DOMAIN.md section 7). A line with fewer cells than the header
    is completed by the following lines that do not start a record (no order id in the
    order-id column), the break kept inside the field, until the record has the header's
    column count. A record that overshoots it cannot be rejoined: it is dropped and named,
    with its line numbers, in `problems`; its columns are never shifted.

    The reader hands over only the lines that are not one whole record (`feed`), and `""`
    (no line end) at the end of the file; a whole line needs no call while nothing is
    pending.
    """

    def __init__(self, columns: int, i_order: int, state_width: int = 0):
        self.columns = columns
        self.i_order = i_order
        #: the cells a record needs for its order's state to be read: a record cut short
        #: before them (a line break, then a line that starts a record) is unreadable
        self.state_width = state_width
        self.number = 0
        #: the cells of a record still waiting for its continuation lines
        self.pending: list[str] | None = None
        self.first = 0
        self.problems: list[str] = []
        #: order id -> the problem of its record that could not be read
        self.unreadable: dict[str, str] = {}

    def _starts_record(self, cells: list[str]) -> bool:
        return len(cells) > self.i_order and bool(
            _ORDER_ID.fullmatch(clean_order_id(cells[self.i_order]))
        )

    def _close_short(self, pending: list[str], done: list[list[str]]) -> None:
        """A record that ended before the header's column count: read when it has every
        cell its order's state needs, else named and its order unreadable (fail closed:
        a state cut off is never an empty state)."""
        if len(pending) >= self.state_width:
            done.append(pending)
            return
        self._unjoinable(
            pending,
            self.first,
            len(pending),
            "ends before its state columns (a line break inside a field, then a line that "
            "starts with an order id)",
        )

    def feed(self, number: int, cells: list[str], line: str) -> list[list[str]]:
        """The records complete after physical line `number` (its `cells`)."""
        self.number = number
        pending, done = self.pending, []
        if not line:  # the end of the file
            self.pending = None
            if pending is not None:
                self._close_short(pending, done)
            return done
        if pending is not None:
            if self._starts_record(cells):
                self.pending = None
                if len(pending) + len(cells) - 1 == self.columns and len(cells) < self.columns:
                    # the two short lines make exactly one record: a line break inside a
                    # field whose continuation starts with an order id. Which one it is
                    # cannot be told: neither is read, and both orders are unreadable.
                    self._unjoinable(
                        pending,
                        self.first,
                        len(pending),
                        "and the next line together have the header's cell count (a line "
                        "break inside a field, the next line starting with an order id): "
                        "the record cannot be rebuilt",
                    )
                    self._unjoinable(
                        cells, number, len(cells), "may be the continuation of line "
                        f"{self.first}, not a record",
                    )  # fmt: skip
                    return done
                self._close_short(pending, done)
            else:
                pending[-1] += "\n" + cells[0]
                pending.extend(cells[1:])
                if len(pending) < self.columns:
                    return done
                if len(pending) == self.columns:
                    done.append(pending)
                else:
                    self._unjoinable(pending, self.first, len(pending))
                self.pending = None
                return done
        if len(cells) > self.columns:
            if any(cell.strip() for cell in cells[self.columns :]):
                # a tab inside a field: every column after it would be shifted
                self._unjoinable(cells, number, len(cells))
            else:
                done.append(cells[: self.columns])  # trailing empty cells
        elif len(cells) == self.columns or not line.strip():
            done.append(cells)
        elif not self._starts_record(cells):
            self._unjoinable(cells, number, len(cells))
        else:
            self.pending, self.first = cells, number
        return done

    def _unjoinable(self, cells: list[str], first: int, count: int, why: str = "") -> None:
        last = self.number if not why else first
        lines = f"line {first}" if first == last else f"lines {first}-{last}"
        order = clean_order_id(cells[self.i_order]) if self._starts_record(cells) else None
        what = f"the record of order {order}" if order else "a line that starts no record"
        why = why or ("(a line break or tab inside a field that cannot be rejoined)")
        problem = (
            f"{lines}: {what} has {count} cells where the header has {self.columns} {why}; not read"
        )
        self.problems.append(problem)
        if order:
            self.unreadable[order] = problem


class _Newest:
    """The newest purchase-date of a report, kept on the way (a date repeated on the next
    line, as an order's items are, is parsed once)."""

    def __init__(self) -> None:
        self.moment: dt.datetime | None = None
        self._text: str | None = None
        self._parsed: dt.datetime | None = None

    def see(self, text: str) -> dt.datetime | None:
        """The line's purchase time (None when it has none), noting the newest."""
        if text != self._text:
            self._text = text
            self._parsed = _parse_time(text) if text.strip() else None
            if self._parsed is not None and (self.moment is None or self._parsed > self.moment):
                self.moment = self._parsed
        return self._parsed


def _count_dated(
    dated: _Dated,
    order_id: str,
    moment: dt.datetime,
    cells: list[str],
    i_channel: int | None,
    market: str | None,
) -> None:
    """Note a dated line of an all-orders report for the window count when the order is
    merchant-fulfilled (or no channel is given)."""
    if i_channel is None or order_states.is_merchant(cells[i_channel]):
        dated.add(order_id, moment, market)


def load(
    paths: str | Path | Iterable[str | Path],
    wanted: Collection[str] | None = None,
    now: dt.datetime | None = None,
) -> OrdersReport:
    """Read one or more Amazon order reports (tab-separated, header row) and join them by
    order id. With `wanted` (the batch's order ids), only those orders are kept: memory
    follows the batch, not the reports. Raises InputError, naming the file, for a report
    that cannot be used."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    chosen = [Path(p) for p in paths]
    report = OrdersReport([str(p) for p in chosen], wanted, now)
    for path in chosen:
        if not path.exists():
            raise InputError(f"{path}: no such order report")
        _read_one(report, path)
    return report
