"""Personal data never leaves: the buyer columns of Amazon's reports (amazon/personal_data.py)
are dropped when an input is read, by every reader, so no output can hold them."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest
from conftest import invoke

import cancelkit
from cancelkit.amazon.personal_data import PERSONAL_DATA_COLUMNS
from cancelkit.enrich.order_facts import ITEM_FIELDS, ORDER_FIELDS
from cancelkit.pipeline import parallel
from cancelkit.read import headers

BUYER = {
    "buyer-email": "jane.doe@marketplace.amazon.com",
    "buyer-name": "Jane Doe",
    "buyer-phone-number": "+1 206-555-0142",
    "recipient-name": "Jane Q. Doe",
    "ship-address-1": "1200 Pine Street",
    "ship-address-2": "Apt 4B",
    "ship-city": "Seattle",
    "ship-state": "Washington State",
    "ship-postal-code": "98101",
    "cpf": "123.456.789-09",
    "gift-message-text": "Happy birthday Jane",
}
SECRETS = list(BUYER.values())


def unshipped_export(path, rows: int = 3) -> None:
    """An Unshipped Orders export used directly as the input, with a reason column added;
    the second row has a bad order id (rejected), so it lands in the rejects file."""
    header = ["order-id", "order-item-id", *BUYER, "sku", "ship-country", "reason"]
    lines = ["\t".join(header)]
    ids = ["113-4728391-2038475", "11-bad", "112-3348201-5569047"]
    for n in range(rows):
        lines.append(
            "\t".join(
                [ids[n % 3], f"6284517392{n:04d}", *BUYER.values(), f"SKU-{n}", "US", "NoInventory"]
            )
        )
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def everything_written(folder) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file()
    )


def test_buyer_columns_never_reach_any_output(tmp_path):
    source = tmp_path / "unshipped.txt"
    unshipped_export(source)
    out = tmp_path / "out"
    run = invoke(
        "generate",
        source,
        "--out-dir",
        out,
        "--json",
        out / "report.json",
        "--report",
        out / "report.md",
        "--no-ledger",
    )
    assert run.exit_code == 1, run.output
    review = invoke("review", source, "-o", out / "review.xlsx", "--no-ledger")
    assert review.exit_code == 1, review.output
    written = everything_written(out)
    for value in SECRETS:
        assert value not in written, value
    book = openpyxl.load_workbook(out / "review.xlsx")
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value]
    assert not any(value in cell for value in SECRETS for cell in cells)
    rejects = next(out.glob("*-rejects.csv"))
    with open(rejects, encoding="utf-8-sig", newline="") as stream:
        (row,) = list(csv.DictReader(stream))
    assert row["order-id"] == "11-bad"
    assert row["sku"] == "SKU-1" and row["ship-country"] == "US"  # other columns stay
    assert not set(BUYER) & set(row)
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert document["summary"]["personal_columns_dropped"] == list(BUYER)
    assert document["inputs"][0]["personal_columns_dropped"] == list(BUYER)
    assert "personal data columns dropped (never copied into any output): buyer-email" in (
        run.stderr
    )
    assert "Personal data columns dropped" in (out / "report.md").read_text(encoding="utf-8")
    for value in SECRETS:
        assert value not in run.output


@pytest.mark.parametrize("spelling", ["Buyer Email", "BUYER_EMAIL", "buyer-email", "E-Mail"])
def test_spellings_fold_like_every_header(spelling):
    assert headers.is_personal(spelling)


def test_rows_and_workbooks_drop_them_too(tmp_path):
    rows = [
        {"order-id": "11-bad", "buyer-name": "Jane Doe", "cancellation-reason-code": ""},
        {"order-id": "113-4728391-2038475", "buyer-name": "Jane Doe"},
    ]
    with cancelkit.check(rows=rows, no_ledger=True) as result:
        assert result.summary["personal_columns_dropped"] == ["buyer-name"]
        assert "Jane Doe" not in json.dumps(result.json_document())
        assert "Jane Doe" not in json.dumps(result.report_context(), default=str)
        result.write_rejects(tmp_path / "rejects.csv")
    assert "Jane Doe" not in (tmp_path / "rejects.csv").read_text(encoding="utf-8-sig")
    workbook = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["order-id", "recipient-name", "note"])
    book.active.append(["11-bad", "Jane Doe", "call her"])
    book.save(workbook)
    with cancelkit.check(str(workbook), no_ledger=True) as result:
        assert result.summary["personal_columns_dropped"] == ["recipient-name"]
        assert result.rejected_listed[0]["values"] == {"order-id": "11-bad", "note": "call her"}


def test_the_parallel_reader_drops_them_like_one_pass(tmp_path, monkeypatch):
    source = tmp_path / "big.txt"
    unshipped_export(source, rows=3000)
    results = []
    for min_bytes in (1 << 60, 0):
        monkeypatch.setattr(parallel, "MIN_BYTES", min_bytes)
        with cancelkit.check(str(source), keep_records=False, no_ledger=True) as result:
            result.write_rejects(tmp_path / f"rejects-{min_bytes}.csv", force=True)
            text = (tmp_path / f"rejects-{min_bytes}.csv").read_text(encoding="utf-8-sig")
            results.append((result.summary, text))
    assert results[0] == results[1]
    assert results[0][0]["rejected"] == 1000
    assert not any(value in results[0][1] for value in SECRETS)


def test_the_order_report_joiner_reads_none_of_them():
    read = {
        headers.fold(alias)
        for f in (*ORDER_FIELDS, *ITEM_FIELDS)
        for alias in headers.ALIASES.get(f, (f,))
    }
    assert not read & {headers.fold(name) for name in PERSONAL_DATA_COLUMNS}
