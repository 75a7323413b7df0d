"""usecases/history.py driven without click."""

from __future__ import annotations

import json
from pathlib import Path

from cancelkit.usecases.history import history
from cancelkit.usecases.outcome import ExitCode, Message


def test_history_of_no_ledger_is_empty_and_creates_nothing(private_ledger: Path) -> None:
    outcome = history()
    assert outcome.exit_code is ExitCode.OK
    assert outcome.messages[0] == Message(f"Ledger: {private_ledger}", "stdout")
    assert not private_ledger.exists()
    document = json.loads(history(as_json=True).messages[0].text)
    assert document == {"ledger": str(private_ledger), "batches": []}
