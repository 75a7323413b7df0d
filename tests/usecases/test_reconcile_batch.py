"""usecases/reconcile.py's reconcile_batch driven without click."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CLEAN, FIXTURES

from cancelkit.errors import CancelkitError
from cancelkit.usecases.generate import GenerateOutputs, generate
from cancelkit.usecases.outcome import ExitCode
from cancelkit.usecases.reconcile import reconcile_batch
from cancelkit.usecases.running import RunSettings


def _recorded(tmp_path: Path) -> str:
    made = generate([str(CLEAN)], GenerateOutputs(out_dir=tmp_path / "out"), RunSettings())
    (batch_id,) = made.batch_ids
    return batch_id


def test_reconcile_batch_confirms_and_says_so(tmp_path: Path, private_ledger: Path) -> None:
    _recorded(tmp_path)
    report = shutil.copy(FIXTURES / "processing-report-success.txt", tmp_path / "report.txt")
    outcome = reconcile_batch(str(report))
    assert outcome.exit_code is ExitCode.OK and outcome.written == {}
    (message,) = outcome.messages
    assert message.stream == "stdout" and "12 of 12 rows confirmed, 0 failed" in message.text


def test_reconcile_batch_refuses_a_taken_retry_path_before_any_change(
    tmp_path: Path, private_ledger: Path
) -> None:
    _recorded(tmp_path)
    report = shutil.copy(FIXTURES / "processing-report-internal.txt", tmp_path / "report.txt")
    taken = tmp_path / "retry.csv"
    taken.write_text("mine", encoding="utf-8")
    with pytest.raises(CancelkitError) as caught:
        reconcile_batch(str(report), retry_path=str(taken))
    assert caught.value.code == "output_exists"
    assert taken.read_text(encoding="utf-8") == "mine"
    outcome = reconcile_batch(str(report))  # the batch is still unreconciled
    assert outcome.exit_code is ExitCode.REJECTED and "retry file" in outcome.written


def test_reconcile_batch_without_a_ledger_is_refused(tmp_path: Path, private_ledger: Path) -> None:
    report = shutil.copy(FIXTURES / "processing-report-success.txt", tmp_path / "report.txt")
    with pytest.raises(CancelkitError):
        reconcile_batch(str(report))
    assert not private_ledger.exists()
