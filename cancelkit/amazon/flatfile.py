"""Amazon's Order Cancellation flat file: the format constants, the writer and a parser.

Format source: Amazon's Order Cancellation template (Seller Central > Orders > Upload order
related files), saved by Excel as "Text (Tab delimited)"; see DOMAIN.md section 2. A future
template version is a change to the constants here and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

TEMPLATE_TYPE = "TemplateType=OrderCancellation"
TEMPLATE_VERSION = "Version=1.0/1.0.3"
TEMPLATE_NOTICE = "This row for Amazon.com use only.  Do not modify or delete."
COLUMNS: tuple[str, ...] = ("order-id", "cancellation-reason-code", "amazon-order-item-code")
#: Version 1.0.1 had merchant-order-id as a second column; kept so old files parse.
LEGACY_COLUMNS: dict[str, tuple[str, ...]] = {
    "Version=1.0/1.0.1": (
        "order-id",
        "merchant-order-id",
        "cancellation-reason-code",
        "amazon-order-item-code",
    ),
}
LINE_END = "\r\n"
ENCODING = "ascii"
# Amazon order ids are 3-7-7 digits (DOMAIN.md section 2); item codes are Amazon's 14-digit
# order-item-id. The record model and the validator's fast path both use these patterns.
ORDER_ID_PATTERN = r"[0-9]{3}-[0-9]{7}-[0-9]{7}"
ITEM_CODE_PATTERN = r"[0-9]{14}"

HEADER_LINES = "\t".join((TEMPLATE_TYPE, TEMPLATE_VERSION, TEMPLATE_NOTICE)) + LINE_END
HEADER_LINES += "\t".join(COLUMNS) + LINE_END
#: Data rows start at this line of the file (record number 1 of a processing report).
FIRST_DATA_LINE = 3


def data_line(order_id: str, reason: str | None, item_code: str | None) -> str:
    """One data row of the flat file, in the column order of COLUMNS."""
    return f"{order_id}\t{reason or ''}\t{item_code or ''}{LINE_END}"


@dataclass(frozen=True)
class FlatFileRow:
    record_number: int
    order_id: str
    reason: str | None
    amazon_order_item_code: str | None


def parse(path: str | Path) -> Iterator[FlatFileRow]:
    """Read back an Order Cancellation flat file (for round trips and reconciliation)."""
    path = Path(path)
    try:
        with open(path, encoding=ENCODING, newline="") as stream:
            lines = stream.read().split(LINE_END)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the flat file ({exc})") from exc
    if len(lines) < 2:
        raise InputError(f"{path}: not an Order Cancellation flat file (too short)")
    template = lines[0].split("\t")
    if not template or template[0] != TEMPLATE_TYPE:
        raise InputError(f"{path}: row 1 is not the {TEMPLATE_TYPE} template row")
    version = template[1] if len(template) > 1 else ""
    expected = COLUMNS if version == TEMPLATE_VERSION else LEGACY_COLUMNS.get(version)
    header = tuple(lines[1].split("\t"))
    if expected is None or header != expected:
        raise InputError(f"{path}: unexpected template version or header: {version} {header}")
    index = {name: i for i, name in enumerate(header)}
    for number, line in enumerate(lines[2:], start=1):
        if not line:
            continue
        cells = line.split("\t")
        reason = cells[index["cancellation-reason-code"]] or None
        item = cells[index["amazon-order-item-code"]] or None
        yield FlatFileRow(number, cells[index["order-id"]], reason, item)
