"""The ledger answers questions about the batch's own orders: the look-ups give exactly what
loading the whole ledger gave, and a ledger written by schema version 1 migrates with every
row kept and the same answers (tests/ledger/data/make_v1_ledger.py wrote the fixture with the
schema-1 code, and what that code answered)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import on_disk

from cancelkit.enrich import join
from cancelkit.enrich.join import LedgerLookup
from cancelkit.enrich.ledger_findings import check_row
from cancelkit.ledger import schema
from cancelkit.ledger.store import Ledger

DATA = Path(__file__).parent / "data"
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)
EXPECTED = json.loads((DATA / "ledger-v1.json").read_text(encoding="utf-8"))


@pytest.fixture
def migrated(tmp_path) -> Ledger:
    path = tmp_path / "ledger.sqlite3"
    shutil.copy(DATA / "ledger-v1.sqlite3", path)
    with Ledger.open(path) as book:
        yield book


def _orders() -> list[str]:
    return sorted({key[0] for key, _ in EXPECTED["known"]} | {"199-0000000-0000000"})


def test_the_fixture_is_a_schema_1_ledger():
    db = sqlite3.connect(f"file:{DATA / 'ledger-v1.sqlite3'}?mode=ro", uri=True)
    assert db.execute("SELECT version FROM schema_version").fetchone() == (1,)
    db.close()


def test_a_schema_1_ledger_migrates_keeping_every_row(migrated):
    version = on_disk(migrated, "SELECT version FROM schema_version")[0][0]
    assert version == schema.SCHEMA_VERSION
    rows = {
        b.id: [list(r.__dict__.values()) for r in migrated.batch_rows(b.id)]
        for b in migrated.batches()
    }
    assert rows == EXPECTED["rows"]
    assert migrated.integrity_check() == "ok"


def test_a_migrated_ledger_answers_as_schema_1_did(migrated):
    expected = {tuple(key): tuple(value) for key, value in EXPECTED["known"]}
    # schema 4 adds Amazon's final refusals: b2's record 4 failed with 18004 (its status
    # does not allow cancellation); the refusal wins over b3's retry of it (`generated`),
    # so a later batch with that order is flagged as refused by Amazon
    (refused,) = [r for r in migrated.batch_rows("b2") if r.state == "failed"]
    assert refused.error_code == "18004"
    key = (refused.order_id, refused.item_code)
    assert expected[key][:2] == ("generated", "b3")
    expected[key] = ("refused", "b2", migrated.batch("b2").created_at)
    known = migrated.known()
    assert dict(known) == expected
    assert known.refusals[key][0] == "18004"
    assert migrated.seller_cancels_in_window(NOW, 7) == EXPECTED["cancels_7"]
    assert migrated.seller_cancels_in_window(NOW, 60) == EXPECTED["cancels_60"]
    listings = {k: list(v) for k, v in migrated.listing_cancellations(NOW).items()}
    assert listings == EXPECTED["listings_30"]
    listings = {k: list(v) for k, v in migrated.listing_cancellations(NOW, 60, 1).items()}
    assert listings == EXPECTED["listings_60_1"]


def test_looking_up_some_orders_gives_what_the_whole_ledger_gives(migrated):
    everything = migrated.known()
    orders = _orders()
    for size in (1, 2, len(orders)):
        for start in range(0, len(orders), size):
            part = orders[start : start + size]
            found = migrated.known(part)
            assert dict(found) == {k: v for k, v in everything.items() if k[0] in part}
            for order_id in part:
                for item in (None, "10", "20", "21", "40", "60", "90", "99"):
                    assert check_row(found, order_id, item) == check_row(everything, order_id, item)


def test_look_ups_in_chunks_and_after_a_change_of_the_ledger(migrated, monkeypatch):
    monkeypatch.setattr(schema, "LOOKUP_CHUNK", 2)
    orders = _orders()
    before = migrated.known(orders)
    assert dict(before) == dict(migrated.known())
    # a new open batch is seen by the next look-up (the indexed copy of open rows is renewed)
    migrated.record_batch(
        {"id": "b6", "created_at": NOW},
        [
            (orders[0], "10", "NoInventory", None, None, True),
            ("199-0000000-0000000", None, None, None, None, True),
        ],
    )
    after = migrated.known(orders)
    assert after[("199-0000000-0000000", None)] == ("generated", "b6", "2026-11-26T08:00:00Z")
    assert after[(orders[0], "10")] == before[(orders[0], "10")]  # confirmed still wins
    assert dict(after) == dict(migrated.known())


def _open_batches(book: Ledger) -> set[str]:
    return {r[0] for r in on_disk(book, "SELECT id FROM batches WHERE has_open_rows")}


def test_the_migration_flags_the_batches_with_open_rows(migrated):
    # b3 and b4 of the fixture hold generated rows; b1, b2 and b5 are settled
    assert _open_batches(migrated) == {"b3", "b4"}
    assert migrated.has_known()


def test_the_open_flag_follows_every_change_of_state(tmp_path):
    with Ledger.open(tmp_path / "ledger.sqlite3") as book:
        assert not book.has_known()
        row = ("111-0000001-0000001", "1", "NoInventory", None, None, True)
        first = book.record_batch({"id": "x1", "created_at": NOW}, [row])
        assert _open_batches(book) == {"x1"} and book.has_known()
        second = book.record_batch({"id": "x2", "created_at": NOW}, [row])  # supersedes x1
        assert _open_batches(book) == {"x2"}
        assert book.known()[(row[0], "1")] == ("generated", "x2", "2026-11-26T08:00:00Z")
        book.confirm(second)
        assert _open_batches(book) == set()
        third = book.record_batch({"id": "x3", "created_at": NOW}, [row[:1] + ("2",) + row[2:]])
        book.apply_reconcile(third, {}, True)  # the whole file failed
        assert _open_batches(book) == set()
        fourth = book.record_batch({"id": "x4", "created_at": NOW}, [row[:1] + ("3",) + row[2:]])
        book.apply_reconcile(fourth, {1: ("18004", "no")}, False)
        assert _open_batches(book) == set()
        assert book.record_batch({"id": "x5", "created_at": NOW}, []) == "x5"
        assert _open_batches(book) == set()  # no rows, nothing open
        assert first == "x1"


def test_the_lookup_asks_a_block_ahead_and_keeps_reader_errors_in_order(migrated, monkeypatch):
    monkeypatch.setattr(join, "LOOKAHEAD_ROWS", 2)
    orders = _orders()
    lookup = LedgerLookup(migrated)
    seen = []

    def rows():
        for number, order_id in enumerate(orders[:3], start=2):
            yield number, [order_id, "x"]
        raise ValueError("bad byte")

    with pytest.raises(ValueError, match="bad byte"):
        for number, cells in lookup.prefetch(rows(), 0):
            seen.append((number, cells[0] in lookup.orders))
    assert [n for n, _ in seen] == [2, 3, 4]  # every row read before the error came first
    known = {key[0] for key, _ in EXPECTED["known"]}
    assert seen == [(n, orders[n - 2] in known) for n in (2, 3, 4)]
    # an order outside the block is asked on its own
    first = sorted(known)[0]
    assert lookup.check(first, None) == check_row(migrated.known(), first, None)
