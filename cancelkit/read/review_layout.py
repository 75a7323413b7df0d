"""The review workbook's identity: its sheet names, format id and token column.

Shared by the review reader (review/reader.py) and the plain-input readers (read/table.py,
read/xlsx.py), which refuse a review workbook given as an ordinary input: its rows would all
be uploaded, approved or not.
"""

from __future__ import annotations

import re
import unicodedata

#: identifies the layout of the review workbook; bump it when the Review columns change
FORMAT_ID = "cancelkit-review/4"
REVIEW_SHEET = "Review"
SUMMARY_SHEET = "Summary"
META_SHEET = "_cancelkit"
#: the hidden last column of the Review sheet: each row's seal (read/seal.py)
TOKEN_COLUMN = "review-token"
#: the hidden column before it: what the review showed and checked of the row (sealed)
EVIDENCE_COLUMN = "review-evidence"
#: the first line of the Summary sheet
SUMMARY_TITLE = "cancelkit review"
#: characters a cell holds (Excel's specifications and limits; xlsxwriter would cut a longer
#: string silently, and LibreOffice and Google Sheets share the limit)
MAX_CELL_CHARS = 32_767
#: the first columns of the Review sheet, by which a review saved as CSV is recognised too
LEADING_COLUMNS = ("approve", "result", "risk")


#: headers only a Review sheet has (with `approve`), whatever their order or case
_REVIEW_ONLY = frozenset(
    ("approve", "result", "risk", "counts against rate", "problems", "source", "row")
)
#: a review token in any cell, also with noise around it (read/seal.py writes `ck<N>.`)
_TOKEN_TEXT = re.compile(r"\bck[0-9]\.[A-Za-z0-9_-]{12,}")
#: the evidence cell (JSON that names the sealed columns) and the hidden sheet's facts
_REVIEW_TEXT = re.compile(r'cancelkit-review/[0-9]|"kind":"(?:item|order)"|^review-id$')


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).strip().lower().split())


def looks_like_review(headers: list[str]) -> bool:
    """Whether a header row is the Review sheet's (also when saved as CSV or TSV, pasted,
    with columns renamed, moved or dropped), the Summary sheet's or the hidden sheet's."""
    names = [_plain(h) for h in headers]
    if not names:
        return False
    if TOKEN_COLUMN in names or EVIDENCE_COLUMN in names or names[0] == SUMMARY_TITLE:
        return True
    if tuple(names[: len(LEADING_COLUMNS)]) == LEADING_COLUMNS:
        return True
    if any(_TOKEN_TEXT.search(h) or _REVIEW_TEXT.search(h) for h in names):
        return True
    return "approve" in names and len(_REVIEW_ONLY.intersection(names)) >= 3


def cells_look_like_review(cells: list[str]) -> bool:
    """Whether a data row holds what only a review writes: a review token, its evidence,
    the review format or id (the token column renamed, the header row deleted)."""
    return any(
        c
        and ("ck" in c or "cancelkit" in c or '"kind"' in c or c == "review-id")
        and (_TOKEN_TEXT.search(c) is not None or _REVIEW_TEXT.search(c) is not None)
        for c in cells
    )
