"""A new template version is a change to the constants of amazon/flatfile.py and nothing
else: with the constants patched (a new version, its columns in another order with one more,
another line end), every writer and reader of the flat file follows: both paths of the row
loop, the duplicate patching of the body, the per-marketplace split, the ledger's rows and
the parser."""

from __future__ import annotations

import pytest
from conftest import invoke

from cancelkit.amazon import flatfile
from cancelkit.ledger.store import Ledger

VERSION = "Version=2.0/2.0.0"
COLUMNS = ("amazon-order-item-code", "order-id", "merchant-order-id", "cancellation-reason-code")
BATCH = (
    "order-id,amazon-order-item-code,cancellation-reason-code,marketplace\n"
    "113-4728391-2038475,62845173920562,NoInventory,\n"  # canonical: the fast path
    " 114-1111111-2222222 ,62845173920001,no inventory,\n"  # the record path
    "113-4728391-2038475,62845173920562,NoInventory,\n"  # a duplicate: patched away
    "115-3333333-4444444,,,\n"  # a whole order
)


@pytest.fixture
def new_template(monkeypatch):
    monkeypatch.setattr(flatfile, "TEMPLATE_VERSION", VERSION)
    monkeypatch.setattr(flatfile, "TEMPLATE_VERSIONS", {VERSION: COLUMNS})
    monkeypatch.setattr(flatfile, "COLUMNS", COLUMNS)
    monkeypatch.setattr(flatfile, "LINE_END", "\n")


def _generate(tmp_path, *extra):
    batch = tmp_path / "batch.csv"
    batch.write_text(BATCH, encoding="utf-8")
    out = tmp_path / "out"
    ledger = tmp_path / "ledger.sqlite"
    run = invoke("generate", batch, "--out-dir", out, "--ledger", ledger, *extra)
    return run, out, ledger


def test_the_line_format_follows_the_constants(new_template):
    fmt = flatfile.line_format()
    assert (
        fmt.header
        == (
            f"{flatfile.TEMPLATE_TYPE}\t{VERSION}\t{flatfile.TEMPLATE_NOTICE}\n"
            + "\t".join(COLUMNS)
        )
        + "\n"
    )
    line = fmt.line("113-4728391-2038475", "NoInventory", "62845173920562")
    assert line == "62845173920562\t113-4728391-2038475\t\tNoInventory\n"
    assert fmt.canonical(line)
    assert fmt.canonical_line("113-4728391-2038475", "", "") == "\t113-4728391-2038475\t\t\n"
    assert fmt.canonical_line("113-4728391-2038475", "NoInventory", "") is None
    assert fmt.fields(line) == ("113-4728391-2038475", "NoInventory", "62845173920562")
    assert flatfile.data_line("1", None, None) == "\t1\t\t\n"


def test_every_writer_follows_the_constants(new_template, tmp_path):
    run, out, ledger = _generate(tmp_path)
    assert run.exit_code in (0, 1), run.output
    (upload,) = [p for p in out.iterdir() if p.suffix == ".txt" and "reject" not in p.name]
    text = upload.read_bytes().decode("ascii")
    assert "\r" not in text
    lines = text.split("\n")
    assert lines[0].split("\t")[:2] == [flatfile.TEMPLATE_TYPE, VERSION]
    assert lines[1] == "\t".join(COLUMNS)
    assert lines[2:] == [
        "62845173920562\t113-4728391-2038475\t\tNoInventory",
        "62845173920001\t114-1111111-2222222\t\tNoInventory",
        "\t115-3333333-4444444\t\t",
        "",
    ]
    rows = [(r.order_id, r.reason, r.amazon_order_item_code) for r in flatfile.parse(upload)]
    assert rows == [
        ("113-4728391-2038475", "NoInventory", "62845173920562"),
        ("114-1111111-2222222", "NoInventory", "62845173920001"),
        ("115-3333333-4444444", None, None),
    ]
    with Ledger.open(ledger) as book:
        recorded = [
            (r.order_id, r.reason, r.item_code) for r in book.batch_rows(book.newest_batch().id)
        ]
        assert recorded == rows
        book.expand_batch(book.newest_batch().id)  # and the same once expanded
        recorded = [
            (r.order_id, r.reason, r.item_code) for r in book.batch_rows(book.newest_batch().id)
        ]
    assert recorded == rows


def test_the_per_marketplace_split_follows_the_constants(new_template, tmp_path):
    batch = tmp_path / "batch.csv"
    batch.write_text(
        "order-id,amazon-order-item-code,cancellation-reason-code,marketplace\n"
        "302-4728391-2038475,62845173920562,NoInventory,DE\n"
        "403-1111111-2222222,62845173920001,NoInventory,FR\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run = invoke("generate", batch, "--out-dir", out, "--no-ledger")
    assert run.exit_code in (0, 1), run.output
    uploads = sorted(p for p in out.iterdir() if p.suffix == ".txt" and "reject" not in p.name)
    assert len(uploads) == 2
    for upload in uploads:
        lines = upload.read_bytes().decode("ascii").split("\n")
        assert lines[0].split("\t")[1] == VERSION and lines[1] == "\t".join(COLUMNS)
        assert len(lines) == 4 and lines[2].endswith("\tNoInventory")
