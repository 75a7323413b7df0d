"""`confirm`: mark a batch confirmed after uploading it, without a processing report."""

from __future__ import annotations

from ..ledger.reconcile import batch_to_confirm
from ..ledger.store import Ledger
from ..options import resolve_ledger_path
from ..write.ledger_text import confirm_text
from ..write.plan import OutputPlan
from .outcome import ExitCode, Message, Outcome


def confirm(batch_id: str | None = None, ledger: str | None = None) -> Outcome:
    """Confirm `batch_id` (default: the one batch awaiting confirmation) in the ledger
    (default: $CANCELKIT_LEDGER or the user data folder); the ledger must exist."""
    path = resolve_ledger_path(ledger)
    OutputPlan().ledger(path, create=False)
    assert path is not None  # resolve_ledger_path gives None only for no_ledger
    with Ledger.open(path, create=False) as book:
        batch = batch_to_confirm(book, batch_id)
        changed = book.confirm(batch.id)
    text = confirm_text(batch, changed)
    return Outcome(ExitCode.OK, {"ledger": str(path)}, [Message(text, "stdout")], [batch.id])
