"""Reading a large CSV on two cores gives exactly what one pass gives."""

from __future__ import annotations

import json
import random

import pytest

import cancelkit
from cancelkit.pipeline import parallel

REASONS = ["NoInventory", "BuyerCanceled", "GeneralAdjustment", "ShippingAddressUndeliverable"]


def make_batch(path, rows: int = 6000, seed: int = 7) -> None:
    rng = random.Random(seed)
    lines = ["order-id,cancellation-reason-code,amazon-order-item-code,sku,note"]
    orders = []
    for i in range(rows):
        order = (
            f"{rng.randint(100, 999)}-{rng.randint(0, 9999999):07d}-{rng.randint(0, 9999999):07d}"
        )
        orders.append(order)
        item = f"{rng.randint(10**13, 10**14 - 1)}"
        kind = i % 50
        if kind == 7:
            lines.append(f"{order},,,SKU-{i % 40},whole order")
        elif kind == 11:
            lines.append(f"{order[:-1]},NoInventory,{item},SKU-{i % 40},bad id")
        elif kind == 13:
            lines.append("")  # a blank line
        elif kind == 17:
            lines.append(f" {order} ,out of stock,{item}.0,SKU-{i % 40}, needs the model")
        else:
            lines.append(f"{order},{rng.choice(REASONS)},{item},SKU-{i % 40},")
    # duplicates and conflicts whose partners sit in the other half of the file
    lines.append(lines[5])
    first = lines[6].split(",")
    lines.append(
        ",".join(
            [
                first[0],
                "GeneralAdjustment" if first[1] != "GeneralAdjustment" else "NoInventory",
                *first[2:],
            ]
        )
    )
    lines.append(f"{orders[8]},,,SKU-1,whole order against item rows")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def outcome(path, tmp_path, name):
    with cancelkit.check(
        str(path), keep_records=False, orders_in_window=100000, allow_over_target=True
    ) as result:
        flat = tmp_path / f"{name}.txt"
        rejects = tmp_path / f"{name}.csv"
        result.write_flat_file(flat)
        result.write_rejects(rejects)
        return (
            result.summary,
            result.metrics,
            result.listing_risks,
            flat.read_bytes(),
            rejects.read_text(encoding="utf-8-sig"),
            [(r["row"], r["order_id"]) for r in result.report_context()["flagged"]],
        )


def test_two_halves_equal_one_pass(tmp_path, monkeypatch):
    batch = tmp_path / "batch.csv"
    make_batch(batch)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1 << 60)
    one_pass = outcome(batch, tmp_path, "one")
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    from cancelkit.options import Options
    from cancelkit.read.inputs import open_input

    assert parallel.plan(open_input(str(batch)), Options(keep_records=False)) is not None
    two_halves = outcome(batch, tmp_path, "two")
    assert two_halves[0] == one_pass[0]
    assert one_pass[0]["duplicates"] == 1
    assert one_pass[0]["rejected_by_code"]["conflicting_reasons"] == 2
    assert two_halves[1:] == one_pass[1:]


@pytest.mark.parametrize(
    "content",
    [
        'order-id,reason\n"113-4728391-2038475",NoInventory\n',  # quotes: lines may not be rows
        "order-id,reason\r113-4728391-2038475,NoInventory\r",  # bare CR line ends
    ],
)
def test_files_that_cannot_be_split_safely_are_read_in_one_pass(tmp_path, monkeypatch, content):
    from cancelkit.options import Options
    from cancelkit.read.inputs import open_input

    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    path = tmp_path / "batch.csv"
    path.write_bytes(content.encode() * 3)
    assert parallel.plan(open_input(str(path)), Options(keep_records=False)) is None


def _records_outcome(path, tmp_path, name):
    with cancelkit.check(
        str(path), keep_records=True, orders_in_window=100000, allow_over_target=True
    ) as result:
        report = result.write_json_file(tmp_path / f"{name}.json")
        document = json.loads(report.read_bytes())
        del document["generated_at"]
        return result.records, result.plan(), document


def test_kept_records_two_halves_equal_one_pass(tmp_path, monkeypatch):
    """A run that keeps its records (`--json`) reads on two cores too: the second half's
    records follow the first half's, numbered on, patched across the halves alike."""
    from cancelkit.options import Options
    from cancelkit.read.inputs import open_input

    batch = tmp_path / "batch.csv"
    make_batch(batch)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1 << 60)
    one_pass = _records_outcome(batch, tmp_path, "one")
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    table = open_input(str(batch))
    try:
        assert parallel.plan(table, Options(keep_records=True)) is not None
    finally:
        table.close()
    two_halves = _records_outcome(batch, tmp_path, "two")
    assert two_halves == one_pass
    statuses = {r["status"] for r in one_pass[0]}
    assert statuses == {"accepted", "duplicate", "rejected"}


def test_index_moved_to_disk_gives_the_same_result(tmp_path, monkeypatch):
    """Past column.SPILL_ROWS rows the batch index waits on disk: same outputs, flat memory."""
    from cancelkit.pipeline import collector
    from cancelkit.validate import spill as column

    batch = tmp_path / "batch.csv"
    make_batch(batch, rows=3000)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1 << 60)
    in_memory = outcome(batch, tmp_path, "memory")
    # each constant is read from its one module at run time: patched once, it holds everywhere
    monkeypatch.setattr(column, "SPILL_ROWS", 100)
    monkeypatch.setattr(collector, "WRITE_BLOCK", 50)
    monkeypatch.setattr(column, "CHUNK_ROWS", 64)
    spilled = []
    real_spill = column.Column.spill

    def spill(self):
        spilled.append(len(self.buffer))
        real_spill(self)

    monkeypatch.setattr(column.Column, "spill", spill)
    on_disk = outcome(batch, tmp_path, "disk")
    assert sum(spilled) > 4 * 2000  # four columns, most of the rows moved to disk
    assert on_disk == in_memory
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)  # both halves spill, then merge
    assert outcome(batch, tmp_path, "both") == in_memory


def test_the_second_half_joins_the_order_report_too(tmp_path, monkeypatch):
    """Security: the worker reading the second half checked no order state, so the shipped
    orders of a large file's second half reached the upload file."""
    monkeypatch.setattr(parallel, "MIN_BYTES", 1000)
    batch = tmp_path / "batch.csv"
    report = tmp_path / "orders.txt"
    lines = ["order-id,cancellation-reason-code,amazon-order-item-code"]
    states = ["amazon-order-id\torder-status\tfulfillment-channel"]
    for n in range(2000):
        lines.append(f"111-{n:07d}-0000001,NoInventory,{10**13 + n}")
        status = "Shipped - Delivered to Buyer" if n % 2 else "Unshipped"
        states.append(f"111-{n:07d}-0000001\t{status}\tMerchant")
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report.write_text("\n".join(states) + "\n", encoding="utf-8")
    table = cancelkit.pipeline.run.open_tables([str(batch)], None, None)[0]
    try:
        assert parallel.plan(table, cancelkit.options.Options(keep_records=False)) is not None
    finally:
        table.close()
    result = cancelkit.check(batch, orders_reports=[report], no_ledger=True, keep_records=False)
    assert result.summary["rejected_by_code"] == {"order_shipped": 1000}
    assert result.summary["accepted"] == 1000
    upload = result.write_flat_file(tmp_path / "upload.txt")
    body = upload.read_text(encoding="ascii").splitlines()[2:]
    assert len(body) == 1000 and all(int(line.split("-")[1]) % 2 == 0 for line in body)


def _outcome_or_error(path, tmp_path, name):
    try:
        return outcome(path, tmp_path, name)
    except cancelkit.CancelkitError as exc:
        return (exc.code, str(exc))


@pytest.mark.parametrize(
    "head, late",
    [
        ("", b"Caf\xe9"),  # ASCII at the top, one cp1252 byte in the second half
        ("Müller", b"Caf\xe9"),  # UTF-8 at the top, a cp1252 byte further down
        ("", b"nul\x00byte"),  # a NUL byte after the first 64 KB
        ("", "Müller".encode()),  # UTF-8 only further down
    ],
    ids=["cp1252-late", "utf8-then-cp1252", "nul-late", "utf8-late"],
)
def test_both_readers_give_the_same_result_on_bytes_far_down(tmp_path, monkeypatch, head, late):
    """The two-core reader decodes its half with the one-pass reader's own settings: same
    rows, same errors, same row numbers, whatever the bytes in the second half are."""
    batch = tmp_path / "batch.csv"
    make_batch(batch, rows=4000)
    lines = batch.read_bytes().split(b"\n")
    lines[1] = lines[1] + head.encode()
    lines[3000] = lines[3000].rstrip(b",") + b"," + late
    batch.write_bytes(b"\n".join(lines))
    monkeypatch.setattr(parallel, "MIN_BYTES", 1 << 60)
    one_pass = _outcome_or_error(batch, tmp_path, "one")
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    two_halves = _outcome_or_error(batch, tmp_path, "two")
    assert two_halves == one_pass
    if head:  # a UTF-8 file with a foreign byte: refused at the row that holds it
        assert one_pass[0] == "mixed_encoding"
        assert ": row 3001: bytes that are not utf-8" in one_pass[1]
    if b"\x00" in late:  # binary data far beyond the sniffed first 64 KB
        assert one_pass[0] == "file_binary"
        assert ": row 3001: a NUL byte" in one_pass[1]
