"""`Ledger.transaction`: the changes made inside are one transaction, all or none, whether
one of them fails with a ValueError (a cell the blocks cannot hold) or the caller's code
raises after them."""

from __future__ import annotations

import pytest

from cancelkit.ledger.store import Ledger

ROWS = [("111-0000001-0000001", "1", "NoInventory", "MUG", None, True)]


def test_a_failing_batch_takes_back_the_batches_recorded_before_it(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite3") as book:
        book.record_batch({"id": "before"}, ROWS)
        with pytest.raises(ValueError, match="tab or a line break"), book.transaction():
            book.record_batch({"id": "one"}, ROWS)
            book.confirm("before")
            book.record_batch({"id": "two"}, [("111-0000002-00\t01", None, None, None, None, True)])
        assert [b.id for b in book.batches()] == ["before"]
        assert [r.state for r in book.batch_rows("before")] == ["generated"]
        with book.transaction():
            book.record_batch({"id": "one"}, ROWS)
            book.record_batch({"id": "two"}, ROWS)
        assert [r.state for r in book.batch_rows("one")] == ["superseded"]
        assert [r.state for r in book.batch_rows("two")] == ["generated"]


def test_an_error_of_the_caller_inside_takes_everything_back(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite3") as book:
        with pytest.raises(KeyboardInterrupt), book.transaction():
            book.record_batch({"id": "one"}, ROWS)
            raise KeyboardInterrupt
        assert book.batches() == []
        book.record_batch({"id": "one"}, ROWS)  # the ledger is usable after it
        assert [b.id for b in book.batches()] == ["one"]
