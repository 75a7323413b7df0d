"""The workbooks in real LibreOffice Calc (headless, Debian `libreoffice-calc-nogui`): the
review's formula-like values come out as the literal text, not as computed results, and the
template opens with its header.

Skipped only where LibreOffice is missing outside CI; in CI (`CI=true`) a missing soffice fails.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from injection_samples import COL, INJECTIONS, write_injection_batch

import cancelkit
from cancelkit.review.reader import REVIEW_HEADER
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
    # the hidden counted-order column holds cancelkit's own formula (0 or 1): not user text
    counted = REVIEW_HEADER.index("counted order")
    cells = [cell for row in rows[1:] for i, cell in enumerate(row) if i != counted]
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


def _convert(workbook: Path, folder: Path, target: str) -> Path:
    """A workbook saved again by LibreOffice Calc in another format (xlsx, ods, csv)."""
    out = folder / f"saved-{target.split(':')[0]}"
    proc = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        timeout=240,
    )
    converted = out / f"{workbook.stem}.{target.split(':')[0]}"
    assert converted.exists(), proc.stdout.decode() + proc.stderr.decode()
    return converted


def test_review_round_trip_through_libreoffice_uploads_exactly_the_approved_rows(tmp_path):
    """Approved with the drop-down's word in two spellings and a checkbox's TRUE, a `t`
    that is not understood, a rejected row marked yes and a whole-order row copied with a
    noisy token; LibreOffice saves it again: exactly the approved rows are uploaded. Saved
    as ods or CSV the same review is refused as a plain input."""
    import openpyxl
    from conftest import MESSY, invoke

    path = tmp_path / "review.xlsx"
    with cancelkit.check(MESSY, no_ledger=True) as result:
        result.write_review(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    col = {c.value: c.column for c in sheet[1]}
    by_row = {sheet.cell(n, col["row"]).value: n for n in range(2, sheet.max_row + 1)}
    approve = {2: "yes", 3: "Yes", 5: True, 6: "t", 4: "yes"}  # 4 was rejected
    for input_row, value in approve.items():
        sheet.cell(by_row[input_row], col["approve"]).value = value
    copy = [c.value for c in sheet[by_row[2]]]
    copy[col["review-token"] - 1] += " !"
    copy[col["order-id"] - 1] = "114-1111111-2222222"
    sheet.append(copy)
    expected = sorted(
        sheet.cell(n, col["order-id"]).value
        for n in range(2, sheet.max_row)
        if sheet.cell(n, col["approve"]).value in ("yes", "Yes", True)
        and sheet.cell(n, col["result"]).value == "accepted"
        and n != by_row[2]  # its token is on the copy too: neither is uploaded
    )
    book.save(path)
    resaved = _convert(path, tmp_path, "xlsx:Calc MS Excel 2007 XML")
    out = tmp_path / "out"
    run = invoke(
        "generate", "--from-review", resaved, "--out-dir", out, "--no-ledger", "--json", "-"
    )
    assert run.exit_code == 0, run.output
    document = json.loads(run.stdout)
    lines = next(out.glob("cancellations-*[0-9].txt")).read_text().splitlines()[2:]
    assert sorted(line.split("\t")[0] for line in lines) == expected
    codes = sorted(e["code"] for e in document["review_refused"])
    assert codes == ["review_approve_not_understood", "review_token_reused", "review_token_reused"]
    for target in ("ods", CSV_FILTER):
        saved = _convert(path, tmp_path, target)
        run = invoke("generate", saved, "--out-dir", tmp_path / "plain", "--no-ledger")
        assert run.exit_code == 2, run.output
        assert "[review_as_input]" in run.output
        assert not (tmp_path / "plain").exists()


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
