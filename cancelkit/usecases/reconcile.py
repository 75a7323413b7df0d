"""Reconciling a processing report with the ledger: the use case of `cancelkit reconcile`.

The one place of what `cancelkit reconcile` does (and `submit` after downloading Amazon's
answer): refuse a taken retry path before anything changes, apply the report to the batch,
then write the failed rows where the seller finds them.
"""

from __future__ import annotations

from pathlib import Path

from ..ledger.reconcile import ReconcileOutcome, reconcile
from ..ledger.store import Ledger
from ..options import resolve_ledger_path
from ..read.processing_report import parse_processing_report
from ..write.files import refuse_existing
from ..write.plan import OutputPlan
from ..write.reconcile_text import outcome_text
from ..write.retry import write_retry, write_retry_near
from .outcome import ExitCode, Message, Outcome
from .submit import SubmitOutcome


def reconcile_report(
    report_path: str | Path,
    ledger_path: str | Path,
    batch_id: str | None = None,
    retry_path: str | Path | None = None,
    force: bool = False,
    fallback_dir: str | Path = "cancelkit-out",
) -> tuple[ReconcileOutcome, Path | None]:
    """Apply Amazon's processing report to its batch (named, or the one batch the report
    fits: ledger/reconcile.py `match_batch`) and write the retry file when failed rows are
    ones a retry can fix; returns the outcome and the retry file's path (or None). A report
    already applied to the batch changes nothing and writes no retry file."""
    if retry_path is not None and not force:
        refuse_existing(retry_path)
    report = parse_processing_report(report_path)
    with Ledger.open(ledger_path, create=False) as book:
        outcome = reconcile(book, report, batch_id)
    written = None
    if outcome.retryable and outcome.already is None:
        if retry_path is not None:
            written = write_retry(outcome, retry_path, force=force)
        else:
            written = write_retry_near(outcome, fallback_dir)
    return outcome, written


def reconcile_batch(
    report_path: str,
    ledger: str | None = None,
    batch_id: str | None = None,
    retry_path: str | None = None,
    force: bool = False,
) -> Outcome:
    """`cancelkit reconcile`: check the outputs (the ledger must exist, the retry path must
    be free), apply the report, and say what happened; exit 1 when a row failed or was left
    unconfirmed."""
    path = resolve_ledger_path(ledger)
    assert path is not None  # None only with no_ledger
    plan = OutputPlan([report_path], force=force)
    plan.ledger(path, create=False)
    plan.output("retry file", retry_path)
    outcome, written = reconcile_report(report_path, path, batch_id, retry_path, force)
    code = ExitCode.OK if outcome.ok else ExitCode.REJECTED
    message = Message(outcome_text(outcome, written), "stdout")
    return Outcome(code, {"retry file": str(written)} if written else {}, [message])


def submitted_text(outcome: SubmitOutcome) -> Outcome:
    """What `cancelkit submit` prints of a batch sent and reconciled, and its exit code."""
    sent = "sent again" if outcome.resubmitted else "sent"
    assert outcome.submission is not None  # a reconciled submit has its feed
    lines = [
        f"Batch {outcome.batch.id} {sent} as feed {outcome.submission.feed_id}; processing "
        f"report: {outcome.report_path}",
        outcome_text(outcome, outcome.retry_path),
    ]
    code = ExitCode.OK if outcome.ok else ExitCode.REJECTED
    return Outcome(code, {}, [Message(line, "stdout") for line in lines], [outcome.batch.id])
