"""What a run joins onto its records: the order reports, the ledger's window figures, and a
look-up of the ledger for the batch's own orders (the Enricher closes it)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..amazon import policy
from ..ledger.store import Ledger
from ..options import Options
from ..read.table import Table, unguard
from ..validate.rows import order_id_forms
from . import orders_report
from .join import Enricher, LedgerLookup
from .report_index import OrdersReport


@dataclass
class History:
    """What the order reports and the ledger add to the batch metrics."""

    orders_in_window: int | None = None
    orders_source: str | None = None
    cancels_in_window: int | None = None
    cancels_source: str | None = None
    listings: dict = field(default_factory=dict)  # sku -> (count, [order ids]) of 30 days
    #: each order report's age and columns (`summary["order_reports"]`), and the lines that
    #: could not be read from them (`summary["order_report_problems"]`)
    order_reports: list[dict] = field(default_factory=list)
    report_problems: list[str] = field(default_factory=list)
    #: the same figures over the marketplace's longer window (India: 30 days), if it has one
    orders_long: tuple[int | None, str | None] = (None, None)
    cancels_long: tuple[int | None, str | None] = (None, None)


def batch_order_ids(tables: Sequence[Table]) -> set[str] | None:
    """The order ids of the batch, read in a first pass over each input's order-id column
    (each in the forms a record may give it), or None when an input cannot be read twice."""
    found: set[str] = set()
    for table in tables:
        if table.reopen is None:
            return None
        again = table.reopen()
        try:
            i_order = again.fields["order_id"]
            for _, cells in again.rows:
                if len(cells) > i_order and cells[i_order]:
                    found.update(order_id_forms(unguard(cells[i_order])))
        except again.read_errors:
            pass  # the pass that follows reports it, with its row
        finally:
            again.close()
    return found


def load_context(
    options: Options, market: policy.Marketplace, tables: Sequence[Table] | None = None
) -> tuple[Enricher, History]:
    """Load the order reports and the ledger history a run joins onto its records. Given
    the run's `tables`, the order reports keep only the batch's orders."""
    history = History()
    report = None
    if options.orders_reports:
        wanted = batch_order_ids(tables) if tables is not None else None
        report = orders_report.load(options.orders_reports, wanted)
        now = dt.datetime.now(dt.timezone.utc)
        history.order_reports = report.evidence(now, options.report_max_age_hours)
        history.report_problems = list(report.problems)
        # a report whose lines name their marketplaces counts those of this one only
        window = report.orders_in_window(market.window_days, report.market_filter(market.code))
        if window is not None:
            history.orders_in_window, history.orders_source = _orders_found(window)
        if market.long_window_days:
            window = report.orders_in_window(market.long_window_days)
            if window is not None:
                history.orders_long = _orders_found(window)
    lookup = None
    if options.ledger and os.path.exists(options.ledger):
        now = dt.datetime.now(dt.timezone.utc)
        ledger = Ledger.open(options.ledger, create=False)
        try:
            history.cancels_in_window = ledger.seller_cancels_in_window(now, market.window_days)
            history.cancels_source = "ledger (confirmed batches)"
            history.listings = ledger.listing_cancellations(now, policy.LISTING_WINDOW_DAYS)
            if market.long_window_days:
                history.cancels_long = (
                    ledger.seller_cancels_in_window(now, market.long_window_days),
                    "ledger (confirmed batches)",
                )
            if ledger.has_known():  # else nothing to look up: the connection is closed
                lookup = LedgerLookup(ledger)
        finally:
            if lookup is None:
                ledger.close()
    elif options.ledger:
        history.cancels_in_window, history.cancels_source = 0, "ledger (no batches yet)"
        history.cancels_long = (0, "ledger (no batches yet)")
    return Enricher(report, lookup), history


def _orders_found(window: tuple[int, dt.datetime, dt.datetime], where: str = "") -> tuple[int, str]:
    count, start, end = window
    return count, (
        f"order report: {count} orders{where} purchased {start:%Y-%m-%d %H:%M} to "
        f"{end:%Y-%m-%d %H:%M} UTC"
    )


def report_window(
    report: OrdersReport, market: policy.Marketplace, of_market: bool = False
) -> tuple[int | None, str | None]:
    """The orders of the metric window in the all-orders reports, and where the figure came
    from; with `of_market`, only the orders whose sales-channel is that marketplace."""
    window = report.orders_in_window(market.window_days, market.code if of_market else None)
    if window is None:
        return None, None
    return _orders_found(window, f" of {market.code}" if of_market else "")
