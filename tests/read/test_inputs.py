"""Readers: CSV/TSV (separators, encodings, line endings, stdin), xlsx, in-memory rows,
loose header names, row numbers a person sees, blank rows."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, MESSY, NUMERIC

import cancelkit
from cancelkit.amazon import flatfile
from cancelkit.errors import InputError
from cancelkit.read.csv_text import read_text
from cancelkit.read.inputs import open_input, remove_spool
from cancelkit.read.table import Table, cell_text, unguard

HEADER = ["order-id", "cancellation-reason-code", "amazon-order-item-code", "note"]
ROWS = [
    ["113-4728391-2038475", "NoInventory", "62845173920562", "oversold"],
    ["114-2093847-5610293", "BuyerCanceled", "62845173920571", "asked on Amazon"],
    ["112-3348201-5569047", "", "", "whole order"],
]
EXPECTED = [
    (2, "113-4728391-2038475", "NoInventory", "62845173920562"),
    (3, "114-2093847-5610293", "BuyerCanceled", "62845173920571"),
    (4, "112-3348201-5569047", None, None),
]


def _text(delimiter: str, newline: str = "\n") -> str:
    return "".join(delimiter.join(cells) + newline for cells in [HEADER, *ROWS])


def _outcome(path_or_rows, **options) -> list[tuple]:
    if isinstance(path_or_rows, (str, Path)):
        result = cancelkit.check(path_or_rows, **options)
    else:
        result = cancelkit.check(rows=path_or_rows, **options)
    with result:
        return [
            (r["row"], r["order_id"], r["reason"], r["amazon_order_item_code"])
            for r in result.records
        ]


def _table_rows(table: Table) -> list[tuple[int, list[str]]]:
    try:
        return list(table.rows)
    finally:
        table.close()


# -- CSV / TSV ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "suffix"),
    [(",", ".csv"), (";", ".csv"), ("\t", ".tsv"), ("\t", ".txt"), ("\t", ".csv")],
    ids=["comma", "semicolon", "tab-tsv", "tab-txt", "tab-named-csv"],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_separator_is_sniffed(tmp_path, delimiter, suffix, newline):
    path = tmp_path / f"batch{suffix}"
    path.write_bytes(_text(delimiter, newline).encode())
    assert _outcome(path) == EXPECTED
    table = open_input(str(path))
    assert table.headers == HEADER
    rows = _table_rows(table)
    assert rows[0] == (2, ROWS[0])  # no stray \r in any cell


def test_comma_inside_a_quoted_semicolon_cell_does_not_change_the_separator(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text(
        "order-id;cancellation-reason-code;amazon-order-item-code;note\r\n"
        '113-4728391-2038475;NoInventory;62845173920562;"oversold, 3 short"\r\n',
        encoding="utf-8",
    )
    table = open_input(str(path))
    assert _table_rows(table) == [
        (2, ["113-4728391-2038475", "NoInventory", "62845173920562", "oversold, 3 short"])
    ]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("cp1252", b""),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "windows-1252"],
)
def test_encodings(tmp_path, encoding, bom):
    rows = [[*cells[:3], "café crème – 5 €"] for cells in ROWS]
    text = "\t".join(HEADER) + "\r\n" + "".join("\t".join(r) + "\r\n" for r in rows)
    path = tmp_path / "batch.txt"
    path.write_bytes(bom + text.encode(encoding))
    with cancelkit.check(path) as result:
        records = result.records
    assert [
        (r["row"], r["order_id"], r["reason"], r["amazon_order_item_code"]) for r in records
    ] == (EXPECTED)
    assert {r["note"] for r in records} == {"café crème – 5 €"}
    table = open_input(str(path))
    table.close()
    assert table.headers[0] == "order-id"  # no BOM left on the first header


def test_windows_1252_accent_beyond_the_sniffed_sample(tmp_path):
    """A Windows-1252 export whose first accented character comes after 64 KiB of ASCII."""
    lines = [",".join(HEADER)]
    lines += [f"113-4728391-{n:07d},NoInventory,6284517392{n:04d},ok" for n in range(2000)]
    body = ("\r\n".join(lines) + "\r\n").encode("ascii")
    assert len(body) > 1 << 16
    path = tmp_path / "long.csv"
    path.write_bytes(
        body + "114-2093847-5610293,NoInventory,62845173920571,Müller €\r\n".encode("cp1252")
    )
    with cancelkit.check(path) as result:
        assert result.summary["input_rows"] == 2001
        last = result.records[-1]
    assert (last["row"], last["note"], last["status"]) == (2002, "Müller €", "accepted")


def test_utf8_bom_header_matches_loosely():
    table = open_input(str(MESSY))
    table.close()
    assert table.headers == ["Order ID", "Reason", "Order Item ID", "SKU", "Note"]
    assert table.fields == {
        "order_id": 0,
        "reason": 1,
        "amazon_order_item_code": 2,
        "sku": 3,
        "note": 4,
    }


def test_messy_cells_and_row_numbers():
    table = open_input(str(MESSY))
    rows = dict(_table_rows(table))
    assert rows[2] == [
        "  111-5820394-7716203 ",
        " NoInventory ",
        " 52019384756302",
        "MUG-BLUE-12OZ  ",
        "",
    ]
    assert rows[10] == ["", "", "", "", ""]  # the blank line keeps its number
    assert rows[25][4] == '=HYPERLINK("http://x","click")'
    assert sorted(rows) == list(range(2, 26))


def test_blank_rows_are_skipped_and_not_counted(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(
        "\n"  # a blank line above the header
        "order-id,cancellation-reason-code,amazon-order-item-code\n"
        "113-4728391-2038475,NoInventory,62845173920562\n"
        "\n"
        ",,\n"
        "114-2093847-5610293,NoInventory,62845173920571\n"
        "\n",
        encoding="utf-8",
    )
    with cancelkit.check(path) as result:
        assert result.summary["input_rows"] == 2
        assert [r["row"] for r in result.records] == [3, 6]


def test_rows_of_spaces_are_blank(tmp_path):
    path = tmp_path / "spaces.csv"
    path.write_text(
        "order-id,cancellation-reason-code,amazon-order-item-code\n"
        "113-4728391-2038475,NoInventory,62845173920562\n"
        " , ,\n"
        "\u00a0,\u00a0 ,\n"
        "114-2093847-5610293,NoInventory,62845173920571\n",
        encoding="utf-8",
    )
    with cancelkit.check(path) as result:
        assert result.summary["input_rows"] == 2
        assert [r["row"] for r in result.records] == [2, 5]


def test_amazon_template_row_above_the_header_is_skipped(tmp_path):
    """Our own flat file (or Amazon's template saved as text) can be read as an input."""
    path = tmp_path / "upload.txt"
    path.write_bytes(
        flatfile.HEADER_LINES.encode("ascii")
        + b"113-4728391-2038475\tNoInventory\t62845173920562\r\n"
        + b"112-3348201-5569047\t\t\r\n"
    )
    assert _outcome(path) == [
        (3, "113-4728391-2038475", "NoInventory", "62845173920562"),
        (4, "112-3348201-5569047", None, None),
    ]


def test_stdin_is_read_with_dash():
    data = _text(";", "\r\n").encode("utf-8-sig")
    table = read_text("-", stdin=io.BytesIO(data))
    try:
        assert table.source == "<stdin>"
        assert table.headers == HEADER
        assert list(table.rows) == [(n, cells) for n, cells in zip(range(2, 5), ROWS)]
    finally:
        table.close()
        remove_spool(table)


def test_rows_are_streamed_not_listed():
    table = open_input(str(CLEAN))
    try:
        assert iter(table.rows) is table.rows
        assert next(table.rows)[0] == 2
    finally:
        table.close()


# -- header names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order_header",
    ["order-id", "order_id", "Order ID", "amazon-order-id", "ORDER-ID", " Order Id "],
)
@pytest.mark.parametrize(
    "reason_header", ["cancellation-reason-code", "reason", "Reason", "Cancellation Reason Code"]
)
@pytest.mark.parametrize(
    "item_header",
    ["amazon-order-item-code", "order-item-id", "Order Item ID", "amazon_order_item_code"],
)
def test_headers_are_matched_loosely(order_header, reason_header, item_header):
    rows = [
        (item_header, "SKU", reason_header, order_header),
        ("62845173920562", "MUG-BLUE-12OZ", "NoInventory", "113-4728391-2038475"),
    ]
    with cancelkit.check(rows=rows) as result:
        (record,) = result.records
    assert (record["order_id"], record["reason"], record["amazon_order_item_code"]) == (
        "113-4728391-2038475",
        "NoInventory",
        "62845173920562",
    )
    assert record["sku"] == "MUG-BLUE-12OZ"


def test_missing_order_id_column_names_the_columns_found(tmp_path):
    path = tmp_path / "nocol.csv"
    path.write_text("sku;reason;item\nMUG;NoInventory;62845173920562\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        open_input(str(path))
    assert str(caught.value) == (
        f"{path}: no order-id column in the header row; columns found: 'sku', 'reason', 'item'; "
        "row 1 (the first non-blank row) must be the header, or one of the first 10 non-blank "
        "rows when a title stands above it"
    )
    assert caught.value.code == "no_order_id_column"


def test_two_columns_for_one_field_is_unusable():
    with pytest.raises(
        InputError, match="columns 'order-id' and 'Order ID' both give the order-id"
    ):
        cancelkit.check(rows=[("order-id", "Order ID"), ("113-4728391-2038475", "x")])


def test_unknown_columns_are_kept_with_the_record():
    rows = [
        {
            "order-id": "113-4728391-2038475",
            "cancellation-reason-code": "NoInventory",
            "amazon-order-item-code": "62845173920562",
            "sku": "MUG-BLUE-12OZ",
            "note": "3 short",
            "warehouse": "B2",
        }
    ]
    with cancelkit.check(rows=rows) as result:
        (record,) = result.records
    assert (record["sku"], record["note"]) == ("MUG-BLUE-12OZ", "3 short")


# -- xlsx -----------------------------------------------------------------------------------


def test_xlsx_numeric_item_cells_become_exact_digits():
    table = open_input(str(NUMERIC))
    rows = dict(_table_rows(table))
    assert table.headers == [
        "order-id",
        "cancellation-reason-code",
        "amazon-order-item-code",
        "sku",
    ]
    assert rows[2][2] == "62845173920562"  # number cell, format General
    assert rows[3][2] == "21098374650198"  # number cell, format 0
    assert rows[5][2] == "31947205836188"  # text cell
    assert rows[9][2] == "6.28452E+13"  # text cell in scientific notation stays as written
    assert rows[10][2] == "36602918475523"  # text cell
    assert 6 not in rows or not any(rows[6])


def test_xlsx_named_sheet_and_unknown_sheet():
    table = open_input(str(NUMERIC), sheet="Other")
    assert table.headers == ["order-id", "reason"]
    assert _table_rows(table) == [(2, ["114-9012736-3385120", "BuyerCanceled"])]
    with pytest.raises(InputError) as caught:
        open_input(str(NUMERIC), sheet="Nope")
    assert str(caught.value) == f"{NUMERIC}: no sheet named 'Nope'; sheets: Cancellations, Other"


def test_xlsx_float_and_text_cells(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Order ID", "Reason", "Order Item ID"])
    sheet.append(["113-4728391-2038475", "NoInventory", 62845173920562.0])
    sheet.append(["114-2093847-5610293", "NoInventory", "62845173920571"])
    sheet.append([])
    sheet.append(["111-8837261-4402918", "NoInventory", 62845173920562.5])
    path = tmp_path / "floats.xlsx"
    workbook.save(path)
    with cancelkit.check(path) as result:
        records = result.records
    assert [(r["row"], r["amazon_order_item_code"], r["status"]) for r in records] == [
        (2, "62845173920562", "accepted"),
        (3, "62845173920571", "accepted"),
        (5, "62845173920562.5", "rejected"),
    ]
    assert [e["code"] for e in records[2]["errors"]] == ["item_code_format"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("  kept as typed ", "  kept as typed "),
        (62845173920562, "62845173920562"),
        (62845173920562.0, "62845173920562"),
        (float("nan"), ""),
        (True, "TRUE"),
        (1.5, "1.5"),
        (dt.date(2026, 11, 24), "2026-11-24"),
        (dt.datetime(2026, 11, 24, 8, 30), "2026-11-24T08:30:00"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


# -- in-memory rows ------------------------------------------------------------------------


def test_rows_of_mappings_number_like_the_csv_they_came_from():
    """A csv.DictReader's first record is row 2 of its file; the rows API keeps that."""
    reader = csv.DictReader(io.StringIO(_text(",")))
    assert _outcome(reader) == EXPECTED


def test_rows_of_sequences_with_header_first():
    rows = [tuple(HEADER), *[tuple(r) for r in ROWS[:2]], (None, None, None, None), tuple(ROWS[2])]
    assert _outcome(rows) == [*EXPECTED[:2], (5, *EXPECTED[2][1:])]


def test_openpyxl_values_only_rows():
    workbook = openpyxl.load_workbook(NUMERIC, read_only=True)
    rows = list(workbook["Cancellations"].iter_rows(values_only=True))
    workbook.close()
    from_rows = _outcome(rows)
    assert from_rows == _outcome(NUMERIC)
    assert from_rows[0] == (2, "113-4728391-2038475", "NoInventory", "62845173920562")


def test_rows_source_name_and_numbering_in_errors():
    rows = [{"order-id": "113-4728391-2038475", "reason": "bogus", "order-item-id": 62845173920562}]
    with cancelkit.check(rows=rows) as result:
        (record,) = result.records
    assert (record["source"], record["row"], record["status"]) == ("<rows>", 2, "rejected")
    assert record["errors"][0]["column"] == "reason"


def test_no_rows_is_unusable():
    with pytest.raises(InputError, match="no rows given"):
        cancelkit.check(rows=[])
    with pytest.raises(InputError, match="no input given"):
        cancelkit.check()


# -- the OWASP guard is stripped on the way in ---------------------------------------------


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'+1", "+1"),
        ("'-2", "-2"),
        ("'@x", "@x"),
        ("'\tx", "\tx"),
        ("'\rx", "\rx"),
        ("'plain", "'plain"),
        ("'", "'"),
        ("", ""),
        ("don't", "don't"),
    ],
)
def test_unguard(cell, value):
    assert unguard(cell) == value
