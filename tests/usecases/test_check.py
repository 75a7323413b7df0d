"""usecases/check.py driven without click."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from conftest import CLEAN, MESSY

from cancelkit import check as check_api
from cancelkit.errors import OutputError
from cancelkit.usecases.check import CheckOutputs, check
from cancelkit.usecases.outcome import ExitCode, Talk
from cancelkit.usecases.running import RunSettings


def test_check_writes_only_what_is_asked(tmp_path: Path, private_ledger: Path) -> None:
    report = tmp_path / "r.md"
    outcome = check([str(CLEAN)], CheckOutputs(report=str(report)), RunSettings())
    assert outcome.exit_code is ExitCode.OK
    assert report.exists() and outcome.written["report"] == str(report)
    assert outcome.written["flat_file"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md"]
    assert not private_ledger.exists()  # check only reads the ledger


def test_check_says_the_plan_on_stdout_or_beside_the_json(tmp_path: Path) -> None:
    outputs = CheckOutputs(show_plan=True)
    outcome = check([str(MESSY)], outputs, RunSettings(no_ledger=True), Talk("quiet"))
    assert outcome.exit_code is ExitCode.REJECTED
    (plan,) = outcome.messages
    assert plan.stream == "stdout" and plan.text.startswith("plan")
    stdout = io.StringIO()
    outputs = CheckOutputs(json_path="-", show_plan=True)
    outcome = check([str(MESSY)], outputs, RunSettings(no_ledger=True), stdout=stdout)
    assert [m.stream for m in outcome.messages] == ["stderr", "stderr"]
    assert json.loads(stdout.getvalue())["summary"]["rejected"] > 0


def test_check_exits_3_over_the_target() -> None:
    settings = RunSettings(orders_7d=100, cancels_7d=2, no_ledger=True)
    outcome = check([str(CLEAN)], CheckOutputs(), settings)
    assert outcome.exit_code is ExitCode.GATE


def test_an_unknown_report_suffix_is_a_cancelkit_error_with_a_code(tmp_path: Path) -> None:
    with check_api(str(CLEAN), no_ledger=True) as result, pytest.raises(OutputError) as caught:
        result.write_report(tmp_path / "x.pdf")
    assert caught.value.code == "report_format" and "x.pdf" in str(caught.value)
    assert not isinstance(caught.value, ValueError)
    assert list(tmp_path.iterdir()) == []
