"""The cancellation record: one pydantic model holds every row rule.

The validator's fast path (validate.py) accepts rows that are already in canonical form
using the patterns defined here; every other row goes through `CancellationRecord`, so the
rules have one definition.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..amazon import reasons
from ..amazon.flatfile import (
    ITEM_CODE_ANY_PATTERN,
    ITEM_CODE_MAX_DIGITS,
    ITEM_CODE_MIN_DIGITS,
    ITEM_CODE_PATTERN,
    ORDER_ID_PATTERN,
)
from ..amazon.order_ids import clean_order_id
from ..codes import Flag
from .cleaning import clean

ORDER_ID_RE = re.compile(ORDER_ID_PATTERN)
ITEM_CODE_RE = re.compile(ITEM_CODE_PATTERN)
ITEM_CODE_ANY_RE = re.compile(ITEM_CODE_ANY_PATTERN)
_ITEM_CODE_DOT_ZERO = re.compile(rf"({ITEM_CODE_ANY_PATTERN})\.0+")
#: the known lengths, as the messages say them
ITEM_CODE_LENGTHS = f"{ITEM_CODE_MIN_DIGITS} to {ITEM_CODE_MAX_DIGITS}"
_SCIENTIFIC = re.compile(r"[0-9](?:[.,][0-9]+)?[eE][+]?[0-9]+")


def _non_ascii(value: str) -> PydanticCustomError:
    bad = next(ch for ch in value if not ch.isascii())
    return PydanticCustomError(
        "non_ascii",
        "'{value}' contains the non-ASCII character '{char}' (U+{point}); Amazon accepts "
        "only ASCII, so retype the value",
        {"value": value, "char": bad, "point": f"{ord(bad):04X}"},
    )


def _notes(info) -> list[Flag] | None:
    return info.context.get("notes") if info.context else None


def pairing_problem(reason_given: bool, item_given: bool) -> str | None:
    """The rule that a reason and an item code come together or not at all."""
    if reason_given and not item_given:
        return "reason_without_item"
    if item_given and not reason_given:
        return "item_without_reason"
    return None


class CancellationRecord(BaseModel):
    """One cancellation: an order (whole) or one item of it with a reason."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    amazon_order_item_code: str | None = None
    reason: str | None = None

    @field_validator("order_id", mode="before")
    @classmethod
    def _order_id(cls, value: Any) -> str:
        text = clean_order_id(str(value or ""))  # the one cleaning every reader uses
        if not text:
            raise PydanticCustomError("order_id_missing", "the order id is empty")
        if not text.isascii():
            raise _non_ascii(text)
        if not ORDER_ID_RE.fullmatch(text):
            raise PydanticCustomError(
                "order_id_format",
                "'{value}' is not an Amazon order id; expected 3-7-7 digits like "
                "113-4728391-2038475",
                {"value": text},
            )
        return text

    @field_validator("amazon_order_item_code", mode="before")
    @classmethod
    def _item_code(cls, value: Any, info) -> str | None:
        text = clean(str(value or ""))
        if not text:
            return None
        if not text.isascii():
            raise _non_ascii(text)
        exact = _ITEM_CODE_DOT_ZERO.fullmatch(text)
        digits = exact.group(1) if exact else text
        if ITEM_CODE_RE.fullmatch(digits):
            return digits
        if ITEM_CODE_ANY_RE.fullmatch(digits):
            # an id of a length not seen yet: right when the order report lists it
            if info.context and info.context.get("item_listed") == digits:
                return digits
            raise PydanticCustomError(
                "item_code_format",
                "'{value}' has {count} digits; the order-item-ids Amazon issues are "
                "{lengths} digits long. Give the order report that lists the order with "
                "--orders-report: an id it lists for the order is taken whatever its length",
                {"value": text, "count": len(digits), "lengths": ITEM_CODE_LENGTHS},
            )
        if _SCIENTIFIC.fullmatch(text):
            raise PydanticCustomError(
                "item_code_scientific",
                "'{value}' is an item code in Excel's scientific notation: its digits were "
                "lost. Format the column as Text in Excel and paste the item codes again",
                {"value": text},
            )
        raise PydanticCustomError(
            "item_code_format",
            "'{value}' is not an order item code; expected the {lengths} digits of the "
            "order-item-id in Amazon's order report",
            {"value": text, "lengths": ITEM_CODE_LENGTHS},
        )

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any, info) -> str | None:
        text = clean(str(value or ""))
        if not text:
            return None
        code = reasons.lookup(text)
        if code is None:
            raise PydanticCustomError(
                "reason_unknown",
                "'{value}' is not a cancellation reason; use one of: {valid}",
                {"value": text, "valid": ", ".join(reasons.FLAT_FILE_CODES)},
            )
        if not reasons.BY_CODE[code].accepted_in_flat_file:
            raise PydanticCustomError(
                "reason_not_in_flat_file",
                "'{value}' is accepted only by Amazon's XML feed, not by the flat file; use "
                "one of: {valid}",
                {"value": text, "valid": ", ".join(reasons.FLAT_FILE_CODES)},
            )
        notes = _notes(info)
        if code != text and notes is not None:
            notes.append(Flag("reason_mapped", f"reason '{text}' was read as {code}"))
        return code

    @model_validator(mode="after")
    def _pairing(self) -> CancellationRecord:
        code = pairing_problem(self.reason is not None, self.amazon_order_item_code is not None)
        if code:
            raise PydanticCustomError(code, PAIRING_MESSAGES[code])
        return self


PAIRING_MESSAGES = {
    # issue 18: the fix that needs no typing first (the order report holds every item code)
    "reason_without_item": "a reason is given but no amazon-order-item-code; pass "
    "--orders-report with Amazon's order report to look it up by the row's SKU, or give the "
    "item code, or leave both empty to cancel the whole order",
    "item_without_reason": "an amazon-order-item-code is given but no reason; give a reason "
    "code, or leave both empty to cancel the whole order",
}
# The pairing rule's error names the column that is missing its partner.
PAIRING_FIELD = {"reason_without_item": "amazon_order_item_code", "item_without_reason": "reason"}


def validate_fields(
    raw: dict[str, str], item_listed: str | None = None
) -> tuple[CancellationRecord | None, list[tuple[str, str, str, str]], list[Flag]]:
    """Validate one row's three fields with the model.

    Returns the record (or None), the problems as (code, field, value, message) and notes.
    All problems of the row are reported, not only the first. `item_listed`: the item
    code an order report lists for the row's order (taken whatever its length).
    """
    notes: list[Flag] = []
    try:
        record = CancellationRecord.model_validate(
            raw, context={"notes": notes, "item_listed": item_listed}
        )
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            field = error["loc"][0] if error["loc"] else None
            if field is None:  # the pairing rule (model level)
                field = PAIRING_FIELD[error["type"]]
            problems.append((error["type"], str(field), raw.get(str(field), ""), error["msg"]))
        if not any(p[0] in PAIRING_MESSAGES for p in problems):
            reason_given = bool(clean(raw.get("reason", "")))
            item_given = bool(clean(raw.get("amazon_order_item_code", "")))
            code = pairing_problem(reason_given, item_given)
            if code:
                field = PAIRING_FIELD[code]
                problems.append((code, field, raw.get(field, ""), PAIRING_MESSAGES[code]))
        return None, problems, notes
    return record, [], notes
