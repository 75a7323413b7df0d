"""Spool files: records appended to a temporary file and read back in order.

Each record is a marshal blob behind its 4-byte length, so reading back is one memory map
and a slice per record (`marshal.load` on a file object costs many small reads a record).
The pages already read are given back as the reading goes on, so a spool of any size costs
at most RELEASE_BYTES bytes of resident memory.
Spools written separately can be concatenated byte for byte.
"""

from __future__ import annotations

import marshal
import mmap
import os
import struct
from collections.abc import Iterator

_LENGTH = struct.Struct("<I")
#: bytes of a mapped spool read between two releases of its pages
RELEASE_BYTES = 16 << 20


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
            position = released = 0
            unpack = _LENGTH.unpack_from
            loads = marshal.loads
            release = getattr(mapped, "madvise", None)  # not on every platform
            while position < size:
                (length,) = unpack(view, position)
                start = position + 4
                position = start + length
                yield loads(view[start:position])
                if release is not None and position - released >= RELEASE_BYTES:
                    done = position - position % mmap.PAGESIZE
                    release(mmap.MADV_DONTNEED, released, done - released)
                    released = done
        finally:
            view.release()
