"""The window figures kept as batches are confirmed and reconciled (schema 4, issue 21) give
exactly what the queries over every row of the window gave: those queries are kept here as
the oracle, and random ledgers (batches, confirms, reconciles, marketplaces, times on and
around the window edges, orders shared between batches) must answer alike."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import tempfile
from pathlib import Path

import pytest
from conftest import on_disk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cancelkit.ledger import lookups, windows
from cancelkit.ledger.store import Ledger

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)


# -- the oracle: the queries of schema 3, over every row of the window ----------------------


def bounds(now: dt.datetime, days: float) -> tuple[str, str]:
    """A window's (start, end] as the ledger stores times: UTC, whole seconds, ISO text."""
    end = now.astimezone(dt.timezone.utc).replace(microsecond=0)
    return tuple(t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (end - dt.timedelta(days=days), end))


def old_seller_cancels(db: sqlite3.Connection, now, days, marketplace=None) -> int:
    start, end = bounds(now, days)
    market = "" if marketplace is None else " AND b.marketplace = ?"
    return db.execute(
        "SELECT count(DISTINCT r.order_id) "
        "FROM batches b CROSS JOIN batch_rows r ON r.batch_id = b.id "
        "WHERE b.created_at > ? AND b.created_at <= ? AND r.state = 'confirmed' "
        f"AND r.counts_against_rate{market}",
        (start, end) if marketplace is None else (start, end, marketplace),
    ).fetchone()[0]


def old_listing_cancellations(db: sqlite3.Connection, now, days=30, listed=20) -> dict:
    start, end = bounds(now, days)
    orders: dict[str, dict[str, None]] = {}
    rows = db.execute(
        "SELECT coalesce(r.sku, r.asin), r.order_id "
        "FROM batches b CROSS JOIN batch_rows r ON r.batch_id = b.id "
        "WHERE b.created_at > ? AND b.created_at <= ? AND r.state = 'confirmed' "
        "AND r.counts_against_rate AND coalesce(r.sku, r.asin) IS NOT NULL "
        "ORDER BY b.created_at, b.rowid, r.record_number",
        (start, end),
    )
    for listing, order_id in rows:
        orders.setdefault(listing, {})[order_id] = None
    return {listing: (len(found), list(found)[:listed]) for listing, found in orders.items()}


# -- random ledgers ------------------------------------------------------------------------

ORDERS = [f"{100 + n}-0000000-{n:07d}" for n in range(9)]
#: batch times around the edges of the 7- and 30-day windows of NOW and of NOW - 3 days
EDGES = [
    NOW - dt.timedelta(days=d, seconds=s) for d in (0, 3, 7, 10, 30, 33) for s in (-1, 0, 1)
] + [NOW - dt.timedelta(days=d) for d in (1, 5, 20, 40)]
NOWS = [NOW, NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=3, seconds=1)]

row_strategy = st.tuples(
    st.sampled_from(ORDERS),
    st.sampled_from([None, "10", "11", "12"]),
    st.sampled_from([None, "MUG", "POT", "CUP"]),
    st.sampled_from([None, "B0ASIN", "B0OTHER"]),
    st.booleans(),
)
batch_strategy = st.fixed_dictionaries(
    {
        "at": st.sampled_from(EDGES),
        "market": st.sampled_from([None, "DE", "FR"]),
        "rows": st.lists(row_strategy, min_size=0, max_size=8),
        # what happens to it: nothing, confirm, reconcile (some rows failed), file failed,
        # an unclear report (rows unconfirmed, confirmed later by "confirm"),
        # and then maybe a second reconcile that confirms again or fails rows
        "action": st.sampled_from(["none", "confirm", "reconcile", "file_failed", "unclear"]),
        "failed": st.sets(st.integers(1, 8), max_size=4),
        "again": st.sampled_from([None, "confirm", "reconcile_all", "fail_first"]),
    }
)


def build(path: Path, batches: list[dict]) -> Ledger:
    book = Ledger.open(path)
    ids = []
    for number, batch in enumerate(batches):
        rows = [
            (order, item, "NoInventory" if item else None, sku, asin, counts)
            for order, item, sku, asin, counts in batch["rows"]
        ]
        batch_id = book.record_batch(
            {"id": f"b{number:02d}", "created_at": batch["at"], "marketplace": batch["market"]},
            rows,
        )
        ids.append(batch_id)
        total = len(rows)
        failed = {n: ("18004", "no") for n in batch["failed"] if n <= total}
        if batch["action"] == "confirm":
            book.confirm(batch_id)
        elif batch["action"] == "reconcile":
            book.apply_reconcile(batch_id, failed, False)
        elif batch["action"] == "file_failed":
            book.apply_reconcile(batch_id, {}, True)
        elif batch["action"] == "unclear":  # an unclear report: rows left unconfirmed
            book.leave_unconfirmed(batch_id, "unclear_report", "unclear")
    for batch_id, batch in zip(ids, batches):  # later changes of earlier batches
        total = len(batch["rows"])
        if batch["again"] == "confirm":
            book.confirm(batch_id)
        elif batch["again"] == "reconcile_all":
            book.apply_reconcile(batch_id, {}, False)
        elif batch["again"] == "fail_first" and total:
            book.apply_reconcile(batch_id, {1: ("18004", "no")}, False)
    return book


def assert_same_answers(book: Ledger) -> None:
    with contextlib.closing(sqlite3.connect(book.path)) as db:  # the test's own connection
        _assert_same_answers(book, db)


def _assert_same_answers(book: Ledger, db: sqlite3.Connection) -> None:
    for now in NOWS:
        for days in (7, 30, 2.5):
            for market in (None, "DE", "FR", "XX"):
                assert book.seller_cancels_in_window(now, days, market) == old_seller_cancels(
                    db, now, days, market
                ), (now, days, market)
            for listed in (1, 2, 3, 20):
                assert book.listing_cancellations(now, days, listed) == old_listing_cancellations(
                    db, now, days, listed
                ), (now, days, listed)
                # the same listings in the same order as before
                assert list(book.listing_cancellations(now, days, listed)) == list(
                    old_listing_cancellations(db, now, days, listed)
                )


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(batch_strategy, min_size=1, max_size=7))
def test_window_figures_answer_as_the_queries_over_every_row(batches):
    # two first order ids per listing kept, so the lists overflow often in small ledgers
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(windows, "LISTED_ORDERS", 2)
        patch.setattr(lookups, "LISTED_ORDERS", 2)
        book = build(Path(folder) / "ledger.sqlite3", batches)
        try:
            assert_same_answers(book)
            # and the migration builds the same figures from the rows
            book.rebuild_window_figures()
            assert_same_answers(book)
        finally:
            book.close()


def test_an_order_confirmed_in_two_batches_counts_once_and_a_failed_row_leaves(tmp_path):
    with Ledger.open(tmp_path / "ledger.sqlite3") as book:
        first = book.record_batch(
            {"created_at": NOW - dt.timedelta(days=2), "marketplace": "DE"},
            [(ORDERS[0], "10", "NoInventory", "MUG", None, True)],
        )
        book.confirm(first)
        second = book.record_batch(
            {"created_at": NOW - dt.timedelta(days=1), "marketplace": "DE"},
            [
                (ORDERS[0], "11", "NoInventory", "MUG", None, True),
                (ORDERS[1], "12", "NoInventory", "MUG", None, True),
            ],
        )
        book.confirm(second)
        assert book.seller_cancels_in_window(NOW, 7) == 2
        assert book.seller_cancels_in_window(NOW, 7, "DE") == 2
        assert book.listing_cancellations(NOW, 7) == {"MUG": (2, [ORDERS[0], ORDERS[1]])}
        # the window that ends before the second batch still counts the first
        assert book.seller_cancels_in_window(NOW - dt.timedelta(days=1, seconds=1), 7) == 1
        # Amazon's report says the second batch's rows failed: they leave the figures
        book.apply_reconcile(second, {1: ("18004", "x"), 2: ("18004", "x")}, False)
        assert book.seller_cancels_in_window(NOW, 7) == 1
        assert book.listing_cancellations(NOW, 7) == {"MUG": (1, [ORDERS[0]])}
        assert book.seller_cancels_in_window(NOW, 1.5) == 0
        assert book.listing_cancellations(NOW, 1.5) == {}
        rows = on_disk(
            book, "SELECT batch_id, orders, market_orders FROM window_orders ORDER BY batch_id"
        )
        assert sorted(rows) == sorted([(first, 1, 1), (second, 0, 0)])


def test_a_window_reads_its_batches_aggregates_not_its_rows(tmp_path):
    """The query plan: the batches of the window by their created_at index, then one
    aggregate row per batch (no scan of batch_rows)."""
    with Ledger.open(tmp_path / "ledger.sqlite3") as book:
        start, end = bounds(NOW, 7)
        plan = on_disk(
            book,
            "EXPLAIN QUERY PLAN SELECT total(w.orders) FROM batches b CROSS JOIN window_orders w "
            "ON w.batch_id = b.id WHERE b.created_at > ? AND b.created_at <= ?",
            (start, end),
        )
        text = " | ".join(row[-1] for row in plan)
        assert "batches_created_at" in text and "batch_rows" not in text
