"""The records spool of a run that keeps its records (`--json`, `--jsonl`, `records`): each
record's JSON text (orjson) as it is made, in input order, read back by the JSON writers.

An entry of the spool (write/spool.py framing, marshal values) is one of:

- `(True, text)`: an accepted record kept whole;
- `(None, text)`: a rejected record kept whole (it has no sequence number);
- `(row, count)`: `count` accepted records that repeat the record last kept whole but for
  their row numbers, `row`, `row + 1`, ... (a million identical rows are one entry).

An accepted record's sequence number is not stored: it is the number of accepted records
before it (the batch index numbers the accepted rows in the same order), so spools of
consecutive parts of the input, written separately (the two-core reader), are concatenated
byte for byte.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Iterator
from typing import BinaryIO

from . import spool

#: a record's JSON text before and after its row number
Parts = tuple[bytes, bytes]
#: what `read` yields: (seq, text) for a record kept whole (seq None for a rejected one), or
#: (seq of the first, first row, count) for a run of repeated records
Entry = tuple[int | None, bytes] | tuple[int, int, int]

_INT32 = 2**31 - 1
#: the length and marshal text of a tuple of two int32, marshal.dumps((row, count)), framed
#: as spool.py frames a record
_pack_run = struct.Struct("<I3si1si").pack


class RecordSpool:
    """Appends records to a records spool: whole (`keep`), or as a repeat of the record
    kept whole before (`keep_same`), consecutive repeats folded into one run entry.
    `end_run` (or `close`) writes the run being folded."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        #: the parts of the record last kept whole, as `keep` returned them
        self.last: Parts | None = None
        self._row = 0  # the first row of the run being folded
        self._count = 0  # and its length (0: none)

    def keep(self, text: bytes, accepted: bool) -> Parts:
        """Append a record's JSON text; returns its text around its row number, for
        `keep_same`."""
        if self._count:
            self.end_run()
        spool.append(self.stream, (True if accepted else None, text))
        parts = self.last = around_row(text)
        return parts

    def keep_same(self, parts: Parts, row: int) -> None:
        """Append an accepted record with the text `parts` (from `keep`) around its row
        number `row`: folded into a run when `parts` is the record last kept whole."""
        if parts is not self.last:
            self.keep(b"%b%d%b" % (parts[0], row, parts[1]), True)
            self.last = parts
            return
        if self._count:
            if row == self._row + self._count:
                self._count += 1
                return
            self.end_run()
        self._row, self._count = row, 1

    def end_run(self) -> None:
        """Write the run being folded, if any."""
        row, count = self._row, self._count
        if not count:
            return
        self._count = 0
        if row <= _INT32 and count <= _INT32:
            self.stream.write(_pack_run(12, b")\x02i", row, b"i", count))
        else:
            spool.append(self.stream, (row, count))

    def append_spool(self, path: str) -> None:
        """Append a spool written separately from the rows after these (the second half
        of a file): its records come after this spool's, numbered on from them."""
        self.end_run()
        with open(path, "rb") as other:
            shutil.copyfileobj(other, self.stream, 1 << 20)
        self.last = None  # the last record kept whole is the other spool's now

    def close(self) -> None:
        self.end_run()
        self.stream.close()


def around_row(text: bytes) -> Parts:
    """A record's JSON text before and after its row number."""
    # the first `,"row":` is the key's: a quote inside a string value is escaped
    start = text.find(b',"row":') + 7
    end = start
    while text[end : end + 1].isdigit():
        end += 1
    return text[:start], text[end:]


def read(path: str) -> Iterator[Entry]:
    """The entries of a records spool in order, with the accepted records' sequence
    numbers: (seq, text) for a record kept whole (seq None: rejected), (seq, row, count)
    for a run of `count` records repeating the last one kept whole, seq and row counting
    up by one a record."""
    seq = 0
    for first, second in spool.read(path):
        if second.__class__ is int:
            yield seq, first, second
            seq += second
        elif first is None:
            yield None, second
        else:
            yield seq, second
            seq += 1
