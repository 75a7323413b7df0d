"""Amazon order reports (Unshipped Orders, all orders): what cancelkit joins by order id.

Read by header name (DOMAIN.md section 5); unknown columns are ignored. Only the columns in
`ORDER_FIELDS` and `ITEM_FIELDS` are ever read into memory: buyer names, emails, phones,
addresses, tax ids and gift messages are skipped while the line is split, so no object here
can leak them.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..amazon import order_states
from ..errors import InputError
from ..read import headers as columns
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
)
#: item-level fields kept
ITEM_FIELDS: tuple[str, ...] = ("amazon_order_item_code", "sku", "asin")
#: `purchase-date` is not an input column of a cancellation batch, so columns.py lacks it
_PURCHASE_DATE = columns.fold("purchase-date")

#: yes/no fields where any report's yes wins over another report's no
_YES_WINS = frozenset({"buyer_requested", "verge_of_cancellation"})
_WANTED = frozenset((columns.REQUIRED, *ORDER_FIELDS, *ITEM_FIELDS))
_SNIFF_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One line item of an order: its order-item-id (None when the report has no such
    column, as the all-orders report), SKU and ASIN."""

    item_code: str | None
    sku: str | None
    asin: str | None


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
    purchase_date: str = ""
    items: list[OrderItem] = field(default_factory=list)
    #: whether an all-orders report (one with an order-status column) lists the order
    in_orders_report: bool = False

    def item(self, item_code: str) -> OrderItem | None:
        return next((i for i in self.items if i.item_code == item_code), None)


def _items_text(order: OrderInfo) -> str:
    listed = [f"{i.item_code or '(no order-item-id)'} (SKU {i.sku or '?'})" for i in order.items]
    return ", ".join(listed) or "none"


class OrdersReport:
    """Amazon order reports joined by order id. Build it with `load(paths)`."""

    def __init__(self, sources: list[str]) -> None:
        self.sources = sources
        self._orders: dict[str, OrderInfo] = {}

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
        found = {name: getattr(order, name) for name in ORDER_FIELDS if getattr(order, name)}
        items = [i for i in order.items if i.item_code == item_code] if item_code else order.items
        for name in ("sku", "asin"):
            values = {getattr(i, name) for i in items} - {None}
            if len(values) == 1:
                found[name] = values.pop()
        return found

    def orders_in_window(self, days: int) -> tuple[int, dt.datetime, dt.datetime] | None:
        """Distinct merchant-fulfilled orders purchased in the `days` days up to the newest
        purchase date of the all-orders reports: `(count, start, end)`, counting
        `start < purchase-date <= end`; None without such a report or purchase dates.

        Only reports with an order-status column (Amazon's all-orders reports) count: the
        Unshipped Orders report lists only unshipped orders, too few for the rate's
        denominator. Orders without a fulfillment-channel are counted.
        """
        dated: list[tuple[dt.datetime, str]] = []
        for order in self._orders.values():
            if not order.in_orders_report or not order.purchase_date:
                continue
            if not order_states.is_merchant(order.fulfillment_channel):
                continue
            moment = _parse_time(order.purchase_date)
            if moment is not None:
                dated.append((moment, order.order_id))
        if not dated:
            return None
        end = max(moment for moment, _ in dated)
        start = end - dt.timedelta(days=days)
        count = len({order_id for moment, order_id in dated if start < moment <= end})
        return count, start, end

    # -- building -------------------------------------------------------------------------
    def _add(self, order_id: str, order_values: dict[str, str], item: OrderItem) -> OrderInfo:
        order = self._orders.get(order_id)
        if order is None:
            order = self._orders[order_id] = OrderInfo(order_id)
        for name, value in order_values.items():
            # a later report may show a buyer request or auto-cancel warning an earlier did not
            if value and (not getattr(order, name) or name in _YES_WINS and is_yes(value)):
                setattr(order, name, value)
        if item.item_code or item.sku or item.asin:
            _merge_item(order, item)
        return order


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
                known.item_code or item.item_code, known.sku or item.sku, known.asin or item.asin
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


def _open_text(path: Path, source: str):
    """The report's lines, decoded as UTF-8 (with or without BOM), UTF-16 with BOM, or
    Windows-1252 when the bytes are not UTF-8."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(_SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{source}: cannot read the order report ({exc.strerror or exc})") from exc
    if not head.strip():
        raise InputError(f"{source}: the order report is empty")
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in head:
        raise InputError(f"{source}: binary data, not a tab-separated order report")
    else:
        encoding = "utf-8"
        try:
            with open(path, encoding="utf-8") as stream:
                for _ in iter(lambda: stream.read(1 << 20), ""):
                    pass
        except UnicodeDecodeError:
            encoding = "cp1252"
    sample = head.decode(encoding, errors="ignore")
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(2, len(sample) // 100):
        raise InputError(f"{source}: binary data, not a tab-separated order report")
    # cp1252 leaves five bytes undefined; they cannot be in a real report, so replace them
    errors = "replace" if encoding == "cp1252" else "strict"
    return open(path, encoding=encoding, errors=errors, newline="")  # noqa: SIM115


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
        shown = ", ".join(repr(h) for h in header[:8] if h) or "none"
        more = ", ..." if len(header) > 8 else ""
        raise InputError(
            f"{source}: not an Amazon order report: no order-id or amazon-order-id column "
            f"in the header row (columns: {shown}{more})"
        )
    return positions, purchase


def _read_one(report: OrdersReport, path: Path) -> None:
    source = str(path)
    if path.is_dir():
        raise InputError(f"{source}: is a folder, not an order report")
    with _open_text(path, source) as stream:
        header: list[str] | None = None
        for line in stream:
            line = line.rstrip("\r\n")
            if line.strip():
                header = [cell.strip().lstrip("\ufeff") for cell in line.split("\t")]
                break
        if header is None:
            raise InputError(f"{source}: the order report is empty")
        positions, i_purchase = _field_positions(header, source)
        i_order = positions[columns.REQUIRED]
        i_item = positions.get("amazon_order_item_code")
        i_sku, i_asin = positions.get("sku"), positions.get("asin")
        order_fields = [(name, positions[name]) for name in ORDER_FIELDS if name in positions]
        if i_purchase is not None:
            order_fields.append(("purchase_date", i_purchase))
        all_orders = "order_status" in positions
        width = max([*positions.values(), i_purchase or 0]) + 1

        def cell(cells: list[str], index: int | None) -> str | None:
            if index is None:
                return None
            return cells[index].strip() or None

        rows = 0
        for line in stream:
            cells = line.rstrip("\r\n").split("\t")
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            order_id = cells[i_order].strip()
            if not order_id:
                continue
            rows += 1
            values = {name: cells[index].strip() for name, index in order_fields}
            item = OrderItem(cell(cells, i_item), cell(cells, i_sku), cell(cells, i_asin))
            order = report._add(order_id, values, item)
            if all_orders:
                order.in_orders_report = True
    if rows == 0:
        raise InputError(f"{source}: the order report has no order lines below the header")


def load(paths: str | Path | Iterable[str | Path]) -> OrdersReport:
    """Read one or more Amazon order reports (tab-separated, header row) and join them by
    order id. Raises InputError, naming the file, for a report that cannot be used."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    chosen = [Path(p) for p in paths]
    report = OrdersReport([str(p) for p in chosen])
    for path in chosen:
        if not path.exists():
            raise InputError(f"{path}: no such order report")
        _read_one(report, path)
    return report
