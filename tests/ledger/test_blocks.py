"""A new batch's rows are kept packed (ledger/blocks.py) until one of them first changes
state. A ledger whose batches stay packed answers every question as one whose batches
are expanded at once (hypothesis: random batches, supersedes, confirms, reconciles, rows
left unconfirmed), and a cell the packing cannot hold is refused."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from conftest import on_disk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cancelkit.errors import LedgerError
from cancelkit.ledger import blocks
from cancelkit.ledger.store import Ledger

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)
ORDERS = [f"{100 + n}-{n:07d}-0000001" for n in range(8)]

_row = st.tuples(
    st.sampled_from(ORDERS),
    st.sampled_from([None, "1", "2", "3"]),
    st.sampled_from([None, "NoInventory", "BuyerCanceled"]),
    st.sampled_from([None, "MUG", "Tasse-Ü"]),
    st.sampled_from([None, "B0ASIN"]),
    st.booleans(),
)
_step = st.one_of(
    st.tuples(st.just("record"), st.lists(_row, min_size=0, max_size=9), st.integers(0, 40)),
    st.tuples(st.just("confirm"), st.integers(0, 30)),
    st.tuples(st.just("reconcile"), st.integers(0, 30), st.sets(st.integers(1, 9))),
    st.tuples(st.just("unclear"), st.integers(0, 30)),
)


def _state(book: Ledger) -> dict:
    batches = book.batches()
    return {
        "rows": {b.id: book.batch_rows(b.id) for b in batches},
        "summaries": [b.as_dict() for b in batches],
        "known": dict(book.known()),
        "known some": dict(book.known(ORDERS[:3])),
        "awaiting": [b.id for b in book.batches_awaiting_report()],
        "cancels": [book.seller_cancels_in_window(NOW, d) for d in (7, 30)],
        "listings": book.listing_cancellations(NOW),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_step, min_size=1, max_size=12))
def test_packed_batches_answer_as_expanded_ones(steps, tmp_path_factory):
    folder = tmp_path_factory.mktemp("blocks")
    with (
        Ledger.open(folder / "packed.sqlite3") as packed,
        Ledger.open(folder / "expanded.sqlite3") as expanded,
    ):
        ids: list[str] = []
        for number, step in enumerate(steps):
            kind = step[0]
            if kind == "record":
                meta = {"id": f"b{number:02d}", "created_at": NOW - dt.timedelta(hours=step[2])}
                for book in (packed, expanded):
                    book.record_batch(meta, step[1])
                expanded.expand_batch(meta["id"])
                ids.append(meta["id"])
                continue
            if not ids:
                continue
            batch = ids[step[1] % len(ids)]
            for book in (packed, expanded):
                if kind == "confirm":
                    book.confirm(batch)
                elif kind == "unclear":
                    book.leave_unconfirmed(batch, "unclear", "the report was unclear")
                else:
                    rows = book.batch(batch).rows
                    failed = {n: ("18004", "refused") for n in step[2] if n <= rows}
                    book.apply_reconcile(batch, failed, False, refused=list(failed)[:1])
        assert _state(packed) == _state(expanded)
        assert on_disk(expanded, "SELECT count(*) FROM row_blocks")[0][0] == 0


def test_a_packed_batch_reads_back_as_recorded_and_expands_once(tmp_path):
    rows = [
        ("111-0000001-0000001", "5", "NoInventory", "MUG", None, True),
        ("111-0000002-0000001", None, None, None, "B0ASIN", False),
        ("111-0000003-0000001", "7", "BuyerCanceled", "Tasse-Ü", "B0X", True),
    ]
    with Ledger.open(tmp_path / "l.sqlite3") as book:
        batch = book.record_batch({"id": "p1"}, rows)
        assert on_disk(book, "SELECT count(*) FROM batch_rows")[0][0] == 0
        assert on_disk(book, "SELECT rows, counting FROM row_blocks") == [(3, 2)]
        read = [(r.order_id, r.item_code, r.reason, r.sku, r.asin, r.counts_against_rate)
                for r in book.batch_rows(batch)]  # fmt: skip
        assert read == rows
        assert {r.state for r in book.batch_rows(batch)} == {"generated"}
        assert list(book.rows_at(batch, [3, 1, 9])) == [1, 3]
        assert book.batch(batch).states["generated"] == 3
        assert book.expand_batch(batch) is True
        assert book.expand_batch(batch) is False
        assert on_disk(book, "SELECT count(*) FROM row_blocks")[0][0] == 0
        assert on_disk(book, "SELECT count(*) FROM block_listings")[0][0] == 0
        again = [(r.order_id, r.item_code, r.reason, r.sku, r.asin, r.counts_against_rate)
                 for r in book.batch_rows(batch)]  # fmt: skip
        assert again == rows


@pytest.mark.parametrize("cell", ["111-0000001-00\t00001", "111-0000001-0000001\n", "a\rb"])
def test_a_cell_the_blocks_cannot_hold_is_refused_and_nothing_is_recorded(cell, tmp_path):
    with Ledger.open(tmp_path / "l.sqlite3") as book:
        good = ("111-0000009-0000001", None, None, None, None, True)
        with pytest.raises(ValueError, match="tab or a line break"):
            book.record_batch({"id": "bad"}, [good] * 3 + [(cell, "1", None, None, None, True)])
        with pytest.raises(ValueError, match="tab or a line break"):
            book.record_batch(
                {"id": "bad"}, [good, ("111-0000001-0000001", cell, None, None, None, True)]
            )
        assert book.batches() == []
        assert on_disk(book, "SELECT count(*) FROM row_blocks")[0][0] == 0


def test_a_batch_larger_than_a_block_is_numbered_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK_ROWS", 4)
    rows = [(f"111-{n:07d}-0000001", str(n), "NoInventory", f"S{n % 3}", None, n % 2 == 0)
            for n in range(1, 15)]  # fmt: skip
    with Ledger.open(tmp_path / "l.sqlite3") as book:
        batch = book.record_batch({"id": "big"}, rows)
        assert on_disk(book, "SELECT first_record, rows FROM row_blocks ORDER BY 1") == [
            (1, 4), (5, 4), (9, 4), (13, 2)
        ]  # fmt: skip
        assert [r.record_number for r in book.batch_rows(batch)] == list(range(1, 15))
        assert [r.order_id for r in book.rows_at(batch, [6, 13]).values()] == [
            rows[5][0], rows[12][0]
        ]  # fmt: skip
        assert book.confirm(batch) == 14
        assert [r.state for r in book.batch_rows(batch)] == ["confirmed"] * 14


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE row_blocks SET lines = CAST('111-0000001-0000001' || char(10) AS BLOB)",
        "UPDATE row_blocks SET lines = x'ff0a'",
        "UPDATE row_blocks SET rows = 5",
        "UPDATE row_blocks SET listings = x'0700000007000000'",
        "UPDATE row_blocks SET flags = x'01'",
    ],
)
def test_a_damaged_block_is_a_damaged_ledger_not_a_crash(damage, tmp_path):
    rows = [("111-0000001-0000001", "5", "NoInventory", "MUG", None, True)] * 2
    path = tmp_path / "l.sqlite3"
    with Ledger.open(path) as book:
        book.record_batch({"id": "p1"}, rows)
    with sqlite3.connect(path) as db:
        db.execute(damage)
    db.close()
    with Ledger.open(path) as book:
        asks = [lambda: book.batch_rows("p1"), lambda: book.confirm("p1")]
        if "lines" in damage or "rows" in damage:  # what reads only the order ids sees it too
            asks += [
                lambda: book.known(["111-0000001-0000001"]),
                lambda: book.record_batch({"id": "p2"}, rows),
            ]
        for ask in asks:
            with pytest.raises(LedgerError, match="damaged row block of batch p1"):
                ask()
        assert book.batch("p1").states["generated"] in (2, 5)  # nothing changed
