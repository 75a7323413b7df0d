"""The uploaded rows packed for the ledger (ledger/blocks.py) straight from the run's own
columns and flat-file body, without a Python step per row: the body's lines are the
ledger's lines when the flat file's data line is the order id, the reason and the item
code, tab-separated (Amazon's template: amazon/flatfile.py); else the rows are packed one
by one (`Collector.ledger_rows`)."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from itertools import compress

from ..amazon import flatfile
from ..ledger import blocks
from ..validate.batch import COUNTING, Patches
from .collector import Collector

#: body bytes read at a time
READ_BYTES = 1 << 20
#: facts byte -> the ledger's flag byte (1: counts against the rate)
_FLAG_OF_FACTS = bytes(1 if facts & COUNTING else 0 for facts in range(256))


def packed_rows(collector: Collector, patches: Patches, market: int | None = None) -> blocks.Packed:
    """The rows `collector.ledger_rows(patches, market)` gives, packed."""
    fmt = flatfile.line_format()
    cells = blocks.CELL_END.join(("{0}", "{1}", "{2}")) + fmt.line_end
    if fmt.template != cells:
        return blocks.pack_rows(collector.ledger_rows(patches, market))
    index = collector.index
    keep = patches.keep_mask() if patches else None
    skus = array("i")
    for chunk in index.skus.chunks():
        skus.extend(chunk)
    facts = b"".join(map(_facts_bytes, index.item_facts.chunks()))
    markets = b"".join(chunk.tobytes() for chunk in index.markets.chunks())
    if keep is not None:
        skus = array("i", compress(skus, keep))
        facts = bytes(compress(facts, keep))
        markets = bytes(compress(markets, keep))
    flags = facts.translate(_FLAG_OF_FACTS)
    mine = None
    if market is not None:
        table = bytes(1 if number == market else 0 for number in range(256))
        mine = markets.translate(table)
    names: dict[int, tuple[str | None, str | None]] = {
        number: (name, None) for name, number in index.sku_names.items()
    }
    pieces = _pieces(collector.body_path, fmt, skus, flags, mine)
    return blocks.Packed(pieces, names)


def _facts_bytes(chunk: array) -> bytes:
    """The facts byte (the low byte) of each value of an item-facts chunk."""
    view = memoryview(chunk).cast("B")
    low = 0 if sys.byteorder == "little" else chunk.itemsize - 1
    return bytes(view[low :: chunk.itemsize])


def _pieces(
    path: str, fmt: flatfile.LineFormat, skus: array, flags: bytes, mine: bytes | None
) -> Iterator[blocks.Piece]:
    """The body's lines (without their line end) in pieces, with the rows' listing numbers
    and flags; with `mine`, only the rows whose byte there is 1."""
    end = fmt.line_end.encode("ascii")
    done = 0
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
            upto = done + len(lines)
            listings, marks = skus[done:upto], flags[done:upto]
            if mine is not None:
                keep = mine[done:upto]
                lines = list(compress(lines, keep))
                listings = array("i", compress(listings, keep))
                marks = bytes(compress(marks, keep))
            done = upto
            if lines:
                yield blocks.Piece(lines, listings, marks)
        if rest or done != len(skus):
            raise ValueError(
                f"the flat-file body has {done} rows and a partial line; the run kept {len(skus)}"
            )
