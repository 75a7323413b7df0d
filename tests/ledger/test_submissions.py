"""The ledger's `submissions` table (schema version 2): the migration of a version-1
ledger, and recording an SP-API submission step by step."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from cancelkit.errors import LedgerError
from cancelkit.ledger import schema
from cancelkit.ledger.store import Ledger

ROW = ("113-4728391-2038475", "62845173920562", "NoInventory", "MUG", None, True)


def test_a_version_1_ledger_gains_the_submissions_table_and_keeps_its_batches(
    tmp_path, monkeypatch
):
    # a ledger written by the schema-1 code (tests/ledger/data/make_v1_ledger.py)
    path = tmp_path / "ledger.sqlite3"
    shutil.copy(Path(__file__).parent / "data" / "ledger-v1.sqlite3", path)
    batch_id = "b1"
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchone() == (1,)
    db.close()

    with Ledger.open(path) as book:
        assert book.batch(batch_id).rows == 2
        assert book.submissions(batch_id) == []
        submission = book.start_submission(batch_id, "DE", "A1PA6795UKMFR9", "https://x", "ab")
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchone() == (schema.SCHEMA_VERSION,)
    assert db.execute("SELECT batch_id, status FROM submissions").fetchall() == [
        (batch_id, "uploading")
    ]
    db.close()
    assert submission.marketplace_id == "A1PA6795UKMFR9"


def test_a_submission_is_recorded_step_by_step(tmp_path):
    with Ledger.open(tmp_path / "ledger.sqlite3") as book:
        batch_id = book.record_batch({"marketplace": "US"}, [ROW])
        first = book.start_submission(batch_id, "US", "ATVPDKIKX0DER", "https://na", "f00")
        assert (first.status, first.intent_at, first.feed_id, first.finished) == (
            "uploading",
            None,
            None,
            None,
        )
        book.update_submission(first.id, document_id="doc-1")
        intent = book.update_submission(first.id, status="intent", intent_at=True)
        assert intent.intent_at.endswith("Z") and intent.document_id == "doc-1"
        done = book.update_submission(first.id, feed_id="5001", status="DONE")
        finished = book.update_submission(done.id, finished="reconciled")
        assert (finished.feed_id, finished.status, finished.finished) == (
            "5001",
            "DONE",
            "reconciled",
        )
        second = book.start_submission(batch_id, "US", "ATVPDKIKX0DER", "https://na", "f00")
        assert [s.id for s in book.submissions(batch_id)] == [first.id, second.id]
        assert [s.id for s in book.submissions()] == [first.id, second.id]


def test_submission_updates_are_checked(tmp_path):
    with Ledger.open(tmp_path / "ledger.sqlite3") as book:
        batch_id = book.record_batch({"marketplace": "US"}, [ROW])
        submission = book.start_submission(batch_id, "US", "ATVPDKIKX0DER", "https://na", "f")
        with pytest.raises(ValueError, match="unknown submission fields: batch_id"):
            book.update_submission(submission.id, batch_id="other")
        with pytest.raises(ValueError, match="unknown end of a submission: lost"):
            book.update_submission(submission.id, finished="lost")
        with pytest.raises(LedgerError, match="no batch 'nope'"):
            book.start_submission("nope", "US", "ATVPDKIKX0DER", "https://na", "f")
        with pytest.raises(LedgerError, match="no submission 999"):
            book.submission(999)
