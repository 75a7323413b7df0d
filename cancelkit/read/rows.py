"""The in-memory reader: rows given to the API (mappings, sequences, a pandas DataFrame)
as a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from ..errors import InputError
from .table import Table, cell_text


def read_rows(rows: Iterable, source: str = "<rows>") -> Table:
    """A table from in-memory rows: mappings (dicts, DictReader, DataFrame records), a pandas
    DataFrame itself, or sequences whose first item is the header row (e.g. openpyxl
    `values_only` rows). Anything else is an `InputError` saying what was given."""
    if _is_dataframe(rows):
        rows = cast(Any, rows).to_dict("records")  # a DataFrame iterates over its column names
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
        raise InputError(
            f"{source}: rows must be an iterable of mappings or of sequences (or a pandas "
            f"DataFrame), not {_kind(rows)}",
            code="rows_type",
        )
    kept = _all_rows(rows, source)  # kept so a few rows can be looked up again (rejects file)
    if not kept:
        raise InputError(f"{source}: no rows given", code="no_data_rows")
    _check_items(kept, source)
    if isinstance(kept[0], Mapping):
        headers, table_rows = _mapping_rows(kept, source)
    else:
        headers, table_rows = _sequence_rows(kept, source)
    table = Table(source, headers, table_rows)
    table.reopen = lambda: read_rows(kept, source)
    return table


def _check_items(kept: list, source: str) -> None:
    """Every row a mapping, or every row a sequence of cells."""
    first = kept[0]
    for number, item in enumerate(kept, start=1):
        if isinstance(item, (str, bytes)) or not isinstance(item, (Mapping, Iterable)):
            raise InputError(
                f"{source}: row {number} is {_kind(item)}; each row must be a mapping (column "
                "-> value) or a sequence of cells",
                code="rows_type",
            )
        if isinstance(item, Mapping) != isinstance(first, Mapping):
            raise InputError(
                f"{source}: row {number} is {_kind(item)} while row 1 is {_kind(first)}; "
                "give mappings only or sequences only",
                code="rows_type",
            )


def _mapping_rows(kept: list, source: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and rows of mappings: the keys are the header (row 1)."""
    # the union of every row's keys, in order of first appearance
    keys = list(dict.fromkeys(key for mapping in kept for key in mapping))
    headers = [str(k) for k in keys]
    index = {k: i for i, k in enumerate(keys)}

    def generate() -> Iterator[tuple[int, list[str]]]:
        # the keys are the header (row 1), as in the CSV a DictReader reads
        for number, mapping in enumerate(kept, start=2):
            cells = [""] * len(headers)
            try:
                for key, value in mapping.items():
                    cells[index[key]] = cell_text(value)
            except Exception as exc:  # a value whose str() raises, a mapping that fails
                raise _rows_failed(source, number - 1, exc) from exc
            yield number, cells

    return headers, generate()


def _sequence_rows(kept: list, source: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (the first sequence) and rows of sequences."""
    headers = [cell_text(v) for v in kept[0]]

    def generate() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(kept[1:], start=2):
            try:
                cells = [cell_text(v) for v in values]
            except Exception as exc:
                raise _rows_failed(source, number, exc) from exc
            yield number, cells

    return headers, generate()


def _all_rows(rows: Iterable, source: str) -> list:
    """Every item of `rows`; an iterable (a generator, a database cursor) that raises part
    way is an InputError naming the item it reached, so no partial batch is checked."""
    kept: list = []
    try:
        for item in rows:
            kept.append(item)
    except Exception as exc:
        raise _rows_failed(source, len(kept) + 1, exc) from exc
    return kept


def _rows_failed(source: str, number: int, exc: Exception) -> InputError:
    text = " ".join(str(exc).split())[:200]
    return InputError(
        f"{source}: reading row {number} of the rows given failed: {type(exc).__name__}"
        f"{': ' + text if text else ''}; nothing was checked (fix the rows' source and run "
        "again)",
        code="rows_failed",
    )


def _is_dataframe(rows) -> bool:
    return hasattr(rows, "to_dict") and hasattr(rows, "columns") and hasattr(rows, "iloc")


def _kind(value) -> str:
    name = type(value).__name__
    shown = repr(value)
    return f"a {name} ({shown[:40]}{'...' if len(shown) > 40 else ''})"
