"""The words that mean "yes" in a cell: buyer-requested and verge-of-cancellation columns of
inputs and order reports, and the approve column of a review workbook. One list for all."""

from __future__ import annotations

#: a cell means yes when, trimmed and in any case, it is one of these (Amazon's reports write
#: `true`/`false`; spreadsheet users type yes, y, x or 1; Excel's TRUE reads as "true")
YES_WORDS = frozenset({"true", "yes", "y", "1", "x", "t"})


def is_yes(value: str | None) -> bool:
    """Whether a cell says yes."""
    return value is not None and value.strip().lower() in YES_WORDS
