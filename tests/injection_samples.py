"""Formula-like values shared by the workbook and spreadsheet tests."""

from __future__ import annotations

import csv
from pathlib import Path

from cancelkit.review.reader import REVIEW_HEADER

# Values a spreadsheet would run as a formula or DDE link if they were written as one
# (docs/design.md: text from users and reports stays text; OWASP CSV injection list).
INJECTIONS = (
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1)",
    "\t=1+1",
    "\r=2+2",
)
COL = {name: i for i, name in enumerate(REVIEW_HEADER)}


def write_injection_batch(folder: Path) -> Path:
    """A batch whose SKU, note and (rejected) order-id cells hold formula-like values."""
    path = folder / "injections.csv"
    rows = [
        ["113-4728391-2038475", "NoInventory", "62845173920562", INJECTIONS[0], INJECTIONS[2]],
        [INJECTIONS[1], "NoInventory", "62845173920571", INJECTIONS[3], INJECTIONS[4]],
        ["112-5550193-7782014", "BuyerCanceled", "27485019374652", "SKU-1", INJECTIONS[5]],
    ]
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["order-id", "cancellation-reason-code", "amazon-order-item-code", "sku", "note"]
        )
        writer.writerows(rows)
    return path
