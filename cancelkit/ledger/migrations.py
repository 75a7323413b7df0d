"""The ledger's migrations: MIGRATIONS[n] takes a ledger from schema n to n + 1."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from ..amazon import processing_codes
from .schema import _CONFIRMED_ROWS, SCHEMA_VERSION
from .windows import _progress, rebuild_window_figures

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
    (see usecases/submit.py), so that a rerun resumes it and never sends the batch twice."""
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
    rebuild_window_figures(db)
    _progress(f"window figures built in {time.monotonic() - started:.1f} s")


def _migrate_row_blocks(db: sqlite3.Connection) -> None:
    """Schema 6: a new batch's rows are recorded packed (`row_blocks`, `block_listings`;
    see ledger/blocks.py) and expanded into `batch_rows` when one of them first changes
    state. The batches of older ledgers stay as they are, expanded."""
    db.execute(
        """CREATE TABLE row_blocks (
            batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            first_record INTEGER NOT NULL,  -- the record number of its first row
            rows INTEGER NOT NULL,
            counting INTEGER NOT NULL,      -- its rows that count against the rate
            lines BLOB NOT NULL,            -- UTF-8, a row a line: order id TAB reason TAB
                                            -- item code, each line LF-ended
            listings BLOB NOT NULL,         -- int32 little-endian a row: block_listings
                                            -- number, -1 for none
            flags BLOB NOT NULL,            -- a byte a row: 1 when it counts against the rate
            PRIMARY KEY (batch_id, first_record)
        )"""
    )
    db.execute(
        """CREATE TABLE block_listings (
            batch_id TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            sku TEXT,
            asin TEXT,
            PRIMARY KEY (batch_id, number)
        ) WITHOUT ROWID"""
    )


#: MIGRATIONS[n] takes a ledger from schema version n to n + 1
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_to_1,
    _migrate_submissions,
    _migrate_open_batches,
    _migrate_reconcile_facts,
    _migrate_window_figures,
    _migrate_row_blocks,
)
assert len(MIGRATIONS) == SCHEMA_VERSION
