"""Formulas in an input workbook: the cached value is used, never evaluated, and noted."""

from __future__ import annotations

from pathlib import Path

import cancelkit
from cancelkit.read.guards import Limits
from cancelkit.read.xlsx_scan import check_sheet_extent, sheet_parts

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_rows_with_formula_cells_are_noted():
    result = cancelkit.check(str(CORPUS / "formulas.xlsx"), no_ledger=True)
    notes = {
        r["row"]: [f for f in r["flags"] if f["code"] == "formula_cell"] for r in result.records
    }
    assert [row for row, found in notes.items() if found] == [2, 3]
    assert "never evaluated" in notes[2][0]["message"]
    assert result.summary["accepted"] == 3


def test_formula_cells_of_a_sheet():
    path = str(CORPUS / "formulas.xlsx")
    part = sheet_parts(path, path)["Cancellations"]
    scan = check_sheet_extent(path, path, part, Limits())
    assert sorted(scan.formula_rows) == [2, 3]
    assert (scan.height, scan.width) == (4, 3)
    assert check_sheet_extent(path, path, None, Limits()).formula_rows == {}
