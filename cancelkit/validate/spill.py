"""An append-only column of fixed-size integers whose older part waits on disk.

The batch index keeps a few integers for every accepted row. Past SPILL_ROWS rows a column
moves its buffer to a file in the run's temporary folder, so memory stays flat whatever the
batch size. Sequential passes read the file back in chunks; the rare random look-ups (rows of
repeated orders, listings at risk) read one value with pread.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

#: rows a column holds in memory before it moves them to its file
SPILL_ROWS = 1 << 20
#: rows read back from the file at a time
CHUNK_ROWS = 1 << 18


def _read_at(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows has no pread
    return os.read(fd, size)


class Column:
    """Integers of one array typecode; `buffer` is the part in memory (append to it)."""

    def __init__(self, typecode: str, path: str | None = None) -> None:
        self.typecode = typecode
        self.buffer = array(typecode)
        self.path = path
        self.spilled = 0  # rows already in the file
        self._fd: int | None = None

    def __len__(self) -> int:
        return self.spilled + len(self.buffer)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_fd"] = None
        return state

    def append(self, value: int) -> None:
        self.buffer.append(value)

    def extend(self, values: Iterable[int]) -> None:
        self.buffer.extend(values)

    def spill(self) -> None:
        """Move the buffer to the file (no-op without a file or with an empty buffer)."""
        if self.path is None or not self.buffer:
            return
        with open(self.path, "ab") as stream:
            self.buffer.tofile(stream)
        self.spilled += len(self.buffer)
        del self.buffer[:]  # cleared in place: hot loops hold a reference to it

    def __getitem__(self, seq: int) -> int:
        if seq < 0:
            seq += len(self)
        if seq >= self.spilled:
            return self.buffer[seq - self.spilled]
        if self._fd is None:
            assert self.path is not None  # values spilled: the file exists
            self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        size = self.buffer.itemsize
        return array(self.typecode, _read_at(self._fd, size, seq * size))[0]

    def getter(self) -> Callable[[int], int]:
        """Look-up by sequence number for a pass over many rows: the buffer's own (C) look-up
        while nothing has moved to disk, else `__getitem__` (non-negative numbers only)."""
        return self.buffer.__getitem__ if not self.spilled else self.__getitem__

    def chunks(self) -> Iterator[array]:
        """The values in order, as arrays: the file's chunks, then the buffer."""
        if self.spilled:
            assert self.path is not None  # values spilled: the file exists
            with open(self.path, "rb") as stream:
                while True:
                    chunk = array(self.typecode)
                    try:
                        chunk.fromfile(stream, CHUNK_ROWS)
                    except EOFError:  # the last, shorter chunk has still been read
                        if chunk:
                            yield chunk
                        break
                    yield chunk
        yield self.buffer

    def __iter__(self) -> Iterator[int]:
        return chain.from_iterable(self.chunks())

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
