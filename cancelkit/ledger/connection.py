"""Opening a ledger: the connection, its pragmas, its transactions, its migration."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ..errors import LedgerError
from .migrations import MIGRATIONS
from .schema import _ROWS_PER_INSERT, BUSY_TIMEOUT_S, FOREIGN, SCHEMA_VERSION, _insert_sql, probe


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


_Opened = TypeVar("_Opened", bound="LedgerBase")


class LedgerBase:
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
        #: inside a write transaction (`_write`)
        self._writing = False

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls: type[_Opened], path: str | os.PathLike, create: bool = True) -> _Opened:
        """Open (and create or migrate) the ledger at `path`."""
        path = Path(path)
        if path.is_dir():
            raise LedgerError(
                f"{path}: is a folder; the ledger is a file (--ledger PATH)",
                code="ledger_is_folder",
            )
        if not path.exists():
            if not create:
                raise LedgerError(
                    f"{path}: no ledger yet; `cancelkit generate` creates it with the first batch",
                    code="ledger_missing",
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(
                    f"{path}: cannot create the ledger folder ({exc.strerror or exc})",
                    code="ledger_unopenable",
                ) from exc
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError(
                f"{path}: cannot open the ledger ({exc})", code="ledger_unopenable"
            ) from exc
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

    def __enter__(self: _Opened) -> _Opened:
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
                    "try again in a moment",
                    code="ledger_busy",
                ) from exc
            raise LedgerError(f"{self.path}: ledger error ({text})") from exc
        except sqlite3.DatabaseError as exc:
            if type(exc) is not sqlite3.DatabaseError:  # integrity, programming errors
                raise LedgerError(f"{self.path}: ledger error ({exc})") from exc
            raise LedgerError(
                f"{self.path}: not a cancelkit ledger, or damaged ({exc}); name another "
                "file with --ledger or CANCELKIT_LEDGER",
                code="not_a_ledger",
            ) from exc

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Several reads that must see one state of the ledger: one read transaction, so
        that another run's commit in between (a batch expanded, confirmed or superseded:
        its rows moving from `row_blocks` to `batch_rows`) is seen whole or not at all,
        never as rows that are in neither table. Inside a transaction, that one."""
        db = self._db
        if db.in_transaction:
            yield
            return
        with self._errors():
            db.execute("BEGIN")  # deferred: a snapshot from the first read on, no lock
            try:
                yield
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                # what the rollback took back of the temporary tables is built again
                self._open_rows_version = self._facts_version = None
                raise
            if db.in_transaction:
                db.execute("COMMIT")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any error, so nothing is left half done.
        Inside another one (`Ledger.transaction`), part of that one."""
        if self._writing:
            yield self._db
            return
        with self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            self._writing = True
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                self._writing = False
            self._db.execute("COMMIT")

    def _version(self) -> int:
        found = probe(self._db)
        if found.problem == FOREIGN:
            raise LedgerError(
                f"{self.path}: a SQLite database of something else, not a cancelkit "
                "ledger; name another file with --ledger or CANCELKIT_LEDGER",
                code="not_a_ledger",
            )
        if found.version is None:
            shown = (found.problem or "").removeprefix("damaged: ")
            raise LedgerError(
                f"{self.path}: damaged ledger (its schema version is {shown}, not a number); "
                "name another file with --ledger or CANCELKIT_LEDGER",
                code="ledger_damaged",
            )
        return found.version

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        with self._write() as db:
            version = self._version()  # again: another run may have migrated meanwhile
            if version > SCHEMA_VERSION:
                raise LedgerError(
                    f"{self.path}: the ledger has schema version {version}, newer than this "
                    f"cancelkit understands ({SCHEMA_VERSION}); upgrade cancelkit",
                    code="ledger_too_new",
                )
            for step in MIGRATIONS[version:]:
                step(db)
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
