"""The cancellation ledger: every generated batch and each of its rows, in SQLite.

A seller cancels in many batches over weeks; the ledger answers what one batch cannot:
which orders were already cancelled (never cancel twice), how many counting cancellations
fall in the metric window, and which listings were cancelled in the last 30 days.

Every change is one transaction (`BEGIN IMMEDIATE` ... `COMMIT`), so a batch is either
recorded completely or not at all, whatever kills the process; WAL and a busy timeout let
several cancelkit runs share one ledger.

Row states: `generated` (in an upload file) -> `confirmed` (Amazon processed it) or
`failed` (Amazon reported an error for it) or `unconfirmed` (a processing report was given
but it did not say unambiguously what happened: an unknown word, counts that disagree with
its rows, a record number that is not exactly a row; see ledger/reconcile.py). A `generated`
row becomes `superseded` when another batch that cancels the same order item (or the same
order as a whole) is recorded later or confirmed, so regenerating after a fix is never
blocked. Only `confirmed` rows count in the rate and the listing figures.

Schema 4 adds the final refusals Amazon gave (`refusals`: an order whose status does not
allow cancellation, flagged when a later batch holds it again) and the processing reports
applied (`reconciled_reports`, so that the same report reconciled twice changes nothing).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import chain, count, islice
from typing import Any, cast

from ..errors import LedgerError
from ..version import __version__
from . import blocks
from .lookups import Lookups
from .schema import (
    _BATCH_COLUMNS,
    _META_KEYS,
    _OPEN_ROWS,
    _ROWS_PER_INSERT,
    STATES,
    Row,
    _chunks,
    _insert_sql,
    _settle,
    batch_stamp,
)
from .submissions import Submissions
from .values import BatchRow, BatchSummary, _file_sha256, _iso, _utc, _window
from .windows import rebuild_window_figures, window_figures_kept


def _replace_refusals(
    db: sqlite3.Connection, batch_id: str, refused: Mapping[int, tuple[str, str]], now: str
) -> None:
    """The batch's final refusals become these (record number -> code, message)."""
    db.execute("DELETE FROM refusals WHERE batch_id = ?", (batch_id,))
    if not refused:
        return
    db.executemany(
        "INSERT INTO refusals (batch_id, record_number, order_id, item_code, code, message, "
        "recorded_at) SELECT batch_id, record_number, order_id, item_code, ?, ?, ? "
        "FROM batch_rows WHERE batch_id = ? AND record_number = ?",
        ((code, message, now, batch_id, n) for n, (code, message) in refused.items()),
    )


def _record_report(db: sqlite3.Connection, batch_id: str, report: Mapping, now: str) -> None:
    """Remember a processing report applied to the batch (by the SHA-256 of its bytes)."""
    db.execute(
        "INSERT OR REPLACE INTO reconciled_reports (sha256, batch_id, path, reconciled_at, "
        "outcome) VALUES (?, ?, ?, ?, ?)",
        (
            report["sha256"],
            batch_id,
            report.get("path"),
            now,
            json.dumps(report.get("outcome") or {}, sort_keys=True, default=str),
        ),
    )


# -- time ---------------------------------------------------------------------------------


class Ledger(Lookups, Submissions):
    """An open ledger. Use `Ledger.open(path)`, ideally as a context manager."""

    # -- recording --------------------------------------------------------------------------
    def record_batch(self, meta: Mapping, rows: Iterable[Row] | blocks.Packed) -> str:
        """Record a generated batch and its rows in file order; returns the batch id.

        `meta`: `created_at` (datetime or ISO text; default now), `marketplace`, `options`
        (dict), `inputs` (list of {path, sha256, rows}), `flat_file` and `flat_file_sha256`
        (computed from the file when not given), `tool_version`, `id` (default: the batch
        time and four random hex digits). `rows`: `(order_id, item_code or None, reason or
        None, sku or None, asin or None, counts_against_rate)`, record 1 first, or rows
        already packed (`blocks.Packed`). The rows are kept packed until one of them first
        changes state (ledger/blocks.py); a cell holding a tab or a line break is refused.

        One transaction: earlier `generated` rows of the same order item, or of the same
        order where either row is a whole-order row, become `superseded`.
        """
        unknown = set(meta) - _META_KEYS
        if unknown:
            raise ValueError(f"unknown batch fields: {', '.join(sorted(unknown))}")
        created = _utc(meta.get("created_at"))
        created_at = _iso(created)
        flat_file = meta.get("flat_file")
        flat_sha = meta.get("flat_file_sha256")
        if flat_file and not flat_sha:
            flat_sha = _file_sha256(str(flat_file))
        tool_version = meta.get("tool_version", __version__)
        with self._write() as db:
            had_open = self._has_generated()
            batch_id = meta.get("id") or self._new_id(created)
            db.execute(
                "INSERT INTO batches (id, created_at, marketplace, tool_version, options, "
                "inputs, flat_file, flat_file_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    batch_id,
                    created_at,
                    meta.get("marketplace"),
                    tool_version,
                    json.dumps(meta.get("options") or {}, sort_keys=True, default=str),
                    json.dumps(meta.get("inputs") or [], default=str),
                    None if flat_file is None else os.path.abspath(flat_file),
                    flat_sha,
                ),
            )
            packed = rows if isinstance(rows, blocks.Packed) else blocks.pack_rows(rows)
            recorded = blocks.write(db, batch_id, packed)
            db.execute(
                "UPDATE batches SET rows = ?, has_open_rows = ? WHERE id = ?",
                (recorded, int(recorded > 0), batch_id),
            )
            if had_open:
                self._supersede(db, batch_id, ("generated",), created_at)
        return batch_id

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The changes made inside (`record_batch` ...) are one transaction: all or none.
        `generate` records the batches of a split or multi-marketplace upload so."""
        with self._write():
            yield

    def _new_id(self, created: dt.datetime) -> str:
        stamp = batch_stamp(created.astimezone())
        while True:
            candidate = f"{stamp}-{secrets.token_hex(2)}"
            taken = self._db.execute("SELECT 1 FROM batches WHERE id = ?", (candidate,))
            if taken.fetchone() is None:
                return candidate

    def _insert_rows(self, db: sqlite3.Connection, batch_id: str, rows: Iterable[Row]) -> int:
        numbered = map(tuple.__add__, zip(count(1)), map(tuple, rows))
        head = [batch_id]
        recorded = 0
        while True:
            chunk = list(islice(numbered, _ROWS_PER_INSERT))
            if len(chunk) < _ROWS_PER_INSERT:
                break
            db.execute(self._insert_many, head + list(chain.from_iterable(chunk)))
            recorded += len(chunk)
        if chunk:
            db.execute(_insert_sql(len(chunk)), head + list(chain.from_iterable(chunk)))
            recorded += len(chunk)
        return recorded

    def _has_generated(self) -> bool:
        found = self._db.execute(f"SELECT 1 {_OPEN_ROWS} LIMIT 1")
        if found.fetchone() is not None:
            return True
        return blocks.any_packed(self._db)

    def expand_batch(self, batch_id: str) -> bool:
        """Move a packed batch's rows into `batch_rows` now, in one transaction: what the
        first change of state of one of its rows does (ledger/blocks.py). False when the
        batch was not packed; nothing else changes either way."""
        with self._write() as db:
            return self._expand(db, self._require(batch_id).id)

    def _expand(self, db: sqlite3.Connection, batch_id: str) -> bool:
        """Before a change of state of the batch's rows: its packed rows into batch_rows
        (False: it was not packed)."""
        return blocks.expand(db, batch_id, lambda batch, rows: self._insert_rows(db, batch, rows))

    def _open_items(
        self, db: sqlite3.Connection, batch_id: str, source_states: tuple[str, ...]
    ) -> tuple[Iterable[tuple], int]:
        """This batch's (order id, item code) in `source_states`, and how many."""
        if "generated" in source_states and blocks.is_packed(db, batch_id):
            return blocks.order_items(db, batch_id), blocks.tally(db, batch_id)[0]
        states = ", ".join(f"'{s}'" for s in source_states)  # constants of this module
        mine = (
            f"SELECT order_id, item_code FROM batch_rows WHERE batch_id = ? AND state IN ({states})"
        )
        size = db.execute(f"SELECT count(*) FROM ({mine})", (batch_id,)).fetchone()[0]
        return (db.execute(mine, (batch_id,)) if size else ()), size

    def _others_open(self, db: sqlite3.Connection, batch_id: str) -> tuple[Iterable[tuple], int]:
        """(order id, item code, batch id, record number) of the `generated` rows of the
        other batches, expanded and packed, and how many."""
        theirs = (
            f"SELECT r.order_id, r.item_code, r.batch_id, r.record_number {_OPEN_ROWS} "
            "AND b.id != ?"
        )
        size = db.execute(f"SELECT count(*) FROM ({theirs})", (batch_id,)).fetchone()[0]
        packed = sorted(blocks.packed_batches(db) - {batch_id})
        size += sum(blocks.tally(db, other)[0] for other in packed)

        def packed_rows(other: str) -> Iterator[tuple]:
            for number, (order_id, item_code) in enumerate(blocks.order_items(db, other), 1):
                yield order_id, item_code, other, number

        rows = chain(db.execute(theirs, (batch_id,)), *map(packed_rows, packed))
        return rows, size

    def _supersede(
        self, db: sqlite3.Connection, batch_id: str, source_states: tuple[str, ...], now: str
    ) -> int:
        """Mark `generated` rows of other batches `superseded` where this batch's rows in
        `source_states` cancel the same order item, or the same order as a whole."""
        (mine, mine_size), (theirs, their_size) = (
            self._open_items(db, batch_id, source_states),
            self._others_open(db, batch_id),
        )
        if not (mine_size and their_size):
            return 0
        # No index on order_id (it would slow down every recorded row): hold the smaller
        # side in memory and stream the bigger one past it.
        items: dict[str, set[str | None]] = {}
        candidates: Iterable[tuple]
        if mine_size <= their_size:
            for order_id, item_code in mine:
                items.setdefault(order_id, set()).add(item_code)
            candidates = theirs
        else:
            candidates = list(theirs)
            wanted = {row[0] for row in candidates}
            for order_id, item_code in mine:
                if order_id in wanted:
                    items.setdefault(order_id, set()).add(item_code)
        replaced = []
        for order_id, item_code, other, number in candidates:
            found = items.get(order_id)
            if found and (item_code is None or None in found or item_code in found):
                replaced.append((now, other, number))
        for other in sorted({other for _, other, _ in replaced}):
            self._expand(db, other)  # packed: its rows are in batch_rows from here on
        db.executemany(
            "UPDATE batch_rows SET state = 'superseded', updated_at = ? "
            "WHERE batch_id = ? AND record_number = ?",
            replaced,
        )
        _settle(db, {other for _, other, _ in replaced})
        return len(replaced)

    # -- state changes ------------------------------------------------------------------------
    def confirm(self, batch_id: str) -> int:
        """Mark the batch's `generated` and `unconfirmed` rows `confirmed` (the seller
        uploaded the file and saw in Seller Central that Amazon processed it); returns how
        many rows changed. Failed and superseded rows stay as they are. The batch is named
        as for `batch` (its id, or a prefix only it has), here and in `apply_reconcile` and
        `leave_unconfirmed`."""
        now = _iso(_utc(None))
        with self._write() as db:
            batch_id = self._require(batch_id).id  # a prefix of its id: the batch itself
            self._expand(db, batch_id)
            with window_figures_kept(db, (batch_id,)):
                cursor = db.execute(
                    "UPDATE batch_rows SET state = 'confirmed', error_code = NULL, "
                    "error_message = NULL, updated_at = ? "
                    "WHERE batch_id = ? AND state IN ('generated', 'unconfirmed')",
                    (now, batch_id),
                )
            changed = cursor.rowcount
            _settle(db, {batch_id})
            if changed:
                self._supersede(db, batch_id, ("confirmed",), now)
        return changed

    def apply_reconcile(
        self,
        batch_id: str,
        failed: Mapping[int, tuple[str, str]],
        file_failed: bool,
        file_error: tuple[str, str] | None = None,
        warnings: Mapping[int, tuple[str, str]] | None = None,
        refused: Collection[int] = (),
        report: Mapping | None = None,
    ) -> dict[str, int]:
        """Apply Amazon's processing report to every row of the batch, whatever its state
        (the report is the authority): rows in `failed` (record number -> code, message)
        become `failed`, the rest `confirmed`; with `file_failed` every row fails with
        `file_error`. `warnings` are kept on confirmed rows. The failed records in `refused`
        are Amazon's final refusals (they replace the batch's earlier ones); `report`
        (`sha256`, `path`, `outcome`) records the report applied, in the same transaction.
        Returns the row counts."""
        now = _iso(_utc(None))
        with self._write() as db:
            batch = self._require(batch_id)
            batch_id, total = batch.id, batch.rows
            outside = [n for n in (*failed, *(warnings or ()), *refused) if not 1 <= n <= total]
            if outside:  # refused before the batch is expanded
                raise LedgerError(
                    f"batch {batch_id} has records 1..{total}; record {min(outside)} is not one",
                    code="record_not_in_batch",
                )
            self._expand(db, batch_id)
            with window_figures_kept(db, (batch_id,)):
                return self._apply_report(
                    db, batch_id, total, failed, file_failed, file_error, warnings, refused,
                    report, now,
                )  # fmt: skip

    def _apply_report(
        self,
        db: sqlite3.Connection,
        batch_id: str,
        total: int,
        failed: Mapping[int, tuple[str, str]],
        file_failed: bool,
        file_error: tuple[str, str] | None,
        warnings: Mapping[int, tuple[str, str]] | None,
        refused: Collection[int],
        report: Mapping | None,
        now: str,
    ) -> dict[str, int]:
        _replace_refusals(db, batch_id, {n: failed[n] for n in refused if n in failed}, now)
        if report is not None:
            _record_report(db, batch_id, report, now)
        if file_failed:
            code, message = file_error or ("file_rejected", "Amazon rejected the whole file")
            db.execute(
                "UPDATE batch_rows SET state = 'failed', error_code = ?, error_message = ?, "
                "updated_at = ? WHERE batch_id = ?",
                (code, message, now, batch_id),
            )
            _settle(db, {batch_id})
            return {"confirmed": 0, "failed": total}
        db.execute(
            "UPDATE batch_rows SET state = 'confirmed', error_code = NULL, "
            "error_message = NULL, updated_at = ? WHERE batch_id = ?",
            (now, batch_id),
        )
        update = (
            "UPDATE batch_rows SET state = ?, error_code = ?, error_message = ? "
            "WHERE batch_id = ? AND record_number = ?"
        )
        db.executemany(
            update,
            (("confirmed", c, m, batch_id, n) for n, (c, m) in (warnings or {}).items()),
        )
        db.executemany(update, (("failed", c, m, batch_id, n) for n, (c, m) in failed.items()))
        _settle(db, {batch_id})
        self._supersede(db, batch_id, ("confirmed",), now)
        return {"confirmed": total - len(failed), "failed": len(failed)}

    def leave_unconfirmed(
        self, batch_id: str, code: str, message: str, report: Mapping | None = None
    ) -> int:
        """A processing report that does not say clearly what Amazon did: the batch's
        `generated` rows become `unconfirmed` (not confirmed, not failed: they never count
        in the rate), with `code` and `message`; confirmed, failed and superseded rows stay.
        `report` is recorded as for `apply_reconcile`. Returns how many rows changed."""
        now = _iso(_utc(None))
        with self._write() as db:
            batch_id = self._require(batch_id).id
            self._expand(db, batch_id)
            cursor = db.execute(
                "UPDATE batch_rows SET state = 'unconfirmed', error_code = ?, error_message = ?, "
                "updated_at = ? WHERE batch_id = ? AND state IN ('generated', 'unconfirmed')",
                (code, message, now, batch_id),
            )
            changed = cursor.rowcount
            _settle(db, {batch_id})
            if report is not None:
                _record_report(db, batch_id, report, now)
        return changed

    def reconciled_report(self, sha256: str, batch_id: str) -> dict | None:
        """When a report with this SHA-256 was applied to the batch: `{reconciled_at, path,
        outcome, later}` (`later`: another report was applied to the batch after it), or
        None."""
        with self._errors():
            row = self._db.execute(
                "SELECT reconciled_at, path, outcome, rowid FROM reconciled_reports "
                "WHERE sha256 = ? AND batch_id = ?",
                (sha256, batch_id),
            ).fetchone()
            if row is None:
                return None
            later = self._db.execute(
                "SELECT 1 FROM reconciled_reports WHERE batch_id = ? AND rowid > ? LIMIT 1",
                (batch_id, row[3]),
            ).fetchone()
        return {
            "reconciled_at": row[0],
            "path": row[1],
            "outcome": self._json(batch_id, "reconciled report", row[2]),
            "later": later is not None,
        }

    def batches_of_report(self, sha256: str) -> list[str]:
        """The batches a report with this SHA-256 was applied to."""
        with self._errors():
            rows = self._db.execute(
                "SELECT batch_id FROM reconciled_reports WHERE sha256 = ? ORDER BY batch_id",
                (sha256,),
            ).fetchall()
        return [row[0] for row in rows]

    def batches_awaiting_report(self) -> list[BatchSummary]:
        """The batches with rows still `generated` or `unconfirmed`, newest first: those
        a processing report or a `confirm` may be meant for."""
        return self._summaries(
            "WHERE b.has_open_rows OR b.id IN (SELECT batch_id FROM batch_rows "
            "INDEXED BY batch_rows_unconfirmed WHERE state = 'unconfirmed')",
            (),
        )

    def batches(
        self, days: float | None = None, now: dt.datetime | str | None = None
    ) -> list[BatchSummary]:
        """The batches, newest first; only those of the last `days` days when given."""
        where, params = "", cast(tuple[str, ...], ())
        if days is not None:
            start, end = _window(now, days)
            where, params = "WHERE b.created_at > ? AND b.created_at <= ?", (start, end)
        return self._summaries(where, params, orders=True)

    def newest_batch(self) -> BatchSummary | None:
        """The most recently created batch, or None in an empty ledger."""
        found = self._summaries("", (), limit=1)
        return found[0] if found else None

    def batch(self, batch_id: str) -> BatchSummary:
        """One batch by its id, or by a prefix of its id that only it has."""
        return self._require(batch_id)

    def resolve_batch(self, batch_id: str | None) -> BatchSummary:
        """The named batch (see `batch`), or the newest one when None."""
        if batch_id:
            return self._require(batch_id)
        newest = self.newest_batch()
        if newest is None:
            raise LedgerError(
                f"the ledger {self.path} has no batches yet; `cancelkit generate` records them",
                code="ledger_empty",
            )
        return newest

    def _require(self, batch_id: str) -> BatchSummary:
        with self._errors():
            found = self._summaries("WHERE b.id = ?", (batch_id,))
            if not found:
                pattern = batch_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                found = self._summaries("WHERE b.id LIKE ? ESCAPE '\\'", (pattern + "%",), 2)
        if len(found) == 1:
            return found[0]
        if found:
            raise LedgerError(
                f"batch '{batch_id}' is ambiguous; give more of its id", code="batch_ambiguous"
            )
        raise LedgerError(
            f"no batch '{batch_id}' in the ledger {self.path}; `cancelkit history` lists them",
            code="batch_not_found",
        )

    def _summaries(
        self, where: str, params: tuple, limit: int | None = None, orders: bool = False
    ) -> list:
        """Batch summaries; with `orders`, the distinct confirmed counting orders too (a
        scan of the batch's confirmed rows: `history` asks for it, look-ups do not). One
        read transaction: a batch expanded meanwhile is counted once, packed or not."""
        with self._reading(), self._errors():
            batches = self._db.execute(
                f"SELECT {_BATCH_COLUMNS} FROM batches b {where} "
                f"ORDER BY b.created_at DESC, b.rowid DESC"
                + (f" LIMIT {int(limit)}" if limit else ""),
                params,
            ).fetchall()
            summaries = []
            for row in batches:
                states = dict.fromkeys(STATES, 0)
                counting = 0
                tally = self._db.execute(
                    "SELECT state, count(*), total(counts_against_rate) FROM batch_rows "
                    "WHERE batch_id = ? GROUP BY state",
                    (row[0],),
                )
                counted_by_state = {}
                for state, number, counted in tally:
                    states[state] = number
                    counting += int(counted)
                    counted_by_state[state] = int(counted)
                packed, packed_counting = blocks.tally(self._db, row[0])
                if packed:  # a packed batch's rows are all generated
                    states["generated"] += packed
                    counting += packed_counting
                    counted_by_state["generated"] = packed_counting
                confirmed_counting = counted_by_state.get("confirmed", 0)
                summaries.append(
                    BatchSummary(
                        id=row[0],
                        created_at=row[1],
                        marketplace=row[2],
                        tool_version=row[3],
                        options=self._json(row[0], "options", row[4]),
                        inputs=self._json(row[0], "inputs", row[5]),
                        flat_file=row[6],
                        flat_file_sha256=row[7],
                        rows=row[8],
                        states=states,
                        counts_against_rate=counting,
                        confirmed_counting_rows=confirmed_counting,
                        confirmed_counting_orders=(
                            self._confirmed_counting_orders(row[0])
                            if orders and confirmed_counting
                            else 0
                        ),
                        awaiting_counting_rows=counted_by_state.get("generated", 0)
                        + counted_by_state.get("unconfirmed", 0),
                    )
                )
        return summaries

    def _confirmed_counting_orders(self, batch_id: str) -> int:
        """Distinct orders among the batch's confirmed rows that count against the rate."""
        return self._db.execute(
            "SELECT count(DISTINCT order_id) FROM batch_rows WHERE batch_id = ? "
            "AND state = 'confirmed' AND counts_against_rate",
            (batch_id,),
        ).fetchone()[0]

    def _json(self, batch_id: str, column: str, text: str) -> Any:
        try:
            return json.loads(text)
        except (TypeError, ValueError) as exc:
            raise LedgerError(
                f"{self.path}: damaged ledger: batch {batch_id} has unreadable {column} ({exc})",
                code="ledger_damaged",
            ) from exc

    def batch_rows(self, batch_id: str) -> list[BatchRow]:
        """The batch's rows in file order (record 1 first)."""
        with self._reading():
            return list(self._rows(batch_id))

    def rows_at(self, batch_id: str, record_numbers: Iterable[int]) -> dict[int, BatchRow]:
        """The batch's rows with these record numbers (absent numbers are left out)."""
        numbers = sorted(set(record_numbers))
        with self._reading():
            return {row.record_number: row for row in self._rows(batch_id, numbers)}

    def _rows(self, batch_id: str, numbers: list[int] | None = None) -> Iterator[BatchRow]:
        """The batch's rows in file order; with `numbers` (sorted), only those records (a
        packed batch: one pass over its blocks)."""
        if numbers is not None and not numbers:
            return
        with self._errors():
            if blocks.is_packed(self._db, batch_id):
                wanted = None if numbers is None else set(numbers)
                for number, row in blocks.rows(self._db, batch_id):
                    if wanted is None or number in wanted:
                        yield BatchRow(number, *row, "generated", None, None, None)
                return
            for part in [()] if numbers is None else _chunks(numbers):
                where = f"AND record_number IN ({', '.join('?' * len(part))})" if part else ""
                for row in self._db.execute(
                    "SELECT record_number, order_id, item_code, reason, sku, asin, "
                    "counts_against_rate, state, error_code, error_message, updated_at "
                    f"FROM batch_rows WHERE batch_id = ? {where} ORDER BY record_number",
                    (batch_id, *part),
                ):
                    yield BatchRow(*(row[:6] + (bool(row[6]),) + row[7:]))

    def rebuild_window_figures(self) -> None:
        """Build the window figures of every batch again from its rows, in one transaction
        (what the migration to schema 5 does once). The figures kept as batches are
        confirmed and reconciled are the ones this gives: a rebuild changes nothing in a
        sound ledger, which is how a test or a repair checks them."""
        with self._write() as db:
            rebuild_window_figures(db)

    def integrity_check(self) -> str:
        """SQLite's own check of the file: 'ok' when it is sound."""
        with self._errors():
            return "\n".join(row[0] for row in self._db.execute("PRAGMA integrity_check"))
