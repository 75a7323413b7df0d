"""The marketplace of a row: the input's own marketplace column (`marketplace`,
`sales-channel`), else the order report's `sales-channel`, else `--marketplace`.

A value in the input that names no marketplace rejects the row (`marketplace_unknown`); an
order report's value that names none (`Non-Amazon`, a multi-channel order) is not the
seller's to fix, so the row keeps the run's marketplace.
"""

from __future__ import annotations

from ..amazon import marketplaces, policy
from ..read.tables import unguard
from .rows import Record


def check(record: Record, column_index: int) -> None:
    """Reject the record when its marketplace cell holds a value that names no marketplace."""
    value = unguard(record.cells[column_index])
    if value.strip() and marketplaces.marketplace_code(value) is None:
        record.reject(
            "marketplace_unknown",
            record.table.column_of("marketplace"),
            value,
            f"'{value.strip()}' names no marketplace cancelkit knows; write a code "
            f"({', '.join(policy.MARKETPLACES)}), a site such as Amazon.de, or a marketplace id",
        )


def market_of(record: Record, default: str) -> str:
    """The marketplace code of an accepted record (see the module's first lines)."""
    value = record.context.get("marketplace")
    return (value and marketplaces.marketplace_code(value)) or default
