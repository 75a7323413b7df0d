"""Issue 16's review seal: a sealed row's decision cannot be moved, copied or rewritten; the
order state the review checked travels with the row; a review is refused as a plain input and
beside one; what the review cannot show is rejected in every account of the run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, FIXTURES, STATE, assert_one_line_error, invoke

import cancelkit
from cancelkit.errors import InputError
from cancelkit.review.reader import read_review
from cancelkit.review.seal import canonical_token, reuse_key

REPORT = FIXTURES / "order-report.txt"
EU = FIXTURES / "eu-batch.csv"


def make_review(tmp_path: Path, source: Path = CLEAN, *args: str) -> Path:
    path = tmp_path / "review.xlsx"
    run = invoke("review", source, "-o", path, "--no-ledger", *args)
    assert run.exit_code in (0, 1, 3), run.output
    return path


def edit(path: Path, change) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    col = {c.value: c.column for c in sheet[1]}
    change(sheet, col)
    book.save(path)


def sheet_row(sheet, col, input_row: int) -> int:
    """The Review sheet row that shows an input row (the review sorts rows by triage)."""
    return next(
        n for n in range(2, sheet.max_row + 1) if sheet.cell(n, col["row"]).value == input_row
    )


def clear_approvals(sheet, col) -> None:
    """Take back the plan's pre-filled approvals: the test approves its rows itself."""
    for n in range(2, sheet.max_row + 1):
        if sheet.cell(n, col["approve"]).value == "yes":
            sheet.cell(n, col["approve"]).value = None


def generate(tmp_path: Path, path: Path, *args: str):
    out = tmp_path / "out"
    run = invoke(
        "generate", "--from-review", path, "--out-dir", out, "--no-ledger", "--json", "-", *args
    )
    return run, (json.loads(run.stdout) if run.stdout.strip() else None), out


# -- one canonical form of a token ---------------------------------------------------------
@pytest.mark.parametrize(
    "noise",
    [
        lambda t: t + "!",
        lambda t: f" {t[:7]} {t[7:]}==",
        lambda t: t[:4] + "\u200b\u00ad" + t[4:],
        lambda t: "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in t),
    ],
)
def test_noise_on_a_rows_own_token_is_the_same_token(tmp_path, noise):
    path = make_review(tmp_path)

    def change(sheet, col):
        sheet.cell(2, col["approve"]).value = "yes"
        cell = sheet.cell(2, col["review-token"])
        assert canonical_token(noise(cell.value)) == cell.value
        cell.value = noise(cell.value)

    edit(path, change)
    table = read_review(path)
    assert 2 in [number for number, _ in table.rows]
    assert table.skipped and not any(e["row"] == 2 for e in table.skipped)


def test_a_noisy_copy_is_a_reuse_through_the_cli(tmp_path):
    path = make_review(tmp_path)

    def change(sheet, col):
        sheet.cell(2, col["approve"]).value = "yes"
        copy = [c.value for c in sheet[2]]
        copy[col["order-id"] - 1] = "114-1111111-2222222"
        copy[col["review-token"] - 1] = copy[col["review-token"] - 1].swapcase() + " !"
        sheet.append(copy)

    edit(path, change)
    run, document, out = generate(tmp_path, path)
    assert run.exit_code == 0, run.output
    refused = [(e["code"], e["order_id"]) for e in document["review_refused"]]
    assert refused == [
        ("review_token_reused", "113-4728391-2038475"),
        ("review_token_reused", "114-1111111-2222222"),
    ]
    upload = next(out.glob("cancellations-*[0-9].txt")).read_text()
    assert "113-4728391-2038475" not in upload and "114-1111111-2222222" not in upload
    assert reuse_key("ck3.AbC!") == reuse_key("CK3.aBc")


# -- the row's identity is sealed ----------------------------------------------------------
def test_a_marketplace_edited_in_a_multi_marketplace_review_is_refused(tmp_path):
    path = make_review(tmp_path, EU)

    def change(sheet, col):
        clear_approvals(sheet, col)
        sheet.cell(2, col["approve"]).value = "yes"
        sheet.cell(2, col["marketplace"]).value = "FR"
        sheet.cell(4, col["approve"]).value = "yes"

    edit(path, change)
    run, document, _ = generate(tmp_path, path)
    assert "Traceback" not in run.output
    assert run.exit_code == 0, run.output
    (refused,) = document["review_refused"]
    assert (refused["row"], refused["code"]) == (2, "review_identity_edited")
    assert "marketplace 'DE' -> 'FR'" in refused["why"]
    assert "refused review_identity_edited: 1 (never uploaded)" in run.stderr
    assert [r["row"] for r in document["records"]] == [4]


def test_an_item_row_made_a_whole_order_is_refused(tmp_path):
    path = make_review(tmp_path)

    def change(sheet, col):
        sheet.cell(2, col["approve"]).value = "yes"
        sheet.cell(2, col["amazon-order-item-code"]).value = None
        sheet.cell(2, col["cancellation-reason-code"]).value = None

    edit(path, change)
    table = read_review(path)
    entry = next(e for e in table.skipped if e["row"] == 2)
    assert entry["code"] == "review_identity_edited"
    assert "kind one item -> the whole order" in entry["why"]
    assert 2 not in [n for n, _ in table.rows]


def test_a_corrected_note_is_shown_before_and_after_in_the_report(tmp_path):
    path = make_review(tmp_path)

    def change(sheet, col):
        sheet.cell(2, col["approve"]).value = "yes"
        sheet.cell(2, col["note"]).value = "called the buyer"

    edit(path, change)
    out = tmp_path / "out"
    run = invoke(
        "generate",
        "--from-review",
        path,
        "--out-dir",
        out,
        "--no-ledger",
        "--report",
        out / "report.md",
    )
    assert run.exit_code == 0, run.output
    before = "Oversold: stock count was 3 short"
    assert f"review row 2 113-4728391-2038475: note '{before}' -> 'called the buyer'" in (
        run.stderr
    )
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Values corrected in the review (checked again)" in report
    assert f"| 2 | 113-4728391-2038475 | note | {before} | called the buyer |" in report


# -- the order state the review checked ----------------------------------------------------
def _state_review(tmp_path: Path) -> Path:
    path = make_review(tmp_path, STATE, "--orders-report", str(REPORT))

    def change(sheet, col):
        clear_approvals(sheet, col)
        sheet.cell(sheet_row(sheet, col, 6), col["approve"]).value = "yes"

    edit(path, change)
    return path


def test_the_state_check_of_the_review_travels_with_the_row(tmp_path):
    path = _state_review(tmp_path)
    # the fixture report's newest purchase is 2026-11-24 23:31 UTC
    fresh = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.timezone.utc)
    table = read_review(path, now=fresh)
    ((number, _),) = list(table.rows)
    (flag,) = table.row_flags[number]
    assert flag.code == "review_state_checked"
    assert "status Unshipped, channel Merchant" in flag.message
    assert "order-report.txt (sha256 3048c5109356)" in flag.message
    assert "6 hours old" in flag.message
    assert table.row_risk == {}
    # days later the same check is stale: said, and the row is at least medium risk
    table = read_review(path, now=fresh + dt.timedelta(days=3))
    (flag,) = table.row_flags[number]
    assert flag.code == "review_state_stale"
    assert "78 hours old, over 24 hours" in flag.message
    assert table.row_risk == {number: "medium"}
    # a fresh report given again: checked again, nothing carried
    assert read_review(path, recheck=True).row_flags == {}


def test_the_risk_gate_after_a_review_sees_the_recorded_state_risk(tmp_path):
    path = _state_review(tmp_path)
    run, document, _ = generate(tmp_path, path, "--fail-on", "medium")
    assert run.exit_code == 3, run.output
    (record,) = document["records"]
    assert record["risk"] == "high"  # NoInventory counts; stale state: at least medium
    assert "review_state_stale" in [f["code"] for f in record["flags"]]


def test_the_reviews_state_evidence_cannot_be_edited(tmp_path):
    path = _state_review(tmp_path)
    book = openpyxl.load_workbook(path)
    meta = book["_cancelkit"]
    for row in meta.iter_rows():
        if row[0].value == "order-state-evidence":
            row[1].value = row[1].value.replace("2026-11-24", "2026-12-24")
    book.save(path)
    with pytest.raises(InputError) as caught:
        read_review(path)
    assert caught.value.code == "review_format"
    assert "order-state evidence in the hidden sheet was changed" in str(caught.value)


# -- a review beside a plain input ---------------------------------------------------------
def test_from_review_with_a_plain_input_is_refused(tmp_path):
    path = make_review(tmp_path)
    edit(path, lambda sheet, col: setattr(sheet.cell(2, col["approve"]), "value", "yes"))
    out = tmp_path / "out"
    run = invoke("generate", CLEAN, "--from-review", path, "--out-dir", out, "--no-ledger")
    assert_one_line_error(run, "together with the plain input", "[review_with_inputs]")
    assert run.exit_code == 2
    assert not out.exists()
    with pytest.raises(InputError) as caught:
        cancelkit.check(CLEAN, from_review=path, no_ledger=True)
    assert caught.value.code == "review_with_inputs"
    with pytest.raises(InputError) as caught:
        cancelkit.check(rows=[{"order-id": "113-4728391-2038475"}], from_review=path)
    assert caught.value.code == "review_with_inputs"


# -- a value the review cannot show is rejected in every account ---------------------------
def test_a_value_over_the_cell_limit_is_rejected_in_terminal_json_and_workbook(tmp_path):
    source = tmp_path / "long.csv"
    source.write_text(
        "order-id,cancellation-reason-code,amazon-order-item-code,note\r\n"
        f"113-4728391-2038475,NoInventory,62845173920562,{'n' * 40_000}\r\n"
        "111-5820394-7716203,NoInventory,52019384756302,short\r\n",
        encoding="utf-8",
    )
    path = tmp_path / "review.xlsx"
    run = invoke("review", source, "-o", path, "--no-ledger")
    assert run.exit_code == 1, run.output
    assert "accepted 1, rejected 1, duplicates 0" in run.stderr
    assert "rejected value_too_long: 1" in run.stderr
    book = openpyxl.load_workbook(path)
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows() if r[0].value}
    assert summary["rejected (cannot be approved; see the problems column)"] == 1
    assert summary["accepted (can be approved)"] == 1
    with cancelkit.check(source, no_ledger=True) as result:
        result.write_review(tmp_path / "api.xlsx")
        assert (result.summary["accepted"], result.summary["rejected"]) == (1, 1)
        assert result.summary["rejected_by_code"] == {"value_too_long": 1}
        assert json.loads(result.to_json())["summary"]["rejected"] == 1
