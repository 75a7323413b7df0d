"""The ledger as the terminal shows it: `history` and `confirm`."""

from __future__ import annotations

from ..enrich.ledger_findings import _shown_time
from ..ledger.values import BatchSummary


def history_text(batches: list[BatchSummary]) -> str:
    """The batches as `cancelkit history` prints them, one line each. The rate counts
    orders, and only confirmed ones: a line says how many rows of the batch count
    against the rate now (confirmed, and of how many orders), and how many would once
    confirmed (generated or unconfirmed); failed and superseded rows never count."""
    if not batches:
        return "no batches in the ledger"
    lines = []
    for batch in batches:
        states = ", ".join(f"{n} {state}" for state, n in batch.states.items() if n)
        lines.append(
            f"{batch.id}  {_shown_time(batch.created_at)}  {batch.rows} rows "
            f"({states or 'none'}); {_counting_text(batch)}"
            + (f"; {batch.flat_file}" if batch.flat_file else "")
        )
    return "\n".join(lines)


def _counting_text(batch: BatchSummary) -> str:
    rows, orders = batch.confirmed_counting_rows, batch.confirmed_counting_orders
    text = (
        f"{rows} confirmed {'row' if rows == 1 else 'rows'} of {orders} "
        f"{'order' if orders == 1 else 'orders'} count against the rate"
    )
    if batch.awaiting_counting_rows:
        text += f", {batch.awaiting_counting_rows} more once confirmed"
    return text


def confirm_text(batch: BatchSummary, changed: int) -> str:
    """What `cancelkit confirm` prints."""
    if changed:
        return f"Batch {batch.id}: {changed} rows confirmed."
    states = ", ".join(f"{n} {state}" for state, n in batch.states.items() if n) or "no rows"
    return f"Batch {batch.id}: nothing to confirm ({states})."
