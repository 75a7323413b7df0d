"""Writes ledger-v3.sqlite3: a small ledger of schema version 3 (before the `unconfirmed`
state, the refusals and the reconciled reports of version 4), for the migration test.

Run it with cancelkit of schema version 3 (commit ea44d9c) on the import path:
    PYTHONPATH=/path/to/cancelkit-at-ea44d9c python3 tests/ledger/data/make_v3_ledger.py
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cancelkit.ledger.schema import SCHEMA_VERSION
from cancelkit.ledger.store import Ledger

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)
ORDERS = [f"{111 + n}-{n:07d}-{n * 7:07d}" for n in range(6)]


def main() -> None:
    assert SCHEMA_VERSION == 3, "run with the schema-3 cancelkit"
    path = HERE / "ledger-v3.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    o = ORDERS
    with Ledger.open(path) as book:
        # reconciled: record 2 failed with 18004 (a final refusal, recorded by version 3 as
        # a plain failed row)
        done = book.record_batch(
            {"id": "v3-done", "created_at": NOW - dt.timedelta(days=2), "marketplace": "DE"},
            [
                (o[0], "10", "NoInventory", "MUG", None, True),
                (o[1], "11", "NoInventory", "MUG", None, True),
                (o[2], None, None, "CUP", None, False),
            ],
        )
        book.apply_reconcile(done, {2: ("18004", "The order item could not be cancelled")}, False)
        # still open
        book.record_batch(
            {"id": "v3-open", "created_at": NOW - dt.timedelta(days=1), "marketplace": "FR"},
            [(o[3], "30", "NoInventory", "PAN", None, True), (o[4], None, None, None, None, True)],
        )
    # fold the write-ahead log into the file, so that one file is the fixture
    import sqlite3

    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = DELETE")
    db.close()


if __name__ == "__main__":
    main()
