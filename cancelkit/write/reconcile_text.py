"""The outcome of a reconcile as the terminal shows it."""

from __future__ import annotations

from pathlib import Path

from ..codes import printable
from ..ledger.reconcile import ReconcileOutcome


def outcome_text(outcome: ReconcileOutcome, retry_path: str | Path | None = None) -> str:
    """What `cancelkit reconcile` prints: the counts, each failed row, why and what to do,
    warnings; for an unclear report each line that made it so."""
    batch = outcome.batch
    lines = []
    if outcome.already is not None:
        return "\n".join(printable(line) for line in _already_lines(outcome))
    if outcome.unclear:
        lines.append(
            f"Batch {batch.id}: the processing report does not say clearly what Amazon did, "
            f"so no row is confirmed: {outcome.unconfirmed} rows left unconfirmed (they do "
            "not count in the rate)."
        )
        lines.extend(f"  {u.shown()}" for u in outcome.unclear)
        lines.append(
            "  Check the upload in Seller Central; download the report again (Settings > "
            "Account Info: set the processing report's language to English), then "
            f"`cancelkit reconcile REPORT --batch {batch.id}`, or `cancelkit confirm --batch "
            f"{batch.id}` when Seller Central shows every row processed."
        )
        return "\n".join(printable(line) for line in lines)
    if outcome.file_failed:
        lines.append(
            f"Batch {batch.id}: Amazon rejected the whole file; none of its {batch.rows} rows "
            "was cancelled."
        )
        lines.extend(f"  {r.type} {r.code}: {r.message}" for r in outcome.fatal)
        advice = outcome.failed[0].advice if outcome.failed else None
        if advice is not None:
            lines.append(f"    -> {advice.text()}")
    else:
        lines.append(
            f"Batch {batch.id}: {outcome.confirmed} of {batch.rows} rows confirmed, "
            f"{len(outcome.failed)} failed."
        )
        for row in outcome.failed:
            what = row.order_id + (f" item {row.item_code}" if row.item_code else " (whole order)")
            lines.append(f"  record {row.record_number}: {what}: {row.code} {row.message}")
            if row.advice is not None:
                lines.append(f"    -> {row.advice.text()}")
    for warning in outcome.warnings:
        where = f"record {warning.record_number}" if warning.record_number else "file"
        lines.append(f"  {warning.type} ({where}) {warning.code}: {warning.message}")
    if retry_path is not None:
        lines.append(
            f"Retry file with the {len(outcome.retryable)} rows a retry can fix: {retry_path} "
            "(fix them, then `cancelkit generate` it)"
        )
    elif outcome.failed:
        lines.append("No retry file: no failed row is one a retry can fix.")
    return "\n".join(printable(line) for line in lines)


def _already_lines(outcome: ReconcileOutcome) -> list[str]:
    earlier = outcome.already or {}
    counts = earlier.get("outcome") or {}
    said = ", ".join(
        f"{n} {name}" for name, n in counts.items() if n and name not in ("retryable", "unclear")
    )
    if counts.get("unclear"):
        said = ", ".join(filter(None, (said, "the report was unclear")))
    lines = [
        f"Batch {outcome.batch.id}: this processing report was already reconciled on "
        f"{str(earlier.get('reconciled_at', '')).replace('T', ' ').replace('Z', ' UTC')}"
        f" ({said or 'no rows'}); nothing changed, no retry file written."
    ]
    if earlier.get("later"):
        lines.append(
            "  Another processing report was reconciled with this batch after it; "
            "`cancelkit history` shows the batch as it is now."
        )
    return lines
