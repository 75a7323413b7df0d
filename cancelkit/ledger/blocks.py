"""A recorded batch's rows, packed in blocks until one of them first changes state.

Recording a batch of a million rows one SQLite row per batch row costs about four times
as much as writing its upload file (binding seven values a row, a B-tree entry a row). A
`generated` row is read back only as a whole batch (its open rows, its listing) or when
its state changes, so a new batch's rows are kept as `row_blocks`: up to BLOCK_ROWS rows
a block, a line of text a row (order id, reason and item code, tab-separated, the three
cells of its flat-file line), a four-byte listing number a row (`block_listings`: the
batch's SKU and ASIN pairs) and a byte a row (1: it counts against the rate).

A batch is either packed or expanded, never half of each. The first change of state of
any of its rows (confirm, reconcile, supersede, leave unconfirmed) expands it, inside that
change's transaction, into `batch_rows` (state `generated`), where every state change and
every index works as before. A packed batch's rows are all `generated`.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import count, islice

from .schema import Row

#: rows per block: a block is about 45 KB
BLOCK_ROWS = 1024
#: the separators of a block's lines; no recorded cell may hold one
CELL_END, LINE_END = "\t", "\n"
_LISTING_TYPE = "i"
_NO_LISTING = -1


@dataclass
class Piece:
    """Rows in file order: each row's line (order id, reason, item code, tab-separated,
    as bytes, without the line end), its listing number and its flag byte (1: counts)."""

    lines: list[bytes]
    listings: array
    flags: bytes


@dataclass
class Packed:
    """Rows a caller has already packed (`Piece`s in file order, and the listing number ->
    (sku, asin) names), for `Ledger.record_batch`: what the pipeline gives, so that a large
    batch is recorded without a Python step per row. `take(n)` is the next `n` rows."""

    pieces: Iterator[Piece]
    names: dict[int, tuple[str | None, str | None]]
    _held: list[Piece] = field(default_factory=list)

    def take(self, limit: int | None) -> Packed:
        """A view of the next `limit` rows (all of them when None)."""
        if limit is None:
            return self
        return Packed(self._limited(limit), self.names)

    def _limited(self, limit: int) -> Iterator[Piece]:
        left = limit
        while left > 0:
            if self._held:
                piece = self._held.pop()
            else:
                found = next(self.pieces, None)
                if found is None:
                    return
                piece = found
            if len(piece.lines) > left:
                self._held.append(
                    Piece(piece.lines[left:], piece.listings[left:], piece.flags[left:])
                )
                piece = Piece(piece.lines[:left], piece.listings[:left], piece.flags[:left])
            left -= len(piece.lines)
            yield piece


def pack_rows(rows: Iterable[Row]) -> Packed:
    """Rows of `Ledger.record_batch` (`(order_id, item_code, reason, sku, asin, counts)`)
    packed: a cell that holds a tab or a line break is refused (ValueError)."""
    numbers: dict[tuple[str | None, str | None], int] = {}
    names: dict[int, tuple[str | None, str | None]] = {}

    def pieces() -> Iterator[Piece]:
        source = iter(rows)
        while True:
            part = list(islice(source, BLOCK_ROWS))
            if not part:
                return
            lines, listings, flags = [], array(_LISTING_TYPE), bytearray()
            for order_id, item_code, reason, sku, asin, counts in part:
                cells = (order_id, reason or "", item_code or "")
                lines.append(CELL_END.join(cells).encode("utf-8"))  # checked by `write`
                if sku is None and asin is None:
                    listings.append(_NO_LISTING)
                else:
                    number = numbers.get((sku, asin))
                    if number is None:
                        number = numbers[(sku, asin)] = len(numbers)
                        names[number] = (sku, asin)
                    listings.append(number)
                flags.append(1 if counts else 0)
            yield Piece(lines, listings, bytes(flags))

    # `names` fills as the pieces are made: `write` reads it once every piece is written
    return Packed(pieces(), names)


def write(db: sqlite3.Connection, batch_id: str, packed: Packed) -> int:
    """Store the rows as the batch's blocks (records numbered from 1); returns how many."""
    recorded = 0
    used: set[int] = set()
    insert = (
        "INSERT INTO row_blocks (batch_id, first_record, rows, counting, lines, listings, "
        "flags) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    for lines, listings, flags in _blocks(packed.pieces):
        used.update(listings)
        text = b"\n".join(lines) + b"\n"
        if text.count(b"\t") != 2 * len(lines) or text.count(b"\n") != len(lines) or b"\r" in text:
            raise ValueError(
                f"batch {batch_id}: a row from record {recorded + 1} on has a cell that holds "
                "a tab or a line break, or not three cells"
            )
        db.execute(
            insert,
            (
                batch_id,
                recorded + 1,
                len(lines),
                flags.count(1),
                text,
                _le(listings).tobytes(),
                bytes(flags),
            ),
        )
        recorded += len(lines)
    used.discard(_NO_LISTING)
    db.executemany(
        "INSERT INTO block_listings (batch_id, number, sku, asin) VALUES (?, ?, ?, ?)",
        ((batch_id, number, sku, asin) for number, (sku, asin) in packed.names.items()
         if number in used),
    )  # fmt: skip
    return recorded


def _blocks(pieces: Iterable[Piece]) -> Iterator[tuple[list[bytes], array, bytes]]:
    """The pieces' rows regrouped in blocks of BLOCK_ROWS (the last one shorter)."""
    lines: list[bytes] = []
    listings = array(_LISTING_TYPE)
    flags = b""
    size = BLOCK_ROWS
    for piece in pieces:
        if len(piece.listings) != len(piece.lines) or len(piece.flags) != len(piece.lines):
            raise ValueError("a packed piece's lines, listings and flags differ in length")
        if lines:  # the rows held over from the piece before
            lines, listings, flags = (
                lines + piece.lines,
                listings + piece.listings,
                flags + piece.flags,
            )
        else:
            lines, listings, flags = piece.lines, piece.listings, piece.flags
        full = len(lines) - len(lines) % size
        for start in range(0, full, size):
            end = start + size
            yield lines[start:end], listings[start:end], bytes(flags[start:end])
        lines, listings, flags = lines[full:], listings[full:], flags[full:]
    if lines:
        yield lines, listings, bytes(flags)


def _le(values: array) -> array:
    """The array in little-endian byte order (how blocks store listing numbers)."""
    if sys.byteorder == "little":
        return values
    swapped = array(values.typecode, values)
    swapped.byteswap()
    return swapped


# -- reading ------------------------------------------------------------------------------


def is_packed(db: sqlite3.Connection, batch_id: str) -> bool:
    """Whether the batch's rows are still in blocks."""
    found = db.execute("SELECT 1 FROM row_blocks WHERE batch_id = ? LIMIT 1", (batch_id,))
    return found.fetchone() is not None


def any_packed(db: sqlite3.Connection) -> bool:
    """Whether any batch's rows are in blocks."""
    return db.execute("SELECT 1 FROM row_blocks LIMIT 1").fetchone() is not None


def packed_batches(db: sqlite3.Connection) -> set[str]:
    """The batches whose rows are in blocks."""
    return {row[0] for row in db.execute("SELECT DISTINCT batch_id FROM row_blocks")}


def tally(db: sqlite3.Connection, batch_id: str) -> tuple[int, int]:
    """The packed batch's rows and its rows that count against the rate (0, 0 when the
    batch is not packed)."""
    rows, counting = db.execute(
        "SELECT total(rows), total(counting) FROM row_blocks WHERE batch_id = ?", (batch_id,)
    ).fetchone()
    return int(rows), int(counting)


def rows(db: sqlite3.Connection, batch_id: str) -> Iterator[tuple[int, Row]]:
    """The packed batch's rows in file order: (record number, row)."""
    names: dict[int, tuple[str | None, str | None]] = {
        number: (sku, asin)
        for number, sku, asin in db.execute(
            "SELECT number, sku, asin FROM block_listings WHERE batch_id = ?", (batch_id,)
        )
    }
    names[_NO_LISTING] = (None, None)
    blocks = db.execute(
        "SELECT first_record, rows, lines, listings, flags FROM row_blocks "
        "WHERE batch_id = ? ORDER BY first_record",
        (batch_id,),
    )
    expected = 1
    for first, size, text, listing_bytes, flags in blocks:
        lines = _lines(batch_id, first, size, text)
        listings = array(_LISTING_TYPE)
        try:
            listings.frombytes(listing_bytes)
        except (TypeError, ValueError):
            raise _damaged(batch_id, first) from None
        listings = _le(listings)
        if first != expected or not len(listings) == len(flags) == size:
            raise _damaged(batch_id, first)
        expected = first + size
        try:
            for number, line, listing, flag in zip(count(first), lines, listings, flags):
                order_id, reason, item_code = line.split(CELL_END)
                sku, asin = names[listing]
                row = (order_id, item_code or None, reason or None, sku, asin, flag == 1)
                yield number, row
        except (ValueError, KeyError):
            raise _damaged(batch_id, first) from None


def order_items(db: sqlite3.Connection, batch_id: str) -> Iterator[tuple[str, str | None]]:
    """(order id, item code or None) of each of the packed batch's rows, in file order."""
    for first, size, text in db.execute(
        "SELECT first_record, rows, lines FROM row_blocks WHERE batch_id = ? ORDER BY first_record",
        (batch_id,),
    ):
        lines = _lines(batch_id, first, size, text)
        try:
            cells = [line.split(CELL_END) for line in lines]
            yield from ((order_id, item_code or None) for order_id, _, item_code in cells)
        except ValueError:
            raise _damaged(batch_id, first) from None


def _lines(batch_id: str, first: int, size: int, text: object) -> list[str]:
    """A block's lines, checked: `size` of them (each of three cells, as its reader checks)."""
    try:
        lines = bytes(text).decode("utf-8").split(LINE_END)  # type: ignore[call-overload]
    except (TypeError, UnicodeDecodeError):
        raise _damaged(batch_id, first) from None
    if lines.pop() != "" or len(lines) != size:
        raise _damaged(batch_id, first)
    return lines


def _damaged(batch_id: str, first: int) -> sqlite3.DatabaseError:
    return sqlite3.DatabaseError(f"damaged row block of batch {batch_id} at record {first}")


def expand(
    db: sqlite3.Connection, batch_id: str, insert: Callable[[str, Iterable[Row]], int]
) -> bool:
    """Move the packed batch's rows into `batch_rows` (`insert(batch_id, rows)` writes
    them, state `generated`) inside the caller's transaction; False when the batch was not
    packed."""
    if not is_packed(db, batch_id):
        return False
    insert(batch_id, (row for _, row in rows(db, batch_id)))
    db.execute("DELETE FROM row_blocks WHERE batch_id = ?", (batch_id,))
    db.execute("DELETE FROM block_listings WHERE batch_id = ?", (batch_id,))
    return True
