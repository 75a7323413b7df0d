"""usecases/confirm.py driven without click."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CLEAN

from cancelkit.errors import CancelkitError
from cancelkit.usecases.confirm import confirm
from cancelkit.usecases.generate import GenerateOutputs, generate
from cancelkit.usecases.history import history
from cancelkit.usecases.outcome import ExitCode
from cancelkit.usecases.running import RunSettings


def test_confirm_then_history(tmp_path: Path, private_ledger: Path) -> None:
    with pytest.raises(CancelkitError):
        confirm()  # no ledger yet
    made = generate([str(CLEAN)], GenerateOutputs(out_dir=tmp_path), RunSettings())
    (batch_id,) = made.batch_ids
    outcome = confirm()
    assert outcome.exit_code is ExitCode.OK and outcome.batch_ids == [batch_id]
    assert outcome.messages[0].stream == "stdout" and batch_id in outcome.messages[0].text
    (batch,) = json.loads(history(days=1, as_json=True).messages[0].text)["batches"]
    assert batch["id"] == batch_id and batch["states"]["confirmed"] == 12
