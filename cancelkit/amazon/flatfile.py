"""Amazon's Order Cancellation flat file: the format constants, the writer and a parser.

Format source: Amazon's Order Cancellation template (Seller Central > Orders > Upload order
related files), saved by Excel as "Text (Tab delimited)"; see docs/domain.md section 2. A future
template version is a change to the constants here and nothing else.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..errors import InputError
from . import reasons

TEMPLATE_TYPE = "TemplateType=OrderCancellation"
TEMPLATE_NOTICE = "This row for Amazon.com use only.  Do not modify or delete."
#: every template version cancelkit reads, with its column set; the first is Amazon's
#: current template, the only one written. Version 1.0.1 had merchant-order-id as a
#: second column (docs/domain.md section 2); long-lived integrations still write it (section 7).
TEMPLATE_VERSIONS: dict[str, tuple[str, ...]] = {
    "Version=1.0/1.0.3": ("order-id", "cancellation-reason-code", "amazon-order-item-code"),
    "Version=1.0/1.0.1": (
        "order-id",
        "merchant-order-id",
        "cancellation-reason-code",
        "amazon-order-item-code",
    ),
}
TEMPLATE_VERSION = next(iter(TEMPLATE_VERSIONS))
COLUMNS: tuple[str, ...] = TEMPLATE_VERSIONS[TEMPLATE_VERSION]
LINE_END = "\r\n"
ENCODING = "ascii"
# Amazon order ids are 3-7-7 digits (docs/domain.md section 2); an item code is Amazon's
# order-item-id. The record model and the validator's fast path both use these patterns.
ORDER_ID_PATTERN = r"[0-9]{3}-[0-9]{7}-[0-9]{7}"
#: the lengths of an order-item-id known from real files: 14 digits for years, 13 in a JP
#: seller's Unshipped Orders reports from August 2023 on, 15 in a 2025 US Unshipped Orders
#: report; public client libraries record the move from 14 to 15 (docs/domain.md sections 2 and
#: 10). Amazon documents no length (its order report help calls the column "Amazon's unique
#: identifying number for the item in an order"; the XML feeds' AmazonOrderItemCode is a
#: string). An id of another length is accepted only when an order report given with the
#: run lists it for that order (`validate.model`, context `item_listed`).
ITEM_CODE_MIN_DIGITS = 13
ITEM_CODE_MAX_DIGITS = 15
ITEM_CODE_PATTERN = rf"[0-9]{{{ITEM_CODE_MIN_DIGITS},{ITEM_CODE_MAX_DIGITS}}}"
#: any digits-only order-item-id (what an order report may list beyond the known lengths)
ITEM_CODE_ANY_PATTERN = r"[0-9]{1,40}"

#: what separates the cells of a line
SEPARATOR = "\t"
#: the cell of each column of COLUMNS that a data line fills, by the record's field; a
#: column not named here is written empty
FIELD_OF_COLUMN: dict[str, str] = {
    "order-id": "order_id",
    "cancellation-reason-code": "reason",
    "amazon-order-item-code": "amazon_order_item_code",
}

HEADER_LINES = SEPARATOR.join((TEMPLATE_TYPE, TEMPLATE_VERSION, TEMPLATE_NOTICE)) + LINE_END
HEADER_LINES += SEPARATOR.join(COLUMNS) + LINE_END
#: Data rows start at this line of the file (record number 1 of a processing report).
FIRST_DATA_LINE = 3


@dataclass(frozen=True)
class LineFormat:
    """The lines of the flat file as the constants above make them: every writer and every
    reader of the spooled body goes through here (`line_format()`), so a new template
    version is a change to the constants and nothing else."""

    header: str
    #: lines before the first data line (the template row and the header row)
    header_lines: int
    #: str.format template of a data line: {0} order id, {1} reason, {2} item code
    template: str
    #: the same line as an f-string, `make(order_id, reason, item_code)`: what the hot loop
    #: calls (str.format costs about four times as much a row)
    make: Callable[[str, str, str], str]
    #: whether a data line is already canonical: an order id of the model's pattern, and a
    #: flat-file reason code with its item code, or neither (a whole order). A cell that
    #: held a separator or line break cannot match.
    canonical: Callable[[str], object]
    #: where the order id, reason and item code stand among a line's cells
    positions: tuple[int, int, int]
    line_end: str
    separator: str

    def line(self, order_id: str, reason: str | None, item_code: str | None) -> str:
        """One data line, in the column order of COLUMNS."""
        return self.make(order_id, reason or "", item_code or "")

    def canonical_line(self, order_id: str, reason: str, item_code: str) -> str | None:
        """The data line of cells already in canonical form, else None."""
        line = self.make(order_id, reason, item_code)
        return line if self.canonical(line) else None

    def fields(self, line: str) -> tuple[str, str, str]:
        """(order id, reason, item code) of a data line this format wrote."""
        cells = line[: len(line) - len(self.line_end)].split(self.separator)
        order, reason, item = self.positions
        return cells[order], cells[reason], cells[item]

    def skip_header(self, stream: TextIO) -> str:
        """Read the header lines of a body or file; returns them."""
        return "".join(stream.readline() for _ in range(self.header_lines))


def line_format() -> LineFormat:
    """The line format of the current constants (built once per set of constants)."""
    return _line_format(
        (TEMPLATE_TYPE, TEMPLATE_VERSION, TEMPLATE_NOTICE),
        COLUMNS,
        tuple(FIELD_OF_COLUMN.items()),
        SEPARATOR,
        LINE_END,
        (ORDER_ID_PATTERN, ITEM_CODE_PATTERN, tuple(reasons.FLAT_FILE_CODES)),
        FIRST_DATA_LINE,
    )


@functools.lru_cache(maxsize=4)
def _line_format(
    template_row: tuple[str, str, str],
    columns: tuple[str, ...],
    field_of: tuple[tuple[str, str], ...],
    separator: str,
    line_end: str,
    patterns: tuple[str, str, tuple[str, ...]],
    first_data_line: int,
) -> LineFormat:
    fields = dict(field_of)
    slot = {"order_id": "{0}", "reason": "{1}", "amazon_order_item_code": "{2}"}
    named = [fields.get(column) for column in columns]
    template = separator.join(slot.get(name or "", "") for name in named) + line_end
    order_pattern, item_pattern, codes = patterns
    filled = {"order_id": order_pattern, "reason": f"(?:{'|'.join(codes)})"}
    filled["amazon_order_item_code"] = item_pattern
    whole = {"order_id": order_pattern}
    sep, end = re.escape(separator), re.escape(line_end)
    item_row = sep.join(filled.get(name or "", "") for name in named)
    order_row = sep.join(whole.get(name or "", "") for name in named)
    canonical = re.compile(f"(?:{item_row}|{order_row}){end}").fullmatch
    positions = tuple(named.index(name) for name in slot)
    header = separator.join(template_row) + line_end + separator.join(columns) + line_end
    return LineFormat(
        header, first_data_line - 1, template, _maker(template), canonical,
        (positions[0], positions[1], positions[2]), line_end, separator,
    )  # fmt: skip


def _maker(template: str) -> Callable[[str, str, str], str]:
    """`template` (str.format, {0}-{2}) compiled as an f-string of three arguments: the
    text is this module's own constants, the braces of a literal part doubled."""
    text = template.replace("{", "{{").replace("}", "}}")
    for number, name in enumerate(("o", "r", "i")):
        text = text.replace("{{" + str(number) + "}}", "{" + name + "}")
    made: Callable[[str, str, str], str] = eval(f"lambda o, r, i: f{text!r}")
    return made


def data_line(order_id: str, reason: str | None, item_code: str | None) -> str:
    """One data row of the flat file, in the column order of COLUMNS."""
    return line_format().line(order_id, reason, item_code)


@dataclass(frozen=True)
class FlatFileRow:
    record_number: int
    order_id: str
    reason: str | None
    amazon_order_item_code: str | None
    #: the merchant-order-id of a Version=1.0/1.0.1 file (not part of the comparison)
    merchant_order_id: str | None = field(default=None, compare=False)


# The template row with its cells separated by spaces instead of tabs, as some
# integrations write it: TemplateType=..., Version=..., then the notice.
_SPACED_TEMPLATE = re.compile(r"^\s*(TemplateType=\S+)\s+(Version=\S+)(?:\s+(.*))?$")


def template_cells(line: str) -> list[str]:
    """The cells of a template row, whether tabs or spaces separate them."""
    cells = [cell.strip() for cell in line.split("\t")]
    if len(cells) == 1 or not cells[1]:
        spaced = _SPACED_TEMPLATE.match(line.replace("\t", " "))
        if spaced:
            return [part for part in spaced.groups() if part is not None]
    return cells


def _text(data: bytes, path: Path) -> str:
    """The file as text: UTF-8 with or without a BOM (what editors and Excel's "Unicode"
    save), or UTF-16 with its BOM, as `check` reads the same file (read/text.py). Amazon's
    file is ASCII: a byte or character that is not is named with its line."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                f"{path}: line {line}: byte 0x{data[exc.start]:02X} is not text of any "
                "encoding an upload file is saved in (UTF-8, UTF-16 or ASCII); Amazon's "
                "Order Cancellation file is ASCII: save it again as Text (Tab delimited)",
                code="flat_file_encoding",
            ) from None
    text = text.removeprefix("\ufeff")
    if not text.isascii():
        offset = next(i for i, ch in enumerate(text) if not ch.isascii())
        char = text[offset]
        line = text.count("\n", 0, offset) + 1
        raise InputError(
            f"{path}: line {line}: the non-ASCII character {char!r} (U+{ord(char):04X}); "
            "Amazon accepts only ASCII in the Order Cancellation file, so retype the value",
            code="non_ascii",
        )
    return text


def parse(path: str | Path) -> Iterator[FlatFileRow]:
    """Read back an Order Cancellation flat file (for round trips, reconciliation and
    `check` of an existing upload file). Tolerant of what integrations write: LF or CRLF
    line ends, any version of TEMPLATE_VERSIONS (1.0.1 with merchant-order-id), template
    cells separated by spaces, trailing empty cells."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read the flat file ({exc.strerror or exc})", code="unreadable"
        ) from exc
    lines = _text(data, path).splitlines()
    if len(lines) < 2:
        raise InputError(f"{path}: not an Order Cancellation flat file (too short)")
    template = template_cells(lines[0])
    if not template or template[0] != TEMPLATE_TYPE:
        raise InputError(f"{path}: row 1 is not the {TEMPLATE_TYPE} template row")
    version = template[1] if len(template) > 1 else ""
    expected = TEMPLATE_VERSIONS.get(version)
    header = [cell.strip() for cell in lines[1].split("\t")]
    while header and not header[-1]:
        header.pop()
    if expected is None or tuple(header) != expected:
        raise InputError(
            f"{path}: unexpected template version or header: {version} {tuple(header)}; "
            f"known versions: {', '.join(TEMPLATE_VERSIONS)}"
        )
    index = {name: i for i, name in enumerate(header)}
    merchant = index.get("merchant-order-id")
    for number, line in enumerate(lines[2:], start=1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        cells.extend([""] * (len(header) - len(cells)))
        reason = cells[index["cancellation-reason-code"]] or None
        item = cells[index["amazon-order-item-code"]] or None
        merchant_id = cells[merchant] or None if merchant is not None else None
        yield FlatFileRow(number, cells[index["order-id"]], reason, item, merchant_id)
