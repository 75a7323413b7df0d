"""Spool files: records appended to a temporary file and read back in order.

Each record is a marshal blob behind its 4-byte length, so reading back is one memory map
and a slice per record (`marshal.load` on a file object costs many small reads a record).
Spools written separately can be concatenated byte for byte.
"""

from __future__ import annotations

import marshal
import mmap
import os
import struct
from collections.abc import Iterator

_LENGTH = struct.Struct("<I")


def append(stream, value) -> None:
    """Append one record (anything marshal can write) to a binary stream."""
    blob = marshal.dumps(value)
    stream.write(_LENGTH.pack(len(blob)))
    stream.write(blob)


def read(path: str) -> Iterator:
    """The records of a spool file, in the order they were appended."""
    size = os.path.getsize(path)
    if not size:
        return
    with (
        open(path, "rb") as stream,
        mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
    ):
        view = memoryview(mapped)
        try:
            position = 0
            unpack = _LENGTH.unpack_from
            loads = marshal.loads
            while position < size:
                (length,) = unpack(view, position)
                start = position + 4
                position = start + length
                yield loads(view[start:position])
        finally:
            view.release()
