"""Field formats of the flat file and the small value types of the row checks.

Kept apart from the pydantic model (model.py), which uses them, so that the validator's
fast path can use the same patterns without loading pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass

# Amazon order ids are 3-7-7 digits (DOMAIN.md section 2); item codes are Amazon's 14-digit
# order-item-id.
ORDER_ID_PATTERN = r"[0-9]{3}-[0-9]{7}-[0-9]{7}"
ITEM_CODE_PATTERN = r"[0-9]{14}"


@dataclass(frozen=True, slots=True)
class Problem:
    """A row error: why a row cannot be uploaded."""

    code: str
    column: str
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class Flag:
    """Advice or risk attached to a record (or a note of what cancelkit changed)."""

    code: str
    message: str
