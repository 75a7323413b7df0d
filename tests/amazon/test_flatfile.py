"""Amazon's Order Cancellation flat file: exact bytes (template row, header, CRLF, ASCII),
data rows in input order, and the round trip write -> flatfile.parse."""

from __future__ import annotations

import codecs

import pytest
from conftest import (
    CLEAN,
    FIXTURES,
    HEADER_ROW,
    MESSY,
    NUMERIC,
    TEMPLATE_ROW,
    expected_table,
    invoke,
    normalised,
)

import cancelkit
from cancelkit.amazon import flatfile
from cancelkit.errors import InputError, OutputError
from cancelkit.write.files import atomic_write


def test_format_constants():
    # docs/domain.md section 2: two spaces after "only."
    assert flatfile.TEMPLATE_NOTICE == "This row for Amazon.com use only.  Do not modify or delete."
    assert flatfile.HEADER_LINES.encode("ascii") == TEMPLATE_ROW + HEADER_ROW
    assert flatfile.COLUMNS == ("order-id", "cancellation-reason-code", "amazon-order-item-code")
    assert flatfile.FIRST_DATA_LINE == 3


def test_data_lines():
    assert flatfile.data_line("113-4728391-2038475", "NoInventory", "62845173920562") == (
        "113-4728391-2038475\tNoInventory\t62845173920562\r\n"
    )
    assert flatfile.data_line("112-3348201-5569047", None, None) == "112-3348201-5569047\t\t\r\n"


def test_header_lines_and_data_lines_make_the_file():
    rows = [
        ("113-4728391-2038475", "NoInventory", "62845173920562"),
        ("112-3348201-5569047", None, None),
    ]
    text = flatfile.HEADER_LINES + "".join(flatfile.data_line(*row) for row in rows)
    assert text == (
        flatfile.HEADER_LINES
        + "113-4728391-2038475\tNoInventory\t62845173920562\r\n"
        + "112-3348201-5569047\t\t\r\n"
    )


def test_clean_batch_flat_file_bytes(tmp_path):
    rows = expected_table("clean-batch.csv (for reference)")
    with cancelkit.check(CLEAN) as result:
        path = result.write_flat_file(tmp_path / "upload.txt")
    body = b"".join(
        f"{r['order-id']}\t{normalised(r['reason']) or ''}\t{r['item code']}\r\n".encode()
        for r in rows
    )
    assert path.read_bytes() == TEMPLATE_ROW + HEADER_ROW + body
    assert body.startswith(b"113-4728391-2038475\tNoInventory\t62845173920562\r\n")
    assert b"114-4471820-2265913\t\t\r\n" in body


@pytest.mark.parametrize("source", [CLEAN, MESSY, NUMERIC], ids=["clean", "messy", "xlsx"])
def test_flat_file_is_ascii_crlf_three_columns(tmp_path, source):
    with cancelkit.check(source) as result:
        path = result.write_flat_file(tmp_path / "upload.txt")
        accepted = result.summary["accepted"]
    data = path.read_bytes()
    assert data.isascii()
    assert data.startswith(TEMPLATE_ROW + HEADER_ROW)
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    assert len(lines) == 2 + accepted
    assert all(line.count(b"\t") == 2 for line in lines)
    assert b'"' not in data  # the format carries no quoting


@pytest.mark.parametrize("source", [CLEAN, MESSY, NUMERIC], ids=["clean", "messy", "xlsx"])
def test_round_trip_gives_the_same_records(tmp_path, source):
    with cancelkit.check(source) as result:
        accepted = [
            (r["order_id"], r["reason"], r["amazon_order_item_code"])
            for r in result.records
            if r["status"] == "accepted"
        ]
        path = result.write_flat_file(tmp_path / "upload.txt")
    parsed = list(flatfile.parse(path))
    assert [p.record_number for p in parsed] == list(range(1, len(accepted) + 1))
    assert [(p.order_id, p.reason, p.amazon_order_item_code) for p in parsed] == accepted
    # the flat file is itself a valid input giving the same records again
    with cancelkit.check(path) as again:
        assert again.summary["accepted"] == len(accepted)
        assert again.summary["rejected"] == again.summary["duplicates"] == 0
        assert [
            (r["order_id"], r["reason"], r["amazon_order_item_code"]) for r in again.records
        ] == accepted


def test_messy_batch_upload_is_the_accepted_rows_in_input_order(tmp_path):
    table = expected_table("messy-batch.csv")
    expected = [
        (
            row["normalised order-id"],
            normalised(row["reason"]),
            normalised(row["amazon-order-item-code"]),
        )
        for row in table
        if row["outcome"] == "accepted"
    ]
    with cancelkit.check(MESSY) as result:
        path = result.write_flat_file(tmp_path / "upload.txt")
    assert [(p.order_id, p.reason, p.amazon_order_item_code) for p in flatfile.parse(path)] == (
        expected
    )
    assert len(expected) == 11


def test_nothing_accepted_gives_the_two_header_rows(tmp_path):
    with cancelkit.check(
        rows=[("order-id", "reason"), ("113-4728391-2038475", "NoInventory")]
    ) as r:
        path = r.write_flat_file(tmp_path / "upload.txt")
    assert path.read_bytes() == TEMPLATE_ROW + HEADER_ROW
    assert list(flatfile.parse(path)) == []


def test_parse_legacy_version_with_merchant_order_id(tmp_path):
    path = tmp_path / "old.txt"
    path.write_bytes(
        b"TemplateType=OrderCancellation\tVersion=1.0/1.0.1\tThis row for Amazon.com use only.  "
        b"Do not modify or delete.\r\n"
        b"order-id\tmerchant-order-id\tcancellation-reason-code\tamazon-order-item-code\r\n"
        b"113-4728391-2038475\tMY-1001\tNoInventory\t62845173920562\r\n"
        b"112-3348201-5569047\t\t\t\r\n"
    )
    assert list(flatfile.parse(path)) == [
        flatfile.FlatFileRow(1, "113-4728391-2038475", "NoInventory", "62845173920562"),
        flatfile.FlatFileRow(2, "112-3348201-5569047", None, None),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"order-id\tcancellation-reason-code\tamazon-order-item-code\r\n\r\n", "template row"),
        (TEMPLATE_ROW + b"order-id\treason\titem\r\n", "unexpected template version or header"),
        (TEMPLATE_ROW.replace(b"1.0.3", b"9.9.9") + HEADER_ROW, "unexpected template version"),
        (b"TemplateType=OrderCancellation", "too short"),
        (
            TEMPLATE_ROW + HEADER_ROW + "113-4728391-2038475\tNoInventory\t\u0665\r\n".encode(),
            r"line 3: the non-ASCII character '\u0665' \(U\+0665\)",
        ),
        (
            TEMPLATE_ROW + HEADER_ROW + b"113-4728391-2038475\tNoInventory\t\xe9\r\n",
            "line 3: byte 0xE9 is not text",
        ),
    ],
    ids=[
        "no-template-row",
        "wrong-header",
        "unknown-version",
        "too-short",
        "not-ascii",
        "not-utf8",
    ],  # fmt: skip
)
def test_parse_refuses_other_files(tmp_path, content, message):
    path = tmp_path / "other.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(flatfile.parse(path))


def test_parse_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read the flat file"):
        list(flatfile.parse(tmp_path / "nope.txt"))


def test_write_flat_file_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "upload.txt"
    target.write_text("keep me")
    with cancelkit.check(CLEAN) as result:
        with pytest.raises(cancelkit.OutputError, match="already exists; use --force"):
            result.write_flat_file(target)
        assert target.read_text() == "keep me"
        result.write_flat_file(target, force=True)
    assert target.read_bytes().startswith(TEMPLATE_ROW)
    assert [p.name for p in tmp_path.iterdir()] == ["upload.txt"]  # no temporary file left


def test_a_failed_write_leaves_no_partial_file(tmp_path):
    def fail_half_way(stream):
        stream.write(flatfile.HEADER_LINES)
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="upload.txt: cannot write .No space left on device.$"):
        atomic_write(tmp_path / "upload.txt", fail_half_way)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "upload.txt").write_text("yesterday's upload")
    with pytest.raises(OutputError) as caught:
        atomic_write(tmp_path / "upload.txt", fail_half_way, force=True)
    assert caught.value.code == "write_failed"
    assert [p.name for p in tmp_path.iterdir()] == ["upload.txt"]
    assert (tmp_path / "upload.txt").read_text() == "yesterday's upload"


# -- tolerant reading of files other integrations wrote ------------------------------------

OLD_TEMPLATE = (
    "TemplateType=OrderCancellation{sep}Version=1.0/1.0.1{sep}This row for Amazon.com use "
    "only.  Do not modify or delete."
)
OLD_HEADER = "order-id\tmerchant-order-id\tcancellation-reason-code\tamazon-order-item-code"
OLD_ROWS = [
    "113-4728391-2038475\tMY-1001\tNoInventory\t62845173920562",
    "112-3348201-5569047\t\t\t",
]


@pytest.mark.parametrize("newline", ["\r\n", "\n"], ids=["crlf", "lf"])
@pytest.mark.parametrize("sep", ["\t", " ", "  ", " \t"], ids=["tab", "space", "spaces", "mixed"])
def test_parse_old_files_in_every_shape(tmp_path, newline, sep):
    path = tmp_path / "old.txt"
    lines = [OLD_TEMPLATE.format(sep=sep), OLD_HEADER, *OLD_ROWS]
    path.write_bytes((newline.join(lines) + newline).encode("ascii"))
    rows = list(flatfile.parse(path))
    assert rows == [
        flatfile.FlatFileRow(1, "113-4728391-2038475", "NoInventory", "62845173920562"),
        flatfile.FlatFileRow(2, "112-3348201-5569047", None, None),
    ]
    assert [r.merchant_order_id for r in rows] == ["MY-1001", None]


def test_parse_current_version_with_lf_and_spaced_template(tmp_path):
    path = tmp_path / "lf.txt"
    path.write_bytes(
        b"TemplateType=OrderCancellation Version=1.0/1.0.3 This row for Amazon.com use only.  "
        b"Do not modify or delete.\n"
        b"order-id\tcancellation-reason-code\tamazon-order-item-code\t\n"
        b"113-4728391-2038475\tNoInventory\t62845173920562\n"
    )
    assert list(flatfile.parse(path)) == [
        flatfile.FlatFileRow(1, "113-4728391-2038475", "NoInventory", "62845173920562")
    ]


def test_template_versions_are_data_and_writing_stays_current():
    assert list(flatfile.TEMPLATE_VERSIONS) == ["Version=1.0/1.0.3", "Version=1.0/1.0.1"]
    assert flatfile.TEMPLATE_VERSION == "Version=1.0/1.0.3"
    assert flatfile.HEADER_LINES == (
        "TemplateType=OrderCancellation\tVersion=1.0/1.0.3\tThis row for Amazon.com use only."
        "  Do not modify or delete.\r\norder-id\tcancellation-reason-code\tamazon-order-item-code"
        "\r\n"
    )


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("ascii"),
        lambda text: text.encode("utf-16"),  # Excel's "Unicode text", with its BOM
        lambda text: text.encode("ascii"),
    ],
    ids=["utf8-bom", "utf16", "ascii"],
)
def test_parse_and_check_read_an_upload_file_alike(tmp_path, encode):
    """One reader, one message: flatfile.parse reads what `check` reads (a BOM is no raw
    codec error)."""
    text = (
        TEMPLATE_ROW + HEADER_ROW
    ).decode() + "113-4728391-2038475\tNoInventory\t6284517392056\r\n"
    path = tmp_path / "upload.txt"
    path.write_bytes(encode(text))
    (row,) = flatfile.parse(path)
    assert (row.record_number, row.order_id, row.amazon_order_item_code) == (
        1,
        "113-4728391-2038475",
        "6284517392056",
    )
    with cancelkit.check(path, no_ledger=True) as result:
        (record,) = result.records
    assert (record["order_id"], record["amazon_order_item_code"], record["status"]) == (
        "113-4728391-2038475",
        "6284517392056",
        "accepted",
    )
    run = invoke("check", path, "--no-ledger")
    assert run.exit_code == 0, run.output


def test_parse_refuses_a_non_ascii_value_as_check_rejects_it(tmp_path):
    text = (
        TEMPLATE_ROW + HEADER_ROW
    ).decode() + "113-4728391-2038475\tNoInventory\t62845173920\uff15\r\n"
    path = tmp_path / "upload.txt"
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    with pytest.raises(InputError, match="U\\+FF15") as caught:
        list(flatfile.parse(path))
    assert caught.value.code == "non_ascii"
    with cancelkit.check(path, no_ledger=True) as result:
        (record,) = result.records
    assert [e["code"] for e in record["errors"]] == ["non_ascii"]
    assert "U+FF15" in record["errors"][0]["message"]


def test_fixture_flat_file_1_0_1_parses_and_checks():
    fixture = FIXTURES / "flat-file-1.0.1.txt"
    parsed = list(flatfile.parse(fixture))
    assert [(p.order_id, p.reason, p.amazon_order_item_code) for p in parsed] == [
        ("113-4728391-2038475", "NoInventory", "62845173920562"),
        ("112-5550193-7782014", "BuyerCanceled", "27485019374652"),
        ("112-3348201-5569047", None, None),
    ]
    with cancelkit.check(fixture, no_ledger=True) as result:
        records = [(r["row"], r["order_id"], r["status"]) for r in result.records]
    assert records == [
        (3, "113-4728391-2038475", "accepted"),
        (4, "112-5550193-7782014", "accepted"),
        (5, "112-3348201-5569047", "accepted"),
    ]
