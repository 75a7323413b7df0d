"""The window figures of the ledger, kept as rows are confirmed (schema 5)."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain

from .schema import LISTED_ORDERS

# -- window figures -----------------------------------------------------------------------
# What `seller_cancels_in_window` and `listing_cancellations` answer is kept per batch as
# rows are confirmed (or stop being confirmed), so that a window costs its batches and
# listings, not its rows:
# - `window_orders`: per batch, the counting orders whose newest counting confirmation is in
#   that batch (`orders`: among all batches; `market_orders`: among the batches of its
#   marketplace), and its counting confirmed rows. A window up to now holds an order's
#   newest batch whenever it holds any of its batches, so the sum over the window's batches
#   is count(DISTINCT order_id); a window that ends before some batch adds, from their rows,
#   the orders of those later batches that also occur inside it.
# - `window_listings`: the same per batch and listing (SKU, or ASIN without SKU) for the
#   (listing, order) pairs, and each batch's first LISTED_ORDERS order ids of the listing.
# Per batch, not per day: a window starts and ends at a second, and a batch has one time.
# Every change of rows into or out of `confirmed` runs inside `window_figures_kept`.

#: the order of batches: newest wins (created_at, then the order they were recorded in)
_RANK = "b.created_at || printf('%015d', b.rowid)"
#: counting confirmed rows, as the window figures count them
_COUNTING = "r.state = 'confirmed' AND r.counts_against_rate"
#: a batch's counting confirmed rows with a listing, in file order
_LISTING_ROWS = (
    "SELECT coalesce(r.sku, r.asin), r.record_number, r.order_id FROM batch_rows r "
    f"WHERE r.batch_id = ? AND {_COUNTING} ORDER BY r.record_number"
)


@dataclass
class _Figures:
    """What the orders of the changed batches give each batch, as the rows are now."""

    #: batch -> [orders, market_orders] (see window_orders)
    orders: dict
    #: (batch, listing) -> (listing, order) pairs newest confirmed in that batch
    newest: dict
    #: of each changed batch: its counting confirmed rows, and per listing (first record,
    #: first order ids, 1 when it has more)
    counted: dict
    listings: dict


def _window_prepare(db: sqlite3.Connection, batch_ids: Collection[str], everything: bool) -> bool:
    """The temporary tables of a change: the changed batches (`wf_batches`) and the counting
    confirmed rows of other batches that share an order with them (`wf_other`); returns
    whether there are such rows."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS wf_batches (batch_id TEXT PRIMARY KEY)")
    for table in ("wf_other", "wf_occ"):
        db.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {table} (order_id TEXT, listing TEXT, "
            "batch_id TEXT, market TEXT, rank TEXT)"
        )
    db.execute("DELETE FROM temp.wf_batches")
    db.execute("DELETE FROM temp.wf_other")
    db.executemany(
        "INSERT OR IGNORE INTO temp.wf_batches (batch_id) VALUES (?)", ((b,) for b in batch_ids)
    )
    if everything:
        return False
    others = db.execute(
        "SELECT total(counted_rows) FROM window_orders "
        "WHERE batch_id NOT IN (SELECT batch_id FROM temp.wf_batches)"
    ).fetchone()[0]
    if not others:  # no other batch has a counting confirmed row: nothing to look up
        return False
    db.execute(
        "INSERT INTO temp.wf_other SELECT r.order_id, coalesce(r.sku, r.asin), r.batch_id, "
        f"b.marketplace, {_RANK} FROM (SELECT DISTINCT order_id FROM batch_rows "
        "WHERE batch_id IN (SELECT batch_id FROM temp.wf_batches)) t "
        "CROSS JOIN batch_rows r INDEXED BY batch_rows_confirmed ON r.order_id = t.order_id "
        f"JOIN batches b ON b.id = r.batch_id WHERE {_COUNTING} "
        "AND r.batch_id NOT IN (SELECT batch_id FROM temp.wf_batches)"
    )
    return db.execute("SELECT 1 FROM temp.wf_other LIMIT 1").fetchone() is not None


def _one_batch_figures(db: sqlite3.Connection, batch_id: str) -> _Figures:
    """The figures of a change of one batch that shares no order with another: one pass
    over its counting confirmed rows."""
    orders: set[str] = set()
    found: dict[str, list] = {}
    counted = 0
    for listing, number, order_id in db.execute(_LISTING_ROWS, (batch_id,)):
        counted += 1
        orders.add(order_id)
        if listing is None:
            continue
        entry = found.get(listing)
        if entry is None:
            found[listing] = [number, {order_id: None}, {order_id}]
        else:
            entry[2].add(order_id)
            if len(entry[1]) < LISTED_ORDERS:
                entry[1][order_id] = None
    return _Figures(
        orders={batch_id: [len(orders), len(orders)]} if orders else {},
        newest={(batch_id, listing): len(entry[2]) for listing, entry in found.items()},
        counted={batch_id: counted},
        listings={
            batch_id: {
                listing: (first, list(ids), int(len(every) > len(ids)))
                for listing, (first, ids, every) in found.items()
            }
        },
    )


def _listing_figures(db: sqlite3.Connection, batch_id: str) -> tuple[int, dict]:
    """A batch's counting confirmed rows, and per listing (first record, first order ids,
    1 when it has more)."""
    found: dict[str, list] = {}
    counted = 0
    for listing, number, order_id in db.execute(_LISTING_ROWS, (batch_id,)):
        counted += 1
        if listing is None:
            continue
        entry = found.get(listing)
        if entry is None:
            found[listing] = [number, {order_id: None}, 0]
        elif order_id not in entry[1]:
            if len(entry[1]) < LISTED_ORDERS:
                entry[1][order_id] = None
            else:
                entry[2] = 1
    return counted, {
        listing: (first, list(ids), more) for listing, (first, ids, more) in found.items()
    }


def _window_figures(db: sqlite3.Connection, batch_ids: Collection[str], shared: bool) -> _Figures:
    """What the orders of the changed batches give each batch, as the rows are now."""
    if not shared and len(batch_ids) == 1:
        return _one_batch_figures(db, next(iter(batch_ids)))
    db.execute("DELETE FROM temp.wf_occ")
    db.execute("INSERT INTO temp.wf_occ SELECT * FROM temp.wf_other")
    db.execute(
        "INSERT INTO temp.wf_occ SELECT r.order_id, coalesce(r.sku, r.asin), r.batch_id, "
        f"b.marketplace, {_RANK} FROM temp.wf_batches w CROSS JOIN batches b ON b.id = "
        f"w.batch_id CROSS JOIN batch_rows r ON r.batch_id = b.id WHERE {_COUNTING}"
    )
    orders: dict[str, list[int]] = {}
    # the bare batch_id of an aggregate query with one max() comes from the row of the max
    for column, group in ((0, "order_id"), (1, "order_id, market")):
        for batch_id, number in db.execute(
            "SELECT batch_id, count(*) FROM (SELECT batch_id, max(rank) FROM temp.wf_occ "
            f"GROUP BY {group}) GROUP BY batch_id"
        ):
            orders.setdefault(batch_id, [0, 0])[column] = number
    newest = {
        (batch_id, listing): number
        for batch_id, listing, number in db.execute(
            "SELECT batch_id, listing, count(*) FROM (SELECT batch_id, listing, max(rank) "
            "FROM temp.wf_occ WHERE listing IS NOT NULL GROUP BY listing, order_id) "
            "GROUP BY batch_id, listing"
        )
    }
    db.execute("DELETE FROM temp.wf_occ")
    counted, listings = {}, {}
    for batch_id in batch_ids:
        counted[batch_id], listings[batch_id] = _listing_figures(db, batch_id)
    return _Figures(orders, newest, counted, listings)


def _window_apply(
    db: sqlite3.Connection, batch_ids: Collection[str], before: _Figures, after: _Figures
) -> None:
    """Move the window figures from `before` to `after` (each of _window_figures): the
    counts of every batch that gains or loses orders, and the rows of the changed batches.
    (A changed batch's stored counts are what `before` gives it: every order they count
    is one of its own.)"""
    deltas: dict[str, list[int]] = {}
    for sign, found in ((-1, before.orders), (1, after.orders)):
        for batch_id, numbers in found.items():
            delta = deltas.setdefault(batch_id, [0, 0])
            delta[0] += sign * numbers[0]
            delta[1] += sign * numbers[1]
    db.executemany(
        "INSERT OR IGNORE INTO window_orders (batch_id, orders, market_orders, counted_rows) "
        "VALUES (?, 0, 0, 0)",
        ((b,) for b in chain(batch_ids, deltas)),
    )
    db.executemany(
        "UPDATE window_orders SET orders = orders + ?, market_orders = market_orders + ? "
        "WHERE batch_id = ?",
        ((d[0], d[1], b) for b, d in deltas.items() if any(d)),
    )
    db.executemany(
        "UPDATE window_orders SET counted_rows = ? WHERE batch_id = ?",
        ((after.counted.get(b, 0), b) for b in batch_ids),
    )
    mine = set(batch_ids)
    newest: dict[tuple[str, str], int] = {}
    for sign, found in ((-1, before.newest), (1, after.newest)):
        for key, number in found.items():
            if key[0] not in mine:
                newest[key] = newest.get(key, 0) + sign * number
    db.executemany(
        "UPDATE window_listings SET newest = newest + ? WHERE batch_id = ? AND listing = ?",
        ((n, b, listing) for (b, listing), n in newest.items() if n),
    )
    for batch_id in mine:
        db.execute("DELETE FROM window_listings WHERE batch_id = ?", (batch_id,))
        db.executemany(
            "INSERT INTO window_listings (batch_id, listing, first_record, newest, "
            "first_orders, more_orders) VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    batch_id,
                    listing,
                    first,
                    after.newest.get((batch_id, listing), 0),
                    json.dumps(ids),
                    more,
                )
                for listing, (first, ids, more) in after.listings.get(batch_id, {}).items()
            ),
        )


@contextmanager
def window_figures_kept(db: sqlite3.Connection, batch_ids: Collection[str]) -> Iterator[None]:
    """Wrap every change of rows of `batch_ids` into or out of state `confirmed`, inside the
    change's transaction: the window figures of these batches, and of the other batches that
    share an order with them, follow the change."""
    batch_ids = list(dict.fromkeys(batch_ids))
    shared = _window_prepare(db, batch_ids, everything=False)
    before = _window_figures(db, batch_ids, shared)
    yield
    _window_apply(db, batch_ids, before, _window_figures(db, batch_ids, shared))


def rebuild_window_figures(db: sqlite3.Connection) -> None:
    """Build the window figures of every batch of the ledger from their rows, inside the
    caller's transaction: what the schema 5 migration does, and what
    `Ledger.rebuild_window_figures` does to an open ledger."""
    batch_ids = [row[0] for row in db.execute("SELECT id FROM batches ORDER BY rowid")]
    db.execute("DELETE FROM window_orders")
    db.execute("DELETE FROM window_listings")
    _window_prepare(db, batch_ids, everything=True)
    nothing = _Figures({}, {}, {}, {})
    _window_apply(db, batch_ids, nothing, _window_figures(db, batch_ids, False))


def _progress(text: str) -> None:
    """A progress line of a long ledger step (the migration) on stderr."""
    print(f"cancelkit: ledger: {text}", file=sys.stderr, flush=True)
