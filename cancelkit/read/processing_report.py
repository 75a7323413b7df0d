"""Read Amazon's processing report (the answer to an uploaded Order Cancellation file).

The report answers an uploaded Order Cancellation file (DOMAIN.md section 6): summary
lines, then one row per problem with `original-record-number` (record 1 is the first data
row of the uploaded file, record 0 the file or its header), often `order-id` and
`order-item-id`, `error-code`, `error-type` (`Error`, `Warning`, `Fatal` or `Info`, in the
seller's language: amazon/processing_words.py) and `error-message`. Matching it to a batch
and applying it is ledger/reconcile.py.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..amazon import processing_words as words
from ..codes import printable
from ..errors import InputError
from ..read import headers as columns
from ..read import text as text_encoding

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


def _split(line: str) -> list[str]:
    return line.split("\t") if "\t" in line else re.split(r"\s{2,}", line.strip())


def _report_bytes(path: str | Path) -> bytes:
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError as exc:
        raise InputError(f"{source}: is a folder, not a processing report") from exc
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise InputError(f"{source}: the processing report is empty")
    return data


@dataclass
class _Preamble:
    """The lines above the table: the title, the summary counts, then the header."""

    source: str
    counts: dict[str, int] = field(default_factory=dict)
    titled: bool = False
    tabbed: bool = False

    def read(self, line: str, number: int) -> dict[str, int] | None:
        """Take one line above the table; returns the header when the line is it."""
        if columns.fold(line) == SUMMARY_TITLE or words.is_summary_title(line):
            self.titled = True
            return None
        summary = words.summary_count(line)
        if summary:
            self._count(line, number, *summary)
            return None
        if self.titled and words.is_other_summary(line):
            return None
        cells = [columns.fold(c) for c in _split(line)]
        if columns.fold(RECORD_COLUMN) in cells:
            self.tabbed = "\t" in line
            return self._header(cells, number)
        if not self.titled:
            raise InputError(
                f"{self.source}: not an Amazon processing report (line {number} is neither "
                "'Feed Processing Summary:' nor a summary line nor the header "
                f"'{RECORD_COLUMN} ...')"
            )
        raise InputError(
            f"{self.source}: line {number}: cannot read this summary line: {visible(line)}"
        )

    def _count(self, line: str, number: int, name: str, value: int) -> None:
        if name in self.counts and self.counts[name] != value:
            raise InputError(
                f"{self.source}: line {number}: a second '{name}' count "
                f"({value}, before {self.counts[name]}): {visible(line)}"
            )
        self.counts[name] = value

    def _header(self, cells: list[str], number: int) -> dict[str, int]:
        header: dict[str, int] = {}
        for index, name in enumerate(cells):
            key = REPORT_COLUMNS.get(name)
            if key and key not in header:
                header[key] = index
        if "type" not in header:
            raise InputError(f"{self.source}: line {number}: the header has no error-type column")
        return header

    def check_complete(self, has_table: bool) -> None:
        if has_table or (self.titled and self.counts):
            return
        if not self.titled:
            raise InputError(f"{self.source}: not an Amazon processing report")
        raise InputError(
            f"{self.source}: the report has no '{RECORD_COLUMN}' table and no counts, so it "
            "does not say which records failed"
        )


def parse_processing_report(path: str | Path) -> ProcessingReport:
    """Read Amazon's processing report; InputError for a file that is not one."""
    source = str(path)
    data = _report_bytes(path)
    lines = text_encoding.decode(data, source, "an Amazon processing report").splitlines()
    preamble = _Preamble(source)
    header: dict[str, int] | None = None
    rows: list[ReportRow] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if header is None:
            header = preamble.read(line, number)
            continue
        if rows and _continues(line, preamble.tabbed):
            # a line break inside the message (the last column): the record goes on
            last = rows[-1]
            rows[-1] = replace(
                last, message=f"{last.message}\n{line.strip()}", text=f"{last.text}\n{line}"
            )
            continue
        rows.append(_row(line, number, header, source))
    preamble.check_complete(header is not None)
    counts = preamble.counts
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
