"""Validation: row rules (through the record model) and batch rules (duplicates, conflicts).

Rows already in canonical form take a fast path built from the model's own patterns; every
other row is validated by `CancellationRecord`, which holds the rules. Batch rules run on a
compact per-row index (a few bytes a row), so a million-row batch is checked without
keeping the rows in memory.
"""

from __future__ import annotations

import bisect
import os
import re
from array import array
from dataclasses import dataclass, field
from itertools import compress, count

from ..amazon import reasons
from ..amazon.flatfile import ITEM_CODE_PATTERN, ORDER_ID_PATTERN
from ..amazon.policy import RISK_LEVELS
from ..codes import Flag, Problem
from ..read import headers as columns
from ..read.tables import Table, unguard
from .spill import SPILL_ROWS, Column


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
# A flat-file data line whose values are already canonical: the model's order-id and item
# patterns, a flat-file reason code with its item, or both empty (whole order). A cell that
# held a tab or line break cannot match, as the pattern has exactly two tabs.
canonical_line_ok = re.compile(
    rf"{ORDER_ID_PATTERN}\t(?:(?:{'|'.join(reasons.FLAT_FILE_CODES)})\t{ITEM_CODE_PATTERN}|\t)\r\n"
).fullmatch


class RowValidator:
    """Validates the rows of one table."""

    def __init__(self, table: Table) -> None:
        self.table = table
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
        self.header_of = {name: table.headers[index] for name, index in fields.items()}
        #: (order_id, sku) -> (item code, None) or (None, (code, message)); set when an order
        #: report can turn a SKU into the item code
        self.resolver = None

    def fast_record(self, number: int, cells: list[str], assessment) -> Record:
        """The record of a row the pipeline's fast path accepted (canonical values)."""
        table = self.table
        record = Record(
            table.source,
            number,
            cells[self.i_order],
            cells[self.i_item] or None,
            cells[self.i_reason] or None,
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
        if canonical_line_ok(f"{order_id}\t{reason}\t{item}\r\n"):
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
                lookup = self.resolver(raw["order_id"].strip(), sku)
                if lookup[0] is not None:
                    raw["amazon_order_item_code"] = lookup[0]
        from .model import validate_fields  # pydantic loads only when a row needs it

        model, problems, notes = validate_fields(raw)
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
                problems.append((lookup[1][0], "sku", sku, lookup[1][1]))
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
                column = self.header_of.get(name) or columns.DISPLAY.get(name, name)
                record.errors.append(Problem(code, column, value, message))
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


# A bitmap of order-id hashes finds orders seen more than once with 16 MB for any batch
# size; only those candidates are grouped exactly at the end.
_BITMAP_BITS = 1 << 27
SLOT_PRIME = 134217689


@dataclass(frozen=True, slots=True)
class Patch:
    """A change of status decided by a batch rule for one accepted row."""

    status: str  # "duplicate" or "rejected"
    code: str
    message: str
    kept: int | None = None  # for a duplicate: the sequence number of the row kept


def _append(column: Column, values) -> None:
    """Append values to a column, moving its buffer to disk once it is full."""
    column.extend(values)
    if len(column.buffer) >= SPILL_ROWS:
        column.spill()


def pack(reason: str | None, risk: str, counting: bool, requested: bool) -> int:
    """One byte of facts about an accepted row: reason, risk, counts, buyer-requested."""
    return (
        reasons.CODE_INDEX[reason]
        | RISK_INDEX[risk] << 4
        | (64 if counting else 0)
        | (128 if requested else 0)
    )


def unpack(facts: int) -> tuple[str | None, str, bool, bool]:
    """The inverse of `pack`."""
    return (
        reasons.INDEX_CODE[facts & 15],
        RISK_LEVELS[(facts >> 4) & 3],
        bool(facts & 64),
        bool(facts & 128),
    )


RISK_INDEX = {level: i for i, level in enumerate(RISK_LEVELS)}
COUNTING = 64
RISKY = 48  # the risk bits: any level above "none"


class BatchIndex:
    """Compact per-row facts of the accepted rows, in acceptance order: about 24 bytes a
    row plus a fixed 16 MB bitmap. Given a folder, the columns move their older rows to files
    there (column.SPILL_ROWS), so memory stays flat whatever the batch size."""

    def __init__(self, folder: str | None = None) -> None:
        def column(typecode: str, name: str) -> Column:
            return Column(typecode, os.path.join(folder, name) if folder else None)

        self.orders = column("q", "orders.col")  # order id digits as an integer
        # item code digits << 8 | the facts byte (see pack)
        self.item_facts = column("q", "item-facts.col")
        self.rows = column("I", "rows.col")  # the row number a person sees
        self.skus = column("i", "skus.col")  # index into sku_names, -1 for none
        self.sku_names: dict[str, int] = {}
        #: sequence number at which each source's rows begin
        self.source_starts: list[int] = []
        self.bitmap = bytearray(_BITMAP_BITS // 8)
        self.candidates: set[int] = set()
        #: rows that are a further item of the order on the row before (other items, no
        #: whole-order row): each is not an order of its own for the counts...
        self.adjacent = array("I")
        #: ...and of those, the rows that add a counting row to an order already counting
        self.adjacent_counting = array("I")

    def __len__(self) -> int:
        return len(self.orders)

    def columns(self) -> tuple[Column, ...]:
        return self.orders, self.item_facts, self.rows, self.skus

    def spill(self) -> None:
        """Move the rows held in memory to the columns' files."""
        for column in self.columns():
            column.spill()

    def close(self) -> None:
        for column in self.columns():
            column.close()

    def start_source(self) -> None:
        self.source_starts.append(len(self.orders))

    def source_of(self, seq: int) -> int:
        return bisect.bisect_right(self.source_starts, seq) - 1

    def facts(self, seq: int) -> int:
        return self.item_facts[seq] & 255

    def item(self, seq: int) -> int:
        return self.item_facts[seq] >> 8

    def sku_id(self, sku: str | None) -> int:
        if not sku:
            return -1
        return self.sku_names.setdefault(sku, len(self.sku_names))

    def add(self, order_id: str, item: str | None, facts: int, row: int, sku: int) -> int:
        """Remember one accepted row; returns its sequence number. (The pipeline's hot loop
        inlines this body.)"""
        order = int(order_id.replace("-", ""))
        slot = order % SLOT_PRIME
        bit = 1 << (slot & 7)
        slot >>= 3
        if self.bitmap[slot] & bit:
            self.candidates.add(order)
        else:
            self.bitmap[slot] |= bit
        self.orders.append(order)
        self.item_facts.append((int(item) << 8 if item else 0) | facts)
        self.rows.append(row)
        self.skus.append(sku)
        return len(self.orders) - 1

    def extend(
        self,
        orders: Column,
        item_facts: Column,
        rows: Column,
        skus: Column,
        sku_names: list[str],
        candidates: set[int],
        adjacent: array,
        adjacent_counting: array,
    ) -> None:
        """Append another index's rows (read from a later part of the same source)."""
        remap = [self.sku_id(name) for name in sku_names]
        remap.append(-1)  # so that remap[-1], "no SKU", stays -1
        offset = len(self.orders)
        self.adjacent.extend(seq + offset for seq in adjacent)
        self.adjacent_counting.extend(seq + offset for seq in adjacent_counting)
        bitmap = self.bitmap
        add_candidate = self.candidates.add
        previous = None
        for chunk in orders.chunks():
            for order in chunk:  # orders seen in both parts are candidates too
                if order == previous:
                    continue  # a further row of the same order: the other part judged it
                previous = order
                slot = order % SLOT_PRIME
                bit = 1 << (slot & 7)
                slot >>= 3
                if bitmap[slot] & bit:
                    add_candidate(order)
                else:
                    bitmap[slot] |= bit
            _append(self.orders, chunk)
        self.candidates |= candidates
        for chunk in item_facts.chunks():
            _append(self.item_facts, chunk)
        for chunk in rows.chunks():
            _append(self.rows, chunk)
        for chunk in skus.chunks():
            _append(self.skus, map(remap.__getitem__, chunk))

    def groups(self) -> dict[int, list[int]]:
        """Sequence numbers of the rows of every order that may appear more than once."""
        candidates, orders = self.candidates, self.orders
        groups: dict[int, list[int]] = {}
        for seq in compress(count(), map(candidates.__contains__, orders)):
            members = groups.get(orders[seq])
            if members is None:
                groups[orders[seq]] = [seq]
            else:
                members.append(seq)
        return groups

    def resolve(self, where, counting_rows: int) -> tuple[dict[int, Patch], int, int]:
        """Apply the batch rules to the orders that appear more than once.

        Returns the patches, the number of distinct orders kept and how many of them count
        against the rate (`counting_rows`: rows with the counting bit, before the rules).
        `where(seq)` describes a row for messages ("in.csv row 5").
        """
        patches: dict[int, Patch] = {}
        item_facts, candidates = self.item_facts, self.candidates
        order_of = self.orders.__getitem__
        # further items of an order on the rows before it are not orders of their own,
        # unless the order is a candidate: its rows are all counted afresh below
        orders = len(self.orders) - len(self.adjacent)
        orders += sum(map(candidates.__contains__, map(order_of, self.adjacent)))
        counting_orders = counting_rows - len(self.adjacent_counting)
        counting_orders += sum(map(candidates.__contains__, map(order_of, self.adjacent_counting)))
        for seqs in self.groups().values():
            size = len(seqs)
            if size == 1:
                continue
            values = [item_facts[s] for s in seqs]
            items = [v >> 8 for v in values]
            counting = [v & COUNTING for v in values]
            if 0 not in items and len(set(items)) == size:
                # several different items of one order: all kept, one order for the rate
                kept = range(size)
            else:
                self._conflicts(seqs, items, values, where, patches)
                kept = [i for i, s in enumerate(seqs) if s not in patches]
            # each row was counted as an order of its own; the group is one order (or none)
            orders += (1 if kept else 0) - size
            kept_counting = any(counting[i] for i in kept)
            counting_orders += (1 if kept_counting else 0) - sum(1 for c in counting if c)
        return patches, orders, counting_orders

    @staticmethod
    def _conflicts(seqs, items, values, where, patches: dict[int, Patch]) -> None:
        whole = [s for s, item in zip(seqs, items) if item == 0]
        if whole and len(whole) < len(seqs):
            others = ", ".join(where(s) for s in seqs)
            for s in seqs:
                patches[s] = Patch(
                    "rejected",
                    "whole_order_conflict",
                    "the order is cancelled both as a whole and item by item in this "
                    f"batch ({others}); keep either the whole-order row or the item rows",
                )
            return
        by_item: dict[int, list[tuple[int, int]]] = {}
        for s, item, value in zip(seqs, items, values):
            by_item.setdefault(item, []).append((s, value & 15))
        for members in by_item.values():
            if len(members) < 2:
                continue
            if len({code for _, code in members}) > 1:
                listing = ", ".join(
                    f"{reasons.INDEX_CODE[code]} ({where(s)})" for s, code in members
                )
                for s, _ in members:
                    patches[s] = Patch(
                        "rejected",
                        "conflicting_reasons",
                        f"the same order item has different reasons: {listing}; choose one",
                    )
            else:
                first = members[0][0]
                for s, _ in members[1:]:
                    patches[s] = Patch(
                        "duplicate", "duplicate", f"repeats {where(first)}", kept=first
                    )
