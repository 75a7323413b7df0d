"""Review before upload, end to end: `cancelkit review`, a person approving (and editing) rows
in the workbook, then `cancelkit generate --from-review` taking only the approved rows, each
validated and assessed again."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, FIXTURES, MESSY, ROOT, assert_one_line_error, invoke

import cancelkit
from cancelkit.review.reader import REVIEW_HEADER, read_review

COL = {name: i + 1 for i, name in enumerate(REVIEW_HEADER)}  # openpyxl columns count from 1


def review(tmp_path: Path, source: Path, *options) -> Path:
    path = tmp_path / "review.xlsx"
    run = invoke("review", source, "-o", path, *options)
    assert run.exit_code in (0, 1), run.output
    assert f"review: {path}" in run.stderr
    return path


def decide(path: Path, approve: dict[int, object], edit: dict[tuple[int, str], object] = ()):
    """What a person does in the Review sheet: approve and edit the rows that show the given
    input-file rows (the sheet has no row for a blank input row, so the numbers can differ)."""
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    at = sheet_rows(sheet)
    # the plan pre-fills yes on the counting rows within the budget (issue 18); these tests
    # start from the rows a person decides, so those are cleared first
    for n in at.values():
        if sheet.cell(n, COL["counts against rate"]).value == "yes":
            sheet.cell(n, COL["approve"]).value = None
    for row, value in approve.items():
        sheet.cell(at[row], COL["approve"]).value = value
    for (row, column), value in dict(edit).items():
        sheet.cell(at[row], COL[column]).value = value
    book.save(path)


def sheet_rows(sheet) -> dict[int, int]:
    """Input-file row -> Review sheet row."""
    return {
        sheet.cell(n, COL["row"]).value: n
        for n in range(2, sheet.max_row + 1)
        if sheet.cell(n, COL["row"]).value is not None
    }


def sheet_of(path: Path) -> dict[int, int]:
    """Input-file row -> Review sheet row (the review lists rows in triage order)."""
    return sheet_rows(openpyxl.load_workbook(path)["Review"])


def generate(tmp_path: Path, path: Path, *options):
    out = tmp_path / "out"
    run = invoke(
        "generate",
        "--from-review",
        path,
        "--out-dir",
        out,
        "--flat-file",
        out / "upload.txt",
        "--rejects",
        out / "rejects.csv",
        "--json",
        "-",
        *options,
    )
    document = json.loads(run.stdout) if run.stdout.strip() else None
    return run, document, out


def data_lines(flat_file: Path) -> list[str]:
    return flat_file.read_text(encoding="ascii").splitlines()[2:]


def test_review_exit_codes_follow_check(tmp_path):
    clean = invoke("review", CLEAN, "-o", tmp_path / "clean.xlsx")
    assert clean.exit_code == 0, clean.output
    messy = invoke("review", MESSY, "-o", tmp_path / "messy.xlsx")
    assert messy.exit_code == 1  # rows were rejected; the workbook is written all the same
    assert (tmp_path / "messy.xlsx").exists()
    gate = invoke("review", CLEAN, "-o", tmp_path / "gate.xlsx", "--fail-on", "high")
    assert gate.exit_code == 3
    assert (tmp_path / "gate.xlsx").exists()


def test_only_approved_rows_are_uploaded_and_edited_rows_are_checked_again(tmp_path):
    path = review(tmp_path, MESSY, "--orders-7d", "4000")
    decide(
        path,
        # rows 2, 3, 5 accepted and approved; row 4 was rejected and row 20 is a duplicate:
        # their approval is ignored; row 25 is declined; every other row stays undecided
        approve={2: "yes", 3: " Yes ", 5: "yes", 4: "yes", 20: "yes", 25: "no"},
        edit={(5, "cancellation-reason-code"): "garbage"},
    )
    run, document, out = generate(tmp_path, path, "--orders-7d", "4000")
    assert run.exit_code == 1, run.output
    assert data_lines(out / "upload.txt") == [
        "111-5820394-7716203\tNoInventory\t52019384756302",
        "113-6620418-9934057\tNoInventory\t21098374650198",
    ]
    summary = document["summary"]
    assert (summary["input_rows"], summary["accepted"], summary["rejected"]) == (3, 2, 1)
    assert summary["rejected_by_code"] == {"reason_unknown": 1}
    assert summary["skipped_unapproved"] == 23 - 3
    # row numbers are those of the Review sheet (its rows are in triage order)
    at = sheet_of(path)
    assert sorted((r["row"], r["status"]) for r in document["records"]) == sorted(
        [(at[2], "accepted"), (at[3], "accepted"), (at[5], "rejected")]
    )
    with open(out / "rejects.csv", encoding="utf-8-sig", newline="") as stream:
        (rejected,) = list(csv.DictReader(stream))
    assert rejected["cancellation-reason-code"] == "garbage"
    assert rejected["cancelkit-row"] == str(at[5])
    assert rejected["cancelkit-source"] == str(path)
    # where the row came from before the review
    assert rejected["review-source"] == str(MESSY)
    assert rejected["review-row"] == "5"
    # the rate is projected for what is approved: two counting orders, not ten
    assert document["metrics"]["rate_after"] == pytest.approx(2 / 4000)


# the drop-down offers yes and no; a checkbox gives a real boolean
@pytest.mark.parametrize("value", ["yes", "YES", "Yes", " yes ", True])
def test_approve_words(tmp_path, value):
    path = review(tmp_path, CLEAN)
    decide(path, approve={2: value})
    table = read_review(path)
    at = sheet_of(path)
    # 6 and 10 were pre-approved
    assert sorted(number for number, _ in table.rows) == sorted([at[2], at[6], at[10]])
    assert len(table.skipped) == 12 - 3


@pytest.mark.parametrize("value", ["no", "NO", "", None, False, "n/a"])
def test_a_plain_no_is_not_an_approval(tmp_path, value):
    path = review(tmp_path, CLEAN)
    decide(path, approve={2: value})
    table = read_review(path)
    at = sheet_of(path)
    assert sorted(number for number, _ in table.rows) == sorted([at[6], at[10]])
    skipped = {entry["row"]: entry for entry in table.skipped}
    assert skipped[at[2]]["why"] == "not approved"


# what the drop-down does not offer is not understood: not approved, the cell named
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("t", "'t'"),
        ("T", "'T'"),
        ("x", "'x'"),
        ("y", "'y'"),
        ("true", "'true'"),
        ("TRUE", "'TRUE'"),
        ("1", "'1'"),
        (1, "'1'"),
        (0, "'0'"),
        ("maybe", "'maybe'"),
        ("yes please", "'yes please'"),
        ("yes\u200b", "'yes\\u200b'"),
        ("\uff59\uff45\uff53", "'\uff59\uff45\uff53'"),
    ],
)
def test_anything_else_is_not_understood(tmp_path, value, shown):
    path = review(tmp_path, CLEAN)
    decide(path, approve={2: value})
    table = read_review(path)
    at = sheet_of(path)  # the review lists rows in triage order
    assert sorted(number for number, _ in table.rows) == sorted([at[6], at[10]])
    skipped = {entry["row"]: entry for entry in table.skipped}
    assert skipped[at[2]]["code"] == "review_approve_not_understood"
    assert skipped[at[2]]["cell"] == f"Review!A{at[2]} {shown}"
    assert skipped[at[2]]["why"].startswith(f"approve cell Review!A{at[2]} says {shown}, not one")


def test_an_approve_cell_not_understood_is_counted_and_named_by_the_cli(tmp_path):
    path = review(tmp_path, CLEAN)
    decide(path, approve={2: "t", 3: "x"})
    out = tmp_path / "out"
    run = invoke("generate", "--from-review", path, "--out-dir", out, "--no-ledger", "--json", "-")
    assert run.exit_code == 0, run.output
    document = json.loads(run.stdout)
    assert document["summary"]["skipped_by_code"]["review_approve_not_understood"] == 2
    cells = [e["cell"] for e in document["review_refused"]]
    assert cells == ["Review!A2 't'", "Review!A3 'x'"]
    assert "not understood: 2 approve cell(s), not approved: Review!A2 't'; Review!A3 'x'" in (
        run.stderr
    )


def test_skipped_rows_say_why(tmp_path):
    path = review(tmp_path, MESSY)
    decide(path, approve={2: "yes", 4: "yes", 20: "yes"})
    book = openpyxl.load_workbook(path)
    book["Review"].append(["yes", None, None, None, "114-9012736-3385120", "44019283756610"])
    book.save(path)
    table = read_review(path)
    at = sheet_of(path)
    assert [number for number, _ in table.rows] == [at[2]]
    skipped = {entry["row"]: entry for entry in table.skipped}
    assert skipped[at[3]]["why"] == "not approved"
    assert skipped[at[4]]["why"] == "rejected in the review: cannot be approved"
    assert skipped[at[4]]["code"] == "review_not_approvable"
    # messy-batch.csv row 20 is a duplicate (blank row 10 has no sheet row)
    assert skipped[at[20]]["why"] == "duplicate in the review: cannot be approved"
    # a row typed in below the table was never reviewed: it carries no token
    assert skipped[25]["code"] == "review_token_missing"
    assert skipped[25]["why"].startswith("no review token")
    assert skipped[25]["order_id"] == "114-9012736-3385120"
    assert skipped[at[3]]["code"] == "review_not_approved"
    assert len(skipped) == 23 + 1 - 1


def test_the_evidence_column_survives_the_round_trip(tmp_path):
    path = review(tmp_path, CLEAN, "--orders-7d", "1000")
    # approve every accepted row; the buyer-request evidence is sealed: a person who records
    # that the buyer of row 8 asked after all is told to correct the source file
    decide(
        path,
        approve={row: "yes" for row in range(2, 14)},
        edit={(8, "is-buyer-requested-cancellation"): "TRUE"},
    )
    run, document, _ = generate(tmp_path, path)
    assert run.exit_code == 0, run.output
    at = sheet_of(path)
    counting = {r["row"]: r["counts_against_rate"] for r in document["records"]}
    assert counting[at[6]] is counting[at[10]] is False
    assert at[8] not in counting
    assert sum(counting.values()) == 9
    (refused,) = document["review_refused"]
    assert (refused["row"], refused["code"]) == (at[8], "review_identity_edited")
    assert "is-buyer-requested-cancellation 'FALSE' -> 'TRUE'" in refused["why"]


def test_an_item_code_typed_as_a_number_is_read_exactly(tmp_path):
    path = review(tmp_path, CLEAN)
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    item = sheet.cell(sheet_of(path)[2], COL["amazon-order-item-code"]).value
    # the same item code typed again as a number (a General cell): the same value, no edit
    decide(path, approve={2: "yes"}, edit={(2, "amazon-order-item-code"): int(item)})
    run, document, out = generate(tmp_path, path)
    assert run.exit_code == 0, run.output
    assert f"113-4728391-2038475\tNoInventory\t{item}" in data_lines(out / "upload.txt")
    assert document["review_refused"] == []


def test_nothing_approved_is_an_unusable_input(tmp_path):
    path = review(tmp_path, MESSY)
    run, _, out = generate(tmp_path, path)
    assert_one_line_error(run, str(path), "none is approved", "[review_nothing_approved]")
    assert not out.exists()


def test_a_review_from_another_version_is_refused_by_generate(tmp_path):
    path = review(tmp_path, CLEAN)
    book = openpyxl.load_workbook(path)
    book["_cancelkit"]["B2"] = "0.0.1"
    book.save(path)
    run, _, out = generate(tmp_path, path)
    assert_one_line_error(run, "written by cancelkit 0.0.1", "write the review again")
    assert not out.exists()


def test_a_changed_header_is_refused_by_generate(tmp_path):
    path = review(tmp_path, CLEAN)
    book = openpyxl.load_workbook(path)
    book["Review"]["G1"] = "reason"
    book.save(path)
    run, _, _ = generate(tmp_path, path)
    assert_one_line_error(run, "header row of the Review sheet was changed", "column G")


def test_python_api_round_trip(tmp_path):
    path = tmp_path / "review.xlsx"
    with cancelkit.check(CLEAN, orders_in_window=1000) as result:
        assert result.write_review(path) == path
        assert result.outputs["review"] == str(path)
    with cancelkit.check(from_review=path, orders_in_window=1000) as approved:
        # the plan pre-approved every row: the 9 counting orders fit the budget of 24
        assert approved.summary["input_rows"] == 12
        assert approved.summary["skipped_unapproved"] == 0
        assert approved.metrics["rate_after"] == 9 / 1000


def _docs_example() -> str:
    text = (ROOT / "docs" / "review-section.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    return block


def test_docs_python_example_runs(tmp_path, monkeypatch):
    """The Python example of docs/review-section.md, run as written (pandas is optional)."""
    pytest.importorskip("pandas")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cancellations.csv").write_bytes(CLEAN.read_bytes())
    namespace: dict = {}
    exec(compile(_docs_example(), "review-section.md", "exec"), namespace)
    assert (tmp_path / "review.xlsx").exists()
    assert namespace["result"].summary["input_rows"] == 12


def test_rows_like_a_dataframes_records(tmp_path):
    """`DataFrame.to_dict("records")` without pandas: mappings with NaN for empty cells and
    item codes as numbers, as pandas reads clean-batch.csv."""
    with open(CLEAN, encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        item = row["amazon-order-item-code"]
        row["amazon-order-item-code"] = float(item) if item else float("nan")
        row["cancellation-reason-code"] = row["cancellation-reason-code"] or float("nan")
        row["is-buyer-requested-cancellation"] = row["is-buyer-requested-cancellation"] == "true"
    path = tmp_path / "review.xlsx"
    with cancelkit.check(rows=rows) as result:
        assert result.summary["accepted"] == 12
        result.write_review(path)
    table = read_review(path)
    at = sheet_of(path)
    assert sorted(number for number, _ in table.rows) == sorted([at[6], at[10]])


def test_from_review_without_an_order_report_warns_that_states_were_not_rechecked(tmp_path):
    """An order can ship between the review and the upload: without a fresh order report the
    summary and the report say that the approved rows' states were not checked again."""
    path = review(tmp_path, CLEAN, "--orders-7d", "4000")
    decide(path, approve={2: "yes"})
    run, _, out = generate(tmp_path, path, "--orders-7d", "4000", "--report", tmp_path / "r.md")
    assert run.exit_code == 0, run.output
    assert "warning: the approved rows were not checked against a current order report" in (
        run.stderr
    )
    assert "The approved rows were not checked against a current order report" in (
        (tmp_path / "r.md").read_text(encoding="utf-8")
    )
    plain = invoke("generate", CLEAN, "--orders-7d", "4000", "--out-dir", tmp_path / "plain")
    assert "not checked against a current order report" not in plain.stderr
    fresh = invoke(
        "generate",
        "--from-review",
        path,
        "--orders-7d",
        "4000",
        "--out-dir",
        tmp_path / "fresh",
        "--orders-report",
        FIXTURES / "unshipped-orders.txt",
    )
    assert fresh.exit_code in (0, 1), fresh.output
    assert "not checked against a current order report" not in fresh.stderr
