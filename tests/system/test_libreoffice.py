"""The workbooks in real LibreOffice Calc (headless, Debian `libreoffice-calc-nogui`): the
review's formula-like values come out as the literal text, not as computed results, and the
template opens with its header.

Skipped only where LibreOffice is missing outside CI; in CI (`CI=true`) a missing soffice fails.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from injection_samples import COL, INJECTIONS, write_injection_batch

import cancelkit
from cancelkit.read.review import REVIEW_HEADER
from cancelkit.write.workbook import write_template

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        SOFFICE is None and os.environ.get("CI") != "true",
        reason="LibreOffice (soffice) is not installed",
    ),
]

# CSV filter options: comma, double quote, UTF-8 (76), start at row 1
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1"


def to_csv(workbook: Path, folder: Path) -> list[list[str]]:
    """The first sheet of a workbook as LibreOffice Calc exports it to CSV."""
    assert SOFFICE, "soffice not found: install libreoffice-calc-nogui"
    out = folder / "out"
    # a private profile: no clash with a running LibreOffice or another test run
    profile = folder / "profile"
    proc = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        timeout=240,
    )
    converted = out / f"{workbook.stem}.csv"
    assert converted.exists(), proc.stdout.decode() + proc.stderr.decode()
    with open(converted, encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_review_injections_are_literal_text_in_libreoffice(tmp_path):
    path = tmp_path / "review.xlsx"
    with cancelkit.check(write_injection_batch(tmp_path)) as result:
        result.write_review(path)
    rows = to_csv(path, tmp_path)
    assert tuple(rows[0]) == REVIEW_HEADER
    cells = [cell for row in rows[1:] for cell in row]
    for value in INJECTIONS:
        assert value in cells, f"{value!r} not shown as text: {rows}"
    # what =HYPERLINK(...) and -1+1 would show if LibreOffice had taken them as formulas
    assert "y" not in cells and "0" not in cells
    by_row = {row[COL["row"]]: row for row in rows[1:]}
    assert by_row["2"][COL["sku"]] == INJECTIONS[0]
    assert by_row["2"][COL["note"]] == INJECTIONS[2]
    assert by_row["3"][COL["order-id"]] == INJECTIONS[1]
    assert by_row["3"][COL["sku"]] == INJECTIONS[3]
    assert by_row["3"][COL["note"]] == INJECTIONS[4]
    assert by_row["4"][COL["note"]] == INJECTIONS[5]


def test_template_opens_in_libreoffice(tmp_path):
    rows = to_csv(write_template(tmp_path / "cancellations.xlsx"), tmp_path)
    assert rows == [
        [
            "order-id",
            "cancellation-reason-code",
            "amazon-order-item-code",
            "sku",
            "is-buyer-requested-cancellation",
            "note",
        ]
    ]
