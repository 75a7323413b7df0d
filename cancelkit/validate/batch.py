"""Batch rules over a compact per-row index: duplicates, conflicting reasons, whole-order
conflicts, and the order counts of the batch.

The index keeps a few bytes a row, so a million-row batch is checked without keeping the
rows in memory; past SPILL_ROWS its columns move their older rows to disk.
"""

from __future__ import annotations

import bisect
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import compress, count, groupby, repeat

from ..amazon import reasons
from ..amazon.policy import RISK_LEVELS
from . import spill
from .spill import Column

# A bitmap of order-id hashes finds orders seen more than once with 16 MB for any batch
# size; only those candidates are grouped exactly at the end.
_BITMAP_BITS = 1 << 27
#: up to this many repeated orders are grouped by two C-speed passes over the columns each
#: (more would cost more passes than the one Python pass over their rows saves)
_FEW_CANDIDATES = 1
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
    if len(column.buffer) >= spill.SPILL_ROWS:
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
    """Compact per-row facts of the accepted rows, in acceptance order: about 25 bytes a
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
        self.markets = column("B", "markets.col")  # index into market_names
        #: marketplace code -> its number in `markets` (a batch holds a few at most)
        self.market_names: dict[str, int] = {}
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
        return self.orders, self.item_facts, self.rows, self.skus, self.markets

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

    def market_id(self, code: str) -> int:
        """The number of a marketplace code in the `markets` column."""
        found = self.market_names.get(code)
        if found is None:
            if len(self.market_names) > 255:
                raise ValueError("more than 256 marketplaces in one batch")
            found = self.market_names[code] = len(self.market_names)
        return found

    def adder(self) -> Callable[..., int]:
        """The one way to accept a row: `add(order_id, item_code, facts, row, sku, market)`
        remembers it and returns its sequence number (`market`: see `market_id`). Both paths
        of the pipeline's hot loop call it; it binds the columns' in-memory buffers, which a
        spill clears in place."""
        orders, item_facts, rows, skus = self.orders, self.item_facts, self.rows, self.skus
        orders_append, item_facts_append = orders.buffer.append, item_facts.buffer.append
        rows_append, skus_append = rows.buffer.append, skus.buffer.append
        markets_append = self.markets.buffer.append
        sku_names = self.sku_names
        bitmap, add_candidate = self.bitmap, self.candidates.add
        adjacent_append = self.adjacent.append
        adjacent_counting_append = self.adjacent_counting.append
        run_order, run_items, run_counting, run_market = None, set(), False, 0
        # only this adder appends to the columns while it is in use (a spill moves rows to
        # disk without renumbering them), so the next sequence number is a plain counter
        next_seq = len(orders)

        def add(
            order_id: str, item: str | None, facts: int, row: int, sku: str, market: int = 0
        ) -> int:
            nonlocal run_order, run_items, run_counting, run_market, next_seq
            order = int(order_id.replace("-", ""))
            item_code = int(item) if item else 0
            seq = next_seq
            next_seq += 1
            if order == run_order:
                # another item of the order on the row before: a multi-item order needs no
                # grouping at the end unless it repeats an item or has a whole-order row
                if item_code and item_code not in run_items and 0 not in run_items:
                    run_items.add(item_code)
                    adjacent_append(seq)
                    if facts & COUNTING:
                        if run_counting:
                            adjacent_counting_append(seq)
                        run_counting = True
                else:
                    add_candidate(order)
                if market != run_market:  # an order is of one marketplace: group it
                    add_candidate(order)
            else:
                run_order, run_items, run_market = order, {item_code}, market
                run_counting = bool(facts & COUNTING)
                slot = order % SLOT_PRIME
                bit = 1 << (slot & 7)
                slot >>= 3
                if bitmap[slot] & bit:
                    add_candidate(order)
                else:
                    bitmap[slot] |= bit
            orders_append(order)
            item_facts_append(item_code << 8 | facts)
            rows_append(row)
            if sku:
                number = sku_names.get(sku)
                if number is None:
                    number = sku_names[sku] = len(sku_names)
                skus_append(number)
            else:
                skus_append(-1)
            markets_append(market)
            return seq

        return add

    def spill_if_full(self) -> None:
        """Move the rows held in memory to disk once there are SPILL_ROWS of them."""
        if len(self.orders.buffer) >= spill.SPILL_ROWS:
            self.spill()

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
        markets: Column,
        market_names: list[str],
    ) -> None:
        """Append another index's rows (read from a later part of the same source)."""
        remap = [self.sku_id(name) for name in sku_names]
        remap.append(-1)  # so that remap[-1], "no SKU", stays -1
        market_remap = [self.market_id(code) for code in market_names]
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
        for chunk in markets.chunks():
            _append(self.markets, map(market_remap.__getitem__, chunk))

    def groups(self) -> dict[int, tuple[array, array]]:
        """The rows of every order that may appear more than once: (sequence numbers, item
        code << 8 | facts) as two int64 arrays each, read in one pass over the columns, so
        a million repeated rows are 16 bytes a row, not lists of objects."""
        candidates, orders = self.candidates, self.orders
        groups: dict[int, tuple[array, array]] = {}
        if len(candidates) <= _FEW_CANDIDATES:  # a pass per order, at C speed
            for order in candidates:
                seqs = array("q", compress(count(), map(order.__eq__, orders)))
                values = array("q", compress(self.item_facts, map(order.__eq__, orders)))
                if seqs:
                    groups[order] = (seqs, values)
            return groups
        rows = zip(count(), orders, self.item_facts)
        for seq, order, value in compress(rows, map(candidates.__contains__, orders)):
            members = groups.get(order)
            if members is None:
                groups[order] = (array("q", (seq,)), array("q", (value,)))
            else:
                members[0].append(seq)
                members[1].append(value)
        return groups

    def resolve(self, where, counting_rows: int) -> tuple[Patches, int, int]:
        """Apply the batch rules to the orders that appear more than once.

        Returns the patches, the number of distinct orders kept and how many of them count
        against the rate (`counting_rows`: rows with the counting bit, before the rules).
        `where(seq)` describes a row for messages ("in.csv row 5").
        """
        patches = Patches(len(self.orders))
        candidates = self.candidates
        # further items of an order on the rows before it are not orders of their own,
        # unless the order is a candidate: its rows are all counted afresh below
        orders = len(self.orders) - len(self.adjacent)
        counting_orders = counting_rows - len(self.adjacent_counting)
        if candidates:  # most batches repeat no order: nothing to look up
            order_of = self.orders.getter()
            orders += sum(map(candidates.__contains__, map(order_of, self.adjacent)))
            counting_orders += sum(
                map(candidates.__contains__, map(order_of, self.adjacent_counting))
            )
        several_markets = len(self.market_names) > 1
        for seqs, values in self.groups().values():
            size = len(seqs)
            if size == 1:
                continue
            mixed = several_markets and len(set(map(self.markets.__getitem__, seqs))) > 1
            if not mixed and values.count(values[0]) == size:  # the same row again and again
                patches.duplicates_of_one(seqs, where)
                patches.facts[values[0] & 255] += size - 1
                orders += 1 - size
                counting = size if values[0] & COUNTING else 0
                counting_orders += (1 if counting else 0) - counting
                continue
            items = array("q", map((8).__rrshift__, values))  # v >> 8: the item codes
            counted = sum(map(COUNTING.__and__, values)) // COUNTING
            if mixed:
                self._market_conflict(seqs, values, where, patches)
                kept, kept_counting = 0, False
            elif 0 not in items and len(set(items)) == size:
                # several different items of one order: all kept, one order for the rate
                kept, kept_counting = size, counted > 0
            else:
                survivors = self._conflicts(seqs, items, values, where, patches)
                kept = len(survivors)
                kept_counting = any(v & COUNTING for v in survivors)
            # each row was counted as an order of its own; the group is one order (or none)
            orders += (1 if kept else 0) - size
            counting_orders += (1 if kept_counting else 0) - counted
        return patches, orders, counting_orders

    def _market_conflict(self, seqs, values, where, patches: Patches) -> None:
        """An order is of one marketplace: rows of one order naming several are rejected."""
        code_of = {number: code for code, number in self.market_names.items()}
        listing = ", ".join(f"{code_of[self.markets[s]]} ({where(s)})" for s in seqs)
        patch = Patch(
            "rejected",
            "marketplace_conflict",
            f"the order is given for different marketplaces in this batch: {listing}; an "
            "order belongs to one marketplace, correct its marketplace or sales-channel",
        )
        patches.reject(seqs, values, patch)

    @staticmethod
    def _conflicts(seqs, items, values, where, patches: Patches) -> list[int]:
        """Patch one order's rows; returns the values of the rows kept."""
        if 0 in items and any(items):
            others = ", ".join(where(s) for s in seqs)
            patch = Patch(
                "rejected",
                "whole_order_conflict",
                "the order is cancelled both as a whole and item by item in this "
                f"batch ({others}); keep either the whole-order row or the item rows",
            )
            patches.reject(seqs, values, patch)
            return []
        # per item: its first row (reversed, so that the first one stays), its rows, and
        # its reason codes; all counted at C speed
        first = dict(zip(reversed(items), reversed(seqs)))
        first_value = dict(zip(reversed(items), reversed(values)))
        size = Counter(items)
        codes = Counter(item for item, _ in set(zip(items, map((15).__and__, values))))
        conflicting = {item for item, number in codes.items() if number > 1}
        for item in conflicting:
            listing = ", ".join(
                f"{reasons.INDEX_CODE[v & 15]} ({where(s)})"
                for s, other, v in zip(seqs, items, values)
                if other == item
            )
            patch = Patch(
                "rejected",
                "conflicting_reasons",
                f"the same order item has different reasons: {listing}; choose one",
            )
            mine = [i for i, other in enumerate(items) if other == item]
            patches.reject([seqs[i] for i in mine], [values[i] for i in mine], patch)
        repeated = [item for item, number in size.items() if number > 1]
        if any(item not in conflicting for item in repeated):
            kept_of = array("q", map(first.__getitem__, items))
            duplicate = [
                s != k and item not in conflicting for s, k, item in zip(seqs, kept_of, items)
            ]
            patches.duplicates_of(compress(seqs, duplicate), compress(kept_of, duplicate), where)
            patches.facts.update(map((255).__and__, compress(values, duplicate)))
        return [first_value[item] for item in first if item not in conflicting]


class Patches:
    """The batch rules' changes of status, by sequence number: a mapping of seq -> Patch.

    Rejected rows keep a Patch each (they are few, and rows of one conflict share it); a
    duplicate keeps only the sequence number of the row it repeats, in an int32 column made
    when the first duplicate appears (4 bytes a row of the batch), and its Patch is made
    when asked for. So a million repeated rows cost 4 MB, not a million objects. `facts`
    counts the facts bytes of the patched rows; `keep_mask` serves sequential passes."""

    def __init__(self, rows: int) -> None:
        self._rows = rows
        self._rejected: dict[int, Patch] = {}
        self._kept: array | None = None
        #: the row a kept seq names in messages ("in.csv row 5"), fixed when recorded
        self._where: dict[int, str] = {}
        self._mask: bytearray | None = None
        self.duplicates = 0
        #: facts byte -> patched rows
        self.facts: Counter = Counter()

    def __len__(self) -> int:
        return len(self._rejected) + self.duplicates

    def __bool__(self) -> bool:
        return bool(self._rejected) or self.duplicates > 0

    def __contains__(self, seq: object) -> bool:
        if seq in self._rejected:
            return True
        kept = self._kept
        return kept is not None and isinstance(seq, int) and 0 <= seq < len(kept) and kept[seq] >= 0

    def reject(self, seqs, values, patch: Patch) -> None:
        """Reject these rows (their item-facts values given) with one shared Patch."""
        for seq in seqs:
            self._rejected[seq] = patch
        self.facts.update(v & 255 for v in values)
        self._mask = None

    def duplicates_of(self, seqs: Iterable[int], kept: Iterable[int], where) -> None:
        """Mark each row of `seqs` a duplicate of the row beside it in `kept` (each a row
        not marked itself); `where(seq)` names a kept row in the messages."""
        if self._kept is None:
            self._kept = array("i", (-1,)) * self._rows
        column, named = self._kept, self._where
        for seq, first in zip(seqs, kept):
            if first not in named:
                named[first] = where(first)
            column[seq] = first
            self.duplicates += 1
        self._mask = None

    def duplicates_of_one(self, seqs: array, where) -> None:
        """Mark every row of `seqs` but the first a duplicate of the first."""
        if self._kept is None:
            self._kept = array("i", (-1,)) * self._rows
        first, last = seqs[0], seqs[-1]
        if last - first == len(seqs) - 1:  # consecutive rows: one slice
            self._where.setdefault(first, where(first))
            self._kept[first + 1 : last + 1] = array("i", (first,)) * (len(seqs) - 1)
            self.duplicates += len(seqs) - 1
            self._mask = None
        else:
            self.duplicates_of(seqs[1:], repeat(first), where)

    def keep_mask(self) -> bytearray:
        """One byte a row: 255 for a row kept, 0 for a patched one (for compress, and to
        AND with facts)."""
        if self._mask is None:
            if self._kept is None:
                mask = bytearray(b"\xff") * self._rows
            else:
                mask = bytearray(map((-1).__eq__, self._kept)).translate(_TO_KEEP_BYTE)
            for seq in self._rejected:
                mask[seq] = 0
            self._mask = mask
        return self._mask

    def get(self, seq: int, default: Patch | None = None) -> Patch | None:
        found = self._rejected.get(seq)
        if found is not None:
            return found
        kept = self._kept
        if kept is None or not 0 <= seq < len(kept) or kept[seq] < 0:
            return default
        first = kept[seq]
        return Patch("duplicate", "duplicate", f"repeats {self._where[first]}", kept=first)

    def kind_of(self, seq: int) -> int | None:
        """A number equal for two rows exactly when `get` makes them equal Patches (the same
        rejection, or duplicates of the same row), None for a row not patched; costs no
        Patch (the JSON writer finishes a million duplicates' records once)."""
        found = self._rejected.get(seq)
        if found is not None:
            return id(found)
        kept = self._kept
        if kept is None or not 0 <= seq < len(kept) or kept[seq] < 0:
            return None
        return -1 - kept[seq]

    def kind_runs(self, start: int, stop: int) -> Iterator[tuple[int, int, int | None]]:
        """The rows `start` to `stop` (excluded) as (first, end, kind_of) of each stretch of
        rows of one `kind_of`, in order: a run of duplicates of one row is one stretch, found
        at C speed."""
        rejected, kept = self._rejected, self._kept
        if not (rejected and any(map(rejected.__contains__, range(start, stop)))):
            if kept is None:
                yield start, stop, None
                return
            part = kept[start:stop]
            if part.count(part[0]) == len(part):
                yield start, stop, (None if part[0] < 0 else -1 - part[0])
                return
        kinds = map(self.kind_of, range(start, stop))
        for kind, rows in groupby(kinds):
            end = start + sum(1 for _ in rows)
            yield start, end, kind
            start = end

    def __getitem__(self, seq: int) -> Patch:
        found = self.get(seq)
        if found is None:
            raise KeyError(seq)
        return found

    def __iter__(self) -> Iterator[int]:
        yield from self._rejected
        if self._kept is not None:
            yield from compress(count(), map((-1).__lt__, self._kept))

    def items(self) -> Iterator[tuple[int, Patch]]:
        for seq in self:
            yield seq, self[seq]

    def values(self) -> Iterator[Patch]:
        for seq in self:
            yield self[seq]

    def rejected(self) -> dict[int, Patch]:
        """The rejected rows only."""
        return self._rejected


#: True/False bytes (1/0) of "is not a duplicate" -> 255/0
_TO_KEEP_BYTE = bytes([0, 255] + [0] * 254)
