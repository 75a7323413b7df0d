"""The rejects file: the rejected rows with their original values, as Excel opens it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..read.table import GUARDED_STARTS
from .files import atomic_write
from .result_data import RunResult

REJECTS_EXTRA = ("cancelkit-source", "cancelkit-row", "cancelkit-error-codes", "cancelkit-errors")


def guard(value: str) -> str:
    """Prefix a quote to a value a spreadsheet would run as a formula (OWASP CSV injection)."""
    return "'" + value if value[:1] in GUARDED_STARTS and value else value


def _reject_columns(result: RunResult) -> list[list[str]]:
    """Each source's column names for the rejects file: its headers (a repeated name
    gets its position), then `column N` for cells beyond the header."""
    widths = [len(h) for h in result._headers]
    for source, _, cells, _ in result.iter_rejects():
        widths[source] = max(widths[source], len(cells))
    names = []
    for headers, width in zip(result._headers, widths):
        seen: set[str] = set()
        columns = []
        for i in range(width):
            name = headers[i] if i < len(headers) and headers[i] else f"column {i + 1}"
            if name in seen:
                name = f"{name} (column {i + 1})"
            seen.add(name)
            columns.append(name)
        names.append(columns)
    return names


def write_rejects(result: RunResult, path: str | Path, force: bool = False) -> Path:
    """Write the rejected rows (original values, source, row, codes and messages) as a
    CSV that Excel opens (UTF-8 with BOM); formula-like values are guarded. A rejects
    file fed back in does not repeat its own cancelkit-* columns."""
    result._never_an_input("rejects file", path)
    columns = _reject_columns(result)
    header = [
        name
        for name in dict.fromkeys(n for names in columns for n in names)
        if name not in REJECTS_EXTRA
    ]
    header += REJECTS_EXTRA  # a tuple: extends the new list
    position = {name: i for i, name in enumerate(header)}

    def write(stream: io.TextIOBase) -> None:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow([guard(name) for name in header])  # a header is text from a file
        for source, number, cells, problems in result.iter_rejects():
            out = [""] * len(header)
            for name, value in zip(columns[source], cells):
                if name not in REJECTS_EXTRA:
                    out[position[name]] = guard(value)
            out[-4] = guard(result._sources[source])
            out[-3] = str(number)
            out[-2] = " ".join(dict.fromkeys(p[0] for p in problems))
            out[-1] = guard("; ".join(f"{p[1]}: {p[3]}" for p in problems))
            writer.writerow(out)

    written = atomic_write(path, write, force=force, encoding="utf-8-sig")
    result.outputs["rejects"] = str(path)
    return written
