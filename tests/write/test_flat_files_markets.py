"""One upload file per marketplace (`NAME-DE.txt`, ...), each its own ledger batch with its
marketplace; a batch of one marketplace is written exactly as before."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from conftest import CLEAN, FIXTURES, HEADER_ROW, TEMPLATE_ROW

import cancelkit
from cancelkit.errors import OutputError
from cancelkit.ledger.store import Ledger

EU = FIXTURES / "eu-batch.csv"
DE_ROWS = [
    b"302-4419027-3318561\tNoInventory\t40019283746501\r\n",
    b"302-4419027-3318561\tNoInventory\t40019283746502\r\n",
    b"303-7781204-5590123\tBuyerCanceled\t40019283746511\r\n",
    b"028-1192837-4456012\tShippingAddressUndeliverable\t40019283746521\r\n",
    b"302-9918273-4410293\tNoInventory\t40019283746561\r\n",
]
FR_ROWS = [
    b"171-5520394-8812736\tNoInventory\t40019283746531\r\n",
    b"171-6631029-1109384\tGeneralAdjustment\t40019283746541\r\n",
]
HEAD = TEMPLATE_ROW + HEADER_ROW


def _check(ledger=None, **options):
    figures = {"DE": 200, "FR": 60}  # FR over its target: written as asked
    options.setdefault("allow_over_target", True)
    if ledger is None:
        return cancelkit.check(EU, orders_in_window=figures, no_ledger=True, **options)
    return cancelkit.check(EU, orders_in_window=figures, ledger=ledger, **options)


def test_one_file_per_marketplace_from_an_explicit_name(tmp_path):
    with _check() as result:
        outputs = result.write_outputs(tmp_path, flat_file=tmp_path / "upload.txt")
        de, fr = tmp_path / "upload-DE.txt", tmp_path / "upload-FR.txt"
        assert outputs["flat_file"] == str(de)
        assert outputs["flat_files"] == [str(de), str(fr)]
        assert not (tmp_path / "upload.txt").exists()
        assert de.read_bytes() == HEAD + b"".join(DE_ROWS)
        assert fr.read_bytes() == HEAD + b"".join(FR_ROWS)
        document = json.loads(result.to_json())
        assert document["outputs"]["flat_files"] == [str(de), str(fr)]
        assert set(document["metrics_by_marketplace"]) == {"DE", "FR"}
        assert document["metrics"]["marketplace"] == "DE"


def test_default_names_carry_the_batch_time_and_the_marketplace(tmp_path):
    with _check() as result:
        outputs = result.write_outputs(tmp_path)
        names = sorted(p.name for p in tmp_path.iterdir())
        stem = names[0].rsplit("-", 1)[0]
        assert names == [
            f"{stem}-DE.txt",
            f"{stem}-FR.txt",
            f"{stem}-rejects.csv",
            f"{stem}-report.html",
        ]
        assert outputs["flat_files"] == [str(tmp_path / f"{stem}-{c}.txt") for c in ("DE", "FR")]


def test_max_rows_splits_each_marketplace_into_numbered_parts(tmp_path):
    with _check() as result:
        outputs = result.write_outputs(tmp_path, flat_file=tmp_path / "up.txt", max_rows_per_file=2)
        names = ["up-DE-1.txt", "up-DE-2.txt", "up-DE-3.txt", "up-FR-1.txt"]
        assert outputs["flat_files"] == [str(tmp_path / n) for n in names]
        written = [(tmp_path / n).read_bytes() for n in names]
        assert written == [
            HEAD + b"".join(DE_ROWS[0:2]),
            HEAD + b"".join(DE_ROWS[2:4]),
            HEAD + DE_ROWS[4],
            HEAD + b"".join(FR_ROWS),
        ]


def test_an_existing_marketplace_file_refuses_every_write(tmp_path):
    (tmp_path / "up-FR.txt").write_bytes(b"keep")
    with _check() as result, pytest.raises(OutputError):
        result.write_outputs(tmp_path, flat_file=tmp_path / "up.txt")
    assert not (tmp_path / "up-DE.txt").exists()
    assert (tmp_path / "up-FR.txt").read_bytes() == b"keep"


def test_each_marketplace_file_is_a_ledger_batch_of_its_marketplace(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    with _check(ledger) as result:
        result.write_outputs(tmp_path, flat_file=tmp_path / "up.txt", record=True)
        assert len(result.batch_ids) == 2
        assert result.batch_id == result.batch_ids[0]
    with Ledger.open(ledger) as book:
        batches = {b.id: b for b in book.batches()}
        de, fr = (batches[i] for i in result.batch_ids)
        assert (de.marketplace, de.rows, de.flat_file) == ("DE", 5, str(tmp_path / "up-DE.txt"))
        assert (fr.marketplace, fr.rows, fr.flat_file) == ("FR", 2, str(tmp_path / "up-FR.txt"))
        assert de.options["orders_in_window"] == 200 and fr.options["orders_in_window"] == 60
        assert (de.options["part"], fr.options["part"]) == ("1/2", "2/2")
        rows = book.batch_rows(fr.id)
        assert [(r.record_number, r.order_id) for r in rows] == [
            (1, "171-5520394-8812736"),
            (2, "171-6631029-1109384"),
        ]
        assert [r.order_id for r in book.batch_rows(de.id)][-1] == "302-9918273-4410293"


def test_parts_of_marketplaces_are_ledger_batches_in_file_order(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    with _check(ledger) as result:
        result.write_outputs(
            tmp_path, flat_file=tmp_path / "up.txt", max_rows_per_file=2, record=True
        )
    with Ledger.open(ledger) as book:
        batches = {b.id: b for b in book.batches()}
        found = [batches[i] for i in result.batch_ids]
        assert [(b.marketplace, b.rows, b.options["part"]) for b in found] == [
            ("DE", 2, "1/4"),
            ("DE", 2, "2/4"),
            ("DE", 1, "3/4"),
            ("FR", 2, "4/4"),
        ]
        assert all(b.options["max_rows_per_file"] == 2 for b in found)


def test_cancels_of_a_marketplace_come_from_its_own_confirmed_batches(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    with _check(ledger) as result:
        result.write_outputs(tmp_path / "first", flat_file=tmp_path / "up.txt", record=True)
        fr_batch = result.batch_ids[1]
    with Ledger.open(ledger) as book:
        book.confirm(fr_batch)
    rows = [
        ["order-id", "cancellation-reason-code", "amazon-order-item-code", "sales-channel"],
        ["302-1111111-0000001", "NoInventory", "50000000000001", "Amazon.de"],
        ["171-1111111-0000002", "NoInventory", "50000000000002", "Amazon.fr"],
    ]
    with cancelkit.check(rows=rows, orders_in_window={"DE": 100, "FR": 100}, ledger=ledger) as r:
        by_market = r.metrics_by_marketplace
        assert by_market["FR"]["seller_cancels_in_window"] == 2  # FR's two confirmed orders
        assert by_market["DE"]["seller_cancels_in_window"] == 0  # DE's batch is unconfirmed
        assert by_market["FR"]["cancels_source"] == "ledger (confirmed batches of FR)"


# -- a batch of one marketplace: exactly as before ----------------------------------------------
def test_single_marketplace_batch_outputs_are_unchanged(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    with cancelkit.check(CLEAN, orders_in_window=4000, ledger=ledger) as result:
        assert result.markets == [] and result.metrics_by_marketplace is None
        outputs = result.write_outputs(tmp_path / "out", record=True)
        document = json.loads(result.to_json())
    flat = Path(outputs["flat_file"])
    assert re.fullmatch(r"cancellations-\d{8}-\d{6}\.txt", flat.name)  # no marketplace in it
    assert {p.name for p in (tmp_path / "out").iterdir()} == {flat.name, f"{flat.stem}-report.html"}
    assert outputs["flat_files"] == [outputs["flat_file"]]
    assert list(document) == [
        "schema_version",
        "tool",
        "generated_at",
        "inputs",
        "summary",
        "metrics",
        "listing_risks",
        "records",
        "outputs",
        "states_checked",
        "budget",
        "plan",
    ]
    assert document["metrics"]["marketplace"] == "US"
    assert list(document["outputs"]) == ["flat_file", "flat_files", "rejects", "report", "review"]
    body = flat.read_bytes()
    assert body.startswith(HEAD) and body.count(b"\r\n") == 14
    with Ledger.open(ledger) as book:
        (batch,) = book.batches()
        assert batch.marketplace == "US" and batch.rows == 12
        assert set(batch.options) == {
            "orders_in_window",
            "cancels_in_window",
            "fail_on",
            "orders_reports",
        }


def test_rows_naming_only_the_run_marketplace_stay_a_single_batch(tmp_path):
    rows = [
        ["order-id", "cancellation-reason-code", "amazon-order-item-code", "marketplace"],
        ["302-1111111-0000001", "NoInventory", "50000000000001", "DE"],
        ["302-1111111-0000002", "NoInventory", "50000000000002", "Amazon.de"],
    ]
    with cancelkit.check(rows=rows, marketplace="DE", no_ledger=True) as result:
        assert result.markets == []
        assert result.metrics["marketplace"] == "DE"
        outputs = result.write_outputs(tmp_path, flat_file=tmp_path / "up.txt")
        assert outputs["flat_files"] == [str(tmp_path / "up.txt")]


@pytest.mark.parametrize("max_rows", [None, 2])
def test_each_batch_records_the_sha256_of_its_upload_file(tmp_path, max_rows):
    """Hashed as the file is written (one piece) or read back (split parts): either way the
    SHA-256 of the bytes at the path."""
    ledger = tmp_path / "ledger.sqlite3"
    with _check(ledger=ledger) as result:
        result.write_flat_file(tmp_path / "upload.txt", max_rows=max_rows, allow_over_target=True)
        result.record_in_ledger()
        paths = result.outputs["flat_files"]
        if max_rows is None:
            assert sorted(result.flat_file_sha256) == sorted(paths)
    with Ledger.open(ledger) as book:
        batches = [book.batch(batch_id) for batch_id in result.batch_ids]
    assert len(batches) == len(paths) >= 2
    for batch, path in zip(batches, paths):
        assert batch.flat_file == str(Path(path).resolve())
        assert batch.flat_file_sha256 == hashlib.sha256(Path(path).read_bytes()).hexdigest()
