"""What the ledger knows about orders: the rows a new batch meets, and the window figures."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator
from itertools import chain

from . import blocks
from .connection import LedgerBase
from .schema import _CONFIRMED_ROWS, _OPEN_ROWS, LISTED_ORDERS, _chunks
from .values import KnownRows, _window
from .windows import _COUNTING


class Lookups(LedgerBase):
    #: whether any batch has `generated` rows (store.py)
    _has_generated: Callable[[], bool]

    # -- reading ----------------------------------------------------------------------------
    def known(self, order_ids: Collection[str] | None = None) -> KnownRows:
        """The `confirmed` and `generated` rows of these orders (all orders when None), for
        `check_row`: `(order_id, item_code or None) -> (state, batch_id, created_at)`.

        With `order_ids`, only those orders are looked up, in chunks through indexes (the
        confirmed rows' index, and a temporary indexed copy of the rows of open batches):
        nothing in proportion to the history is read into memory. One read transaction:
        another run's commit meanwhile is seen whole or not at all."""
        with self._reading():
            return self._known(order_ids)

    def _known(self, order_ids: Collection[str] | None) -> KnownRows:
        found = KnownRows()
        if order_ids is None:
            with self._errors():
                self._collect_generated(found, None)
                self._collect_unconfirmed(found, None)
                self._collect_refused(found, None)
                self._collect_confirmed(found, None)
            return found
        wanted = list(dict.fromkeys(order_ids))
        if not wanted:
            return found
        with self._errors():
            if self._open_rows_ready():
                self._collect_generated(found, wanted)
            if self._reconcile_facts_ready():
                self._collect_unconfirmed(found, wanted)
                self._collect_refused(found, wanted)
            self._collect_confirmed(found, wanted)
        return found

    def _reconcile_facts_ready(self) -> bool:
        """`_has_reconcile_facts`, asked again only when the ledger changed: a ledger
        without unconfirmed rows or refusals costs a run's look-ups nothing."""
        db = self._db
        version = (db.execute("PRAGMA data_version").fetchone()[0], db.total_changes)
        if version != self._facts_version:
            self._facts_any = self._has_reconcile_facts()
            self._facts_version = version
        return self._facts_any

    def has_known(self) -> bool:
        """Whether any row is `confirmed`, `unconfirmed` or `generated`, or any order was
        refused by Amazon (index probes and the flags, in one read transaction)."""
        with self._reading(), self._errors():
            confirmed = self._db.execute(f"SELECT 1 FROM batch_rows {_CONFIRMED_ROWS} LIMIT 1")
            if confirmed.fetchone() is not None or self._has_generated():
                return True
            return self._has_reconcile_facts()

    def _has_reconcile_facts(self) -> bool:
        """Whether a row is `unconfirmed` or an order refused (two index probes)."""
        unconfirmed = self._db.execute(
            "SELECT 1 FROM batch_rows INDEXED BY batch_rows_unconfirmed "
            "WHERE state = 'unconfirmed' LIMIT 1"
        )
        if unconfirmed.fetchone() is not None:
            return True
        return self._db.execute("SELECT 1 FROM refusals LIMIT 1").fetchone() is not None

    def _by_order_chunks(self, query: str, wanted: list[str] | None) -> Iterator[tuple]:
        """Rows of `query` (its `{}` takes an `AND r.order_id IN (...)`), for every order
        (None) or for these orders, in chunks."""
        if wanted is None:
            return iter(self._db.execute(query.format("")))
        return chain.from_iterable(
            self._db.execute(
                query.format(f"AND r.order_id IN ({', '.join('?' * len(part))})"), part
            )
            for part in _chunks(wanted)
        )

    def _collect_unconfirmed(self, found: KnownRows, wanted: list[str] | None) -> None:
        """Rows left `unconfirmed` by an unclear processing report, through their partial
        index; they win over `generated` rows (the newest batch last)."""
        query = (
            "SELECT r.order_id, r.item_code, r.batch_id, b.created_at "
            "FROM batch_rows r INDEXED BY batch_rows_unconfirmed "
            "JOIN batches b ON b.id = r.batch_id WHERE r.state = 'unconfirmed' {} "
            "ORDER BY b.created_at, b.rowid"
        )
        for order_id, item_code, batch_id, created_at in self._by_order_chunks(query, wanted):
            found[(order_id, item_code)] = ("unconfirmed", batch_id, created_at)

    def _collect_refused(self, found: KnownRows, wanted: list[str] | None) -> None:
        """Amazon's final refusals by order (their index); they win over unconfirmed and
        generated rows, the newest refusal last."""
        query = (
            "SELECT r.order_id, r.item_code, r.batch_id, b.created_at, r.code, r.message "
            "FROM refusals r JOIN batches b ON b.id = r.batch_id WHERE 1 {} "
            "ORDER BY b.created_at, b.rowid"
        )
        for order_id, item, batch_id, created_at, code, message in self._by_order_chunks(
            query, wanted
        ):
            found[(order_id, item)] = ("refused", batch_id, created_at)
            found.refusals[(order_id, item)] = (code, message or "")

    def _open_rows_ready(self) -> bool:
        """Copy the rows of open batches (state `generated`, oldest batch first) into an
        indexed temporary table, unless the copy is still current; False when there are
        none. Recording does not index rows by order (that would triple its cost), so the
        rows of open batches are indexed here, at C speed, once per change of the ledger."""
        db = self._db
        version = (db.execute("PRAGMA data_version").fetchone()[0], db.total_changes)
        if version == self._open_rows_version:
            return self._open_rows_any
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS open_rows (seq INTEGER PRIMARY KEY, "
            "order_id TEXT NOT NULL, item_code TEXT, batch_id TEXT NOT NULL, "
            "created_at TEXT NOT NULL)"
        )
        db.execute("CREATE INDEX IF NOT EXISTS temp.open_rows_order ON open_rows (order_id)")
        db.execute("DELETE FROM temp.open_rows")
        insert = "INSERT INTO temp.open_rows (order_id, item_code, batch_id, created_at) "
        if not blocks.any_packed(db):  # one statement, at C speed
            db.execute(
                f"{insert} SELECT r.order_id, r.item_code, r.batch_id, b.created_at "
                f"{_OPEN_ROWS} ORDER BY b.created_at, b.rowid, r.record_number"
            )
        else:  # batch by batch, oldest first: the packed ones from their blocks
            db.executemany(f"{insert} VALUES (?, ?, ?, ?)", self._every_generated())
        self._open_rows_any = bool(db.execute("SELECT 1 FROM temp.open_rows").fetchone())
        data_version = db.execute("PRAGMA data_version").fetchone()[0]
        self._open_rows_version = (data_version, db.total_changes)
        return self._open_rows_any

    def _open_batches(self) -> list[tuple[str, str]]:
        """(id, created_at) of the batches that may hold `generated` rows, oldest first."""
        return self._db.execute(
            "SELECT id, created_at FROM batches WHERE has_open_rows ORDER BY created_at, rowid"
        ).fetchall()

    def _every_generated(self) -> Iterator[tuple]:
        """(order id, item code, batch id, created at) of every `generated` row, the oldest
        batch first, each batch's in file order."""
        db = self._db
        packed = blocks.packed_batches(db)
        for batch_id, created_at in self._open_batches():
            if batch_id in packed:
                for order_id, item_code in blocks.order_items(db, batch_id):
                    yield order_id, item_code, batch_id, created_at
            else:
                yield from db.execute(
                    "SELECT order_id, item_code, batch_id, ? FROM batch_rows "
                    "WHERE batch_id = ? AND state = 'generated' ORDER BY record_number",
                    (created_at, batch_id),
                )

    def _collect_generated(self, found: KnownRows, wanted: list[str] | None) -> None:
        """Rows of open batches; the newest batch comes last, so that it wins."""
        rows: Iterable[tuple]
        if wanted is None:
            rows = self._every_generated()
        else:
            ordered = sorted(
                chain.from_iterable(
                    self._db.execute(
                        "SELECT seq, order_id, item_code, batch_id, created_at "
                        f"FROM temp.open_rows WHERE order_id IN ({', '.join('?' * len(part))})",
                        part,
                    )
                    for part in _chunks(wanted)
                )
            )
            rows = [row[1:] for row in ordered]
        for order_id, item_code, batch_id, created_at in rows:
            found[(order_id, item_code)] = ("generated", batch_id, created_at)

    def _collect_confirmed(self, found: KnownRows, wanted: list[str] | None) -> None:
        """Confirmed rows, through their index; the oldest confirmation wins."""
        query = (
            "SELECT r.order_id, r.item_code, r.batch_id, b.created_at "
            "FROM batch_rows r INDEXED BY batch_rows_confirmed "
            "JOIN batches b ON b.id = r.batch_id WHERE r.state = 'confirmed' {}"
        )
        chunks: Iterable[sqlite3.Cursor]
        if wanted is None:
            chunks = [self._db.execute(query.format(""))]
        else:
            chunks = (
                self._db.execute(
                    query.format(f"AND r.order_id IN ({', '.join('?' * len(part))})"), part
                )
                for part in _chunks(wanted)
            )
        for order_id, item_code, batch_id, created_at in chain.from_iterable(chunks):
            key = (order_id, item_code)
            prior = found.get(key)
            if prior is None or prior[0] != "confirmed" or created_at < prior[2]:
                found[key] = ("confirmed", batch_id, created_at)

    def seller_cancels_in_window(
        self, now: dt.datetime | str | None, days: float, marketplace: str | None = None
    ) -> int:
        """Distinct orders with a confirmed cancellation that counts against the rate, in
        batches created in the `days` days up to `now` (with `marketplace`: only batches
        recorded for that marketplace). Read from the window figures (`window_orders`):
        one row per batch of the window, whatever the batches hold."""
        start, end = _window(now, days)
        column = "w.orders" if marketplace is None else "w.market_orders"
        market = "" if marketplace is None else " AND b.marketplace = :market"
        params = {"start": start, "end": end, "market": marketplace}
        with self._errors():
            found = self._db.execute(
                f"SELECT total({column}) FROM batches b CROSS JOIN window_orders w "
                f"ON w.batch_id = b.id WHERE b.created_at > :start AND b.created_at <= :end"
                f"{market}",
                params,
            ).fetchone()[0]
            later = self._db.execute(
                f"SELECT 1 FROM batches b CROSS JOIN window_orders w ON w.batch_id = b.id "
                f"WHERE b.created_at > :end AND {column} > 0{market} LIMIT 1",
                params,
            ).fetchone()
            if later is not None:
                # orders newest confirmed after the window's end that it also holds
                found += self._db.execute(
                    "SELECT count(DISTINCT r.order_id) FROM batches b CROSS JOIN batch_rows r "
                    f"ON r.batch_id = b.id WHERE b.created_at > :end AND {_COUNTING}{market} "
                    "AND EXISTS (SELECT 1 FROM batch_rows o INDEXED BY batch_rows_confirmed "
                    "CROSS JOIN batches ob ON ob.id = o.batch_id WHERE o.order_id = r.order_id "
                    "AND o.state = 'confirmed' AND o.counts_against_rate "
                    "AND ob.created_at > :start AND ob.created_at <= :end"
                    f"{market.replace('b.', 'ob.')})",
                    params,
                ).fetchone()[0]
        return int(found)

    def listing_cancellations(
        self, now: dt.datetime | str | None, days: float = 30, listed: int = LISTED_ORDERS
    ) -> dict[str, tuple[int, list[str]]]:
        """Per listing (SKU, or ASIN without SKU): how many distinct orders had a confirmed
        counting cancellation in batches of the last `days` days, and the first `listed`
        of their order ids (oldest batch first). Read from the window figures
        (`window_listings`): one row per batch and listing of the window."""
        start, end = _window(now, days)
        params = {"start": start, "end": end}
        counts: dict[str, int] = {}
        orders: dict[str, dict[str, None]] = {}
        with self._errors():
            rows = self._db.execute(
                "SELECT w.listing, w.newest, w.first_orders, w.more_orders, b.id "
                "FROM batches b CROSS JOIN window_listings w ON w.batch_id = b.id "
                "WHERE b.created_at > :start AND b.created_at <= :end "
                "ORDER BY b.created_at, b.rowid, w.first_record",
                params,
            ).fetchall()
            for listing, newest, first_orders, more, batch_id in rows:
                found = orders.get(listing)
                if found is None:
                    found = orders[listing] = {}
                    counts[listing] = 0
                counts[listing] += newest
                if len(found) >= listed:
                    continue
                for order_id in json.loads(first_orders):
                    found[order_id] = None
                    if len(found) >= listed:
                        break
                else:
                    if more:  # the batch has more orders of the listing than it lists
                        self._more_orders(found, batch_id, listing, listed)
            later = self._db.execute(
                "SELECT 1 FROM batches b CROSS JOIN window_listings w ON w.batch_id = b.id "
                "WHERE b.created_at > :end AND w.newest > 0 LIMIT 1",
                params,
            ).fetchone()
            if later is not None:
                # (listing, order) pairs newest confirmed after the window's end that it holds
                for listing, number in self._db.execute(
                    "SELECT coalesce(r.sku, r.asin) AS listing, count(DISTINCT r.order_id) "
                    "FROM batches b CROSS JOIN batch_rows r ON r.batch_id = b.id "
                    f"WHERE b.created_at > :end AND {_COUNTING} AND listing IS NOT NULL "
                    "AND EXISTS (SELECT 1 FROM batch_rows o INDEXED BY batch_rows_confirmed "
                    "CROSS JOIN batches ob ON ob.id = o.batch_id WHERE o.order_id = r.order_id "
                    "AND o.state = 'confirmed' AND o.counts_against_rate "
                    "AND coalesce(o.sku, o.asin) = coalesce(r.sku, r.asin) "
                    "AND ob.created_at > :start AND ob.created_at <= :end) GROUP BY listing",
                    params,
                ):
                    counts[listing] += number
        return {listing: (counts[listing], list(found)) for listing, found in orders.items()}

    def _more_orders(
        self, found: dict[str, None], batch_id: str, listing: str, listed: int
    ) -> None:
        """Add the batch's further order ids of the listing, from its rows, up to `listed`."""
        rows = self._db.execute(
            "SELECT r.order_id FROM batch_rows r "
            f"WHERE r.batch_id = ? AND {_COUNTING} AND coalesce(r.sku, r.asin) = ? "
            "ORDER BY r.record_number",
            (batch_id, listing),
        )
        for (order_id,) in rows:
            found[order_id] = None
            if len(found) >= listed:
                return
