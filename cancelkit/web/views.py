"""The batch table: which rows a filter shows, in which order, and what each row shows."""

from __future__ import annotations

import re
from pathlib import Path

from .state import Batch

PAGE_SIZE = 200
FILTERS = ("status", "risk", "code", "market", "q", "decision", "sort")
_RISK_ORDER = {"high": 0, "medium": 1, "low": 2, "none": 3, "": 4}
SORTS = ("review", "order", "risk", "status", "source")


def filters_of(params: dict[str, str]) -> dict[str, str]:
    """The filter fields of a query (unknown ones dropped, each cut short)."""
    wanted = {name: str(params.get(name) or "").strip()[:100] for name in FILTERS}
    if wanted["sort"] not in SORTS:
        wanted["sort"] = "review"
    return wanted


def _codes(batch: Batch, index: int) -> set[str]:
    row = batch.rows[index]
    detail = batch.details.get((row.source, row.row or 0))
    if detail is None:
        return set()
    return {f["code"] for f in detail["flags"]} | {e["code"] for e in detail["errors"]}


def _matches(batch: Batch, index: int, wanted: dict[str, str]) -> bool:
    row = batch.rows[index]
    checks = (
        (wanted["status"], row.status),
        (wanted["risk"], row.risk),
        (wanted["market"], row.marketplace),
    )
    if any(want and want != have for want, have in checks):
        return False
    if wanted["q"] and wanted["q"].lower() not in row.order_id.lower():
        return False
    if wanted["decision"]:
        approved = index in batch.approved
        if (wanted["decision"] == "approved") != approved:
            return False
    return not wanted["code"] or wanted["code"] in _codes(batch, index)


def select(batch: Batch, wanted: dict[str, str]) -> list[int]:
    """The indexes of the rows the filter shows, in the chosen order."""
    picked = [i for i in range(len(batch.rows)) if _matches(batch, i, wanted)]
    rows = batch.rows
    order = wanted["sort"]
    if order == "order":
        picked.sort(key=lambda i: rows[i].order_id)
    elif order == "risk":
        picked.sort(key=lambda i: _RISK_ORDER.get(rows[i].risk, 4))
    elif order == "status":
        picked.sort(key=lambda i: rows[i].status)
    elif order == "source":
        picked.sort(key=lambda i: (rows[i].source, rows[i].row or 0))
    return picked


def row_view(batch: Batch, index: int) -> dict:
    """What the table shows of one row (every value is escaped by the template)."""
    row = batch.rows[index]
    detail = batch.details.get((row.source, row.row or 0))
    messages = []
    if detail is not None:
        messages = [(f["code"], f["message"]) for f in detail["flags"]]
        messages += [(e["code"], e["message"]) for e in detail["errors"]]
    elif row.problems:
        messages = [("", row.problems)]
    # the library names a source by its path: the page shows the file name the seller gave
    inside = re.compile(re.escape(str(batch.folder)) + r"[/\\][0-9]+[/\\]")
    messages = [(code, inside.sub("", message)) for code, message in messages]
    refused = batch.refused.get(row.sheet_row)
    return {
        "index": index,
        "token": row.token,
        "status": row.status,
        "risk": row.risk,
        "counts": row.counts,
        "order_id": row.order_id,
        "item_code": row.item_code,
        "reason": row.reason,
        "sku": row.sku,
        "marketplace": row.marketplace,
        "source": Path(row.source).name,
        "row": row.row,
        "messages": messages,
        "plan": row.plan,
        "approvable": row.approvable and refused is None,
        "approved": index in batch.approved,
        "refused": refused,
    }
