"""Runs of repeated rows in the JSON report (issue 21): a run of rows that repeat the row
before is spooled as one entry and written from one finished text per patch; the report
is byte for byte the one made record by record (every row through the record path), for
the JSON, the JSON Lines and `records`, through one pass and through the two-core
reader."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cancelkit
from cancelkit.pipeline import collector, parallel
from cancelkit.write import json_report

HEADER = "order-id,cancellation-reason-code,amazon-order-item-code,sku,note"
#: lines of a few orders and items, so that batches repeat rows and conflict
LINES = [
    "113-4728391-2038475,NoInventory,62845173920562,MUG,",
    "113-4728391-2038475,BuyerCanceled,62845173920562,MUG,",  # a conflicting reason
    "113-4728391-2038475,NoInventory,62845173920571,CUP,",  # another item of the order
    "113-4728391-2038475,,,MUG,whole order",  # a whole-order row against the items
    "114-2093847-5610293,BuyerCanceled,31947205836174,POT,n%d 100%",
    "111-8837261-4402918,GeneralAdjustment,62845173920599,,caf\u00e9",
    "bad-id,NoInventory,62845173920564,CUP,",  # rejected on its own
    " 115-0000001-0000001 ,out of stock,62845173920600.0,PAN,",  # the record path
    "",  # a blank line
]
#: how many times a line repeats: short runs, and runs around the writer's long run
#: (runs past its block of 2,048 records: test_a_million_duplicates_of_one_row_are_one_run)
TIMES = st.integers(1, 40) | st.sampled_from([255, 256, 257])
_STAMP = re.compile(rb'("generated_at": ?)"[^"]*"')


def _reports(path: Path, out: Path | None = None) -> tuple[bytes, bytes, list[dict]]:
    """The JSON and JSON Lines reports' bytes (as written to `out` when given) and the
    records of a batch file."""
    with cancelkit.check([str(path)], keep_records=True, ledger=None) as result:
        if out is None:  # the bytes the writers write, without a file's fsync each
            document = b"".join(json_report.json_parts(result))
            lines = b"".join(json_report.jsonl_parts(result))
        else:
            document = result.write_json_file(out / "r.json", force=True).read_bytes()
            lines = result.write_jsonl_file(out / "r.jsonl", force=True).read_bytes()
        records = result.records
    return _STAMP.sub(rb'\1""', document), _STAMP.sub(rb'\1""', lines), records


def _record_by_record(path: Path, monkeypatch: pytest.MonkeyPatch, out: Path | None = None):
    """The reports with every row read the slow way: each record made and spooled whole."""
    with monkeypatch.context() as patched:
        patched.setattr(collector, "is_fast", lambda table: False)
        return _reports(path, out)


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")


@settings(max_examples=30, deadline=None)
@given(
    runs=st.lists(st.tuples(st.sampled_from(range(len(LINES))), TIMES), min_size=1, max_size=12),
    many=st.booleans(),
)
def test_runs_give_the_report_made_record_by_record(runs, many):
    # at most 1,200 lines: a report holds the plan too, a few KB a counting row
    lines = [LINES[index] for index, times in runs for _ in range(times)][:1_200]
    if many:  # past the first 500 flagged rows, which are kept whole for the report
        lines = [LINES[0]] * 520 + lines
    assume(any(lines))  # a batch of blank lines only is refused (no data rows)
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        work = Path(folder)
        _write(work / "batch.csv", lines)
        expected = _record_by_record(work / "batch.csv", monkeypatch)
        assert _reports(work / "batch.csv") == expected


def test_a_million_duplicates_of_one_row_are_one_run(tmp_path, monkeypatch):
    """The spool of identical rows holds the first record and one run."""
    _write(tmp_path / "batch.csv", [LINES[4]] * 3000 + [LINES[0]] * 2 + [LINES[4]] * 3)
    expected = _record_by_record(tmp_path / "batch.csv", monkeypatch)
    found = _reports(tmp_path / "batch.csv", tmp_path)  # through the files
    assert found == expected
    records = found[2]
    assert [r["row"] for r in records] == list(range(2, 3007))
    assert [r["status"] for r in records[:2]] == ["accepted", "duplicate"]
    assert json.loads(found[0])["summary"]["duplicates"] == 2999 + 1 + 3


def test_the_two_core_reader_keeps_the_same_records(tmp_path, monkeypatch):
    """A run that keeps records is read on two cores too: the second half's spool numbers
    on from the first half's, runs and rejects across the split included."""
    lines = []
    for n in range(4000):
        lines.append(LINES[n % 7] if n % 3 else LINES[4])
        if n % 500 == 0:
            lines += [LINES[5]] * 30
    _write(tmp_path / "batch.csv", lines)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1 << 60)
    one_pass = _reports(tmp_path / "batch.csv")
    assert one_pass == _record_by_record(tmp_path / "batch.csv", monkeypatch)
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    from cancelkit.options import Options
    from cancelkit.read.inputs import open_input

    table = open_input(str(tmp_path / "batch.csv"))
    try:
        assert parallel.plan(table, Options(keep_records=True)) is not None
    finally:
        table.close()
    assert _reports(tmp_path / "batch.csv") == one_pass
