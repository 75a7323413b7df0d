"""Writes windows-vN.sqlite3 and windows-vN.json: a small ledger made by the cancelkit of
schema version N and what that version's code answered about its window figures, for the
migration test of the window figures (schema 5, tests/ledger/test_migrations_windows.py).

Run it with the cancelkit of that schema on the import path, from this folder's repository:
    schema 2: commit c0efe27;  schema 3: commit ea44d9c;  schema 4: commit 3bca6f9;
    schema 5: commit 8950937;  schema 6: this tree
    git archive c0efe27 | tar -x -C /tmp/ck-v2
    PYTHONPATH=/tmp/ck-v2 python3 tests/ledger/data/make_ledger.py

The ledger has what makes window figures hard: orders confirmed in two batches (one of them
outside the 7-day window, one in another marketplace), a reconcile that fails rows of a
confirmed batch, a whole file failed, a batch after the answers' `now`, more than
LISTED_ORDERS orders of one listing, rows with an ASIN and no SKU, and open batches.
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
ORDERS = [f"{200 + n}-{n:07d}-{n * 3:07d}" for n in range(40)]


def row(order, item=None, reason="NoInventory", sku=None, asin=None, counts=True):
    return (order, item, reason if item else None, sku, asin, counts)


def build(book: Ledger) -> None:
    o, day = ORDERS, dt.timedelta(days=1)
    old = book.record_batch(
        {"id": "w1", "created_at": NOW - 40 * day, "marketplace": "DE"},
        [row(o[0], "10", sku="MUG"), row(o[1], "11", sku="MUG"), row(o[2], sku="POT")],
    )
    book.confirm(old)
    edge = book.record_batch(
        {"id": "w2", "created_at": NOW - 7 * day, "marketplace": "DE"},  # just outside 7 days
        [row(o[3], "30", sku="MUG"), row(o[0], "12", sku="MUG")],
    )
    book.confirm(edge)
    week = book.record_batch(
        {"id": "w3", "created_at": NOW - 3 * day, "marketplace": "DE"},
        [
            row(o[0], "13", sku="MUG"),  # o[0] again: counted once
            row(o[4], "40", sku="POT"),
            row(o[5], "50", asin="B0ASIN"),
            row(o[6], "60", reason="BuyerCanceled", sku="MUG", counts=False),
            row(o[7], "70", sku="CUP"),
        ],
    )
    book.apply_reconcile(week, {5: ("18004", "not found")}, False)  # o[7] failed
    many = book.record_batch(
        {"id": "w4", "created_at": NOW - 2 * day, "marketplace": "FR"},
        [row(o[n], f"{n}00", sku="CUP") for n in range(8, 34)] + [row(o[4], "41", sku="POT")],
    )
    book.confirm(many)
    failed = book.record_batch(
        {"id": "w5", "created_at": NOW - 1 * day, "marketplace": "DE"},
        [row(o[34], "340", sku="MUG")],
    )
    book.apply_reconcile(failed, {}, True)
    book.record_batch(
        {"id": "w6", "created_at": NOW - 5 * dt.timedelta(hours=1), "marketplace": "DE"},
        [row(o[35], "350", sku="MUG")],  # open: generated, never confirmed
    )
    later = book.record_batch(
        {"id": "w7", "created_at": NOW + 2 * dt.timedelta(hours=1), "marketplace": "DE"},
        [row(o[3], "31", sku="MUG"), row(o[36], "360", sku="POT")],
    )
    book.confirm(later)


def answers(book: Ledger) -> dict:
    found = {}
    for name, now in (("now", NOW), ("yesterday", NOW - dt.timedelta(days=1))):
        for days in (7, 30, 60):
            for market in (None, "DE", "FR"):
                found[f"cancels {name} {days} {market}"] = book.seller_cancels_in_window(
                    now, days, market
                )
            for listed in (1, 20, 25):
                found[f"listings {name} {days} {listed}"] = [
                    [listing, count, ids]
                    for listing, (count, ids) in book.listing_cancellations(
                        now, days, listed
                    ).items()
                ]
    return found


def main() -> None:
    path = HERE / f"windows-v{SCHEMA_VERSION}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Ledger.open(path) as book:
        build(book)
        found = answers(book)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    db.close()
    text = json.dumps({"schema": SCHEMA_VERSION, "answers": found}, indent=1) + "\n"
    path.with_suffix(".json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
