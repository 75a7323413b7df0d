"""The xlsx reader: the first (or the named) sheet of a workbook as a table, read with
python-calamine after the guard (xlsx_scan.py) has bounded it.
"""

from __future__ import annotations

from ..codes import Flag
from ..errors import InputError
from .guards import Limits
from .identity import file_sha256
from .review_layout import META_SHEET, REVIEW_SHEET
from .table import Table, _first_header, cell_text
from .xlsx_scan import _check_extent, check_sheet_extent, open_checked_workbook, sheet_parts


def read_workbook(path: str, sheet: str | None = None, limits: Limits | None = None) -> Table:
    """A table from the first sheet (or the named one) of an xlsx workbook. The workbook is
    read, never run: formulas give their cached values, macros are ignored."""
    from python_calamine import CalamineWorkbook

    limits = limits or Limits()
    source = path
    open_checked_workbook(path, source, limits)
    sheets = sheet_parts(path, source)
    if META_SHEET in sheets and REVIEW_SHEET in sheets:
        raise InputError(
            f"{source}: is a cancelkit review workbook; read it with `cancelkit generate "
            f"--from-review {source}`, which uploads only the rows approved in it",
            code="review_as_input",
        )
    if sheet is not None and sheet not in sheets:
        raise InputError(
            f"{source}: no sheet named '{sheet}'; sheets: {', '.join(sheets) or 'none'}",
            code="no_such_sheet",
        )
    chosen_name = sheet if sheet is not None else next(iter(sheets), None)
    part = sheets.get(chosen_name) if chosen_name is not None else None
    scan = check_sheet_extent(path, source, part, limits)
    try:
        workbook = CalamineWorkbook.from_path(path)
        names = workbook.sheet_names
        chosen = workbook.get_sheet_by_name(chosen_name) if chosen_name else None
        if chosen is None:
            chosen = workbook.get_sheet_by_index(0)
        # the sheet's extent from A1 (`end` is the last used cell, 0-based), as read below
        height, width = (chosen.end[0] + 1, chosen.end[1] + 1) if chosen.end else (0, 0)
        _check_extent(height, width, source, limits)
        raw_rows = chosen.to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:  # calamine raises its own error types for broken files
        raise InputError(
            f"{source}: cannot read the workbook ({exc})", code="workbook_unreadable"
        ) from exc

    rows = enumerate(([cell_text(v) for v in values] for values in raw_rows), start=1)
    if not raw_rows and len(names) > 1:
        raise InputError(
            f"{source}: the sheet '{chosen.name}' is empty; name the sheet to read with "
            f"--sheet (sheets: {', '.join(names)})",
            code="sheet_empty",
        )
    header_row, headers = _first_header(rows, source)
    digest_value = file_sha256(path)
    table = Table(
        source,
        headers,
        rows,
        path=path,
        digest=lambda: digest_value,
        reopen=lambda: read_workbook(path, sheet, limits),
        header_row=header_row,
    )
    table.formula_rows = scan.formula_rows
    table.row_flags = formula_flags(scan.formula_rows)
    return table


def formula_flags(formula_rows: dict[int, list[str]]) -> dict[int, list[Flag]]:
    """The `formula_cell` flag of each row whose cells held formulas: the value used is
    the one Excel saved, never evaluated."""
    return {
        number: [
            Flag(
                "formula_cell",
                f"cell(s) {', '.join(f'{letter}{number}' for letter in letters)} held a "
                "formula: its last calculated value was used, never evaluated",
            )
        ]
        for number, letters in formula_rows.items()
    }
