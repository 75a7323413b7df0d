"""Formulas in an input workbook: the cached value is used, never evaluated, and noted."""

from __future__ import annotations

from pathlib import Path

import cancelkit
from cancelkit.read.tables import formula_cells

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
    found = formula_cells(str(CORPUS / "formulas.xlsx"), "Cancellations")
    assert sorted(found) == [2, 3]
    assert formula_cells(str(CORPUS / "formulas.xlsx"), "No such sheet") == {}
