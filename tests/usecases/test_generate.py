"""usecases/generate.py driven without click: exit codes, what was written, the ledger."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import CLEAN, MESSY

from cancelkit.errors import OutputError
from cancelkit.ledger.store import Ledger
from cancelkit.usecases.generate import GenerateOutputs, generate
from cancelkit.usecases.outcome import ExitCode, Talk
from cancelkit.usecases.running import RunSettings
from cancelkit.write.result import NOTHING_TO_UPLOAD


def test_a_clean_batch_is_written_and_recorded(tmp_path: Path, private_ledger: Path) -> None:
    outputs = GenerateOutputs(out_dir=tmp_path / "out", json_path=str(tmp_path / "r.json"))
    outcome = generate([str(CLEAN)], outputs, RunSettings(orders_7d=4000, cancels_7d=0))
    assert outcome.exit_code is ExitCode.OK
    flat = Path(str(outcome.written["flat_file"]))
    assert flat.parent == tmp_path / "out" and flat.exists()
    assert outcome.written["rejects"] is None  # no row rejected
    assert Path(str(outcome.written["report"])).exists()
    assert json.loads((tmp_path / "r.json").read_text())["outputs"] == outcome.written
    (batch_id,) = outcome.batch_ids
    with Ledger.open(private_ledger) as book:
        assert [b.id for b in book.batches()] == [batch_id]
    (summary,) = [m for m in outcome.messages if m.stream == "stderr"]
    assert "ledger batch: " + batch_id in summary.text


def test_rejected_rows_exit_1_with_a_rejects_file(tmp_path: Path) -> None:
    outputs = GenerateOutputs(out_dir=tmp_path)
    outcome = generate([str(MESSY)], outputs, RunSettings(no_ledger=True), Talk("quiet"))
    assert outcome.exit_code is ExitCode.REJECTED
    assert Path(str(outcome.written["rejects"])).exists()
    assert outcome.messages == []  # quiet
    assert outcome.batch_ids == []  # no ledger


def test_the_gate_exits_3_and_writes_no_upload_file(tmp_path: Path) -> None:
    outputs = GenerateOutputs(out_dir=tmp_path)
    settings = RunSettings(fail_on="medium", no_ledger=True)
    outcome = generate([str(CLEAN)], outputs, settings)
    assert outcome.exit_code is ExitCode.GATE
    assert outcome.written["flat_file"] is None
    assert Path(str(outcome.written["report"])).exists()


def test_the_json_report_goes_to_the_stream_given(tmp_path: Path) -> None:
    stdout = io.StringIO()
    outputs = GenerateOutputs(out_dir=tmp_path, json_path="-")
    generate([str(CLEAN)], outputs, RunSettings(no_ledger=True), stdout=stdout)
    assert json.loads(stdout.getvalue())["summary"]["accepted"] == 12


def test_an_existing_output_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    taken = tmp_path / "up.txt"
    taken.write_text("mine")
    outputs = GenerateOutputs(out_dir=tmp_path / "out", flat_file=taken)
    with pytest.raises(OutputError) as caught:
        generate([str(CLEAN)], outputs, RunSettings(no_ledger=True))
    assert caught.value.code == "output_exists"
    assert taken.read_text() == "mine" and not (tmp_path / "out").exists()


def test_an_unknown_report_suffix_is_an_output_error(tmp_path: Path) -> None:
    outputs = GenerateOutputs(out_dir=tmp_path / "out", report=tmp_path / "r.pdf")
    with pytest.raises(OutputError) as caught:
        generate([str(CLEAN)], outputs, RunSettings(no_ledger=True))
    assert caught.value.code == "report_format"
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_nothing_to_upload_is_said(tmp_path: Path) -> None:
    batch = tmp_path / "bad.csv"
    batch.write_text("order-id,cancellation-reason-code\nnot-an-order,NoInventory\n")
    outcome = generate([str(batch)], GenerateOutputs(out_dir=tmp_path / "o"), RunSettings())
    assert outcome.exit_code is ExitCode.REJECTED
    assert outcome.messages[-1].text == NOTHING_TO_UPLOAD
    assert outcome.batch_ids == []


def test_both_reports_on_stdout_are_refused() -> None:
    outputs = GenerateOutputs(json_path="-", jsonl_path="-")
    with pytest.raises(OutputError, match="both write to stdout"):
        generate([str(CLEAN)], outputs, RunSettings(no_ledger=True))
