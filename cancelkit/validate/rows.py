"""Row rules: each input row becomes a `Record`, accepted or rejected with its problems.

Rows already in canonical form take a fast path built from the model's own patterns; every
other row is validated by `CancellationRecord` (model.py), which holds the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..amazon import flatfile, reasons
from ..amazon.order_ids import DASHES as ORDER_ID_DASHES
from ..amazon.order_ids import clean_order_id
from ..codes import Flag, Problem
from ..read.table import Table, unguard


@dataclass(slots=True)
class Record:
    """One input row after validation (and, later, assessment)."""

    source: str
    row: int
    order_id: str
    amazon_order_item_code: str | None
    reason: str | None
    status: str  # "accepted", "rejected" or "duplicate"
    cells: list[str]
    table: Table
    context: dict[str, str] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    counts_against_rate: bool | None = None
    risk: str | None = None

    @property
    def values(self) -> dict[str, str]:
        """The original cells by their header names."""
        headers = self.table.headers
        return {
            (headers[i] if i < len(headers) else f"column {i + 1}"): value
            for i, value in enumerate(self.cells)
        }

    def reject(self, code: str, column: str, value: str, message: str) -> None:
        self.status = "rejected"
        self.errors.append(Problem(code, column, value, message))


_FLAT_CODES = frozenset(reasons.FLAT_FILE_CODES)
#: dashes a copied order id may carry instead of the ASCII hyphen (amazon/order_ids.py)
DASHES = ORDER_ID_DASHES


def order_id_forms(text: str) -> set[str]:
    """The forms in which an order-id cell reaches the order reports: trimmed as typed,
    and as every reader cleans it (amazon/order_ids.py: invisible characters, dashes)."""
    return {text.strip(), clean_order_id(text)}


class RowValidator:
    """Validates the rows of one table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        #: the flat file's line (amazon/flatfile.py): a canonical row's line matches it
        self.line_format = flatfile.line_format()
        fields = table.fields
        self.width = len(table.headers)
        self.i_order = fields["order_id"]
        self.i_item = fields.get("amazon_order_item_code")
        self.i_reason = fields.get("reason")
        self.context_columns = [
            (name, index)
            for name, index in fields.items()
            if name not in ("order_id", "amazon_order_item_code", "reason")
        ]
        #: (order_id, sku) -> (item code, None) or (None, (code, message)); set when an order
        #: report can turn a SKU into the item code
        self.resolver = None
        #: (order_id, item code) -> whether an order report lists that item for the order
        #: (an id it lists is taken whatever its length); set when an order report is given
        self.item_lister = None

    def fast_record(self, number: int, cells: list[str], assessment) -> Record:
        """The record of a row the pipeline's fast path accepted (canonical values)."""
        table = self.table
        i_item, i_reason = self.i_item, self.i_reason
        # the fast path takes only tables with both columns
        assert i_item is not None and i_reason is not None
        record = Record(
            table.source,
            number,
            cells[self.i_order],
            cells[i_item] or None,
            cells[i_reason] or None,
            "accepted",
            cells,
            table,
            {name: unguard(cells[i]) for name, i in self.context_columns if cells[i]},
        )
        record.counts_against_rate = assessment.counts_against_rate
        record.risk = assessment.risk
        record.flags.extend(assessment.flags)
        return record

    def __call__(self, number: int, cells: list[str]) -> Record:
        if len(cells) < self.width:
            cells.extend([""] * (self.width - len(cells)))
        order_id = cells[self.i_order]
        item = cells[self.i_item] if self.i_item is not None else ""
        reason = cells[self.i_reason] if self.i_reason is not None else ""
        context = {name: unguard(cells[i]) for name, i in self.context_columns if cells[i]}
        table = self.table
        if self.line_format.canonical_line(order_id, reason, item) is not None:
            return Record(
                table.source,
                number,
                order_id,
                item or None,
                reason or None,
                "accepted",
                cells,
                table,
                context,
            )
        raw = {
            "order_id": unguard(order_id),
            "amazon_order_item_code": unguard(item),
            "reason": unguard(reason),
        }
        lookup = None
        if self.resolver is not None and not raw["amazon_order_item_code"].strip():
            sku = context.get("sku", "").strip()
            if sku and raw["reason"].strip():
                lookup = self.resolver(raw["order_id"].strip(), sku, context)
                if lookup[0] is not None:
                    raw["amazon_order_item_code"] = lookup[0]
        from .model import validate_fields  # pydantic loads only when a row needs it

        listed = lookup[0] if lookup is not None else None
        if listed is None and self.item_lister is not None:
            listed = self.item_lister(raw["order_id"], raw["amazon_order_item_code"])
        model, problems, notes = validate_fields(raw, listed)
        if lookup is not None:
            if lookup[0] is not None:
                notes.append(
                    Flag(
                        "item_code_from_report",
                        f"item code {lookup[0]} of SKU {sku} taken from the order report",
                    )
                )
            else:  # the lookup's error says more than "reason without item code"
                problems = [p for p in problems if p[0] != "reason_without_item"]
                # (code, message), or (code, message, field, value, where) for an order-state
                # error: the order's state speaks before the SKU
                code, message, *state = lookup[1]
                if state:
                    field, value, where = state
                    name = table.column_of(field, where)
                else:
                    name, value = "sku", sku
                problems.append((code, name, value, message))
                model = None
        if model is None:
            record = Record(
                table.source,
                number,
                raw["order_id"].strip(),
                raw["amazon_order_item_code"].strip() or None,
                raw["reason"].strip() or None,
                "rejected",
                cells,
                table,
                context,
                notes,
            )
            for code, name, value, message in problems:
                record.errors.append(Problem(code, table.column_of(name), value, message))
            return record
        return Record(
            table.source,
            number,
            model.order_id,
            model.amazon_order_item_code,
            model.reason,
            "accepted",
            cells,
            table,
            context,
            notes,
        )
