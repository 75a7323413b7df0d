"""usecases/review.py driven without click."""

from __future__ import annotations

from pathlib import Path

from conftest import CLEAN

from cancelkit.usecases.outcome import ExitCode, Talk
from cancelkit.usecases.review import review
from cancelkit.usecases.running import RunSettings


def test_review_writes_the_workbook_and_is_no_gate_over_the_target(tmp_path: Path) -> None:
    output = tmp_path / "review.xlsx"
    settings = RunSettings(orders_7d=100, cancels_7d=2, no_ledger=True)
    outcome = review([str(CLEAN)], str(output), settings, Talk("verbose"))
    assert outcome.exit_code is ExitCode.OK  # over the target: the review is the way on
    assert output.exists() and outcome.written == {"review": str(output)}
    assert "time: read and check" in outcome.messages[0].text
    gated = review([str(CLEAN)], str(output), RunSettings(fail_on="medium"), force=True)
    assert gated.exit_code is ExitCode.GATE
