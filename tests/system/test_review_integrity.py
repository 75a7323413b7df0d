"""Only what a person approved in a review reaches Amazon: every row of the Review sheet
carries a sealed token (read/seal.py), and `generate --from-review` refuses rows that were
typed in, copied, moved to another source row, given another result, or taken from another
review, with a stable code in the JSON, the report and the terminal summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, MESSY, assert_one_line_error, invoke, run_cli

import cancelkit
from cancelkit.errors import InputError
from cancelkit.review.reader import REVIEW_HEADER, read_review
from cancelkit.review.seal import KEY_ENV_VAR

COL = {name: i + 1 for i, name in enumerate(REVIEW_HEADER)}
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def make_review(tmp_path: Path, source: Path = MESSY, name: str = "review.xlsx") -> Path:
    path = tmp_path / name
    with cancelkit.check(source, no_ledger=True) as result:
        result.write_review(path)
    return path


def sheet_of(path: Path):
    book = openpyxl.load_workbook(path)
    return book, book["Review"]


def row_of(sheet, input_row: int) -> int:
    """The Review sheet row that shows an input file's row."""
    return next(
        n for n in range(2, sheet.max_row + 1) if sheet.cell(n, COL["row"]).value == input_row
    )


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
        "--report",
        out / "report.md",
        "--json",
        "-",
        "--no-ledger",
        *options,
    )
    document = json.loads(run.stdout) if run.stdout.strip() else None
    return run, document, out


def uploaded(out: Path) -> list[str]:
    return (out / "upload.txt").read_text(encoding="ascii").splitlines()[2:]


def order_ids(out: Path) -> list[str]:
    return [line.split("\t")[0] for line in uploaded(out)]


def test_a_rejected_row_marked_accepted_and_yes_is_never_uploaded(tmp_path):
    path = make_review(tmp_path)
    book, sheet = sheet_of(path)
    rejected = row_of(sheet, 4)  # messy-batch.csv row 4 is rejected
    assert sheet.cell(rejected, COL["result"]).value == "rejected"
    victim = sheet.cell(rejected, COL["order-id"]).value
    sheet.cell(rejected, COL["result"]).value = "accepted"
    sheet.cell(rejected, COL["approve"]).value = "yes"
    sheet.cell(row_of(sheet, 2), COL["approve"]).value = "yes"
    book.save(path)
    run, document, out = generate(tmp_path, path)
    assert run.exit_code == 0, run.output
    assert victim not in order_ids(out)
    assert order_ids(out) == ["111-5820394-7716203"]
    (refused,) = document["review_refused"]
    assert (refused["row"], refused["code"]) == (rejected, "review_result_edited")
    assert "it was rejected in the review" in refused["why"]
    assert document["summary"]["skipped_by_code"]["review_result_edited"] == 1
    assert "refused review_result_edited: 1 (never uploaded)" in run.stderr
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Review rows refused (never uploaded)" in report
    assert "`review_result_edited`" in report


def test_a_row_typed_in_below_the_table_is_never_uploaded(tmp_path):
    path = make_review(tmp_path, CLEAN)
    book, sheet = sheet_of(path)
    typed = ["yes", "accepted", "none", "no", "114-1111111-2222222", "", "", "", "", "", ""]
    typed += [str(CLEAN), 99]
    sheet.append(typed)
    book.save(path)
    run, document, out = generate(tmp_path, path)
    assert run.exit_code == 0, run.output
    assert "114-1111111-2222222" not in order_ids(out)
    assert len(uploaded(out)) == 2  # the two pre-approved rows of clean-batch.csv
    assert [e["code"] for e in document["review_refused"]] == ["review_token_missing"]


def test_a_copied_row_uploads_neither_copy(tmp_path):
    path = make_review(tmp_path, CLEAN)
    book, sheet = sheet_of(path)
    source = row_of(sheet, 2)
    copy = [cell.value for cell in sheet[source]]
    copy[0] = "yes"
    sheet.append(copy)
    sheet.cell(source, COL["approve"]).value = "yes"
    book.save(path)
    run, document, out = generate(tmp_path, path)
    assert run.exit_code == 0, run.output
    assert "113-4728391-2038475" not in order_ids(out)
    codes = [(e["row"], e["code"]) for e in document["review_refused"]]
    assert codes == [(source, "review_token_reused"), (sheet.max_row, "review_token_reused")]


def test_a_token_moved_to_another_row_or_another_review_is_unknown(tmp_path):
    first = make_review(tmp_path, CLEAN, "first.xlsx")
    second = make_review(tmp_path, CLEAN, "second.xlsx")
    _, sheet_one = sheet_of(first)
    book, sheet = sheet_of(second)
    # row 2 gets the token that the first review issued for the same source row
    sheet.cell(row_of(sheet, 2), COL["review-token"]).value = sheet_one.cell(
        row_of(sheet_one, 2), COL["review-token"]
    ).value
    sheet.cell(row_of(sheet, 2), COL["approve"]).value = "yes"
    # row 3 claims to be input row 30
    sheet.cell(row_of(sheet, 3), COL["approve"]).value = "yes"
    sheet.cell(row_of(sheet, 3), COL["row"]).value = 30
    book.save(second)
    table = read_review(second)
    taken = [number for number, _ in table.rows]
    codes = {e["row"]: e["code"] for e in table.skipped}
    assert codes[2] == codes[3] == "review_token_unknown"
    assert 2 not in taken and 3 not in taken


def test_a_corrected_value_is_noted_and_validated_again(tmp_path):
    path = make_review(tmp_path, CLEAN)
    book, sheet = sheet_of(path)
    at = row_of(sheet, 2)
    sheet.cell(at, COL["approve"]).value = "yes"
    sheet.cell(at, COL["cancellation-reason-code"]).value = "ShippingAddressUndeliverable"
    book.save(path)
    run, document, out = generate(tmp_path, path)
    assert run.exit_code == 0, run.output
    record = next(r for r in document["records"] if r["row"] == at)
    (note,) = [f for f in record["flags"] if f["code"] == "review_value_changed"]
    assert note["message"] == (
        "corrected in the review: cancellation-reason-code 'NoInventory' -> "
        "'ShippingAddressUndeliverable'"
    )
    assert document["review_corrected"] == [
        {
            "row": at,
            "order_id": record["order_id"],
            "column": "cancellation-reason-code",
            "before": "NoInventory",
            "after": "ShippingAddressUndeliverable",
        }
    ]
    assert "cancellation-reason-code 'NoInventory' -> 'ShippingAddressUndeliverable'" in run.stderr
    assert f"{record['order_id']}\tShippingAddressUndeliverable\t" in "\n".join(uploaded(out))
    untouched = [r for r in document["records"] if r["row"] != at]
    assert not any(f["code"] == "review_value_changed" for r in untouched for f in r["flags"])


def test_a_review_given_as_a_plain_input_is_refused(tmp_path):
    path = make_review(tmp_path, CLEAN)
    run = invoke("generate", path, "--out-dir", tmp_path / "out", "--no-ledger")
    assert_one_line_error(run, "--from-review", "[review_as_input]")
    assert not (tmp_path / "out").exists()


def test_a_review_saved_as_csv_is_refused_as_a_plain_input(tmp_path):
    path = make_review(tmp_path, CLEAN)
    _, sheet = sheet_of(path)
    lines = [",".join(str(c.value or "") for c in row) for row in sheet.iter_rows()]
    csv_path = tmp_path / "review.csv"
    csv_path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    run = invoke("check", csv_path, "--no-ledger")
    assert_one_line_error(run, "holds the rows of a cancelkit review", "[review_as_input]")


def test_a_review_cannot_be_checked_without_the_key(tmp_path, monkeypatch):
    path = make_review(tmp_path, CLEAN)
    monkeypatch.setenv(KEY_ENV_VAR, str(tmp_path / "elsewhere" / "review-key"))
    run, _, out = generate(tmp_path, path)
    assert_one_line_error(run, "no review key at", "[review_key_missing]")
    assert not out.exists()


def test_the_key_is_private_to_the_user(tmp_path):
    make_review(tmp_path, CLEAN)
    key = Path(os.environ[KEY_ENV_VAR])
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32


def test_a_value_over_the_cell_limit_is_never_cut(tmp_path):
    source = tmp_path / "long.csv"
    long_note = "n" * 40_000
    source.write_text(
        "order-id,cancellation-reason-code,amazon-order-item-code,note\r\n"
        f"113-4728391-2038475,NoInventory,62845173920562,{long_note}\r\n"
        "111-5820394-7716203,NoInventory,52019384756302,short\r\n",
        encoding="utf-8",
    )
    path = make_review(tmp_path, source)
    _, sheet = sheet_of(path)
    assert sheet.cell(2, COL["result"]).value == "rejected"
    assert sheet.cell(2, COL["approve"]).value == "n/a"
    assert sheet.cell(2, COL["note"]).value == "(40,000 characters: too long for a cell, not shown)"
    assert sheet.cell(2, COL["problems"]).value.startswith("value_too_long: note longer than")
    assert not any(
        isinstance(c.value, str) and c.value.startswith("nnnn") for row in sheet for c in row
    )
    book, sheet = sheet_of(path)
    sheet.cell(2, COL["approve"]).value = "yes"
    sheet.cell(3, COL["approve"]).value = "yes"
    book.save(path)
    run, document, out = generate(tmp_path, path)
    assert order_ids(out) == ["111-5820394-7716203"]
    assert document["summary"]["skipped_by_code"] == {"review_not_approvable": 1}


def test_from_review_gets_the_workbook_defences(tmp_path):
    path = make_review(tmp_path, CLEAN)
    far = tmp_path / "far.xlsx"
    book, sheet = sheet_of(path)
    sheet["ALL1000000"] = "stray"
    book.save(far)
    with pytest.raises(InputError) as caught:
        read_review(far)
    assert caught.value.code == "too_many_cells"
    doctype = tmp_path / "doctype.xlsx"
    _rewrite_part(path, doctype, "xl/workbook.xml", b"<!DOCTYPE x [<!ENTITY a 'a'>]>")
    with pytest.raises(InputError) as caught:
        read_review(doctype)
    assert caught.value.code == "xml_entities"


def _rewrite_part(source: Path, target: Path, name: str, prolog: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == name:
                end = data.index(b"?>") + 2
                data = data[:end] + prolog + data[end:]
            new.writestr(info, data)


@pytest.mark.slow
@pytest.mark.skipif(
    SOFFICE is None and os.environ.get("CI") != "true", reason="LibreOffice is not installed"
)
def test_a_review_saved_again_by_libreoffice_uploads_exactly_the_approved_rows(tmp_path):
    """A person approves rows, sorts the sheet by order id, and LibreOffice Calc saves it
    again as xlsx: exactly the approved rows are uploaded, the tokens came through."""
    path = make_review(tmp_path)
    book, sheet = sheet_of(path)
    approve = {2: "yes", 3: "Yes", 5: True, 4: "yes"}  # 4 is rejected: never uploaded
    for input_row, value in approve.items():
        sheet.cell(row_of(sheet, input_row), COL["approve"]).value = value
    expected = sorted(sheet.cell(row_of(sheet, r), COL["order-id"]).value for r in (2, 3, 5)) + [
        sheet.cell(n, COL["order-id"]).value
        for n in range(2, sheet.max_row + 1)
        if sheet.cell(n, COL["approve"]).value == "yes"
        and sheet.cell(n, COL["row"]).value not in approve
    ]
    # sort the data rows by order id, as a person using the filter would
    rows = sorted(
        ([c.value for c in row] for row in sheet.iter_rows(min_row=2)),
        key=lambda values: str(values[COL["order-id"] - 1] or ""),
    )
    for n, values in enumerate(rows, start=2):
        for col, value in enumerate(values, start=1):
            sheet.cell(n, col).value = value
    book.save(path)
    saved = tmp_path / "saved"
    profile = tmp_path / "profile"
    proc = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(saved),
            str(path),
        ],
        capture_output=True,
        timeout=240,
    )
    resaved = saved / "review.xlsx"
    assert resaved.exists(), proc.stdout.decode() + proc.stderr.decode()
    assert resaved.read_bytes() != path.read_bytes()
    run, document, out = generate(tmp_path, resaved)
    assert run.exit_code == 0, run.output
    assert sorted(order_ids(out)) == sorted(expected)
    assert document["review_refused"] == []
    assert not any(
        f["code"] == "review_value_changed" for r in document["records"] for f in r["flags"]
    )


def test_a_real_process_refuses_tampering_too(tmp_path):
    path = make_review(tmp_path, CLEAN)
    book, sheet = sheet_of(path)
    sheet.append(["yes", "accepted", "", "", "114-1111111-2222222"])
    book.save(path)
    run = run_cli(
        "generate",
        "--from-review",
        path,
        "--out-dir",
        tmp_path / "out",
        "--no-ledger",
        "--json",
        "-",
        cwd=tmp_path,
    )
    assert run.exit_code == 0, run.output
    assert [e["code"] for e in json.loads(run.stdout)["review_refused"]] == ["review_token_missing"]
