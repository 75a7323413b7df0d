"""A batch named by a prefix of its id that only it has (as `Ledger.batch` takes it) is
that batch for every change of state too: confirm, apply_reconcile and leave_unconfirmed
change its rows (packed or expanded), never nothing, never a foreign-key failure."""

from __future__ import annotations

import pytest

from cancelkit.errors import LedgerError
from cancelkit.ledger.store import Ledger

BATCH = "20261126-080000-abcd"
ROWS = [
    ("111-0000001-0000001", "1", "NoInventory", "MUG", None, True),
    ("111-0000002-0000001", "2", "NoInventory", "POT", None, True),
]


@pytest.fixture(params=["packed", "expanded"])
def book(request, tmp_path):
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        ledger.record_batch({"id": BATCH}, ROWS)
        if request.param == "expanded":
            ledger.expand_batch(BATCH)
        yield ledger


def _states(book: Ledger) -> list[str]:
    return [row.state for row in book.batch_rows(BATCH)]


def test_confirm_by_a_prefix_confirms_the_batch(book):
    assert book.confirm("20261126-08") == 2
    assert _states(book) == ["confirmed", "confirmed"]
    assert book.batch(BATCH).confirmed_counting_rows == 2


def test_a_report_applied_by_a_prefix_changes_the_batch(book):
    record = {"sha256": "ab" * 32, "path": "report.txt", "outcome": {}}
    counts = book.apply_reconcile(
        "20261126", {1: ("18004", "refused")}, False, refused=[1], report=record
    )
    assert counts == {"confirmed": 1, "failed": 1}
    assert _states(book) == ["failed", "confirmed"]
    assert book.batches_of_report("ab" * 32) == [BATCH]
    assert book.known(["111-0000001-0000001"])[("111-0000001-0000001", "1")][0] == "refused"


def test_leave_unconfirmed_by_a_prefix_changes_the_batch(book):
    assert book.leave_unconfirmed("2026", "unclear", "the report was unclear") == 2
    assert _states(book) == ["unconfirmed", "unconfirmed"]


def test_an_ambiguous_prefix_changes_nothing(book):
    book.record_batch({"id": "20261126-080000-abce"}, ROWS[:1])
    with pytest.raises(LedgerError, match="ambiguous"):
        book.confirm("20261126-080000-abc")
    assert "confirmed" not in _states(book)
