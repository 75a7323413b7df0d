"""The ledger's schema: its version, the row states, the shared constants and SQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 6
STATES = ("generated", "confirmed", "failed", "unconfirmed", "superseded")
#: how long a run waits for another run's write transaction before giving up
BUSY_TIMEOUT_S = 30.0
#: order ids listed per listing by `listing_cancellations` (the count is always complete)
LISTED_ORDERS = 20

Row = tuple[str, "str | None", "str | None", "str | None", "str | None", bool]
Key = tuple[str, "str | None"]


def batch_stamp(when: dt.datetime) -> str:
    """The batch time as it appears in batch ids and output names."""
    return when.strftime("%Y%m%d-%H%M%S")


# -- the schema probe ---------------------------------------------------------------------

#: what `probe` finds in a database that is no ledger (tables, but no schema_version)
FOREIGN = "foreign"


@dataclass(frozen=True)
class Probe:
    """What a database says of its ledger schema: `version` (0: an empty database, None:
    unusable) and, when unusable, `problem`: FOREIGN or `damaged: <what was found>`."""

    version: int | None
    problem: str | None = None


def probe(db: sqlite3.Connection) -> Probe:
    """The one reading of a ledger's schema version (sqlite3.Error passes through)."""
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    if "schema_version" not in names:
        return Probe(None, FOREIGN) if names - {"sqlite_sequence"} else Probe(0)
    row = db.execute("SELECT version FROM schema_version").fetchone()
    if row is None or type(row[0]) is not int or row[0] < 0:
        return Probe(None, f"damaged: {'no row' if row is None else repr(row[0])}")
    return Probe(row[0])


def probe_file(path: Path) -> Probe:
    """`probe` of the ledger file at `path`, opened read-only: the file is never changed
    (an unreadable file, or not SQLite: version None)."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return Probe(None, f"damaged: {exc}")
    try:
        return probe(db)
    except sqlite3.Error as exc:
        return Probe(None, f"damaged: {exc}")
    finally:
        db.close()


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
LOOKUP_CHUNK = 500


def _settle(db: sqlite3.Connection, batch_ids: Collection[str]) -> None:
    """Clear `has_open_rows` of these batches where no row is `generated` any more (a
    packed batch's rows all are: see ledger/blocks.py)."""
    db.executemany(
        "UPDATE batches SET has_open_rows = 0 WHERE id = ? AND has_open_rows AND NOT EXISTS "
        "(SELECT 1 FROM batch_rows WHERE batch_id = ? AND state = 'generated') "
        "AND NOT EXISTS (SELECT 1 FROM row_blocks WHERE batch_id = ?)",
        ((batch_id, batch_id, batch_id) for batch_id in batch_ids),
    )


def _chunks(values: list) -> Iterator[list]:
    return (values[i : i + LOOKUP_CHUNK] for i in range(0, len(values), LOOKUP_CHUNK))


def _insert_sql(rows: int) -> str:
    """INSERT of `rows` rows: ?1 is the batch id, then each row's values."""
    groups = []
    for row in range(rows):
        first = 2 + row * _ROW_WIDTH
        numbers = ", ".join(f"?{n}" for n in range(first, first + _ROW_WIDTH))
        groups.append(f"(?1, {numbers})")
    return f"INSERT INTO batch_rows (batch_id, {_ROW_COLUMNS}) VALUES " + ", ".join(groups)
