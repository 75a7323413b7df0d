"""What the order reports decide about one row: the helpers of `OrdersReport.decide`
(two columns for one fact, reports that disagree, which report spoke).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..amazon import order_states
from .order_facts import Sighting
from .report_file import ReportFile


@dataclass(frozen=True)
class Decision:
    """What the order reports decide about one row: an error or a flag (None: cancellable),
    the report that spoke, and the state columns of its line as context values
    (`order_states.check_context` reads them again in the checker)."""

    finding: order_states.StateFinding | None
    report: ReportFile
    values: dict[str, str]


#: states an order never leaves: a newer report cannot make such an order cancellable
_FINAL_CODES = frozenset({"order_shipped", "order_already_cancelled", "order_fba"})


def _finding_key(finding: order_states.StateFinding | None) -> tuple[str, str] | None:
    return None if finding is None else (finding.kind, finding.code)


def _line_values(line: Sighting, report: ReportFile | None) -> dict[str, str]:
    """A report line's state columns as context values."""
    values = {"order_status": line.status, "fulfillment_channel": line.channel}
    if line.item_status:
        values["item_status"] = line.item_status
    if line.paid is not None:
        values["payments_date"] = "yes" if line.paid else "no"
        if report is not None and report.kind == "unshipped" and not line.paid:
            # the Unshipped Orders report's line without payments-date: payment not
            # verified yet, the report's sense of Pending (DOMAIN.md section 10)
            values["order_status"] = line.status or "Pending"
    if line.quantity is not None:
        values["quantity_purchased"] = str(line.quantity)
    if line.shipped is not None:
        values["quantity_shipped"] = str(line.shipped)
    return values


def _two_columns(line: Sighting) -> order_states.StateFinding | None:
    """`order_state_conflict` when a line's two columns for one fact disagree."""
    for field_name, first, second, kind_of in (
        ("order_status", line.status, line.status2, lambda v: order_states.classify(v)),
        ("fulfillment_channel", line.channel, line.channel2, order_states.channel_kind),
    ):
        if second is None or not (first.strip() or second.strip()):
            continue
        if kind_of(first) != kind_of(second):
            shown = order_states.shown
            return order_states.StateFinding(
                "error",
                "order_state_conflict",
                field_name,
                f"{first} / {second}",
                f"line {line.line} of the order report has two columns for the order's "
                f"{field_name.replace('_', ' ')} and they disagree ({shown(first)} and "
                f"{shown(second)}); the row is not uploaded: check the order in Seller Central",
            )
    return None


def _conflict(
    order_id: str,
    said: list[tuple[ReportFile, order_states.StateFinding | None]],
    why: str,
) -> order_states.StateFinding:
    def words(finding: order_states.StateFinding | None) -> str:
        if finding is None:
            return "cancellable"
        return f"{finding.code} ({order_states.shown(finding.value)})"

    listed = "; ".join(f"{report.when()} says {words(finding)}" for report, finding in said)
    return order_states.StateFinding(
        "error",
        "order_state_conflict",
        "order_status",
        said[-1][1].value if said[-1][1] is not None else "",
        f"the order reports disagree about order {order_id}: {listed}; {why}. The row is "
        "not uploaded: check the order in Seller Central, or give only a fresh report",
    )


def _said_by(
    finding: order_states.StateFinding, report: ReportFile, reports: int
) -> order_states.StateFinding:
    """The finding, saying which of several reports decided it and why that one."""
    return order_states.StateFinding(
        finding.kind,
        finding.code,
        finding.field,
        finding.value,
        f"{finding.message} (of {reports} order reports listing the order, the newest "
        f"decides: {report.when()})",
    )
