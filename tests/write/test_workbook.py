"""Spreadsheet workflow: the input template and the review workbook as files, read back with
openpyxl (what the person's spreadsheet sees) and python-calamine (what cancelkit reads)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, MESSY, assert_one_line_error, invoke
from injection_samples import COL, INJECTIONS, write_injection_batch
from openpyxl.utils.escape import unescape
from python_calamine import CalamineWorkbook

import cancelkit
from cancelkit.amazon import reasons
from cancelkit.errors import InputError, OutputError
from cancelkit.read import review_layout
from cancelkit.review import reader
from cancelkit.review.reader import REVIEW_HEADER, read_review
from cancelkit.write import workbook
from cancelkit.write.workbook import write_review, write_template


def _review_rows(path: Path) -> list[tuple]:
    """The Review sheet's rows below the header, as openpyxl values."""
    sheet = openpyxl.load_workbook(path)["Review"]
    return list(sheet.iter_rows(min_row=2, values_only=True))


def _review(tmp_path: Path, source: Path, **options) -> Path:
    path = tmp_path / "review.xlsx"
    with cancelkit.check(source, **options) as result:
        result.write_review(path)
    return path


# -- template -----------------------------------------------------------------------------------


def test_template_sheets_header_and_frozen_row(tmp_path):
    path = write_template(tmp_path / "cancellations.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Cancellations", "Instructions", "Reasons"]
    assert book.active.title == "Cancellations"
    sheet = book["Cancellations"]
    assert [c.value for c in sheet[1]] == [
        "order-id",
        "cancellation-reason-code",
        "amazon-order-item-code",
        "sku",
        "is-buyer-requested-cancellation",
        "note",
    ]
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"
    assert all(sheet.column_dimensions[letter].width >= 18 for letter in "ABCDEF")


def test_template_id_columns_are_text_so_excel_keeps_every_digit(tmp_path):
    sheet = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))["Cancellations"]
    formats = {
        sheet.cell(1, i + 1).value: sheet.column_dimensions[letter].number_format
        for i, letter in enumerate("ABCDEF")
    }
    assert formats["order-id"] == "@"
    assert formats["amazon-order-item-code"] == "@"
    assert formats["sku"] == "@"
    assert formats["note"] == "@"


def test_template_drop_downs_list_the_flat_file_codes_and_true_false(tmp_path):
    sheet = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))["Cancellations"]
    lists = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    assert set(lists) == {"B2:B1048576", "E2:E1048576"}
    reason = lists["B2:B1048576"]
    assert reason.type == "list"
    assert reason.formula1 == '"' + ",".join(reasons.FLAT_FILE_CODES) + '"'
    # spellings like "out of stock" are mapped by cancelkit, so other text only warns
    assert reason.errorStyle == "warning"
    evidence = lists["E2:E1048576"]
    assert evidence.type == "list"
    assert evidence.formula1 == '"TRUE,FALSE"'


def test_template_reasons_sheet_is_the_catalogue(tmp_path):
    sheet = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))["Reasons"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == [r.code for r in reasons.CATALOGUE]
    by_code = {row[0]: row for row in rows}
    assert by_code["BuyerCanceled"][3] == "unless the buyer asked on Amazon"
    assert by_code["NoInventory"][3] == "yes"
    assert by_code["CarrierCreditDecision"][2] == "no (XML feed only)"
    for reason in reasons.CATALOGUE:
        assert by_code[reason.code][4] == reason.effect_text
        assert by_code[reason.code][5] == ", ".join(reason.aliases)


def test_template_instructions_name_every_column(tmp_path):
    sheet = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))["Instructions"]
    text = "\n".join(str(row[0]) for row in sheet.iter_rows(values_only=True) if row[0])
    for name, _, _ in workbook.TEMPLATE_COLUMNS:
        assert name in text


def test_filled_template_is_a_valid_input(tmp_path):
    """A person fills in the template; cancelkit reads it like any xlsx input."""
    path = write_template(tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["Cancellations"]
    sheet.append(["113-4728391-2038475", "out of stock", "62845173920562", "MUG", "FALSE", "x"])
    sheet.append(["112-5550193-7782014", "BuyerCanceled", "27485019374652", "CUP", "TRUE", ""])
    book.save(path)
    with cancelkit.check(path) as result:
        records = result.records
    assert [r["status"] for r in records] == ["accepted", "accepted"]
    assert [r["reason"] for r in records] == ["NoInventory", "BuyerCanceled"]
    assert [r["counts_against_rate"] for r in records] == [True, False]


def test_template_is_not_overwritten_without_force(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"mine")
    with pytest.raises(OutputError, match="already exists"):
        write_template(path)
    assert path.read_bytes() == b"mine"
    write_template(path, force=True)
    assert openpyxl.load_workbook(path).sheetnames[0] == "Cancellations"


def test_template_cli(tmp_path):
    path = tmp_path / "cancellations.xlsx"
    run = invoke("template", "-o", path)
    assert run.exit_code == 0, run.output
    assert f"template: {path}" in run.stderr
    assert openpyxl.load_workbook(path).sheetnames[0] == "Cancellations"
    assert_one_line_error(invoke("template", "-o", path), "already exists", "--force")
    assert invoke("template", "-o", path, "--force").exit_code == 0


# -- review workbook ------------------------------------------------------------------------------


def test_review_has_one_row_per_input_row_with_its_result(tmp_path):
    path = _review(tmp_path, MESSY)
    with cancelkit.check(MESSY) as result:
        records = result.records
    rows = _review_rows(path)
    assert len(rows) == len(records) == 23
    by_number = {record["row"]: record for record in records}
    assert sorted(row[COL["row"]] for row in rows) == sorted(by_number)
    # triage order: accepted rows by risk (high, medium, low, none), then the rest
    ranks = {"high": 0, "medium": 1, "low": 2, "none": 3}
    order = [
        (0, ranks[row[COL["risk"]]]) if row[COL["result"]] == "accepted" else (1, 0) for row in rows
    ]
    assert order == sorted(order)
    for row in rows:
        record = by_number[row[COL["row"]]]
        assert row[COL["result"]] == record["status"]
        assert row[COL["source"]] == str(MESSY)
        assert (row[COL["order-id"]] or "") == record["order_id"]
        assert (row[COL["risk"]] or None) == record["risk"]
    by_row = {row[COL["row"]]: row for row in rows}
    # row 4: Excel damaged the item code; the value is shown as it came, with the reason
    assert by_row[4][COL["amazon-order-item-code"]] == "6.28452E+13"
    assert "scientific notation" in by_row[4][COL["problems"]]
    # row 5: a mapped spelling and the metric effect, in words
    assert by_row[5][COL["cancellation-reason-code"]] == "NoInventory"
    assert by_row[5][COL["counts against rate"]] == "yes"
    assert "was read as NoInventory" in by_row[5][COL["problems"]]
    assert by_row[20][COL["problems"]].startswith("repeats ")
    assert by_row[14][COL["note"]] == "both mugs"


def test_approve_is_prefilled_only_for_accepted_rows_of_risk_none(tmp_path):
    rows = _review_rows(_review(tmp_path, CLEAN))
    approve = {row[COL["row"]]: row[COL["approve"]] for row in rows}
    # clean-batch rows 6 and 10: BuyerCanceled with the buyer's official request
    assert {n for n, value in approve.items() if value == "yes"} == {6, 10}
    assert all(value is None for n, value in approve.items() if n not in (6, 10))


def test_rejected_and_duplicate_rows_cannot_be_approved(tmp_path):
    rows = _review_rows(_review(tmp_path, MESSY))
    for row in rows:
        if row[COL["result"]] in ("rejected", "duplicate"):
            assert row[COL["approve"]] == reader.NOT_APPROVABLE
        else:
            assert row[COL["approve"]] is None  # messy-batch has no row of risk none


def test_evidence_column_shows_an_official_buyer_request(tmp_path):
    rows = _review_rows(_review(tmp_path, CLEAN))
    evidence = {row[COL["row"]]: row[COL["is-buyer-requested-cancellation"]] for row in rows}
    assert evidence[6] == evidence[10] == "TRUE"
    assert evidence[8] == "FALSE"  # BuyerCanceled asked by message only: the input says false


def test_review_sheet_layout(tmp_path):
    path = _review(tmp_path, MESSY)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Review", "Summary", "_cancelkit"]
    assert [book[name].sheet_state for name in book.sheetnames] == ["visible", "visible", "hidden"]
    assert book.active.title == "Review"
    sheet = book["Review"]
    assert tuple(c.value for c in sheet[1]) == REVIEW_HEADER
    # the header row and the columns up to the order id stay in view
    assert sheet.freeze_panes == "F2"
    assert sheet.auto_filter.ref == "A1:R24"  # the hidden columns sort with their row
    # hidden: the Summary's counted-order helper (P), the evidence (Q) and the token (R)
    dimensions = sheet.column_dimensions.values()
    assert {n for d in dimensions if d.hidden for n in range(d.min, d.max + 1)} == {16, 17, 18}
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape"
    (approve,) = sheet.data_validations.dataValidation
    assert str(approve.sqref) == "A2:A24"
    assert approve.formula1 == '"yes,no"'
    rules = [rule for rng in sheet.conditional_formatting for rule in rng.rules]
    criteria = " ".join(f for rule in rules for f in rule.formula)
    for level in ("high", "medium", "low", "none"):
        assert f'$C2="{level}"' in criteria
    assert '$B2="rejected"' in criteria
    assert sheet.column_dimensions["L"].width > sheet.column_dimensions["A"].width


def test_summary_projects_the_rate_for_both_decisions(tmp_path):
    path = _review(tmp_path, CLEAN, orders_in_window=1000, cancels_in_window=4)
    with cancelkit.check(CLEAN, orders_in_window=1000, cancels_in_window=4) as result:
        metrics = result.metrics
    sheet = openpyxl.load_workbook(path)["Summary"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert values["rate before this batch"] == pytest.approx(0.004)
    # the budget (24 - 1 - 4 = 20 counting orders) holds the batch's nine: the plan pre-fills
    # every row; the ten flagged rows are nine orders (clean-batch rows 4 and 5 are one order)
    assert values["rate if you approve only the pre-approved rows"] == pytest.approx(0.013)
    assert values["rate if you approve every flagged row too"] == pytest.approx(0.013)
    assert metrics["rate_after"] == pytest.approx(0.013)
    assert values["pre-approved: yes filled in (risk none, or within the plan's budget)"] == 12
    assert values["flagged: waiting for your yes or no"] == 0
    assert values["budget (US, before anything is approved)"] == (
        "all 9 counting order(s) fit under 2.50% (US); room for 20 in all"
    )
    assert values["target: a rate under"] == pytest.approx(0.025)
    assert values["gate"] == "passes"
    assert values["verdict"].startswith("Review before upload")


def test_summary_without_order_volume_says_what_to_pass(tmp_path):
    sheet = openpyxl.load_workbook(_review(tmp_path, CLEAN))["Summary"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert values["rate if you approve every flagged row too"] == "unknown: pass --orders-7d N"
    texts = [row[1] for row in sheet.iter_rows(values_only=True) if row[1]]
    assert any(str(t).startswith("Pass --orders-7d N") for t in texts)


def test_summary_names_the_tripped_gate(tmp_path):
    path = _review(tmp_path, CLEAN, fail_on="high")
    sheet = openpyxl.load_workbook(path)["Summary"]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert values["--fail-on"] == "high"
    assert values["gate"].startswith("tripped: ")


def test_meta_sheet_identifies_format_and_version(tmp_path):
    sheet = openpyxl.load_workbook(_review(tmp_path, CLEAN))["_cancelkit"]
    facts = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert facts["format"] == review_layout.FORMAT_ID
    assert facts["cancelkit-version"] == cancelkit.__version__


@pytest.mark.parametrize("value", INJECTIONS)
def test_formula_like_text_stays_a_text_cell(tmp_path, value):
    path = _review(tmp_path, write_injection_batch(tmp_path))
    book = openpyxl.load_workbook(path)
    found = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and unescape(cell.value) == value
    ]
    assert found, f"{value!r} not in the workbook"
    assert all(cell.data_type == "s" for cell in found)
    # the only formulas are cancelkit's own: the Review's hidden counted-order column and the
    # Summary's live figures, over the approve column; none holds text from the input
    formulas = [c for s in book.worksheets for r in s.iter_rows() for c in r if c.data_type == "f"]
    assert {(c.parent.title, c.column_letter) for c in formulas} <= {
        ("Review", "P"),
        ("Summary", "B"),
    }
    assert not [c for c in formulas if value in c.value]
    # python-calamine (cancelkit's reader) gives the value back exactly
    rows = CalamineWorkbook.from_path(path).get_sheet_by_name("Review").to_python()
    assert any(value in row for row in rows)


def test_formula_like_values_survive_into_the_table_read_back(tmp_path):
    path = _review(tmp_path, write_injection_batch(tmp_path))
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    for row in sheet.iter_rows(min_row=2):
        if row[COL["result"]].value == "accepted":
            row[COL["approve"]].value = "yes"
    book.save(path)
    table = read_review(path)
    cells = [cells for _, cells in table.rows]
    notes = [c[table.fields["note"]] for c in cells]
    skus = [c[table.fields["sku"]] for c in cells]
    assert INJECTIONS[2] in notes and INJECTIONS[5] in notes
    assert INJECTIONS[0] in skus


def test_review_is_not_overwritten_without_force(tmp_path):
    path = tmp_path / "review.xlsx"
    path.write_bytes(b"mine")
    with cancelkit.check(CLEAN) as result:
        with pytest.raises(OutputError, match="already exists"):
            result.write_review(path)
        assert path.read_bytes() == b"mine"
        result.write_review(path, force=True)
        assert result.outputs["review"] == str(path)
    assert _review_rows(path)


def test_a_batch_larger_than_a_sheet_is_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 10)
    path = tmp_path / "review.xlsx"
    with cancelkit.check(CLEAN) as result, pytest.raises(OutputError, match="at most 9 rows"):
        write_review(result, path)
    assert not path.exists()


# -- refusing what is not a review of this version ------------------------------------------------


def _edit(path: Path, sheet: str, cell: str, value) -> None:
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = value
    book.save(path)


def test_a_review_of_another_version_is_refused(tmp_path):
    path = _review(tmp_path, CLEAN)
    _edit(path, "_cancelkit", "B2", "0.0.1")
    with pytest.raises(InputError, match="written by cancelkit 0.0.1, this is cancelkit"):
        read_review(path)


def test_a_review_of_another_format_is_refused(tmp_path):
    path = _review(tmp_path, CLEAN)
    _edit(path, "_cancelkit", "B1", "cancelkit-review/0")
    with pytest.raises(InputError, match="unknown review workbook format 'cancelkit-review/0'"):
        read_review(path)


def test_a_changed_review_header_is_refused(tmp_path):
    path = _review(tmp_path, CLEAN)
    _edit(path, "Review", "E1", "Order")
    with pytest.raises(
        InputError, match="column E 'Order' is not a Review column; no column 'order-id'"
    ):
        read_review(path)


def test_a_column_added_to_the_review_is_refused(tmp_path):
    path = _review(tmp_path, CLEAN)
    _edit(path, "Review", "S1", "my remarks")
    with pytest.raises(InputError, match="column S 'my remarks' is not a Review column"):
        read_review(path)


def test_a_workbook_that_is_no_review_is_refused(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    with pytest.raises(InputError, match="not a cancelkit review workbook"):
        read_review(path)


def test_a_broken_file_is_refused(tmp_path):
    path = tmp_path / "review.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="cannot read the workbook .damaged or truncated zip"):
        read_review(path)
    with pytest.raises(InputError, match="no such file"):
        read_review(tmp_path / "missing.xlsx")
