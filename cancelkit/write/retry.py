"""The retry file of the failed rows of a reconciled batch (usecases/reconcile.py writes it)."""

from __future__ import annotations

import csv
from pathlib import Path

from ..errors import OutputError
from ..ledger.reconcile import RETRY_COLUMNS, ReconcileOutcome
from .files import atomic_write, free_name
from .result import guard


def default_retry_path(report_path: str | Path) -> Path:
    """Where `cancelkit reconcile` writes the retry file when not told: next to the report
    (`<report>-retry.csv`, numbered when taken)."""
    report_path = Path(report_path)
    folder = report_path.parent
    return folder / (free_name(folder, f"{report_path.stem}-retry", [".csv"]) + ".csv")


def write_retry(outcome: ReconcileOutcome, path: str | Path, force: bool = False) -> Path:
    """Write the failed rows a retry can fix (`ReconcileOutcome.retryable`: never a final
    refusal or an unknown code) as a cancellation input file (CSV, UTF-8 with BOM, as Excel
    opens it) that `cancelkit generate` reads back: fix what Amazon complained about, then
    generate a new upload file from it."""

    def write(stream) -> None:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(RETRY_COLUMNS)
        for row in outcome.retryable:
            writer.writerow(
                [guard(v or "") for v in (row.order_id, row.reason, row.item_code, row.sku)]
            )

    return atomic_write(path, write, force=force, encoding="utf-8-sig")


def write_retry_near(
    outcome: ReconcileOutcome, fallback_dir: str | Path = "cancelkit-out"
) -> Path | None:
    """Write the retry file next to the report, or into `fallback_dir` when that folder
    cannot be written; None (nothing written) when no failed row is one a retry can fix."""
    if not outcome.retryable or outcome.already is not None:
        return None
    try:
        return write_retry(outcome, default_retry_path(outcome.report.path))
    except OutputError:
        folder = Path(fallback_dir)
        name = free_name(folder, f"{Path(outcome.report.path).stem}-retry", [".csv"])
        return write_retry(outcome, folder / f"{name}.csv")
