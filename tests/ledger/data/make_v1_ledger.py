"""Writes ledger-v1.sqlite3 and ledger-v1.json: a small ledger of schema version 1 and what
that version's code answered about it, for the migration test.

Run it with cancelkit of schema version 1 (commit 7561771) on the import path:
    PYTHONPATH=/path/to/cancelkit-at-7561771 python3 tests/ledger/data/make_v1_ledger.py
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from cancelkit.ledger.schema import SCHEMA_VERSION
from cancelkit.ledger.store import Ledger

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)
ORDERS = [f"{111 + n}-{n:07d}-{n * 7:07d}" for n in range(12)]


def row(order, item=None, reason="NoInventory", sku=None, asin=None, counts=True):
    return (order, item, reason if item else None, sku, asin, counts)


def main() -> None:
    assert SCHEMA_VERSION == 1, "run with the schema-1 cancelkit"
    path = HERE / "ledger-v1.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    o = ORDERS
    with Ledger.open(path) as book:
        old = book.record_batch(
            {"id": "b1", "created_at": NOW - dt.timedelta(days=40)},
            [row(o[0], "10", sku="MUG"), row(o[1], "11", sku="MUG")],
        )
        book.confirm(old)
        week = book.record_batch(
            {"id": "b2", "created_at": NOW - dt.timedelta(days=3)},
            [
                row(o[2], "20", sku="MUG"),
                row(o[2], "21", sku="POT"),
                row(o[3], sku="POT"),
                row(o[4], "40", asin="B0ASIN", counts=False),
                row(o[5], "50", reason="BuyerCanceled", sku="MUG", counts=False),
            ],
        )
        book.apply_reconcile(week, {4: ("18004", "not found")}, False)
        book.record_batch(
            {"id": "b3", "created_at": NOW - dt.timedelta(days=2)},
            [row(o[6], "60", sku="CUP"), row(o[7], "70", sku="CUP"), row(o[4], "40")],
        )
        book.record_batch(
            {"id": "b4", "created_at": NOW - dt.timedelta(days=1)},
            [row(o[6], "60", sku="CUP"), row(o[8])],  # supersedes b3's row of o[6]
        )
        newest = book.record_batch(
            {"id": "b5", "created_at": NOW - dt.timedelta(hours=5)},
            [row(o[9], "90", sku="CUP"), row(o[10], "91", sku="MUG")],
        )
        book.confirm(newest)
        answers = {
            "known": sorted([list(k), list(v)] for k, v in book.known().items()),
            "cancels_7": book.seller_cancels_in_window(NOW, 7),
            "cancels_60": book.seller_cancels_in_window(NOW, 60),
            "listings_30": {k: list(v) for k, v in book.listing_cancellations(NOW).items()},
            "listings_60_1": {
                k: list(v) for k, v in book.listing_cancellations(NOW, 60, 1).items()
            },
            "rows": {
                b.id: [list(r.__dict__.values()) for r in book.batch_rows(b.id)]
                for b in book.batches()
            },
        }
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    db.close()
    (HERE / "ledger-v1.json").write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
