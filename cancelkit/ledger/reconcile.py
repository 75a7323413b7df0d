"""Amazon's processing report (read by read/processing_report.py): match it to a batch,
apply it.

The report answers an uploaded Order Cancellation file (DOMAIN.md section 6): summary
lines, then one row per problem with `original-record-number` (record 1 is the first data
row of the uploaded file, record 0 the file or its header), often `order-id` and
`order-item-id`, `error-code`, `error-type` (`Error`, `Warning`, `Fatal` or `Info`, in the
seller's language: amazon/processing_words.py) and `error-message`.

Fail closed, in two ways:
- a report that cannot be matched to exactly one batch (by the rows it names: record
  numbers, order ids and item codes, and its size) is refused, never guessed; without
  `--batch` it is never applied to the newest batch by default;
- a report that matches but does not say unambiguously what happened (an error-type word
  not in the table, a record number that is not exactly a row of the batch, counts in its
  summary that disagree with its rows) confirms nothing: the batch's rows become
  `unconfirmed`, and the outcome quotes each line concerned.
Amazon's error codes say whether a retry can fix a failed row (amazon/processing_codes.py):
only those rows go into the retry file; final refusals are recorded in the ledger. The same
report (by its SHA-256) applied to the same batch again changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..amazon import processing_codes
from ..amazon import processing_words as words
from ..amazon.processing_codes import Advice
from ..errors import InputError, LedgerError
from ..read.processing_report import (
    ProcessingReport,
    ReportRow,
    Unclear,
    _rejects_file,
    parse_processing_report,
    visible,
)
from .store import Ledger
from .values import BatchSummary

UNCLEAR_CODE = "report_unclear"
#: batches listed by name in a refusal before the rest are only counted
LISTED_CANDIDATES = 10
#: the columns of the retry file: what cancelkit reads as a cancellation batch
RETRY_COLUMNS = ("order-id", "cancellation-reason-code", "amazon-order-item-code", "sku")


@dataclass(frozen=True)
class FailedRow:
    """A row of the batch that Amazon did not process, with what it said."""

    record_number: int
    order_id: str
    item_code: str | None
    reason: str | None
    sku: str | None
    code: str
    message: str
    #: what Amazon's code means and whether a retry can fix it
    advice: Advice | None = None

    @property
    def retryable(self) -> bool:
        return self.advice is not None and self.advice.retryable


@dataclass
class ReconcileOutcome:
    batch: BatchSummary
    report: ProcessingReport
    file_failed: bool
    confirmed: int
    failed: list[FailedRow]
    #: Warning and Info rows (processed anyway), as Amazon gave them
    warnings: list[ReportRow] = field(default_factory=list)
    fatal: list[ReportRow] = field(default_factory=list)
    #: rows with an error-type word cancelkit does not know (they make the report unclear)
    unknown: list[ReportRow] = field(default_factory=list)
    #: why the report did not say clearly what happened; then nothing was confirmed
    unclear: list[Unclear] = field(default_factory=list)
    #: rows of the batch left `unconfirmed` by an unclear report
    unconfirmed: int = 0
    #: when this report had already been applied to the batch: what the ledger recorded
    #: then (`reconciled_at`, `outcome` counts, `later`); nothing was changed this time
    already: dict | None = None

    @property
    def retryable(self) -> list[FailedRow]:
        """The failed rows a retry can fix: the rows of the retry file."""
        return [row for row in self.failed if row.retryable]

    @property
    def refused(self) -> list[FailedRow]:
        """The failed rows Amazon refused as final (recorded in the ledger)."""
        return [r for r in self.failed if r.advice is not None and r.advice.action == "final"]

    @property
    def ok(self) -> bool:
        """Whether every row is confirmed (exit 0); else exit 1."""
        if self.already is not None:
            counts = self.already.get("outcome") or {}
            return not (counts.get("failed") or counts.get("unconfirmed") or counts.get("unclear"))
        return not self.failed and not self.unclear


def _refuse(report: ProcessingReport, batch: BatchSummary, detail: str) -> InputError:
    return InputError(
        f"{report.path} does not match batch {batch.id}: {detail}; wrong batch? Name the "
        "batch with --batch (see `cancelkit history`)"
    )


def misfit(ledger: Ledger, report: ProcessingReport, batch: BatchSummary) -> str | None:
    """Why the report cannot be the batch's (its size, a record beyond the batch, an order
    id or item code that is not the batch's at that record), or None when it fits."""
    if report.processed is not None and report.processed > batch.rows:
        return f"the report counts {report.processed} records, the batch has {batch.rows} rows"
    if not report.file_failed and report.processed not in (None, batch.rows):
        return f"Amazon processed {report.processed} records, the batch has {batch.rows} rows"
    listed = [r for r in report.rows if r.record_number > 0]
    beyond = [r.record_number for r in listed if r.record_number > batch.rows]
    if beyond:
        return f"record {min(beyond)} is beyond the {batch.rows} rows of the batch"
    stored = ledger.rows_at(batch.id, (r.record_number for r in listed))
    for row in listed:
        mine = stored[row.record_number]
        if row.order_id and row.order_id != mine.order_id:
            return (
                f"record {row.record_number} is order {mine.order_id} in the batch but "
                f"{visible(row.order_id)} in the report"
            )
        if row.item_code and mine.item_code and row.item_code != mine.item_code:
            return (
                f"record {row.record_number} is item {mine.item_code} in the batch but "
                f"{visible(row.item_code)} in the report"
            )
    unplaced = {r.order_id for r in report.rows if r.record_number < 0 and r.order_id}
    if unplaced:
        orders = {row.order_id for row in ledger.batch_rows(batch.id)}
        strangers = sorted(unplaced - orders)
        if strangers:
            return f"order {visible(strangers[0])} of the report is not in the batch"
    return None


def _described(batch: BatchSummary) -> str:
    market = f", {batch.marketplace}" if batch.marketplace else ""
    return f"{batch.id} ({batch.rows} rows{market})"


def _listed(batches: list[BatchSummary], reasons: Mapping[str, str | None] | None = None) -> str:
    shown = [
        _described(b) + (f": {reasons[b.id]}" if reasons else "")
        for b in batches[:LISTED_CANDIDATES]
    ]
    rest = len(batches) - len(shown)
    return "; ".join(shown) + (f"; and {rest} more" if rest > 0 else "")


def match_batch(
    ledger: Ledger, report: ProcessingReport, batch_id: str | None = None
) -> BatchSummary:
    """The batch a processing report belongs to: the named one when it fits (else
    InputError); without a name, the one batch it fits among those awaiting a report
    (rows `generated` or `unconfirmed`), then, for a report that names rows, among the
    others. The batch it was applied to before, for the same report. A report that fits
    none, or more than one, is refused with the candidates listed; never the newest by
    default."""
    if batch_id:
        batch = ledger.batch(batch_id)
        why = misfit(ledger, report, batch)
        if why:
            raise _refuse(report, batch, why)
        return batch
    done = ledger.batches_of_report(report.sha256)
    if len(done) == 1:
        return ledger.batch(done[0])
    awaiting = ledger.batches_awaiting_report()
    reasons = {b.id: misfit(ledger, report, b) for b in awaiting}
    fits = [b for b in awaiting if reasons[b.id] is None]
    if not fits and report.names_rows:
        waiting = {b.id for b in awaiting}
        others = [b for b in ledger.batches() if b.id not in waiting]
        fits = [b for b in others if misfit(ledger, report, b) is None]
    if len(fits) == 1:
        return fits[0]
    if fits:
        raise InputError(
            f"{report.path} fits {len(fits)} batches and names nothing that tells them apart: "
            f"{_listed(fits)}; name the batch with --batch (see `cancelkit history`)"
        )
    if not awaiting and ledger.newest_batch() is None:
        raise LedgerError(
            f"the ledger {ledger.path} has no batches yet; `cancelkit generate` records them",
            code="ledger_empty",
        )
    where = (
        f"none of the {len(awaiting)} batches awaiting a processing report ("
        f"{_listed(awaiting, reasons)})"
        if awaiting
        else "no batch: no batch awaits a processing report"
    )
    raise InputError(
        f"{report.path} matches {where}; name the batch with --batch (see `cancelkit history`)"
    )


def batch_to_confirm(ledger: Ledger, batch_id: str | None = None) -> BatchSummary:
    """The batch `cancelkit confirm` means: the named one; without a name, the one batch
    with rows awaiting confirmation (`generated` or `unconfirmed`). Several such batches
    are refused with their list (after a run that wrote one file per marketplace, each is
    confirmed by name); with none, the newest (there is nothing to confirm)."""
    if batch_id:
        return ledger.batch(batch_id)
    awaiting = ledger.batches_awaiting_report()
    if len(awaiting) == 1:
        return awaiting[0]
    if awaiting:
        raise LedgerError(
            f"{len(awaiting)} batches await confirmation ({_listed(awaiting)}); name the one "
            "you uploaded with --batch",
            code="batch_choice_needed",
        )
    return ledger.resolve_batch(None)


# -- applying it --------------------------------------------------------------------------


def reconcile(
    ledger: Ledger, report: ProcessingReport | str | Path, batch_id: str | None = None
) -> ReconcileOutcome:
    """Apply a processing report (parsed, or its path) to its batch (`match_batch`) and
    return what happened.

    A clear report: listed records with an `Error` fail (Amazon's code says whether a
    retry can fix them; final refusals are recorded); `Warning` and `Info` rows are
    reported and their records confirmed; a `Fatal` error or an `Error` on record 0 fails
    every row; every other row is confirmed. An unclear report (`ProcessingReport.unclear`)
    confirms nothing: the batch's generated rows become `unconfirmed`. The same report
    applied to the batch before changes nothing (`already`). A report that does not fit
    the batch is refused with InputError before anything changes.
    """
    if not isinstance(report, ProcessingReport):
        report = parse_processing_report(report)
    batch = match_batch(ledger, report, batch_id)
    earlier = ledger.reconciled_report(report.sha256, batch.id)
    if earlier is not None:
        return ReconcileOutcome(
            batch=batch,
            report=report,
            file_failed=report.file_failed,
            confirmed=batch.states.get("confirmed", 0),
            failed=[],
            already=earlier,
        )
    unclear = report.unclear
    if unclear:
        return _leave_unconfirmed(ledger, report, batch, unclear)
    return _apply(ledger, report, batch)


def _record(report: ProcessingReport, **outcome: int) -> dict:
    return {"sha256": report.sha256, "path": report.path, "outcome": outcome}


def _leave_unconfirmed(
    ledger: Ledger, report: ProcessingReport, batch: BatchSummary, unclear: list[Unclear]
) -> ReconcileOutcome:
    first = unclear[0].shown()
    more = f" (and {len(unclear) - 1} more)" if len(unclear) > 1 else ""
    message = (
        f"the processing report {report.path} does not say clearly what Amazon did: {first}{more}"
    )
    awaiting = batch.states.get("generated", 0) + batch.states.get("unconfirmed", 0)
    changed = ledger.leave_unconfirmed(
        batch.id, UNCLEAR_CODE, message, _record(report, unconfirmed=awaiting, unclear=len(unclear))
    )
    return ReconcileOutcome(
        batch=ledger.batch(batch.id),
        report=report,
        file_failed=False,
        confirmed=0,
        failed=[],
        unknown=report.unknown,
        unclear=unclear,
        unconfirmed=changed,
    )


def _apply(ledger: Ledger, report: ProcessingReport, batch: BatchSummary) -> ReconcileOutcome:
    file_failed = report.file_failed
    listed = [r for r in report.rows if r.record_number > 0]
    stored = ledger.rows_at(batch.id, (r.record_number for r in listed))
    fatal = [r for r in report.rows if _rejects_file(r)]
    warnings = [r for r in report.rows if r.type in (words.WARNING, words.INFO)]
    errors: dict[int, list[ReportRow]] = {}
    for row in listed:
        if row.type == words.ERROR:
            errors.setdefault(row.record_number, []).append(row)
    if file_failed:
        first = fatal[0]
        advice = processing_codes.advice(first.code)
        file_error = (first.code or "file_rejected", f"Amazon rejected the file: {first.message}")
        retryable = batch.rows if advice.retryable else 0
        record = _record(report, confirmed=0, failed=batch.rows, retryable=retryable)
        ledger.apply_reconcile(batch.id, {}, True, file_error, report=record)
        failed = [_failed(r, *file_error, advice) for r in ledger.batch_rows(batch.id)]
        confirmed = 0
    else:
        failures = {
            n: (" ".join(dict.fromkeys(r.code for r in rs)), "; ".join(r.message for r in rs))
            for n, rs in errors.items()
        }
        advices = {
            n: processing_codes.worst([processing_codes.advice(r.code) for r in rs])
            for n, rs in errors.items()
        }
        refused = [n for n, a in advices.items() if a.action == processing_codes.FINAL]
        warned = {
            r.record_number: (r.code, f"{r.type}: {r.message}")
            for r in warnings
            if r.record_number > 0 and r.record_number not in failures
        }
        record = _record(
            report,
            confirmed=batch.rows - len(failures),
            failed=len(failures),
            refused=len(refused),
            retryable=sum(a.retryable for a in advices.values()),
        )
        counts = ledger.apply_reconcile(
            batch.id, failures, False, warnings=warned, refused=refused, report=record
        )
        failed = [_failed(stored[n], *failures[n], advices[n]) for n in sorted(failures)]
        confirmed = counts["confirmed"]
    return ReconcileOutcome(
        batch=ledger.batch(batch.id),
        report=report,
        file_failed=file_failed,
        confirmed=confirmed,
        failed=failed,
        warnings=warnings,
        fatal=fatal,
    )


def _failed(row, code: str, message: str, advice: Advice | None = None) -> FailedRow:
    return FailedRow(
        row.record_number, row.order_id, row.item_code, row.reason, row.sku, code, message, advice
    )
