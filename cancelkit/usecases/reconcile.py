"""Reconciling a processing report with the ledger: the use case of `cancelkit reconcile`.

The one place of what `cancelkit reconcile` does (and `submit` after downloading Amazon's
answer): refuse a taken retry path before anything changes, apply the report to the batch,
then write the failed rows where the seller finds them.
"""

from __future__ import annotations

from pathlib import Path

from ..ledger.reconcile import ReconcileOutcome, reconcile
from ..ledger.store import Ledger
from ..read.processing_report import parse_processing_report
from ..write.files import refuse_existing
from ..write.retry import write_retry, write_retry_near


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
