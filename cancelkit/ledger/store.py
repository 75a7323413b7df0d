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
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from itertools import chain, count, islice
from pathlib import Path

from ..amazon import processing_codes
from ..errors import CancelkitError
from ..read.tables import file_sha256
from ..version import __version__

SCHEMA_VERSION = 5
STATES = ("generated", "confirmed", "failed", "unconfirmed", "superseded")
#: how long a run waits for another run's write transaction before giving up
BUSY_TIMEOUT_S = 30.0
#: order ids listed per listing by `listing_cancellations` (the count is always complete)
LISTED_ORDERS = 20

Row = tuple[str, "str | None", "str | None", "str | None", "str | None", bool]
Key = tuple[str, "str | None"]


class LedgerError(CancelkitError):
    """The ledger cannot be opened or used (not a ledger, newer schema, busy, no batch)."""

    code = "ledger_unusable"


def batch_stamp(when: dt.datetime) -> str:
    """The batch time as it appears in batch ids and output names."""
    return when.strftime("%Y%m%d-%H%M%S")


# -- schema -------------------------------------------------------------------------------


def _migrate_to_1(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    db.execute("INSERT INTO schema_version (version) VALUES (0)")
    db.execute(
        """CREATE TABLE batches (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,           -- UTC, 2026-11-26T08:00:00Z
            marketplace TEXT,
            tool_version TEXT,
            options TEXT NOT NULL DEFAULT '{}', -- JSON
            inputs TEXT NOT NULL DEFAULT '[]',  -- JSON: [{path, sha256, rows}]
            flat_file TEXT,
            flat_file_sha256 TEXT,
            rows INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX batches_created_at ON batches (created_at)")
    db.execute(
        """CREATE TABLE batch_rows (
            batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            record_number INTEGER NOT NULL,     -- 1 = first data row of the flat file
            order_id TEXT NOT NULL,
            item_code TEXT,                     -- NULL: the whole order
            reason TEXT,
            sku TEXT,
            asin TEXT,
            counts_against_rate INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'generated', -- one of STATES (a CHECK costs 25%)
            error_code TEXT,
            error_message TEXT,
            updated_at TEXT,                    -- NULL until the state first changes
            PRIMARY KEY (batch_id, record_number)
        ) WITHOUT ROWID"""
    )
    # Confirmed rows are looked up by order and counted per order; rows enter this index
    # when confirmed, so recording a big batch does not pay for a random-order index. It
    # covers those queries (the primary key columns are part of every index entry).
    db.execute(
        "CREATE INDEX batch_rows_confirmed ON batch_rows "
        "(order_id, item_code, counts_against_rate) WHERE state = 'confirmed'"
    )


def _migrate_submissions(db: sqlite3.Connection) -> None:
    """The `submissions` table: each attempt to send a batch through the SP-API Feeds API
    (see ledger/submit.py), so that a rerun resumes it and never sends the batch twice."""
    db.execute(
        """CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            marketplace TEXT NOT NULL,          -- code, e.g. DE
            marketplace_id TEXT NOT NULL,       -- Amazon's id, e.g. A1PA6795UKMFR9
            endpoint TEXT NOT NULL,             -- the API base URL used
            upload_sha256 TEXT NOT NULL,        -- of the bytes sent
            started_at TEXT NOT NULL,           -- UTC
            document_id TEXT,                   -- createFeedDocument's feedDocumentId
            intent_at TEXT,                     -- set just before createFeed is called
            feed_id TEXT,                       -- set as soon as createFeed answers
            status TEXT NOT NULL,               -- uploading, intent or Amazon's processingStatus
            result_document_id TEXT,
            result_path TEXT,                   -- the saved processing report
            finished TEXT,                      -- NULL while open; SUBMISSION_ENDS
            updated_at TEXT NOT NULL,
            message TEXT
        )"""
    )
    db.execute("CREATE INDEX submissions_batch ON submissions (batch_id, id)")


def _migrate_open_batches(db: sqlite3.Connection) -> None:
    """Mark the batches that may hold rows in state `generated` (`has_open_rows`), so that
    a run finds the rows of open batches without reading the history. A column of the
    batches, not an index of the rows: an index entry per recorded row cost a third more
    time to record (measured: 1.1-1.3 s for 1M rows) and 12-33 bytes a row. The flag may be
    set on a batch that has no open row left (a row superseded later), never missing."""
    db.execute("ALTER TABLE batches ADD COLUMN has_open_rows INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE batches SET has_open_rows = 1 WHERE id IN "
        "(SELECT DISTINCT batch_id FROM batch_rows WHERE state = 'generated')"
    )


def _migrate_reconcile_facts(db: sqlite3.Connection) -> None:
    """Schema 4, what reconcile knows beyond a row's state: rows left `unconfirmed` are
    found by order through a partial index (rows enter it only in that state, so recording
    pays nothing); `refusals` holds Amazon's final refusals (amazon/processing_codes.py,
    e.g. 18004) by order; `reconciled_reports` the SHA-256 of each report applied to a
    batch. Failed rows of older ledgers whose code is final become refusals."""
    db.execute(
        "CREATE INDEX batch_rows_unconfirmed ON batch_rows (order_id, item_code) "
        "WHERE state = 'unconfirmed'"
    )
    db.execute(
        """CREATE TABLE refusals (
            batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            record_number INTEGER NOT NULL,
            order_id TEXT NOT NULL,
            item_code TEXT,                     -- NULL: the whole order
            code TEXT NOT NULL,                 -- Amazon's error code, e.g. 18004
            message TEXT,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (batch_id, record_number)
        )"""
    )
    db.execute("CREATE INDEX refusals_order ON refusals (order_id)")
    db.execute(
        """CREATE TABLE reconciled_reports (
            sha256 TEXT NOT NULL,               -- of the report file's bytes
            batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            path TEXT,
            reconciled_at TEXT NOT NULL,        -- UTC
            outcome TEXT NOT NULL DEFAULT '{}', -- JSON: the counts it left
            PRIMARY KEY (sha256, batch_id)
        )"""
    )
    failed = db.execute(
        "SELECT batch_id, record_number, order_id, item_code, error_code, error_message, "
        "coalesce(updated_at, '') FROM batch_rows WHERE state = 'failed'"
    ).fetchall()
    db.executemany(
        "INSERT INTO refusals VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (*row[:4], _final_code(row[4]), row[5], row[6])
            for row in failed
            if _final_code(row[4]) is not None
        ),
    )


def _final_code(codes: str | None) -> str | None:
    """The first of a failed row's codes (space-separated) that Amazon means as final."""
    for code in (codes or "").split():
        if processing_codes.advice(code).action == processing_codes.FINAL:
            return code
    return None


def _migrate_window_figures(db: sqlite3.Connection) -> None:
    """The window figures kept as they are made (`window_orders`, `window_listings`; see
    "window figures" below), built once here from the confirmed rows of the ledger."""
    db.execute(
        """CREATE TABLE window_orders (
            batch_id TEXT PRIMARY KEY REFERENCES batches (id) ON DELETE CASCADE,
            orders INTEGER NOT NULL,        -- counting orders newest confirmed in this batch
            market_orders INTEGER NOT NULL, -- the same among its marketplace's batches
            counted_rows INTEGER NOT NULL   -- its counting confirmed rows
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE window_listings (
            batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            listing TEXT NOT NULL,          -- coalesce(sku, asin)
            first_record INTEGER NOT NULL,  -- its first counting confirmed row in the batch
            newest INTEGER NOT NULL,        -- its orders newest confirmed in this batch
            first_orders TEXT NOT NULL,     -- JSON: the batch's first LISTED_ORDERS order ids
            more_orders INTEGER NOT NULL,   -- 1: the batch has orders beyond first_orders
            PRIMARY KEY (batch_id, listing)
        ) WITHOUT ROWID"""
    )
    confirmed = db.execute(f"SELECT count(*) FROM batch_rows {_CONFIRMED_ROWS}").fetchone()[0]
    if not confirmed:
        return
    started = time.monotonic()
    _progress(f"building the window figures of {confirmed:,} confirmed rows (once) ...")
    batches = [row[0] for row in db.execute("SELECT id FROM batches ORDER BY rowid")]
    _window_rebuild(db, batches)
    _progress(f"window figures built in {time.monotonic() - started:.1f} s")


#: MIGRATIONS[n] takes a ledger from schema version n to n + 1
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_to_1,
    _migrate_submissions,
    _migrate_open_batches,
    _migrate_reconcile_facts,
    _migrate_window_figures,
)
assert len(MIGRATIONS) == SCHEMA_VERSION


# -- values -------------------------------------------------------------------------------

#: how a submission ended: its report was applied, Amazon cancelled the feed, Amazon
#: aborted it without a report (its outcome unknown: some, none or all rows may be cancelled),
#: it was dropped before createFeed, or Amazon refused createFeed
SUBMISSION_ENDS = (
    "reconciled",
    "cancelled",
    "fatal_no_report",
    "abandoned",
    # Amazon refused createFeed (a definite 4xx): no feed exists (ledger/submit.py)
    "refused",
)
_SUBMISSION_FIELDS = (
    "id, batch_id, marketplace, marketplace_id, endpoint, upload_sha256, started_at, "
    "document_id, intent_at, feed_id, status, result_document_id, result_path, finished, "
    "updated_at, message"
)
_SUBMISSION_UPDATES = frozenset(
    {"document_id", "intent_at", "feed_id", "status", "result_document_id", "result_path"}
    | {"finished", "message"}
)


@dataclass(frozen=True)
class Submission:
    """One attempt to send a batch through the SP-API (a row of `submissions`)."""

    id: int
    batch_id: str
    marketplace: str
    marketplace_id: str
    endpoint: str
    upload_sha256: str
    started_at: str
    document_id: str | None
    intent_at: str | None
    feed_id: str | None
    status: str
    result_document_id: str | None
    result_path: str | None
    finished: str | None
    updated_at: str
    message: str | None


@dataclass(frozen=True)
class BatchSummary:
    """One batch as `history` lists it: its facts and how many rows are in each state."""

    id: str
    created_at: str
    marketplace: str | None
    tool_version: str | None
    options: dict
    inputs: list
    flat_file: str | None
    flat_file_sha256: str | None
    rows: int
    states: dict[str, int]
    #: rows marked as counting against the rate, whatever their state (they count only once
    #: confirmed)
    counts_against_rate: int
    #: confirmed rows that count against the rate, and their distinct orders (the rate
    #: counts orders; filled in by `Ledger.batches`, the listing of `history`)
    confirmed_counting_rows: int = 0
    confirmed_counting_orders: int = 0
    #: counting rows still `generated` or `unconfirmed`: they count once confirmed
    awaiting_counting_rows: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BatchRow:
    record_number: int
    order_id: str
    item_code: str | None
    reason: str | None
    sku: str | None
    asin: str | None
    counts_against_rate: bool
    state: str
    error_code: str | None
    error_message: str | None
    updated_at: str | None  # None until the state first changed


class KnownRows(dict):
    """`(order_id, item_code or None) -> (state, batch_id, created_at)` of the rows that
    are `confirmed`, refused by Amazon as final (state `refused`), `unconfirmed` or
    `generated`; when several exist the first of these wins. `refusals` holds Amazon's code
    and message of each refused key."""

    _by_order: dict[str, list[Key]] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.refusals: dict[Key, tuple[str, str]] = {}

    def keys_of_order(self, order_id: str) -> list[Key]:
        if self._by_order is None:
            self._by_order = {}
            for key in self:
                self._by_order.setdefault(key[0], []).append(key)
        return self._by_order.get(order_id, [])


def _keys_of_order(known: Mapping, order_id: str) -> list[Key]:
    if isinstance(known, KnownRows):
        return known.keys_of_order(order_id)
    return [key for key in known if key[0] == order_id]


def _what(key: Key) -> str:
    order_id, item_code = key
    return (
        f"order {order_id} (whole order)"
        if item_code is None
        else f"item {item_code} of {order_id}"
    )


def _shown_time(created_at: str) -> str:
    return created_at.replace("T", " ").replace("Z", " UTC")


def check_row(
    known: Mapping[Key, tuple[str, str, str]], order_id: str, item_code: str | None
) -> tuple[str, str, str] | None:
    """What the ledger says about a new row: `("error", "already_confirmed", message)`
    when the order item (or the whole order) is already cancelled in a confirmed batch,
    `("flag", "in_unconfirmed_batch", message)` when it is in a batch not yet confirmed,
    else None. A whole-order row meets every row of its order, an item row the same item
    and whole-order rows of its order."""
    if item_code is None:
        keys = _keys_of_order(known, order_id)
    else:
        keys = [k for k in ((order_id, item_code), (order_id, None)) if k in known]
    found = [(key, known[key]) for key in keys]
    confirmed = [(key, value) for key, value in found if value[0] == "confirmed"]
    refused = [(key, value) for key, value in found if value[0] == "refused"]
    unconfirmed = [(key, value) for key, value in found if value[0] == "unconfirmed"]
    if not confirmed and refused:
        return _refused_finding(known, *max(refused, key=lambda entry: entry[1][2]))
    if not confirmed and unconfirmed:
        key, (_, batch_id, created_at) = max(unconfirmed, key=lambda entry: entry[1][2])
        return (
            "flag",
            "in_unconfirmed_batch",
            f"{_what(key)} is also in batch {batch_id} of {_shown_time(created_at)}, whose "
            "processing report did not say clearly whether Amazon cancelled it; check the "
            f"order in Seller Central, then `cancelkit reconcile REPORT --batch {batch_id}` "
            f"or `cancelkit confirm --batch {batch_id}`",
        )
    if confirmed:
        key, (_, batch_id, created_at) = min(confirmed, key=lambda entry: entry[1][2])
        return (
            "error",
            "already_confirmed",
            f"{_what(key)} is already cancelled: batch {batch_id} of "
            f"{_shown_time(created_at)} is confirmed; remove this row",
        )
    generated = [(key, value) for key, value in found if value[0] == "generated"]
    if generated:
        key, (_, batch_id, created_at) = max(generated, key=lambda entry: entry[1][2])
        return (
            "flag",
            "in_unconfirmed_batch",
            f"{_what(key)} is also in batch {batch_id} of {_shown_time(created_at)}, not yet "
            "confirmed; upload only one of the two files (this batch replaces that one), "
            "then run `cancelkit reconcile` or `cancelkit confirm`",
        )
    return None


def _refused_finding(known: Mapping, key: Key, value: tuple[str, str, str]):
    """The flag of a row whose order Amazon refused to cancel as final in an earlier batch."""
    _, batch_id, created_at = value
    code, message = getattr(known, "refusals", {}).get(key, ("", ""))
    said = f" ({code}: {message})" if code or message else ""
    return (
        "flag",
        "refused_by_amazon",
        f"Amazon refused to cancel {_what(key)} in batch {batch_id} of "
        f"{_shown_time(created_at)}{said}, a refusal a retry cannot change; check the order "
        "in Seller Central before sending it again",
    )


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


def _utc(moment: dt.datetime | str | None) -> dt.datetime:
    if moment is None:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means local time, as in the datetime module
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(now: dt.datetime | str | None, days: float) -> tuple[str, str]:
    end = _utc(now)
    return _iso(end - dt.timedelta(days=days)), _iso(end)


def _file_sha256(path: str) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


# -- the ledger ---------------------------------------------------------------------------

_META_KEYS = frozenset(
    {
        "id",
        "created_at",
        "marketplace",
        "tool_version",
        "options",
        "inputs",
        "flat_file",
        "flat_file_sha256",
    }
)
_ROW_COLUMNS = "record_number, order_id, item_code, reason, sku, asin, counts_against_rate"
_ROW_WIDTH = 7
# Several rows per INSERT statement: binding through executemany costs more per row than
# SQLite's own work. SQLite before 3.32 allows at most 999 parameters per statement.
_ROWS_PER_INSERT = 500 if sqlite3.sqlite_version_info >= (3, 32) else 140
_BATCH_COLUMNS = (
    "b.id, b.created_at, b.marketplace, b.tool_version, b.options, b.inputs, b.flat_file, "
    "b.flat_file_sha256, b.rows"
)


#: the FROM ... WHERE of confirmed rows and of rows of open batches, each through its index
_CONFIRMED_ROWS = "INDEXED BY batch_rows_confirmed WHERE state = 'confirmed'"
#: the rows of open batches: the batches flagged first, then each one's rows by primary key
_OPEN_ROWS = (
    "FROM batches b CROSS JOIN batch_rows r ON r.batch_id = b.id "
    "WHERE b.has_open_rows AND r.state = 'generated'"
)
#: order ids per `IN (...)` look-up
_LOOKUP_CHUNK = 500


def _settle(db: sqlite3.Connection, batch_ids: Collection[str]) -> None:
    """Clear `has_open_rows` of these batches where no row is `generated` any more."""
    db.executemany(
        "UPDATE batches SET has_open_rows = 0 WHERE id = ? AND has_open_rows AND NOT EXISTS "
        "(SELECT 1 FROM batch_rows WHERE batch_id = ? AND state = 'generated')",
        ((batch_id, batch_id) for batch_id in batch_ids),
    )


def _chunks(values: list) -> Iterator[list]:
    return (values[i : i + _LOOKUP_CHUNK] for i in range(0, len(values), _LOOKUP_CHUNK))


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


def _window_rebuild(db: sqlite3.Connection, batch_ids: list[str]) -> None:
    """Build the window figures of every batch (the migration)."""
    db.execute("DELETE FROM window_orders")
    db.execute("DELETE FROM window_listings")
    _window_prepare(db, batch_ids, everything=True)
    nothing = _Figures({}, {}, {}, {})
    _window_apply(db, batch_ids, nothing, _window_figures(db, batch_ids, False))


def _progress(text: str) -> None:
    """A progress line of a long ledger step (the migration) on stderr."""
    print(f"cancelkit: ledger: {text}", file=sys.stderr, flush=True)


def _insert_sql(rows: int) -> str:
    """INSERT of `rows` rows: ?1 is the batch id, then each row's values."""
    groups = []
    for row in range(rows):
        first = 2 + row * _ROW_WIDTH
        numbers = ", ".join(f"?{n}" for n in range(first, first + _ROW_WIDTH))
        groups.append(f"(?1, {numbers})")
    return f"INSERT INTO batch_rows (batch_id, {_ROW_COLUMNS}) VALUES " + ", ".join(groups)


def _switch_to_wal(db: sqlite3.Connection) -> None:
    """Put the database in WAL mode. Two runs creating the same new ledger at once can make
    this pragma fail as busy at once, without SQLite's busy handler: wait and retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Ledger:
    """An open ledger. Use `Ledger.open(path)`, ideally as a context manager."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._insert_many = _insert_sql(_ROWS_PER_INSERT)
        #: (data_version, total_changes) when temp.open_rows was filled (see known)
        self._open_rows_version: tuple[int, int] | None = None
        self._open_rows_any = False
        #: (data_version, total_changes) when `_facts_any` was asked (see known)
        self._facts_version: tuple[int, int] | None = None
        self._facts_any = False

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = True) -> Ledger:
        """Open (and create or migrate) the ledger at `path`."""
        path = Path(path)
        if path.is_dir():
            raise LedgerError(f"{path}: is a folder; the ledger is a file (--ledger PATH)")
        if not path.exists():
            if not create:
                raise LedgerError(
                    f"{path}: no ledger yet; `cancelkit generate` creates it with the first batch"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(
                    f"{path}: cannot create the ledger folder ({exc.strerror or exc})"
                ) from exc
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError(f"{path}: cannot open the ledger ({exc})") from exc
        ledger = cls(db, path)
        try:
            with ledger._errors():
                db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                _switch_to_wal(db)
                db.execute("PRAGMA synchronous = NORMAL")  # durable against crashes in WAL mode
                db.execute("PRAGMA foreign_keys = ON")
                db.execute("PRAGMA journal_size_limit = 67108864")
                db.execute("PRAGMA cache_size = -16384")  # KiB
                ledger._migrate()
        except BaseException:
            db.close()
            raise
        return ledger

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise LedgerError(
                    f"{self.path}: the ledger is busy (another cancelkit run is writing it); "
                    "try again in a moment"
                ) from exc
            raise LedgerError(f"{self.path}: ledger error ({text})") from exc
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:  # integrity, programming errors
                raise LedgerError(f"{self.path}: ledger error ({exc})") from exc
            raise LedgerError(
                f"{self.path}: not a cancelkit ledger, or damaged ({exc}); name another "
                "file with --ledger or CANCELKIT_LEDGER"
            ) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any error, so nothing is left half done."""
        with self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _version(self) -> int:
        db = self._db
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "schema_version" not in names:
            if names - {"sqlite_sequence"}:
                raise LedgerError(
                    f"{self.path}: a SQLite database of something else, not a cancelkit "
                    "ledger; name another file with --ledger or CANCELKIT_LEDGER"
                )
            return 0
        row = db.execute("SELECT version FROM schema_version").fetchone()
        if row is None or type(row[0]) is not int or row[0] < 0:
            found = "no row" if row is None else repr(row[0])
            raise LedgerError(
                f"{self.path}: damaged ledger (its schema version is {found}, not a number); "
                "name another file with --ledger or CANCELKIT_LEDGER"
            )
        return row[0]

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self._write() as db:
            version = self._version()  # again: another run may have migrated meanwhile
            if version > SCHEMA_VERSION:
                raise LedgerError(
                    f"{self.path}: the ledger has schema version {version}, newer than this "
                    f"cancelkit understands ({SCHEMA_VERSION}); upgrade cancelkit"
                )
            for step in MIGRATIONS[version:]:
                step(db)
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    # -- recording --------------------------------------------------------------------------
    def record_batch(self, meta: Mapping, rows: Iterable[Row]) -> str:
        """Record a generated batch and its rows in file order; returns the batch id.

        `meta`: `created_at` (datetime or ISO text; default now), `marketplace`, `options`
        (dict), `inputs` (list of {path, sha256, rows}), `flat_file` and `flat_file_sha256`
        (computed from the file when not given), `tool_version`, `id` (default: the batch
        time and four random hex digits). `rows`: `(order_id, item_code or None, reason or
        None, sku or None, asin or None, counts_against_rate)`, record 1 first.

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
            recorded = self._insert_rows(db, batch_id, rows)
            db.execute(
                "UPDATE batches SET rows = ?, has_open_rows = ? WHERE id = ?",
                (recorded, int(recorded > 0), batch_id),
            )
            if had_open:
                self._supersede(db, batch_id, ("generated",), created_at)
        return batch_id

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
        return found.fetchone() is not None

    def _supersede(
        self, db: sqlite3.Connection, batch_id: str, source_states: tuple[str, ...], now: str
    ) -> int:
        """Mark `generated` rows of other batches `superseded` where this batch's rows in
        `source_states` cancel the same order item, or the same order as a whole."""
        states = ", ".join(f"'{s}'" for s in source_states)  # constants of this module
        params = {"batch": batch_id}
        mine = (
            "SELECT order_id, item_code FROM batch_rows "
            f"WHERE batch_id = :batch AND state IN ({states})"
        )
        theirs = (
            f"SELECT r.order_id, r.item_code, r.batch_id, r.record_number {_OPEN_ROWS} "
            "AND b.id != :batch"
        )
        sizes = [
            db.execute(f"SELECT count(*) FROM ({query})", params).fetchone()[0]
            for query in (mine, theirs)
        ]
        if not all(sizes):
            return 0
        # No index on order_id (it would slow down every recorded row): hold the smaller
        # side in memory and stream the bigger one past it.
        items: dict[str, set[str | None]] = {}
        if sizes[0] <= sizes[1]:
            for order_id, item_code in db.execute(mine, params):
                items.setdefault(order_id, set()).add(item_code)
            candidates = db.execute(theirs, params)
        else:
            candidates = db.execute(theirs, params).fetchall()
            wanted = {row[0] for row in candidates}
            for order_id, item_code in db.execute(mine, params):
                if order_id in wanted:
                    items.setdefault(order_id, set()).add(item_code)
        replaced = []
        for order_id, item_code, other, number in candidates:
            found = items.get(order_id)
            if found and (item_code is None or None in found or item_code in found):
                replaced.append((now, other, number))
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
        many rows changed. Failed and superseded rows stay as they are."""
        now = _iso(_utc(None))
        with self._write() as db:
            self._require(batch_id)
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
        with self._write() as db, window_figures_kept(db, (batch_id,)):
            total = self._require(batch_id).rows
            outside = [n for n in (*failed, *(warnings or ()), *refused) if not 1 <= n <= total]
            if outside:
                raise LedgerError(
                    f"batch {batch_id} has records 1..{total}; record {min(outside)} is not one"
                )
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
            self._require(batch_id)
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

    # -- submissions ------------------------------------------------------------------------
    def start_submission(
        self, batch_id: str, marketplace: str, marketplace_id: str, endpoint: str, sha256: str
    ) -> Submission:
        """Record a new attempt to send the batch (status `uploading`)."""
        now = _iso(_utc(None))
        with self._write() as db:
            self._require(batch_id)
            cursor = db.execute(
                "INSERT INTO submissions (batch_id, marketplace, marketplace_id, endpoint, "
                "upload_sha256, started_at, status, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'uploading', ?)",
                (batch_id, marketplace, marketplace_id, endpoint, sha256, now, now),
            )
            number = cursor.lastrowid
        return self.submission(number)

    def update_submission(self, number: int, **changes) -> Submission:
        """Change fields of a submission in one committed transaction (durable before the
        next call to Amazon); `intent_at=True` stamps the current time."""
        unknown = set(changes) - _SUBMISSION_UPDATES
        if unknown:
            raise ValueError(f"unknown submission fields: {', '.join(sorted(unknown))}")
        if changes.get("finished") not in (None, *SUBMISSION_ENDS):
            raise ValueError(f"unknown end of a submission: {changes['finished']}")
        now = _iso(_utc(None))
        if changes.get("intent_at") is True:
            changes["intent_at"] = now
        names = sorted(changes)
        assignments = ", ".join(f"{name} = ?" for name in names)  # names checked above
        with self._write() as db:
            db.execute(
                f"UPDATE submissions SET {assignments}, updated_at = ? WHERE id = ?",
                (*(changes[name] for name in names), now, number),
            )
        return self.submission(number)

    def submission(self, number: int) -> Submission:
        with self._errors():
            row = self._db.execute(
                f"SELECT {_SUBMISSION_FIELDS} FROM submissions WHERE id = ?", (number,)
            ).fetchone()
        if row is None:
            raise LedgerError(f"no submission {number} in the ledger {self.path}")
        return Submission(*row)

    def submissions(self, batch_id: str | None = None) -> list[Submission]:
        """The submissions of a batch (of every batch when None), oldest first."""
        where, params = ("WHERE batch_id = ?", (batch_id,)) if batch_id else ("", ())
        with self._errors():
            rows = self._db.execute(
                f"SELECT {_SUBMISSION_FIELDS} FROM submissions {where} ORDER BY id", params
            ).fetchall()
        return [Submission(*row) for row in rows]

    # -- reading ----------------------------------------------------------------------------
    def known(self, order_ids: Collection[str] | None = None) -> KnownRows:
        """The `confirmed` and `generated` rows of these orders (all orders when None), for
        `check_row`: `(order_id, item_code or None) -> (state, batch_id, created_at)`.

        With `order_ids`, only those orders are looked up, in chunks through indexes (the
        confirmed rows' index, and a temporary indexed copy of the rows of open batches):
        nothing in proportion to the history is read into memory."""
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
        refused by Amazon (index probes and the flags)."""
        with self._errors():
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
        db.execute(
            "INSERT INTO temp.open_rows (order_id, item_code, batch_id, created_at) "
            "SELECT r.order_id, r.item_code, r.batch_id, b.created_at "
            f"{_OPEN_ROWS} ORDER BY b.created_at, b.rowid, r.record_number"
        )
        self._open_rows_any = bool(db.execute("SELECT 1 FROM temp.open_rows").fetchone())
        data_version = db.execute("PRAGMA data_version").fetchone()[0]
        self._open_rows_version = (data_version, db.total_changes)
        return self._open_rows_any

    def _collect_generated(self, found: KnownRows, wanted: list[str] | None) -> None:
        """Rows of open batches; the newest batch comes last, so that it wins."""
        if wanted is None:
            rows = self._db.execute(
                "SELECT r.order_id, r.item_code, r.batch_id, b.created_at FROM batch_rows r "
                "JOIN batches b ON b.id = r.batch_id WHERE r.state = 'generated' "
                "ORDER BY b.created_at, b.rowid, r.record_number"
            )
        else:
            rows = sorted(
                chain.from_iterable(
                    self._db.execute(
                        "SELECT seq, order_id, item_code, batch_id, created_at "
                        f"FROM temp.open_rows WHERE order_id IN ({', '.join('?' * len(part))})",
                        part,
                    )
                    for part in _chunks(wanted)
                )
            )
            rows = [row[1:] for row in rows]
        for order_id, item_code, batch_id, created_at in rows:
            found[(order_id, item_code)] = ("generated", batch_id, created_at)

    def _collect_confirmed(self, found: KnownRows, wanted: list[str] | None) -> None:
        """Confirmed rows, through their index; the oldest confirmation wins."""
        query = (
            "SELECT r.order_id, r.item_code, r.batch_id, b.created_at "
            "FROM batch_rows r INDEXED BY batch_rows_confirmed "
            "JOIN batches b ON b.id = r.batch_id WHERE r.state = 'confirmed' {}"
        )
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

    def batches(
        self, days: float | None = None, now: dt.datetime | str | None = None
    ) -> list[BatchSummary]:
        """The batches, newest first; only those of the last `days` days when given."""
        where, params = "", ()
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
                f"the ledger {self.path} has no batches yet; `cancelkit generate` records them"
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
            raise LedgerError(f"batch '{batch_id}' is ambiguous; give more of its id")
        raise LedgerError(
            f"no batch '{batch_id}' in the ledger {self.path}; `cancelkit history` lists them"
        )

    def _summaries(
        self, where: str, params: tuple, limit: int | None = None, orders: bool = False
    ) -> list:
        """Batch summaries; with `orders`, the distinct confirmed counting orders too (a
        scan of the batch's confirmed rows: `history` asks for it, look-ups do not)."""
        with self._errors():
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

    def _json(self, batch_id: str, column: str, text) -> object:
        try:
            return json.loads(text)
        except (TypeError, ValueError) as exc:
            raise LedgerError(
                f"{self.path}: damaged ledger: batch {batch_id} has unreadable {column} ({exc})"
            ) from exc

    def batch_rows(self, batch_id: str) -> list[BatchRow]:
        """The batch's rows in file order (record 1 first)."""
        return list(self._rows(batch_id, "", ()))

    def rows_at(self, batch_id: str, record_numbers: Iterable[int]) -> dict[int, BatchRow]:
        """The batch's rows with these record numbers (absent numbers are left out)."""
        numbers = sorted(set(record_numbers))
        found: dict[int, BatchRow] = {}
        for start in range(0, len(numbers), 500):
            part = numbers[start : start + 500]
            where = f"AND record_number IN ({', '.join('?' * len(part))})"
            found.update((row.record_number, row) for row in self._rows(batch_id, where, part))
        return found

    def _rows(self, batch_id: str, where: str, params) -> Iterator[BatchRow]:
        with self._errors():
            cursor = self._db.execute(
                "SELECT record_number, order_id, item_code, reason, sku, asin, "
                "counts_against_rate, state, error_code, error_message, updated_at "
                f"FROM batch_rows WHERE batch_id = ? {where} ORDER BY record_number",
                (batch_id, *params),
            )
            for row in cursor:
                yield BatchRow(*row[:6], bool(row[6]), *row[7:])

    def integrity_check(self) -> str:
        """SQLite's own check of the file: 'ok' when it is sound."""
        with self._errors():
            return "\n".join(row[0] for row in self._db.execute("PRAGMA integrity_check"))


def history_text(batches: list[BatchSummary]) -> str:
    """The batches as `cancelkit history` prints them, one line each. The rate counts
    orders, and only confirmed ones: a line says how many rows of the batch count
    against the rate now (confirmed, and of how many orders), and how many would once
    confirmed (generated or unconfirmed); failed and superseded rows never count."""
    if not batches:
        return "no batches in the ledger"
    lines = []
    for batch in batches:
        states = ", ".join(f"{n} {state}" for state, n in batch.states.items() if n)
        lines.append(
            f"{batch.id}  {_shown_time(batch.created_at)}  {batch.rows} rows "
            f"({states or 'none'}); {_counting_text(batch)}"
            + (f"; {batch.flat_file}" if batch.flat_file else "")
        )
    return "\n".join(lines)


def _counting_text(batch: BatchSummary) -> str:
    rows, orders = batch.confirmed_counting_rows, batch.confirmed_counting_orders
    text = (
        f"{rows} confirmed {'row' if rows == 1 else 'rows'} of {orders} "
        f"{'order' if orders == 1 else 'orders'} count against the rate"
    )
    if batch.awaiting_counting_rows:
        text += f", {batch.awaiting_counting_rows} more once confirmed"
    return text


def confirm_text(batch: BatchSummary, changed: int) -> str:
    """What `cancelkit confirm` prints."""
    if changed:
        return f"Batch {batch.id}: {changed} rows confirmed."
    states = ", ".join(f"{n} {state}" for state, n in batch.states.items() if n) or "no rows"
    return f"Batch {batch.id}: nothing to confirm ({states})."
