"""Amazon order reports (Unshipped Orders, all orders): what cancelkit joins by order id.

Read by header name (DOMAIN.md section 5); unknown columns are ignored. Only the columns in
`ORDER_FIELDS` and `ITEM_FIELDS` are ever read into memory: buyer names, emails, phones,
addresses, tax ids and gift messages are skipped while the line is split, so no object here
can leak them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from itertools import chain
from pathlib import Path

from ..amazon import marketplaces, order_states
from ..amazon.order_ids import clean_order_id
from ..errors import InputError
from ..read import headers as columns
from ..read import text as text_encoding
from .order_facts import ITEM_FIELDS, ORDER_FIELDS, OrderItem, Sighting
from .order_window import _Dated
from .record_lines import RecordLines
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
#: a date later than the run's clock by more than this is in the future (a finding)
FUTURE_SLACK = dt.timedelta(minutes=10)
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
