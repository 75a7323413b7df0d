"""Cleaning a cell's text: one function for the row validator (rows.py) and the record
model (model.py), which the validator loads lazily; here so that neither imports the other
at the top."""

from __future__ import annotations

# str.strip() already removes Unicode spaces including the non-breaking space (U+00A0);
# these invisible characters come along when ids are copied from web pages.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


def clean(value: str) -> str:
    """Trim spaces (including non-breaking spaces) and invisible characters."""
    return value.strip().strip(_INVISIBLE).strip()
