"""The one encoding sniffer (cancelkit/read/text.py) of inputs, stdin, order reports and
processing reports: UTF-8 (BOM or not), UTF-16, Shift_JIS/cp932, EUC-JP, Windows-1252,
ISO-8859-1; and Japanese text round-trips into the report, the review and the rejects."""

from __future__ import annotations

import csv

import openpyxl
import pytest
from conftest import FIXTURES, invoke

import cancelkit
from cancelkit.enrich import orders_report
from cancelkit.errors import InputError
from cancelkit.read import processing_report, text

JAPANESE = "陶器のマグカップ 350ml 青、在庫切れのためキャンセル"
GERMAN = "Müller Straße, Größe XL – Überweisung"
FRENCH = "Théière en fonte émaillée, œuvre « élégante »"


@pytest.mark.parametrize(
    "data, codec",
    [
        (JAPANESE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + JAPANESE.encode("utf-8"), "utf-8-sig"),
        ("\ufeff".encode("utf-16-le") + JAPANESE.encode("utf-16-le"), "utf-16"),
        (JAPANESE.encode("cp932"), "cp932"),
        (("order-id,note\n" + JAPANESE).encode("cp932"), "cp932"),
        (JAPANESE.encode("euc_jp"), "euc_jp"),
        (GERMAN.encode("cp1252"), "cp1252"),
        (FRENCH.encode("cp1252"), "cp1252"),
        # 0x81 is undefined in Windows-1252: the text is ISO-8859-1
        ("caf\xe9 \x81 au lait, cr\xe8me".encode("latin-1"), "latin-1"),
        (b"plain ascii, later bytes may differ", "utf-8"),
    ],
)
def test_sniff(data, codec):
    assert text.sniff(data, "x").codec == codec


def test_plain_ascii_head_reads_later_bytes_as_windows_1252():
    assert text.sniff(b"order-id\n", "x").errors == text.CP1252_FALLBACK


def test_latin_text_is_never_taken_for_japanese():
    for sample in ("résumé café naïve", "Größe: über 5 €", "Ação São João"):
        assert text.sniff(sample.encode("cp1252"), "x").codec == "cp1252", sample


def test_binary_is_refused():
    with pytest.raises(InputError, match="binary data"):
        text.sniff(b"\x00\x01\x02\x03\x00\x00\x07", "x")


def test_whole_file_check_finds_a_late_code_page(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(b"order-id\tsku\n" * 20000 + "111-0000001-0000001\t煎茶\n".encode("cp932"))
    assert text.sniff_file(path, "x", "a report").codec == "cp932"


def test_decode_of_a_processing_report_in_cp932(tmp_path):
    body = (
        "original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message\n"
        "2\t\t\t18004\tエラー\t注文のステータスによりキャンセルできません\n"
    )
    path = tmp_path / "report.txt"
    path.write_bytes(body.encode("cp932"))
    (row,) = processing_report.parse_processing_report(path).rows
    assert (row.type, row.message) == ("Error", "注文のステータスによりキャンセルできません")


def test_cp932_order_report_matches_japanese_skus():
    report = orders_report.load(FIXTURES / "orders-report-jp.txt")
    assert report.resolve_item("249-1183047-2290561", "マグカップ-青-350ml") == (
        "61230498571201",
        None,
    )
    assert report.get("249-5520917-8834102").buyer_requested_reason == "注文の間違い"


@pytest.mark.parametrize("codec", ["cp932", "euc_jp", "utf-8", "utf-8-sig", "utf-16"])
def test_japanese_input_in_every_encoding(tmp_path, codec):
    path = tmp_path / "batch.csv"
    path.write_bytes(
        "order-id,reason,order-item-id,sku,note\n"
        f"249-1183047-2290561,NoInventory,61230498571201,マグカップ-青-350ml,{JAPANESE}\n".encode(
            codec
        )
    )
    (record,) = cancelkit.check(path, no_ledger=True).records
    assert (record["sku"], record["note"]) == ("マグカップ-青-350ml", JAPANESE)


def test_stdin_uses_the_same_sniffer(tmp_path):
    data = (
        "order-id,reason,order-item-id,note\n"
        f"249-1183047-2290561,NoInventory,61230498571201,{JAPANESE}\n".encode("cp932")
    )
    run = invoke("generate", "-", "--no-ledger", "--json", "-", "--out-dir", tmp_path, input=data)
    assert run.exit_code == 0, run.output
    assert JAPANESE in run.stdout


def test_japanese_round_trips_into_report_review_and_rejects(tmp_path):
    batch = FIXTURES / "jp-batch.csv"
    report = FIXTURES / "orders-report-jp.txt"
    out = tmp_path / "out"
    run = invoke(
        "generate", batch, "--orders-report", report, "--marketplace", "JP", "--no-ledger",
        "--out-dir", out,
        "--report", out / "report.html", "--rejects", out / "rejects.csv",
    )  # fmt: skip
    assert run.exit_code == 1, run.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "注文番号の誤り" in html and "煎茶-100g" in html
    with open(out / "rejects.csv", encoding="utf-8-sig", newline="") as stream:
        (reject,) = list(csv.DictReader(stream))
    assert (reject["sku"], reject["note"]) == ("煎茶-100g", "注文番号の誤り")
    review = tmp_path / "review.xlsx"
    run = invoke(
        "review", batch, "--orders-report", report, "--marketplace", "JP", "--no-ledger",
        "-o", review,
    )  # fmt: skip
    assert run.exit_code in (0, 1), run.output
    workbook = openpyxl.load_workbook(review, read_only=True)
    try:  # a read-only workbook holds its file open until closed
        cells = {
            value
            for sheet in workbook
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if isinstance(value, str)
        }
    finally:
        workbook.close()
    assert {"在庫切れのためキャンセル", "マグカップ-青-350ml", "注文番号の誤り"} <= cells
