"""Text for the terminal: the summary `generate` and `check` print, the plan lines, the flag
counts and the review figures (colour only on a terminal that wants it); the one-line
error, the progress line and the reason catalogue of `cancelkit reasons`."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

from ..amazon import policy, reasons
from ..codes import CODES, printable
from ..review.reader import REFUSED_CODES
from .verdict import (
    SUMMARY_CELLS,
    _pct,
    figure_lines,
    gate,
    states_unchecked,
    unprojected_line,
    verdict,
)


def error_line(message: str, code: str | None = None) -> str:
    """`cancelkit: error: MESSAGE [code]` on one line, its control characters escaped."""
    # one line even when a message quotes a cell holding a line break
    message = " ".join(message.splitlines())
    # a message may quote a cell or a header: its control characters never reach the terminal
    message = printable(message)
    suffix = f" [{code}]" if code else ""
    return f"cancelkit: error: {message}{suffix}"


def color() -> bool:
    """Colour on standard error: only a terminal, and never with NO_COLOR set
    (https://no-color.org: a set, non-empty NO_COLOR turns colour off)."""
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")


class Progress:
    """Rows read so far, redrawn in place on stderr (a terminal only: see `for_terminal`)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.start = time.monotonic()
        self.shown = False

    @classmethod
    def for_terminal(cls, quiet: bool) -> Progress | None:
        """A progress line when stderr is a terminal (never in pipes or CI) and not quiet."""
        return cls() if not quiet and sys.stderr.isatty() else None

    def __call__(self, source: str, row: int) -> None:
        if os.getpid() != self.pid:
            return  # the second-half reader of a large file reads in a forked worker
        elapsed = time.monotonic() - self.start
        self._write(f"\r\x1b[Kreading {source}: row {row:,} ({elapsed:.0f} s)")
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self._write("\r\x1b[K")

    @staticmethod
    def _write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()


def reasons_text(as_json: bool = False) -> str:
    """The reason codes and how each affects the Cancellation Rate (`cancelkit reasons`)."""
    if as_json:
        return json.dumps(reasons.catalogue_json(), indent=2)
    width = max(len(r.code) for r in reasons.CATALOGUE)
    lines = []
    for r in reasons.CATALOGUE:
        where = "" if r.accepted_in_flat_file else " [not in flat file]"
        lines.append(f"{r.code:<{width}}  {r.effect_text}{where}")
    lines += ["", CODES["counts_against_rate"].explanation]
    return "\n".join(lines)


#: listings at risk the terminal summary names
TERMINAL_LISTINGS = 5


_COLORS = {"ok": "\x1b[32m", "warning": "\x1b[33m", "danger": "\x1b[31m"}
_RESET = "\x1b[0m"


def _zero_orders(metrics: dict, color: bool) -> str:
    """A window of 0 orders was given (a figure, not a missing one): a batch with orders
    that count is over every target."""
    source = metrics.get("orders_source") or "the figures"
    text = (
        f"rate: over the target: 0 orders in the window (from {source}), and this batch "
        "has orders that count against the rate"
    )
    return f"{_COLORS['danger']}{text}{_RESET}" if color else text


def _market_line(row: dict, color: bool) -> str:
    """One marketplace of a batch spanning several, for the terminal summary."""
    metrics = row["metrics"]
    text = (
        f"  {row['marketplace']}: rows {row['accepted']}, orders {row['orders']}, counting "
        f"{row['counting_orders']}; "
    )
    if metrics["rate_after"] is None and metrics.get("orders_in_window") == 0:
        return text + _zero_orders(metrics, color)
    if metrics["rate_after"] is None:
        return text + f"rate unknown (pass --orders-7d {row['marketplace']}=N)"
    rate = (
        f"rate {_pct(metrics['rate_before'])} -> {_pct(metrics['rate_after'])} (target under "
        f"{_pct(metrics['threshold'])}, headroom {metrics['headroom_orders']})"
    )
    if metrics["over_threshold"]:
        rate += " OVER"
    if color:
        rate = f"{_COLORS['danger' if metrics['over_threshold'] else 'ok']}{rate}{_RESET}"
    return text + rate


def flag_counts(result) -> dict[str, int] | None:
    """How many records carry each flag code, most frequent first; None when the run did
    not keep its records (see `keep_records`)."""
    if not result.keeps_records:
        return None
    counts: Counter = Counter()
    for record in result.iter_records():
        counts.update(flag["code"] for flag in record["flags"])
    return dict(counts.most_common())


def _verbose_lines(result, timings: dict[str, float] | None) -> list[str]:
    summary = result.summary
    lines = ["risk: " + ", ".join(f"{level} {n}" for level, n in summary["risk"].items())]
    lines += [f"  reason {reason}: {n}" for reason, n in summary["by_reason"].items()]
    counts = flag_counts(result)
    if counts is None:
        lines += [f"  flag {code}" for code in result.flag_codes]
    else:
        lines += [f"  flag {code}: {n}" for code, n in counts.items()]
    if timings:
        lines.append("time: " + ", ".join(f"{step} {sec:.2f} s" for step, sec in timings.items()))
    return lines


def _allowed(result, name: str) -> str:
    """The upload file line of a batch over the target written on request."""
    if name != "flat_file" or not (result.options.allow_over_target and result.over_target()):
        return ""
    return (
        f" (OVER THE TARGET in {', '.join(result.over_target())}: written because of "
        "--allow-over-target)"
    )


def review_figure_lines(result) -> list[str]:
    """`generate --from-review`: the review's figures kept, those changed since the review,
    and the order reports the review's states were checked against."""
    options = result.options
    if not options.from_review:
        return []
    lines = [f"kept from the review: {text}" for text in options.review_kept]
    lines += [f"CHANGED since the review: {text}" for text in options.review_changes]
    if not options.orders_reports:
        lines += [
            f"the review's order states were checked against: {text}"
            for text in options.review_order_reports
        ]
    return lines


def plan_lines(result, limit: int = 50) -> list[str]:
    """The proposed plan for the terminal (`check --plan`): the rows to approve now, in
    order, then those to hold, each with its reason; at most `limit` of each."""
    found = result.plan()
    if not found.get("complete"):
        return [f"plan: not made: {found['why']}"]
    lines = [
        f"plan (advice: nothing is approved without you): approve {found['send_rows']} row(s) "
        f"now ({found['send_counting_orders']} counting order(s)), hold {found['hold_rows']} "
        f"row(s) ({found['hold_counting_orders']} counting order(s))"
    ]
    for key, word in (("send", "approve"), ("hold", "hold")):
        rows = found[key]
        for row in rows[:limit]:
            item = f" item {row['amazon_order_item_code']}" if row["amazon_order_item_code"] else ""
            lines.append(
                f"  {word} {row['order_id']}{item} ({row['source']} row {row['row']}, "
                f"{row['marketplace']}): {row['why']}"
            )
        if len(rows) > limit:
            lines.append(
                f"  ... and {len(rows) - limit} more to {word}: all are in the JSON report's "
                "plan (--json) and the review workbook"
            )
    if found.get("other_rows_send"):
        lines.append(
            f"  approve the other {found['other_rows_send']} row(s): they do not count against "
            "the rate"
        )
    return lines


def terminal_summary(
    result, color: bool = False, verbose: bool = False, timings: dict[str, float] | None = None
) -> str:
    """The short human summary printed on stderr; `verbose` adds the counts by risk level,
    reason and flag code, and the `timings` (step name -> seconds)."""
    markets = result.market_rows()
    lines = _head_lines(result, color)
    lines += _review_lines(result)
    lines += _rate_lines(result, color, markets)
    lines += _evidence_lines(result)
    lines += _gate_lines(result, color)
    if verbose:
        lines += _verbose_lines(result, timings)
    lines += _output_lines(result, markets)
    return "\n".join(lines)


def _head_lines(result, color: bool) -> list[str]:
    """The verdict's title and the row counts, refusals and notes."""
    summary = result.summary
    found = verdict(result)
    lines: list[str] = []
    first = unprojected_line(result)
    if first:
        lines.append(f"{_COLORS['warning']}{first}{_RESET}" if color else first)
    head = found.title
    lines.append(f"{_COLORS[found.level]}{head}{_RESET}" if color else head)
    lines.append(
        f"rows read {summary['input_rows']}: accepted {summary['accepted']}, rejected "
        f"{summary['rejected']}, duplicates {summary['duplicates']}"
    )
    for code, count in summary["rejected_by_code"].items():
        lines.append(f"  rejected {code}: {count}")
    if summary.get("skipped_unapproved"):
        lines.append(
            f"skipped (not approved in the review): {summary['skipped_unapproved']} row(s)"
        )
    lines += [f"note: {note['message']}" for note in summary.get("marketplace_notes", ())]
    if summary.get("personal_columns_dropped"):
        lines.append(
            "personal data columns dropped (never copied into any output): "
            + ", ".join(summary["personal_columns_dropped"])
        )
    for code, count in summary.get("skipped_by_code", {}).items():
        if code in REFUSED_CODES:
            lines.append(f"  refused {code}: {count} (never uploaded)")
    return lines


def _review_lines(result) -> list[str]:
    """The review's approve cells not understood and its corrected values."""
    lines: list[str] = []
    unclear = [e for e in result.review_refused if e["code"] == "review_approve_not_understood"]
    if unclear:
        more = len(unclear) - SUMMARY_CELLS
        lines.append(
            f"  not understood: {len(unclear)} approve cell(s), not approved: "
            + "; ".join(e.get("cell", f"row {e['row']}") for e in unclear[:SUMMARY_CELLS])
            + (f"; ... and {more} more in the JSON report" if more > 0 else "")
        )
    corrected = getattr(result, "review_corrected", [])
    if corrected:
        lines.append(f"corrected in the review (checked again): {len(corrected)} value(s)")
        for entry in corrected[:SUMMARY_CELLS]:
            lines.append(
                f"  review row {entry['row']} {entry['order_id']}: {entry['column']} "
                f"{entry['before']!r} -> {entry['after']!r}"
            )
        if len(corrected) > SUMMARY_CELLS:
            lines.append(f"  ... and {len(corrected) - SUMMARY_CELLS} more in the JSON report")
    return lines


def _rate_lines(result, color: bool, markets: list) -> list[str]:
    """The rate before and after, per marketplace or of the batch, and the budget."""
    summary, metrics = result.summary, result.metrics
    lines: list[str] = []
    lines.append(
        f"orders {summary['orders']}, counting against the rate {summary['counting_orders']}"
    )
    if markets:
        lines.append(f"marketplaces {len(markets)}, each against its own target:")
        lines += [_market_line(row, color) for row in markets]
    elif metrics.get("rate_after") is not None:
        rate = (
            f"rate before {_pct(metrics['rate_before'])} -> after {_pct(metrics['rate_after'])}"
            f" (target under {_pct(metrics['threshold'])}, headroom "
            f"{metrics['headroom_orders']} orders)"
        )
        if color:
            rate = f"{_COLORS['danger' if metrics['over_threshold'] else 'ok']}{rate}{_RESET}"
        lines.append(rate)
        lines += figure_lines(metrics)
    elif metrics.get("orders_in_window") == 0:
        lines.append(_zero_orders(metrics, color))
        lines += figure_lines(metrics)
    else:
        lines.append("rate: unknown (pass --orders-7d N to project it)")
        lines += figure_lines(metrics)[1:]
    for entry in result.budget.values():
        lines.append(f"budget: {entry['text']}")
    return lines


def _evidence_lines(result) -> list[str]:
    """The long window, fees, unchecked states, review figures, order reports, listings."""
    summary, metrics = result.summary, result.metrics
    lines: list[str] = []
    long = metrics.get("long_window")
    if long and long.get("rate_after") is not None:
        lines.append(
            f"{long['window_days']}-day rate before {_pct(long['rate_before'])} -> after "
            f"{_pct(long['rate_after'])} (target under {_pct(long['threshold'])})"
        )
    elif long:
        lines.append(
            f"{long['window_days']}-day rate: unknown (set orders_30d in cancelkit.toml, or join "
            "an all-orders report)"
        )
    fees = summary.get("cancellation_fees")
    if fees:
        lines.append(
            f"estimated cancellation fees: {fees['currency']} {fees['estimated_total']:.2f} on "
            f"{fees['rows_with_fee']} row(s) ({fees['rule']})"
        )
    unchecked = states_unchecked(result)
    if unchecked:
        lines.append(f"warning: {unchecked}")
    lines += review_figure_lines(result)
    for entry in summary.get("order_reports", ()):
        lines.append(f"{'STALE ' if entry['stale'] else ''}order report: {entry['text']}")
        if not entry["buyer_request_column"]:
            lines.append(
                "  no is-buyer-requested-cancellation column: BuyerCanceled cannot be verified; "
                + policy.BUYER_REQUEST_COLUMN_HOWTO
            )
    for problem in summary.get("order_report_problems", ()):
        lines.append(f"order report line not read: {problem}")
    for risk in result.listing_risks[:TERMINAL_LISTINGS]:
        lines.append(
            f"listing at risk: {risk['sku']} ({risk['seller_cancellations_30d']} cancellations)"
        )
    if len(result.listing_risks) > TERMINAL_LISTINGS:
        lines.append(
            f"  ... and {len(result.listing_risks) - TERMINAL_LISTINGS} more listing(s) at risk "
            "left out here: all are in the report, the JSON (--json) and the review's Summary"
        )
    return lines


def _gate_lines(result, color: bool) -> list[str]:
    """What the gate says: over the target, or a risk gate tripped."""
    lines: list[str] = []
    state = gate(result)
    if state["over_target"] and result.outputs.get("review"):
        text = (
            "OVER THE TARGET with every flagged row approved: approve within the budget in the "
            "review, or `generate --from-review` writes no upload file"
        )
        lines.append(f"{_COLORS['danger']}{text}{_RESET}" if color else text)
    elif state["over_target"]:
        text = f"STOPPED, {state['reason']}"
        lines.append(f"{_COLORS['danger']}{text}{_RESET}" if color else text)
    elif state["tripped"]:
        lines.append(f"risk gate --fail-on {state['fail_on']} tripped: {state['reason']}")
    return lines


def _output_lines(result, markets: list) -> list[str]:
    """The outputs written and the ledger batches recorded."""
    lines: list[str] = []
    parts = result.outputs.get("flat_files") or []
    for name, path in result.outputs.items():
        if name == "flat_file" and markets and len(parts) <= 4:
            lines += [f"flat file: {part}" for part in parts]
        elif name == "flat_file" and len(parts) > 1:
            lines.append(f"flat files: {len(parts)} parts, {parts[0]} ... {parts[-1]}")
        elif path and name != "flat_files":
            lines.append(f"{name.replace('_', ' ')}: {path}{_allowed(result, name)}")
    batch_ids = result.batch_ids or ([result.batch_id] if result.batch_id else [])
    if len(batch_ids) > 1 and markets:
        # which batch is which file: `reconcile --batch ID` takes each processing report
        named = [f"{i} ({code})" for i, code in zip(batch_ids, result.batch_marketplaces)]
        lines.append(
            f"ledger batches: {', '.join(named)} (one per upload file; {result.options.ledger})"
        )
    elif len(batch_ids) > 1:
        lines.append(
            f"ledger batches: {', '.join(batch_ids)} (one per "
            f"{'upload file' if markets else 'part'}; {result.options.ledger})"
        )
    elif batch_ids:
        lines.append(f"ledger batch: {batch_ids[0]} ({result.options.ledger})")
    return lines
