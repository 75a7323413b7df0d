"""The figures a review workbook was written with (orders and seller cancellations in the
window, the marketplace, the order reports' freshness), read back for `generate
--from-review`: kept unless an option overrides them, and any change since the review said.

The writer (write/workbook.py) stores them as one JSON cell in the hidden `_cancelkit` sheet
under FIGURES_KEY; the seal (read/seal.py) does not depend on them.
"""

from __future__ import annotations

import json
from pathlib import Path

from .review_layout import META_SHEET

#: the `_cancelkit` sheet's key of the figures cell
FIGURES_KEY = "figures"


def review_figures(path: str | Path) -> dict | None:
    """The figures stored in a review workbook, or None when it has none or they cannot be
    read (then the run works as without them; the review reader checks the workbook)."""
    from python_calamine import CalamineWorkbook  # as the review reader

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(META_SHEET).to_python()
    except Exception:  # not a review, or unreadable: read_review says why
        return None
    for row in rows:
        if len(row) >= 2 and str(row[0]).strip() == FIGURES_KEY:
            try:
                found = json.loads(str(row[1]))
            except ValueError:
                return None
            return found if isinstance(found, dict) else None
    return None
