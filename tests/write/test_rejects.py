"""The rejects file: UTF-8 with BOM, original columns and values, cancelkit-* columns, the
OWASP guard on formula-like values, and feeding a fixed rejects file back in."""

from __future__ import annotations

import csv

import pytest
from conftest import CLEAN, MESSY, NUMERIC, expected_table

import cancelkit

EXTRA = ["cancelkit-source", "cancelkit-row", "cancelkit-error-codes", "cancelkit-errors"]
ORDER = "113-4728391-2038475"


def _read(path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    header = rows[0]
    return header, [dict(zip(header, row)) for row in rows[1:]]


def test_messy_batch_rejects_file(tmp_path):
    with cancelkit.check(MESSY) as result:
        path = result.write_rejects(tmp_path / "rejects.csv")
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfOrder ID,Reason,Order Item ID,SKU,Note,cancelkit-source,")
    assert b"\r\n" in data
    header, rows = _read(path)
    assert header == ["Order ID", "Reason", "Order Item ID", "SKU", "Note", *EXTRA]
    expected = {
        int(r["row"]): r["code(s)"]
        for r in expected_table("messy-batch.csv")
        if r["outcome"] == "rejected"
    }
    assert [int(r["cancelkit-row"]) for r in rows] == sorted(expected)
    assert {r["cancelkit-source"] for r in rows} == {str(MESSY)}
    by_row = {int(r["cancelkit-row"]): r for r in rows}
    for number, codes in expected.items():
        first = codes.split("`")[1]
        assert by_row[number]["cancelkit-error-codes"].split(" ")[0] == first
    # original values, as written (not trimmed, not normalised)
    assert by_row[4] == {
        "Order ID": "114-2093847-5610293",
        "Reason": "NoInventory",
        "Order Item ID": "6.28452E+13",
        "SKU": "MUG-BLUE-12OZ",
        "Note": "from stock sheet",
        "cancelkit-source": str(MESSY),
        "cancelkit-row": "4",
        "cancelkit-error-codes": "item_code_scientific",
        "cancelkit-errors": "Order Item ID: '6.28452E+13' is an item code in Excel's scientific "
        "notation: its digits were lost. Format the column as Text in Excel and paste the "
        "item codes again",
    }
    assert by_row[18]["Order ID"] == "113-4728391-203847\u0665"
    assert by_row[14]["Order Item ID"] == "" and by_row[14]["Note"] == "both mugs"
    assert by_row[23]["Reason"] == "" and by_row[23]["Note"] == "cancel whole order"
    assert by_row[13]["cancelkit-errors"].startswith(
        "Reason: 'lost in warehouse' is not a cancellation reason; use one of: NoInventory,"
    )
    assert by_row[21]["cancelkit-errors"].startswith(
        "Order ID: the same order item has different reasons"
    )


def test_several_problems_of_one_row(tmp_path):
    rows = [("order-id", "reason", "order-item-id"), ("", "lost", "6.28452E+13")]
    with cancelkit.check(rows=rows) as result:
        path = result.write_rejects(tmp_path / "rejects.csv")
    _, (row,) = _read(path)
    assert row["cancelkit-error-codes"] == "order_id_missing item_code_scientific reason_unknown"
    errors = row["cancelkit-errors"].split("; ")
    assert errors[0] == "order-id: the order id is empty"
    assert errors[1].startswith("order-item-id: '6.28452E+13' is an item code in Excel")
    assert any(e.startswith("reason: 'lost' is not a cancellation reason") for e in errors)


def test_xlsx_rejects_keep_the_sheet_values(tmp_path):
    with cancelkit.check(NUMERIC) as result:
        path = result.write_rejects(tmp_path / "rejects.csv")
    _, rows = _read(path)
    assert rows == [
        {
            "order-id": "114-2093847-5610293",
            "cancellation-reason-code": "NoInventory",
            "amazon-order-item-code": "6.28452E+13",
            "sku": "MUG-BLUE-12OZ",
            "cancelkit-source": str(NUMERIC),
            "cancelkit-row": "9",
            "cancelkit-error-codes": "item_code_scientific",
            "cancelkit-errors": rows[0]["cancelkit-errors"],
        }
    ]


def test_no_rejected_rows_gives_a_header_only_file(tmp_path):
    with cancelkit.check(CLEAN) as result:
        path = result.write_rejects(tmp_path / "rejects.csv")
    header, rows = _read(path)
    assert rows == []
    assert header[-4:] == EXTRA
    assert path.read_bytes().startswith(b"\xef\xbb\xbforder-id,")


def test_columns_of_two_inputs_are_merged(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text("order-id,reason,order-item-id,sku\n,NoInventory,62845173920562,MUG\n")
    second = tmp_path / "b.csv"
    second.write_text("Order ID;Note\nnot-an-id;call buyer\n")
    with cancelkit.check([first, second]) as result:
        path = result.write_rejects(tmp_path / "rejects.csv")
    header, rows = _read(path)
    assert header == ["order-id", "reason", "order-item-id", "sku", "Order ID", "Note", *EXTRA]
    assert [
        (r["order-id"], r["sku"], r["Order ID"], r["Note"], r["cancelkit-source"]) for r in rows
    ] == [
        ("", "MUG", "", "", str(first)),
        ("", "", "not-an-id", "call buyer", str(second)),
    ]


# -- OWASP guard -------------------------------------------------------------------------------

FORMULA_LIKE = {
    "equals": '=HYPERLINK("http://x","click")',
    "plus": "+1-555-0100",
    "minus": "-5 units",
    "at": "@SUM(A1:A3)",
    "tab": "\tindented",
    "cr": "\rcarriage",
}


@pytest.fixture
def guarded_rejects(tmp_path):
    rows = [("order-id", "reason", "order-item-id", "sku", "note")]
    for name, value in FORMULA_LIKE.items():
        # rejected: bogus reason; the formula-like text sits in the note and sku
        rows.append((ORDER, "bogus", "62845173920562", f"SKU-{name}", value))
    rows.append(("=1+1", "NoInventory", "62845173920562", "-SKU", "plain note"))
    with cancelkit.check(rows=rows) as result:
        path = result.write_rejects(tmp_path / "rejects.csv")
    return path


def test_formula_like_values_are_guarded(guarded_rejects):
    _, rows = _read(guarded_rejects)
    notes = [r["note"] for r in rows[: len(FORMULA_LIKE)]]
    assert notes == ["'" + value for value in FORMULA_LIKE.values()]
    last = rows[-1]
    assert (last["order-id"], last["sku"], last["note"]) == ("'=1+1", "'-SKU", "plain note")
    assert last["cancelkit-errors"] == (
        "order-id: '=1+1' is not an Amazon order id; expected 3-7-7 digits like 113-4728391-2038475"
    )
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), value


def test_fixed_rejects_file_fed_back_in_loses_the_guard(guarded_rejects, tmp_path):
    header, rows = _read(guarded_rejects)
    for number, row in enumerate(rows):  # the person fixes the reason and the order id
        row["reason"] = "NoInventory"
        row["order-id"] = ORDER
        row["order-item-id"] = f"628451739205{number:02d}"
    fixed = tmp_path / "fixed.csv"
    with open(fixed, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([[row[name] for name in header] for row in rows])
    with cancelkit.check(fixed) as result:
        records = result.records
    assert [r["status"] for r in records] == ["accepted"] * len(rows)
    notes = [r["note"] for r in records]
    assert notes[: len(FORMULA_LIKE)] == list(FORMULA_LIKE.values())
    assert records[-1]["sku"] == "-SKU"
    assert [r["row"] for r in records] == list(range(2, 2 + len(rows)))


def test_guarded_order_id_is_unguarded_before_validation(tmp_path):
    path = tmp_path / "guarded.csv"
    path.write_text(
        "order-id,reason,order-item-id\r\n'-113-4728391-2038475,NoInventory,62845173920562\r\n"
    )
    with cancelkit.check(path) as result:
        (record,) = result.records
    assert record["errors"][0]["code"] == "order_id_format"
    assert record["errors"][0]["value"] == "-113-4728391-2038475"


def test_cells_beyond_the_header_are_not_lost(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text(
        "order-id,reason,order-item-id,note\n"
        "113-4728391-2038475,bogus,62845173920562,oversold, 3 short\n"
    )
    with cancelkit.check(path) as result:
        rejects = result.write_rejects(tmp_path / "rejects.csv")
    assert " 3 short" in rejects.read_text(encoding="utf-8-sig")


def test_second_round_rejects_file_has_each_cancelkit_column_once(tmp_path):
    with cancelkit.check(MESSY) as first:
        round_one = first.write_rejects(tmp_path / "round1.csv")
    with cancelkit.check(round_one) as second:
        assert second.summary["rejected"] == second.summary["input_rows"]
        round_two = second.write_rejects(tmp_path / "round2.csv")
    header, rows = _read(round_two)
    assert header == ["Order ID", "Reason", "Order Item ID", "SKU", "Note", *EXTRA]
    assert rows[0]["cancelkit-source"] == str(round_one)
