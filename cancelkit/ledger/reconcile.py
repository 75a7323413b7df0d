"""Amazon's processing report: parse it, match it to a recorded batch, apply it.

The report answers an uploaded Order Cancellation file (DOMAIN.md section 6): summary
lines, then one row per problem with `original-record-number` (record 1 is the first data
row of the uploaded file, record 0 the file or its header), often `order-id` and
`order-item-id`, `error-code`, `error-type` (`Error`, `Warning`, `Fatal` or `Info`, in the
seller's language: amazon/processing_words.py) and `error-message`. A report that cannot be
matched to the batch is refused, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..amazon import processing_words as words
from ..codes import printable
from ..errors import InputError
from ..read import headers as columns
from ..read import text as text_encoding
from .store import BatchSummary, Ledger

# Amazon's processing report: header names and error types (DOMAIN.md section 6)
SUMMARY_TITLE = "feedprocessingsummary"
RECORD_COLUMN = "original-record-number"
REPORT_COLUMNS = {
    columns.fold(name): key
    for name, key in (
        (RECORD_COLUMN, "record_number"),
        ("order-id", "order_id"),
        ("amazon-order-id", "order_id"),
        ("order-item-id", "item_code"),
        ("amazon-order-item-code", "item_code"),
        ("error-code", "code"),
        ("error-type", "type"),
        ("error-message", "message"),
    )
}
#: an error-type word not in amazon/processing_words.py
UNKNOWN_TYPE = "Unknown"
# A table pasted with its tabs turned into spaces: record, order id?, item code?, code, type,
# message. Unambiguous because order ids have hyphens and only item codes precede the code.
# re.ASCII: a digit is 0-9, never an Arabic-Indic or superscript digit read as a number.
_SPACED_ROW = re.compile(
    r"^\s*(\d+)\s+(?:(\d{3}-\d{7}-\d{7})\s+)?(?:(\d{10,})\s+)?(\d+)\s+(\S+)\s*(.*)$",
    re.ASCII,
)
#: the columns of the retry file: what cancelkit reads as a cancellation batch
RETRY_COLUMNS = ("order-id", "cancellation-reason-code", "amazon-order-item-code", "sku")


@dataclass(frozen=True)
class ReportRow:
    """One row of the processing report's table."""

    record_number: int
    order_id: str | None
    item_code: str | None
    code: str
    type: str  # Error, Warning, Fatal, Info, or Unknown (a word not in the table)
    message: str
    line: int  # line of the report file, for messages
    #: the error-type word as the report wrote it (`Fehler`, `Avertissement`, ...)
    word: str = ""


@dataclass
class ProcessingReport:
    path: str
    processed: int | None
    successful: int | None
    rows: list[ReportRow]

    @property
    def file_failed(self) -> bool:
        """Whether Amazon rejected the whole file: a Fatal error, or an Error on record 0."""
        return any(_rejects_file(r) for r in self.rows)

    @property
    def unknown(self) -> list[ReportRow]:
        """Rows whose error-type word is not known (reported with their line)."""
        return [r for r in self.rows if r.type == UNKNOWN_TYPE]


def _rejects_file(row: ReportRow) -> bool:
    return row.type == words.FATAL or (row.type == words.ERROR and row.record_number == 0)


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
    #: rows with an error-type word cancelkit does not know (a listed record is treated as
    #: failed, so it is retried; a file-level one is only reported)
    unknown: list[ReportRow] = field(default_factory=list)


def _split(line: str) -> list[str]:
    return line.split("\t") if "\t" in line else re.split(r"\s{2,}", line.strip())


def parse_processing_report(path: str | Path) -> ProcessingReport:
    """Read Amazon's processing report; InputError for a file that is not one."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError as exc:
        raise InputError(f"{source}: is a folder, not a processing report") from exc
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise InputError(f"{source}: the processing report is empty")
    lines = text_encoding.decode(data, source, "an Amazon processing report").splitlines()
    counts: dict[str, int] = {}
    header: dict[str, int] | None = None
    titled = False
    rows: list[ReportRow] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if header is None:
            if columns.fold(line) == SUMMARY_TITLE or words.is_summary_title(line):
                titled = True
                continue
            summary = words.summary_count(line)
            if summary:
                counts[summary[0]] = summary[1]
                continue
            if titled and words.is_other_summary(line):
                continue
            cells = [columns.fold(c) for c in _split(line)]
            if columns.fold(RECORD_COLUMN) in cells:
                header = {}
                for index, name in enumerate(cells):
                    key = REPORT_COLUMNS.get(name)
                    if key and key not in header:
                        header[key] = index
                if "type" not in header:
                    raise InputError(
                        f"{source}: line {number}: the header has no error-type column"
                    )
                continue
            if not titled:
                raise InputError(
                    f"{source}: not an Amazon processing report (line {number} is neither "
                    "'Feed Processing Summary:' nor a summary line nor the header "
                    f"'{RECORD_COLUMN} ...')"
                )
            raise InputError(f"{source}: line {number}: cannot read this summary line: {line}")
        if rows and not _split(line)[0].strip().isdigit():
            # a line break inside the message (the last column): the record goes on
            last = rows[-1]
            rows[-1] = replace(last, message=f"{last.message}\n{line.strip()}")
            continue
        rows.append(_row(line, number, header, source))
    if header is None:
        if not titled:
            raise InputError(f"{source}: not an Amazon processing report")
        processed, successful = counts.get("processed"), counts.get("successful")
        if processed is None or successful is None or processed != successful:
            raise InputError(
                f"{source}: the report has no '{RECORD_COLUMN}' table, so it does not say "
                "which records failed"
            )
    return ProcessingReport(source, counts.get("processed"), counts.get("successful"), rows)


def _row(line: str, number: int, header: dict[str, int], source: str) -> ReportRow:
    cells = line.split("\t")
    if len(cells) == 1:
        spaced = _SPACED_ROW.match(line)
        if not spaced:
            raise InputError(f"{source}: line {number}: cannot read this report row: {line}")
        record, order_id, item_code, code, kind, message = spaced.groups()
        values = {
            "record_number": record,
            "order_id": order_id or "",
            "item_code": item_code or "",
            "code": code,
            "type": kind,
            "message": message,
        }
    else:
        last = max(header.values())
        if len(cells) > last + 1 and header.get("message") == last:
            cells[last:] = ["\t".join(cells[last:])]  # a tab inside the message
        values = {
            key: cells[index].strip() if index < len(cells) else "" for key, index in header.items()
        }
    record = values.get("record_number", "")
    if not (record.isascii() and record.isdigit()):
        # "²" or "٢" pass str.isdigit(): never a record number, never silently record 2
        raise InputError(
            f"{source}: line {number}: original-record-number '{printable(record)}' is not "
            "a number (digits 0-9)",
            code="record_number",
        )
    word = values.get("type", "").strip()
    kind = words.error_type(word) or UNKNOWN_TYPE
    return ReportRow(
        record_number=int(record),
        order_id=values.get("order_id") or None,
        item_code=values.get("item_code") or None,
        code=values.get("code", ""),
        type=kind,
        message=values.get("message", ""),
        line=number,
        word=word,
    )


def _refuse(report: ProcessingReport, batch: BatchSummary, detail: str) -> InputError:
    return InputError(
        f"{report.path} does not match batch {batch.id}: {detail}; wrong batch? Name the "
        "batch with --batch (see `cancelkit history`)"
    )


def reconcile(
    ledger: Ledger, report: ProcessingReport | str | Path, batch_id: str | None = None
) -> ReconcileOutcome:
    """Apply a processing report (parsed, or its path) to a batch (default: the newest)
    and return what happened.

    Listed records with an `Error` fail; `Warning` rows are reported and their records
    confirmed; a `Fatal` error or an `Error` on record 0 fails every row; every other row
    is confirmed. A report whose order ids or record numbers do not fit the batch is
    refused with InputError before anything changes.
    """
    if not isinstance(report, ProcessingReport):
        report = parse_processing_report(report)
    batch = ledger.resolve_batch(batch_id)
    file_failed = report.file_failed
    if report.processed is not None and report.processed > batch.rows:
        raise _refuse(
            report,
            batch,
            f"the report counts {report.processed} records, the batch has {batch.rows} rows",
        )
    if not file_failed and report.processed not in (None, batch.rows):
        raise _refuse(
            report,
            batch,
            f"Amazon processed {report.processed} records, the batch has {batch.rows} rows",
        )
    listed = [r for r in report.rows if r.record_number > 0]
    beyond = [r.record_number for r in listed if r.record_number > batch.rows]
    if beyond:
        raise _refuse(
            report, batch, f"record {min(beyond)} is beyond the {batch.rows} rows of the batch"
        )
    stored = ledger.rows_at(batch.id, (r.record_number for r in listed))
    for row in listed:
        mine = stored[row.record_number]
        if row.order_id and row.order_id != mine.order_id:
            raise _refuse(
                report,
                batch,
                f"record {row.record_number} is order {mine.order_id} in the "
                f"batch but {row.order_id} in the report",
            )
        if row.item_code and mine.item_code and row.item_code != mine.item_code:
            raise _refuse(
                report,
                batch,
                f"record {row.record_number} is item {mine.item_code} in the "
                f"batch but {row.item_code} in the report",
            )
    fatal = [r for r in report.rows if _rejects_file(r)]
    warnings = [r for r in report.rows if r.type in (words.WARNING, words.INFO)]
    errors: dict[int, list[ReportRow]] = {}
    for row in listed:
        if row.type in (words.ERROR, UNKNOWN_TYPE):
            errors.setdefault(row.record_number, []).append(row)
    if file_failed:
        first = fatal[0]
        file_error = (first.code or "file_rejected", f"Amazon rejected the file: {first.message}")
        ledger.apply_reconcile(batch.id, {}, True, file_error)
        failed = [_failed(r, *file_error) for r in ledger.batch_rows(batch.id)]
        confirmed = 0
    else:
        failures = {
            n: (" ".join(dict.fromkeys(r.code for r in rs)), "; ".join(map(_failure_text, rs)))
            for n, rs in errors.items()
        }
        warned = {
            r.record_number: (r.code, f"{r.type}: {r.message}")
            for r in warnings
            if r.record_number > 0 and r.record_number not in failures
        }
        counts = ledger.apply_reconcile(batch.id, failures, False, warnings=warned)
        failed = [_failed(stored[n], *failures[n]) for n in sorted(failures)]
        confirmed = counts["confirmed"]
    return ReconcileOutcome(
        batch=ledger.batch(batch.id),
        report=report,
        file_failed=file_failed,
        confirmed=confirmed,
        failed=failed,
        warnings=warnings,
        fatal=fatal,
        unknown=report.unknown,
    )


def _failure_text(row: ReportRow) -> str:
    if row.type != UNKNOWN_TYPE:
        return row.message
    return (
        f"{row.message} (error-type '{row.word}' on line {row.line} of the report is not one "
        "cancelkit knows; treated as failed so it is retried: check it in Seller Central)"
    )


def _failed(row, code: str, message: str) -> FailedRow:
    return FailedRow(
        row.record_number, row.order_id, row.item_code, row.reason, row.sku, code, message
    )


def outcome_text(outcome: ReconcileOutcome, retry_path: str | Path | None = None) -> str:
    """What `cancelkit reconcile` prints: the counts, each failed row and why, warnings."""
    batch = outcome.batch
    lines = []
    if outcome.file_failed:
        lines.append(
            f"Batch {batch.id}: Amazon rejected the whole file; none of its {batch.rows} rows "
            "was cancelled."
        )
        lines.extend(f"  {r.type} {r.code}: {r.message}" for r in outcome.fatal)
    else:
        lines.append(
            f"Batch {batch.id}: {outcome.confirmed} of {batch.rows} rows confirmed, "
            f"{len(outcome.failed)} failed."
        )
        for row in outcome.failed:
            what = row.order_id + (f" item {row.item_code}" if row.item_code else " (whole order)")
            lines.append(f"  record {row.record_number}: {what}: {row.code} {row.message}")
    for warning in outcome.warnings:
        where = f"record {warning.record_number}" if warning.record_number else "file"
        lines.append(f"  {warning.type} ({where}) {warning.code}: {warning.message}")
    for row in outcome.unknown:
        where = f"record {row.record_number}" if row.record_number else "file"
        lines.append(
            f"  Unknown error-type '{row.word}' on line {row.line} ({where}) {row.code}: "
            f"{row.message}"
        )
    if retry_path is not None:
        lines.append(
            f"Retry file with the {len(outcome.failed)} failed rows: {retry_path} "
            "(fix them, then `cancelkit generate` it)"
        )
    return "\n".join(printable(line) for line in lines)
