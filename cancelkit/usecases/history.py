"""`history`: the batches in the ledger, newest first, with their rows' states."""

from __future__ import annotations

import json

from ..ledger.store import Ledger
from ..ledger.values import BatchSummary
from ..options import resolve_ledger_path
from ..write.ledger_text import history_text
from .outcome import ExitCode, Message, Outcome


def history(days: int | None = None, ledger: str | None = None, as_json: bool = False) -> Outcome:
    """List the ledger's batches (of the last `days` days) as text or, with `as_json`, as
    the JSON document `{"ledger": path, "batches": [...]}`. A ledger that does not exist
    has no batches (nothing is created)."""
    path = resolve_ledger_path(ledger)
    assert path is not None  # resolve_ledger_path gives None only for no_ledger
    batches: list[BatchSummary] = []
    if path.exists():
        with Ledger.open(path) as book:
            batches = book.batches(days)
    if as_json:
        document = {"ledger": str(path), "batches": [b.as_dict() for b in batches]}
        text = json.dumps(document, indent=2)
        return Outcome(ExitCode.OK, messages=[Message(text, "stdout")])
    lines = [Message(f"Ledger: {path}", "stdout"), Message(history_text(batches), "stdout")]
    return Outcome(ExitCode.OK, messages=lines)
