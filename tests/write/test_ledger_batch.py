"""The ledger batches of one written upload (write/ledger_batch.py): a split or
multi-marketplace upload's parts are recorded in one transaction, so a failure while
recording any part leaves no batch at all (and the upload files are taken back), never
the first parts recorded for files that are gone."""

from __future__ import annotations

import pytest
from conftest import CLEAN, FIXTURES

import cancelkit
from cancelkit.ledger import blocks
from cancelkit.ledger.store import Ledger

EU = FIXTURES / "eu-batch.csv"


def _failing_at(monkeypatch, call: int) -> None:
    """blocks.write (a batch's rows into the ledger) fails at its `call`-th call."""
    original = blocks.write
    calls: list[int] = []

    def write(*args):
        calls.append(1)
        if len(calls) == call:
            raise ValueError("the flat-file body has 3 rows and a partial line")
        return original(*args)

    monkeypatch.setattr(blocks, "write", write)


@pytest.mark.parametrize(
    ("source", "figures"), [(CLEAN, 10_000), (EU, {"DE": 200, "FR": 60})], ids=["one", "eu"]
)
def test_a_part_that_fails_to_record_leaves_no_batch_of_the_run(
    source, figures, tmp_path, monkeypatch
):
    ledger = tmp_path / "ledger.sqlite3"
    out = tmp_path / "out"
    with cancelkit.check(
        source, orders_in_window=figures, ledger=ledger, allow_over_target=True
    ) as result:
        parts = result.flat_file_parts(out / "up.txt", 2)
        assert len(parts) >= 3
        _failing_at(monkeypatch, 2)
        with pytest.raises(ValueError, match="partial line"):
            result.write_outputs(out, flat_file=out / "up.txt", max_rows_per_file=2, record=True)
        assert result.batch_ids == []
    assert not any(part.exists() for part in parts)
    with Ledger.open(ledger) as book:
        assert book.batches() == []
    monkeypatch.undo()
    with cancelkit.check(
        source, orders_in_window=figures, ledger=ledger, allow_over_target=True
    ) as result:
        result.write_outputs(out, flat_file=out / "up.txt", max_rows_per_file=2, record=True)
    with Ledger.open(ledger) as book:
        assert [b.id for b in book.batches()][::-1] == result.batch_ids
        assert sum(b.rows for b in book.batches()) == result.summary["accepted"]
