"""Amazon's processing report: parse it, match it to a recorded batch, apply it.

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

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..amazon import processing_codes
from ..amazon import processing_words as words
from ..amazon.processing_codes import Advice
from ..codes import printable
from ..errors import InputError
from ..read import headers as columns
from ..read import text as text_encoding
from .store import BatchSummary, Ledger, LedgerError

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
# The record number is any token here (`+2`, `N/A` are rows whose record is unclear).
_SPACED_ROW = re.compile(
    r"^\s*(\S+)\s+(?:(\d{3}-\d{7}-\d{7})\s+)?(?:(\d{10,})\s+)?(\d+)\s+(\S+)\s*(.*)$",
    re.ASCII,
)
#: a line of a table pasted with spaces that starts a row (a token, then two spaces or more)
_SPACED_START = re.compile(r"^\s*\S+\s{2,}\S")
#: the code of rows left unconfirmed by an unclear report
UNCLEAR_CODE = "report_unclear"
#: batches listed by name in a refusal before the rest are only counted
LISTED_CANDIDATES = 10
#: the columns of the retry file: what cancelkit reads as a cancellation batch
RETRY_COLUMNS = ("order-id", "cancellation-reason-code", "amazon-order-item-code", "sku")


@dataclass(frozen=True)
class ReportRow:
    """One row of the processing report's table."""

    record_number: int  # -1 when the cell is not exactly a record number (see `unclear`)
    order_id: str | None
    item_code: str | None
    code: str
    type: str  # Error, Warning, Fatal, Info, or Unknown (a word not in the table)
    message: str
    line: int  # line of the report file, for messages
    #: the error-type word as the report wrote it (`Fehler`, `Avertissement`, ...)
    word: str = ""
    #: the line as the report wrote it, quoted when it is unclear
    text: str = ""
    #: the original-record-number cell as written
    record_text: str = ""


@dataclass(frozen=True)
class Unclear:
    """Something in the report that keeps it from saying clearly what Amazon did."""

    line: int  # 0: the report as a whole (its summary)
    text: str  # the line as written ("" for the summary)
    why: str

    def shown(self) -> str:
        if not self.line:
            return self.why
        return f"line {self.line}: {self.why}: {visible(self.text)}"


@dataclass
class ProcessingReport:
    path: str
    processed: int | None
    successful: int | None
    rows: list[ReportRow]
    #: SHA-256 of the file's bytes: the same report applied twice changes nothing
    sha256: str = ""
    #: whether the report has the `original-record-number ...` table
    has_table: bool = True

    @property
    def file_failed(self) -> bool:
        """Whether Amazon rejected the whole file: a Fatal error, or an Error on record 0."""
        return any(_rejects_file(r) for r in self.rows)

    @property
    def unknown(self) -> list[ReportRow]:
        """Rows whose error-type word is not known (reported with their line)."""
        return [r for r in self.rows if r.type == UNKNOWN_TYPE]

    @property
    def unclear(self) -> list[Unclear]:
        """Everything that keeps the report from saying unambiguously what happened to each
        row: unknown error-type words, record numbers that are not exactly a number, a
        summary missing or at odds with the rows. Empty for a clear report."""
        found = []
        for row in self.rows:
            if row.record_number < 0:
                found.append(
                    Unclear(
                        row.line,
                        row.text,
                        f"original-record-number '{visible(row.record_text)}' is not exactly "
                        "a record number (digits 0-9 only)",
                    )
                )
            if row.type == UNKNOWN_TYPE:
                found.append(
                    Unclear(
                        row.line,
                        row.text,
                        f"error-type '{visible(row.word)}' is not a word cancelkit knows",
                    )
                )
        found.extend(self._summary_problems())
        return found

    def _summary_problems(self) -> list[Unclear]:
        processed, successful = self.processed, self.successful
        if processed is None or successful is None:
            missing = " and ".join(
                name
                for name, value in (("processed", processed), ("successful", successful))
                if value is None
            )
            return [
                Unclear(
                    0,
                    "",
                    f"the report's summary does not say how many records were {missing}, so "
                    "the records it does not list cannot be confirmed",
                )
            ]
        if successful > processed:
            return [
                Unclear(
                    0,
                    "",
                    f"the summary says {successful} records successful of {processed} processed",
                )
            ]
        if self.file_failed:
            if successful:
                return [
                    Unclear(
                        0,
                        "",
                        f"the summary says {successful} records successful, but a Fatal error "
                        "says Amazon rejected the whole file",
                    )
                ]
            return []
        failed = {
            r.record_number for r in self.rows if r.type == words.ERROR and r.record_number > 0
        }
        if processed - successful != len(failed):
            listed = f"lists {len(failed)} failed record{'s' if len(failed) != 1 else ''}"
            return [
                Unclear(
                    0,
                    "",
                    f"the summary says {processed - successful} of {processed} records failed "
                    f"({processed} processed, {successful} successful), but the report {listed}",
                )
            ]
        return []

    @property
    def names_rows(self) -> bool:
        """Whether the report names rows of a batch (a record above 0 or an order id), so
        that it can tell batches of the same size apart."""
        return any(r.record_number > 0 or r.order_id for r in self.rows)


def visible(text: str) -> str:
    """Text of the report as a message shows it: control, format and other invisible
    characters escaped (`\\u200b`, `\\t`), so that what made a word unknown can be seen."""
    shown = []
    for ch in text:
        if ch == "\t":
            shown.append("\\t")
        elif ch == " ":
            shown.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn", "Zs", "Zl", "Zp"):
            shown.append(f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}")
        else:
            shown.append(ch)
    return printable("".join(shown))


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
    tabbed = False
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
                if summary[0] in counts and counts[summary[0]] != summary[1]:
                    raise InputError(
                        f"{source}: line {number}: a second '{summary[0]}' count "
                        f"({summary[1]}, before {counts[summary[0]]}): {visible(line)}"
                    )
                counts[summary[0]] = summary[1]
                continue
            if titled and words.is_other_summary(line):
                continue
            cells = [columns.fold(c) for c in _split(line)]
            if columns.fold(RECORD_COLUMN) in cells:
                tabbed = "\t" in line
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
            raise InputError(
                f"{source}: line {number}: cannot read this summary line: {visible(line)}"
            )
        if rows and _continues(line, tabbed):
            # a line break inside the message (the last column): the record goes on
            last = rows[-1]
            rows[-1] = replace(
                last, message=f"{last.message}\n{line.strip()}", text=f"{last.text}\n{line}"
            )
            continue
        rows.append(_row(line, number, header, source))
    if header is None and (not titled or not counts):
        if not titled:
            raise InputError(f"{source}: not an Amazon processing report")
        raise InputError(
            f"{source}: the report has no '{RECORD_COLUMN}' table and no counts, so it does "
            "not say which records failed"
        )
    return ProcessingReport(
        source,
        counts.get("processed"),
        counts.get("successful"),
        rows,
        sha256=hashlib.sha256(data).hexdigest(),
        has_table=header is not None,
    )


def _continues(line: str, tabbed: bool) -> bool:
    """Whether a line continues the previous row's message (a line break inside it): a
    line without a tab in a tab-separated report; in one pasted with spaces, a line that
    does not start with a cell and a gap. A line that starts a row whose record number is
    unreadable is a row (its record is unclear), never glued to the message before it."""
    if tabbed:
        return "\t" not in line
    return _SPACED_START.match(line) is None


def _exact_record(text: str) -> bool:
    """Exactly a record number: ASCII digits, no sign, no decimals, no leading zero."""
    return text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))


def _row(line: str, number: int, header: dict[str, int], source: str) -> ReportRow:
    cells = line.split("\t")
    if len(cells) == 1:
        spaced = _SPACED_ROW.match(line)
        if not spaced:
            raise InputError(
                f"{source}: line {number}: cannot read this report row: {visible(line)}"
            )
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
    word = values.get("type", "").strip()
    kind = words.error_type(word) or UNKNOWN_TYPE
    return ReportRow(
        # "²", "٢", "+2", "2.0", "02" are never silently record 2: the row is unclear
        record_number=int(record) if _exact_record(record) else -1,
        order_id=values.get("order_id") or None,
        item_code=values.get("item_code") or None,
        code=values.get("code", ""),
        type=kind,
        message=values.get("message", ""),
        line=number,
        word=word,
        text=line,
        record_text=record,
    )


# -- which batch --------------------------------------------------------------------------


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


def _listed(batches: list[BatchSummary], reasons: dict[str, str] | None = None) -> str:
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
            f"the ledger {ledger.path} has no batches yet; `cancelkit generate` records them"
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
            "you uploaded with --batch"
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


def outcome_text(outcome: ReconcileOutcome, retry_path: str | Path | None = None) -> str:
    """What `cancelkit reconcile` prints: the counts, each failed row, why and what to do,
    warnings; for an unclear report each line that made it so."""
    batch = outcome.batch
    lines = []
    if outcome.already is not None:
        return "\n".join(printable(line) for line in _already_lines(outcome))
    if outcome.unclear:
        lines.append(
            f"Batch {batch.id}: the processing report does not say clearly what Amazon did, "
            f"so no row is confirmed: {outcome.unconfirmed} rows left unconfirmed (they do "
            "not count in the rate)."
        )
        lines.extend(f"  {u.shown()}" for u in outcome.unclear)
        lines.append(
            "  Check the upload in Seller Central; download the report again (Settings > "
            "Account Info: set the processing report's language to English), then "
            f"`cancelkit reconcile REPORT --batch {batch.id}`, or `cancelkit confirm --batch "
            f"{batch.id}` when Seller Central shows every row processed."
        )
        return "\n".join(printable(line) for line in lines)
    if outcome.file_failed:
        lines.append(
            f"Batch {batch.id}: Amazon rejected the whole file; none of its {batch.rows} rows "
            "was cancelled."
        )
        lines.extend(f"  {r.type} {r.code}: {r.message}" for r in outcome.fatal)
        advice = outcome.failed[0].advice if outcome.failed else None
        if advice is not None:
            lines.append(f"    -> {advice.text()}")
    else:
        lines.append(
            f"Batch {batch.id}: {outcome.confirmed} of {batch.rows} rows confirmed, "
            f"{len(outcome.failed)} failed."
        )
        for row in outcome.failed:
            what = row.order_id + (f" item {row.item_code}" if row.item_code else " (whole order)")
            lines.append(f"  record {row.record_number}: {what}: {row.code} {row.message}")
            if row.advice is not None:
                lines.append(f"    -> {row.advice.text()}")
    for warning in outcome.warnings:
        where = f"record {warning.record_number}" if warning.record_number else "file"
        lines.append(f"  {warning.type} ({where}) {warning.code}: {warning.message}")
    if retry_path is not None:
        lines.append(
            f"Retry file with the {len(outcome.retryable)} rows a retry can fix: {retry_path} "
            "(fix them, then `cancelkit generate` it)"
        )
    elif outcome.failed:
        lines.append("No retry file: no failed row is one a retry can fix.")
    return "\n".join(printable(line) for line in lines)


def _already_lines(outcome: ReconcileOutcome) -> list[str]:
    earlier = outcome.already or {}
    counts = earlier.get("outcome") or {}
    said = ", ".join(
        f"{n} {name}" for name, n in counts.items() if n and name not in ("retryable", "unclear")
    )
    if counts.get("unclear"):
        said = ", ".join(filter(None, (said, "the report was unclear")))
    lines = [
        f"Batch {outcome.batch.id}: this processing report was already reconciled on "
        f"{str(earlier.get('reconciled_at', '')).replace('T', ' ').replace('Z', ' UTC')}"
        f" ({said or 'no rows'}); nothing changed, no retry file written."
    ]
    if earlier.get("later"):
        lines.append(
            "  Another processing report was reconciled with this batch after it; "
            "`cancelkit history` shows the batch as it is now."
        )
    return lines
