"""Reading one large CSV file on two cores.

The main process reads the first half of the file while a forked worker reads the second;
the worker's flat-file lines, rejects, records (when kept: write/records.py) and per-row
index are then appended in file order, so the result is the same as reading the file in
one pass. Only used where splitting is certainly safe: a plain file of a byte-oriented
encoding with no quote characters (so every line is one record) and rows that may take the
fast path.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import shutil
import traceback
from dataclasses import dataclass
from itertools import islice

from ..enrich.join import Enricher
from ..errors import CancelkitError
from ..options import Options
from ..read.csv_text import without_nul
from ..read.table import Table
from .collector import Collector, is_fast

#: files smaller than this are read in one pass (forking costs more than it saves)
MIN_BYTES = 16 << 20
_SCAN_CHUNK = 4 << 20
_SPLITTABLE_ENCODINGS = {"utf-8", "utf-8-sig", "cp1252"}


@dataclass(frozen=True)
class Split:
    mid: int  # byte offset where the second half starts (just after a line feed)
    lines_before: int  # physical lines before `mid`: the last row number of the first half


def plan(table: Table, options: Options) -> Split | None:
    """Where to split a table's file, or None to read it in one pass."""
    path = table.path
    if (
        path is None
        or getattr(table, "encoding", None) not in _SPLITTABLE_ENCODINGS
        or (os.cpu_count() or 1) < 2
        or "fork" not in multiprocessing.get_all_start_methods()  # e.g. Windows
        or not is_fast(table)
    ):
        return None
    try:
        size = os.path.getsize(path)
    except OSError:
        return None
    if size < MIN_BYTES:
        return None
    middle = size // 2
    line_feeds = carriage_returns = 0
    mid: int | None = None
    lines_before = 0
    offset = 0
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_SCAN_CHUNK), b""):
            if b'"' in chunk:
                return None  # a quoted field may hold a line break: lines are not records
            if mid is None and offset + len(chunk) > middle:
                found = chunk.find(b"\n", max(0, middle - offset))
                if found != -1:
                    mid = offset + found + 1
                    lines_before = line_feeds + chunk.count(b"\n", 0, found + 1)
            line_feeds += chunk.count(b"\n")
            carriage_returns += chunk.count(b"\r")
            offset += len(chunk)
    if mid is None or mid >= size or carriage_returns not in (0, line_feeds):
        return None  # no line feed after the middle, or bare CR line ends
    return Split(mid, lines_before)


def read(collector: Collector, table: Table, source_index: int, split: Split) -> int:
    """Read the table's first half here and its second half in a worker; merge in order."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    workdir = os.path.join(collector.workdir, "second-half")
    os.mkdir(workdir)
    worker = context.Process(
        target=_second_half,
        # the order reports and the ledger's history are joined in the worker too (the fork
        # shares them): without them its half would skip the order-state checks
        args=(sender, table, source_index, split, collector.options, workdir, collector.enricher),
        daemon=True,
    )
    worker.start()
    sender.close()
    try:
        first = table.header_row
        rows = collector.read(
            table, source_index, rows=islice(table.rows, split.lines_before - first)
        )
        outcome = receiver.recv()
    except BaseException:
        worker.kill()
        raise
    finally:
        receiver.close()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    collector.merge(outcome["half"])
    shutil.rmtree(workdir, ignore_errors=True)
    return rows + outcome["rows"]


def _second_half(
    sender,
    table: Table,
    source_index: int,
    split: Split,
    options: Options,
    workdir: str,
    enricher: Enricher,
) -> None:
    """The worker: read from `split.mid` to the end with a collector of its own, joining the
    same order reports and asking the same ledger (on a connection of its own)."""
    # only a file of a splittable encoding is split (`plan`)
    assert table.path is not None and table.encoding is not None
    assert table.delimiter is not None
    try:
        enricher = enricher.reopened()  # a ledger connection of its own
        collector = Collector(options, workdir, enricher)
        raw = open(table.path, "rb")  # noqa: SIM115 - closed below
        try:
            raw.seek(split.mid)
            # a UTF-8 byte-order mark can only be at the start of the file
            encoding = "utf-8" if table.encoding == "utf-8-sig" else table.encoding
            # the single reader's own error handler, so a byte of another encoding in this
            # half is read exactly as one pass would read it
            text = io.TextIOWrapper(
                without_nul(raw, encoding),
                encoding=encoding,
                errors=table.decode_errors,
                newline="",
            )
            rows = table.shape(
                enumerate(csv.reader(text, delimiter=table.delimiter), split.lines_before + 1)
            )
            count = collector.read(table, source_index, rows=rows, number=split.lines_before)
        finally:
            raw.close()
            collector.close()
            enricher.close()
        sender.send({"rows": count, "half": collector.export()})
    except BaseException as exc:  # sent back and raised in the main process
        if not isinstance(exc, CancelkitError):
            exc = RuntimeError(f"second-half reader failed: {''.join(traceback.format_exc())}")
        sender.send({"error": exc})
    finally:
        sender.close()
