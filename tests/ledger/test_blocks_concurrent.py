"""Another run's commit between two reads of a question about packed batches (a batch
expanded by a confirm or a supersede moves its rows from `row_blocks` to `batch_rows`) is
seen whole or not at all: the question reads one state of the ledger, so an open batch's
rows are never in neither table. Each test makes the other run commit at the worst moment,
between the reads, through a hook of ledger/blocks.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from cancelkit.ledger import blocks
from cancelkit.ledger.store import Ledger

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)
FIRST, SECOND = "111-0000001-0000001", "111-0000002-0000001"
ROWS = [
    (FIRST, "11", "NoInventory", "MUG", None, True),
    (SECOND, "21", "NoInventory", "POT", None, True),
]


def _racing(monkeypatch, name: str, commit: Callable[[], object], first: bool = False) -> None:
    """The first call of blocks.<name> (by the reader) answers, then the other run commits
    (with `first`: the other run commits, then it answers)."""
    original = getattr(blocks, name)
    done: list[bool] = []

    def racing(*args):
        if not done and first:
            done.append(True)
            commit()
        found = original(*args)
        if not done:
            done.append(True)
            commit()
        return found

    monkeypatch.setattr(blocks, name, racing)


@pytest.fixture
def books(tmp_path):
    path = tmp_path / "l.sqlite3"
    with Ledger.open(path) as other, Ledger.open(path) as reader:
        other.record_batch({"id": "a", "created_at": NOW - dt.timedelta(hours=1)}, ROWS)
        yield other, reader


def test_look_ups_meanwhile_a_packed_batch_is_superseded_see_every_open_row(books, monkeypatch):
    other, reader = books
    later = {"id": "b", "created_at": NOW}
    _racing(monkeypatch, "packed_batches", lambda: other.record_batch(later, ROWS[:1]))
    known = reader.known([FIRST, SECOND])
    # the state before the other run's batch b: both rows open in batch a
    assert known[(FIRST, "11")][:2] == ("generated", "a")
    assert known[(SECOND, "21")][:2] == ("generated", "a")
    # and the next question sees batch b
    again = reader.known([FIRST, SECOND])
    assert again[(FIRST, "11")][:2] == ("generated", "b")
    assert again[(SECOND, "21")][:2] == ("generated", "a")


def test_every_open_row_meanwhile_a_packed_batch_is_superseded(books, monkeypatch):
    other, reader = books
    later = {"id": "b", "created_at": NOW}
    _racing(monkeypatch, "packed_batches", lambda: other.record_batch(later, ROWS[:1]))
    known = reader.known()
    assert known[(FIRST, "11")][:2] == ("generated", "a")
    assert known[(SECOND, "21")][:2] == ("generated", "a")


def test_has_known_meanwhile_a_packed_batch_is_confirmed(books, monkeypatch):
    other, reader = books
    _racing(monkeypatch, "any_packed", lambda: other.confirm("a"), first=True)
    assert reader.has_known() is True


def test_batch_rows_meanwhile_the_batch_is_confirmed(books, monkeypatch):
    other, reader = books
    _racing(monkeypatch, "is_packed", lambda: other.confirm("a"))
    rows = reader.batch_rows("a")
    assert [(r.order_id, r.state) for r in rows] == [(FIRST, "generated"), (SECOND, "generated")]
    assert [r.state for r in reader.batch_rows("a")] == ["confirmed", "confirmed"]


def test_rows_at_meanwhile_the_batch_is_confirmed(books, monkeypatch):
    other, reader = books
    _racing(monkeypatch, "is_packed", lambda: other.confirm("a"))
    assert sorted(reader.rows_at("a", [1, 2])) == [1, 2]


def test_a_summary_meanwhile_the_batch_is_confirmed_counts_its_rows_once(books, monkeypatch):
    other, reader = books
    _racing(monkeypatch, "tally", lambda: other.confirm("a"))
    summary = reader.batch("a")
    assert summary.states["generated"] + summary.states["confirmed"] == 2
    assert summary.states["generated"] == 2
