"""The review workbook's identity: its sheet names, format id and token column.

Shared by the review reader (read/review.py) and the plain-input readers (read/tables.py),
which refuse a review workbook given as an ordinary input: its rows would all be uploaded,
approved or not.
"""

from __future__ import annotations

#: identifies the layout of the review workbook; bump it when the Review columns change
FORMAT_ID = "cancelkit-review/2"
REVIEW_SHEET = "Review"
SUMMARY_SHEET = "Summary"
META_SHEET = "_cancelkit"
#: the hidden last column of the Review sheet: each row's seal (read/seal.py)
TOKEN_COLUMN = "review-token"
#: the first columns of the Review sheet, by which a review saved as CSV is recognised too
LEADING_COLUMNS = ("approve", "result", "risk")


def looks_like_review(headers: list[str]) -> bool:
    """Whether a header row is the Review sheet's (also when saved as CSV or pasted)."""
    names = [h.strip().lower() for h in headers]
    return TOKEN_COLUMN in names or tuple(names[: len(LEADING_COLUMNS)]) == LEADING_COLUMNS
