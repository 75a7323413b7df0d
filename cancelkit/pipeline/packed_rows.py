"""The uploaded rows packed for the ledger (ledger/blocks.py) straight from the run's own
columns and flat-file body, without a Python step per row: the body's lines are the
ledger's lines when the flat file's data line is the order id, the reason and the item
code, tab-separated (Amazon's template: amazon/flatfile.py); else the rows are packed one
by one (`Collector.ledger_rows`)."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Iterator
from itertools import compress

from ..amazon import flatfile
from ..ledger import blocks
from ..validate.batch import COUNTING, BatchIndex, Patches
from ..validate.spill import CHUNK_ROWS
from .collector import Collector

#: body bytes read at a time
READ_BYTES = 1 << 20
#: facts byte -> the ledger's flag byte (1: counts against the rate)
_FLAG_OF_FACTS = bytes(1 if facts & COUNTING else 0 for facts in range(256))


def packed_rows(collector: Collector, patches: Patches, market: int | None = None) -> blocks.Packed:
    """The rows `collector.ledger_rows(patches, market)` gives, packed (a column chunk at a
    time: memory does not grow with the batch)."""
    fmt = flatfile.line_format()
    cells = blocks.CELL_END.join(("{0}", "{1}", "{2}")) + fmt.line_end
    if fmt.template != cells:
        return blocks.pack_rows(collector.ledger_rows(patches, market))
    names: dict[int, tuple[str | None, str | None]] = {
        number: (name, None) for name, number in collector.index.sku_names.items()
    }
    kept = _kept_columns(collector.index, patches.keep_mask() if patches else None, market)
    return blocks.Packed(_pieces(collector.body_path, fmt, kept, market is not None), names)


def _fixed(chunks: Iterable[array], size: int) -> Iterator[array]:
    """A column's values again in arrays of exactly `size` (the last one shorter)."""
    held: array | None = None
    for chunk in chunks:
        if held:
            chunk = held + chunk  # the few values held over from the chunk before
        whole = len(chunk) - len(chunk) % size
        for start in range(0, whole, size):
            yield chunk[start : start + size]
        held = chunk[whole:]
    if held:
        yield held


def _kept_columns(
    index: BatchIndex, keep: bytearray | None, market: int | None
) -> Iterator[tuple[array, bytes, bytes | None]]:
    """Of the rows kept by the batch rules (those of the flat-file body), in file order and
    a chunk at a time: their SKU numbers, their flag bytes and, with `market`, a byte that
    is 1 for a row of that marketplace."""
    mine = None if market is None else bytes(int(n == market) for n in range(256))
    start = 0
    columns = (index.skus.chunks(), index.item_facts.chunks(), index.markets.chunks())
    for skus, facts, markets in zip(*(_fixed(column, CHUNK_ROWS) for column in columns)):
        size = len(skus)
        if not size == len(facts) == len(markets):
            raise ValueError("the batch index's columns differ in length")
        flags = _facts_bytes(facts).translate(_FLAG_OF_FACTS)
        numbers = markets.tobytes()
        if keep is not None:
            mask = keep[start : start + size]
            skus = array("i", compress(skus, mask))
            flags = bytes(compress(flags, mask))
            numbers = bytes(compress(numbers, mask))
        start += size
        yield skus, flags, None if mine is None else numbers.translate(mine)


def _facts_bytes(chunk: array) -> bytes:
    """The facts byte (the low byte) of each value of an item-facts chunk."""
    view = memoryview(chunk).cast("B")
    low = 0 if sys.byteorder == "little" else chunk.itemsize - 1
    return bytes(view[low :: chunk.itemsize])


def _pieces(
    path: str,
    fmt: flatfile.LineFormat,
    kept: Iterator[tuple[array, bytes, bytes | None]],
    by_market: bool,
) -> Iterator[blocks.Piece]:
    """The body's lines (without their line end) in pieces, with the rows' listing numbers
    and flags; `by_market`: only the rows `kept` marks as of the marketplace."""
    end = fmt.line_end.encode("ascii")
    listings, flags, mine = array("i"), b"", b""
    skip = fmt.header_lines  # the template and header rows come first
    with open(path, "rb") as body:
        rest = b""
        while True:
            data = body.read(READ_BYTES)
            if not data:
                break
            data = rest + data
            cut = data.rfind(end) + len(end)
            if cut < len(end):  # no whole line yet
                rest = data
                continue
            rest = data[cut:]
            lines = data[:cut].split(end)
            lines.pop()
            if skip:
                skipped = min(skip, len(lines))
                del lines[:skipped]
                skip -= skipped
            while len(listings) < len(lines):  # the columns of as many rows
                more = next(kept, None)
                if more is None:
                    raise ValueError("the flat-file body has more rows than the run kept")
                listings += more[0]
                flags += more[1]
                mine += more[2] or b""
            size = len(lines)
            piece = blocks.Piece(lines, listings[:size], flags[:size])
            if by_market:
                keep = mine[:size]
                piece = blocks.Piece(
                    list(compress(lines, keep)),
                    array("i", compress(piece.listings, keep)),
                    bytes(compress(piece.flags, keep)),
                )
                mine = mine[size:]
            listings, flags = listings[size:], flags[size:]
            if piece.lines:
                yield piece
    if rest or listings or any(len(more[0]) for more in kept):
        raise ValueError("the flat-file body and the rows the run kept differ in number")
