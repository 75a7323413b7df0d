"""Amazon order reports (Unshipped Orders, all orders): what cancelkit joins by order id.

Read by header name (DOMAIN.md section 5); unknown columns are ignored. Only the columns in
`ORDER_FIELDS` and `ITEM_FIELDS` are ever read into memory: buyer names, emails, phones,
addresses, tax ids and gift messages are skipped while the line is split, so no object here
can leak them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import partial
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path

from ..amazon import marketplaces, order_states
from ..amazon.order_ids import clean_order_id
from ..errors import InputError
from ..read import headers as columns
from ..read import text as text_encoding
from .order_facts import ITEM_FIELDS, ORDER_FIELDS, OrderItem, Sighting
from .order_window import _Dated
from .record_lines import RecordLines
from .report_dates import FUTURE_SLACK, ColumnSpan, _count, _Dates, _Newest, column_span
from .report_file import ReportFile, _parse_time
from .report_index import OrdersReport

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
_WANTED = frozenset((columns.REQUIRED, *ORDER_FIELDS, *ITEM_FIELDS))
_WHAT = "an Amazon order report (tab-separated)"


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


@dataclass
class _Layout:
    """Where a report's columns are: what its lines are split for."""

    header: list[str]
    positions: dict[str, int]
    i_purchase: int | None
    order_fields: list[tuple[str, int]]
    #: the state columns (`_STATE_COLUMNS`) and a second column for one state fact
    state_at: dict[str, int]
    second: dict[str, int]
    #: every date column, by its header name
    date_at: list[tuple[str, int]]
    kind: str
    #: the cells a line is padded to, and the cells a record's state needs
    width: int
    state_width: int

    @property
    def i_order(self) -> int:
        return self.positions[columns.REQUIRED]

    @property
    def all_orders(self) -> bool:
        return "order_status" in self.positions

    def at(self, name: str) -> int | None:
        """The column of a field, a state column or a second column (`status2`...)."""
        if name.endswith("2"):
            return self.second.get(name[:-1])
        found = self.positions.get(name)
        return found if found is not None else self.state_at.get(name)


def _state_positions(header: list[str], folded: list[str], positions: dict[str, int]):
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
    return state_at, second


def _kind(meta: dict[str, str] | None, all_orders: bool, folded: list[str]) -> str:
    if meta is not None:
        return "fetch-orders"
    if all_orders:
        return "all-orders"
    return "unshipped" if _UNSHIPPED_MARKS.intersection(folded) else "other"


def _layout(header: list[str], source: str, meta: dict[str, str] | None) -> _Layout:
    positions, i_purchase = _field_positions(header, source)
    order_fields = [(name, positions[name]) for name in ORDER_FIELDS if name in positions]
    if i_purchase is not None:
        order_fields.append(("purchase_date", i_purchase))
    folded = [columns.fold(name) for name in header]
    state_at, second = _state_positions(header, folded, positions)
    date_at = [(header[i], i) for i, name in enumerate(folded) if name in _DATE_COLUMNS]
    used = [
        *positions.values(),
        i_purchase or 0,
        *state_at.values(),
        *second.values(),
        *(i for _, i in date_at),
    ]
    #: the cells a record must have for its state to be read (a record cut short
    #: before them is unreadable, never "no status")
    state = [positions.get("order_status"), positions.get("fulfillment_channel")]
    state += [*state_at.values(), *second.values()]
    state_width = 1 + max([i for i in state if i is not None] or [positions[columns.REQUIRED]])
    kind = _kind(meta, "order_status" in positions, folded)
    return _Layout(
        header, positions, i_purchase, order_fields, state_at, second, date_at, kind,
        max(used) + 1, state_width,
    )  # fmt: skip


def _header(stream: Iterable[str], source: str) -> tuple[list[str], int, dict[str, str] | None]:
    """The header row's cells, its line number, and a fetch-orders file's metadata."""
    meta: dict[str, str] | None = None
    number = 0
    for line in stream:
        number += 1
        line = line.rstrip("\r\n")
        if line.lstrip("\ufeff").startswith(FETCH_MARK) and meta is None:
            meta = _fetch_metadata(line, source)
            continue
        if line.strip():
            return [cell.strip().lstrip("\ufeff") for cell in line.split("\t")], number, meta
    raise InputError(f"{source}: the order report is empty")


def _cell(cells: list[str], index: int | None) -> str | None:
    if index is None:
        return None
    return cells[index].strip() or None


#: characters of text read a block of lines at a time
BLOCK_CHARS = 1 << 20


class _FileReader:
    """One report file read into an `OrdersReport`: every line counted and dated, the lines
    of the wanted orders kept. Whole lines of a block are taken a column at a time (split
    only as far as the order id and the dates); a block with a multi-line record, or dates
    that cannot be taken at once, goes line by line (`_line`)."""

    def __init__(self, report: OrdersReport, source: str, layout: _Layout) -> None:
        self.report, self.source, self.layout = report, source, layout
        self.file_index = len(report.files)
        self.rows = 0
        self.newest = _Newest()
        self.dates = _Dates(report.now)
        self.oldest_purchase: dt.datetime | None = None
        self.dated = report._dated if layout.all_orders and layout.i_purchase is not None else None
        self.market_codes: dict[str, str | None] = {}  # sales-channel text -> marketplace code
        self.columns = len(layout.header)
        self.records = RecordLines(self.columns, layout.i_order, layout.state_width)
        self.has_request = "buyer_requested" in layout.positions
        # the columns a whole line is split for when its order is not wanted
        needed = [layout.i_order, *(i for _, i in layout.date_at)]
        self.split_at = max(needed) + 1
        self.ids = itemgetter(layout.i_order)
        s = self.layout.at
        self.at = {name: s(name) for name in _SIGHTING_COLUMNS}

    # -- the lines ----------------------------------------------------------------------
    def read(self, stream: Iterable[str], first: int) -> None:
        """The lines after the header; `first` is the number of the first."""
        number = first
        tabs = self.columns - 1
        for lines in iter(partial(stream.readlines, BLOCK_CHARS), []):  # type: ignore[attr-defined]
            odd = [i for i, n in enumerate(map(str.count, lines, repeat("\t"))) if n != tabs]
            odd.append(len(lines))
            start = 0
            for stop in odd:
                if start < stop and self.records.pending is None and self.dated is None:
                    self._whole(lines[start:stop], number + start)
                else:
                    for offset in range(start, stop):
                        self._line(number + offset, lines[offset])
                if stop < len(lines):
                    self._line(number + stop, lines[stop])
                start = stop + 1
            number += len(lines)
        for cells in self.records.feed(number, [""], ""):  # the end of the file
            self._record(number, cells)

    def _line(self, number: int, line: str) -> None:
        cells = line.rstrip("\r\n").split("\t")
        if len(cells) == self.columns and self.records.pending is None:
            self._record(number, cells)  # the usual line: one whole record
            return
        for record in self.records.feed(number, cells, line):
            self._record(number, record)

    def _whole(self, lines: list[str], first: int) -> None:
        """Whole lines (each one record, nothing pending), a column at a time."""
        if self.split_at < self.columns:
            parts = list(map(str.split, lines, repeat("\t"), repeat(self.split_at)))
        else:
            parts = [line.rstrip("\r\n").split("\t") for line in lines]
        ids = list(map(self.ids, parts))
        if "".join(ids).isascii():
            cleaned = list(map(str.strip, ids))
        else:
            cleaned = list(map(clean_order_id, ids))
        numbers: Iterable[int] = range(first, first + len(lines))
        kept_lines: list[str] = lines
        if "" in cleaned:
            mask = list(map(bool, cleaned))
            parts, cleaned = list(compress(parts, mask)), list(compress(cleaned, mask))
            numbers, kept_lines = list(compress(numbers, mask)), list(compress(lines, mask))
        if not self._date_block(parts):
            for number, line in zip(numbers, kept_lines):
                self._line(number, line)
            return
        self.rows += len(cleaned)
        wanted = self.report.wanted
        hits: Iterable[int] = range(len(cleaned))
        if wanted is not None:
            hits = compress(hits, map(wanted.__contains__, cleaned))
        numbered = list(numbers)
        for k in hits:
            cells = kept_lines[k].rstrip("\r\n").split("\t")
            self._keep(numbered[k], cells, cleaned[k])

    def _date_block(self, parts: list[list[str]]) -> bool:
        """Take the dates of a block of whole lines at once; False (nothing taken) when the
        block must be read line by line."""
        spans: list[ColumnSpan] = []
        purchase: ColumnSpan | None = None
        for name, index in self.layout.date_at:
            span = column_span(name, list(map(itemgetter(index), parts)), self.dates.limit)
            if span is False:
                return False
            if isinstance(span, ColumnSpan):
                spans.append(span)
                if index == self.layout.i_purchase:
                    purchase = span
        self.dates.see_span(spans)
        if purchase is not None:
            self.newest.see_moment(purchase.newest)
            if self.oldest_purchase is None or purchase.oldest < self.oldest_purchase:
                self.oldest_purchase = purchase.oldest
        return True

    def _record(self, number: int, cells: list[str]) -> None:
        layout = self.layout
        if len(cells) < layout.width:
            cells.extend([""] * (layout.width - len(cells)))
        order_id = clean_order_id(cells[layout.i_order])
        if not order_id:
            return
        self.rows += 1
        for name, index in layout.date_at:
            self.dates.see(name, cells[index], number)
        if layout.i_purchase is not None:
            self._purchase(order_id, cells, cells[layout.i_purchase])
        wanted = self.report.wanted
        if wanted is not None and order_id not in wanted:
            return  # not an order of the batch: only counted
        self._keep(number, cells, order_id)

    def _purchase(self, order_id: str, cells: list[str], text: str) -> None:
        moment = self.newest.see(text)
        if moment is not None and moment > self.report.now + FUTURE_SLACK:
            moment = None  # a date in the future: a finding, not the report's age
        if moment is None:
            return
        if self.oldest_purchase is None or moment < self.oldest_purchase:
            self.oldest_purchase = moment
        if self.dated is not None:
            market = None
            i_market = self.layout.positions.get("marketplace")
            if i_market is not None:
                text = cells[i_market]
                market = self.market_codes.get(text)
                if market is None and text not in self.market_codes:
                    market = self.market_codes[text] = marketplaces.marketplace_code(text)
            i_channel = self.layout.positions.get("fulfillment_channel")
            _count_dated(self.dated, order_id, moment, cells, i_channel, market)

    def _keep(self, number: int, cells: list[str], order_id: str) -> None:
        """The line of a wanted order: its facts, its item and its sighting."""
        layout, at = self.layout, self.at
        if len(cells) < layout.width:
            cells.extend([""] * (layout.width - len(cells)))
        values = {name: cells[index].strip() for name, index in layout.order_fields}
        item = OrderItem(
            _cell(cells, at["amazon_order_item_code"]),
            _cell(cells, at["sku"]),
            _cell(cells, at["asin"]),
            _cell(cells, at["item_price"]),
        )
        order = self.report._add(order_id, values, item)
        order.sightings.append(self._sighting(number, cells, item))
        if layout.all_orders:
            order.in_orders_report = True
        if self.has_request:
            order.buyer_request_column = True

    def _sighting(self, number: int, cells: list[str], item: OrderItem) -> Sighting:
        at = self.at

        def text(name: str) -> str:
            index = at[name]
            return cells[index].strip() if index is not None else ""

        def second(name: str) -> str | None:
            index = at[name]
            return cells[index].strip() if index is not None else None

        def count(name: str) -> int | None:
            index = at[name]
            return _count(cells[index]) if index is not None else None

        i_paid = at["payments_date"]
        return Sighting(
            file=self.file_index,
            line=number,
            status=text("order_status"),
            channel=text("fulfillment_channel"),
            status2=second("order_status2"),
            channel2=second("fulfillment_channel2"),
            item_status=text("item_status"),
            paid=bool(cells[i_paid].strip()) if i_paid is not None else None,
            quantity=count("quantity"),
            shipped=count("quantity_shipped"),
            item_code=item.item_code,
            sku=item.sku,
        )

    # -- the file's entry ---------------------------------------------------------------
    def finish(self, path: Path, meta: dict[str, str] | None) -> ReportFile:
        report, source, dates = self.report, self.source, self.dates
        report.problems.extend(f"{source}: {problem}" for problem in self.records.problems)
        for order_id, problem in self.records.unreadable.items():
            report.unreadable.setdefault(order_id, f"{source}: {problem}")
        if self.rows == 0:
            raise InputError(f"{source}: the order report has no order lines below the header")
        file_time = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        newest_plausible = self.newest.moment
        if newest_plausible is not None and newest_plausible > report.now + FUTURE_SLACK:
            newest_plausible = None
        fetched_at = window = market = None
        if meta is not None:
            fetched_at = _meta_time(meta, "fetched-at", source)
            window = (_meta_time(meta, "created-after", source), fetched_at)
            market = meta.get("marketplace") or None
        elif self.layout.kind == "unshipped" and self.oldest_purchase is not None:
            end = dates.newest or file_time
            window = (self.oldest_purchase, max(end, self.oldest_purchase))
        if dates.future:
            report.problems.append(
                f"{source}: {dates.future} date(s) in the future ({dates.first_future}); the "
                "report's age is read from its newest date that is not"
            )
        return ReportFile(
            source=source,
            lines=self.rows,
            newest_purchase=newest_plausible,
            file_time=file_time,
            buyer_request_column=self.has_request,
            all_orders=self.layout.all_orders,
            kind=self.layout.kind,
            newest_date=dates.newest,
            newest_basis=dates.basis,
            future_dates=dates.future,
            first_future=dates.first_future,
            window=window,
            marketplace=market,
            fetched_at=fetched_at,
        )


#: the columns a sighting reads (`_Layout.at`)
_SIGHTING_COLUMNS = (
    "amazon_order_item_code", "sku", "asin", "item_price", "order_status",
    "fulfillment_channel", "order_status2", "fulfillment_channel2", "item_status",
    "payments_date", "quantity", "quantity_shipped",
)  # fmt: skip


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


def _read_one(report: OrdersReport, path: Path) -> None:
    source = str(path)
    if path.is_dir():
        raise InputError(f"{source}: is a folder, not an order report")
    with text_encoding.open_text(path, source, _WHAT) as stream:
        header, header_line, meta = _header(stream, source)
        reader = _FileReader(report, source, _layout(header, source, meta))
        reader.read(stream, header_line + 1)
    report.files.append(reader.finish(path, meta))


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
